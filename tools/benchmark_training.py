"""Training benchmark: the same small model trained with MSRA, DARK, UDP, SimCC and H3R
through MMPose's Runner, on synthetic landmarks or on real faces, with the H3R ablation and
decoder rows on request.

    python tools/benchmark_training.py [--quick] [--backbone resnet|hrnet] [--seed 0 1 2]
        [--strides 4 8 16] [--rows ...] [--max-iters N] [--image-size 128] [--no-augment]
        [--dataset synthetic|youtube_faces68 --data-root DATA_DIR] [--out-dir DIR]
    python tools/benchmark_training.py --combine A.json B.json ... [--recover C.jsonl]
        --out-dir DIR

Generates the synthetic data, or converts the real faces of DATA_DIR (the data/ folder of
udacity/P1_Facial_Keypoints; see tools/dataset_converters/youtube_faces68.py), on first use
under --out-dir, prints a Markdown table and writes training_benchmark.{json,md}, a
convergence plot (validation error against iterations at stride 4) and an error-against-stride
plot. ``--combine`` merges runs made separately (other
seeds or backbones, run in parallel) into one report. The default run (ResNet, five rows,
three strides, one seed) takes about 30 minutes on 2 cores; --quick under 2 minutes.
"""

import argparse
import json
from pathlib import Path

from h3r_mmpose.benchmarks.budgets import TRAINING_FULL, TRAINING_QUICK, choose_budget
from h3r_mmpose.benchmarks.training_benchmark import benchmark_training
from h3r_mmpose.benchmarks.training_config import DATASETS
from h3r_mmpose.benchmarks.training_networks import BACKBONES, STRIDES
from h3r_mmpose.benchmarks.training_report import (
    combine_reports,
    results_from_leaderboard,
    write_report,
)
from h3r_mmpose.benchmarks.training_rows import ALL_ROWS, DEFAULT_ROWS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='tiny budget for CI')
    parser.add_argument('--max-iters', type=int, help='training iterations per run')
    parser.add_argument('--eval-interval', type=int, help='iterations between curve points')
    parser.add_argument('--out-dir', type=Path, default=Path('outputs/training_benchmark'))
    parser.add_argument('--rows', nargs='+', choices=ALL_ROWS, default=list(DEFAULT_ROWS))
    parser.add_argument('--strides', nargs='+', type=int, choices=STRIDES, default=list(STRIDES))
    parser.add_argument('--backbone', choices=BACKBONES, default='resnet')
    parser.add_argument(
        '--seed',
        nargs='+',
        type=int,
        default=[0],
        dest='seeds',
        help='training seeds (initialisation and batch order)',
    )
    parser.add_argument('--image-size', type=int, default=128, help='square input size in px')
    parser.add_argument('--dataset', choices=DATASETS, default='synthetic')
    parser.add_argument(
        '--data-root',
        type=Path,
        help='with --dataset youtube_faces68: the data/ folder of udacity/P1_Facial_Keypoints',
    )
    parser.add_argument(
        '--combine',
        nargs='+',
        type=Path,
        metavar='JSON',
        help='merge these result files into one report instead of training',
    )
    parser.add_argument(
        '--recover',
        nargs='+',
        type=Path,
        default=[],
        metavar='JSONL',
        help='with --combine: leaderboard.jsonl files of runs stopped before '
        'writing their report (test figures only; no times or curves)',
    )
    parser.add_argument(
        '--no-augment',
        dest='augment',
        action='store_false',
        help="train without the stock face configs' flip and box jitter",
    )
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args()

    if args.combine:
        report = combine_reports([json.loads(path.read_text()) for path in args.combine])
        for path in args.recover:
            image_size = report['meta']['image_size'][0]
            report['results'] += results_from_leaderboard(path, image_size)
        report['meta']['recovered_from'] = [str(path) for path in args.recover]
    else:
        budget = choose_budget(
            TRAINING_FULL,
            TRAINING_QUICK,
            args.quick,
            max_iters=args.max_iters,
            eval_interval=args.eval_interval,
        )
        report = benchmark_training(
            args.out_dir,
            budget=budget,
            image_size=args.image_size,
            rows=args.rows,
            strides=args.strides,
            backbone=args.backbone,
            seeds=args.seeds,
            progress=not args.no_progress,
            augment=args.augment,
            dataset=args.dataset,
            data_root=args.data_root,
        )
        report['meta']['quick'] = args.quick
    paths = write_report(report, args.out_dir)
    print(paths['markdown'].read_text())
    for kind, path in paths.items():
        print(f'{kind}: {path}')


if __name__ == '__main__':
    main()
