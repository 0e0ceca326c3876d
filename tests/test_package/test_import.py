"""What ``import h3r_mmpose`` loads and registers: the plugin's core into MMPose's registries,
also through a config's ``custom_imports``, and the benchmarks only on request."""

import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

import h3r_mmpose  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
TINY_CONFIG = ROOT / 'tests' / 'data' / 'tiny_h3r_coco.py'
#: The subpackages a user config's ``custom_imports=['h3r_mmpose']`` may load.
CORE = {'codecs', 'engine', 'evaluation', 'models', 'utils', 'version'}


def run_python(script: str) -> str:
    """Run ``script`` in a fresh interpreter in the repository root; return its stdout."""
    result = subprocess.run(
        [sys.executable, '-c', script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope='module')
def imported() -> Dict[str, List[str]]:
    """The ``h3r_mmpose`` modules in ``sys.modules`` of a fresh process after ``import
    h3r_mmpose`` (``'core'``), then after ``import h3r_mmpose.benchmarks`` (``'benchmarks'``),
    and whether the synthetic dataset was registered at each step (``'registered'``)."""
    snapshot = (
        "print(*sorted(name for name in sys.modules if name.startswith('h3r_mmpose')), sep=',')\n"
        "print(DATASETS.get('SyntheticLandmarkDataset') is not None)\n"
    )
    lines = run_python(
        'import sys\nfrom mmpose.registry import DATASETS\n'
        f'import h3r_mmpose\n{snapshot}import h3r_mmpose.benchmarks\n{snapshot}'
    ).split()
    return dict(
        core=lines[0].split(','),
        benchmarks=lines[2].split(','),
        registered=[lines[1], lines[3]],
    )


@pytest.mark.slow
def test_import_loads_the_core_and_no_benchmark_module(imported):
    subpackages = {name.split('.')[1] for name in imported['core'] if '.' in name}
    assert subpackages == CORE, imported['core']
    assert 'h3r_mmpose.codecs.randomized_rounding_heatmap' in imported['core']
    assert imported['registered'][0] == 'False'  # no synthetic dataset in a user's registry


@pytest.mark.slow
def test_benchmarks_import_registers_the_dataset_without_running_a_benchmark(imported):
    assert imported['registered'][1] == 'True'
    assert 'h3r_mmpose.benchmarks.datasets.synthetic_landmarks_render' in imported['benchmarks']
    # The benchmarks and their reporting load only when a tool imports them.
    assert not {
        'h3r_mmpose.benchmarks.codec_benchmark',
        'h3r_mmpose.benchmarks.training_benchmark',
        'h3r_mmpose.benchmarks.leaderboard_tables',
    } & set(imported['benchmarks'])


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


@pytest.mark.slow
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
    assert run_python(script).split()[-2:] == ['H3RHead', 'RandomizedRoundingHeatmap']
