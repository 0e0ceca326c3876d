"""One prepared check of the paths only a GPU runs, ending in one summary table.

    bash tools/gpu_check.sh [--out-dir outputs/gpu_check] [--data-root DIR] [--max-iters 200]
        [--samples DIR] [--skip STEP ...] [--dry-run]

Steps, each a subprocess with its own log and time limit (about 8 minutes in all):

    amp            tests/test_training/test_amp.py: tools/train.py --amp trains with a finite
                   loss through MMEngine's AmpOptimWrapper (CUDA)
    dist_train     tools/dist_train.sh on one GPU (nccl, MMEngine's DDP wrapper): the tiny
                   WFLW model on the WFLW samples (CUDA)
    stride4_256px  tools/benchmark_training.py at the stock 256-px scale, stride 4, rows
                   H3R (ours), DARK, UDPHeatmap and SimCC, for --max-iters iterations; on the
                   synthetic landmarks, or on real faces with --data-root
    onnx_latency   tools/deploy/benchmark_onnx.py, COCO HRNet-W32 stride 4, batch 1/32/256:
                   ONNX Runtime (CUDA provider where installed), PyTorch + our decode, PyTorch
                   + DARK / UDP decode, end to end and decode alone

``--dry-run`` runs the same steps on a CPU with tiny budgets (CUDA steps skipped), so the
check itself is tested without a GPU. Writes ``summary.md`` and ``summary.json``, one log per
step in ``logs/`` and each step's own results, under ``--out-dir``. Exits 1 if a step failed.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]
STEPS = ('amp', 'dist_train', 'stride4_256px', 'onnx_latency')
STATUSES = ('ok', 'FAILED', 'skipped')
#: The stride-4 comparison's rows: ours and the three stock peers (SimCC at split 2.0).
BENCHMARK_ROWS = ('H3R (ours)', 'DARK', 'UDPHeatmap', 'SimCC')
#: The latency's model (the README's); a dry run exports the smaller WFLW one, whose export
#: on a busy 2-core CPU takes a third of the time.
ONNX_MODEL = 'COCO HRNet-W32 s4'
ONNX_MODEL_DRY_RUN = 'WFLW HRNetV2-W18 s4'
ONNX_BATCH_SIZES = (1, 32, 256)
#: Iterations of the tiny WFLW model in the one-GPU distributed run.
DIST_ITERS = 40
#: Seconds each step may take on a GPU machine; together the 8 minutes the check is sized
#: for. The stride-4 comparison's share is mostly CPU work (num_workers=0): rendering the
#: 2500 images at 256 px, once per --out-dir, and the pipeline of 32 crops per iteration.
TIME_LIMITS_S = dict(amp=60, dist_train=60, stride4_256px=270, onnx_latency=90)
#: The limit of every step of a dry run on a CPU, whose steps are tiny but slow to import.
DRY_RUN_LIMIT_S = 600
#: Training iterations (batch 32) of each stride-4 run: a sixth of the benchmark's 1200.
MAX_ITERS = 200


@dataclass
class Step:
    """One step of the check.

    Args:
        name (str): one of :data:`STEPS`.
        command (list[str]): the subprocess, run in the repository root.
        needs_cuda (bool): skipped without a CUDA device.
        time_limit_s (float): the step fails when it runs longer.
        key_figure (Callable[[str], str]): reads the step's main result after it succeeded,
            from its log text (argument) or the files it wrote; raising fails the step.
    """

    name: str
    command: List[str]
    needs_cuda: bool = False
    time_limit_s: float = DRY_RUN_LIMIT_S
    key_figure: Callable[[str], str] = field(default=lambda log: '', repr=False)


@dataclass
class StepResult:
    """A row of the summary table: ``status`` is one of :data:`STATUSES`."""

    name: str
    status: str
    seconds: float
    key_figure: str


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--out-dir',
        type=Path,
        default=Path('outputs/gpu_check'),
        help="where the summary, the logs and each step's results go",
    )
    parser.add_argument(
        '--data-root',
        type=Path,
        help='train the stride-4 comparison on real faces: the data/ folder of '
        'udacity/P1_Facial_Keypoints (--dataset youtube_faces68); synthetic landmarks otherwise',
    )
    parser.add_argument(
        '--max-iters',
        type=int,
        default=MAX_ITERS,
        help='iterations (batch 32) of each stride-4 training run; the full schedule is 1200',
    )
    parser.add_argument(
        '--samples',
        type=Path,
        default=ROOT.parent / 'shared' / 'data' / 'mmpose_samples',
        help='the MMPose sample data: its wflw/ folder trains the dist_train step (the amp '
        'test reads them where every test does, ../shared/data/mmpose_samples)',
    )
    parser.add_argument(
        '--skip',
        nargs='+',
        action='extend',
        choices=STEPS,
        default=[],
        metavar='STEP',
        help=f'steps not to run, among {", ".join(STEPS)}',
    )
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='on a CPU: the same steps with tiny budgets, CUDA steps reported as skipped',
    )
    args = parser.parse_args(argv)
    if args.max_iters < 1:
        parser.error(f'--max-iters must be >= 1, got {args.max_iters}')
    return args


def build_steps(
    out_dir: Path,
    dry_run: bool,
    samples: Path,
    max_iters: int = MAX_ITERS,
    data_root: Optional[Path] = None,
    python: str = sys.executable,
) -> List[Step]:
    """The four steps of :data:`STEPS`, writing under ``out_dir``; ``dry_run`` shrinks the
    budgets of the steps that run on a CPU."""

    def limit(name: str) -> float:
        return DRY_RUN_LIMIT_S if dry_run else TIME_LIMITS_S[name]

    wflw = f'{samples / "wflw"}/'
    dist_dir = out_dir / 'dist_train'
    dist_train = [
        'bash', 'tools/dist_train.sh', 'tests/data/tiny_h3r_wflw.py', '1',
        '--work-dir', str(dist_dir), '--cfg-options',
        f'train_cfg.max_iters={DIST_ITERS}', f'train_cfg.val_interval={DIST_ITERS}',
        f'default_hooks.checkpoint.interval={DIST_ITERS}', 'default_hooks.logger.interval=10',
        *(f'{split}_dataloader.dataset.data_root={wflw}' for split in ('train', 'val', 'test')),
    ]  # fmt: skip
    benchmark_dir = out_dir / 'training_benchmark'
    budget = ['--quick', '--max-iters', '2'] if dry_run else ['--max-iters', str(max_iters)]
    real_data = ['--dataset', 'youtube_faces68', '--data-root', str(data_root)]
    benchmark = [
        python, 'tools/benchmark_training.py', '--image-size', '256', '--strides', '4',
        '--rows', *BENCHMARK_ROWS, *budget, '--eval-interval', budget[-1],
        *(real_data if data_root is not None else []),
        '--no-progress', '--out-dir', str(benchmark_dir),
    ]  # fmt: skip
    onnx_dir = out_dir / 'onnx_benchmark'
    batch_sizes = ONNX_BATCH_SIZES[:1] if dry_run else ONNX_BATCH_SIZES
    onnx = [
        python, 'tools/deploy/benchmark_onnx.py',
        '--models', ONNX_MODEL_DRY_RUN if dry_run else ONNX_MODEL,
        '--batch-sizes', *map(str, batch_sizes), '--repeats', '1' if dry_run else '3',
        '--device', 'cpu' if dry_run else 'cuda', '--threads', str(os.cpu_count() or 1),
        '--out-dir', str(onnx_dir),
    ]  # fmt: skip
    return [
        Step(
            'amp',
            [
                python,
                '-m',
                'pytest',
                'tests/test_training/test_amp.py',
                '-q',
                '-p',
                'no:cacheprovider',
                f'--basetemp={out_dir / "amp"}',
            ],
            needs_cuda=True,
            time_limit_s=limit('amp'),
            key_figure=pytest_passed,
        ),
        Step(
            'dist_train',
            dist_train,
            needs_cuda=True,
            time_limit_s=limit('dist_train'),
            key_figure=lambda log: last_validation(dist_dir),
        ),
        Step(
            'stride4_256px',
            benchmark,
            time_limit_s=limit('stride4_256px'),
            key_figure=lambda log: benchmark_errors(benchmark_dir / 'training_benchmark.json'),
        ),
        Step(
            'onnx_latency',
            onnx,
            time_limit_s=limit('onnx_latency'),
            key_figure=lambda log: onnx_latencies(onnx_dir / 'onnx_benchmark.json'),
        ),
    ]


def pytest_passed(log: str) -> str:
    """pytest's count of passed tests; a skipped test fails the step (it ran nothing)."""
    summary = re.findall(r'^=*\s*(\d+ passed.*?)(?: in [\d.]+s)?\s*=*$', log, re.MULTILINE)
    if not summary or 'skipped' in summary[-1] or 'failed' in summary[-1]:
        raise ValueError('pytest did not pass every test')
    return summary[-1]


def last_validation(work_dir: Path) -> str:
    """The last training loss and validation NME of the latest run of the tiny WFLW model in
    ``work_dir`` (its runs are in folders named by their start time)."""
    scalars = sorted(work_dir.glob('*/vis_data/scalars.json'))[-1]
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    loss = [r for r in records if 'loss' in r][-1]
    nme = [r for r in records if 'NME' in r][-1]
    return f'loss {loss["loss"]:.4g} at iter {loss["step"]}, NME {nme["NME"]:.4f}'


def benchmark_errors(report_file: Path) -> str:
    """Each row's test error in the order of :data:`BENCHMARK_ROWS`: the figure the report
    ranks by (EPE in input pixels on synthetic marks, NME on real faces)."""
    from h3r_mmpose.benchmarks.training_report import primary_key

    report = json.loads(report_file.read_text())
    key = primary_key(report['meta'])
    errors = {result['codec']: result[key] for result in report['results']}
    label = 'EPE px' if key == 'epe_px' else key.upper()
    return f'{label}: ' + ', '.join(f'{row} {errors[row]:.3f}' for row in BENCHMARK_ROWS)


def onnx_latencies(report_file: Path) -> str:
    """ONNX Runtime's end-to-end milliseconds and our decode's alone, per batch size."""
    report = json.loads(report_file.read_text())
    rows = report['rows']
    batches = '/'.join(str(row['batch_size']) for row in rows)
    onnx_route, decode_route = '(a) ONNX Runtime, decode in graph', '(b) PyTorch + H3R batch_decode'
    onnx_ms = '/'.join(f'{row["median_ms"][onnx_route]:.3g}' for row in rows)
    decode_ms = '/'.join(f'{row["decode_median_ms"][decode_route]:.3g}' for row in rows)
    provider = report['environment'].get('providers', ['CPUExecutionProvider'])[0]
    return f'batch {batches}: ONNX {onnx_ms} ms ({provider}), our decode {decode_ms} ms'


def skip_reason(step: Step, skipped: Sequence[str], cuda: bool) -> Optional[str]:
    """Why ``step`` does not run, or None when it does."""
    if step.name in skipped:
        return 'skipped with --skip'
    if step.needs_cuda and not cuda:
        return 'needs a CUDA device'
    return None


def run_step(step: Step, log_file: Path, skip: Optional[str] = None) -> StepResult:
    """Run one step with its output in ``log_file``; a non-zero exit, a timeout or an
    unreadable result is FAILED, with the reason as its key figure."""
    if skip is not None:
        return StepResult(step.name, 'skipped', 0.0, skip)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    # The venv's bin first: tools/dist_train.sh calls `torchrun`.
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    env['PATH'] = f'{Path(sys.executable).parent}{os.pathsep}{env.get("PATH", "")}'
    start = time.perf_counter()
    with log_file.open('w') as log:
        try:
            returncode = subprocess.run(
                step.command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=step.time_limit_s,
            ).returncode
        except subprocess.TimeoutExpired:
            returncode = None
    seconds = time.perf_counter() - start
    text = log_file.read_text(errors='replace')
    if returncode is None:
        return StepResult(step.name, 'FAILED', seconds, f'timed out after {step.time_limit_s:g} s')
    if returncode != 0:
        last = [line for line in text.splitlines() if line.strip()][-1:] or ['no output']
        return StepResult(step.name, 'FAILED', seconds, f'exit {returncode}: {last[0][:200]}')
    try:
        return StepResult(step.name, 'ok', seconds, step.key_figure(text))
    except Exception as error:  # the step ran but left no result to read
        return StepResult(step.name, 'FAILED', seconds, f'no result: {error}')


def summary_table(results: Sequence[StepResult]) -> str:
    """The check's table, one line per step."""
    lines = ['| step | status | seconds | key figure |', '|---|---|---|---|']
    for r in results:
        lines.append(f'| {r.name} | {r.status} | {r.seconds:.1f} | {r.key_figure} |')
    return '\n'.join(lines)


def device_description() -> Dict[str, str]:
    """The machine a check ran on: the GPU's name (or 'CPU'), torch, CUDA, Python."""
    import torch

    cuda = torch.cuda.is_available()
    return dict(
        device=torch.cuda.get_device_name(0) if cuda else f'CPU ({platform.machine()})',
        torch=torch.__version__,
        cuda=str(torch.version.cuda) if cuda else 'none',
        python=platform.python_version(),
    )


def run_check(
    steps: Sequence[Step],
    out_dir: Path,
    skipped: Sequence[str] = (),
    cuda: bool = False,
    environment: Optional[Dict[str, str]] = None,
) -> int:
    """Run ``steps`` in order, print the summary table and write ``summary.{md,json}``.

    Returns:
        int: the exit status, 1 if a step failed, else 0.
    """
    results = []
    for step in steps:
        print(f'[gpu_check] {step.name} ...', flush=True)
        result = run_step(
            step, out_dir / 'logs' / f'{step.name}.log', skip_reason(step, skipped, cuda)
        )
        print(f'[gpu_check] {step.name}: {result.status} ({result.seconds:.1f} s)', flush=True)
        results.append(result)
    environment = environment or {}
    header = ', '.join(f'{key} {value}' for key, value in environment.items())
    table = summary_table(results)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / 'summary.md').write_text(f'{header}\n\n{table}\n' if header else f'{table}\n')
    summary = dict(environment=environment, steps=[asdict(r) for r in results])
    (out_dir / 'summary.json').write_text(json.dumps(summary, indent=1))
    print(f'\n{header}\n\n{table}\n\nwritten to {out_dir}')
    return int(any(r.status == 'FAILED' for r in results))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    environment = device_description()
    cuda = environment['cuda'] != 'none'
    if not cuda and not args.dry_run:
        raise SystemExit('gpu_check: no CUDA device here; on a CPU, run it with --dry-run')
    environment['mode'] = 'dry run' if args.dry_run else 'full'
    out_dir = args.out_dir.resolve()
    steps = build_steps(out_dir, args.dry_run, args.samples, args.max_iters, args.data_root)
    return run_check(steps, out_dir, args.skip, cuda, environment)


if __name__ == '__main__':
    sys.exit(main())
