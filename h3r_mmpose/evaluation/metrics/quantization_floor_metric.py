"""The quantization floor: what a codec's own representation costs on the evaluation set."""

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpose.registry import KEYPOINT_CODECS, METRICS

from ...codecs.round_trip import codec_round_trip, decoded_to_crop_scale


def crop_extent(codec, input_size: Sequence[int]) -> np.ndarray:
    """Crop pixels spanned by the box under the affine that goes with the codec.

    MMPose's ``TopdownAffine`` maps the box onto ``[0, w]``; with ``use_udp=True`` (which
    ``UDPHeatmap`` requires) onto ``[0, w-1]``: the same factor that turns the codec's
    decoded coordinates into crop pixels.

    Returns:
        np.ndarray: shape (2,).
    """
    return np.asarray(input_size, dtype=np.float64) * decoded_to_crop_scale(codec)


def image_to_crop(
    keypoints: np.ndarray, centre: np.ndarray, scale: np.ndarray, extent: np.ndarray
) -> np.ndarray:
    """Map image keypoints (N, K, 2) into the crop of a box (no rotation, as at test time)."""
    return (keypoints - centre + scale / 2) / scale * extent


def crop_to_image(
    keypoints: np.ndarray, centre: np.ndarray, scale: np.ndarray, extent: np.ndarray
) -> np.ndarray:
    """Inverse of :func:`image_to_crop`: the estimator's mapping back to the image."""
    return keypoints / extent * scale + centre - scale / 2


@METRICS.register_module()
class QuantizationFloorMetric(BaseMetric):
    """Error of encoding each ground truth with a codec and decoding it straight back.

    Each test sample's ground-truth keypoints are mapped into the model's input crop exactly
    as the test pipeline does, encoded, decoded and mapped back to the image. This is the
    score of a perfectly trained network, one that outputs exactly the codec's target: the
    error the representation itself costs on this data. It is a floor for training that
    succeeds, not a strict bound: a network that misses the target can land on either side
    of it when the decoder reads sub-cell detail from imperfect maps (MSRA's quarter-pixel
    shift). A lossless codec (``RandomizedRoundingHeatmap`` with the expected target) scores
    ~0; ``MSRAHeatmap`` scores about 0.38 x stride pixels.

    Reported (with ``prefix``, default ``'floor'``):
        - ``error_px``, ``error_px_p95``, ``error_px_max``: Euclidean round-trip error of the
          visible keypoints in original image pixels.
        - ``error_input_px``: the mean error in crop (input) pixels.
        - with ``metric`` set, every figure of that metric computed on the round-trip
          predictions (e.g. ``NME`` for faces, ``coco/AP`` for bodies): the floor in the
          dataset's own units.

    Samples without ground truth are skipped and counted in ``num_skipped``: those with no
    visible keypoint, and detected boxes from a ``bbox_file``, which MMPose fills with
    placeholder keypoints all at (0, 0).

    Args:
        codec (dict): the codec config, normally the config's ``codec``. A stochastic
            randomized-rounding codec is measured through its expected target.
        metric (dict, optional): the dataset's metric config to evaluate the round trip with.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str): prefix of the reported keys. Defaults to ``'floor'``.
    """

    def __init__(
        self,
        codec: dict,
        metric: Optional[dict] = None,
        collect_device: str = 'cpu',
        prefix: Optional[str] = 'floor',
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        codec = dict(codec)
        if codec.get('target_type') == 'stochastic':
            # A one-hot draw is label noise, not a limit: the loss is minimised by the
            # draws' expectation, so that is what a trained network can reach.
            codec['target_type'] = 'expected'
        self.codec = KEYPOINT_CODECS.build(codec)
        self.metric = METRICS.build(metric) if metric is not None else None

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        self._dataset_meta = dataset_meta
        if self.metric is not None:
            self.metric.dataset_meta = dataset_meta

    def round_trip(self, data_sample: dict) -> Tuple[np.ndarray, np.ndarray]:
        """Round-trip keypoints of one sample in image and crop pixels.

        Returns:
            tuple: image keypoints (N, K, 2) and crop-pixel errors (N, K).
        """
        gt = data_sample['gt_instances']
        input_size = data_sample['input_size']
        extent = crop_extent(self.codec, input_size)
        # The crop the test pipeline made, as TopdownPoseEstimator maps predictions back.
        centres = np.asarray(data_sample['input_center'], dtype=np.float64).reshape(-1, 1, 2)
        scales = np.asarray(data_sample['input_scale'], dtype=np.float64).reshape(-1, 1, 2)
        gt_crop = image_to_crop(np.asarray(gt['keypoints'], np.float64), centres, scales, extent)
        visible = np.asarray(gt['keypoints_visible'], dtype=np.float32).reshape(gt_crop.shape[:2])
        decoded_crop = np.concatenate(
            [
                codec_round_trip(self.codec, gt_crop[i : i + 1], visible[i : i + 1])
                for i in range(len(gt_crop))
            ]
        )
        decoded = crop_to_image(decoded_crop, centres, scales, extent)
        return decoded, np.linalg.norm(decoded_crop - gt_crop, axis=-1)

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        for data_sample in data_samples:
            gt = data_sample['gt_instances']
            keypoints = np.asarray(gt['keypoints'])
            visible = np.asarray(gt['keypoints_visible']).reshape(keypoints.shape[:2]) > 0
            # Detected boxes (bbox_file) carry MMPose's placeholder: every keypoint at (0, 0).
            if not visible.any() or not keypoints.any():
                self.results.append(dict(skipped=True))
                continue
            decoded, crop_errors = self.round_trip(data_sample)
            image_errors = np.linalg.norm(decoded - gt['keypoints'], axis=-1)
            pred = dict(
                data_sample.get('pred_instances', {}),
                keypoints=decoded,
                keypoint_scores=np.ones(decoded.shape[:2], dtype=np.float32),
            )
            # The round-trip sample travels in the results so that, in distributed runs,
            # the inner metric sees every rank's samples after collection.
            self.results.append(
                dict(
                    skipped=False,
                    image_errors=image_errors[visible],
                    crop_errors=crop_errors[visible],
                    sample=dict(data_sample, pred_instances=pred),
                )
            )

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        measured = [r for r in results if not r['skipped']]
        metrics: Dict[str, float] = dict(num_skipped=float(len(results) - len(measured)))
        if not measured:
            MMLogger.get_current_instance().warning(
                'QuantizationFloorMetric: no sample had annotated, visible ground truth'
            )
            return metrics
        image_errors = np.concatenate([r['image_errors'] for r in measured])
        crop_errors = np.concatenate([r['crop_errors'] for r in measured])
        metrics.update(
            error_px=float(image_errors.mean()),
            error_px_p95=float(np.percentile(image_errors, 95)),
            error_px_max=float(image_errors.max()),
            error_input_px=float(crop_errors.mean()),
        )
        if self.metric is not None:
            self.metric.results.clear()
            self.metric.process([], [r['sample'] for r in measured])
            inner = self.metric.compute_metrics(self.metric.results)
            self.metric.results.clear()
            # Keep the inner metric's own key names (e.g. floor/coco/AP beside coco/AP).
            inner_prefix = f'{self.metric.prefix}/' if self.metric.prefix else ''
            metrics.update({inner_prefix + key: value for key, value in inner.items()})
        return metrics
