"""A training config whose pipeline contradicts its head fails in tools/train.py, before
anything is built, with a message naming both codecs (the stale-pipeline trap)."""

import copy
import sys
from pathlib import Path
from unittest import mock

import pytest
from mmengine.config import Config
from utils import CONFIG_DIR, ROOT, load_tool

import h3r_mmpose  # noqa: F401  (registers the plugin)
from h3r_mmpose.utils.config_checks import check_train_pipeline

TINY_CONFIG = ROOT / 'tests' / 'data' / 'tiny_h3r_coco.py'
COCO_CONFIG = (
    CONFIG_DIR / 'body_2d_keypoint' / 'coco' / 'td-hm-h3r_hrnet-w32_8xb64-210e_coco-256x192.py'
)

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


def write_stale_child(tmp_path: Path) -> Path:
    """A child config that redefines `codec` for stride 8 and forgets the training pipeline,
    the trap the README warns about."""
    child = tmp_path / 'stale_child.py'
    child.write_text(
        f'_base_ = [{str(COCO_CONFIG)!r}]\n'
        'codec = dict(_base_.codec, heatmap_size=(24, 32))\n'
        'model = dict(head=dict(num_downsample_layers=1, decoder=codec))\n'
    )
    return child


def test_stale_training_pipeline_fails_in_tools_train_before_building(tmp_path):
    child = write_stale_child(tmp_path)
    cfg = Config.fromfile(str(child))
    message = r'GenerateTarget encoder .*48, 64.* differs from model.head.decoder .*24, 32'
    with pytest.raises(ValueError, match=message):
        check_train_pipeline(cfg)
    train = load_tool('train')
    argv = ['tools/train.py', str(child), '--work-dir', str(tmp_path / 'work')]
    with mock.patch.object(sys, 'argv', argv), pytest.raises(ValueError, match='stale|rebuild'):
        train.build_config(train.parse_args())


def test_shipped_configs_pass_the_pipeline_check():
    for path in sorted(CONFIG_DIR.rglob('*.py')):
        check_train_pipeline(Config.fromfile(str(path)))


def test_pipeline_check_ignores_other_heads_and_multi_target_encoders():
    cfg = Config.fromfile(str(TINY_CONFIG))
    stock_like = copy.deepcopy(cfg)
    stock_like.model.head.type = 'HeatmapHead'
    stock_like.train_dataloader.dataset.pipeline[4].encoder = dict(
        type='MSRAHeatmap', input_size=(96, 128), heatmap_size=(24, 32), sigma=2
    )
    check_train_pipeline(stock_like)
    multi = copy.deepcopy(cfg)
    multi.train_dataloader.dataset.pipeline[4].encoder = [multi.codec, multi.codec]
    check_train_pipeline(multi)
