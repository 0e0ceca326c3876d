"""Parameter count and FLOPs of a pose estimator's network, for one input image."""

import logging
from typing import Any, Dict, Sequence

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.logging import MMLogger
from mmengine.model import is_model_wrapper
from torch import nn


class _TensorForward(nn.Module):
    """Expose a pose estimator's ``mode='tensor'`` path as ``forward``.

    The FLOP counter traces ``forward(inputs)``; an MMPose estimator's own
    ``forward`` also needs data samples and decodes, so wrap ``_forward``
    instead of patching the model (it is still used after the count).
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> Any:
        """Run the network on images of shape (B, 3, H, W)."""
        return self.model._forward(inputs)


def model_complexity(model: nn.Module, input_size: Sequence[int]) -> Dict[str, int]:
    """Parameter count and FLOPs of one image through the network.

    Args:
        model (nn.Module): A pose estimator with ``_forward``, possibly in a
            model wrapper such as DDP.
        input_size (Sequence[int]): The codec's input size (w, h).

    Returns:
        Dict[str, int]: ``params`` and ``flops``, as counted by mmengine's
        FLOP analyzer (one multiply-add counts as one FLOP).
    """
    if is_model_wrapper(model):
        model = model.module
    width, height = input_size
    was_training = model.training
    model.eval()
    # The analyzer warns about every operator it does not count (BatchNorm, pooling, ...);
    # that is documented above and would bury a run's own log.
    logger = MMLogger.get_current_instance()
    log_level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with torch.no_grad():
            # mmengine feeds one random image of this shape on the model's
            # device; MMPose sizes are (w, h), tensors (C, H, W).
            info = get_model_complexity_info(
                _TensorForward(model),
                input_shape=(3, int(height), int(width)),
                show_table=False,
                show_arch=False,
            )
    finally:
        model.train(was_training)
        logger.setLevel(log_level)
    return {'params': int(info['params']), 'flops': int(info['flops'])}
