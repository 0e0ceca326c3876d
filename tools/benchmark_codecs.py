"""Codec leaderboard: round-trip error, bias and speed of MMPose's codecs against ours.

    python tools/benchmark_codecs.py [--quick] [--out-dir outputs/codec_benchmark]

Prints a Markdown table and writes codec_benchmark.{json,md,png} to --out-dir.
"""

import argparse
from pathlib import Path

from h3r_mmpose.benchmarks.codec_benchmark import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='small budget for CI (under a minute)')
    parser.add_argument('--out-dir', type=Path, default=Path('outputs/codec_benchmark'))
    parser.add_argument('--num-samples', type=int, help='samples of 17 keypoints per setting')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args()
    report, paths = run(
        args.out_dir, quick=args.quick, progress=not args.no_progress, num_samples=args.num_samples
    )
    print(Path(paths['markdown']).read_text())
    for kind, path in paths.items():
        print(f'{kind}: {path}')


if __name__ == '__main__':
    main()
