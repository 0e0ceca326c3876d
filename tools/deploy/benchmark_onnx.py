"""Latency of the exported graph (decode inside) against PyTorch + our batch_decode and
PyTorch + MMPose's DARK / UDP decode, for COCO HRNet-W32 (stride 4 and 8) and WFLW.

    OMP_NUM_THREADS=2 python tools/deploy/benchmark_onnx.py [--out-dir tools/results]
        [--models ...] [--batch-sizes 1 32] [--repeats 5] [--threads 2] [--device cpu]

Full-size models with random weights (no download). ``--device cuda`` runs PyTorch on the GPU
and ONNX Runtime on its CUDA provider where installed (``onnxruntime-gpu``). Prints a Markdown
table and writes onnx_benchmark.{json,md} to --out-dir.
"""

import argparse
from pathlib import Path

from h3r_mmpose.benchmarks.onnx_benchmark import CONFIGS, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out-dir', type=Path, default=Path('outputs/onnx_benchmark'))
    parser.add_argument('--models', nargs='+', choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument('--batch-sizes', nargs='+', type=int, default=[1, 32])
    parser.add_argument('--repeats', type=int, default=5, help='timed runs per route')
    parser.add_argument('--threads', type=int, default=2, help='threads of every runtime')
    parser.add_argument('--device', choices=('cpu', 'cuda'), default='cpu')
    args = parser.parse_args()
    paths = run(
        args.out_dir, args.models, args.batch_sizes, args.repeats, args.threads, args.device
    )
    print(paths['markdown'].read_text())
    for kind, path in paths.items():
        print(f'{kind}: {path}')


if __name__ == '__main__':
    main()
