from .logit_init import INITIAL_LOGIT_STD, logit_head_init_cfg, logit_layer_std
from .tta import flip_average

__all__ = ['INITIAL_LOGIT_STD', 'flip_average', 'logit_head_init_cfg', 'logit_layer_std']
