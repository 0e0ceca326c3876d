from .h3r_head import H3RHead

__all__ = ['H3RHead']
