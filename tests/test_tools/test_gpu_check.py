"""tools/gpu_check.py (run by tools/gpu_check.sh): its steps, its summary table and exit
status, and a whole dry run on the CPU."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from utils import ROOT, load_tool

gpu_check = load_tool('gpu_check')
PYTHON = sys.executable


def python_step(name: str, code: str, **kwargs) -> 'gpu_check.Step':
    """A step that runs ``python -c CODE``."""
    return gpu_check.Step(name, [PYTHON, '-c', code], **kwargs)


def read_summary(out_dir: Path) -> list:
    return json.loads((out_dir / 'summary.json').read_text())['steps']


def test_summary_table_has_one_line_per_step():
    results = [
        gpu_check.StepResult('amp', 'ok', 12.345, '2 passed'),
        gpu_check.StepResult('dist_train', 'skipped', 0.0, 'needs a CUDA device'),
        gpu_check.StepResult('onnx_latency', 'FAILED', 3.0, 'exit 1: boom'),
    ]
    assert gpu_check.summary_table(results) == (
        '| step | status | seconds | key figure |\n'
        '|---|---|---|---|\n'
        '| amp | ok | 12.3 | 2 passed |\n'
        '| dist_train | skipped | 0.0 | needs a CUDA device |\n'
        '| onnx_latency | FAILED | 3.0 | exit 1: boom |'
    )


def test_a_failing_step_is_reported_and_the_check_exits_non_zero(tmp_path, capsys):
    steps = [
        python_step('fine', "print('figure 42')", key_figure=lambda log: log.strip()),
        python_step('broken', "import sys; print('boom'); sys.exit(3)"),
        python_step('after', "print('still runs')", key_figure=lambda log: log.strip()),
    ]
    assert gpu_check.run_check(steps, tmp_path) == 1
    assert [(s['name'], s['status'], s['key_figure']) for s in read_summary(tmp_path)] == [
        ('fine', 'ok', 'figure 42'),
        ('broken', 'FAILED', 'exit 3: boom'),
        ('after', 'ok', 'still runs'),
    ]
    table = (tmp_path / 'summary.md').read_text()
    assert '| broken | FAILED |' in table and table in capsys.readouterr().out + '\n'
    assert (tmp_path / 'logs' / 'broken.log').read_text() == 'boom\n'


def test_steps_are_skipped_without_cuda_and_on_request(tmp_path):
    marker = tmp_path / 'ran'
    touch = f'open({str(marker)!r}, "w")'
    steps = [
        python_step('gpu_only', touch, needs_cuda=True),
        python_step('unwanted', touch),
    ]
    assert gpu_check.run_check(steps, tmp_path, skipped=['unwanted'], cuda=False) == 0
    assert [(s['status'], s['key_figure']) for s in read_summary(tmp_path)] == [
        ('skipped', 'needs a CUDA device'),
        ('skipped', 'skipped with --skip'),
    ]
    assert not marker.exists()


def test_a_step_over_its_time_limit_fails(tmp_path):
    step = python_step('slow', 'import time; time.sleep(30)', time_limit_s=0.5)
    result = gpu_check.run_step(step, tmp_path / 'slow.log')
    assert (result.status, result.key_figure) == ('FAILED', 'timed out after 0.5 s')


def test_a_step_without_a_readable_result_fails(tmp_path):
    def missing(log: str) -> str:
        raise FileNotFoundError('no report.json')

    result = gpu_check.run_step(python_step('empty', 'pass', key_figure=missing), tmp_path / 'x')
    assert (result.status, result.key_figure) == ('FAILED', 'no result: no report.json')


def test_pytest_passed_reads_the_count_and_refuses_skips():
    log = '..\n2 passed, 1 warning in 12.34s\n'
    assert gpu_check.pytest_passed(log) == '2 passed, 1 warning'
    for log in ('.s\n1 passed, 1 skipped in 3.00s\n', 'F.\n1 failed, 1 passed in 2s\n', ''):
        with pytest.raises(ValueError, match='did not pass'):
            gpu_check.pytest_passed(log)


def test_key_figures_of_the_result_files(tmp_path):
    # Two runs in one work directory: the latest one counts.
    for run, nme in (('20260101_000000', 0.5), ('20260102_000000', 0.0625)):
        scalars = tmp_path / run / 'vis_data' / 'scalars.json'
        scalars.parent.mkdir(parents=True)
        records = [dict(loss=2.5, step=30), dict(loss=1.25, step=40), dict(NME=nme, step=0)]
        scalars.write_text(''.join(json.dumps(r) + '\n' for r in records))
    assert gpu_check.last_validation(tmp_path) == 'loss 1.25 at iter 40, NME 0.0625'

    rows = ['SimCC', 'UDPHeatmap', 'DARK', 'H3R (ours)']
    results = [dict(codec=r, epe_px=0.5 + i, nme=0.25 * i) for i, r in enumerate(rows)]
    report = tmp_path / 'training_benchmark.json'
    report.write_text(json.dumps(dict(meta=dict(dataset='synthetic'), results=results)))
    assert gpu_check.benchmark_errors(report) == (
        'EPE px: H3R (ours) 3.500, DARK 2.500, UDPHeatmap 1.500, SimCC 0.500'
    )
    report.write_text(json.dumps(dict(meta=dict(dataset='youtube_faces68'), results=results)))
    assert gpu_check.benchmark_errors(report) == (
        'NME: H3R (ours) 0.750, DARK 0.500, UDPHeatmap 0.250, SimCC 0.000'
    )

    onnx, ours = '(a) ONNX Runtime, decode in graph', '(b) PyTorch + H3R batch_decode'
    report = tmp_path / 'onnx_benchmark.json'
    report.write_text(
        json.dumps(
            dict(
                environment=dict(providers=['CUDAExecutionProvider', 'CPUExecutionProvider']),
                rows=[
                    dict(batch_size=b, median_ms={onnx: 2.0 * b}, decode_median_ms={ours: 0.5})
                    for b in (1, 32, 256)
                ],
            )
        )
    )
    assert gpu_check.onnx_latencies(report) == (
        'batch 1/32/256: ONNX 2/64/512 ms (CUDAExecutionProvider), our decode 0.5/0.5/0.5 ms'
    )


def test_steps_and_their_budgets(tmp_path):
    samples = tmp_path / 'samples'
    full = gpu_check.build_steps(tmp_path, False, samples, max_iters=200)
    assert [step.name for step in full] == list(gpu_check.STEPS)
    assert [step.needs_cuda for step in full] == [True, True, False, False]
    assert sum(step.time_limit_s for step in full) <= 8 * 60
    benchmark, onnx = full[2].command, full[3].command
    rows = benchmark[benchmark.index('--rows') + 1 : benchmark.index('--rows') + 5]
    assert rows == ['H3R (ours)', 'DARK', 'UDPHeatmap', 'SimCC']
    assert benchmark[benchmark.index('--max-iters') + 1] == '200'
    assert benchmark[benchmark.index('--image-size') + 1] == '256'
    assert '--dataset' not in benchmark  # synthetic landmarks without --data-root
    assert onnx[onnx.index('--batch-sizes') + 1 : onnx.index('--repeats')] == ['1', '32', '256']
    assert onnx[onnx.index('--device') + 1] == 'cuda'
    assert onnx[onnx.index('--models') + 1] == 'COCO HRNet-W32 s4'
    assert f'train_dataloader.dataset.data_root={samples / "wflw"}/' in full[1].command

    faces = gpu_check.build_steps(tmp_path, False, samples, data_root=tmp_path / 'faces')
    command = faces[2].command
    assert command[command.index('--dataset') : command.index('--dataset') + 4] == [
        '--dataset',
        'youtube_faces68',
        '--data-root',
        str(tmp_path / 'faces'),
    ]

    # The dry run: the same steps, tiny budgets, PyTorch on the CPU.
    dry = gpu_check.build_steps(tmp_path, True, samples)
    benchmark, onnx = dry[2].command, dry[3].command
    assert '--quick' in benchmark and benchmark[benchmark.index('--max-iters') + 1] == '2'
    assert onnx[onnx.index('--batch-sizes') + 1 : onnx.index('--repeats') + 2] == [
        '1',
        '--repeats',
        '1',
    ]
    assert onnx[onnx.index('--device') + 1] == 'cpu'
    assert onnx[onnx.index('--models') + 1] == 'WFLW HRNetV2-W18 s4'


def test_bad_arguments_are_refused(capsys):
    with pytest.raises(SystemExit):
        gpu_check.parse_args(['--skip', 'everything'])
    assert "invalid choice: 'everything'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        gpu_check.parse_args(['--max-iters', '0'])
    assert '--max-iters must be >= 1, got 0' in capsys.readouterr().err
    assert gpu_check.parse_args(['--skip', 'amp', '--skip', 'dist_train']).skip == [
        'amp',
        'dist_train',
    ]


@pytest.mark.skipif(torch.cuda.is_available(), reason='a CUDA device is present')
def test_a_full_check_needs_cuda(tmp_path):
    with pytest.raises(SystemExit, match='no CUDA device here; on a CPU, run it with --dry-run'):
        gpu_check.main(['--out-dir', str(tmp_path)])
    assert not tmp_path.joinpath('summary.md').exists()


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason='the dry run skips CUDA steps on a CPU')
def test_dry_run_on_the_cpu(tmp_path):
    result = subprocess.run(
        [PYTHON, 'tools/gpu_check.py', '--dry-run', '--out-dir', str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    steps = read_summary(tmp_path)
    assert [(s['name'], s['status']) for s in steps] == [
        ('amp', 'skipped'),
        ('dist_train', 'skipped'),
        ('stride4_256px', 'ok'),
        ('onnx_latency', 'ok'),
    ]
    figures = {s['name']: s['key_figure'] for s in steps}
    assert figures['amp'] == figures['dist_train'] == 'needs a CUDA device'
    number = r'\d+\.\d{3}'
    assert re.fullmatch(
        rf'EPE px: H3R \(ours\) {number}, DARK {number}, UDPHeatmap {number}, SimCC {number}',
        figures['stride4_256px'],
    )
    assert re.fullmatch(
        r'batch 1: ONNX [\d.e+]+ ms \(CPUExecutionProvider\), our decode [\d.e+-]+ ms',
        figures['onnx_latency'],
    )
    table = (tmp_path / 'summary.md').read_text()
    assert table.startswith('device CPU') and 'mode dry run' in table
    assert table.split('\n\n')[1] in result.stdout
    assert (tmp_path / 'training_benchmark' / 'training_benchmark.md').is_file()
    assert (tmp_path / 'onnx_benchmark' / 'onnx_benchmark.md').is_file()
