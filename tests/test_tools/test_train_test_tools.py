"""Training and testing through the tools users run, each in a fresh interpreter as a user
starts it: tools/train.py, tools/test.py and resuming reload the checkpoints they write (torch
>= 2.6), and `mim train` loads the plugin. (Reloading through ``init_model`` and the tools run
in-process on every dataset: tests/test_training/test_datasets_train_and_eval.py.)"""

import subprocess
import sys
from pathlib import Path

import pytest
from utils import coco_sample_options

import h3r_mmpose  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
TINY_CONFIG = ROOT / 'tests' / 'data' / 'tiny_h3r_coco.py'
PYTHON = sys.executable

pytestmark = pytest.mark.slow


def run(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (
        f'{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}'
    )
    return result


@pytest.fixture(scope='module')
def trained_checkpoint(tmp_path_factory, samples_dir) -> Path:
    """Two training iterations (+ validation) through tools/train.py."""
    work_dir = tmp_path_factory.mktemp('train')
    run(
        PYTHON,
        'tools/train.py',
        str(TINY_CONFIG),
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        *coco_sample_options(samples_dir),
    )
    checkpoint = work_dir / 'iter_2.pth'
    assert checkpoint.is_file()
    return checkpoint


def test_checkpoint_reloads_through_tools_test_and_resume(
    trained_checkpoint, tmp_path, samples_dir
):
    result = run(
        PYTHON,
        'tools/test.py',
        str(TINY_CONFIG),
        str(trained_checkpoint),
        '--work-dir',
        str(tmp_path / 'test'),
        '--cfg-options',
        *coco_sample_options(samples_dir),
    )
    assert 'coco/AP' in result.stdout + result.stderr
    # Resume: the Runner reloads weights, optimizer and message hub, then trains to iter 3.
    result = run(
        PYTHON,
        'tools/train.py',
        str(TINY_CONFIG),
        '--work-dir',
        str(tmp_path / 'resume'),
        '--resume',
        str(trained_checkpoint),
        '--cfg-options',
        'train_cfg.max_iters=3',
        *coco_sample_options(samples_dir),
    )
    assert 'resumed epoch: 0, iter: 2' in result.stdout + result.stderr
    assert (tmp_path / 'resume' / 'iter_3.pth').is_file()


def test_mim_train_mmpose_loads_the_plugin(tmp_path, samples_dir):
    mim = Path(PYTHON).with_name('mim')
    run(
        str(mim),
        'train',
        'mmpose',
        str(TINY_CONFIG),
        '--work-dir',
        str(tmp_path),
        '--cfg-options',
        *coco_sample_options(samples_dir),
    )
    assert (tmp_path / 'iter_2.pth').is_file()
