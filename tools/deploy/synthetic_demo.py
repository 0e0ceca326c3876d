"""Train a small H3R model on synthetic landmarks, export it, and check the deployed graph.

    python tools/deploy/synthetic_demo.py [--out-dir outputs/deploy_demo] [--stride 8]
        [--max-iters 1200] [--picture tools/results/onnx_demo.png]

The training run is the training benchmark's H3R run (same data, network and schedule,
through MMPose's Runner), with a checkpoint saved at the end. The checkpoint is then
exported with tools/deploy/export_onnx.py and run by tools/deploy/onnx_demo.py (ONNX
Runtime, NumPy and OpenCV only) on every test image; the script prints the error against
the exact ground truth of the deployed graph and of MMPose's ``inference_topdown`` with the
same checkpoint, and draws the demo's output for the first test images into one picture.
"""

import argparse
import importlib.util
import json
import logging
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from mmengine.runner import Runner
from mmpose.apis import inference_topdown

from h3r_mmpose.benchmarks.training_benchmark import OURS, Budget, run_config
from h3r_mmpose.datasets.synthetic_landmarks import make_synthetic_landmarks
from h3r_mmpose.deploy import load_estimator

TOOLS = Path(__file__).resolve().parent
IMAGE_SIZE = (128, 128)
NUM_KEYPOINTS = 5


def load_demo():
    """tools/deploy/onnx_demo.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location('onnx_demo', TOOLS / 'onnx_demo.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train(out_dir: Path, stride: int, max_iters: int, num_test: int) -> tuple:
    """Train the benchmark's H3R model once; return its config file, checkpoint and data."""
    data_root = out_dir / 'data'
    if not (data_root / 'annotations' / 'test.json').exists():
        make_synthetic_landmarks(data_root, 2000, 0, num_test, IMAGE_SIZE, NUM_KEYPOINTS, seed=0)
    work_dir = out_dir / f'h3r_s{stride}'
    config_file = work_dir / 'config.py'
    checkpoint = work_dir / f'iter_{max_iters}.pth'
    if not checkpoint.exists():
        # The benchmark's full budget; one validation, at the end.
        budget = Budget(2000, num_test, max_iters, batch_size=32, eval_interval=max_iters)
        cfg = run_config(
            OURS, stride, 'resnet', data_root, work_dir, out_dir / 'rows.jsonl', IMAGE_SIZE,
            NUM_KEYPOINTS, budget, seed=0,
        )  # fmt: skip
        cfg.custom_hooks = []  # no leaderboard row
        cfg.default_hooks.checkpoint = dict(
            type='CheckpointHook', interval=max_iters, by_epoch=False
        )
        logging.getLogger('mmengine').setLevel(logging.WARNING)
        Runner.from_cfg(cfg).train()
        cfg.dump(str(config_file))
    return config_file, checkpoint, data_root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out-dir', type=Path, default=Path('outputs/deploy_demo'))
    parser.add_argument('--stride', type=int, default=8, choices=(4, 8, 16))
    parser.add_argument('--max-iters', type=int, default=1200)
    parser.add_argument('--num-test', type=int, default=100, help='test images evaluated')
    parser.add_argument('--picture', type=Path, default=Path('tools/results/onnx_demo.png'))
    parser.add_argument('--num-drawn', type=int, default=4, help='test images in the picture')
    args = parser.parse_args()

    config_file, checkpoint, data_root = train(
        args.out_dir, args.stride, args.max_iters, args.num_test
    )
    model_file = args.out_dir / f'h3r_s{args.stride}.onnx'
    export = [sys.executable, str(TOOLS / 'export_onnx.py'), str(config_file), str(checkpoint)]
    subprocess.run(export + ['--out', str(model_file)], check=True)

    demo = load_demo()
    estimator = load_estimator(config_file, str(checkpoint))
    annotations = json.loads((data_root / 'annotations' / 'test.json').read_text())
    predictions = {'ONNX Runtime (onnx_demo.py)': [], 'PyTorch (inference_topdown)': []}
    truths, drawn = [], []
    pairs = list(zip(annotations['images'], annotations['annotations']))[: args.num_test]
    for index, (image, annotation) in enumerate(pairs):
        image_file = str(data_root / 'images' / image['file_name'])
        truths.append(np.reshape(annotation['keypoints'], (-1, 3))[:, :2])
        predictions['ONNX Runtime (onnx_demo.py)'].append(demo.run(str(model_file), image_file)[0])
        pytorch = inference_topdown(estimator, image_file)[0].pred_instances.keypoints[0]
        predictions['PyTorch (inference_topdown)'].append(pytorch)
        if index < args.num_drawn:
            out = args.out_dir / f'demo_{index}.png'
            command = [sys.executable, str(TOOLS / 'onnx_demo.py'), str(model_file), image_file]
            subprocess.run(command + ['--out', str(out)], check=True, capture_output=True)
            drawn.append(cv2.resize(cv2.imread(str(out)), None, fx=3, fy=3, interpolation=0))
    truth = np.stack(truths)
    for route, keypoints in predictions.items():
        errors = np.linalg.norm(np.stack(keypoints) - truth, axis=-1)
        print(f'{route}: mean error {errors.mean():.3f} px over {errors.size} keypoints')
    onnx_keypoints, pytorch_keypoints = (np.stack(v) for v in predictions.values())
    difference = np.abs(onnx_keypoints - pytorch_keypoints).max()
    print(f'largest difference between the two: {difference:.1e} px')
    args.picture.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.picture), np.hstack(drawn), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f'picture: {args.picture}')


if __name__ == '__main__':
    main()
