"""End-point error in crop (input) pixels: comparable across datasets whose faces differ in
size, and in the units of the codec's quantization floor."""

from typing import Dict, List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmpose.registry import METRICS

from ..evaluation.metrics.quantization_floor_metric import image_to_crop


def crop_errors(
    pred_keypoints: np.ndarray,
    gt_keypoints: np.ndarray,
    centre: np.ndarray,
    scale: np.ndarray,
    input_size: np.ndarray,
) -> np.ndarray:
    """Distances between predictions and labels after mapping both into the test crop.

    Args:
        pred_keypoints (np.ndarray): image pixels, shape (N, K, 2).
        gt_keypoints (np.ndarray): image pixels, shape (N, K, 2).
        centre (np.ndarray): the crop box's centre, shape (N, 1, 2).
        scale (np.ndarray): the crop box's size [w, h] in image pixels, shape (N, 1, 2).
        input_size (np.ndarray): the crop's [w, h] in pixels, shape (2,).

    Returns:
        np.ndarray: shape (N, K).
    """
    pred = image_to_crop(pred_keypoints, centre, scale, input_size)
    gt = image_to_crop(gt_keypoints, centre, scale, input_size)
    return np.linalg.norm(pred - gt, axis=-1)


@METRICS.register_module()
class CropEPE(BaseMetric):
    """Mean end-point error of the visible keypoints in crop pixels (key ``EPE_crop_px``).

    MMPose's ``EPE`` measures in image pixels, so faces of 90 px and of 390 px weigh
    differently; in the crop every face spans the input size.
    """

    default_prefix = ''

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        for data_sample in data_samples:
            gt = data_sample['gt_instances']
            gt_keypoints = np.asarray(gt['keypoints'], dtype=np.float64)
            visible = np.asarray(gt['keypoints_visible']).reshape(gt_keypoints.shape[:2]) > 0
            errors = crop_errors(
                np.asarray(data_sample['pred_instances']['keypoints'], dtype=np.float64),
                gt_keypoints,
                np.asarray(data_sample['input_center'], dtype=np.float64).reshape(-1, 1, 2),
                np.asarray(data_sample['input_scale'], dtype=np.float64).reshape(-1, 1, 2),
                np.asarray(data_sample['input_size'], dtype=np.float64),
            )
            self.results.append(errors[visible])

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        return dict(EPE_crop_px=float(np.concatenate(results).mean()))
