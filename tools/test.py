"""Evaluate a checkpoint with MMPose's Runner, with the h3r_mmpose plugin loaded.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out PREDS.pkl]
                         [--leaderboard ROWS.jsonl] [--cfg-options KEY=VALUE ...]
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

import h3r_mmpose  # noqa: F401  (registers modules; allow-lists checkpoint types)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a pose model (h3r_mmpose)')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where logs and metrics go')
    parser.add_argument('--out', help='dump the predictions to this pickle file')
    parser.add_argument('--leaderboard', metavar='ROWS.jsonl',
                        help='append a leaderboard row (LeaderboardHook) to this file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
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
    args = parse_args()
    Runner.from_cfg(build_config(args)).test()


if __name__ == '__main__':
    main()
