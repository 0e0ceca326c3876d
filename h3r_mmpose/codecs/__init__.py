from .randomized_rounding_heatmap import RandomizedRoundingHeatmap

__all__ = ['RandomizedRoundingHeatmap']
