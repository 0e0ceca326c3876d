"""Train a model with MMPose's Runner, with the h3r_mmpose plugin loaded.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
                                 [--cfg-options KEY=VALUE ...] [--launcher pytorch]

`mim train mmpose CONFIG` runs the same thing through MMPose's own script; configs load the
plugin there via ``custom_imports``.
"""

import argparse

from mmengine.config import Config
from mmengine.runner import Runner

import h3r_mmpose  # noqa: F401  (registers modules; allow-lists checkpoint types)
from h3r_mmpose.utils.config_checks import check_train_pipeline
from h3r_mmpose.utils.run_config import load_run_config, run_argument_parser


def parse_args() -> argparse.Namespace:
    parser = run_argument_parser('Train a pose model (h3r_mmpose)')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        default=None,
        help='resume from CKPT, or from the latest checkpoint in work-dir',
    )
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--no-validate', action='store_true', help='skip validation during training'
    )
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual batch size',
    )
    return parser.parse_args()


def build_config(args: argparse.Namespace) -> Config:
    cfg = load_run_config(args)
    check_train_pipeline(cfg)  # a stale GenerateTarget fails here, before anything is built
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.auto_scale_lr:
        cfg.auto_scale_lr = dict(cfg.get('auto_scale_lr', {}), enable=True)
    return cfg


def main() -> None:
    Runner.from_cfg(build_config(parse_args())).train()


if __name__ == '__main__':
    main()
