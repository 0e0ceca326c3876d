"""What tools/train.py and tools/test.py share: their common flags and config loading."""

import argparse
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config, DictAction


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--work-dir``, ``--cfg-options``, ``--launcher`` and ``--local-rank``."""
    parser.add_argument('--work-dir', help='where logs, checkpoints and metrics go')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. train_cfg.max_epochs=10',
    )
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher',
    )
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def run_argument_parser(description: str) -> argparse.ArgumentParser:
    """A parser with the ``config`` argument and the common flags (:func:`add_run_arguments`);
    a tool adds its own arguments after them.

    Args:
        description (str): what the tool does, for ``--help``.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('config', help='config file')
    add_run_arguments(parser)
    return parser


def load_run_config(args: argparse.Namespace) -> Config:
    """Read ``args.config`` with the overrides, launcher and work directory applied.

    The work directory defaults to ``./work_dirs/<config name>`` as in MMPose's tools.
    """
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    work_dir: Optional[str] = args.work_dir
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg
