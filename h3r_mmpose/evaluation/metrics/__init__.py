from .face_alignment_metric import FaceAlignmentMetric
from .quantization_floor_metric import QuantizationFloorMetric

__all__ = ['FaceAlignmentMetric', 'QuantizationFloorMetric']
