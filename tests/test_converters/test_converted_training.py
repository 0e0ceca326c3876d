"""Converted stock configs of every dataset family in the samples train a few iterations and
evaluate through MMEngine's Runner, with a tiny HRNet in place of the full backbone. The
cases also cover a UDP config, coarser strides, the stochastic target, and an RSN-18 config
(multi-stage, multi-level targets in the stock config) at its own, small size."""

import numpy as np
import pytest
from mmengine.runner import Runner
from stock_configs import convert
from utils import quick_run, use_samples, use_tiny_hrnet

COCO_KEYS = ['coco/AP', 'floor/coco/AP', 'floor/error_px']
#: Faces: the stock NME, the per-image face metric, and the floor scored by the face metric.
FACE_KEYS = ['NME', 'face/NME_percent', 'floor/face/NME_percent', 'floor/error_px']


def face_case(face: str, **options) -> tuple:
    """A face dataset's case: its stock HRNetV2-W18 config, ``options`` and the face keys."""
    config = f'td-hm_hrnetv2-w18_8xb64-60e_{face}-256x256.py'
    return f'face_2d_keypoint/topdown_heatmap/{face}/{config}', options, FACE_KEYS


#: Case -> (stock config, converter options, metric keys validation must report). The sample
#: dataset is the case's name up to any '-'.
CASES = {
    'coco': (
        'body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_udp-8xb64-210e_coco-256x192.py',
        dict(),
        COCO_KEYS,
    ),
    'mpii': (
        'body_2d_keypoint/topdown_heatmap/mpii/td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py',
        dict(stride=8),
        ['PCK', 'floor/PCK', 'floor/error_px'],
    ),
    'wflw': face_case('wflw', stride=16),
    '300w': face_case('300w'),
    'cofw': face_case('cofw', target_type='stochastic', decoder='topk', topk=9),
    'aflw': face_case('aflw', stride=8),
    'coco-rsn18': (
        'body_2d_keypoint/topdown_heatmap/coco/td-hm_rsn18_8xb32-210e_coco-256x192.py',
        dict(),
        COCO_KEYS,
    ),
}
#: What the floor of the lossless codec shows on ground truth (the stochastic one is measured
#: through its expectation).
PERFECT_FLOOR = {
    'floor/coco/AP': 1.0,
    'floor/PCK': 1.0,
    'floor/face/NME_percent': 0.0,
    'floor/error_px': 0.0,
}

pytestmark = [pytest.mark.usefixtures('mmpose_scope_on_one_thread'), pytest.mark.slow]


@pytest.mark.parametrize('name', CASES)
def test_converted_config_trains_and_evaluates_on_the_samples(name, samples_dir, tmp_path):
    config, options, keys = CASES[name]
    cfg = convert(f'mmpose::{config}', tmp_path / 'config', **options)
    if cfg.model.backbone.type == 'HRNet':
        cfg = use_tiny_hrnet(cfg)
    else:  # RSN-18: small enough as it is, without its pretrained weights
        cfg.model.backbone.init_cfg = None
    dataset = name.split('-')[0]
    cfg = quick_run(use_samples(cfg, samples_dir, dataset), tmp_path, max_iters=2)
    runner = Runner.from_cfg(cfg)
    runner.train()

    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 2 and np.isfinite(losses).all(), losses
    metrics = {
        key[len('val/') :]: buffer.current()
        for key, buffer in runner.message_hub.log_scalars.items()
        if key.startswith('val/')
    }
    assert set(keys) <= set(metrics), sorted(metrics)
    for key in set(keys) & set(PERFECT_FLOOR):
        assert metrics[key] == pytest.approx(PERFECT_FLOOR[key], abs=1e-3), key
    # The model trained is the converted one, at the converted resolution.
    head = runner.model.head
    assert type(head).__name__ == cfg.model.head.type
    assert head.decoder.heatmap_size == tuple(cfg.codec.heatmap_size)
    if 'target_type' in options:
        assert (head.decoder.target_type, head.decoder.topk) == ('stochastic', 9)
