"""The corner-to-corner grid: where heatmap cells sit in the input image.

Input pixel ``i`` has its centre at coordinate ``i`` (as in MMPose's ``TopdownAffine`` and
OpenCV), so the input frame is ``[0, w-1] x [0, h-1]``. Heatmap cell ``j`` sits at input
coordinate ``j * (w-1) / (W-1)``: the grid spans the frame from corner pixel centre to corner
pixel centre, so every point of the frame, borders included, has a 2x2 support inside the map
and the grid is mirror-symmetric (flip maps cell ``j`` to ``W-1-j``).
"""

from typing import Sequence, Tuple, TypeVar

import numpy as np

#: A numpy array or a torch tensor: the mapping is plain arithmetic on either.
ArrayLike = TypeVar('ArrayLike')


def check_size(name: str, size: Sequence[int]) -> Tuple[int, int]:
    """Validate a ``(width, height)`` pair of integers >= 2.

    Raises:
        ValueError: naming ``name`` and the value.
    """
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(v, (int, np.integer)) for v in size)
        or min(size) < 2
    ):
        raise ValueError(f'{name} must be a (width, height) pair of integers >= 2, got {size!r}')
    return int(size[0]), int(size[1])


def input_to_grid(
    coords: ArrayLike, input_size: Tuple[int, int], heatmap_size: Tuple[int, int]
) -> ArrayLike:
    """Map input-pixel coordinates to heatmap cells.

    Multiplies before dividing, so the frame's far corner lands exactly on the last cell.

    Args:
        coords (np.ndarray | Tensor): (x, y) in input pixels, shape (..., 2).
        input_size (tuple): ``(w, h)``.
        heatmap_size (tuple): ``(W, H)``.

    Returns:
        np.ndarray | Tensor: (column, row) in heatmap cells, shape (..., 2), same type.
    """
    cells, pixels = _spans(input_size, heatmap_size)
    return _scaled(coords, cells, pixels)


def grid_to_input(
    grid_coords: ArrayLike, input_size: Tuple[int, int], heatmap_size: Tuple[int, int]
) -> ArrayLike:
    """Map heatmap cells to input-pixel coordinates; the inverse of :func:`input_to_grid`.

    Args:
        grid_coords (np.ndarray | Tensor): (column, row) in cells, shape (..., 2).
        input_size, heatmap_size: as in :func:`input_to_grid`.

    Returns:
        np.ndarray | Tensor: (x, y) in input pixels, of the same shape and type.
    """
    cells, pixels = _spans(input_size, heatmap_size)
    return _scaled(grid_coords, pixels, cells)


def _spans(
    input_size: Tuple[int, int], heatmap_size: Tuple[int, int]
) -> Tuple[np.ndarray, np.ndarray]:
    """The grid's span in cells, ``(W-1, H-1)``, and in input pixels, ``(w-1, h-1)``."""
    cells = np.asarray(heatmap_size, dtype=np.float64) - 1
    return cells, np.asarray(input_size, dtype=np.float64) - 1


def _scaled(coords: ArrayLike, numerator: np.ndarray, denominator: np.ndarray) -> ArrayLike:
    """``coords * numerator / denominator`` per axis, for arrays and tensors alike."""
    if isinstance(coords, np.ndarray):
        return coords * numerator / denominator
    # A tensor: the factors become constants of its dtype and device (traceable).
    factor = coords.new_tensor(numerator / denominator)
    return coords * factor


def bilinear_support(
    grid_coords: np.ndarray, heatmap_size: Tuple[int, int]
) -> Tuple[np.ndarray, np.ndarray]:
    """Low corner and fractional offset of each point's 2x2 support.

    The corner is clipped to ``size - 2`` so a point on the last row or column keeps its
    support inside the map (with fraction 1 instead of a neighbour that falls off it).

    Args:
        grid_coords (np.ndarray): points in heatmap cells, shape (K, 2), inside the grid.
        heatmap_size (tuple): ``(W, H)``.

    Returns:
        tuple:
        - corner (np.ndarray): integer cell of the support's low corner, shape (K, 2).
        - fraction (np.ndarray): offset from that corner in [0, 1], shape (K, 2).
    """
    last_corner = np.asarray(heatmap_size) - 2
    corner = np.clip(np.floor(grid_coords), 0, last_corner).astype(np.int64)
    return corner, grid_coords - corner
