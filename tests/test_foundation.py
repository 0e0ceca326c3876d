"""The plugin on the real stack: registries, configs, training through the Runner via
tools/train.py and `mim train`, and checkpoint reloading on torch >= 2.6."""

import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import h3r_mmpose  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
TINY_CONFIG = ROOT / 'tests' / 'data' / 'tiny_h3r_coco.py'
PYTHON = sys.executable


def run(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (
        f'{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}'
    )
    return result


def coco_data_options(samples_dir: Path) -> list:
    root = f'{samples_dir / "coco"}/'
    return [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'val_evaluator.ann_file={root}test_coco.json',
        f'test_evaluator.ann_file={root}test_coco.json',
    ]


@pytest.mark.parametrize(
    'registry, names',
    [
        ('KEYPOINT_CODECS', ['RandomizedRoundingHeatmap']),
        ('MODELS', ['H3RHead', 'HeatmapCrossEntropyLoss']),
        ('METRICS', ['FaceAlignmentMetric', 'QuantizationFloorMetric']),
        ('HOOKS', ['LeaderboardHook']),
    ],
)
def test_import_registers_into_mmpose_registries(registry, names):
    import mmpose.registry

    for name in names:
        assert getattr(mmpose.registry, registry).get(name) is not None, name


def test_config_with_custom_imports_builds_a_model_in_a_fresh_process():
    """Only `custom_imports` loads the plugin: the process never imports it by hand."""
    script = (
        'from mmengine.config import Config\n'
        'from mmpose.registry import MODELS\n'
        'from mmpose.utils import register_all_modules\n'
        'register_all_modules()\n'
        f'cfg = Config.fromfile({str(TINY_CONFIG)!r})\n'
        'model = MODELS.build(cfg.model)\n'
        'print(type(model.head).__name__, type(model.head.decoder).__name__)\n'
    )
    result = run(PYTHON, '-c', script)
    assert result.stdout.split()[-2:] == ['H3RHead', 'RandomizedRoundingHeatmap']


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
        *coco_data_options(samples_dir),
    )
    checkpoint = work_dir / 'iter_2.pth'
    assert checkpoint.is_file()
    return checkpoint


def test_checkpoint_reloads_through_init_model(trained_checkpoint):
    from mmpose.apis import init_model

    model = init_model(str(TINY_CONFIG), str(trained_checkpoint), device='cpu')
    state = torch.load(trained_checkpoint, map_location='cpu')['state_dict']
    torch.testing.assert_close(
        model.state_dict()['head.final_layer.weight'], state['head.final_layer.weight']
    )


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
        *coco_data_options(samples_dir),
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
        *coco_data_options(samples_dir),
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
        *coco_data_options(samples_dir),
    )
    assert (tmp_path / 'iter_2.pth').is_file()


class Untrusted:
    """Stands for arbitrary code a malicious pickle could run on load."""

    def __reduce__(self):
        return (print, ('this must never run',))


def test_untrusted_pickle_is_still_refused(tmp_path):
    from mmengine.runner import load_checkpoint

    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': Untrusted()}, path)
    with pytest.raises(pickle.UnpicklingError, match='Weights only load failed'):
        torch.load(path)
    with pytest.raises(pickle.UnpicklingError, match='Weights only load failed'):
        load_checkpoint(torch.nn.Linear(1, 1), str(path))


def test_only_history_buffer_statistics_resolve_through_getattr():
    from mmengine.logging.history_buffer import HistoryBuffer

    from h3r_mmpose.utils.checkpoint import history_buffer_statistic

    assert history_buffer_statistic(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError, match=r"getattr\(.*'__init__'\)"):
        history_buffer_statistic(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError, match='only HistoryBuffer'):
        history_buffer_statistic(torch.Tensor, 'mean')
