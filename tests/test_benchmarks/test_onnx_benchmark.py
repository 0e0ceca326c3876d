"""The ONNX latency benchmark's choice of ONNX Runtime providers (tools/deploy/benchmark_onnx.py
--device); its measurements run in tools/gpu_check.py's dry run."""

from unittest import mock

import onnxruntime as ort
import pytest

from h3r_mmpose.benchmarks.onnx_benchmark import execution_providers

CUDA, CPU = 'CUDAExecutionProvider', 'CPUExecutionProvider'


def test_cpu_runs_on_the_cpu_provider_only():
    with mock.patch.object(ort, 'get_available_providers', return_value=[CUDA, CPU]):
        assert execution_providers('cpu') == [CPU]


@pytest.mark.parametrize(
    'installed, expected', [([CUDA, CPU], [CUDA, CPU]), ([CPU], [CPU])], ids=['gpu', 'cpu']
)
def test_cuda_takes_the_cuda_provider_where_installed(installed, expected):
    with mock.patch.object(ort, 'get_available_providers', return_value=installed):
        assert execution_providers('cuda') == expected


def test_an_unknown_device_is_refused():
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda', got 'tpu'"):
        execution_providers('tpu')
