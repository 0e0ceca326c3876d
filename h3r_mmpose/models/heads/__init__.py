from .h3r_head import H3RHead, grid_softmax

__all__ = ['H3RHead', 'grid_softmax']
