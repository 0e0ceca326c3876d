"""SyntheticLandmarkDataset through MMPose's registry and stock top-down pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmpose.registry import DATASETS
from mmpose.utils import register_all_modules

from h3r_mmpose.benchmarks import SyntheticLandmarkDataset, make_synthetic_landmarks
from h3r_mmpose.benchmarks.datasets.synthetic_landmarks_info import (
    synthetic_landmarks_metainfo,
)

IMAGE_SIZE = (128, 128)


def _load_split(ann_file: Path) -> dict:
    return json.loads(ann_file.read_text(encoding='utf-8'))


@pytest.fixture(scope='module')
def mmpose_scope() -> None:
    register_all_modules(init_default_scope=True)


def _topdown_dataset(data_root: Path, **kwargs) -> SyntheticLandmarkDataset:
    pipeline = [
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale', padding=1.0),
        dict(type='TopdownAffine', input_size=IMAGE_SIZE),
        dict(
            type='GenerateTarget',
            encoder=dict(
                type='MSRAHeatmap', input_size=IMAGE_SIZE, heatmap_size=(32, 32), sigma=2.0
            ),
        ),
        # Also pack the keypoints in input-image coordinates.
        dict(type='PackPoseInputs', pack_transformed=True),
    ]
    return DATASETS.build(
        dict(
            type='SyntheticLandmarkDataset',
            data_root=str(data_root),
            ann_file='annotations/train.json',
            data_prefix=dict(img='images/'),
            data_mode='topdown',
            pipeline=pipeline,
            **kwargs,
        )
    )


def test_stock_topdown_pipeline_keeps_labels_exact(tmp_path: Path, mmpose_scope) -> None:
    num_keypoints = 5
    ann_files = make_synthetic_landmarks(tmp_path, 3, 0, 0, num_keypoints=num_keypoints)
    dataset = _topdown_dataset(tmp_path)
    assert isinstance(dataset, SyntheticLandmarkDataset)
    assert len(dataset) == 3
    assert dataset.metainfo['dataset_name'] == 'synthetic_landmarks'
    assert dataset.metainfo['num_keypoints'] == num_keypoints
    assert list(dataset.metainfo['flip_indices']) == list(range(num_keypoints))
    annotations = _load_split(ann_files['train'])['annotations']
    for index, ann in enumerate(annotations):
        labels = np.array(ann['keypoints']).reshape(num_keypoints, 3)[:, :2]
        np.testing.assert_array_equal(dataset.get_data_info(index)['bbox'], [[0, 0, 128, 128]])
        sample = dataset[index]
        instances = sample['data_samples'].gt_instances
        np.testing.assert_allclose(instances.transformed_keypoints[0], labels, atol=1e-3)
        # The crop is the identity: the network sees the image file as it is.
        image_file = tmp_path / 'images' / f'train/{index:06d}.png'
        crop = sample['inputs'].permute(1, 2, 0).numpy().astype(np.int32)
        image = cv2.imread(str(image_file)).astype(np.int32)
        assert np.abs(crop - image).max() <= 1


def test_dataset_rejects_metainfo_of_other_size(tmp_path: Path, mmpose_scope) -> None:
    make_synthetic_landmarks(tmp_path, 1, 0, 0, num_keypoints=5)
    with pytest.raises(ValueError, match='metainfo'):
        _topdown_dataset(tmp_path, metainfo=synthetic_landmarks_metainfo(3))
