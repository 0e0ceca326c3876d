"""Landmark identities and MMPose metainfo of the synthetic landmark dataset.

Landmark ``k`` is drawn as a mark of one shape in one colour, its
:class:`MarkStyle`. The styles are enumerated so that the first landmarks
differ in both shape and colour, and every (shape, colour) pair is used at
most once, which keeps all K marks distinct.

Why the metainfo is a function of K rather than a fixed ``dataset_info`` file
like ``configs/_base_/datasets/coco.py``: the number of landmarks is a
generation parameter, and the metainfo must describe exactly the K keypoints
of the annotations. A ``.py`` file generated per dataset would work too
(``metainfo=dict(from_file=...)``), but then every config must name it and
keep it in step with the annotations. Instead
:class:`~h3r_mmpose.benchmarks.SyntheticLandmarkDataset` counts the keypoints in
its annotation file and calls :func:`synthetic_landmarks_metainfo`, so configs
pass no ``metainfo`` and the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple

DATASET_NAME = 'synthetic_landmarks'

# Every shape is point-symmetric about its centre, so a mark's intensity
# centroid is its centre (drawing: synthetic_landmarks_render.py). Ordered so
# that the look-alike pairs (ring/bullseye, square/frame) never share a colour
# among the first 12 landmarks.
SHAPES: Tuple[str, ...] = (
    'disc',
    'plus',
    'square',
    'ring',
    'diamond',
    'cross',
    'bullseye',
    'frame',
)

# Saturated RGB colours, far from each other; a black halo around each mark
# keeps it visible on any background.
COLOURS: Dict[str, Tuple[int, int, int]] = {
    'red': (235, 30, 30),
    'green': (30, 205, 45),
    'blue': (40, 70, 245),
    'yellow': (245, 225, 25),
    'magenta': (225, 35, 225),
    'cyan': (25, 215, 235),
}

MAX_KEYPOINTS = len(SHAPES) * len(COLOURS)

# OKS sigma shared by all landmarks. With
# OKS = exp(-d^2 / (2 * area * (2 * sigma)^2)) and area = 128 * 128, OKS is 0.5
# at d = 3.0 px and 0.95 at d = 0.82 px, so COCO AP resolves pixel-level
# errors (COCO's own sigmas would saturate below 2 px).
LANDMARK_SIGMA = 0.01


@dataclass(frozen=True)
class MarkStyle:
    """The look of one landmark.

    Attributes:
        shape (str): One of :data:`SHAPES`.
        colour_name (str): A key of :data:`COLOURS`.
    """

    shape: str
    colour_name: str

    @property
    def colour(self) -> Tuple[int, int, int]:
        """RGB colour, each channel in [0, 255]."""
        return COLOURS[self.colour_name]

    @property
    def name(self) -> str:
        """Keypoint name, e.g. ``'red_disc'``."""
        return f'{self.colour_name}_{self.shape}'


def check_num_keypoints(num_keypoints: int) -> None:
    """Raise ``ValueError`` unless 1 <= num_keypoints <= MAX_KEYPOINTS."""
    if (
        isinstance(num_keypoints, bool)
        or not isinstance(num_keypoints, int)
        or not 1 <= num_keypoints <= MAX_KEYPOINTS
    ):
        raise ValueError(
            f'num_keypoints must be an int in [1, {MAX_KEYPOINTS}], got {num_keypoints!r}'
        )


def mark_styles(num_keypoints: int) -> Tuple[MarkStyle, ...]:
    """The styles of landmarks ``0 .. num_keypoints - 1``.

    Landmark ``k`` takes shape ``k % S`` and colour ``(k % S + k // S) % C``
    (S shapes, C colours): consecutive landmarks change both, and a shape comes
    back in a new colour each round, so all ``S * C`` pairs are distinct.

    Args:
        num_keypoints (int): Number of landmarks K, in [1, MAX_KEYPOINTS].

    Returns:
        tuple[MarkStyle, ...]: K styles; those of a smaller K are a prefix.
    """
    check_num_keypoints(num_keypoints)
    colour_names = list(COLOURS)
    num_shapes = len(SHAPES)
    return tuple(
        MarkStyle(
            shape=SHAPES[k % num_shapes],
            colour_name=colour_names[(k % num_shapes + k // num_shapes) % len(colour_names)],
        )
        for k in range(num_keypoints)
    )


def synthetic_landmarks_metainfo(num_keypoints: int) -> dict:
    """MMPose ``dataset_info`` for K synthetic landmarks.

    The format is that of ``configs/_base_/datasets/coco.py``, as read by
    ``mmpose.datasets.datasets.utils.parse_pose_metainfo``. There is no
    skeleton, and no landmark swaps under a horizontal flip: every mark is
    point-symmetric, so a flipped mark is the same landmark.

    Args:
        num_keypoints (int): Number of landmarks K, in [1, MAX_KEYPOINTS].

    Returns:
        dict: With ``dataset_name``, ``paper_info``, ``keypoint_info``
        (K entries), ``skeleton_info`` (empty), ``joint_weights`` (K ones) and
        ``sigmas`` (K values).
    """
    styles = mark_styles(num_keypoints)
    keypoint_info: Dict[int, dict] = {
        k: dict(name=style.name, id=k, color=list(style.colour), type='', swap='')
        for k, style in enumerate(styles)
    }
    joint_weights: List[float] = [1.0] * num_keypoints
    sigmas: List[float] = [LANDMARK_SIGMA] * num_keypoints
    return dict(
        dataset_name=DATASET_NAME,
        paper_info=dict(
            author='h3r_mmpose',
            title='Synthetic landmarks with exact sub-pixel ground truth',
            container='',
            year='',
            homepage='',
        ),
        keypoint_info=keypoint_info,
        skeleton_info={},
        joint_weights=joint_weights,
        sigmas=sigmas,
    )
