"""Writing the synthetic landmark dataset: deterministic files in COCO format, argument
checks and tools/make_synthetic_landmarks.py."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Dict

import cv2
import numpy as np
import pytest

from h3r_mmpose.benchmarks import make_synthetic_landmarks
from h3r_mmpose.benchmarks.datasets.synthetic_landmarks_info import (
    MAX_KEYPOINTS,
    mark_styles,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def _tree_bytes(root: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob('*') if p.is_file()}


def _load_split(ann_file: Path) -> dict:
    return json.loads(ann_file.read_text(encoding='utf-8'))


# --------------------------------------------------------------- determinism


def test_same_arguments_write_identical_bytes(tmp_path: Path) -> None:
    for name in ('a', 'b'):
        make_synthetic_landmarks(tmp_path / name, 3, 2, 2, seed=7)
    first, second = _tree_bytes(tmp_path / 'a'), _tree_bytes(tmp_path / 'b')
    assert len(first) == 3 + 2 + 2 + 3  # images and three annotation files
    assert first == second


def test_other_seed_changes_every_image_and_label(tmp_path: Path) -> None:
    make_synthetic_landmarks(tmp_path / 'a', 3, 0, 0, seed=0)
    make_synthetic_landmarks(tmp_path / 'b', 3, 0, 0, seed=1)
    for index in range(3):
        png = f'images/train/{index:06d}.png'
        first = (tmp_path / 'a' / png).read_bytes()
        assert first != (tmp_path / 'b' / png).read_bytes()
    ann_file = 'annotations/train.json'
    labels_a = _load_split(tmp_path / 'a' / ann_file)['annotations']
    labels_b = _load_split(tmp_path / 'b' / ann_file)['annotations']
    for ann_a, ann_b in zip(labels_a, labels_b):
        assert not np.allclose(ann_a['keypoints'], ann_b['keypoints'])


def test_images_do_not_depend_on_split_sizes(tmp_path: Path) -> None:
    make_synthetic_landmarks(tmp_path / 'small', 1, 1, 0)
    make_synthetic_landmarks(tmp_path / 'large', 3, 2, 1)
    for png in ('images/train/000000.png', 'images/val/000000.png'):
        small = (tmp_path / 'small' / png).read_bytes()
        assert small == (tmp_path / 'large' / png).read_bytes()
    # Splits are seeded apart: the first val image is not the first train one.
    images = tmp_path / 'large' / 'images'
    assert (images / 'train/000000.png').read_bytes() != (images / 'val/000000.png').read_bytes()


# ---------------------------------------------------------- files and format


def test_annotations_are_coco_keypoints_with_whole_image_boxes(tmp_path: Path) -> None:
    width, height, num_keypoints = 160, 96, 3
    ann_files = make_synthetic_landmarks(
        tmp_path, 2, 1, 1, image_size=(width, height), num_keypoints=num_keypoints
    )
    assert set(ann_files) == {'train', 'val', 'test'}
    coco = _load_split(ann_files['train'])
    (category,) = coco['categories']
    names = [style.name for style in mark_styles(num_keypoints)]
    assert category['keypoints'] == names
    assert category['skeleton'] == []
    file_names = [image['file_name'] for image in coco['images']]
    assert file_names == ['train/000000.png', 'train/000001.png']
    for image_info, ann in zip(coco['images'], coco['annotations']):
        assert ann['image_id'] == image_info['id']
        assert ann['category_id'] == category['id']
        assert ann['bbox'] == [0, 0, width, height]
        assert ann['area'] == width * height
        assert ann['iscrowd'] == 0
        assert ann['num_keypoints'] == num_keypoints
        keypoints = np.array(ann['keypoints']).reshape(num_keypoints, 3)
        assert np.all(keypoints[:, 2] == 2)
        # Continuous positions, not pixel indices.
        assert np.any(keypoints[:, :2] % 1.0 != 0.0)
        image_file = tmp_path / 'images' / image_info['file_name']
        image = cv2.imread(str(image_file))
        assert image.shape == (height, width, 3)


# ------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    'kwargs, parameter',
    [
        (dict(num_keypoints=0), 'num_keypoints'),
        (dict(num_keypoints=MAX_KEYPOINTS + 1), 'num_keypoints'),
        (dict(num_keypoints=2.0), 'num_keypoints'),
        (dict(image_size=(128,)), 'image_size'),
        (dict(image_size=(128.0, 128)), 'image_size'),
        (dict(image_size=(16, 128)), 'image_size'),
        (dict(image_size=(64, 64), num_keypoints=12), 'image_size'),
        (dict(num_train=-1), 'num_train'),
        (dict(num_test=1.5), 'num_test'),
        (dict(seed=-3), 'seed'),
    ],
)
def test_bad_arguments_raise(tmp_path: Path, kwargs: dict, parameter: str) -> None:
    arguments = dict(out_dir=tmp_path, num_train=1, num_val=0, num_test=0)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=parameter):
        make_synthetic_landmarks(**arguments)
    assert not any(tmp_path.iterdir())  # rejected before writing anything


# ----------------------------------------------------------------------- CLI


def test_cli_writes_dataset_and_reports_it(tmp_path: Path, capsys) -> None:
    spec = importlib.util.spec_from_file_location(
        'make_synthetic_landmarks_cli', REPO_ROOT / 'tools/make_synthetic_landmarks.py'
    )
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    cli.main(
        [
            '--out-dir',
            str(tmp_path),
            '--num-train',
            '2',
            '--num-val',
            '1',
            '--num-test',
            '1',
            '--image-size',
            '96',
            '80',
            '--num-keypoints',
            '3',
            '--seed',
            '4',
        ]
    )
    output = capsys.readouterr().out
    assert str(tmp_path / 'annotations' / 'train.json') in output
    coco = _load_split(tmp_path / 'annotations/test.json')
    image_info = coco['images'][0]
    assert (image_info['width'], image_info['height']) == (96, 80)
    assert coco['annotations'][0]['num_keypoints'] == 3
    assert len(list((tmp_path / 'images' / 'train').glob('*.png'))) == 2
