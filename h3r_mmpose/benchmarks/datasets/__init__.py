from .synthetic_landmarks import SyntheticLandmarkDataset, make_synthetic_landmarks

__all__ = ['SyntheticLandmarkDataset', 'make_synthetic_landmarks']
