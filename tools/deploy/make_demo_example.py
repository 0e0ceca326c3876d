"""Make the README's deploy picture from scratch, with no download: docs/deploy_demo.png.

    OMP_NUM_THREADS=1 python tools/deploy/make_demo_example.py [--out docs/deploy_demo.png]

The model is the training benchmark's: :func:`demo_config` is
``h3r_mmpose.benchmarks.training_benchmark.run_config`` for the HRNet row of H3R (ours) at
stride 4 on the 128x128 synthetic landmarks, with a short budget (:data:`BUDGET`: 400
iterations of batch 16) and a checkpoint at the end. It is dumped to
``outputs/deploy_example/config.py``, and every step is then the tool a user runs, as a
subprocess, all under outputs/deploy_example/:

1. ``tools/make_synthetic_landmarks.py`` writes 1000 training and 16 test images of the
   synthetic landmarks (5 marks on clutter, 128x128 px, exact sub-pixel labels);
2. ``tools/train.py`` trains the config;
3. ``tools/deploy/export_onnx.py`` exports it to ``model.onnx``;
4. ``tools/deploy/onnx_demo.py`` runs it on the first test image, enlarged 3x by pixel
   repetition and framed by a margin, with the image's box as ``--bbox``, and draws into
   ``--out``.

The enlargement only makes the drawing legible: the box is the original image's box
``[0, 128]`` in the enlarged coordinates, so the demo's crop is exactly the 128x128 test
image the model expects and its keypoints map back without any offset. Finally the demo's
keypoints are compared with the image's labels. About 3 min of CPU time; training is
seeded.
"""

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Sequence, Tuple

import cv2
import numpy as np
from mmengine.config import Config

from h3r_mmpose.benchmarks.budgets import TRAINING_FULL
from h3r_mmpose.benchmarks.training_config import run_config, synthetic_data
from h3r_mmpose.benchmarks.training_rows import OURS

ROOT = Path(__file__).resolve().parents[2]
WORK_DIR = Path('outputs/deploy_example')
#: The config the tools read, written by :func:`main`.
CONFIG_FILE = WORK_DIR / 'config.py'
#: Where the config reads its data (its ``data_root``).
DATA_DIR = WORK_DIR / 'data'
#: The training benchmark's budget, shortened: one validation, at the end.
BUDGET = dict(
    TRAINING_FULL, num_train=1000, num_test=16, max_iters=400, batch_size=16, eval_interval=400
)
IMAGE_SIZE = (128, 128)
NUM_KEYPOINTS = 5
#: Enlargement of the test image, and the margin around it, in drawing pixels.
SCALE = 3
MARGIN = 24
MARGIN_BGR = (64, 64, 64)


def enlarge(image: np.ndarray, scale: int, margin: int, fill: Sequence[int]) -> np.ndarray:
    """``image`` (H, W, 3) with every pixel repeated ``scale`` x ``scale`` times, in a frame of
    ``margin`` pixels of colour ``fill``."""
    big = np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)
    return cv2.copyMakeBorder(
        big, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=tuple(fill)
    )


def to_enlarged(points: np.ndarray, scale: int, margin: int) -> np.ndarray:
    """Image coordinates of :func:`enlarge`'s output for coordinates of its input.

    Pixel ``i`` covers ``[i - 0.5, i + 0.5]`` in both images, so ``x`` goes to
    ``scale * (x + 0.5) - 0.5 + margin``.
    """
    return scale * (np.asarray(points, dtype=np.float64) + 0.5) - 0.5 + margin


def enlarged_box(width: int, height: int, scale: int, margin: int) -> Tuple[float, ...]:
    """The box ``(x1, y1, x2, y2)`` in the enlarged image that corresponds to the original
    image's whole-image box ``[0, 0, width, height]`` (the box its labels were trained with)."""
    x1, y1 = to_enlarged([0.0, 0.0], scale, margin)
    x2, y2 = to_enlarged([width, height], scale, margin)
    return float(x1), float(y1), float(x2), float(y2)


def demo_config() -> Config:
    """The training benchmark's config of H3R (ours) with HRNet at stride 4, on
    :data:`BUDGET`, with what the tools need besides: the dataset's registration for a config
    file, a log every 50 iterations and the final checkpoint for the export."""
    cfg = run_config(
        OURS,
        4,
        'hrnet',
        synthetic_data(DATA_DIR),
        WORK_DIR / 'train',
        WORK_DIR / 'leaderboard.jsonl',
        IMAGE_SIZE,
        NUM_KEYPOINTS,
        BUDGET,
        seed=0,
        # As docs/deploy_demo.png was made: 400 iterations on the images as they are.
        augment=False,
    )
    cfg.custom_imports = dict(imports=['h3r_mmpose.benchmarks'], allow_failed_imports=False)
    cfg.log_level = 'INFO'
    cfg.default_hooks.logger.interval = 50
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=BUDGET['max_iters']
    )
    return cfg


def run(command: List[str]) -> None:
    """Run one tool from the repository root, echoing its command line."""
    print('$ ' + shlex.join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='docs/deploy_demo.png', help='picture to write')
    args = parser.parse_args()
    start = time.perf_counter()
    python = sys.executable
    run(
        [
            python,
            'tools/make_synthetic_landmarks.py',
            '--out-dir',
            str(DATA_DIR),
            '--num-train',
            str(BUDGET['num_train']),
            '--num-val',
            '0',
            '--num-test',
            str(BUDGET['num_test']),
            '--image-size',
            *map(str, IMAGE_SIZE),
            '--num-keypoints',
            str(NUM_KEYPOINTS),
        ]
    )
    config = str(CONFIG_FILE)
    demo_config().dump(ROOT / CONFIG_FILE)
    run([python, 'tools/train.py', config, '--work-dir', str(WORK_DIR / 'train')])
    model = WORK_DIR / 'model.onnx'
    checkpoint = WORK_DIR / 'train' / f'iter_{BUDGET["max_iters"]}.pth'
    run([python, 'tools/deploy/export_onnx.py', config, str(checkpoint), '--out', str(model)])

    # The first test image, enlarged, and its labels in the enlarged image.
    annotations = json.loads((ROOT / DATA_DIR / 'annotations' / 'test.json').read_text())
    entry, annotation = annotations['images'][0], annotations['annotations'][0]
    image = cv2.imread(str(ROOT / DATA_DIR / 'images' / entry['file_name']), cv2.IMREAD_COLOR)
    image_file = WORK_DIR / 'test_image_x3.png'
    cv2.imwrite(str(ROOT / image_file), enlarge(image, SCALE, MARGIN, MARGIN_BGR))
    labels = np.asarray(annotation['keypoints'], dtype=np.float64).reshape(-1, 3)[:, :2]
    bbox = enlarged_box(entry['width'], entry['height'], SCALE, MARGIN)
    result_file = WORK_DIR / 'demo_keypoints.json'
    run(
        [
            python,
            'tools/deploy/onnx_demo.py',
            str(model),
            str(image_file),
            '--bbox',
            *(f'{v:g}' for v in bbox),
            '--out',
            args.out,
            '--json',
            str(result_file),
        ]
    )
    keypoints = np.asarray(json.loads((ROOT / result_file).read_text())['keypoints'])
    errors = np.linalg.norm(keypoints - to_enlarged(labels, SCALE, MARGIN), axis=1) / SCALE
    print(
        f'demo keypoints against the labels, in pixels of the 128x128 image: mean '
        f'{errors.mean():.2f}, max {errors.max():.2f}'
    )
    print(f'wrote {args.out} in {time.perf_counter() - start:.0f} s')


if __name__ == '__main__':
    main()
