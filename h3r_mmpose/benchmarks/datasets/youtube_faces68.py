"""The YouTube Faces crops with 68 human-labelled landmarks, converted to 300W's annotations.

Source: the ``data/`` folder of the public repository ``udacity/P1_Facial_Keypoints`` (MIT
licence): ``training/*.jpg`` and ``training_frames_keypoints.csv``, 3462 frames of 347 people,
68 landmarks each in iBUG order (the order of 300W). :func:`convert_youtube_faces68` writes
``youtube_faces68_{train,val,test}.json`` in the COCO-style format that MMPose's
``Face300WDataset`` reads, with image paths relative to that ``data/`` folder.

What the converter does with the source's traps:

- **Split by person.** Every person appears in several neighbouring frames (and the source's
  ``data/test`` folder holds more frames of the same clips, so it is never used). People are
  ranked by the SHA-256 of their name and cut 80 / 10 / 10 into train / val / test: fixed,
  reproducible, independent of any random generator's version.
- **Exact duplicate images** (same bytes; their labels are equal too) are kept once, the first
  by file name; the others are dropped and listed in the summary and the files' ``info``.
- **Points outside the image** (beyond the pixel centres ``[0, W-1] x [0, H-1]``) keep their
  labelled position with visibility 0: zero weight in training, left out of the metrics.
- **The images are RGBA PNGs** named ``.jpg``; MMPose's ``LoadImage`` decodes them to BGR,
  dropping the alpha channel, which the converter checks is opaque (an error otherwise).
- **The labels are whole pixels**: a rounding floor of ``sqrt(2 / 12)`` = 0.41 px (0.29 px per
  axis) at the original scale, stated beside the results.

Bad input (a missing file, a malformed row, a row without 68 points, an image that does not
decode) raises :class:`ConversionError` naming the file and the row; nothing is dropped silently.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

NUM_KEYPOINTS = 68
SPLITS = ('train', 'val', 'test')
#: Fractions of the people in each split, in :data:`SPLITS` order.
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
IMAGE_DIR = 'training'
CSV_NAME = 'training_frames_keypoints.csv'
#: The stock 300W boxes are the landmarks' extent scaled by 1.2 about its centre.
BOX_PADDING = 1.2
#: 300W's ``scale`` unit: ``scale * 200`` is the longer side of the landmarks' extent.
PIXEL_STD = 200.0
FRAME_SUFFIX = re.compile(r'^(?P<person>.+)_\d+\.\w+$')


class ConversionError(ValueError):
    """The source data cannot be converted; the message names the file and the row."""


@dataclass(frozen=True)
class LabelledFrame:
    """One row of the csv.

    Attributes:
        file_name (str): the image's path relative to the data folder, ``training/<name>``.
        person (str): the name without its frame suffix.
        keypoints (np.ndarray): the labels in image pixels, shape (68, 2).
        line (int): the row's line number in the csv (the header is line 1).
    """

    file_name: str
    person: str
    keypoints: np.ndarray
    line: int


def person_of(image_name: str) -> str:
    """The person in a frame: ``'Luis_Fonsi_21.jpg'`` -> ``'Luis_Fonsi'``.

    Raises:
        ConversionError: if the name has no ``_<frame number>`` suffix.
    """
    match = FRAME_SUFFIX.match(image_name)
    if match is None:
        raise ConversionError(f'image name {image_name!r} has no _<frame number> suffix')
    return match['person']


def read_keypoints_csv(csv_path: Path) -> List[LabelledFrame]:
    """Read every row of the keypoints csv: an image name and 136 coordinates x0, y0, x1, ...

    Raises:
        ConversionError: for a missing file, an empty file, a row with other than 68 points
            or a coordinate that is not a finite number.
    """
    if not csv_path.is_file():
        raise ConversionError(f'keypoints file not found: {csv_path}')
    with csv_path.open(newline='') as file:
        lines = list(csv.reader(file))
    if len(lines) < 2:
        raise ConversionError(f'{csv_path}: no labelled rows')
    frames = []
    for line, cells in enumerate(lines[1:], start=2):
        where = f'{csv_path}, line {line}'
        if not cells or not cells[0]:
            raise ConversionError(f'{where}: no image name')
        coordinates = cells[1:]
        if len(coordinates) != 2 * NUM_KEYPOINTS:
            raise ConversionError(
                f'{where} ({cells[0]}): expected {NUM_KEYPOINTS} points '
                f'({2 * NUM_KEYPOINTS} numbers), got {len(coordinates)} numbers'
            )
        try:
            values = np.array([float(value) for value in coordinates], dtype=np.float64)
        except ValueError as error:
            raise ConversionError(f'{where} ({cells[0]}): {error}') from None
        if not np.isfinite(values).all():
            raise ConversionError(f'{where} ({cells[0]}): a coordinate is not finite')
        frames.append(
            LabelledFrame(
                file_name=f'{IMAGE_DIR}/{cells[0]}',
                person=person_of(cells[0]),
                keypoints=values.reshape(NUM_KEYPOINTS, 2),
                line=line,
            )
        )
    return frames


def split_people(people: Sequence[str]) -> Dict[str, str]:
    """Assign each person to a split: ranked by the SHA-256 of the name, cut by
    :data:`SPLIT_FRACTIONS`.

    Returns:
        dict: person -> ``'train'``, ``'val'`` or ``'test'``.
    """
    ranked = sorted(set(people), key=lambda name: hashlib.sha256(name.encode()).hexdigest())
    bounds = np.round(np.cumsum(SPLIT_FRACTIONS) * len(ranked)).astype(int)
    assignment = {}
    for index, person in enumerate(ranked):
        assignment[person] = SPLITS[int(np.searchsorted(bounds, index, side='right'))]
    return assignment


def face_box(keypoints: np.ndarray) -> Tuple[List[float], List[float], float]:
    """The face box of 300W from the landmarks' extent.

    Args:
        keypoints (np.ndarray): shape (K, 2).

    Returns:
        tuple: ``bbox`` [x, y, w, h] (the extent scaled by :data:`BOX_PADDING` about its
        centre), ``center`` [x, y] and ``scale`` (the extent's longer side / 200).
    """
    low, high = keypoints.min(axis=0), keypoints.max(axis=0)
    center = (low + high) / 2
    size = (high - low) * BOX_PADDING
    bbox = [*(center - size / 2), *size]
    return (
        [float(v) for v in bbox],
        [float(v) for v in center],
        float((high - low).max() / PIXEL_STD),
    )


def inside_frame(keypoints: np.ndarray, width: int, height: int) -> np.ndarray:
    """Whether each point lies on the pixel grid ``[0, W-1] x [0, H-1]``.

    Args:
        keypoints (np.ndarray): shape (K, 2).

    Returns:
        np.ndarray: bool, shape (K,).
    """
    x, y = keypoints[:, 0], keypoints[:, 1]
    return (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)


def read_image_size(path: Path, where: str) -> Tuple[int, int]:
    """Decode an image as ``LoadImage`` will and return its (width, height).

    Raises:
        ConversionError: if the file is missing, does not decode, or has a transparent pixel
            (``LoadImage`` drops the alpha channel, so transparency would be lost silently).
    """
    if not path.is_file():
        raise ConversionError(f'{where}: image not found: {path}')
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None or image.ndim not in (2, 3):
        raise ConversionError(f'{where}: image does not decode: {path}')
    if image.ndim == 3 and image.shape[2] == 4 and (image[..., 3] != 255).any():
        raise ConversionError(f'{where}: image has transparent pixels: {path}')
    height, width = image.shape[:2]
    return width, height


def _annotation(frame: LabelledFrame, image_id: int, width: int, height: int) -> dict:
    bbox, center, scale = face_box(frame.keypoints)
    visible = inside_frame(frame.keypoints, width, height)
    keypoints = np.concatenate([frame.keypoints, visible[:, None].astype(np.float64)], axis=1)
    return dict(
        id=image_id,
        image_id=image_id,
        category_id=1,
        iscrowd=0,
        num_keypoints=int(visible.sum()),
        keypoints=[float(v) for v in keypoints.reshape(-1)],
        bbox=bbox,
        area=float(bbox[2] * bbox[3]),
        center=center,
        scale=scale,
    )


def convert_youtube_faces68(data_dir: Path, out_dir: Path) -> dict:
    """Convert the data folder into ``out_dir/youtube_faces68_{train,val,test}.json``.

    Args:
        data_dir (Path): the source's ``data/`` folder, holding ``training/`` and
            ``training_frames_keypoints.csv``; the images' ``file_name`` is relative to it.
        out_dir (Path): where the three files go (created).

    Returns:
        dict: the summary also stored as every file's ``info``: images and people per split,
        the dropped duplicates (``{'dropped': 'kept'}``) and the images with points outside
        the frame (``{'file_name': number of points}``).

    Raises:
        ConversionError: see :func:`read_keypoints_csv` and :func:`read_image_size`.
    """
    data_dir = Path(data_dir)
    frames = sorted(read_keypoints_csv(data_dir / CSV_NAME), key=lambda frame: frame.file_name)
    split_of = split_people([frame.person for frame in frames])
    first_with_bytes: Dict[str, str] = {}
    duplicates: Dict[str, str] = {}
    outside: Dict[str, int] = {}
    images: Dict[str, List[dict]] = {split: [] for split in SPLITS}
    annotations: Dict[str, List[dict]] = {split: [] for split in SPLITS}
    for image_id, frame in enumerate(frames, start=1):
        path = data_dir / frame.file_name
        where = f'{data_dir / CSV_NAME}, line {frame.line}'
        width, height = read_image_size(path, where)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in first_with_bytes:
            duplicates[frame.file_name] = first_with_bytes[digest]
            continue
        first_with_bytes[digest] = frame.file_name
        annotation = _annotation(frame, image_id, width, height)
        if annotation['num_keypoints'] < NUM_KEYPOINTS:
            outside[frame.file_name] = NUM_KEYPOINTS - annotation['num_keypoints']
        split = split_of[frame.person]
        images[split].append(
            dict(id=image_id, file_name=frame.file_name, width=width, height=height)
        )
        annotations[split].append(annotation)
    summary = dict(
        source='udacity/P1_Facial_Keypoints data/training',
        images={split: len(images[split]) for split in SPLITS},
        people={split: list(split_of.values()).count(split) for split in SPLITS},
        duplicates_dropped=duplicates,
        points_outside_frame=outside,
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        content = dict(
            info=summary,
            images=images[split],
            annotations=annotations[split],
            categories=[dict(id=1, name='face', supercategory='face')],
        )
        (out_dir / f'youtube_faces68_{split}.json').write_text(json.dumps(content))
    return summary


def dataset_cfg_options(data_dir: Path, ann_dir: Path) -> List[str]:
    """``--cfg-options`` that point a stock 300W config's three dataloaders at the converted
    data: the annotations in ``ann_dir``, the images under ``data_dir``.

    Returns:
        list: ``KEY=VALUE`` strings for ``tools/train.py`` and ``tools/test.py``.
    """
    images = f'{Path(data_dir).resolve()}/'
    options = []
    for split in SPLITS:
        prefix = f'{split}_dataloader.dataset'
        options += [
            f'{prefix}.data_root={images}',
            f'{prefix}.data_prefix.img={images}',
            f'{prefix}.ann_file={Path(ann_dir).resolve() / f"youtube_faces68_{split}.json"}',
        ]
    return options
