"""Rendering of synthetic landmark images with exact sub-pixel ground truth.

An image shows K landmarks, each a distinct mark
(:mod:`.synthetic_landmarks_info`) at a continuous position, on a cluttered
background: smooth random colour gradients, colour noise, and distractor
strokes and elongated blobs that keep clear of the marks.

Pixel convention (that of cv2 and of MMPose's ``TopdownAffine``): pixel
``(i, j)`` (column i, row j) covers ``[i - 0.5, i + 0.5] x [j - 0.5, j + 0.5]``
and has its centre at the coordinate ``(i, j)``; an image of width W spans
``[-0.5, W - 0.5]``. A landmark at ``(x, y)`` is the centre of its mark in
these coordinates.

Why the labels are exact: every mark is point-symmetric about its centre, and
its coverage of each pixel is integrated with ``SAMPLES_PER_PIXEL`` samples,
so the image is a fine-grained function of the label (an axis-aligned edge
changes the image every 1/64 px) and the intensity centroid of a lone mark
lies within 0.03 px of its label. The residue is aliasing of sharp edges
sampled at pixel centres, not label noise: the rendering is a deterministic
function of the label. Marks never overlap each other or the distractors.

All functions draw their randomness from the ``numpy.random.Generator`` they
are given, so an image is a function of the generator's seed.
"""

from __future__ import annotations

import math
from typing import Callable, Dict, Sequence, Tuple

import cv2
import numpy as np

from .synthetic_landmarks_info import MarkStyle, check_num_keypoints, mark_styles

# Mark size in pixels: the shapes are scaled so that a disc has this radius.
MARK_RADIUS = 6.0
# Width of the black outline around each mark, which keeps it visible on any
# background.
HALO_WIDTH = 1.0
# Samples per pixel when integrating a mark's coverage, and the generator of
# their lattice (see _sample_offsets); 27 gave the smallest centroid errors of
# all odd generators.
SAMPLES_PER_PIXEL = 64
LATTICE_GENERATOR = 27
# Radius around the centre that holds every shape and its halo: the square's
# corner lies at 0.8 * sqrt(2) = 1.13 radii.
MARK_FOOTPRINT = 1.15 * MARK_RADIUS + HALO_WIDTH
# Free pixels kept between a mark's footprint and anything else drawn.
CLEARANCE = 2.0
# Largest fraction of the sampling area that the marks' exclusion discs may
# fill; random sequential placement stays fast well below the jamming limit
# (~0.55).
MAX_CROWDING = 0.4

ImageSize = Tuple[int, int]
SignedDistance = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _box_distance(dx: np.ndarray, dy: np.ndarray, half_w: float, half_h: float) -> np.ndarray:
    """Signed distance to an axis-aligned box centred at the origin."""
    qx = np.abs(dx) - half_w
    qy = np.abs(dy) - half_h
    outside = np.hypot(np.maximum(qx, 0.0), np.maximum(qy, 0.0))
    inside = np.minimum(np.maximum(qx, qy), 0.0)
    return outside + inside


def _plus_distance(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Signed distance to a plus with arms of length 1 and width 0.6."""
    return np.minimum(_box_distance(dx, dy, 1.0, 0.3), _box_distance(dx, dy, 0.3, 1.0))


def _cross_distance(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Signed distance to the plus turned by 45 degrees."""
    return _plus_distance((dx + dy) / math.sqrt(2.0), (dx - dy) / math.sqrt(2.0))


def _bullseye_distance(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Signed distance to a dot of radius 0.3 inside a ring from 0.6 to 1."""
    radius = np.hypot(dx, dy)
    return np.minimum(radius - 0.3, np.abs(radius - 0.8) - 0.2)


# Signed distance (negative inside) of each shape as a function of the offsets
# (dx, dy) from the mark's centre, all in units of MARK_RADIUS. All are even in
# (dx, dy), i.e. point-symmetric. The diamond's is exact only near its edges,
# which is all that coverage and a thin halo need.
SHAPE_DISTANCES: Dict[str, SignedDistance] = {
    'disc': lambda dx, dy: np.hypot(dx, dy) - 1.0,
    'ring': lambda dx, dy: np.abs(np.hypot(dx, dy) - 0.75) - 0.25,
    'plus': _plus_distance,
    'square': lambda dx, dy: _box_distance(dx, dy, 0.8, 0.8),
    'diamond': lambda dx, dy: (np.abs(dx) + np.abs(dy) - 1.0) / math.sqrt(2),
    'cross': _cross_distance,
    'frame': lambda dx, dy: np.abs(_box_distance(dx, dy, 0.6, 0.6)) - 0.2,
    'bullseye': _bullseye_distance,
}


def check_image_size(image_size: Sequence[int], num_keypoints: int) -> None:
    """Raise ``ValueError`` unless K marks fit easily into ``image_size``.

    Args:
        image_size (Sequence[int]): ``(width, height)`` in pixels.
        num_keypoints (int): Number of landmarks K.
    """
    check_num_keypoints(num_keypoints)
    if (
        not isinstance(image_size, (tuple, list))
        or len(image_size) != 2
        or not all(_is_int(side) for side in image_size)
    ):
        raise ValueError(f'image_size must be (width, height) ints, got {image_size!r}')
    min_side = int(math.ceil(4 * MARK_FOOTPRINT))
    if min(image_size) < min_side:
        raise ValueError(
            f'image_size must be at least {min_side} px per side, got {tuple(image_size)!r}'
        )
    low, high = _centre_range(image_size)
    separation = _min_separation()
    sampling_area = float(np.prod(high - low))
    if num_keypoints * separation**2 > MAX_CROWDING * sampling_area:
        raise ValueError(
            f'image_size={tuple(image_size)!r} is too small for '
            f'num_keypoints={num_keypoints} non-overlapping marks'
        )


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _centre_range(image_size: Sequence[int]) -> Tuple[np.ndarray, np.ndarray]:
    """Lowest and highest (x, y) of a mark centre, each of shape (2,).

    The footprint stays inside the image, which spans [-0.5, W - 0.5], with
    half a pixel to spare for the outermost anti-aliased pixel.
    """
    size = np.asarray(image_size, dtype=np.float64)
    return np.full(2, MARK_FOOTPRINT), size - 1.0 - MARK_FOOTPRINT


def _min_separation() -> float:
    """Smallest distance between two mark centres."""
    return 2.0 * MARK_FOOTPRINT + CLEARANCE


def sample_keypoints(
    rng: np.random.Generator, image_size: ImageSize, num_keypoints: int
) -> np.ndarray:
    """Draw K mark centres uniformly in the image, no two marks overlapping.

    Random sequential placement with rejection; :func:`check_image_size`
    guarantees that the image is sparse enough for it to succeed quickly.

    Args:
        rng (np.random.Generator): Source of randomness.
        image_size (tuple[int, int]): ``(width, height)``.
        num_keypoints (int): Number of landmarks K.

    Returns:
        np.ndarray: Centres (x, y) in pixels, shape (K, 2), float64.
    """
    check_image_size(image_size, num_keypoints)
    low, high = _centre_range(image_size)
    separation = _min_separation()
    while True:  # restart on the rare dead end
        keypoints = np.empty((0, 2))
        for _ in range(100 * num_keypoints):
            candidate = rng.uniform(low, high)
            if np.all(np.hypot(*(keypoints - candidate).T) >= separation):
                keypoints = np.vstack([keypoints, candidate])
                if len(keypoints) == num_keypoints:
                    return keypoints


def render_background(rng: np.random.Generator, image_size: ImageSize) -> np.ndarray:
    """A random colour gradient with smooth colour blotches and grain.

    Args:
        rng (np.random.Generator): Source of randomness.
        image_size (tuple[int, int]): ``(width, height)``.

    Returns:
        np.ndarray: RGB image, shape (H, W, 3), uint8.
    """
    width, height = image_size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0.0, 2.0 * np.pi)
    projection = xs * np.cos(angle) + ys * np.sin(angle)
    ramp = (projection - projection.min()) / float(np.ptp(projection))
    start, end = rng.uniform(40.0, 215.0, size=(2, 3)).astype(np.float32)
    image = start + ramp[..., None] * (end - start)
    # Upsampling a coarse random grid gives smooth colour blotches.
    coarse = rng.normal(0.0, 25.0, size=(4, 4, 3)).astype(np.float32)
    image += cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    image += rng.normal(0.0, 4.0, size=(height, width, 3)).astype(np.float32)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def _distance_to_polyline(points: np.ndarray, polyline: np.ndarray) -> np.ndarray:
    """Distances from points, shape (N, 2), to a polyline, shape (V, 2).

    Returns:
        np.ndarray: Shape (N,).
    """
    starts, ends = polyline[:-1], polyline[1:]
    direction = ends - starts  # (V-1, 2)
    length_sq = np.maximum(np.sum(direction**2, axis=1), 1e-12)
    rel = points[:, None, :] - starts[None]  # (N, V-1, 2)
    t = np.clip(np.sum(rel * direction[None], axis=2) / length_sq, 0.0, 1.0)
    nearest = starts[None] + t[..., None] * direction[None]
    return np.min(np.hypot(*np.moveaxis(points[:, None, :] - nearest, 2, 0)), axis=1)


def draw_distractors(
    image: np.ndarray, rng: np.random.Generator, keypoints: np.ndarray
) -> np.ndarray:
    """Draw random strokes and elongated blobs that keep clear of the marks.

    Strokes are polylines of 2 to 4 vertices, blobs are ellipses about 2 to 7
    times longer than wide; neither has the marks' compact symmetric shape or
    black outline. A distractor that would come within ``CLEARANCE`` of a
    mark's footprint is drawn anew, or dropped after a few tries.

    Args:
        image (np.ndarray): RGB image, shape (H, W, 3), uint8; not modified.
        rng (np.random.Generator): Source of randomness.
        keypoints (np.ndarray): Mark centres (x, y), shape (K, 2).

    Returns:
        np.ndarray: A new image, shape (H, W, 3), uint8.
    """
    image = image.copy()
    height, width = image.shape[:2]
    area_scale = width * height / 128.0**2
    keepout = MARK_FOOTPRINT + CLEARANCE
    num_strokes = int(round(rng.integers(3, 9) * area_scale))
    num_blobs = int(round(rng.integers(2, 6) * area_scale))
    for _ in range(num_strokes):
        for _attempt in range(10):
            start = rng.uniform((0, 0), (width, height))
            steps = rng.normal(0.0, 15.0, size=(rng.integers(1, 4), 2))
            # cv2 takes integer geometry: round first, then check.
            vertices = np.rint(np.vstack([start, start + np.cumsum(steps, axis=0)]))
            thickness = int(rng.integers(1, 4))
            # Measured: cv2's anti-aliased polylines reach up to
            # thickness + 0.6 px from their axis.
            reach = thickness + 1.0
            distance = _distance_to_polyline(keypoints, vertices)
            if np.all(distance > keepout + reach):
                colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
                cv2.polylines(
                    image, [vertices.astype(np.int32)], False, colour, thickness, cv2.LINE_AA
                )
                break
    for _ in range(num_blobs):
        for _attempt in range(10):
            centre = np.rint(rng.uniform((0, 0), (width, height)))
            major = int(rng.integers(4, 15))
            minor = max(int(round(major * rng.uniform(0.15, 0.45))), 1)
            # Measured: cv2's anti-aliased ellipses reach up to 2.1 px beyond
            # the major semi-axis.
            reach = major + 2.5
            distance = np.hypot(*(keypoints - centre).T)
            if np.all(distance > keepout + reach):
                colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
                cv2.ellipse(
                    image,
                    (int(centre[0]), int(centre[1])),
                    (major, minor),
                    float(rng.uniform(0.0, 180.0)),
                    0.0,
                    360.0,
                    colour,
                    -1,
                    cv2.LINE_AA,
                )
                break
    return image


def _sample_offsets() -> Tuple[np.ndarray, np.ndarray]:
    """Offsets (x, y) of the coverage samples from their pixel's centre.

    A rank-1 lattice, x_k = (k + 1/2) / N - 1/2 and
    y_k = ((a k + c) mod N + 1/2) / N - 1/2: unlike on an 8 x 8 grid, whose
    axis-aligned edges move in steps of 1/8 px, every sample has its own
    column and its own row. The shift ``c`` makes the pattern point-symmetric
    about the pixel centre, so sampling adds no bias to a symmetric mark.

    Returns:
        tuple[np.ndarray, np.ndarray]: x and y offsets, each of shape (N,).
    """
    n, a = SAMPLES_PER_PIXEL, LATTICE_GENERATOR
    k = np.arange(n)
    c = ((n - 1) * (1 - a) // 2) % n
    return (k + 0.5) / n - 0.5, ((a * k + c) % n + 0.5) / n - 0.5


SAMPLE_OFFSETS_X, SAMPLE_OFFSETS_Y = _sample_offsets()


def mark_coverage(
    shape: str, centre: Sequence[float], image_size: ImageSize
) -> Tuple[Tuple[int, int], np.ndarray, np.ndarray]:
    """Fraction of each pixel near ``centre`` covered by a mark and its halo.

    Only the patch around the mark is sampled, ``SAMPLES_PER_PIXEL`` points
    per pixel (:func:`_sample_offsets`).

    Args:
        shape (str): A key of :data:`SHAPE_DISTANCES`.
        centre (Sequence[float]): Mark centre ``(x, y)`` in pixels.
        image_size (tuple[int, int]): ``(width, height)``; the patch is
            clipped to the image.

    Returns:
        tuple:
        - origin (tuple[int, int]): Column and row ``(x0, y0)`` of the
          patch's top-left pixel.
        - fill (np.ndarray): Coverage by the mark, shape (h, w), float32 in
          [0, 1].
        - halo (np.ndarray): Coverage by the mark dilated by ``HALO_WIDTH``,
          shape (h, w), float32 in [0, 1], at least ``fill``.
    """
    if shape not in SHAPE_DISTANCES:
        raise ValueError(f'shape must be one of {sorted(SHAPE_DISTANCES)}, got {shape!r}')
    x, y = float(centre[0]), float(centre[1])
    reach = int(math.ceil(MARK_FOOTPRINT + 1.0))
    column, row = int(math.floor(x)), int(math.floor(y))
    x0, y0 = max(column - reach, 0), max(row - reach, 0)
    x1 = min(column + reach + 1, image_size[0])
    y1 = min(row + reach + 1, image_size[1])
    # Offsets of the samples from the centre in radii, shapes (1, w, N) and
    # (h, 1, N).
    columns = np.arange(x0, x1)[None, :, None]
    rows = np.arange(y0, y1)[:, None, None]
    dx = (columns + SAMPLE_OFFSETS_X - x) / MARK_RADIUS
    dy = (rows + SAMPLE_OFFSETS_Y - y) / MARK_RADIUS
    distance = MARK_RADIUS * SHAPE_DISTANCES[shape](dx, dy)
    fill = (distance <= 0.0).mean(axis=2, dtype=np.float32)
    halo = (distance <= HALO_WIDTH).mean(axis=2, dtype=np.float32)
    return (x0, y0), fill, halo


def draw_marks(image: np.ndarray, keypoints: np.ndarray, styles: Sequence[MarkStyle]) -> np.ndarray:
    """Paint each landmark's mark, a coloured shape in a black halo.

    Args:
        image (np.ndarray): RGB image, shape (H, W, 3), uint8; not modified.
        keypoints (np.ndarray): Mark centres (x, y), shape (K, 2).
        styles (Sequence[MarkStyle]): K styles, one per landmark.

    Returns:
        np.ndarray: A new image, shape (H, W, 3), uint8.
    """
    if len(keypoints) != len(styles):
        raise ValueError(
            f'styles must have one entry per keypoint ({len(keypoints)}), got {len(styles)}'
        )
    image = image.copy()
    image_size = (image.shape[1], image.shape[0])
    for centre, style in zip(keypoints, styles):
        (x0, y0), fill, halo = mark_coverage(style.shape, centre, image_size)
        rows = slice(y0, y0 + fill.shape[0])
        cols = slice(x0, x0 + fill.shape[1])
        patch = image[rows, cols].astype(np.float32)
        patch *= 1.0 - halo[..., None]  # the halo is black
        patch += fill[..., None] * np.asarray(style.colour, dtype=np.float32)
        image[rows, cols] = np.clip(np.rint(patch), 0, 255).astype(np.uint8)
    return image


def render_landmark_image(
    rng: np.random.Generator, image_size: ImageSize = (128, 128), num_keypoints: int = 5
) -> Tuple[np.ndarray, np.ndarray]:
    """Render one image of K landmarks on a cluttered background.

    Args:
        rng (np.random.Generator): Source of all randomness.
        image_size (tuple[int, int]): ``(width, height)``.
        num_keypoints (int): Number of landmarks K; landmark k has style
            ``mark_styles(K)[k]``.

    Returns:
        tuple:
        - image (np.ndarray): RGB image, shape (H, W, 3), uint8.
        - keypoints (np.ndarray): Exact mark centres (x, y), shape (K, 2),
          float64.
    """
    keypoints = sample_keypoints(rng, image_size, num_keypoints)
    image = render_background(rng, image_size)
    image = draw_distractors(image, rng, keypoints)
    image = draw_marks(image, keypoints, mark_styles(num_keypoints))
    return image, keypoints
