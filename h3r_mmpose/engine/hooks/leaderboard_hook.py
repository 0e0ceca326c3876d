"""Hook that records each test run as one row of a JSON-lines leaderboard.

A row holds what is needed to compare runs later without their work
directories: which config, dataset and codec produced the numbers, the model's
size and cost, every test metric, when, and at which commit. ``tools/
leaderboard.py`` renders the rows as Markdown or HTML tables.
"""

import datetime
import json
import logging
import os
import os.path as osp
import subprocess
from typing import Any, Dict, Optional, Sequence, Tuple

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS
from torch import nn

# Decoder settings shown in the codec column; the sizes have their own columns
# and the rest (e.g. use_udp) are kept in the row's ``codec`` string too.
SIZE_KEYS = ('input_size', 'heatmap_size')


def config_name(cfg_filename: Optional[str], experiment_name: str) -> str:
    """Name a run by its config file's stem, else by its experiment name.

    Args:
        cfg_filename (str, optional): ``runner.cfg.filename``; None when the
            config was built from a dict.
        experiment_name (str): ``runner.experiment_name``.

    Returns:
        str: E.g. ``'td-hm_res18_wflw-256x256'``.
    """
    if cfg_filename:
        return osp.splitext(osp.basename(cfg_filename))[0]
    return experiment_name


def describe_codec(decoder_cfg: Optional[dict]) -> Optional[str]:
    """Describe a codec config by its type and non-size settings.

    Args:
        decoder_cfg (dict, optional): E.g. ``dict(type='MSRAHeatmap',
            input_size=(256, 256), heatmap_size=(64, 64), sigma=2)``.

    Returns:
        str, optional: E.g. ``'MSRAHeatmap(sigma=2)'``; None without a
        decoder.
    """
    if not decoder_cfg:
        return None
    settings = ', '.join(
        f'{key}={_plain(value)!r}'
        for key, value in sorted(decoder_cfg.items())
        if key != 'type' and key not in SIZE_KEYS
    )
    return f'{decoder_cfg.get("type", "?")}({settings})'


def codec_size(decoder_cfg: Optional[dict], key: str) -> Optional[Tuple[int, ...]]:
    """Read a size such as ``input_size`` (w, h) from a codec config.

    Args:
        decoder_cfg (dict, optional): The codec config, or None.
        key (str): ``'input_size'`` or ``'heatmap_size'``.

    Returns:
        tuple, optional: The size as a tuple of ints, None if absent.
    """
    if not decoder_cfg or decoder_cfg.get(key) is None:
        return None
    return tuple(int(v) for v in decoder_cfg[key])


def git_commit(cwd: Optional[str] = None) -> str:
    """Short hash of the checked-out commit, or ``'unknown'``.

    Args:
        cwd (str, optional): Directory to ask git in; the current one if
            None.

    Returns:
        str: E.g. ``'1a2b3c4'``; ``'unknown'`` outside a repository, without
        git, or before the first commit.
    """
    try:
        completed = subprocess.run(
            ['git', 'rev-parse', '--short', 'HEAD'],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return 'unknown'
    return completed.stdout.strip() or 'unknown'


class _TensorForward(nn.Module):
    """Expose a pose estimator's ``mode='tensor'`` path as ``forward``.

    The FLOP counter traces ``forward(inputs)``; an MMPose estimator's own
    ``forward`` also needs data samples and decodes, so wrap ``_forward``
    instead of patching the model (it is still used after this hook).
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> Any:
        """Run the network on images of shape (B, 3, H, W)."""
        return self.model._forward(inputs)


def model_complexity(model: nn.Module, input_size: Sequence[int]) -> Dict[str, int]:
    """Parameter count and FLOPs of one image through the network.

    Args:
        model (nn.Module): A pose estimator with ``_forward``, possibly in a
            model wrapper such as DDP.
        input_size (Sequence[int]): The codec's input size (w, h).

    Returns:
        Dict[str, int]: ``params`` and ``flops``, as counted by mmengine's
        FLOP analyzer (one multiply-add counts as one FLOP).
    """
    if is_model_wrapper(model):
        model = model.module
    width, height = input_size
    was_training = model.training
    model.eval()
    # The analyzer warns about every operator it does not count (BatchNorm, pooling, ...);
    # that is documented above and would bury a run's own log.
    logger = MMLogger.get_current_instance()
    log_level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with torch.no_grad():
            # mmengine feeds one random image of this shape on the model's
            # device; MMPose sizes are (w, h), tensors (C, H, W).
            info = get_model_complexity_info(
                _TensorForward(model),
                input_shape=(3, int(height), int(width)),
                show_table=False,
                show_arch=False,
            )
    finally:
        model.train(was_training)
        logger.setLevel(log_level)
    return {'params': int(info['params']), 'flops': int(info['flops'])}


@HOOKS.register_module()
class LeaderboardHook(Hook):
    """Append one JSON line describing each finished test run.

    The row has: ``config``, ``dataset``, ``codec`` (decoder type and
    settings), ``input_size`` and ``heatmap_size`` (w, h, from the decoder
    config), ``params`` and ``flops`` (None, with a warning, if they cannot be
    measured), ``metrics`` (every test metric as a float), ``date`` (ISO 8601,
    UTC) and ``commit`` (short hash of the current directory's git HEAD).

    Use it in a config as::

        custom_hooks = [dict(type='LeaderboardHook')]

    Args:
        out_file (str, optional): JSON-lines file to append to. None means
            ``<work_dir>/leaderboard.jsonl``. Defaults to None.
    """

    priority = 'LOWEST'

    def __init__(self, out_file: Optional[str] = None) -> None:
        self.out_file = out_file

    @master_only
    def after_test_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        """Build the run's row and append it to ``out_file``.

        Args:
            runner (Runner): The runner of the test run.
            metrics (dict, optional): The test metrics, e.g.
                ``{'NME_percent': 4.1, 'FR@10_percent': 2.5}``.
        """
        row = self.build_row(runner, metrics or {})
        out_file = self.out_file or osp.join(runner.work_dir, 'leaderboard.jsonl')
        out_dir = osp.dirname(osp.abspath(out_file))
        os.makedirs(out_dir, exist_ok=True)
        with open(out_file, 'a', encoding='utf-8') as f:
            f.write(json.dumps(row) + '\n')
        runner.logger.info(f'Leaderboard row appended to {out_file}')

    def build_row(self, runner, metrics: Dict[str, Any]) -> Dict[str, Any]:
        """Collect everything a leaderboard row needs from the runner.

        Args:
            runner (Runner): The runner of the test run.
            metrics (dict): The test metrics.

        Returns:
            dict: The row, JSON-serialisable.
        """
        logger = MMLogger.get_current_instance()
        decoder_cfg = _decoder_cfg(runner.cfg)
        input_size = codec_size(decoder_cfg, 'input_size')
        complexity: Dict[str, Optional[int]] = {'params': None, 'flops': None}
        try:
            if input_size is None:
                raise ValueError('the decoder config has no input_size')
            complexity.update(model_complexity(runner.model, input_size))
        except Exception as error:  # a leaderboard row must not fail a test
            logger.warning(
                f'LeaderboardHook: params/FLOPs not measured ({type(error).__name__}: {error})'
            )
        return {
            'config': config_name(getattr(runner.cfg, 'filename', None), runner.experiment_name),
            'dataset': _dataset_name(runner),
            'codec': describe_codec(decoder_cfg),
            'input_size': _as_list(input_size),
            'heatmap_size': _as_list(codec_size(decoder_cfg, 'heatmap_size')),
            'params': complexity['params'],
            'flops': complexity['flops'],
            'metrics': _float_metrics(metrics, logger),
            'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
            'commit': git_commit(),
        }


def _decoder_cfg(cfg) -> Optional[dict]:
    """``cfg.model.head.decoder`` as a plain dict, or None if absent."""
    head = (cfg.get('model') or {}).get('head') or {}
    decoder = head.get('decoder')
    return _plain(decoder) if isinstance(decoder, dict) else None


def _dataset_name(runner) -> Optional[str]:
    """The test set's ``dataset_name`` meta, else its class name."""
    dataset = runner.test_dataloader.dataset
    metainfo = getattr(dataset, 'metainfo', None) or {}
    return metainfo.get('dataset_name', type(dataset).__name__)


def _float_metrics(metrics: Dict[str, Any], logger) -> Dict[str, float]:
    """Keep the metrics that are numbers, as floats; warn about the rest."""
    floats = {}
    for key, value in metrics.items():
        try:
            floats[key] = float(value)
        except (TypeError, ValueError):
            logger.warning(
                f'LeaderboardHook: metric {key!r} is not a number ({value!r}) and is not recorded'
            )
    return floats


def _plain(value: Any) -> Any:
    """Turn ConfigDicts and tuples into JSON-friendly dicts and lists."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _as_list(size: Optional[Tuple[int, ...]]) -> Optional[list]:
    """JSON has no tuples: store sizes as lists."""
    return list(size) if size is not None else None
