"""Softmax cross-entropy over the heatmap grid."""

import torch
import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor, nn


def grid_log_softmax(logits: Tensor) -> Tensor:
    """Log-probabilities over each channel's H*W grid.

    Args:
        logits (Tensor): raw head output, shape (B, K, H, W).

    Returns:
        Tensor: shape (B, K, H, W); ``exp`` of each channel sums to 1.
    """
    return F.log_softmax(logits.flatten(2), dim=-1).view_as(logits)


@MODELS.register_module()
class HeatmapCrossEntropyLoss(nn.Module):
    """Cross-entropy between a softmax over the H*W grid and a target distribution.

    The target is the codec's heatmap (a one-hot randomized-rounding draw or its bilinear
    expectation). For a fixed input, the expected loss over draws is minimised when the
    predicted distribution equals the expected target, which is exactly the map that
    :class:`~h3r_mmpose.codecs.RandomizedRoundingHeatmap` decodes losslessly. The
    minimum is the target's entropy (0 for one-hot targets), not 0.

    Args:
        loss_weight (float): multiplier of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

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
        if output.shape != target.shape:
            raise ValueError(
                f'output shape {tuple(output.shape)} does not match target '
                f'shape {tuple(target.shape)}'
            )
        if target_weights.shape != output.shape[:2]:
            raise ValueError(
                f'target_weights must have shape {tuple(output.shape[:2])}, '
                f'got {tuple(target_weights.shape)}'
            )
        cross_entropy = -(target * grid_log_softmax(output)).sum(dim=(2, 3))
        # where(), not a product: a zero weight must also silence a non-finite entropy.
        weighted = torch.where(
            target_weights > 0, cross_entropy * target_weights, torch.zeros_like(cross_entropy)
        )
        return weighted.mean() * self.loss_weight
