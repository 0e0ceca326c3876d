"""Evaluate a checkpoint with MMPose's Runner, with the h3r_mmpose plugin loaded.

python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out PREDS.pkl]
                     [--leaderboard ROWS.jsonl] [--cfg-options KEY=VALUE ...]
"""

import argparse

from mmengine.config import Config
from mmengine.runner import Runner

import h3r_mmpose  # noqa: F401  (registers modules; allow-lists checkpoint types)
from h3r_mmpose.utils.run_config import load_run_config, run_argument_parser


def parse_args() -> argparse.Namespace:
    parser = run_argument_parser('Test a pose model (h3r_mmpose)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--leaderboard',
        metavar='ROWS.jsonl',
        help='append a leaderboard row (LeaderboardHook) to this file',
    )
    parser.add_argument('--out', help='dump the predictions to this pickle file')
    return parser.parse_args()


def build_config(args: argparse.Namespace) -> Config:
    cfg = load_run_config(args)
    cfg.load_from = args.checkpoint
    if args.out:
        evaluators = cfg.test_evaluator
        evaluators = list(evaluators) if isinstance(evaluators, (list, tuple)) else [evaluators]
        cfg.test_evaluator = [*evaluators, dict(type='DumpResults', out_file_path=args.out)]
    if args.leaderboard:
        hooks = [h for h in cfg.get('custom_hooks', []) if h.get('type') != 'LeaderboardHook']
        cfg.custom_hooks = [*hooks, dict(type='LeaderboardHook', out_file=args.leaderboard)]
    return cfg


def main() -> None:
    Runner.from_cfg(build_config(parse_args())).test()


if __name__ == '__main__':
    main()
