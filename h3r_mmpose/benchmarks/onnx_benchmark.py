"""End-to-end latency of the exported graph against the PyTorch pipelines, on the CPU (or
with ``device='cuda'`` on a GPU).

For each config and batch size, one batch of normalised crops goes to keypoints (NumPy
arrays) by four routes on the same randomly initialised network:

    (a) the exported ONNX graph (backbone, head, probabilities, decode) in ONNX Runtime;
    (b) the PyTorch model, the head's probabilities (grid softmax) and our ``batch_decode``
        (what ``H3RHead.predict`` runs, through ``BaseHead.decode``);
    (c) the PyTorch model and MMPose's DARK (``MSRAHeatmap(unbiased=True)``) or UDP
        (``UDPHeatmap``) decode of the same head's heatmaps, through ``BaseHead.decode``,
        i.e. MMPose's per-sample NumPy loop.

No flip test in any route. The routes run round-robin, ``repeats`` times after one warm-up,
on ``threads`` threads each (torch, OpenCV and ONNX Runtime alike), and the median is
reported, with each route's time relative to (a) from the same run. The decodes of (b) and
(c) are also timed alone, from the same head output, to show how much of each route they
take.
"""

import contextlib
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Sequence, Tuple

import cv2
import numpy as np
import onnxruntime as ort
import torch
from mmengine.config import Config
from mmpose.models.heads import BaseHead
from mmpose.registry import KEYPOINT_CODECS

from ..deploy import export_onnx, load_estimator

ROOT = Path(__file__).resolve().parents[2]
#: The benchmarked models and their configs, relative to the project root.
CONFIGS = {
    'COCO HRNet-W32 s4': 'configs/body_2d_keypoint/coco/'
    'td-hm-h3r_hrnet-w32_8xb64-210e_coco-256x192.py',
    'COCO HRNet-W32 s8': 'configs/body_2d_keypoint/coco/'
    'td-hm-h3r-stride8_hrnet-w32_8xb64-210e_coco-256x192.py',
    'WFLW HRNetV2-W18 s4': 'configs/face_2d_keypoint/wflw/'
    'td-hm-h3r_hrnetv2-w18_8xb64-60e_wflw-256x256.py',
}
ROUTES = (
    '(a) ONNX Runtime, decode in graph',
    '(b) PyTorch + H3R batch_decode',
    '(c) PyTorch + DARK decode',
    '(c) PyTorch + UDP decode',
)


def peer_codecs(input_size: Sequence[int], heatmap_size: Sequence[int]) -> Dict[str, dict]:
    """DARK and UDP as MMPose's stock configs set them (sigma 2), at the same sizes."""
    sizes = dict(input_size=tuple(input_size), heatmap_size=tuple(heatmap_size))
    return {
        'DARK': dict(type='MSRAHeatmap', sigma=2, unbiased=True, **sizes),
        'UDP': dict(type='UDPHeatmap', sigma=2, **sizes),
    }


@contextlib.contextmanager
def decoder_swapped(head: BaseHead, decoder) -> Iterator[BaseHead]:
    """The head with another decoder for the duration of the block."""
    original = head.decoder
    head.decoder = decoder
    try:
        yield head
    finally:
        head.decoder = original


def decode_route(
    head: BaseHead, decoder, probabilities: bool
) -> Callable[[torch.Tensor], np.ndarray]:
    """Head logits -> keypoints (B, K, 2) through ``BaseHead.decode`` with ``decoder``: our
    codec reads the head's probabilities, MMPose's read the raw heatmaps."""

    def run(logits: torch.Tensor) -> np.ndarray:
        with torch.no_grad(), decoder_swapped(head, decoder):
            instances = BaseHead.decode(
                head, head.probabilities(logits) if probabilities else logits
            )
        return np.concatenate([instance.keypoints for instance in instances])

    return run


def torch_route(estimator, decode: Callable) -> Callable[[torch.Tensor], np.ndarray]:
    """Crops -> keypoints (B, K, 2) through the PyTorch model (on its device; the crops are
    copied there inside the timed call) and a :func:`decode_route`."""
    device = next(estimator.parameters()).device

    def run(inputs: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            return decode(estimator.head.forward(estimator.extract_feat(inputs.to(device))))

    return run


def execution_providers(device: str) -> List[str]:
    """ONNX Runtime's providers for ``device`` (``'cpu'`` or ``'cuda'``): CUDA's first where
    it is installed (the ``onnxruntime-gpu`` package), then the CPU's."""
    if device not in ('cpu', 'cuda'):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    if device == 'cuda' and 'CUDAExecutionProvider' in ort.get_available_providers():
        return ['CUDAExecutionProvider', 'CPUExecutionProvider']
    return ['CPUExecutionProvider']


def onnx_route(
    model_file: Path, threads: int, providers: Sequence[str] = ('CPUExecutionProvider',)
) -> Callable[[torch.Tensor], np.ndarray]:
    """Crops -> keypoints (B, K, 2) through the exported graph in ONNX Runtime."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model_file), options, providers=list(providers))

    def run(inputs: torch.Tensor) -> np.ndarray:
        return session.run(['keypoints'], {'input': inputs.numpy()})[0]

    return run


def time_routes(
    routes: Dict[str, Callable], inputs: torch.Tensor, repeats: int
) -> Tuple[Dict[str, List[float]], Dict[str, np.ndarray]]:
    """Seconds per call of each route: one warm-up, then ``repeats`` rounds, round-robin so
    that load from other processes spreads over all routes alike.

    Returns:
        tuple: the seconds of each route's timed calls, and its warm-up call's output.
    """
    outputs = {name: route(inputs) for name, route in routes.items()}
    seconds: Dict[str, List[float]] = {name: [] for name in routes}
    for _ in range(repeats):
        for name, route in routes.items():
            start = time.perf_counter()
            route(inputs)
            seconds[name].append(time.perf_counter() - start)
    return seconds, outputs


def benchmark_config(
    name: str,
    batch_sizes: Sequence[int],
    repeats: int,
    threads: int,
    work_dir: Path,
    device: str = 'cpu',
) -> List[dict]:
    """The rows of one model of :data:`CONFIGS`: one per batch size, with PyTorch on
    ``device`` and ONNX Runtime on :func:`execution_providers`."""
    config = ROOT / CONFIGS[name]
    estimator = load_estimator(Config.fromfile(str(config)))
    codec = estimator.head.decoder
    model_file = work_dir / f'{config.stem}.onnx'
    export_onnx(estimator, model_file)
    estimator.to(device)
    peers = {
        key: KEYPOINT_CODECS.build(cfg)
        for key, cfg in peer_codecs(codec.input_size, codec.heatmap_size).items()
    }
    decoders = dict(
        zip(
            ROUTES[1:],
            (
                decode_route(estimator.head, codec, probabilities=True),
                decode_route(estimator.head, peers['DARK'], probabilities=False),
                decode_route(estimator.head, peers['UDP'], probabilities=False),
            ),
        )
    )
    routes = {ROUTES[0]: onnx_route(model_file, threads, execution_providers(device))}
    routes.update({name: torch_route(estimator, decode) for name, decode in decoders.items()})
    width, height = codec.input_size
    rows = []
    for batch_size in batch_sizes:
        generator = torch.Generator().manual_seed(batch_size)
        inputs = torch.randn(batch_size, 3, height, width, generator=generator)
        seconds, outputs = time_routes(routes, inputs, repeats)
        agreement = np.abs(outputs[ROUTES[0]] - outputs[ROUTES[1]]).max()
        median_ms = {route: 1e3 * statistics.median(times) for route, times in seconds.items()}
        with torch.no_grad():
            logits = estimator.head.forward(estimator.extract_feat(inputs.to(device)))
        decode_seconds, _ = time_routes(decoders, logits, repeats)
        rows.append(
            dict(
                model=name,
                config=CONFIGS[name],
                input_size=list(codec.input_size),
                heatmap_size=list(codec.heatmap_size),
                batch_size=batch_size,
                median_ms=median_ms,
                all_ms={route: [1e3 * t for t in times] for route, times in seconds.items()},
                decode_median_ms={
                    route: 1e3 * statistics.median(times) for route, times in decode_seconds.items()
                },
                max_onnx_vs_torch_px=float(agreement),
            )
        )
    return rows


def markdown_table(rows: List[dict]) -> str:
    """One line per model and batch size: median ms of each route, its ratio to (a), and the
    decode's own share of (b) and (c)."""
    short = ['(a) ONNX', '(b) PyTorch + ours', '(c) PyTorch + DARK', '(c) PyTorch + UDP']
    header = (
        ['model', 'input', 'heatmap', 'batch']
        + [f'{label} ms' for label in short]
        + [f'{label} / (a)' for label in short[1:]]
        + ['decode only ms: ours / DARK / UDP', 'max abs (a)-(b) px']
    )
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for row in rows:
        times = [row['median_ms'][route] for route in ROUTES]
        cells = (
            [
                row['model'],
                'x'.join(map(str, row['input_size'])),
                'x'.join(map(str, row['heatmap_size'])),
                str(row['batch_size']),
            ]
            + [f'{t:.1f}' for t in times]
            + [f'{t / times[0]:.2f}x' for t in times[1:]]
            + [' / '.join(f'{row["decode_median_ms"][route]:.2f}' for route in ROUTES[1:])]
            + [f'{row["max_onnx_vs_torch_px"]:.1e}']
        )
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def run(
    out_dir: Path,
    models: Sequence[str] = tuple(CONFIGS),
    batch_sizes: Sequence[int] = (1, 32),
    repeats: int = 5,
    threads: int = 2,
    device: str = 'cpu',
) -> Dict[str, Path]:
    """Measure every model in ``models`` (keys of :data:`CONFIGS`) and write
    ``onnx_benchmark.{json,md}`` to ``out_dir``; ``device`` ``'cuda'`` runs PyTorch and, where
    installed, ONNX Runtime's CUDA provider on the GPU.

    Returns:
        dict: the paths written, by kind (``json``, ``markdown``).
    """
    unknown = [name for name in models if name not in CONFIGS]
    if unknown:
        raise ValueError(f'models must be among {list(CONFIGS)}, got {unknown}')
    if repeats < 1:
        raise ValueError(f'repeats must be >= 1, got {repeats}')
    providers = execution_providers(device)
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    environment = dict(
        threads=threads,
        repeats=repeats,
        processor=platform.processor() or platform.machine(),
        device=torch.cuda.get_device_name(device) if device == 'cuda' else 'cpu',
        providers=providers,
        torch=torch.__version__,
        onnxruntime=ort.__version__,
    )
    hardware = f'CPU ({environment["processor"]})'
    if device == 'cuda':
        hardware = f'{environment["device"]}, ONNX Runtime on {providers[0]}, ' + hardware
    note = (
        f'Median of {repeats} end-to-end runs per batch (normalised crops in, keypoints out, '
        f'random weights, no flip test), {threads} threads, {hardware}; '
        f'torch {environment["torch"]}, onnxruntime {environment["onnxruntime"]}.'
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = dict(json=out_dir / 'onnx_benchmark.json', markdown=out_dir / 'onnx_benchmark.md')
    rows: List[dict] = []
    with tempfile.TemporaryDirectory() as work_dir:
        for name in models:
            rows += benchmark_config(name, batch_sizes, repeats, threads, Path(work_dir), device)
            # Written after every model, so a long run keeps what it has measured.
            report = dict(environment=environment, rows=rows)
            paths['json'].write_text(json.dumps(report, indent=2))
            paths['markdown'].write_text(markdown_table(rows) + '\n\n' + note + '\n')
    return paths
