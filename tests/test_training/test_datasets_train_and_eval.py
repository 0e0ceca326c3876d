"""The shipped stride-4 configs train and validate through MMEngine's Runner on the real
samples of all six datasets, with a tiny HRNet in place of the full backbone."""

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpose.registry import DATASETS, MODELS
from utils import CONFIG_DIR, quick_run, torch_threads, use_samples, use_tiny_hrnet

import h3r_mmpose  # noqa: F401  (registers the plugin)

FACE_KEYS = [
    'NME',
    'face/NME_percent',
    'face/FR@10_percent',
    'face/AUC@10',
    'floor/face/NME_percent',
    'floor/face/FR@10_percent',
    'floor/face/AUC@10',
    'floor/error_px',
]
#: Dataset -> (its stride-4 config, metric keys validation must report, save_best's key).
CASES = {
    'coco': (
        'body_2d_keypoint/coco/td-hm-h3r_hrnet-w32_8xb64-210e_coco-256x192.py',
        ['coco/AP', 'coco/AR', 'floor/coco/AP', 'floor/error_px'],
        'coco/AP',
    ),
    # PCKAccuracy stands in for MpiiPCKAccuracy (no head boxes in the samples); see use_samples.
    'mpii': (
        'body_2d_keypoint/mpii/td-hm-h3r_hrnet-w32_8xb64-210e_mpii-256x256.py',
        ['PCK', 'floor/PCK', 'floor/error_px'],
        'PCK',
    ),
    **{
        face: (
            f'face_2d_keypoint/{face}/td-hm-h3r_hrnetv2-w18_8xb64-60e_{face}-256x256.py',
            FACE_KEYS,
            'NME',
        )
        for face in ('wflw', '300w', 'cofw', 'aflw')
    },
}
#: What the floor of the lossless expected-target codec must show on ground truth.
PERFECT_FLOOR = {
    'floor/coco/AP': 1.0,
    'floor/PCK': 1.0,
    'floor/face/NME_percent': 0.0,
    'floor/face/FR@10_percent': 0.0,
    'floor/face/AUC@10': 1.0,
    'floor/error_px': 0.0,
}


@pytest.fixture(autouse=True, scope='module')
def mmpose_scope_on_one_thread():
    init_default_scope('mmpose')
    with torch_threads(1):
        yield


def sample_config(name: str, samples_dir) -> Config:
    path, _, _ = CASES[name]
    cfg = Config.fromfile(str(CONFIG_DIR / path))
    return use_samples(use_tiny_hrnet(cfg), samples_dir, name)


@pytest.mark.parametrize('name', CASES)
def test_config_trains_and_validates_on_the_samples(name, samples_dir, tmp_path):
    cfg = quick_run(sample_config(name, samples_dir), tmp_path, max_iters=2)
    runner = Runner.from_cfg(cfg)
    runner.train()

    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 2 and np.isfinite(losses).all(), losses
    metrics = {
        key[len('val/') :]: buffer.current()
        for key, buffer in runner.message_hub.log_scalars.items()
        if key.startswith('val/')
    }
    _, keys, best_key = CASES[name]
    assert set(keys) <= set(metrics), sorted(metrics)
    # The codec round-trips the ground truth without loss, through the configs' crops.
    for key in set(keys) & set(PERFECT_FLOOR):
        assert metrics[key] == pytest.approx(PERFECT_FLOOR[key], abs=1e-3), key
    # save_best found its key among the reported ones and saved the checkpoint.
    (best,) = tmp_path.glob('best_*.pth')
    assert best.name == f'best_{best_key.replace("/", "_")}_iter_2.pth'


def test_small_model_fits_one_fixed_batch(samples_dir):
    """A tiny HRNet on four real COCO people, no augmentation: the loss must fall fast."""
    torch.manual_seed(0)
    cfg = sample_config('coco', samples_dir)
    (generate_target,) = [step for step in cfg.train_pipeline if step.type == 'GenerateTarget']
    pipeline = cfg.val_pipeline[:-1] + [generate_target, dict(type='PackPoseInputs')]
    dataset = DATASETS.build(dict(cfg.train_dataloader.dataset, pipeline=pipeline))
    batch = pseudo_collate([dataset[index] for index in range(4)])
    assert all(
        sample.gt_instance_labels.keypoint_weights.sum() > 0 for sample in batch['data_samples']
    )

    model = MODELS.build(cfg.model)
    model.init_weights()
    optim_wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=2e-3))
    losses = [model.train_step(batch, optim_wrapper)['loss_kpt'].item() for _ in range(35)]
    assert np.isfinite(losses).all()
    assert losses[-1] < 0.7 * losses[0], losses
