"""Helpers that shrink the shipped configs for CPU tests: no pretrained weights, a tiny HRNet,
the sample data and a few iterations. They only edit loaded configs; the files stay as
shipped."""

import contextlib
import copy
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Sequence, Tuple
from unittest import mock

import torch
from mmengine.config import Config, ConfigDict

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / 'configs'

#: Sample folder and annotation file of each dataset (see the samples' README.md).
SAMPLE_ANNOTATIONS = {
    'coco': 'test_coco.json',
    'mpii': 'test_mpii.json',
    'wflw': 'test_wflw.json',
    '300w': 'test_300w.json',
    'cofw': 'test_cofw.json',
    'aflw': 'test_aflw.json',
}

#: Branch widths of the tiny HRNet, a sixth of HRNetV2-W18's and a quarter of W32's.
TINY_HRNET_WIDTHS = (8, 16, 32, 64)


def config_files() -> List[Path]:
    """Every config shipped under ``configs/``."""
    return sorted(CONFIG_DIR.rglob('*.py'))


def config_id(path: Path) -> str:
    """A short test id: the config's path below ``configs/``."""
    return str(path.relative_to(CONFIG_DIR))


@contextlib.contextmanager
def torch_threads(num_threads: int) -> Iterator[None]:
    """Run torch on ``num_threads`` threads, then restore the previous number.

    The tests use one: on the 2-core test machines, a forward pass on two OpenMP threads
    stalled for over ten seconds whenever the other core was busy, against 0.1-0.2 s on one.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def without_pretrained(model_cfg: ConfigDict) -> ConfigDict:
    """Drop the backbone's pretrained checkpoint: there is no network, and building must not
    depend on a download."""
    model_cfg.backbone.init_cfg = None
    return model_cfg


def tiny_hrnet(backbone_cfg: ConfigDict) -> Tuple[dict, int]:
    """A one-block, one-module HRNet with the config's layout (branches, multiscale output,
    upsampling) and the widths :data:`TINY_HRNET_WIDTHS`.

    Returns:
        tuple: the backbone config (no ``init_cfg``) and the channels the head receives:
        the first branch for body configs, all branches for the HRNetV2 faces, whose
        concat neck joins every branch.
    """
    extra = copy.deepcopy(backbone_cfg.extra)
    for stage in ('stage1', 'stage2', 'stage3', 'stage4'):
        branches = extra[stage].num_branches
        extra[stage].update(
            num_modules=1, num_blocks=(1,) * branches, num_channels=TINY_HRNET_WIDTHS[:branches]
        )
    multiscale = extra.stage4.get('multiscale_output', False)
    head_channels = sum(TINY_HRNET_WIDTHS) if multiscale else TINY_HRNET_WIDTHS[0]
    return dict(type='HRNet', in_channels=3, extra=extra), head_channels


def use_tiny_hrnet(cfg: Config) -> Config:
    """Swap the config's HRNet for :func:`tiny_hrnet` and resize the head's input."""
    assert cfg.model.backbone.type == 'HRNet', cfg.model.backbone.type
    cfg.model.backbone, cfg.model.head.in_channels = tiny_hrnet(cfg.model.backbone)
    return cfg


def _metrics(evaluator) -> list:
    """The metric configs of an evaluator: a dict or a list, nested ``metric`` included."""
    found = []
    for metric in evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]:
        found.append(metric)
        if metric.get('metric') is not None:
            found.extend(_metrics(metric['metric']))
    return found


def use_samples(cfg: Config, samples_dir: Path, name: str) -> Config:
    """Point every dataloader and metric of ``cfg`` at the sample data of dataset ``name``.

    COCO is evaluated on ground-truth boxes (``bbox_file`` dropped), so its samples carry the
    keypoints the floor metric needs. The MPII samples have no head-box ``.mat``, so
    ``MpiiPCKAccuracy`` (PCKh) becomes ``PCKAccuracy`` (normalised by the box), which reports
    the same ``PCK`` key that ``save_best`` reads.
    """
    folder = samples_dir / name
    for split in ('train', 'val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        dataset.update(
            data_root=str(folder), ann_file=SAMPLE_ANNOTATIONS[name], data_prefix=dict(img='')
        )
        dataset.pop('bbox_file', None)
        dataset.pop('headbox_file', None)
    for split in ('val', 'test'):
        for metric in _metrics(cfg[f'{split}_evaluator']):
            if metric.type == 'CocoMetric':
                metric.ann_file = str(folder / SAMPLE_ANNOTATIONS[name])
            elif metric.type == 'MpiiPCKAccuracy':
                metric.clear()
                metric.update(type='PCKAccuracy')
    return cfg


def quick_run(cfg: Config, work_dir: Path, max_iters: int = 2, batch_size: int = 2) -> Config:
    """A few training iterations on one process, then one validation, with no workers, no
    schedule and no periodic checkpoints; ``save_best`` stays as configured."""
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].update(
            batch_size=batch_size, num_workers=0, persistent_workers=False
        )
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint.update(by_epoch=False, interval=-1, save_last=False)
    cfg.default_hooks.logger.interval = 1
    cfg.log_processor.by_epoch = False
    cfg.work_dir = str(work_dir)
    cfg.randomness = dict(seed=0)
    return cfg


def coco_sample_options(samples_dir: Path) -> List[str]:
    """``--cfg-options`` that point ``tests/data/tiny_h3r_coco.py`` (its dataloaders and
    metrics) at the COCO samples."""
    root = f'{samples_dir / "coco"}/'
    return [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'val_evaluator.ann_file={root}test_coco.json',
        f'test_evaluator.ann_file={root}test_coco.json',
    ]


def run_tool(script: str, *args: str, timeout: int) -> subprocess.CompletedProcess:
    """Run ``python <script> <args>`` in the repository root and assert that it succeeds.

    Returns:
        subprocess.CompletedProcess: with the captured ``stdout`` and ``stderr`` text.
    """
    result = subprocess.run(
        [sys.executable, script, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def wflw_samples_dataset(samples_dir: Path, input_size: Sequence[int]) -> dict:
    """A test-mode ``WFLWDataset`` config on the four WFLW samples, each face cropped to
    ``input_size`` (w, h) by the stock top-down pipeline."""
    return dict(
        type='WFLWDataset',
        data_root=str(samples_dir / 'wflw'),
        ann_file=SAMPLE_ANNOTATIONS['wflw'],
        data_prefix=dict(img=''),
        test_mode=True,
        pipeline=[
            dict(type='LoadImage'),
            dict(type='GetBBoxCenterScale'),
            dict(type='TopdownAffine', input_size=tuple(input_size)),
            dict(type='PackPoseInputs'),
        ],
    )


def load_tool(tool: str):
    """The module of ``tools/<tool>.py`` (``tool`` may name a subfolder, e.g.
    ``'deploy/onnx_demo'``), loaded under a private name (tools/ is no package)."""
    spec = importlib.util.spec_from_file_location(
        f'h3r_tools_{tool.replace("/", "_")}', ROOT / 'tools' / f'{tool}.py'
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool_in_process(tool: str, *args) -> None:
    """``python tools/<tool>.py ARGS``, run in this process: its ``main()`` with that command
    line. A subprocess would pay the stack's import time (seconds) at every call."""
    module = load_tool(tool)
    with mock.patch.object(sys, 'argv', [f'tools/{tool}.py', *map(str, args)]):
        module.main()
