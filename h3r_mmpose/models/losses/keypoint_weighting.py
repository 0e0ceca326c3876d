"""What the H3R losses share: input checks and the per-keypoint weighted mean."""

import torch
from torch import Tensor


def check_loss_inputs(output: Tensor, target: Tensor, target_weights: Tensor) -> None:
    """Raise a ValueError naming the mismatch when the shapes do not agree.

    Args:
        output (Tensor): logits, shape (B, K, H, W).
        target (Tensor): shape (B, K, H, W).
        target_weights (Tensor): shape (B, K).
    """
    if output.shape != target.shape:
        raise ValueError(
            f'output shape {tuple(output.shape)} does not match target shape {tuple(target.shape)}'
        )
    if target_weights.shape != output.shape[:2]:
        raise ValueError(
            f'target_weights must have shape {tuple(output.shape[:2])}, got '
            f'{tuple(target_weights.shape)}'
        )


def check_num_cells(num_cells: int) -> None:
    """Raise ``ValueError`` unless ``num_cells`` (the cells of one heatmap) is an int >= 2."""
    if isinstance(num_cells, bool) or not isinstance(num_cells, int) or num_cells < 2:
        raise ValueError(f'num_cells must be an integer >= 2, got {num_cells!r}')


def weighted_targets(target: Tensor, target_weights: Tensor) -> Tensor:
    """The targets with the channels of weight-0 keypoints set to zero.

    Whatever such a channel holds (NaN included) then reaches neither the loss nor, through
    ``0 * NaN`` in the backward pass, the gradient.

    Args:
        target (Tensor): shape (B, K, H, W).
        target_weights (Tensor): shape (B, K).

    Returns:
        Tensor: shape (B, K, H, W).
    """
    return torch.where(target_weights[..., None, None] > 0, target, torch.zeros_like(target))


def weighted_keypoint_mean(per_keypoint: Tensor, target_weights: Tensor) -> Tensor:
    """Mean over B*K keypoints of ``per_keypoint * target_weights``.

    ``where()``, not a product: a zero weight also silences a non-finite per-keypoint loss
    (and its gradient).

    Args:
        per_keypoint (Tensor): shape (B, K).
        target_weights (Tensor): shape (B, K).

    Returns:
        Tensor: scalar.
    """
    weighted = torch.where(
        target_weights > 0, per_keypoint * target_weights, torch.zeros_like(per_keypoint)
    )
    return weighted.mean()
