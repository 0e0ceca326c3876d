from .logit_init import INITIAL_LOGIT_STD, logit_head_init_cfg, logit_layer_std

__all__ = ['INITIAL_LOGIT_STD', 'logit_head_init_cfg', 'logit_layer_std']
