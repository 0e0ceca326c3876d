"""The stock MMPose configs the converter tests read, and a converted copy of each."""

import copy
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple, Union

import mmpose
from mmengine.config import Config, ConfigDict

from h3r_mmpose.converters import ConversionRefused, write_converted_config
from h3r_mmpose.converters.stock_config import iter_dicts, load_stock_config

STOCK_DIR = Path(mmpose.__file__).parent / '.mim' / 'configs'
#: Every top-down heatmap config that MMPose ships (counted, not assumed).
STOCK_CONFIGS = sorted(STOCK_DIR.glob('**/topdown_heatmap/**/*.py'))


def reference(path: Path) -> str:
    """The ``mmpose::`` name of a stock config file."""
    return 'mmpose::' + path.relative_to(STOCK_DIR).as_posix()


def stock_id(path: Path) -> str:
    return path.relative_to(STOCK_DIR).as_posix()


def convert(config: str, out_dir: Path, **options) -> Union[Config, ConversionRefused]:
    """The loaded converted config, or the refusal."""
    out_file = out_dir / (config.split('::')[-1].replace('/', '__'))
    try:
        write_converted_config(config, str(out_file), **options)
    except ConversionRefused as refusal:
        return refusal
    return Config.fromfile(str(out_file))


def pose_head(model: ConfigDict) -> ConfigDict:
    """The pose head of a model config (the one inside a VisPredictHead)."""
    return model.head.get('pose_cfg', model.head)


def steps_anywhere(cfg: Config, step_type: str) -> List[Tuple[tuple, dict]]:
    """Every step of ``step_type`` anywhere in the config, with its key path."""
    return [
        (path, node) for path, node in iter_dicts(cfg.to_dict()) if node.get('type') == step_type
    ]


def without_pretrained(model_cfg: ConfigDict) -> ConfigDict:
    """A copy of the model config that loads no weights (no network here)."""
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg.backbone.init_cfg = None
    model_cfg.backbone.pop('pretrained', None)
    return model_cfg


def stock_results(out_dir: Path) -> Dict[Path, Union[Config, ConversionRefused]]:
    return {path: convert(reference(path), out_dir) for path in STOCK_CONFIGS}


@lru_cache(maxsize=None)
def load_stock(path: Path) -> Config:
    """A stock config with its bases resolved (read once per test session)."""
    return load_stock_config(str(path))


def without_scope(node):
    """``node`` without the ``_scope_`` keys MMEngine adds to dicts read from another package's
    config (``mmpose::``); they name the registry scope the stock config already uses."""
    if isinstance(node, dict):
        return {key: without_scope(value) for key, value in node.items() if key != '_scope_'}
    if isinstance(node, (list, tuple)):
        return type(node)(without_scope(value) for value in node)
    return node
