"""The YouTube Faces converter on tiny slices written by the tests (no fetched data)."""

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest
from face_slices import face_points, write_png, write_slice

from h3r_mmpose.benchmarks.datasets.youtube_faces68 import (
    BOX_PADDING,
    NUM_KEYPOINTS,
    PIXEL_STD,
    SPLIT_FRACTIONS,
    SPLITS,
    ConversionError,
    convert_youtube_faces68,
    face_box,
    inside_frame,
    person_of,
    split_people,
)

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'dataset_converters' / 'youtube_faces68.py'


@pytest.fixture
def tiny_slice(tmp_path) -> Path:
    """Ten people, two frames each; a duplicate frame; a frame with two points outside."""
    rng = np.random.default_rng(0)
    frames, sizes = {}, {}
    for person in range(10):
        for frame in range(2):
            name = f'Person_{person:02d}_{frame:02d}.jpg'
            sizes[name] = (60 + 4 * person, 50 + 2 * frame)
            frames[name] = face_points(rng, *sizes[name])
    frames['Person_03_01.jpg'][[0, 5]] = [[-2.0, 10.0], [20.0, sizes['Person_03_01.jpg'][1]]]
    frames['Person_07_05.jpg'] = frames['Person_07_00.jpg'].copy()
    sizes['Person_07_05.jpg'] = sizes['Person_07_00.jpg']
    data_dir = tmp_path / 'data'
    write_slice(data_dir, frames, sizes, same_image={'Person_07_05.jpg': 'Person_07_00.jpg'})
    return data_dir


def read_split(out_dir: Path, split: str) -> dict:
    return json.loads((out_dir / f'youtube_faces68_{split}.json').read_text())


def read_csv_rows(data_dir: Path) -> Dict[str, List[float]]:
    with (data_dir / 'training_frames_keypoints.csv').open(newline='') as file:
        return {row[0]: [float(v) for v in row[1:]] for row in list(csv.reader(file))[1:]}


def test_keypoints_exactly_as_in_the_csv_with_boxes_of_300w(tiny_slice, tmp_path):
    convert_youtube_faces68(tiny_slice, tmp_path / 'out')
    labels = read_csv_rows(tiny_slice)
    seen = 0
    for split in SPLITS:
        content = read_split(tmp_path / 'out', split)
        images = {image['id']: image for image in content['images']}
        for annotation in content['annotations']:
            image = images[annotation['image_id']]
            name = image['file_name'].split('/', 1)[1]
            assert image['file_name'] == f'training/{name}'
            points = np.array(annotation['keypoints']).reshape(NUM_KEYPOINTS, 3)
            np.testing.assert_array_equal(points[:, :2].reshape(-1), labels[name])
            low, high = points[:, :2].min(0), points[:, :2].max(0)
            x, y, w, h = annotation['bbox']
            np.testing.assert_allclose([x + w / 2, y + h / 2], (low + high) / 2)
            np.testing.assert_allclose([w, h], (high - low) * BOX_PADDING)
            np.testing.assert_allclose(annotation['center'], (low + high) / 2)
            assert annotation['scale'] == pytest.approx((high - low).max() / PIXEL_STD)
            seen += 1
    assert seen == len(labels) - 1  # one duplicate dropped


def test_split_by_person_and_summary(tiny_slice, tmp_path):
    summary = convert_youtube_faces68(tiny_slice, tmp_path / 'out')
    people_of = {}
    for split in SPLITS:
        for image in read_split(tmp_path / 'out', split)['images']:
            people_of.setdefault(person_of(image['file_name'].split('/')[1]), set()).add(split)
    assert all(len(splits) == 1 for splits in people_of.values())
    assert summary['people'] == dict(train=8, val=1, test=1)
    assert sum(summary['images'].values()) == 20
    assert summary['duplicates_dropped'] == {
        'training/Person_07_05.jpg': 'training/Person_07_00.jpg'
    }
    assert summary['points_outside_frame'] == {'training/Person_03_01.jpg': 2}
    assert read_split(tmp_path / 'out', 'test')['info'] == summary


def test_points_outside_the_frame_have_visibility_zero(tiny_slice, tmp_path):
    convert_youtube_faces68(tiny_slice, tmp_path / 'out')
    for split in SPLITS:
        content = read_split(tmp_path / 'out', split)
        names = {image['id']: image['file_name'] for image in content['images']}
        for annotation in content['annotations']:
            visible = np.array(annotation['keypoints']).reshape(-1, 3)[:, 2]
            expected = np.ones(NUM_KEYPOINTS)
            if names[annotation['image_id']] == 'training/Person_03_01.jpg':
                expected[[0, 5]] = 0
            np.testing.assert_array_equal(visible, expected)
            assert annotation['num_keypoints'] == int(expected.sum())


def test_inside_frame_is_the_pixel_grid():
    points = np.array([[0, 0], [9, 4], [9.01, 0], [-0.01, 2], [3, 4.5]], dtype=np.float64)
    np.testing.assert_array_equal(inside_frame(points, 10, 5), [True, True, False, False, False])


def test_face_box_of_a_known_extent():
    bbox, center, scale = face_box(np.array([[10.0, 20.0], [110.0, 70.0]]))
    assert bbox == pytest.approx([0.0, 15.0, 120.0, 60.0])
    assert center == pytest.approx([60.0, 45.0])
    assert scale == pytest.approx(0.5)


def test_split_people_is_fixed_by_name_and_sized_by_fraction():
    people = [f'person{i}' for i in range(347)]
    assignment = split_people(people)
    assert split_people(list(reversed(people))) == assignment
    counts = [list(assignment.values()).count(split) for split in SPLITS]
    expected = np.diff([0, *np.round(np.cumsum(SPLIT_FRACTIONS) * 347).astype(int)])
    assert counts == list(expected)
    ranked = sorted(people, key=lambda name: hashlib.sha256(name.encode()).hexdigest())
    assert {assignment[name] for name in ranked[: counts[0]]} == {'train'}
    assert {assignment[name] for name in ranked[-counts[2] :]} == {'test'}


@pytest.mark.parametrize(
    'name, person', [('Luis_Fonsi_21.jpg', 'Luis_Fonsi'), ('A_B_C_00.png', 'A_B_C')]
)
def test_person_of(name, person):
    assert person_of(name) == person


def test_person_of_refuses_a_name_without_frame_number():
    with pytest.raises(ConversionError, match="'Luis_Fonsi.jpg' has no _<frame number>"):
        person_of('Luis_Fonsi.jpg')


def rewrite_csv_row(data_dir: Path, row_index: int, cells: List[str]) -> None:
    path = data_dir / 'training_frames_keypoints.csv'
    rows = list(csv.reader(path.open(newline='')))
    rows[row_index] = cells
    with path.open('w', newline='') as file:
        csv.writer(file).writerows(rows)


def test_bad_rows_raise_naming_file_and_line(tiny_slice, tmp_path):
    name = 'Person_00_00.jpg'
    rewrite_csv_row(tiny_slice, 1, [name] + ['1.0'] * (2 * NUM_KEYPOINTS - 2))
    with pytest.raises(
        ConversionError,
        match=r'keypoints.csv, line 2 \(Person_00_00.jpg\): '
        r'expected 68 points \(136 numbers\), got 134',
    ):
        convert_youtube_faces68(tiny_slice, tmp_path / 'out')
    rewrite_csv_row(tiny_slice, 1, [name] + ['1.0'] * 135 + ['abc'])
    with pytest.raises(ConversionError, match=r'line 2 \(Person_00_00.jpg\): .*abc'):
        convert_youtube_faces68(tiny_slice, tmp_path / 'out')
    rewrite_csv_row(tiny_slice, 1, [name] + ['1.0'] * 135 + ['nan'])
    with pytest.raises(ConversionError, match=r'line 2 \(Person_00_00.jpg\): .*not finite'):
        convert_youtube_faces68(tiny_slice, tmp_path / 'out')
    assert not (tmp_path / 'out').exists()


def test_missing_and_broken_files_raise_naming_them(tiny_slice, tmp_path):
    (tiny_slice / 'training' / 'Person_02_01.jpg').write_bytes(b'not an image')
    with pytest.raises(ConversionError, match=r'line \d+: image does not decode: .*Person_02_01'):
        convert_youtube_faces68(tiny_slice, tmp_path / 'out')
    (tiny_slice / 'training' / 'Person_02_01.jpg').unlink()
    with pytest.raises(ConversionError, match=r'line \d+: image not found: .*Person_02_01'):
        convert_youtube_faces68(tiny_slice, tmp_path / 'out')
    (tiny_slice / 'training_frames_keypoints.csv').unlink()
    with pytest.raises(ConversionError, match='keypoints file not found'):
        convert_youtube_faces68(tiny_slice, tmp_path / 'out')


def test_transparent_image_is_refused(tiny_slice, tmp_path):
    write_png(tiny_slice / 'training' / 'Person_04_00.jpg', 64, 50, seed=1, alpha=128)
    with pytest.raises(ConversionError, match='transparent pixels: .*Person_04_00'):
        convert_youtube_faces68(tiny_slice, tmp_path / 'out')


def test_stock_300w_dataset_and_pipeline_read_the_converted_slice(tiny_slice, tmp_path):
    """MMPose's Face300WDataset, LoadImage (RGBA PNG to 3-channel BGR) and the flip with
    300W's flip indices read what the converter wrote."""
    from mmengine.registry import init_default_scope
    from mmpose.datasets import Face300WDataset

    init_default_scope('mmpose')
    convert_youtube_faces68(tiny_slice, tmp_path / 'out')
    dataset = Face300WDataset(
        data_root=str(tiny_slice),
        ann_file=str(tmp_path / 'out' / 'youtube_faces68_train.json'),
        data_prefix=dict(img=''),
        pipeline=[
            dict(type='LoadImage'),
            dict(type='GetBBoxCenterScale'),
            dict(type='RandomFlip', direction='horizontal', prob=1.0),
        ],
    )
    labels = read_csv_rows(tiny_slice)
    sample = dataset[0]
    name = Path(sample['img_path']).name
    image_width = sample['ori_shape'][1]
    assert sample['img'].shape == (*sample['ori_shape'], 3)
    flipped = sample['keypoints'][0]
    original = np.array(labels[name]).reshape(NUM_KEYPOINTS, 2)
    flip_indices = dataset.metainfo['flip_indices']
    np.testing.assert_allclose(flipped[:, 1], original[flip_indices, 1])
    np.testing.assert_allclose(flipped[:, 0], image_width - 1 - original[flip_indices, 0])


@pytest.mark.slow
def test_cli_exits_non_zero_naming_the_row(tiny_slice, tmp_path):
    ok = subprocess.run(
        [sys.executable, str(TOOL), str(tiny_slice), '--out', str(tmp_path / 'out')],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert 'dropped training/Person_07_05.jpg' in ok.stdout
    rewrite_csv_row(tiny_slice, 3, ['Person_01_00.jpg', '1.0'])
    failed = subprocess.run(
        [sys.executable, str(TOOL), str(tiny_slice), '--out', str(tmp_path / 'bad')],
        capture_output=True,
        text=True,
    )
    assert failed.returncode == 1
    assert 'line 4 (Person_01_00.jpg): expected 68 points' in failed.stderr
