"""Fixtures of the deploy tests: tiny models and their exported graphs, built once per test
module."""

from pathlib import Path
from typing import Callable, Dict, Tuple

import pytest
import torch
from deploy_helpers import sharpened, tiny_config

from h3r_mmpose.deploy import export_onnx, load_estimator


@pytest.fixture(scope='module')
def tiny_estimator() -> Callable[[str], torch.nn.Module]:
    """Build (once per module) the tiny, sharpened estimator of a config name."""
    cache: Dict[str, torch.nn.Module] = {}

    def build(name: str) -> torch.nn.Module:
        if name not in cache:
            cache[name] = sharpened(load_estimator(tiny_config(name)))
        return cache[name]

    return build


@pytest.fixture(scope='module')
def exported(
    tiny_estimator, tmp_path_factory
) -> Callable[[str, bool], Tuple[torch.nn.Module, Path]]:
    """Export (once per module) a config's tiny estimator, with or without the flip test."""
    cache: Dict[Tuple[str, bool], Path] = {}

    def export(name: str, flip_test: bool) -> Tuple[torch.nn.Module, Path]:
        estimator = tiny_estimator(name)
        if (name, flip_test) not in cache:
            out = tmp_path_factory.mktemp('onnx') / f'{name}-flip{int(flip_test)}.onnx'
            export_onnx(estimator, out, flip_test=flip_test)
            cache[name, flip_test] = out
        return estimator, cache[name, flip_test]

    return export
