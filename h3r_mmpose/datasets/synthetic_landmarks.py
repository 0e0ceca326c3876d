"""The synthetic landmark dataset on disk: its generator and its MMPose dataset class.

Every image shows K distinct marks at exact, continuous positions (rendering and the
pixel convention: :mod:`.synthetic_landmarks_render`), so models trained with different
keypoint codecs can be compared on sub-pixel accuracy without label noise.

Layout written by :func:`make_synthetic_landmarks`::

    out_dir/
        annotations/{train,val,test}.json   # COCO keypoints, one instance per image
        images/{train,val,test}/000000.png  # file_name 'train/000000.png' etc.

Each instance's ``bbox`` is the whole image, ``[0, 0, W, H]``, and its ``keypoints`` the
exact float centres with visibility 2.

Metainfo: :class:`SyntheticLandmarkDataset` counts the keypoints in its annotation file and
builds the metainfo for that K (:func:`.synthetic_landmarks_info.synthetic_landmarks_metainfo`),
so configs pass no ``metainfo``. A config reads the data with MMPose's stock top-down
pipeline; the crop is the identity only with ``GetBBoxCenterScale(padding=1.0)`` (the
default 1.25 zooms out by 25 %) and ``TopdownAffine(input_size=(W, H))`` without UDP::

    dataset=dict(
        type='SyntheticLandmarkDataset',
        data_root='data/synthetic_landmarks/',
        data_mode='topdown',
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/'),
        pipeline=[
            dict(type='LoadImage'),
            dict(type='GetBBoxCenterScale', padding=1.0),
            dict(type='TopdownAffine', input_size=(128, 128)),
            dict(type='GenerateTarget', encoder=codec),
            dict(type='PackPoseInputs'),
        ])
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.fileio import join_path, load
from mmengine.utils import is_abs
from mmpose.datasets.datasets.base import BaseCocoStyleDataset
from mmpose.registry import DATASETS

from .synthetic_landmarks_info import (DATASET_NAME, mark_styles,
                                       synthetic_landmarks_metainfo)
from .synthetic_landmarks_render import check_image_size, render_landmark_image

# Part of each image's seed, so that a split's images do not depend on the other splits'
# sizes and never repeat another split's images.
SPLIT_IDS: Dict[str, int] = {'train': 0, 'val': 1, 'test': 2}
CATEGORY_ID = 1


def image_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The generator that renders image ``index`` of ``split``, independent of all others."""
    return np.random.default_rng([seed, SPLIT_IDS[split], index])


def _check_count(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f'{name} must be a non-negative int, got {value!r}')


def _coco_split(split: str, num_images: int, image_size: Tuple[int, int],
                num_keypoints: int, seed: int, image_dir: Path) -> dict:
    """Render one split's images into ``image_dir`` and return its COCO annotations."""
    width, height = image_size
    images: List[dict] = []
    annotations: List[dict] = []
    for index in range(num_images):
        image, keypoints = render_landmark_image(
            image_rng(seed, split, index), image_size, num_keypoints)
        file_name = f'{split}/{index:06d}.png'
        # cv2 writes BGR.
        if not cv2.imwrite(str(image_dir / f'{index:06d}.png'), image[..., ::-1]):
            raise OSError(f'could not write {image_dir / f"{index:06d}.png"}')
        instance_id = index + 1  # COCO ids start at 1
        images.append(dict(id=instance_id, file_name=file_name, width=width, height=height))
        annotations.append(
            dict(
                id=instance_id,
                image_id=instance_id,
                category_id=CATEGORY_ID,
                keypoints=[v for x, y in keypoints.tolist() for v in (x, y, 2)],
                num_keypoints=num_keypoints,
                bbox=[0, 0, width, height],
                area=width * height,
                iscrowd=0))
    return dict(
        info=dict(
            description=f'{DATASET_NAME} {split} split',
            seed=seed,
            pixel_convention='pixel i covers [i - 0.5, i + 0.5], centre at i'),
        images=images,
        annotations=annotations,
        categories=[
            dict(
                id=CATEGORY_ID,
                name='landmarks',
                supercategory='landmarks',
                keypoints=[style.name for style in mark_styles(num_keypoints)],
                skeleton=[])
        ])


def make_synthetic_landmarks(out_dir: str | os.PathLike,
                             num_train: int,
                             num_val: int,
                             num_test: int,
                             image_size: Sequence[int] = (128, 128),
                             num_keypoints: int = 5,
                             seed: int = 0) -> Dict[str, Path]:
    """Write the train, val and test splits of a synthetic landmark dataset.

    Deterministic: image ``i`` of a split is rendered from a generator seeded with
    ``(seed, split, i)``, so the same arguments give byte-identical files and a split's
    first images do not change when the split sizes do. Existing files are overwritten.

    Args:
        out_dir (str | os.PathLike): Root folder; created if missing.
        num_train (int): Number of training images, >= 0.
        num_val (int): Number of validation images, >= 0.
        num_test (int): Number of test images, >= 0.
        image_size (Sequence[int]): ``(width, height)`` in pixels.
        num_keypoints (int): Number of landmarks K per image.
        seed (int): Non-negative base seed.

    Returns:
        dict[str, Path]: Annotation file of each split, keyed ``'train'``, ``'val'``,
        ``'test'``.
    """
    for name, value in (('num_train', num_train), ('num_val', num_val),
                        ('num_test', num_test), ('seed', seed)):
        _check_count(name, value)
    check_image_size(image_size, num_keypoints)
    image_size = (int(image_size[0]), int(image_size[1]))
    root = Path(out_dir)
    (root / 'annotations').mkdir(parents=True, exist_ok=True)
    ann_files: Dict[str, Path] = {}
    for split, num_images in (('train', num_train), ('val', num_val), ('test', num_test)):
        image_dir = root / 'images' / split
        image_dir.mkdir(parents=True, exist_ok=True)
        coco = _coco_split(split, num_images, image_size, num_keypoints, seed, image_dir)
        ann_files[split] = root / 'annotations' / f'{split}.json'
        ann_files[split].write_text(json.dumps(coco), encoding='utf-8')
    return ann_files


def count_annotated_keypoints(ann_file: str) -> int:
    """Number of keypoints K declared by the category of a COCO keypoint file."""
    categories = load(ann_file)['categories']
    if len(categories) != 1:
        raise ValueError(f'ann_file must have exactly one category, {ann_file!r} has '
                         f'{len(categories)}')
    return len(categories[0]['keypoints'])


@DATASETS.register_module()
class SyntheticLandmarkDataset(BaseCocoStyleDataset):
    """Synthetic landmarks written by :func:`make_synthetic_landmarks`.

    A ``BaseCocoStyleDataset`` with two differences:

    - ``metainfo`` defaults to the metainfo for the K keypoints of ``ann_file``;
    - bounding boxes are not clipped to ``[0, W - 1]``: the stock clip shrinks the
      whole-image box ``[0, 0, W, H]`` by one pixel, which would make ``TopdownAffine``
      scale the image by ``W / (W - 1)``, an error of up to half a pixel at the edges,
      the very size of error this dataset measures.

    Args:
        ann_file (str): COCO keypoint annotation file, relative to ``data_root`` unless
            absolute.
        metainfo (dict, optional): Explicit metainfo (e.g. ``dict(from_file=...)``); it
            must describe K keypoints. Defaults to ``synthetic_landmarks_metainfo(K)``.
        data_root (str, optional): Root of ``ann_file`` and ``data_prefix``.
        **kwargs: Passed to ``BaseCocoStyleDataset`` (``data_mode``, ``data_prefix``,
            ``pipeline``, ``test_mode``, ...).
    """

    def __init__(self,
                 ann_file: str = '',
                 metainfo: Optional[dict] = None,
                 data_root: Optional[str] = None,
                 **kwargs) -> None:
        # BaseDataset joins data_root itself, but only after it needed the metainfo.
        path = ann_file
        if data_root and not is_abs(ann_file):
            path = join_path(data_root, ann_file)
        num_keypoints = count_annotated_keypoints(path)
        if metainfo is None:
            metainfo = synthetic_landmarks_metainfo(num_keypoints)
        super().__init__(ann_file=ann_file, metainfo=metainfo, data_root=data_root,
                         **kwargs)
        if self.metainfo['num_keypoints'] != num_keypoints:
            raise ValueError(f'metainfo must describe the {num_keypoints} keypoints of '
                             f'{path!r}, got {self.metainfo["num_keypoints"]}')

    def parse_data_info(self, raw_data_info: dict) -> Optional[dict]:
        """Parse one instance like the base class, keeping its bbox unclipped.

        Args:
            raw_data_info (dict): ``raw_ann_info`` and ``raw_img_info`` of one instance.

        Returns:
            dict | None: The instance's data info, with ``bbox`` of shape (1, 4) as
            ``[x1, y1, x2, y2]``, or None for an instance without bbox or keypoints.
        """
        data_info = super().parse_data_info(raw_data_info)
        if data_info is not None:
            x, y, w, h = raw_data_info['raw_ann_info']['bbox']
            data_info['bbox'] = np.array([[x, y, x + w, y + h]], dtype=np.float32)
        return data_info
