"""What users do with our configs beyond running them: inherit one and reuse its codec,
copy the converted-config snippet of configs/README.md."""

import inspect
import re
from pathlib import Path

import mmpose
import pytest
from mmengine.config import Config
from mmpose.registry import KEYPOINT_CODECS, MODELS
from utils import ROOT, config_files, config_id, without_pretrained

from h3r_mmpose.codecs import RandomizedRoundingHeatmap

CODEC_ARGS = set(inspect.signature(RandomizedRoundingHeatmap).parameters) | {'type'}
STRIDE4_CONFIGS = [path for path in config_files() if '-stride' not in path.name]
#: Top-level names a config may add to its base: the plugin import, nothing else (a helper
#: variable would look like a setting, but --cfg-options on it changes nothing).
ADDED_NAMES = {'custom_imports'}

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


def readme_config_snippet() -> str:
    """The Python block of configs/README.md's "Converting a config" section."""
    readme = (ROOT / 'configs' / 'README.md').read_text()
    section = readme.split('## Converting a config', 1)[1]
    return section.split('```python\n', 1)[1].split('```', 1)[0]


def write_child(folder: Path, base: Path) -> Path:
    """A child config that reuses its base's `codec` at half the heatmap resolution."""
    child = folder / 'child.py'
    child.write_text(
        f'_base_ = [{str(base)!r}]\n'
        'half = tuple(size // 2 for size in _base_.codec.heatmap_size)\n'
        'codec = dict(_base_.codec, heatmap_size=half)\n'
        'model = dict(head=dict(decoder=codec))\n'
    )
    return child


def stock_base_of(path: Path) -> Path:
    """The stock MMPose config a config inherits (its `mmpose::` base), in the installed
    package."""
    base = re.search(r"'mmpose::([^']+)'", path.read_text()).group(1)
    return Path(mmpose.__file__).parent / '.mim' / 'configs' / base


@pytest.mark.parametrize(
    'source',
    ['README.md', *STRIDE4_CONFIGS],
    ids=lambda s: s if isinstance(s, str) else config_id(s),
)
def test_child_config_reusing_base_codec_builds(source, tmp_path):
    if source == 'README.md':
        base = tmp_path / 'readme_config.py'
        base.write_text(readme_config_snippet())
    else:
        base = source
    cfg = Config.fromfile(str(write_child(tmp_path, base)))
    # No stock key (MSRAHeatmap's sigma) survived in the reused codec ...
    assert set(cfg.codec) <= CODEC_ARGS, set(cfg.codec) - CODEC_ARGS
    # ... so it builds, with the child's change.
    codec = KEYPOINT_CODECS.build(cfg.codec)
    assert codec.heatmap_size == tuple(
        s // 2 for s in Config.fromfile(str(base)).codec.heatmap_size
    )
    assert KEYPOINT_CODECS.build(cfg.model.head.decoder).heatmap_size == codec.heatmap_size


def test_readme_snippet_builds_the_model():
    cfg = Config.fromstring(readme_config_snippet(), file_format='.py')
    assert cfg.codec.type == 'RandomizedRoundingHeatmap'
    model = MODELS.build(without_pretrained(cfg.model))
    assert isinstance(model.head.decoder, RandomizedRoundingHeatmap)


@pytest.mark.parametrize('path', config_files(), ids=config_id)
def test_config_adds_no_top_level_names_to_its_stock_base(path):
    stock = Config.fromfile(str(stock_base_of(path)))
    added = set(Config.fromfile(str(path))) - set(stock)
    assert added <= ADDED_NAMES, added - ADDED_NAMES


def test_configs_readme_schedule_snippet_adds_the_hook(tmp_path):
    """The one line configs/README.md gives for the ablation's target schedule keeps the
    base's hooks and adds the schedule."""
    readme = (ROOT / 'configs' / 'README.md').read_text()
    line = readme.split('```python\n', 1)[1].split('```', 1)[0]
    base = next(path for path in STRIDE4_CONFIGS if 'wflw' in path.name)
    child = tmp_path / 'child.py'
    child.write_text(f'_base_ = [{str(base)!r}]\n{line}')
    stock_hooks = Config.fromfile(str(base)).custom_hooks
    assert 'TargetSigmaAnnealingHook' not in [hook['type'] for hook in stock_hooks]
    hooks = Config.fromfile(str(child)).custom_hooks
    assert hooks == [*stock_hooks, dict(type='TargetSigmaAnnealingHook', start_sigma=2.0)]
