"""The sub-pixel landmark benchmark: the same small model trained with each codec.

Every run trains the same network (a narrow ResNet-18, deconvolutions up to the heatmap
stride) on the same synthetic landmarks (exact sub-pixel ground truth, see
:mod:`h3r_mmpose.benchmarks.datasets`) with the same schedule, through MMPose's
real ``Runner``, pipeline and metrics; only the codec and the head that goes with it change:

==================  ================================================================
codec               head and loss
==================  ================================================================
MSRAHeatmap         ``HeatmapHead`` + ``KeypointMSELoss`` (sigma 2 cells)
DARK                the same with ``unbiased=True``
UDPHeatmap          the same, ``TopdownAffine(use_udp=True)``
SimCCLabel          ``SimCCHead`` + ``KLDiscretLoss``, split ratio ``1/stride``
H3R (ours)          ``H3RHead`` + ``HeatmapCrossEntropyLoss``, expected target
H3R stochastic      the same with the paper's one-hot draws (on request only)
==================  ================================================================

Reported per codec and stride, on the test split: the mean end-point error in input pixels
(``EPE``; the crop is the whole image, so input and image pixels coincide), the NME
normalised by the image size, the codec's quantization floor on the same test images, the
training wall time and the model's FLOPs. Each run's test also appends a leaderboard row
(``LeaderboardHook``) to ``<out_dir>/leaderboard.jsonl``; ``tools/leaderboard.py`` renders it.
"""

import json
import logging
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from tqdm import tqdm

import h3r_mmpose  # noqa: F401  (registers our modules)

from ..engine.hooks.leaderboard_row import read_rows
from .budgets import TRAINING_FULL as FULL
from .budgets import TRAINING_QUICK as QUICK
from .datasets import make_synthetic_landmarks

CODECS = ('MSRAHeatmap', 'DARK', 'UDPHeatmap', 'SimCCLabel', 'H3R (ours)')
#: The paper's one-hot draws; not in the default run (it would add a third to its time).
STOCHASTIC = 'H3R stochastic (ours)'
STRIDES = (4, 8, 16)
OURS = 'H3R (ours)'
BACKBONE_STRIDE = 32
BACKBONE_CHANNELS = 128


def codec_and_head(
    codec_name: str, stride: int, input_size: Tuple[int, int], num_keypoints: int
) -> Tuple[dict, dict]:
    """The codec config and the head config that trains it, for one heatmap stride.

    The backbone's features are at 1/32 of the input; heatmap heads upsample them with
    ``log2(32 / stride)`` deconvolutions (3 for stride 4, 1 for stride 16).
    """
    heatmap_size = (input_size[0] // stride, input_size[1] // stride)
    num_deconvs = int(np.log2(BACKBONE_STRIDE // stride))
    heatmap_head = dict(
        in_channels=BACKBONE_CHANNELS,
        out_channels=num_keypoints,
        deconv_out_channels=(64,) * num_deconvs,
        deconv_kernel_sizes=(4,) * num_deconvs,
    )
    mse = dict(type='KeypointMSELoss', use_target_weight=True)
    if codec_name in ('MSRAHeatmap', 'DARK'):
        codec = dict(
            type='MSRAHeatmap',
            input_size=input_size,
            heatmap_size=heatmap_size,
            sigma=2,
            unbiased=codec_name == 'DARK',
        )
        return codec, dict(type='HeatmapHead', loss=mse, decoder=codec, **heatmap_head)
    if codec_name == 'UDPHeatmap':
        codec = dict(type='UDPHeatmap', input_size=input_size, heatmap_size=heatmap_size, sigma=2)
        return codec, dict(type='HeatmapHead', loss=mse, decoder=codec, **heatmap_head)
    if codec_name == 'SimCCLabel':
        split_ratio = 1 / stride
        # MMPose's stock SimCC label is 3 px wide (sigma 6 bins at 2 bins per pixel).
        codec = dict(
            type='SimCCLabel',
            input_size=input_size,
            smoothing_type='gaussian',
            sigma=3.0 * split_ratio,
            simcc_split_ratio=split_ratio,
        )
        featuremap_size = (input_size[0] // BACKBONE_STRIDE, input_size[1] // BACKBONE_STRIDE)
        return codec, dict(
            type='SimCCHead',
            in_channels=BACKBONE_CHANNELS,
            out_channels=num_keypoints,
            input_size=input_size,
            in_featuremap_size=featuremap_size,
            simcc_split_ratio=split_ratio,
            deconv_out_channels=None,
            loss=dict(type='KLDiscretLoss', use_target_weight=True),
            decoder=codec,
        )
    if codec_name in (OURS, STOCHASTIC):
        codec = dict(
            type='RandomizedRoundingHeatmap',
            input_size=input_size,
            heatmap_size=heatmap_size,
            target_type='stochastic' if codec_name == STOCHASTIC else 'expected',
        )
        return codec, dict(type='H3RHead', decoder=codec, **heatmap_head)
    raise ValueError(f'codec_name must be one of {CODECS + (STOCHASTIC,)}, got {codec_name!r}')


def run_name(codec_name: str) -> str:
    """A file-system friendly name: 'H3R stochastic (ours)' -> 'H3R_stochastic'."""
    return codec_name.replace(' (ours)', '').replace(' ', '_')


def run_config(
    codec_name: str,
    stride: int,
    data_root: Path,
    work_dir: Path,
    leaderboard_file: Path,
    input_size: Tuple[int, int],
    num_keypoints: int,
    max_iters: int,
    batch_size: int,
    seed: int,
) -> Config:
    """A complete MMEngine config for one training run; its test appends a leaderboard row."""
    codec, head = codec_and_head(codec_name, stride, input_size, num_keypoints)
    use_udp = codec['type'] == 'UDPHeatmap'
    # The box is the whole image (padding 1.0): crop pixels are image pixels.
    test_pipeline = [
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale', padding=1.0),
        dict(type='TopdownAffine', input_size=input_size, use_udp=use_udp),
        dict(type='PackPoseInputs'),
    ]
    train_pipeline = [
        *test_pipeline[:-1],
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

    warmup = max(1, max_iters // 20)
    return Config(
        dict(
            default_scope='mmpose',
            work_dir=str(work_dir),
            experiment_name=f'{run_name(codec_name)}_s{stride}',
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
            custom_hooks=[dict(type='LeaderboardHook', out_file=str(leaderboard_file))],
            model=dict(
                type='TopdownPoseEstimator',
                data_preprocessor=dict(
                    type='PoseDataPreprocessor',
                    mean=[123.675, 116.28, 103.53],
                    std=[58.395, 57.12, 57.375],
                    bgr_to_rgb=True,
                ),
                backbone=dict(type='ResNet', depth=18, stem_channels=16, base_channels=16),
                head=head,
                test_cfg=dict(flip_test=False),
            ),
            train_dataloader=dict(
                batch_size=batch_size,
                num_workers=0,
                sampler=dict(type='InfiniteSampler', shuffle=True),
                dataset=dataset('train', train_pipeline),
            ),
            train_cfg=dict(
                type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters + 1
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
            test_dataloader=dict(
                batch_size=64,
                num_workers=0,
                drop_last=False,
                sampler=dict(type='DefaultSampler', shuffle=False),
                dataset=dataset('test', test_pipeline),
            ),
            test_cfg=dict(type='TestLoop'),
            test_evaluator=[
                dict(type='EPE'),
                dict(type='NME', norm_mode='use_norm_item', norm_item='bbox_size'),
                dict(type='QuantizationFloorMetric', codec=codec),
            ],
        )
    )


def train_and_test(cfg: Config) -> Dict[str, float]:
    """Train, test and measure one run (params and FLOPs from its leaderboard row)."""
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    train_seconds = time.perf_counter() - start
    metrics = runner.test()
    leaderboard_row = read_rows(cfg.custom_hooks[0]['out_file'])[-1]
    return dict(
        epe_px=float(metrics['EPE']),
        nme=float(metrics['NME']),
        floor_px=float(metrics['floor/error_px']),
        train_seconds=train_seconds,
        flops=leaderboard_row['flops'],
        params=leaderboard_row['params'],
    )


def benchmark_training(
    out_dir: Path,
    num_train: int = 2000,
    num_test: int = 500,
    image_size: Tuple[int, int] = (128, 128),
    num_keypoints: int = 5,
    max_iters: int = 1200,
    batch_size: int = 32,
    codecs: Sequence[str] = CODECS,
    strides: Sequence[int] = STRIDES,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Generate the data (once per size and seed) and train every codec at every stride.

    Returns:
        dict: ``meta`` (parameters, versions) and ``results`` (one row per codec and
        stride with ``epe_px``, ``nme``, ``floor_px``, ``train_seconds``, ``flops``,
        ``params``).
    """
    data_root = out_dir / f'data_{image_size[0]}x{image_size[1]}_k{num_keypoints}_s{seed}'
    marker = data_root / f'.complete_{num_train}_{num_test}'
    if not marker.exists():
        make_synthetic_landmarks(
            data_root,
            num_train=num_train,
            num_val=0,
            num_test=num_test,
            image_size=image_size,
            num_keypoints=num_keypoints,
            seed=seed,
        )
        marker.touch()
    logging.getLogger('mmengine').setLevel(logging.WARNING)
    leaderboard_file = out_dir / 'leaderboard.jsonl'
    leaderboard_file.unlink(missing_ok=True)  # this run's rows only
    rows: List[dict] = []
    jobs = [(codec, stride) for stride in strides for codec in codecs]
    bar = tqdm(jobs, desc='training runs', disable=not progress)
    for codec_name, stride in bar:
        bar.set_postfix_str(f'{codec_name} stride {stride}')
        cfg = run_config(
            codec_name,
            stride,
            data_root,
            out_dir / 'runs' / f'{run_name(codec_name)}_s{stride}',
            leaderboard_file,
            image_size,
            num_keypoints,
            max_iters,
            batch_size,
            seed,
        )
        rows.append(
            dict(
                codec=codec_name,
                stride=stride,
                heatmap_size=[image_size[0] // stride, image_size[1] // stride],
                **train_and_test(cfg),
            )
        )
    meta = dict(
        num_train=num_train,
        num_test=num_test,
        image_size=list(image_size),
        num_keypoints=num_keypoints,
        max_iters=max_iters,
        batch_size=batch_size,
        seed=seed,
        torch_threads=torch.get_num_threads(),
        torch=torch.__version__,
    )
    return dict(meta=meta, results=rows)


def markdown_table(report: dict) -> str:
    """One row per codec, error columns per stride, plus cost columns."""
    results = report['results']
    strides = sorted({r['stride'] for r in results})
    image_width = report['meta']['image_size'][0]
    header = (
        ['codec']
        + [f'EPE px s{s}' for s in strides]
        + [f'NME % s{s}' for s in strides]
        + [f'floor px s{s}' for s in strides]
        + [f'train s (s{s})' for s in strides]
        + [f'GFLOPs s{s}' for s in strides]
    )
    growth = len(strides) > 1  # how the error grows from the finest to the coarsest map
    header += [f'EPE s{strides[-1]} / s{strides[0]}'] if growth else []
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for codec in dict.fromkeys(r['codec'] for r in results):
        by_stride = {r['stride']: r for r in results if r['codec'] == codec}
        cells = [codec]
        cells += [f'{by_stride[s]["epe_px"]:.3f}' for s in strides]
        cells += [f'{100 * by_stride[s]["nme"]:.3f}' for s in strides]
        cells += [f'{by_stride[s]["floor_px"]:.3f}' for s in strides]
        cells += [f'{by_stride[s]["train_seconds"]:.0f}' for s in strides]
        cells += [f'{by_stride[s]["flops"] / 1e9:.3f}' for s in strides]
        if growth:
            ratio = by_stride[strides[-1]]['epe_px'] / by_stride[strides[0]]['epe_px']
            cells.append(f'{ratio:.2f}x')
        lines.append('| ' + ' | '.join(cells) + ' |')
    note = (
        f'\nEPE: mean end-point error on the test split in input pixels '
        f"({image_width}-px images); NME: EPE / image size; floor: the codec's own "
        'round-trip error on the same test labels (the error of a network that outputs '
        "the codec's target exactly).\n"
    )
    return '\n'.join(lines) + '\n' + note


def plot_error_vs_stride(report: dict, path: Path) -> None:
    """Test error (solid) and quantization floor (dotted) against stride."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axis = plt.subplots(figsize=(7, 4.8))
    for index, codec in enumerate(dict.fromkeys(r['codec'] for r in report['results'])):
        rows = sorted(
            (r for r in report['results'] if r['codec'] == codec), key=lambda r: r['stride']
        )
        strides = [r['stride'] for r in rows]
        axis.plot(strides, [r['epe_px'] for r in rows], 'o-', color=f'C{index}', label=codec)
        axis.plot(
            strides, [max(r['floor_px'], 1e-2) for r in rows], ':', color=f'C{index}', alpha=0.7
        )
    axis.set(
        xscale='log',
        yscale='log',
        xlabel='heatmap stride (input px per cell)',
        ylabel='test error (input px)',
        title='Trained error (solid) and quantization floor (dotted, shown >= 0.01)',
    )
    axis.set_xticks([4, 8, 16], ['4', '8', '16'])
    axis.xaxis.set_minor_formatter(plt.NullFormatter())
    axis.grid(True, which='both', alpha=0.3)
    axis.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(report: dict, out_dir: Path) -> Dict[str, Path]:
    """Write JSON, Markdown and PNG; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = dict(
        json=out_dir / 'training_benchmark.json',
        markdown=out_dir / 'training_benchmark.md',
        plot=out_dir / 'training_benchmark.png',
        leaderboard=out_dir / 'leaderboard.jsonl',
    )
    paths['json'].write_text(json.dumps(report, indent=1))
    paths['markdown'].write_text(markdown_table(report))
    plot_error_vs_stride(report, paths['plot'])
    return paths


def run(
    out_dir: Path,
    quick: bool = False,
    progress: bool = True,
    max_iters: Optional[int] = None,
    codecs: Sequence[str] = CODECS,
    strides: Sequence[int] = STRIDES,
) -> Tuple[dict, Dict[str, Path]]:
    """Run the benchmark with the quick (CI) or full budget and write the outputs."""
    budget = dict(QUICK if quick else FULL)
    if max_iters is not None:
        budget['max_iters'] = max_iters
    report = benchmark_training(
        out_dir, progress=progress, codecs=codecs, strides=strides, **budget
    )
    report['meta']['quick'] = quick
    return report, write_report(report, out_dir)
