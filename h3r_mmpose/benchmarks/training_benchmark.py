"""The sub-pixel landmark benchmark: the same small model trained with each codec.

Every run trains the same network on the same synthetic landmarks (exact sub-pixel ground
truth, see :mod:`h3r_mmpose.benchmarks.datasets`) with the same schedule, through
MMPose's real ``Runner``, pipeline and metrics; only the codec, the loss and the head's
output layer change. Two network families, as users train them:

- ``resnet``: a SimpleBaseline (narrow ResNet-18, features at 1/32, one deconvolution per
  halving of the stride; MMPose's ResNet configs), at strides 4, 8 and 16;
- ``hrnet``: MMPose's ``HRNet`` (narrow, one module per stage), whose 1/4 features feed a
  1x1 layer as in the stock HRNet configs; stride 4, the stride those configs use.

==============================  ===========================================================
row                             training and decoding
==============================  ===========================================================
MSRAHeatmap, DARK, UDPHeatmap   ``HeatmapHead`` + ``KeypointMSELoss`` (Gaussian, sigma 2)
SimCCLabel                      ``SimCCHead`` + ``KLDiscretLoss``, split ratio ``1/stride``
H3R rows (:data:`H3R_ROWS`)     ``H3RHead``; target, loss, schedule and decoder per row
==============================  ===========================================================

Rows that train the same way and differ only in the decoder share one training run; each
decoder is then tested on the trained checkpoint. Reported per row, stride and seed: the test
EPE in input pixels (the crop is the whole image), the NME, the codec's quantization floor,
the training time, the FLOPs, and the test EPE at regular intervals during training (the
convergence curve). Each test appends a leaderboard row (``LeaderboardHook``).
"""

import copy
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from tqdm import tqdm

import h3r_mmpose  # noqa: F401  (registers our modules)

from ..codecs.utils import exact_mean_shift_radius
from ..engine.hooks import LeaderboardHook
from .budgets import TRAINING_FULL
from .datasets import make_synthetic_landmarks
from .reporting import software_versions

OURS = 'H3R (ours)'
PEERS = ('MSRAHeatmap', 'DARK', 'UDPHeatmap', 'SimCCLabel')
STRIDES = (4, 8, 16)
BACKBONES = ('resnet', 'hrnet')
RESNET_STRIDE = 32
RESNET_CHANNELS = 128
#: Branch widths of the benchmark's HRNet (HRNet-W16 layout, one block per branch).
HRNET_WIDTHS = (16, 32, 64, 128)
HRNET_STRIDE = 4

#: The training augmentation of MMPose's stock face configs (WFLW, 300W, COFW, AFLW). Every
#: landmark is point-symmetric and keeps its identity under a flip.
AUGMENTATION = (
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0, rotate_factor=60, scale_factor=(0.75, 1.25)),
)

CROSS_ENTROPY = dict(type='HeatmapCrossEntropyLoss')
BINARY = dict(type='HeatmapBinaryCrossEntropyLoss')


@dataclass(frozen=True)
class H3RRow:
    """How one H3R row trains and decodes.

    Attributes:
        target_type (str): the codec's ``target_type``.
        loss (dict): the head's loss config.
        annealing (dict, optional): a ``TargetSigmaAnnealingHook`` config.
        decoder (dict): the codec's decoding arguments.
    """

    target_type: str = 'expected'
    loss: dict = field(default_factory=lambda: dict(CROSS_ENTROPY))
    annealing: Optional[dict] = None
    decoder: dict = field(default_factory=lambda: dict(decoder='mean_shift'))

    def training_key(self) -> str:
        """Rows with equal keys share one training run."""
        return json.dumps([self.target_type, self.loss, self.annealing], sort_keys=True)


#: The target schedule of the ablation: sigma 2 -> 0.5 at 3/4 of the iterations (the hook's
#: defaults; the shipped default before the benchmark trained with augmentation).
ANNEALED = dict(type='TargetSigmaAnnealingHook', start_sigma=2.0)
#: Every H3R form the benchmark can train; ``OURS`` is what the shipped configs use: the
#: expected target, the grid cross-entropy and the mean shift, no schedule.
H3R_ROWS: Dict[str, H3RRow] = {
    OURS: H3RRow(),
    'H3R CE, top-4 (v0.1)': H3RRow(decoder=dict(decoder='topk', topk=4)),
    'H3R annealed, mean shift': H3RRow(annealing=ANNEALED),
    'H3R annealed, top-4': H3RRow(annealing=ANNEALED, decoder=dict(decoder='topk', topk=4)),
    'H3R annealed to 0, mean shift': H3RRow(
        annealing=dict(ANNEALED, end_sigma=0.0, end_fraction=1.0)
    ),
    'H3R Gaussian s1, mean shift': H3RRow(
        loss=dict(CROSS_ENTROPY, target_sigma=1.0),
        decoder=dict(decoder='mean_shift', radius=exact_mean_shift_radius(1.0)),
    ),
    'H3R paper (binary, one-hot, top-9)': H3RRow(
        target_type='stochastic', loss=BINARY, decoder=dict(decoder='paper', topk=9)
    ),
    'H3R binary one-hot, mean shift': H3RRow(target_type='stochastic', loss=BINARY),
}
#: Rows of the default run: the peers and ours. The other H3R rows are the ablation.
DEFAULT_ROWS = PEERS + (OURS,)
ALL_ROWS = PEERS + tuple(H3R_ROWS)


def heatmap_head(backbone: str, stride: int, num_keypoints: int) -> dict:
    """The layers of a heatmap head for the backbone, without type, loss or decoder."""
    if backbone == 'hrnet':
        return dict(
            in_channels=HRNET_WIDTHS[0], out_channels=num_keypoints, deconv_out_channels=None
        )
    num_deconvs = int(np.log2(RESNET_STRIDE // stride))
    return dict(
        in_channels=RESNET_CHANNELS,
        out_channels=num_keypoints,
        deconv_out_channels=(64,) * num_deconvs,
        deconv_kernel_sizes=(4,) * num_deconvs,
    )


def codec_and_head(
    row: str, stride: int, input_size: Tuple[int, int], num_keypoints: int, backbone: str = 'resnet'
) -> Tuple[dict, dict]:
    """The codec config and the head config that trains it, for one heatmap stride.

    Raises:
        ValueError: for an unknown row or backbone, or a stride the backbone's stock head
            cannot produce (HRNet's features are at 1/4).
    """
    if backbone not in BACKBONES:
        raise ValueError(f'backbone must be one of {BACKBONES}, got {backbone!r}')
    if backbone == 'hrnet' and stride != HRNET_STRIDE:
        raise ValueError(
            f'stride {stride} is not available with backbone hrnet: its stock head reads the '
            f'1/{HRNET_STRIDE} features, so only stride {HRNET_STRIDE} compares codecs fairly'
        )
    heatmap_size = (input_size[0] // stride, input_size[1] // stride)
    sizes = dict(input_size=input_size, heatmap_size=heatmap_size)
    layers = heatmap_head(backbone, stride, num_keypoints)
    mse = dict(type='KeypointMSELoss', use_target_weight=True)
    if row in ('MSRAHeatmap', 'DARK'):
        codec = dict(type='MSRAHeatmap', sigma=2, unbiased=row == 'DARK', **sizes)
        return codec, dict(type='HeatmapHead', loss=mse, decoder=codec, **layers)
    if row == 'UDPHeatmap':
        codec = dict(type='UDPHeatmap', sigma=2, **sizes)
        return codec, dict(type='HeatmapHead', loss=mse, decoder=codec, **layers)
    if row == 'SimCCLabel':
        split_ratio = 1 / stride
        # MMPose's stock SimCC label is 3 px wide (sigma 6 bins at 2 bins per pixel).
        codec = dict(
            type='SimCCLabel',
            input_size=input_size,
            smoothing_type='gaussian',
            sigma=3.0 * split_ratio,
            simcc_split_ratio=split_ratio,
        )
        feature_stride = HRNET_STRIDE if backbone == 'hrnet' else RESNET_STRIDE
        return codec, dict(
            type='SimCCHead',
            in_channels=layers['in_channels'],
            out_channels=num_keypoints,
            input_size=input_size,
            in_featuremap_size=(input_size[0] // feature_stride, input_size[1] // feature_stride),
            simcc_split_ratio=split_ratio,
            deconv_out_channels=None,
            loss=dict(type='KLDiscretLoss', use_target_weight=True),
            decoder=codec,
        )
    if row in H3R_ROWS:
        form = H3R_ROWS[row]
        codec = dict(
            type='RandomizedRoundingHeatmap', target_type=form.target_type, **sizes, **form.decoder
        )
        return codec, dict(type='H3RHead', loss=dict(form.loss), decoder=codec, **layers)
    raise ValueError(f'row must be one of {ALL_ROWS}, got {row!r}')


def backbone_config(backbone: str) -> dict:
    """The benchmark's narrow ResNet-18 or HRNet."""
    if backbone == 'resnet':
        return dict(type='ResNet', depth=18, stem_channels=16, base_channels=16)
    stages = {}
    for index, (name, block) in enumerate(
        [('stage1', 'BOTTLENECK'), ('stage2', 'BASIC'), ('stage3', 'BASIC'), ('stage4', 'BASIC')]
    ):
        branches = max(1, index + 1)
        widths = (HRNET_WIDTHS[0] * 2,) if index == 0 else HRNET_WIDTHS[:branches]
        stages[name] = dict(
            num_modules=1,
            num_branches=branches,
            block=block,
            num_blocks=(1,) * branches,
            num_channels=widths,
        )
    return dict(type='HRNet', in_channels=3, extra=stages)


def run_name(row: str) -> str:
    """A file-system friendly name: 'H3R CE, top-4 (v0.1)' -> 'H3R_CE_top-4_v0.1'."""
    kept = ''.join(c if c.isalnum() or c in '-.' else '_' for c in row.replace(' (ours)', ''))
    return '_'.join(part for part in kept.split('_') if part)


def run_config(
    row: str,
    stride: int,
    backbone: str,
    data_root: Path,
    work_dir: Path,
    leaderboard_file: Path,
    input_size: Tuple[int, int],
    num_keypoints: int,
    budget: Mapping[str, int],
    seed: int,
    augment: bool = True,
) -> Config:
    """A complete MMEngine config for one training run, validated on the test split every
    ``budget['eval_interval']`` iterations; its test appends a leaderboard row.

    With ``augment`` the training pipeline applies :data:`AUGMENTATION`, as the stock configs
    do; without it, the training images are seen unchanged (a regime where the network
    overfits, see the README)."""
    codec, head = codec_and_head(row, stride, input_size, num_keypoints, backbone)
    use_udp = codec['type'] == 'UDPHeatmap'
    # The box is the whole image (padding 1.0): crop pixels are image pixels.
    load_and_box = [dict(type='LoadImage'), dict(type='GetBBoxCenterScale', padding=1.0)]
    crop = dict(type='TopdownAffine', input_size=input_size, use_udp=use_udp)
    augmentation = [dict(step) for step in AUGMENTATION] if augment else []
    test_pipeline = [*load_and_box, crop, dict(type='PackPoseInputs')]
    train_pipeline = [
        *load_and_box,
        *augmentation,
        crop,
        dict(type='GenerateTarget', encoder=codec),
        dict(type='PackPoseInputs'),
    ]

    def dataset(split: str, pipeline: list) -> dict:
        return dict(
            type='SyntheticLandmarkDataset',
            data_root=str(data_root),
            data_mode='topdown',
            ann_file=f'annotations/{split}.json',
            data_prefix=dict(img='images/'),
            test_mode=split != 'train',
            pipeline=pipeline,
        )

    def test_loader() -> dict:
        return dict(
            batch_size=64,
            num_workers=0,
            drop_last=False,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dataset('test', test_pipeline),
        )

    custom_hooks: List[dict] = [dict(type='LeaderboardHook', out_file=str(leaderboard_file))]
    if row in H3R_ROWS and H3R_ROWS[row].annealing is not None:
        custom_hooks.append(dict(H3R_ROWS[row].annealing))
    max_iters = budget['max_iters']
    warmup = max(1, max_iters // 20)
    return Config(
        dict(
            default_scope='mmpose',
            work_dir=str(work_dir),
            experiment_name=f'{run_name(row)}_{backbone}_s{stride}_seed{seed}',
            log_level='WARNING',
            randomness=dict(seed=seed),
            env_cfg=dict(
                cudnn_benchmark=False,
                mp_cfg=dict(mp_start_method='fork'),
                dist_cfg=dict(backend='gloo'),
            ),
            default_hooks=dict(
                timer=dict(type='IterTimerHook'),
                logger=dict(type='LoggerHook', interval=max_iters),
                param_scheduler=dict(type='ParamSchedulerHook'),
                checkpoint=None,
            ),
            log_processor=dict(by_epoch=False),
            custom_hooks=custom_hooks,
            model=dict(
                type='TopdownPoseEstimator',
                data_preprocessor=dict(
                    type='PoseDataPreprocessor',
                    mean=[123.675, 116.28, 103.53],
                    std=[58.395, 57.12, 57.375],
                    bgr_to_rgb=True,
                ),
                backbone=backbone_config(backbone),
                head=head,
                test_cfg=dict(flip_test=False),
            ),
            train_dataloader=dict(
                batch_size=budget['batch_size'],
                num_workers=0,
                sampler=dict(type='InfiniteSampler', shuffle=True),
                dataset=dataset('train', train_pipeline),
            ),
            train_cfg=dict(
                type='IterBasedTrainLoop', max_iters=max_iters, val_interval=budget['eval_interval']
            ),
            optim_wrapper=dict(optimizer=dict(type='Adam', lr=2e-3)),
            param_scheduler=[
                dict(type='LinearLR', start_factor=0.01, begin=0, end=warmup, by_epoch=False),
                dict(
                    type='CosineAnnealingLR',
                    T_max=max_iters - warmup,
                    begin=warmup,
                    end=max_iters,
                    eta_min=1e-5,
                    by_epoch=False,
                ),
            ],
            val_dataloader=test_loader(),
            val_cfg=dict(type='ValLoop'),
            val_evaluator=[dict(type='EPE')],
            test_dataloader=test_loader(),
            test_cfg=dict(type='TestLoop'),
            test_evaluator=[
                dict(type='EPE'),
                dict(type='NME', norm_mode='use_norm_item', norm_item='bbox_size'),
                dict(type='QuantizationFloorMetric', codec=codec),
            ],
        )
    )


class ConvergenceRecorder(Hook):
    """Records the validation EPE after each validation: the convergence curve."""

    priority = 'LOW'

    def __init__(self) -> None:
        self.curve: List[Tuple[int, float]] = []

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        self.curve.append((runner.iter, float((metrics or {})['EPE'])))


def test_run(cfg: Config, state_dict: dict) -> Dict[str, float]:
    """Test the model of a run's config with the given weights and read its figures."""
    runner = Runner.from_cfg(cfg)
    runner.model.load_state_dict(state_dict)
    metrics = runner.test()
    leaderboard_row = next(h for h in runner.hooks if isinstance(h, LeaderboardHook)).last_row
    return dict(
        epe_px=float(metrics['EPE']),
        nme=float(metrics['NME']),
        floor_px=float(metrics['floor/error_px']),
        flops=leaderboard_row['flops'],
        params=leaderboard_row['params'],
    )


def training_split_epe(cfg: Config, state_dict: dict) -> float:
    """The EPE of the trained model on its own (unaugmented) training images: beside the test
    EPE, it shows how much of the error is overfitting."""
    cfg = copy.deepcopy(cfg)  # the caller tests the same config on the test split
    cfg.work_dir = str(Path(cfg.work_dir) / 'train_split')
    cfg.custom_hooks = []
    cfg.test_evaluator = [dict(type='EPE')]
    test_pipeline = cfg.test_dataloader.dataset.pipeline
    cfg.test_dataloader.dataset = dict(cfg.train_dataloader.dataset, pipeline=test_pipeline)
    runner = Runner.from_cfg(cfg)
    runner.model.load_state_dict(state_dict)
    return float(runner.test()['EPE'])


def train_and_test(
    configs: Dict[str, Config],
) -> Dict[str, dict]:
    """Train the first config, then test the trained model with every config's decoder.

    Args:
        configs (dict): row name -> config; all train the same way (equal
            :meth:`H3RRow.training_key`), the first one is trained.

    Returns:
        dict: row name -> figures (see :func:`test_run`) plus ``train_seconds``, the
        convergence ``curve`` [(iteration, EPE px)] and ``train_epe_px`` (see
        :func:`training_split_epe`), both measured with the first row's decoder.
    """
    first = next(iter(configs.values()))
    runner = Runner.from_cfg(first)
    recorder = ConvergenceRecorder()
    runner.register_hook(recorder)
    start = time.perf_counter()
    runner.train()
    train_seconds = time.perf_counter() - start
    weights = runner.model.state_dict()
    train_epe = training_split_epe(first, weights)
    figures = {}
    for row, cfg in configs.items():
        cfg = cfg.copy()
        cfg.work_dir = str(Path(cfg.work_dir) / 'test')
        figures[row] = dict(
            test_run(cfg, weights),
            train_seconds=train_seconds,
            curve=recorder.curve,
            train_epe_px=train_epe,
        )
    return figures


def training_groups(rows: Sequence[str]) -> List[List[str]]:
    """Rows grouped by how they train, in first-appearance order; peers train alone."""
    groups: Dict[str, List[str]] = {}
    for row in rows:
        key = H3R_ROWS[row].training_key() if row in H3R_ROWS else row
        groups.setdefault(key, []).append(row)
    return list(groups.values())


def benchmark_training(
    out_dir: Path,
    budget: Mapping[str, int] = TRAINING_FULL,
    image_size: int = 128,
    num_keypoints: int = 5,
    rows: Sequence[str] = DEFAULT_ROWS,
    strides: Sequence[int] = STRIDES,
    backbone: str = 'resnet',
    seeds: Sequence[int] = (0,),
    progress: bool = True,
    augment: bool = True,
) -> dict:
    """Generate the data (once per size) and train every row at every stride and seed.

    The data is the same for every seed (generated with seed 0); the seed sets the
    network's initialisation, the batch order and the augmentation's draws.

    Returns:
        dict: ``meta`` (parameters, versions) and ``results``: one dict per row, stride and
        seed with ``epe_px``, ``train_epe_px``, ``nme``, ``floor_px``, ``train_seconds``,
        ``flops``, ``params`` and ``curve``.
    """
    input_size = (image_size, image_size)
    data_root = out_dir / f'data_{image_size}x{image_size}_k{num_keypoints}'
    marker = data_root / f'.complete_{budget["num_train"]}_{budget["num_test"]}'
    if not marker.exists():
        make_synthetic_landmarks(
            data_root,
            num_train=budget['num_train'],
            num_val=0,
            num_test=budget['num_test'],
            image_size=input_size,
            num_keypoints=num_keypoints,
            seed=0,
        )
        marker.touch()
    logging.getLogger('mmengine').setLevel(logging.WARNING)
    leaderboard_file = out_dir / 'leaderboard.jsonl'
    jobs = [
        (group, stride, seed)
        for stride in strides
        for seed in seeds
        for group in training_groups(rows)
    ]
    meta = dict(
        budget,
        image_size=list(input_size),
        num_keypoints=num_keypoints,
        backbone=backbone,
        seeds=list(seeds),
        augment=augment,
        torch_threads=torch.get_num_threads(),
        **software_versions(),
    )
    results: List[dict] = []
    # Rewritten after every training run, so an interrupted benchmark keeps what it measured.
    partial = out_dir / 'training_benchmark.partial.json'
    bar = tqdm(jobs, desc='training runs', disable=not progress)
    for group, stride, seed in bar:
        bar.set_postfix_str(f'{group[0]} {backbone} stride {stride} seed {seed}')
        configs = {
            row: run_config(
                row,
                stride,
                backbone,
                data_root,
                out_dir / 'runs' / f'{run_name(group[0])}_{backbone}_s{stride}_seed{seed}',
                leaderboard_file,
                input_size,
                num_keypoints,
                budget,
                seed,
                augment,
            )
            for row in group
        }
        for row, figures in train_and_test(configs).items():
            results.append(
                dict(
                    codec=row,
                    backbone=backbone,
                    stride=stride,
                    seed=seed,
                    heatmap_size=[image_size // stride] * 2,
                    **figures,
                )
            )
        partial.write_text(json.dumps(dict(meta=meta, results=results), indent=1))
    return dict(meta=meta, results=results)
