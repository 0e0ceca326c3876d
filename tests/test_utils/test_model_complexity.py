"""FLOP and parameter counting of a pose estimator's tensor forward."""

import torch
from torch import nn

from h3r_mmpose.utils.model_complexity import model_complexity


class ConvEstimator(nn.Module):
    """An estimator-like module: ``_forward`` is a 1x1 conv, 3 -> 2 channels.

    Its ``forward`` would fail, as an estimator's does without data samples.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 2, kernel_size=1)
        self.seen_shapes = []

    def forward(self, inputs, data_samples, mode):
        raise AssertionError('the FLOP count must use _forward')

    def _forward(self, inputs: torch.Tensor) -> torch.Tensor:
        self.seen_shapes.append(tuple(inputs.shape))
        return self.conv(inputs)


def test_model_complexity_counts_the_tensor_forward_exactly():
    model = ConvEstimator().train()
    info = model_complexity(model, input_size=(5, 4))  # (w, h)
    # 3 * 2 weights + 2 biases; one multiply-add per weight and pixel.
    assert info == {'params': 8, 'flops': 3 * 2 * 4 * 5}
    assert model.seen_shapes[0] == (1, 3, 4, 5)  # (B, C, H, W)
    assert model.training  # the mode is restored
