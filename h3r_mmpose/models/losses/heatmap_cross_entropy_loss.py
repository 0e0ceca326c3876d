"""Softmax cross-entropy over the heatmap grid, with optional Gaussian target smoothing."""

import math

import torch
import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor, nn

from ...codecs.utils import smooth_heatmaps
from .keypoint_weighting import (
    check_loss_inputs,
    check_num_cells,
    weighted_keypoint_mean,
    weighted_targets,
)


@MODELS.register_module()
class HeatmapCrossEntropyLoss(nn.Module):
    """Cross-entropy between a softmax over the H*W grid and a target distribution.

    The target is the codec's heatmap (a one-hot randomized-rounding draw or its bilinear
    expectation). For a fixed input, the expected loss over draws is minimised when the
    predicted distribution equals the expected target, which is exactly the map that
    :class:`~h3r_mmpose.codecs.RandomizedRoundingHeatmap` decodes losslessly. The
    minimum is the target's entropy (0 for one-hot targets), not 0.

    With ``target_sigma > 0`` the target is first smoothed by a Gaussian of that many cells
    (:func:`~h3r_mmpose.codecs.utils.smooth_heatmaps`; same mean point, borders included),
    so a near miss earns partial credit; :class:`TargetSigmaAnnealingHook` lowers it during
    training. The shipped configs train on the exact target (0); ``docs/benchmarks.md``
    compares the two.

    Args:
        loss_weight (float): multiplier of the loss. Defaults to 1.0.
        target_sigma (float): Gaussian smoothing of the target in cells, >= 0. Defaults
            to 0 (the codec's target as it is).
    """

    def __init__(self, loss_weight: float = 1.0, target_sigma: float = 0.0) -> None:
        super().__init__()
        if not isinstance(target_sigma, (int, float)) or not (
            math.isfinite(target_sigma) and target_sigma >= 0
        ):
            raise ValueError(f'target_sigma must be a finite number >= 0, got {target_sigma!r}')
        self.loss_weight = loss_weight
        self.target_sigma = float(target_sigma)

    @staticmethod
    def initial_logit(num_cells: int) -> float:
        """The final layer's initial bias: 0, as a softmax ignores a shift of all its logits.

        Args:
            num_cells (int): cells of one heatmap, ``W * H``, >= 2.
        """
        check_num_cells(num_cells)
        return 0.0

    @staticmethod
    def probabilities(logits: Tensor) -> Tensor:
        """The distribution this loss fits: a softmax over each channel's H*W grid.

        Args:
            logits (Tensor): raw head output, shape (B, K, H, W).

        Returns:
            Tensor: shape (B, K, H, W), each channel sums to 1.
        """
        return torch.softmax(logits.flatten(2), dim=-1).view_as(logits)

    def forward(self, output: Tensor, target: Tensor, target_weights: Tensor) -> Tensor:
        """Weighted mean cross-entropy over keypoints.

        Args:
            output (Tensor): logits, shape (B, K, H, W).
            target (Tensor): probabilities over the grid, shape (B, K, H, W).
            target_weights (Tensor): keypoint weights, shape (B, K); a keypoint of weight 0
                contributes nothing (neither loss nor gradient).

        Returns:
            Tensor: scalar loss, the mean over the B*K keypoints.
        """
        check_loss_inputs(output, target, target_weights)
        target = smooth_heatmaps(weighted_targets(target, target_weights), self.target_sigma)
        log_probabilities = F.log_softmax(output.flatten(2), dim=-1).view_as(output)
        cross_entropy = -(target * log_probabilities).sum(dim=(2, 3))
        return weighted_keypoint_mean(cross_entropy, target_weights) * self.loss_weight
