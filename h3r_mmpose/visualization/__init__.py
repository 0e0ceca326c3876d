from .heatmap_figure import draw_heatmap_figure, predict_with_heatmaps, save_heatmap_figure

__all__ = ['draw_heatmap_figure', 'predict_with_heatmaps', 'save_heatmap_figure']
