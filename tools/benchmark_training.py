"""Sub-pixel landmark benchmark: the same small model trained with MSRA, DARK, UDP, SimCC
and H3R at heatmap strides 4, 8 and 16, through MMPose's Runner.

    python tools/benchmark_training.py [--quick] [--max-iters N] [--strides 4 8 16]
                                       [--codecs ...] [--out-dir DIR]

Generates the synthetic data on first use (under --out-dir), prints a Markdown table and
writes training_benchmark.{json,md,png}. The full run takes about 30 minutes on 2 cores;
--quick (CI) under 2 minutes.
"""

import argparse
from pathlib import Path

from h3r_mmpose.benchmarks.training_benchmark import CODECS, STOCHASTIC, STRIDES, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='tiny budget for CI')
    parser.add_argument('--max-iters', type=int, help='training iterations per run')
    parser.add_argument('--out-dir', type=Path, default=Path('outputs/training_benchmark'))
    parser.add_argument('--codecs', nargs='+', choices=CODECS + (STOCHASTIC,), default=CODECS)
    parser.add_argument('--strides', nargs='+', type=int, choices=STRIDES, default=STRIDES)
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args()
    _, paths = run(
        args.out_dir,
        quick=args.quick,
        progress=not args.no_progress,
        max_iters=args.max_iters,
        codecs=args.codecs,
        strides=args.strides,
    )
    print(Path(paths['markdown']).read_text())
    for kind, path in paths.items():
        print(f'{kind}: {path}')


if __name__ == '__main__':
    main()
