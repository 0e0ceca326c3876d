"""Flip testing on the corner-to-corner grid: the probability maps of a crop and its mirror."""

from typing import Sequence

from mmpose.models.utils.tta import flip_heatmaps
from torch import Tensor


def flip_average(
    probabilities: Tensor,
    flipped_probabilities: Tensor,
    flip_indices: Sequence[int],
    flip_mode: str = 'heatmap',
    shift_heatmap: bool = False,
) -> Tensor:
    """The mean of a crop's probability maps and its mirror image's, flipped back.

    The mirror's maps are reversed along W and their channels permuted by ``flip_indices``
    (MMPose's :func:`flip_heatmaps`), so each keypoint's two maps describe the same crop.
    The codec's grid is mirror-symmetric (cell ``j`` mirrors to ``W-1-j``), so reversing is
    the whole flip: keep ``shift_heatmap=False``, which MMPose's heads need for the MSRA
    convention and which here would move every point by one cell.

    Args:
        probabilities (Tensor): the crop's maps, shape (B, K, H, W).
        flipped_probabilities (Tensor): the mirrored crop's maps, shape (B, K, H, W).
        flip_indices (Sequence[int]): each keypoint's mirror partner, K entries.
        flip_mode (str): see :func:`flip_heatmaps`. Defaults to ``'heatmap'``.
        shift_heatmap (bool): see :func:`flip_heatmaps`. Defaults to False.

    Returns:
        Tensor: shape (B, K, H, W).
    """
    flipped_back = flip_heatmaps(
        flipped_probabilities,
        flip_mode=flip_mode,
        flip_indices=flip_indices,
        shift_heatmap=shift_heatmap,
    )
    return (probabilities + flipped_back) / 2
