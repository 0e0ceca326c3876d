"""The paper's training form: a binary classifier per heatmap cell."""

import math

import torch
import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor, nn

from .keypoint_weighting import (
    check_loss_inputs,
    check_num_cells,
    weighted_keypoint_mean,
    weighted_targets,
)


@MODELS.register_module()
class HeatmapBinaryCrossEntropyLoss(nn.Module):
    """Per-cell binary cross-entropy: is this cell the keypoint's randomized-rounding draw?

    The official H3R release gives each cell two logits (a two-class softmax per cell and
    keypoint) trained on the one-hot draw. A two-class softmax is the sigmoid of the
    difference of its logits, so the head keeps one logit per cell and this loss applies
    the sigmoid. The cross-entropy is summed over the cells of a keypoint (the scale of the
    grid cross-entropy) and averaged over keypoints. For a fixed input the per-cell optimum
    is the probability that the cell is drawn: the bilinear weights of the expected target,
    which the ``'mean_shift'`` decoder inverts exactly.

    Args:
        loss_weight (float): multiplier of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    @staticmethod
    def initial_logit(num_cells: int) -> float:
        """The final layer's initial bias: the logit of ``1 / num_cells``, the chance that a
        cell is the drawn one before anything is learnt.

        With a bias of 0 every cell starts at probability 1/2, and the ``num_cells - 1``
        negatives' gradient drives the whole network to a constant output, where it stays
        instead of training.

        Args:
            num_cells (int): cells of one heatmap, ``W * H``, >= 2.

        Returns:
            float: ``-log(num_cells - 1)``.
        """
        check_num_cells(num_cells)
        return -math.log(num_cells - 1)

    @staticmethod
    def probabilities(logits: Tensor) -> Tensor:
        """The per-cell probabilities this loss fits: ``sigmoid(logits)``, shape (B, K, H, W)."""
        return torch.sigmoid(logits)

    def forward(self, output: Tensor, target: Tensor, target_weights: Tensor) -> Tensor:
        """Weighted mean over keypoints of the per-cell cross-entropy summed over cells.

        Args:
            output (Tensor): logits, shape (B, K, H, W).
            target (Tensor): per-cell targets in [0, 1], shape (B, K, H, W).
            target_weights (Tensor): keypoint weights, shape (B, K); weight 0 contributes
                neither loss nor gradient.

        Returns:
            Tensor: scalar loss.
        """
        check_loss_inputs(output, target, target_weights)
        target = weighted_targets(target, target_weights)
        per_cell = F.binary_cross_entropy_with_logits(output, target, reduction='none')
        return weighted_keypoint_mean(per_cell.sum(dim=(2, 3)), target_weights) * self.loss_weight
