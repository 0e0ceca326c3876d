"""Gaussian-smoothed randomized-rounding targets: same mean point at every position, borders
included, so the mean-shift decoder with a wide enough window inverts them exactly."""

import numpy as np
import pytest
import torch

from h3r_mmpose.codecs import RandomizedRoundingHeatmap
from h3r_mmpose.codecs.utils import (
    bilinear_support,
    exact_mean_shift_radius,
    expected_heatmaps,
    mean_shift,
    smooth_heatmaps,
    stochastic_heatmaps,
)

HEATMAP_SIZE = (24, 32)


def points_with_borders(num: int, seed: int = 0) -> np.ndarray:
    """Grid points (K, 2): random ones, the corners, and points within a cell of a border."""
    w, h = HEATMAP_SIZE[0] - 1, HEATMAP_SIZE[1] - 1
    special = [
        [0, 0],
        [w, h],
        [0, h],
        [w, 0],
        [0.3, 7.2],
        [w - 0.4, 5.5],
        [11.5, 0.8],
        [3, h - 2.6],
    ]
    uniform = np.random.default_rng(seed).uniform([0, 0], [w, h], size=(num, 2))
    return np.concatenate([np.array(special, dtype=np.float64), uniform])


def expected_targets(points: np.ndarray) -> torch.Tensor:
    corner, fraction = bilinear_support(points, HEATMAP_SIZE)
    return torch.from_numpy(expected_heatmaps(corner, fraction, HEATMAP_SIZE))[None]


def centre_of_mass(maps: torch.Tensor) -> np.ndarray:
    """(column, row) centre of mass of maps (N, H, W), float64."""
    maps = maps.double()
    columns = torch.arange(maps.shape[2], dtype=torch.float64)
    rows = torch.arange(maps.shape[1], dtype=torch.float64)
    mass = maps.sum(dim=(1, 2))
    return torch.stack(
        [(maps.sum(1) * columns).sum(1) / mass, (maps.sum(2) * rows).sum(1) / mass], dim=1
    ).numpy()


@pytest.mark.parametrize('sigma', [0.5, 1.0, 2.0])
def test_smoothed_target_keeps_the_point_as_its_mean_borders_included(sigma):
    points = points_with_borders(300)
    smoothed = smooth_heatmaps(expected_targets(points), sigma)[0]
    np.testing.assert_allclose(smoothed.sum(dim=(1, 2)).numpy(), 1.0, atol=1e-6)
    assert smoothed.min() >= 0
    np.testing.assert_allclose(centre_of_mass(smoothed), points, atol=1e-5)
    # The decoder bound: exact with a window that holds the whole support.
    decoded, _ = mean_shift(smoothed, radius=exact_mean_shift_radius(sigma))
    np.testing.assert_allclose(decoded.numpy(), points, atol=1e-4)


def test_smoothing_is_a_gaussian_away_from_borders_and_bilinear_at_them():
    """At (11, 15), sigma 1: the profile is exp(-k^2/2) for |k| <= 3, normalised. At column
    0.3 (within a cell of the border) it is the plain bilinear target (0.7, 0.3)."""
    smoothed = smooth_heatmaps(expected_targets(np.array([[11.0, 15.0], [0.3, 15.0]])), 1.0)[0]
    offsets = np.arange(-3, 4)
    profile = np.exp(-0.5 * offsets**2) / np.exp(-0.5 * offsets**2).sum()
    np.testing.assert_allclose(smoothed[0, 15, 8:15].numpy(), profile * profile[3], atol=1e-6)
    np.testing.assert_allclose(smoothed[0, 15, 15].numpy(), 0.0)
    np.testing.assert_allclose(
        smoothed[1, 15, :3].numpy(), [0.7 * profile[3], 0.3 * profile[3], 0], atol=1e-6
    )


def test_zero_sigma_returns_the_target_and_zero_channels_stay_zero():
    targets = expected_targets(points_with_borders(5))
    assert smooth_heatmaps(targets, 0.0) is targets
    targets[0, 2] = 0
    smoothed = smooth_heatmaps(targets, 1.5)
    assert smoothed[0, 2].abs().max() == 0
    assert torch.isfinite(smoothed).all()


@pytest.mark.parametrize('sigma', [-0.5, float('nan'), float('inf')])
def test_bad_sigma_raises(sigma):
    with pytest.raises(ValueError, match=f'sigma must be a finite number >= 0, got {sigma}'):
        smooth_heatmaps(expected_targets(points_with_borders(1)), sigma)


def test_smoothed_stochastic_draws_are_unbiased():
    """Each smoothed one-hot draw has the drawn cell as its mean; over 4000 seeded draws the
    mean of the decoded draws is the point (standard error ~0.008 cells here)."""
    np.random.seed(0)
    points = np.array([[7.3, 9.8], [0.4, 30.6], [22.9, 1.2]])
    corner, fraction = bilinear_support(points, HEATMAP_SIZE)
    draws = torch.from_numpy(
        np.stack([stochastic_heatmaps(corner, fraction, HEATMAP_SIZE) for _ in range(4000)])
    )
    smoothed = smooth_heatmaps(draws, 1.0)
    decoded = mean_shift(smoothed.reshape(-1, 32, 24), radius=4.5)[0].numpy().reshape(4000, 3, 2)
    np.testing.assert_allclose(decoded.mean(axis=0), points, atol=0.03)


def test_codec_round_trip_of_smoothed_targets_through_the_whole_frame():
    """The codec's target, smoothed as the loss does it, decodes to the keypoint in input
    pixels with a mean-shift radius of ceil(3 sigma) + 1.5."""
    model = RandomizedRoundingHeatmap((96, 128), HEATMAP_SIZE, radius=exact_mean_shift_radius(1.0))
    rng = np.random.default_rng(3)
    keypoints = np.concatenate([[[0, 0], [95, 127], [95, 0]], rng.uniform(0, [95, 127], (100, 2))])
    target = torch.from_numpy(model.encode(keypoints[None])['heatmaps'])[None]
    decoded, _ = model.decode_tensor(smooth_heatmaps(target, 1.0))
    np.testing.assert_allclose(decoded[0].numpy(), keypoints, atol=1e-4)
