"""`tools/train.py --amp`: MMEngine's AmpOptimWrapper, which needs a GPU to train."""

import json
import sys
from unittest import mock

import numpy as np
import pytest
import torch
from utils import ROOT, coco_sample_options, load_tool, run_tool_in_process

TINY_CONFIG = ROOT / 'tests' / 'data' / 'tiny_h3r_coco.py'


def test_amp_flag_selects_the_amp_optim_wrapper(tmp_path):
    train = load_tool('train')
    argv = ['tools/train.py', str(TINY_CONFIG), '--amp', '--work-dir', str(tmp_path)]
    with mock.patch.object(sys, 'argv', argv):
        cfg = train.build_config(train.parse_args())
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.optim_wrapper.optimizer.type == 'Adam'  # the rest is the config's


@pytest.mark.skipif(not torch.cuda.is_available(), reason='AmpOptimWrapper needs a CUDA device')
def test_amp_training_on_a_gpu_has_a_finite_loss(tmp_path, samples_dir):
    run_tool_in_process(
        'train',
        TINY_CONFIG,
        '--amp',
        '--work-dir',
        tmp_path,
        '--cfg-options',
        'train_cfg.max_iters=4',
        'train_cfg.val_interval=4',
        'default_hooks.checkpoint.interval=4',
        *coco_sample_options(samples_dir),
    )
    (log,) = tmp_path.glob('*/vis_data/scalars.json')
    records = [json.loads(line) for line in log.read_text().splitlines()]
    losses = [record['loss'] for record in records if 'loss' in record]
    assert len(losses) == 4 and np.isfinite(losses).all(), losses
    checkpoint = torch.load(tmp_path / 'iter_4.pth', map_location='cpu')
    assert 'loss_scaler' in checkpoint['optimizer']  # it was the AmpOptimWrapper that trained
