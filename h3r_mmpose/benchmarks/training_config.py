"""The MMEngine config of one training-benchmark run: a row (:mod:`.training_rows`) on a
network (:mod:`.training_networks`) and a dataset (:class:`BenchmarkData`), with the
benchmark's schedule.

Two datasets:

- ``synthetic``: rendered landmarks with exact sub-pixel labels (:mod:`.datasets`); the box
  is the whole image, so crop pixels are image pixels. No flip test (the marks are not
  mirror pairs).
- ``youtube_faces68``: real faces with 68 human labels, converted to 300W's format
  (:mod:`.datasets.youtube_faces68`), read by MMPose's ``Face300WDataset`` with the stock
  300W pipeline (its box padding, 300W's flip indices) and flip test, scored as the stock
  300W configs score (NME over the outer eye corners) with the failure rate and AUC beside.
"""

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Tuple

from mmengine.config import Config

from .training_networks import backbone_config
from .training_rows import H3R_ROWS, codec_and_head, flip_test_cfg, run_name

#: The training augmentation of MMPose's stock face configs (WFLW, 300W, COFW, AFLW).
AUGMENTATION = (
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0, rotate_factor=60, scale_factor=(0.75, 1.25)),
)
DATASETS = ('synthetic', 'youtube_faces68')


@dataclass(frozen=True)
class BenchmarkData:
    """Where a benchmark's images and labels are and how its runs are scored.

    Attributes:
        name (str): one of :data:`DATASETS`.
        dataset (dict): the dataset config without ``ann_file``, ``test_mode`` and pipeline.
        ann_files (dict): split (``'train'``, ``'val'``, ``'test'``) -> ``ann_file``.
        box_padding (float): ``GetBBoxCenterScale``'s padding.
        flip_test (bool): whether the test averages the flipped image's prediction.
        curve_metric (str): the validation figure recorded for the convergence curve.
        test_metrics (list): the test evaluators besides the quantization floor.
    """

    name: str
    dataset: dict
    ann_files: Dict[str, str]
    box_padding: float
    flip_test: bool
    curve_metric: str
    test_metrics: List[dict] = field(default_factory=list)


def synthetic_data(data_root: Path) -> BenchmarkData:
    """The synthetic landmarks written by ``make_synthetic_landmarks`` under ``data_root``;
    validation (the convergence curve) reads the test split, as the split has no val part."""
    return BenchmarkData(
        name='synthetic',
        dataset=dict(
            type='SyntheticLandmarkDataset',
            data_root=str(data_root),
            data_mode='topdown',
            data_prefix=dict(img='images/'),
        ),
        ann_files=dict(
            train='annotations/train.json',
            val='annotations/test.json',
            test='annotations/test.json',
        ),
        box_padding=1.0,
        flip_test=False,
        curve_metric='EPE',
        test_metrics=[
            dict(type='EPE'),
            dict(type='NME', norm_mode='use_norm_item', norm_item='bbox_size'),
        ],
    )


def youtube_faces68_data(data_dir: Path, ann_dir: Path) -> BenchmarkData:
    """The converted YouTube Faces crops: images under ``data_dir`` (the source's ``data/``),
    annotations ``ann_dir/youtube_faces68_{split}.json``."""
    return BenchmarkData(
        name='youtube_faces68',
        dataset=dict(
            type='Face300WDataset',
            data_root=str(data_dir),
            data_mode='topdown',
            data_prefix=dict(img=''),
        ),
        ann_files={
            split: str(Path(ann_dir).resolve() / f'youtube_faces68_{split}.json')
            for split in ('train', 'val', 'test')
        },
        box_padding=1.25,
        flip_test=True,
        curve_metric='NME',
        test_metrics=[
            dict(type='NME', norm_mode='keypoint_distance'),
            dict(type='FaceAlignmentMetric', norm_mode='keypoint_distance', prefix='face'),
            dict(type='EPE'),
            dict(type='CropEPE'),
        ],
    )


def run_config(
    row: str,
    stride: int,
    backbone: str,
    data: BenchmarkData,
    work_dir: Path,
    leaderboard_file: Path,
    input_size: Tuple[int, int],
    num_keypoints: int,
    budget: Mapping[str, int],
    seed: int,
    augment: bool = True,
) -> Config:
    """A complete MMEngine config for one training run, validated every
    ``budget['eval_interval']`` iterations; its test appends a leaderboard row.

    With ``augment`` the training pipeline applies :data:`AUGMENTATION`, as the stock configs
    do; without it, the training images are seen unchanged."""
    codec, head = codec_and_head(row, stride, input_size, num_keypoints, backbone)
    use_udp = codec['type'] == 'UDPHeatmap'
    load_and_box = [
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale', padding=data.box_padding),
    ]
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
            data.dataset,
            ann_file=data.ann_files[split],
            test_mode=split != 'train',
            pipeline=pipeline,
        )

    def loader(split: str) -> dict:
        return dict(
            batch_size=64,
            num_workers=0,
            drop_last=False,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dataset(split, test_pipeline),
        )

    custom_hooks: List[dict] = [dict(type='LeaderboardHook', out_file=str(leaderboard_file))]
    if row in H3R_ROWS and H3R_ROWS[row].annealing is not None:
        custom_hooks.append(dict(H3R_ROWS[row].annealing))
    test_cfg = flip_test_cfg(row) if data.flip_test else dict(flip_test=False)
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
                test_cfg=test_cfg,
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
            val_dataloader=loader('val'),
            val_cfg=dict(type='ValLoop'),
            val_evaluator=[dict(type=data.curve_metric, **_curve_metric_args(data))],
            test_dataloader=loader('test'),
            test_cfg=dict(type='TestLoop'),
            test_evaluator=[
                *copy.deepcopy(data.test_metrics),
                dict(type='QuantizationFloorMetric', codec=codec),
            ],
        )
    )


def _curve_metric_args(data: BenchmarkData) -> dict:
    """The curve metric's arguments: the first test metric of that type."""
    for metric in data.test_metrics:
        if metric['type'] == data.curve_metric:
            return {key: value for key, value in metric.items() if key != 'type'}
    return {}
