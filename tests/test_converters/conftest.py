"""Fixtures of the converter tests."""

import functools

import mmengine.config.utils as config_utils
import pytest


@pytest.fixture(autouse=True, scope='session')
def metafiles_read_once():
    """Parse MMPose's model-index metafiles once per session.

    MMEngine resolves every ``mmpose::`` base by reading all of MMPose's metafiles (YAML, about
    0.15 s); the converted configs all have one. The files are only read, so the parsed
    result is shared; loading stays MMEngine's own code path.
    """
    original = config_utils.load

    @functools.lru_cache(maxsize=None)
    def load_once(path: str):
        return original(path)

    def load(file, *args, **kwargs):
        if args or kwargs or not isinstance(file, str):
            return original(file, *args, **kwargs)
        return load_once(file)

    patch = pytest.MonkeyPatch()
    patch.setattr(config_utils, 'load', load)
    yield
    patch.undo()
