"""Hook that records each test run as one row of a JSON-lines leaderboard.

A row holds what is needed to compare runs later without their work directories (its
format: :mod:`.leaderboard_row`). ``tools/leaderboard.py`` renders the rows as Markdown or
HTML tables.
"""

import json
import os
import os.path as osp
from typing import Any, Dict, Optional

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmpose.registry import HOOKS

from ...utils.git_info import git_commit
from ...utils.model_complexity import model_complexity
from .leaderboard_row import (
    Row,
    codec_size,
    config_name,
    decoder_config,
    float_metrics,
    leaderboard_row,
)


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
        #: The row of the latest test run, for callers that hold the runner.
        self.last_row: Optional[Row] = None

    @master_only
    def after_test_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        """Build the run's row and append it to ``out_file``.

        Args:
            runner (Runner): The runner of the test run.
            metrics (dict, optional): The test metrics, e.g.
                ``{'NME_percent': 4.1, 'FR@10_percent': 2.5}``.
        """
        row = self.last_row = self.build_row(runner, metrics or {})
        out_file = self.out_file or osp.join(runner.work_dir, 'leaderboard.jsonl')
        out_dir = osp.dirname(osp.abspath(out_file))
        os.makedirs(out_dir, exist_ok=True)
        with open(out_file, 'a', encoding='utf-8') as f:
            f.write(json.dumps(row) + '\n')
        runner.logger.info(f'Leaderboard row appended to {out_file}')

    def build_row(self, runner, metrics: Dict[str, Any]) -> Row:
        """Collect everything a leaderboard row needs from the runner.

        Args:
            runner (Runner): The runner of the test run.
            metrics (dict): The test metrics.

        Returns:
            dict: The row, JSON-serialisable.
        """
        logger = MMLogger.get_current_instance()
        decoder_cfg = decoder_config(runner.cfg)
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
        return leaderboard_row(
            config=config_name(getattr(runner.cfg, 'filename', None), runner.experiment_name),
            dataset=_dataset_name(runner),
            decoder_cfg=decoder_cfg,
            complexity=complexity,
            metrics=float_metrics(metrics, logger),
            commit=git_commit(),
        )


def _dataset_name(runner) -> Optional[str]:
    """The test set's ``dataset_name`` meta, else its class name."""
    dataset = runner.test_dataloader.dataset
    metainfo = getattr(dataset, 'metainfo', None) or {}
    return metainfo.get('dataset_name', type(dataset).__name__)
