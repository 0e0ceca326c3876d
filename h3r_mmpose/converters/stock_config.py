"""Finding and reading the MMPose config that a converted config inherits."""

import importlib.util
import os.path as osp
from pathlib import Path
from typing import Any, Iterator, List, Tuple

from mmengine.config import Config

#: Where an OpenMMLab package ships its configs: ``mmpose::x.py`` is
#: ``<mmpose>/.mim/configs/x.py``.
PACKAGE_CONFIG_DIR = ('.mim', 'configs')


def package_config_dir(package: str) -> Path:
    """The folder holding the configs shipped by an installed package such as ``mmpose``.

    Raises:
        ValueError: if the package is not installed.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f'config package {package!r} is not installed')
    return Path(list(spec.submodule_search_locations)[0]).joinpath(*PACKAGE_CONFIG_DIR)


def resolve_config_path(config: str) -> Path:
    """The file of ``config``: a ``package::relative/path.py`` reference or a file path.

    Raises:
        ValueError: if the file does not exist or is not a Python config.
    """
    if '::' in config:
        package, relative = config.split('::', 1)
        path = package_config_dir(package) / relative
    else:
        path = Path(config).expanduser().resolve()
    if path.suffix != '.py' or not path.is_file():
        raise ValueError(f'config must be an existing .py config file, got {config!r}')
    return path


def base_reference(config: str, out_file: Path) -> str:
    """How the written config names the config it inherits.

    A ``package::`` reference is kept, and a file inside an installed package's configs
    becomes one (it then works from any folder); any other file is named relative to the
    written file, which is how MMEngine resolves a relative ``_base_``.
    """
    if '::' in config:
        return config
    path = resolve_config_path(config)
    try:
        relative = path.relative_to(package_config_dir('mmpose').resolve())
        return f'mmpose::{relative.as_posix()}'
    except (ValueError, TypeError):
        pass
    return Path(osp.relpath(path, Path(out_file).resolve().parent)).as_posix()


def stock_heatmap_configs(package: str = 'mmpose') -> List[str]:
    """``package::`` names of every top-down heatmap config the package ships
    (``configs/**/topdown_heatmap/**.py``), sorted."""
    folder = package_config_dir(package)
    paths = sorted(folder.glob('**/topdown_heatmap/**/*.py'))
    return [f'{package}::{path.relative_to(folder).as_posix()}' for path in paths]


def load_stock_config(config: str) -> Config:
    """Read a config with all its bases resolved, without importing its ``custom_imports``
    (reading needs none of them; the written config imports them when it is loaded)."""
    return Config.fromfile(str(resolve_config_path(config)), import_custom_modules=False)


def iter_dicts(node: Any, path: Tuple = ()) -> Iterator[Tuple[Tuple, dict]]:
    """Every dict nested in ``node`` (dicts and lists), with its key path from ``node``."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from iter_dicts(value, path + (key,))
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from iter_dicts(value, path + (index,))


def steps_of_type(pipeline: List[dict], step_type: str) -> List[dict]:
    """The steps of a pipeline whose ``type`` is ``step_type``."""
    return [step for step in pipeline if step.get('type') == step_type]
