"""Finding each heatmap's peak quickly, robust to NaN, infinite and negative values."""

from typing import Tuple

import torch
from torch import Tensor


def usable_weights(values: Tensor) -> Tensor:
    """Heatmap values as averaging weights: NaN, infinite and negative values count as 0.

    Two comparisons rather than ``isfinite``, which ONNX export turns into a float64 cast and
    ``IsInf`` (neither runs on TensorRT before 8.6); both are false for NaN.
    """
    usable = (values > 0) & (values < float('inf'))
    return torch.where(usable, values, torch.zeros_like(values))


def max_cells(flat_maps: Tensor) -> Tuple[Tensor, Tensor]:
    """Each row's maximum and a flat index where it occurs.

    ``Tensor.max(dim)`` tracks indices element by element and is slow on CPU. When a row
    splits into 64- or 32-wide lanes, a vectorised ``amax`` over the lanes finds the lane
    holding the maximum, and a search of that lane alone finds its position: the same maximum
    (on ties, possibly another cell holding it) for less work.

    Args:
        flat_maps (Tensor): shape (N, L).

    Returns:
        tuple: maxima (N,) and flat indices (N,), int64. NaN propagates to the maximum.
    """
    num_maps, length = flat_maps.shape
    lanes = next((lanes for lanes in (64, 32) if length % lanes == 0), None)
    if lanes is None:
        return flat_maps.max(dim=1)
    chunks = flat_maps.view(num_maps, length // lanes, lanes)
    lane_maxima = chunks.amax(dim=1)  # (N, lanes)
    maxima, lane = lane_maxima.max(dim=1)
    lane_values = chunks.gather(2, lane.view(-1, 1, 1).expand(-1, length // lanes, 1))
    chunk = lane_values.squeeze(2).argmax(dim=1)
    return maxima, chunk * lanes + lane


def peak_indices(flat_maps: Tensor) -> Tensor:
    """Flat index of a largest usable value of each map (see :func:`usable_weights`).

    Eagerly, only maps whose maximum is NaN or +inf are cleaned and searched again, so
    well-formed batches pay for no cleaning pass. While tracing (ONNX export) that
    data-dependent branch cannot be recorded, so every map is cleaned first: the same result.

    Args:
        flat_maps (Tensor): shape (N, H*W).

    Returns:
        Tensor: shape (N,), int64.
    """
    if torch.jit.is_tracing():
        return usable_weights(flat_maps).argmax(dim=1)
    maxima, indices = max_cells(flat_maps)
    unusable = ~torch.isfinite(maxima)
    if unusable.any():
        indices[unusable] = usable_weights(flat_maps[unusable]).argmax(dim=1)
    return indices
