"""Writing the synthetic landmark dataset: rendered images and COCO keypoint annotations.

Every image shows K distinct marks at exact, continuous positions (drawing and pixel
convention: :mod:`.synthetic_landmarks_render`), so models trained with different keypoint
codecs can be compared on sub-pixel accuracy without label noise.

Layout written by :func:`make_synthetic_landmarks`::

    out_dir/
        annotations/{train,val,test}.json   # COCO keypoints
        images/{train,val,test}/000000.png  # file_name 'train/000000.png'

One instance per image: its ``bbox`` is the whole image, ``[0, 0, W, H]``, and its
``keypoints`` the exact float centres, all with visibility 2. The files are read by
:class:`~.synthetic_landmarks_dataset.SyntheticLandmarkDataset`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

import cv2
import numpy as np

from .synthetic_landmarks_info import DATASET_NAME, mark_styles
from .synthetic_landmarks_render import check_image_size, render_landmark_image

# Part of every image's seed, so that a split's images neither depend on the
# other splits' sizes nor repeat their images.
SPLIT_IDS: Dict[str, int] = {'train': 0, 'val': 1, 'test': 2}
CATEGORY_ID = 1


def image_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The generator that renders image ``index`` of ``split``."""
    return np.random.default_rng([seed, SPLIT_IDS[split], index])


def _check_count(name: str, value: int) -> None:
    """Raise ``ValueError`` unless ``value`` is a non-negative int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f'{name} must be a non-negative int, got {value!r}')


def _coco_instance(
    index: int, file_name: str, keypoints: np.ndarray, image_size: Tuple[int, int]
) -> Tuple[dict, dict]:
    """COCO image and annotation entries of the one instance of an image.

    Args:
        index (int): Index of the image in its split.
        file_name (str): Image path relative to the image folder.
        keypoints (np.ndarray): Exact mark centres (x, y), shape (K, 2).
        image_size (tuple[int, int]): ``(width, height)``.

    Returns:
        tuple[dict, dict]: The image entry and the annotation entry.
    """
    width, height = image_size
    instance_id = index + 1  # COCO ids start at 1
    image = dict(id=instance_id, file_name=file_name, width=width, height=height)
    annotation = dict(
        id=instance_id,
        image_id=instance_id,
        category_id=CATEGORY_ID,
        keypoints=[v for x, y in keypoints.tolist() for v in (x, y, 2)],
        num_keypoints=len(keypoints),
        bbox=[0, 0, width, height],
        area=width * height,
        iscrowd=0,
    )
    return image, annotation


def _write_split(
    root: Path,
    split: str,
    num_images: int,
    image_size: Tuple[int, int],
    num_keypoints: int,
    seed: int,
) -> Path:
    """Render and write one split's images and annotation file.

    Returns:
        Path: The annotation file.
    """
    image_dir = root / 'images' / split
    image_dir.mkdir(parents=True, exist_ok=True)
    images: List[dict] = []
    annotations: List[dict] = []
    for index in range(num_images):
        image, keypoints = render_landmark_image(
            image_rng(seed, split, index), image_size, num_keypoints
        )
        image_file = image_dir / f'{index:06d}.png'
        if not cv2.imwrite(str(image_file), image[..., ::-1]):  # cv2: BGR
            raise OSError(f'could not write {image_file}')
        image_entry, annotation = _coco_instance(
            index, f'{split}/{image_file.name}', keypoints, image_size
        )
        images.append(image_entry)
        annotations.append(annotation)
    category = dict(
        id=CATEGORY_ID,
        name='landmarks',
        supercategory='landmarks',
        keypoints=[style.name for style in mark_styles(num_keypoints)],
        skeleton=[],
    )
    coco = dict(
        info=dict(
            description=f'{DATASET_NAME} {split} split',
            seed=seed,
            pixel_convention='pixel i covers [i - 0.5, i + 0.5], centre i',
        ),
        images=images,
        annotations=annotations,
        categories=[category],
    )
    ann_file = root / 'annotations' / f'{split}.json'
    ann_file.parent.mkdir(parents=True, exist_ok=True)
    ann_file.write_text(json.dumps(coco), encoding='utf-8')
    return ann_file


def make_synthetic_landmarks(
    out_dir: Union[str, os.PathLike],
    num_train: int,
    num_val: int,
    num_test: int,
    image_size: Sequence[int] = (128, 128),
    num_keypoints: int = 5,
    seed: int = 0,
) -> Dict[str, Path]:
    """Write the train, val and test splits of a synthetic landmark dataset.

    Deterministic: image ``i`` of a split is rendered from a generator seeded
    with ``(seed, split, i)``, so the same arguments give byte-identical files,
    and a split's first images stay the same when the split sizes change.
    Existing files are overwritten.

    Args:
        out_dir (str | os.PathLike): Root folder; created if missing.
        num_train (int): Number of training images, >= 0.
        num_val (int): Number of validation images, >= 0.
        num_test (int): Number of test images, >= 0.
        image_size (Sequence[int]): ``(width, height)`` in pixels.
        num_keypoints (int): Number of landmarks K per image.
        seed (int): Base seed, >= 0.

    Returns:
        dict[str, Path]: The annotation file of each split, keyed
        ``'train'``, ``'val'`` and ``'test'``.
    """
    for name, value in (
        ('num_train', num_train),
        ('num_val', num_val),
        ('num_test', num_test),
        ('seed', seed),
    ):
        _check_count(name, value)
    check_image_size(image_size, num_keypoints)
    image_size = (int(image_size[0]), int(image_size[1]))
    sizes = dict(train=num_train, val=num_val, test=num_test)
    return {
        split: _write_split(Path(out_dir), split, num_images, image_size, num_keypoints, seed)
        for split, num_images in sizes.items()
    }
