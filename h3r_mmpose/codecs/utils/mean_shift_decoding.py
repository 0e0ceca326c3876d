"""Decoding a heatmap as its centre of mass in a window centred on the estimate itself."""

import math
from typing import Tuple

import torch
from torch import Tensor

from .block import peak_block

#: Window updates after the first estimate; the estimate settles within 1e-3 cells after
#: two or three on blurred maps, and after the first on ideal targets (see the tests).
MEAN_SHIFT_STEPS = 3


def window_weights(positions: Tensor, centre: Tensor, radius: float) -> Tensor:
    """Overlap of each cell with the window ``[centre - radius, centre + radius]`` along one
    axis: 1 inside, 0 outside, linear across the window's edge cell.

    Args:
        positions (Tensor): cell positions, shape (N, L).
        centre (Tensor): window centres, shape (N, 1).
        radius (float): half-width of the window in cells.

    Returns:
        Tensor: shape (N, L), in [0, 1].
    """
    return (radius + 0.5 - (positions - centre).abs()).clamp(0, 1)


def mean_shift(maps: Tensor, radius: float) -> Tuple[Tensor, Tensor]:
    """Centre of mass in a window of half-width ``radius`` that is centred on its own result.

    Starting from the peak cell, the estimate is replaced by the centre of mass of the map
    seen through the window centred on it (a mean shift with a box kernel whose edge cells
    count in proportion to their overlap). The window never truncates a map that is
    symmetric about a point near the peak, so on such maps (a keypoint blurred by its
    uncertainty) the estimate has none of the top-k mean's pull towards the peak cell. On
    the ideal bilinear target, ``radius >= 1.5`` holds the whole 2x2 support from the first
    step, so the result is exact; on Gaussian-smoothed targets of radius ``r`` cells it is
    exact for ``radius >= r + 1.5``.

    Args:
        maps (Tensor): heatmaps, shape (N, H, W); values that are not finite and positive
            count as zero weight.
        radius (float): half-width of the window in cells, >= 1.5.

    Returns:
        tuple:
        - grid_coords (Tensor): (column, row) in heatmap cells, shape (N, 2); NaN where the
          window holds no weight.
        - mass (Tensor): the map's weight inside the final window, shape (N,).
    """
    # The estimate stays within about a cell of the peak, so cells further than
    # radius + 1.5 from it never enter the window.
    side = 2 * math.ceil(radius + 1.5) + 1
    block, corner, peak = peak_block(maps, side)
    _, block_height, block_width = block.shape
    columns = torch.arange(block_width, device=maps.device).to(block)[None]
    rows = torch.arange(block_height, device=maps.device).to(block)[None]
    estimate = peak - corner  # the peak cell, in block coordinates
    for _ in range(1 + MEAN_SHIFT_STEPS):
        weights = (
            block
            * window_weights(rows, estimate[:, 1:2], radius)[:, :, None]
            * window_weights(columns, estimate[:, 0:1], radius)[:, None, :]
        )
        mass = weights.sum(dim=(1, 2))
        estimate = (
            torch.stack([(weights.sum(1) * columns).sum(1), (weights.sum(2) * rows).sum(1)], dim=-1)
            / mass[:, None]
        )
    return corner + estimate, mass
