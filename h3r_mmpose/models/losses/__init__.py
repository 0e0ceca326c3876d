from .heatmap_binary_cross_entropy_loss import HeatmapBinaryCrossEntropyLoss
from .heatmap_cross_entropy_loss import HeatmapCrossEntropyLoss

__all__ = ['HeatmapBinaryCrossEntropyLoss', 'HeatmapCrossEntropyLoss']
