"""A new user's whole path on the real samples of all six datasets, with a tiny HRNet in
place of the shipped stride-4 configs' backbone: train through ``tools/train.py`` with
``save_best``, then reload the best and the last checkpoint through ``tools/test.py`` and
``init_model`` + ``inference_topdown``, resume from the last (``--resume``) and run
``MMPoseInferencer`` on the best. Every entry point reloads through MMEngine's loader with
torch's ``weights_only`` kept on.

One training run per dataset (a module-scoped fixture) serves every entry point; the tools
run in this process (``main()`` with their command line), as ``python tools/...`` would."""

import json
import pickle
from pathlib import Path
from types import SimpleNamespace

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper
from mmpose.apis import MMPoseInferencer, inference_topdown, init_model
from mmpose.registry import DATASETS, MODELS
from utils import (
    CONFIG_DIR,
    quick_run,
    run_tool_in_process,
    use_samples,
    use_tiny_hrnet,
)

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
MAX_ITERS = 1

pytestmark = [pytest.mark.usefixtures('mmpose_scope_on_one_thread'), pytest.mark.slow]


def sample_config(name: str, samples_dir) -> Config:
    path, _, _ = CASES[name]
    cfg = Config.fromfile(str(CONFIG_DIR / path))
    return use_samples(use_tiny_hrnet(cfg), samples_dir, name)


def read_json_lines(path: Path) -> list:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def logged_test_metrics(work_dir: Path) -> dict:
    """The metrics MMEngine's LoggerHook wrote after a test run in ``work_dir``."""
    (path,) = work_dir.glob('*/[0-9]*.json')
    (metrics,) = read_json_lines(path)
    return metrics


@pytest.fixture(scope='module', params=list(CASES))
def trained(request, samples_dir, tmp_path_factory) -> SimpleNamespace:
    """One iteration and a validation through tools/train.py, with save_best and a last
    checkpoint."""
    name = request.param
    root = tmp_path_factory.mktemp(f'user_path_{name}')
    cfg = quick_run(sample_config(name, samples_dir), root / 'train', max_iters=MAX_ITERS)
    cfg.default_hooks.checkpoint.update(interval=MAX_ITERS, save_last=True)
    config = root / f'tiny_{name}.py'
    cfg.dump(str(config))
    run_tool_in_process(
        'train',
        config,
        '--work-dir',
        root / 'train',
        '--cfg-options',
        f'experiment_name={name}_train',
    )
    (best,) = (root / 'train').glob('best_*.pth')
    last = root / 'train' / f'iter_{MAX_ITERS}.pth'
    # What the message hub kept: each iteration's loss (the log shows window means) and,
    # in the best checkpoint, saved after validation, the validation metrics.
    losses = torch.load(last, map_location='cpu')['message_hub']['log_scalars']['train/loss']
    scalars = torch.load(best, map_location='cpu')['message_hub']['log_scalars']
    return SimpleNamespace(
        name=name,
        root=root,
        config=config,
        checkpoints={'best': best, 'last': last},
        losses=losses.data[0],
        val_metrics={
            key[len('val/') :]: buffer.current()
            for key, buffer in scalars.items()
            if key.startswith('val/')
        },
    )


def test_training_logs_finite_losses_and_every_metric(trained):
    assert len(trained.losses) == MAX_ITERS and np.isfinite(trained.losses).all()
    _, keys, best_key = CASES[trained.name]
    assert set(keys) <= set(trained.val_metrics), sorted(trained.val_metrics)
    # The codec round-trips the ground truth without loss, through the configs' crops.
    for key in set(keys) & set(PERFECT_FLOOR):
        assert trained.val_metrics[key] == pytest.approx(PERFECT_FLOOR[key], abs=1e-3), key
    # save_best found its key among the reported ones and saved the checkpoint.
    best_name = f'best_{best_key.replace("/", "_")}_iter_{MAX_ITERS}.pth'
    assert trained.checkpoints['best'].name == best_name
    assert trained.checkpoints['last'].is_file()


@pytest.mark.parametrize('kind', ['best', 'last'])
def test_tools_test_reproduces_the_validation_metrics(trained, kind):
    work_dir = trained.root / f'test_{kind}'
    predictions = trained.root / f'predictions_{kind}.pkl'
    options = [f'experiment_name={trained.name}_test_{kind}']
    run_tool_in_process(
        'test',
        trained.config,
        trained.checkpoints[kind],
        '--work-dir',
        work_dir,
        '--out',
        predictions,
        '--cfg-options',
        *options,
    )
    metrics = logged_test_metrics(work_dir)
    # Same weights, data and pipeline as the validation after the last training iteration.
    _, keys, _ = CASES[trained.name]
    for key in keys:
        assert metrics[key] == pytest.approx(trained.val_metrics[key], rel=1e-5, abs=1e-6), key
    with open(predictions, 'rb') as file:
        assert len(pickle.load(file)) > 0


def test_resume_continues_from_the_last_checkpoint(trained):
    """(Resuming from the best checkpoint goes through the same loader.)"""
    work_dir = trained.root / 'resume'
    run_tool_in_process(
        'train',
        trained.config,
        '--work-dir',
        work_dir,
        '--resume',
        trained.checkpoints['last'],
        '--cfg-options',
        f'train_cfg.max_iters={MAX_ITERS + 1}',
        f'train_cfg.val_begin={MAX_ITERS + 2}',
        f'experiment_name={trained.name}_resume',
    )
    resumed = torch.load(work_dir / f'iter_{MAX_ITERS + 1}.pth', map_location='cpu')
    assert resumed['meta']['iter'] == MAX_ITERS + 1
    # The message hub came back too: the loss history holds the earlier iterations.
    losses = resumed['message_hub']['log_scalars']['train/loss'].data[0]
    np.testing.assert_allclose(losses[:MAX_ITERS], trained.losses, rtol=1e-6)
    assert len(losses) == MAX_ITERS + 1 and np.isfinite(losses).all()


def first_instance(trained) -> SimpleNamespace:
    """The first sample instance: its image and ground-truth box, read by the stock dataset."""
    cfg = Config.fromfile(str(trained.config))
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    info = dataset.get_data_info(0)
    return SimpleNamespace(img_path=info['img_path'], bbox=info['bbox'], dataset=dataset)


@pytest.mark.parametrize('kind', ['best', 'last'])
def test_init_model_and_inference_topdown_output_heatmaps(trained, kind):
    checkpoint = trained.checkpoints[kind]
    model = init_model(
        str(trained.config),
        str(checkpoint),
        device='cpu',
        cfg_options=dict(model=dict(test_cfg=dict(output_heatmaps=True))),
    )
    saved = torch.load(checkpoint, map_location='cpu')
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, saved['state_dict'][key], msg=key)
    instance = first_instance(trained)
    assert model.dataset_meta['dataset_name'] == instance.dataset.metainfo['dataset_name']

    (result,) = inference_topdown(model, instance.img_path, instance.bbox)
    num_keypoints = instance.dataset.metainfo['num_keypoints']
    width, height = model.head.decoder.heatmap_size
    assert result.pred_instances.keypoints.shape == (1, num_keypoints, 2)
    assert np.isfinite(result.pred_instances.keypoints).all()
    heatmaps = result.pred_fields.heatmaps
    assert heatmaps.shape == (num_keypoints, height, width)
    # Probabilities over each channel's grid: what the codec decodes.
    torch.testing.assert_close(heatmaps.sum(dim=(1, 2)), torch.ones(num_keypoints))


def test_mmpose_inferencer_draws_the_heatmaps(trained, tmp_path):
    """With the best checkpoint, the one a user deploys (the last loads the same way)."""
    instance = first_instance(trained)
    inferencer = MMPoseInferencer(
        pose2d=str(trained.config),
        pose2d_weights=str(trained.checkpoints['best']),
        device='cpu',
        det_model='whole_image',  # no detector download: the image is the box
    )
    (result,) = list(inferencer(instance.img_path, draw_heatmap=True, vis_out_dir=str(tmp_path)))
    (prediction,) = result['predictions'][0]
    assert len(prediction['keypoints']) == instance.dataset.metainfo['num_keypoints']
    assert np.isfinite(prediction['keypoints']).all()
    (picture,) = tmp_path.iterdir()
    # The heatmaps are drawn below the image, which doubles its height.
    image_height = mmcv.imread(instance.img_path).shape[0]
    assert mmcv.imread(str(picture)).shape[0] == 2 * image_height


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
