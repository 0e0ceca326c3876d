"""Randomized-rounding targets over the heatmap grid, and their Gaussian-smoothed form."""

import math
from typing import Tuple

import numpy as np
import torch
from torch import Tensor


def expected_heatmaps(
    corner: np.ndarray, fraction: np.ndarray, heatmap_size: Tuple[int, int]
) -> np.ndarray:
    """The bilinear 2x2 targets: the expectation of the randomized-rounding draws.

    Args:
        corner (np.ndarray): support corners, shape (K, 2), from ``bilinear_support``.
        fraction (np.ndarray): offsets in [0, 1], shape (K, 2).
        heatmap_size (tuple): ``(W, H)``.

    Returns:
        np.ndarray: probabilities over the grid, shape (K, H, W), each channel sums to 1.
    """
    width, height = heatmap_size
    num_keypoints = corner.shape[0]
    heatmaps = np.zeros((num_keypoints, height * width), dtype=np.float32)
    fx, fy = fraction[:, 0:1], fraction[:, 1:2]
    weights = np.concatenate([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy], axis=1)
    low = corner[:, 1:2] * width + corner[:, 0:1]
    cells = np.concatenate([low, low + 1, low + width, low + width + 1], axis=1)
    heatmaps[np.arange(num_keypoints)[:, None], cells] = weights
    return heatmaps.reshape(num_keypoints, height, width)


def stochastic_heatmaps(
    corner: np.ndarray, fraction: np.ndarray, heatmap_size: Tuple[int, int]
) -> np.ndarray:
    """One-hot targets at a 2x2 neighbour drawn by randomized rounding.

    Each axis rounds up with probability equal to its fractional part, so the drawn cell's
    expectation is the point itself. Draws come from NumPy's global generator, which
    MMEngine seeds per worker from the config's ``randomness``.

    Args:
        corner (np.ndarray): support corners, shape (K, 2).
        fraction (np.ndarray): offsets in [0, 1], shape (K, 2).
        heatmap_size (tuple): ``(W, H)``.

    Returns:
        np.ndarray: one-hot heatmaps, shape (K, H, W).
    """
    width, height = heatmap_size
    num_keypoints = corner.shape[0]
    drawn = corner + (np.random.random(fraction.shape) < fraction)
    heatmaps = np.zeros((num_keypoints, height, width), dtype=np.float32)
    heatmaps[np.arange(num_keypoints), drawn[:, 1], drawn[:, 0]] = 1.0
    return heatmaps


def smoothing_radius(sigma: float) -> int:
    """Half-width in cells of the truncated Gaussian kernel: ``ceil(3 * sigma)``."""
    return int(math.ceil(3 * sigma))


def exact_mean_shift_radius(sigma: float) -> float:
    """The smallest mean-shift radius that decodes a target smoothed by ``sigma`` exactly.

    The smoothed target reaches ``smoothing_radius(sigma)`` cells beyond the 2x2 support,
    which the window holds from ``radius >= 1.5`` on.
    """
    return smoothing_radius(sigma) + 1.5


def _smoothed_profiles(centres: Tensor, length: int, sigma: float) -> Tensor:
    """1-D bilinear profiles convolved with a centred, border-shrunk Gaussian kernel.

    A profile puts ``1-f`` on cell ``c`` and ``f`` on ``c+1`` (``centres = c + f``) and
    convolves it with a Gaussian truncated to ``|k| <= r``. Near a border both ``r`` and
    ``sigma`` shrink in proportion, to the largest radius whose support still fits in the
    map. The kernel stays symmetric, so the profile's mean is exactly ``centres``, borders
    included; within one cell of a border the profile is the plain bilinear one.

    Args:
        centres (Tensor): positions in cells along one axis, shape (N,), in [0, length-1].
        length (int): cells along the axis, >= 2.
        sigma (float): kernel width in cells, > 0.

    Returns:
        Tensor: profiles, shape (N, length), each sums to 1.
    """
    radius = smoothing_radius(sigma)
    corner = centres.floor().clamp(0, length - 2)
    fraction = centres - corner
    fitting = torch.minimum(corner, length - 2 - corner).clamp(max=radius)  # (N,)
    local_sigma = (sigma * fitting / radius).clamp(min=1e-6)
    cells = torch.arange(length, dtype=centres.dtype, device=centres.device)

    def kernel_at(offsets: Tensor) -> Tensor:  # (N, length) unnormalised kernel values
        inside = offsets.abs() <= fitting[:, None]
        values = torch.exp(-0.5 * (offsets / local_sigma[:, None]) ** 2)
        return torch.where(inside, values, torch.zeros_like(values))

    low = kernel_at(cells[None] - corner[:, None])
    high = kernel_at(cells[None] - corner[:, None] - 1)
    return (1 - fraction[:, None]) * low / low.sum(1, keepdim=True) + fraction[
        :, None
    ] * high / high.sum(1, keepdim=True)


def smooth_heatmaps(heatmaps: Tensor, sigma: float) -> Tensor:
    """Gaussian-smoothed randomized-rounding targets with the same mean point.

    Each channel's point is recovered as the channel's mean (exact for the bilinear target
    and for a one-hot draw), and the target is rebuilt as the product of two smoothed 1-D
    profiles (:func:`_smoothed_profiles`). Its mean is the same point, borders included, so
    a decoder whose window holds the whole support (``RandomizedRoundingHeatmap`` with the
    mean-shift ``radius >= ceil(3 * sigma) + 1.5``) returns it exactly. Channels that sum to
    zero (keypoints of weight zero) stay zero.

    Args:
        heatmaps (Tensor): bilinear or one-hot targets, shape (B, K, H, W).
        sigma (float): kernel width in cells; 0 returns ``heatmaps`` unchanged.

    Returns:
        Tensor: smoothed targets, shape (B, K, H, W), each non-zero channel sums to 1.
    """
    if sigma < 0 or not math.isfinite(sigma):
        raise ValueError(f'sigma must be a finite number >= 0, got {sigma!r}')
    if sigma == 0:
        return heatmaps
    batch_size, num_keypoints, height, width = heatmaps.shape
    maps = heatmaps.reshape(-1, height, width).to(torch.float64)
    mass = maps.sum(dim=(1, 2))
    safe_mass = torch.where(mass > 0, mass, torch.ones_like(mass))
    columns = torch.arange(width, dtype=maps.dtype, device=maps.device)
    rows = torch.arange(height, dtype=maps.dtype, device=maps.device)
    centre_x = (maps.sum(1) * columns).sum(1) / safe_mass
    centre_y = (maps.sum(2) * rows).sum(1) / safe_mass
    profile_x = _smoothed_profiles(centre_x.clamp(0, width - 1), width, sigma)
    profile_y = _smoothed_profiles(centre_y.clamp(0, height - 1), height, sigma)
    smoothed = profile_y[:, :, None] * profile_x[:, None, :] * (mass > 0)[:, None, None]
    return smoothed.reshape(batch_size, num_keypoints, height, width).to(heatmaps.dtype)
