"""The real-faces recipe of docs/real_faces.md, step by step on a tiny slice made here: convert
the data, convert the stock 300W config, train with tools/train.py, test the best checkpoint
with tools/test.py (NME, FR@10, AUC@10, flip test on)."""

import re

import numpy as np
import pytest
from face_slices import face_points, write_slice
from utils import run_tool

from h3r_mmpose.benchmarks.datasets.youtube_faces68 import dataset_cfg_options

pytestmark = pytest.mark.slow

STOCK_300W = (
    'mmpose::face_2d_keypoint/topdown_heatmap/300w/td-hm_hrnetv2-w18_8xb64-60e_300w-256x256.py'
)
#: Small enough for 2 CPU cores: one epoch over the slice, no ImageNet weights (no network).
TINY_RUN = [
    'train_cfg.max_epochs=1',
    'train_dataloader.batch_size=4',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
    'model.backbone.init_cfg=None',
]


def test_convert_train_and_test_the_best_checkpoint(tmp_path):
    rng = np.random.default_rng(1)
    frames, sizes = {}, {}
    for person in range(10):
        name = f'Face_{person:02d}_00.jpg'
        sizes[name] = (96, 96)
        frames[name] = face_points(rng, 96, 96)
    data_dir = tmp_path / 'data'
    write_slice(data_dir, frames, sizes)
    ann_dir = tmp_path / 'annotations'
    converted = run_tool(
        'tools/dataset_converters/youtube_faces68.py',
        str(data_dir),
        '--out',
        str(ann_dir),
        timeout=120,
    )
    options = dataset_cfg_options(data_dir, ann_dir)
    assert ' '.join(options) in converted.stdout
    config = tmp_path / 'td-hm-h3r_hrnetv2-w18_youtube-faces68-256x256.py'
    run_tool('tools/convert_config.py', STOCK_300W, '--out', str(config), timeout=120)
    work_dir = tmp_path / 'work'
    run_tool(
        'tools/train.py',
        str(config),
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        *options,
        *TINY_RUN,
        timeout=900,
    )
    best = sorted(work_dir.glob('best_NME_epoch_*.pth'))
    assert len(best) == 1, sorted(p.name for p in work_dir.iterdir())
    tested = run_tool(
        'tools/test.py',
        str(config),
        str(best[0]),
        '--work-dir',
        str(tmp_path / 'test'),
        '--cfg-options',
        *options,
        *TINY_RUN,
        timeout=600,
    )
    log = tested.stdout + tested.stderr
    for key in ('NME', 'face/NME_percent', 'face/FR@10_percent', 'face/AUC@10'):
        assert re.search(rf'{re.escape(key)}: [0-9.]+', log), key
    assert "'flip_test': True" in log or 'flip_test=True' in log
