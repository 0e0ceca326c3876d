"""What ``import h3r_mmpose`` loads: the plugin's core, and the benchmarks only on request."""

import subprocess
import sys
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parents[2]
#: The subpackages a user config's ``custom_imports=['h3r_mmpose']`` may load.
CORE = {'codecs', 'engine', 'evaluation', 'models', 'utils', 'version'}


def loaded_modules(statement: str) -> List[str]:
    """The ``h3r_mmpose`` modules in ``sys.modules`` after ``statement`` in a fresh process."""
    script = (
        f'import sys\n{statement}\n'
        "print(*sorted(name for name in sys.modules if name.startswith('h3r_mmpose')))\n"
    )
    result = subprocess.run(
        [sys.executable, '-c', script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.split()


def test_import_loads_the_core_and_no_benchmark_module():
    modules = loaded_modules('import h3r_mmpose')
    subpackages = {name.split('.')[1] for name in modules if '.' in name}
    assert subpackages == CORE, modules
    assert 'h3r_mmpose.codecs.randomized_rounding_heatmap' in modules


def test_benchmarks_import_registers_the_dataset_without_running_a_benchmark():
    modules = loaded_modules(
        'import h3r_mmpose.benchmarks\n'
        'from mmpose.registry import DATASETS\n'
        "assert DATASETS.get('SyntheticLandmarkDataset') is not None"
    )
    benchmark_modules = {name for name in modules if name.startswith('h3r_mmpose.benchmarks.')}
    assert 'h3r_mmpose.benchmarks.datasets.synthetic_landmarks_render' in benchmark_modules
    # The benchmarks and their reporting load only when a tool imports them.
    assert not {
        'h3r_mmpose.benchmarks.codec_benchmark',
        'h3r_mmpose.benchmarks.training_benchmark',
        'h3r_mmpose.benchmarks.leaderboard_tables',
    } & benchmark_modules
