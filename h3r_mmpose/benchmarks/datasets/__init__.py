from .synthetic_landmarks_dataset import SyntheticLandmarkDataset
from .synthetic_landmarks_writer import make_synthetic_landmarks

__all__ = ['SyntheticLandmarkDataset', 'make_synthetic_landmarks']
