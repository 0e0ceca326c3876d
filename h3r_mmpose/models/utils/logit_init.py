"""Initial weights of a layer whose output is a logit heatmap."""

import math
from typing import List

from torch import nn

#: Standard deviation of the initial logits for unit-variance input features.
INITIAL_LOGIT_STD = 0.4


def logit_layer_std(layer: nn.Conv2d) -> float:
    """Weight std that gives the layer's logits a std of about :data:`INITIAL_LOGIT_STD`.

    MMPose's heatmap heads draw every convolution from N(0, 0.001), right for an MSE head
    whose target is 0 almost everywhere. A grid softmax needs logit differences of several
    units before its mass concentrates: from logits that small it starts uniform and the
    network lingers at a constant guess before it learns, while much larger weights start
    from random peaks and stall as well. This std sits between the two (the training runs
    behind the choice are in ``docs/benchmarks.md``).

    Args:
        layer (nn.Conv2d): the final layer.

    Returns:
        float: the std, INITIAL_LOGIT_STD / sqrt(fan-in).
    """
    kernel_height, kernel_width = layer.kernel_size
    fan_in = layer.in_channels // layer.groups * kernel_height * kernel_width
    return INITIAL_LOGIT_STD / math.sqrt(fan_in)


def logit_head_init_cfg(
    head_init_cfg: List[dict], final_layer: nn.Module, bias: float = 0.0
) -> List[dict]:
    """A heatmap head's initialisation with its final layer then redrawn for logits.

    Args:
        head_init_cfg (list[dict]): the head's own ``init_cfg`` (MMPose's
            ``HeatmapHead.default_init_cfg``).
        final_layer (nn.Module): the head's final layer; only an ``nn.Conv2d`` is redrawn
            (an ``nn.Identity`` has nothing to initialise).
        bias (float): the final layer's initial bias, the loss's ``initial_logit``.
            Defaults to 0.

    Returns:
        list[dict]: an mmengine ``init_cfg``; entries apply in order, so the last one wins
        for the final layer.
    """
    if not isinstance(final_layer, nn.Conv2d):
        return head_init_cfg
    std = logit_layer_std(final_layer)
    logits = dict(type='Normal', std=std, bias=bias, override=dict(name='final_layer'))
    return [*head_init_cfg, logits]
