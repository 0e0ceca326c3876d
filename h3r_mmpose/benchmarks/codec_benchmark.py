"""The codec leaderboard: round-trip error, bias and speed of MMPose's codecs and ours.

Every codec is built through ``KEYPOINT_CODECS`` and measured on the same keypoints, in
crop pixels (see :mod:`h3r_mmpose.codecs.round_trip` for UDP's unit), single-threaded
(torch, OpenCV) so that numpy-based and torch-based decoders compete on equal terms.

Figures per codec and setting:
    - ideal round trip ``decode(encode(x))``: mean / p95 / max Euclidean error, the signed
      mean error per axis, and the mean conditional bias ``|E[decode] - x|`` (for stochastic
      targets the expectation is taken over ``num_draws`` draws per keypoint);
    - robust round trip: the target blurred (Gaussian, sigma 1 cell) with Gaussian noise of
      2% of each channel's peak added, which is what a trained network's output looks like;
    - encode time per sample (K=17) and decode time for a batch (B=64, K=17) through each
      codec's fastest path (``batch_decode`` where the codec has it, else the per-sample
      loop MMPose's heads run), and each codec's decode time relative to ours.

The tables, plot and files: :mod:`.codec_benchmark_report`.
"""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmpose.registry import KEYPOINT_CODECS
from scipy.ndimage import gaussian_filter1d
from tqdm import tqdm

import h3r_mmpose  # noqa: F401  (registers our codec)

from ..codecs.round_trip import decoded_to_crop_scale, decoder_inputs
from .budgets import CODEC_FULL, CODEC_QUICK, choose_budget
from .codec_benchmark_report import write_report
from .reporting import software_versions

BATCH_SIZE = 64
NUM_KEYPOINTS = 17
BLUR_SIGMA_CELLS = 1.0
NOISE_FRACTION = 0.02
OURS = 'H3R expected (ours)'


@dataclass(frozen=True)
class Setting:
    """An input size and a heatmap stride (heatmap = input // stride per axis)."""

    name: str
    input_size: Tuple[int, int]
    stride: int

    @property
    def heatmap_size(self) -> Tuple[int, int]:
        return (self.input_size[0] // self.stride, self.input_size[1] // self.stride)


SETTINGS = tuple(
    Setting(f'{name} s{stride}', size, stride)
    for name, size in (('body 256x192', (192, 256)), ('face 256x256', (256, 256)))
    for stride in (4, 8, 16)
)


def codec_configs(setting: Setting) -> Dict[str, dict]:
    """The peers as a user would configure them, plus ours, for one setting.

    Gaussian widths are MMPose's stock values in heatmap cells (sigma 2, kernel 11);
    SimCC appears with the stock split ratio 2.0 (two bins per pixel) and with one bin per
    heatmap cell (split ratio 1/stride), the same resolution as the heatmaps.
    """
    sizes = dict(input_size=setting.input_size, heatmap_size=setting.heatmap_size)
    return {
        'MSRAHeatmap': dict(type='MSRAHeatmap', sigma=2, **sizes),
        'DARK': dict(type='MSRAHeatmap', sigma=2, unbiased=True, **sizes),
        'UDPHeatmap': dict(type='UDPHeatmap', sigma=2, **sizes),
        'MegviiHeatmap': dict(type='MegviiHeatmap', kernel_size=11, **sizes),
        'SimCC split 2': dict(
            type='SimCCLabel',
            input_size=setting.input_size,
            sigma=(4.9, 5.66),
            simcc_split_ratio=2.0,
        ),
        'SimCC split 1/stride': dict(
            type='SimCCLabel',
            input_size=setting.input_size,
            sigma=2.0,
            simcc_split_ratio=1 / setting.stride,
        ),
        OURS: dict(type='RandomizedRoundingHeatmap', target_type='expected', **sizes),
        'H3R stochastic (ours)': dict(
            type='RandomizedRoundingHeatmap', target_type='stochastic', **sizes
        ),
        # The decoders the mean shift replaced or stands beside, on the same targets.
        'H3R top-4 (v0.1)': dict(type='RandomizedRoundingHeatmap', decoder='topk', topk=4, **sizes),
        'H3R paper decoder (top-9)': dict(
            type='RandomizedRoundingHeatmap', decoder='paper', topk=9, **sizes
        ),
    }


def frame_keypoints(
    input_size: Tuple[int, int], num_samples: int, rng: np.random.Generator
) -> np.ndarray:
    """Keypoints uniform over the closed frame, with its corners and edges included.

    Returns:
        np.ndarray: shape (num_samples, 1, K, 2).
    """
    w, h = input_size
    points = rng.uniform([0, 0], [w - 1, h - 1], size=(num_samples * NUM_KEYPOINTS, 2))
    border = np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]], dtype=np.float64)
    edges = np.stack([rng.uniform(0, w - 1, 4), np.repeat([0, h - 1], 2)], axis=1)
    points[:8] = np.concatenate([border, edges])
    return points.reshape(num_samples, 1, NUM_KEYPOINTS, 2)


def degrade(encoded: dict, rng: np.random.Generator) -> dict:
    """Blur each label map by one cell and add noise of 2% of its peak."""
    degraded = {}
    for key in ('heatmaps', 'keypoint_x_labels', 'keypoint_y_labels'):
        if key not in encoded:
            continue
        labels = encoded[key].astype(np.float64)
        spatial_axes = (-2, -1) if key == 'heatmaps' else (-1,)
        for axis in spatial_axes:
            labels = gaussian_filter1d(labels, BLUR_SIGMA_CELLS, axis=axis, mode='constant')
        peak = labels.max(axis=spatial_axes, keepdims=True)
        labels = labels + rng.normal(size=labels.shape) * NOISE_FRACTION * peak
        degraded[key] = labels.astype(np.float32)
    return degraded


def error_figures(decoded: np.ndarray, keypoints: np.ndarray) -> Dict[str, float]:
    """Round-trip statistics in crop pixels.

    Args:
        decoded (np.ndarray): shape (D, M, 2): D draws (1 for deterministic codecs) of the
            M keypoints.
        keypoints (np.ndarray): shape (M, 2).

    Returns:
        dict: ``mean``, ``p95``, ``max`` Euclidean error; ``bias_x``, ``bias_y`` signed mean
        error; ``abs_bias`` mean over keypoints of ``|mean over draws - x|``; and
        ``abs_bias_se``, the standard error of that mean over draws (0 for one draw): an
        unbiased codec shows ``abs_bias`` of the order of ``abs_bias_se``.
    """
    signed = decoded - keypoints[None]
    errors = np.linalg.norm(signed, axis=-1)
    num_draws = decoded.shape[0]
    conditional_bias = np.linalg.norm(signed.mean(axis=0), axis=-1)
    spread = np.sqrt(signed.var(axis=0, ddof=1).sum(axis=-1)) if num_draws > 1 else 0 * errors
    return dict(
        mean=float(errors.mean()),
        p95=float(np.percentile(errors, 95)),
        max=float(errors.max()),
        bias_x=float(signed[..., 0].mean()),
        bias_y=float(signed[..., 1].mean()),
        abs_bias=float(conditional_bias.mean()),
        abs_bias_se=float(np.mean(spread) / np.sqrt(num_draws)),
    )


def round_trips(
    codec, keypoints: np.ndarray, num_draws: int, noise_rng: Optional[np.random.Generator] = None
) -> np.ndarray:
    """Round trips of every sample, ``num_draws`` times each.

    Args:
        codec: the codec under test.
        keypoints (np.ndarray): shape (M/K, 1, K, 2).
        num_draws (int): encodes per sample (more than 1 for stochastic targets).
        noise_rng (np.random.Generator, optional): when given, each target is blurred and
            noised with it (see :func:`degrade`) before decoding.

    Returns:
        np.ndarray: decoded keypoints, shape (D, M, 2).
    """
    visible = np.ones(keypoints.shape[1:3], dtype=np.float32)

    def target(sample: np.ndarray) -> dict:
        encoded = codec.encode(sample, visible)
        return encoded if noise_rng is None else degrade(encoded, noise_rng)

    return np.stack(
        [decode_all(codec, [target(sample) for sample in keypoints]) for _ in range(num_draws)]
    )


def median_seconds(function: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls, after one warm-up call."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def batch_decoder(codec, encoded_batch: List[dict]) -> Callable[[], object]:
    """The fastest decode of a batch a head can run with this codec.

    Returns:
        Callable: Decodes the batch on each call and returns its keypoints in the codec's
        own unit, shape (B, 1, K, 2) as one array or a list of B arrays.
    """
    if codec.support_batch_decoding:
        heatmaps = torch.from_numpy(np.stack([e['heatmaps'] for e in encoded_batch]))
        return lambda: codec.batch_decode(heatmaps)[0]
    inputs = [decoder_inputs(e) for e in encoded_batch]
    return lambda: [codec.decode(*arrays)[0] for arrays in inputs]


def decode_all(codec, encoded: List[dict]) -> np.ndarray:
    """Decode every sample through :func:`batch_decoder`.

    Returns:
        np.ndarray: crop-pixel keypoints of all samples, shape (M, 2).
    """
    keypoints = np.asarray(batch_decoder(codec, encoded)(), dtype=np.float64)
    return keypoints.reshape(-1, 2) * decoded_to_crop_scale(codec)


def time_codec(codec, keypoints: np.ndarray, repeats: int) -> Tuple[float, float]:
    """Encode seconds per sample and decode seconds per batch of ``BATCH_SIZE``."""
    batch = np.resize(keypoints, (BATCH_SIZE,) + keypoints.shape[1:])
    visible = np.ones(batch.shape[1:3], dtype=np.float32)

    def encode_batch():
        return [codec.encode(sample, visible) for sample in batch]

    encode_seconds = median_seconds(encode_batch, repeats) / BATCH_SIZE
    decode_seconds = median_seconds(batch_decoder(codec, encode_batch()), repeats)
    return encode_seconds, decode_seconds


def benchmark_codecs(
    budget: Mapping[str, int] = CODEC_FULL,
    settings: Sequence[Setting] = SETTINGS,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Run the whole leaderboard.

    Args:
        budget (Mapping[str, int]): ``num_samples`` (samples of K=17 keypoints per setting),
            ``num_draws`` (draws per keypoint for stochastic codecs, ideal round trip),
            ``num_robust_draws`` (the same for the blurred, noisy round trip) and
            ``repeats`` (timing repeats; the median is reported). Defaults to
            :data:`~.budgets.CODEC_FULL`.
        settings (Sequence[Setting]): input sizes and strides.
        seed (int): seed of the keypoints, the noise and the stochastic draws.
        progress (bool): show a progress bar.

    Returns:
        dict: ``meta`` (versions, parameters) and ``results`` (one row per codec and
        setting, see the module docstring).
    """
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    rows = []
    jobs = [
        (setting, name, cfg) for setting in settings for name, cfg in codec_configs(setting).items()
    ]
    for setting, name, cfg in tqdm(jobs, desc='codecs', disable=not progress):
        rng = np.random.default_rng(seed)
        np.random.seed(seed)  # stochastic draws use numpy's global generator
        codec = KEYPOINT_CODECS.build(cfg)
        keypoints = frame_keypoints(setting.input_size, budget['num_samples'], rng)
        stochastic = cfg.get('target_type') == 'stochastic'
        ideal = round_trips(codec, keypoints, budget['num_draws'] if stochastic else 1)
        robust_draws = budget['num_robust_draws'] if stochastic else 1
        robust = round_trips(codec, keypoints, robust_draws, noise_rng=rng)
        flat_keypoints = keypoints.reshape(-1, 2)
        encode_seconds, decode_seconds = time_codec(codec, keypoints, budget['repeats'])
        rows.append(
            dict(
                codec=name,
                config=cfg,
                setting=setting.name,
                input_size=setting.input_size,
                heatmap_size=setting.heatmap_size,
                stride=setting.stride,
                draws=len(ideal),
                robust_draws=len(robust),
                ideal=error_figures(ideal, flat_keypoints),
                robust=error_figures(robust, flat_keypoints),
                encode_us=encode_seconds * 1e6,
                decode_ms=decode_seconds * 1e3,
            )
        )
    for row in rows:
        ours = next(r for r in rows if r['setting'] == row['setting'] and r['codec'] == OURS)
        row['decode_vs_ours'] = row['decode_ms'] / ours['decode_ms']
        row['encode_vs_ours'] = row['encode_us'] / ours['encode_us']
    meta = dict(
        budget,
        num_keypoints=NUM_KEYPOINTS,
        seed=seed,
        batch_size=BATCH_SIZE,
        threads=1,
        **software_versions(),
    )
    return dict(meta=meta, results=rows)


def run(
    out_dir: Path, quick: bool = False, progress: bool = True, num_samples: Optional[int] = None
) -> Tuple[dict, Dict[str, Path]]:
    """Benchmark with the full or the quick (CI) budget and write the outputs."""
    budget = choose_budget(CODEC_FULL, CODEC_QUICK, quick, num_samples=num_samples)
    report = benchmark_codecs(budget, progress=progress)
    report['meta']['quick'] = quick
    return report, write_report(report, out_dir)
