"""Tiny slices in the layout of the YouTube Faces source (udacity/P1_Facial_Keypoints'
``data/``), written by the tests so that no fetched data is needed."""

import csv
from pathlib import Path
from typing import Dict, Optional

import cv2
import numpy as np

from h3r_mmpose.benchmarks.datasets.youtube_faces68 import NUM_KEYPOINTS


def face_points(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """68 whole-pixel points inside a (width, height) image, shape (68, 2)."""
    x = rng.integers(5, width - 5, NUM_KEYPOINTS)
    y = rng.integers(5, height - 5, NUM_KEYPOINTS)
    return np.stack([x, y], axis=1).astype(np.float64)


def write_png(path: Path, width: int, height: int, seed: int, alpha: int = 255) -> None:
    """An RGBA PNG, as the source's '.jpg' files are."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 255, (height, width, 4), dtype=np.uint8)
    image[..., 3] = alpha
    ok, encoded = cv2.imencode('.png', image)
    assert ok
    path.write_bytes(encoded.tobytes())


def write_slice(
    data_dir: Path,
    frames: Dict[str, np.ndarray],
    sizes: Dict[str, tuple],
    same_image: Optional[Dict[str, str]] = None,
) -> None:
    """Write ``training/<name>`` images and the keypoints csv as the source lays them out."""
    (data_dir / 'training').mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(frames):
        source = (same_image or {}).get(name)
        if source is not None:
            (data_dir / 'training' / name).write_bytes(
                (data_dir / 'training' / source).read_bytes()
            )
        else:
            write_png(data_dir / 'training' / name, *sizes[name], seed=index)
    with (data_dir / 'training_frames_keypoints.csv').open('w', newline='') as file:
        writer = csv.writer(file)
        writer.writerow([''] + [str(i) for i in range(2 * NUM_KEYPOINTS)])
        for name, points in frames.items():
            writer.writerow([name] + [f'{v:.1f}' for v in points.reshape(-1)])
