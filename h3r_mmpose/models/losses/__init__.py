from .heatmap_cross_entropy_loss import HeatmapCrossEntropyLoss, grid_log_softmax

__all__ = ['HeatmapCrossEntropyLoss', 'grid_log_softmax']
