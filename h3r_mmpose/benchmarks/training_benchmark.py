"""The training benchmark's runner: the same small model trained with each codec.

Every run trains the same network (:mod:`.training_networks`) on the same data with the same
schedule (:mod:`.training_config`) through MMPose's real ``Runner``, pipeline and metrics; only
the codec, the loss and the head's output layer change (:mod:`.training_rows`). Rows that
train the same way share one training run, and each decoder is then tested on the trained
weights. Reported per row, stride and seed: the test figures (EPE, NME; on real faces also
FR, AUC and the EPE in crop pixels), the codec's quantization floor, the EPE on the training
images, the training time, the FLOPs, and the validation figure at regular intervals during
training (the convergence curve). Each test appends a leaderboard row (``LeaderboardHook``).
"""

import copy
import json
import logging
import time
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from tqdm import tqdm

import h3r_mmpose  # noqa: F401  (registers our modules)

from ..engine.hooks import LeaderboardHook
from . import crop_epe_metric  # noqa: F401  (registers CropEPE)
from .budgets import TRAINING_FULL
from .datasets import make_synthetic_landmarks
from .datasets.youtube_faces68 import NUM_KEYPOINTS as FACE_KEYPOINTS
from .datasets.youtube_faces68 import convert_youtube_faces68
from .reporting import software_versions
from .training_config import BenchmarkData, run_config, synthetic_data, youtube_faces68_data
from .training_networks import STRIDES
from .training_rows import DEFAULT_ROWS, run_name, stride_free, training_key

#: Result fields read from the test metrics: field -> metric key (absent keys are skipped).
FIGURES = dict(
    epe_px='EPE',
    nme='NME',
    epe_crop_px='EPE_crop_px',
    nme_percent='face/NME_percent',
    fr10_percent='face/FR@10_percent',
    auc10='face/AUC@10',
    floor_px='floor/error_px',
    floor_crop_px='floor/error_input_px',
)


class ConvergenceRecorder(Hook):
    """Records a validation figure after each validation: the convergence curve."""

    priority = 'LOW'

    def __init__(self, metric: str) -> None:
        self.metric = metric
        self.curve: List[Tuple[int, float]] = []

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        self.curve.append((runner.iter, float((metrics or {})[self.metric])))


def test_run(cfg: Config, state_dict: dict) -> Dict[str, float]:
    """Test the model of a run's config with the given weights and read its figures
    (:data:`FIGURES`, plus the FLOPs and parameters of the leaderboard row)."""
    runner = Runner.from_cfg(cfg)
    runner.model.load_state_dict(state_dict)
    metrics = runner.test()
    leaderboard_row = next(h for h in runner.hooks if isinstance(h, LeaderboardHook)).last_row
    figures = {name: float(metrics[key]) for name, key in FIGURES.items() if key in metrics}
    return dict(figures, flops=leaderboard_row['flops'], params=leaderboard_row['params'])


def training_split_error(cfg: Config, state_dict: dict, metric: str) -> float:
    """The trained model's ``metric`` on its own (unaugmented) training images: beside the
    test figure, it shows how much of the error is overfitting."""
    cfg = copy.deepcopy(cfg)  # the caller tests the same config on the test split
    cfg.work_dir = str(Path(cfg.work_dir) / 'train_split')
    cfg.custom_hooks = []
    cfg.test_evaluator = copy.deepcopy(cfg.val_evaluator)
    test_pipeline = cfg.test_dataloader.dataset.pipeline
    cfg.test_dataloader.dataset = dict(
        cfg.train_dataloader.dataset, pipeline=test_pipeline, test_mode=True
    )
    runner = Runner.from_cfg(cfg)
    runner.model.load_state_dict(state_dict)
    return float(runner.test()[metric])


def train_and_test(configs: Dict[str, Config], curve_metric: str = 'EPE') -> Dict[str, dict]:
    """Train the first config, then test the trained model with every config's decoder.

    Args:
        configs (dict): row name -> config; all train the same way (equal
            :func:`~.training_rows.training_key`), the first one is trained.
        curve_metric (str): the validation figure of the convergence curve.

    Returns:
        dict: row name -> figures (see :func:`test_run`) plus ``train_seconds``, the
        convergence ``curve`` [(iteration, figure)] and ``train_error`` (the curve's figure on
        the training images, see :func:`training_split_error`), the last two measured with
        the first row's decoder.
    """
    first = next(iter(configs.values()))
    runner = Runner.from_cfg(first)
    recorder = ConvergenceRecorder(curve_metric)
    runner.register_hook(recorder)
    start = time.perf_counter()
    runner.train()
    train_seconds = time.perf_counter() - start
    weights = runner.model.state_dict()
    train_error = training_split_error(first, weights, curve_metric)
    figures = {}
    for row, cfg in configs.items():
        cfg = cfg.copy()
        cfg.work_dir = str(Path(cfg.work_dir) / 'test')
        figures[row] = dict(
            test_run(cfg, weights),
            train_seconds=train_seconds,
            curve=recorder.curve,
            train_error=train_error,
        )
    return figures


def training_groups(rows: Sequence[str], stride: int) -> List[List[str]]:
    """Rows grouped by how they train at a stride, in first-appearance order."""
    groups: Dict[str, List[str]] = {}
    for row in rows:
        groups.setdefault(training_key(row, stride), []).append(row)
    return list(groups.values())


def prepare_data(
    out_dir: Path,
    dataset: str,
    budget: Mapping[str, int],
    image_size: int,
    num_keypoints: int,
    data_root: Optional[Path],
) -> Tuple[BenchmarkData, int]:
    """Generate the synthetic data, or convert the real faces, once under ``out_dir``.

    Returns:
        tuple: the :class:`~.training_config.BenchmarkData` and its number of keypoints.

    Raises:
        ValueError: for an unknown dataset, or real data without ``data_root``.
    """
    if dataset == 'synthetic':
        root = out_dir / f'data_{image_size}x{image_size}_k{num_keypoints}'
        marker = root / f'.complete_{budget["num_train"]}_{budget["num_test"]}'
        if not marker.exists():
            make_synthetic_landmarks(
                root,
                num_train=budget['num_train'],
                num_val=0,
                num_test=budget['num_test'],
                image_size=(image_size, image_size),
                num_keypoints=num_keypoints,
                seed=0,
            )
            marker.touch()
        return synthetic_data(root), num_keypoints
    if dataset == 'youtube_faces68':
        if data_root is None:
            raise ValueError(
                "dataset 'youtube_faces68' needs data_root: the data/ folder of "
                'udacity/P1_Facial_Keypoints'
            )
        ann_dir = out_dir / 'youtube_faces68_annotations'
        if not (ann_dir / 'youtube_faces68_test.json').exists():
            convert_youtube_faces68(Path(data_root), ann_dir)
        return youtube_faces68_data(Path(data_root), ann_dir), FACE_KEYPOINTS
    raise ValueError(f"dataset must be 'synthetic' or 'youtube_faces68', got {dataset!r}")


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
    dataset: str = 'synthetic',
    data_root: Optional[Path] = None,
) -> dict:
    """Prepare the data (once) and train every row at every stride and seed.

    The data is the same for every seed; the seed sets the network's initialisation, the
    batch order and the augmentation's draws. A stride-free row (stock SimCC) trains once per
    seed and is reported at every stride.

    Returns:
        dict: ``meta`` (parameters, versions) and ``results``: one dict per row, stride and
        seed with the figures of :func:`train_and_test`.
    """
    data, num_keypoints = prepare_data(
        out_dir, dataset, budget, image_size, num_keypoints, data_root
    )
    input_size = (image_size, image_size)
    logging.getLogger('mmengine').setLevel(logging.WARNING)
    leaderboard_file = out_dir / 'leaderboard.jsonl'
    jobs = [
        (group, stride, seed)
        for stride in strides
        for seed in seeds
        for group in training_groups(rows, stride)
    ]
    meta = dict(
        budget,
        dataset=data.name,
        image_size=list(input_size),
        num_keypoints=num_keypoints,
        backbone=backbone,
        seeds=list(seeds),
        augment=augment,
        flip_test=data.flip_test,
        curve_metric=data.curve_metric,
        torch_threads=torch.get_num_threads(),
        **software_versions(),
    )
    results: List[dict] = []
    trained_once: Dict[Tuple[str, int], dict] = {}
    # Rewritten after every training run, so an interrupted benchmark keeps what it measured.
    partial = out_dir / 'training_benchmark.partial.json'
    bar = tqdm(jobs, desc='training runs', disable=not progress)
    for group, stride, seed in bar:
        bar.set_postfix_str(f'{group[0]} {backbone} stride {stride} seed {seed}')
        reused = (group[0], seed) in trained_once
        if reused:
            figures = {group[0]: dict(trained_once[group[0], seed], reused=True)}
        else:
            configs = {
                row: run_config(
                    row,
                    stride,
                    backbone,
                    data,
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
            figures = train_and_test(configs, data.curve_metric)
            if stride_free(group[0]):
                trained_once[group[0], seed] = figures[group[0]]
        for row, row_figures in figures.items():
            results.append(
                dict(
                    codec=row,
                    backbone=backbone,
                    stride=stride,
                    seed=seed,
                    heatmap_size=[image_size // stride] * 2,
                    **row_figures,
                )
            )
        partial.write_text(json.dumps(dict(meta=meta, results=results), indent=1))
    return dict(meta=meta, results=results)
