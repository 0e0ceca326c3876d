"""Rendering synthetic landmark images: every mark is drawn exactly at its label."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from h3r_mmpose.benchmarks.datasets.synthetic_landmarks_info import (
    SHAPES,
    MarkStyle,
    mark_styles,
)
from h3r_mmpose.benchmarks.datasets.synthetic_landmarks_render import (
    CLEARANCE,
    MARK_FOOTPRINT,
    draw_distractors,
    draw_marks,
    mark_coverage,
    render_landmark_image,
    sample_keypoints,
)

IMAGE_SIZE = (128, 128)


def _intensity_centroid(image: np.ndarray) -> np.ndarray:
    """Centre of mass (x, y) of an image, shape (H, W, 3), in pixels."""
    mass = image.astype(np.float64).sum(axis=2)
    ys, xs = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    return np.array([(mass * xs).sum(), (mass * ys).sum()]) / mass.sum()


@pytest.mark.parametrize('style', mark_styles(len(SHAPES)), ids=lambda s: s.name)
def test_lone_mark_centroid_is_its_label(style: MarkStyle) -> None:
    rng = np.random.default_rng(0)
    blank = np.zeros((48, 48, 3), dtype=np.uint8)
    for centre in rng.uniform(18.0, 30.0, size=(8, 2)):
        image = draw_marks(blank, centre[None], [style])
        assert np.abs(_intensity_centroid(image) - centre).max() < 0.05


def test_lone_mark_moves_with_sub_pixel_label() -> None:
    blank = np.zeros((48, 48, 3), dtype=np.uint8)
    (style,) = mark_styles(1)
    centres = np.array([[24.0, 24.0], [24.3, 24.0], [24.3, 23.6]])
    images = [draw_marks(blank, centre[None], [style]) for centre in centres]
    assert not np.array_equal(images[0], images[1])
    assert not np.array_equal(images[1], images[2])
    shifts = [_intensity_centroid(image) - _intensity_centroid(images[0]) for image in images]
    np.testing.assert_allclose(shifts, centres - centres[0], atol=0.05)


def test_full_image_shows_each_mark_at_its_label() -> None:
    num_keypoints = 12
    styles = mark_styles(num_keypoints)
    for seed in range(3):
        image, keypoints = render_landmark_image(
            np.random.default_rng(seed), IMAGE_SIZE, num_keypoints
        )
        assert image.shape == (128, 128, 3) and image.dtype == np.uint8
        assert keypoints.shape == (num_keypoints, 2)
        for centre, style in zip(keypoints, styles):
            (x0, y0), fill, _ = mark_coverage(style.shape, centre, IMAGE_SIZE)
            patch = image[y0 : y0 + fill.shape[0], x0 : x0 + fill.shape[1]]
            inside = fill == 1.0
            assert np.count_nonzero(inside) >= 10
            assert np.all(patch[inside] == style.colour)


def test_marks_stay_inside_and_apart() -> None:
    for seed in range(10):
        _, keypoints = render_landmark_image(np.random.default_rng(seed), IMAGE_SIZE, 12)
        assert np.all(keypoints - MARK_FOOTPRINT >= -0.5)
        assert np.all(keypoints + MARK_FOOTPRINT <= 128 - 0.5)
        for first, second in itertools.combinations(keypoints, 2):
            assert np.hypot(*(first - second)) >= 2 * MARK_FOOTPRINT


def test_distractors_keep_clear_of_marks() -> None:
    ys, xs = np.mgrid[0:128, 0:128]
    for seed in range(60):
        rng = np.random.default_rng(seed)
        keypoints = sample_keypoints(rng, IMAGE_SIZE, 12)
        distance = np.min(
            np.hypot(xs[..., None] - keypoints[:, 0], ys[..., None] - keypoints[:, 1]), axis=2
        )
        drawn = draw_distractors(np.zeros((128, 128, 3), np.uint8), rng, keypoints)
        assert np.any(drawn > 0)
        assert not np.any(drawn[distance <= MARK_FOOTPRINT + CLEARANCE])


def test_mark_templates_are_distinct() -> None:
    styles = mark_styles(12)
    assert len({style.name for style in styles}) == 12
    blank = np.zeros((32, 32, 3), dtype=np.uint8)
    centre = np.array([[16.0, 16.0]])
    templates = [draw_marks(blank, centre, [style]).astype(np.int32) for style in styles]
    for first, second in itertools.combinations(templates, 2):
        # Over 10 pixels (of the ~150 a mark covers) differ clearly in colour.
        differs = np.abs(first - second).max(axis=2) > 64
        assert np.count_nonzero(differs) > 10


def test_unknown_shape_raises() -> None:
    with pytest.raises(ValueError, match='shape'):
        mark_coverage('hexagon', (10.0, 10.0), (32, 32))
