"""Tests of the synthetic landmark dataset: drawing, files, MMPose loading."""

from __future__ import annotations

import importlib.util
import itertools
import json
from pathlib import Path
from typing import Dict

import cv2
import numpy as np
import pytest
from mmpose.registry import DATASETS
from mmpose.utils import register_all_modules

from h3r_mmpose.benchmarks import SyntheticLandmarkDataset, make_synthetic_landmarks
from h3r_mmpose.benchmarks.datasets.synthetic_landmarks_info import (
    MAX_KEYPOINTS,
    SHAPES,
    MarkStyle,
    mark_styles,
    synthetic_landmarks_metainfo,
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

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGE_SIZE = (128, 128)


def _tree_bytes(root: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob('*') if p.is_file()}


def _intensity_centroid(image: np.ndarray) -> np.ndarray:
    """Centre of mass (x, y) of an image, shape (H, W, 3), in pixels."""
    mass = image.astype(np.float64).sum(axis=2)
    ys, xs = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    return np.array([(mass * xs).sum(), (mass * ys).sum()]) / mass.sum()


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


# ---------------------------------------------------- drawing matches labels


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


# ------------------------------------------------------------ MMPose loading


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


def test_unknown_shape_raises() -> None:
    with pytest.raises(ValueError, match='shape'):
        mark_coverage('hexagon', (10.0, 10.0), (32, 32))


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
