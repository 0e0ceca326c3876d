"""Deployment: the whole top-down model, decode included, as one ONNX graph.

Not imported by ``h3r_mmpose`` itself: it needs the ``deploy`` extra (onnx, onnxruntime).
"""

from .end_to_end_model import EndToEndKeypointModel
from .onnx_export import DEFAULT_OPSET, deploy_metadata, export_onnx, load_estimator
from .portability import operator_counts, portability_problems

__all__ = [
    'DEFAULT_OPSET',
    'EndToEndKeypointModel',
    'deploy_metadata',
    'export_onnx',
    'load_estimator',
    'operator_counts',
    'portability_problems',
]
