"""Face-alignment leaderboard metric: per-image NME, failure rate and CED AUC.

The face-alignment literature reports three numbers per test set:

- ``NME``: the normalised mean error of each image, averaged over images.
- ``FR@t``: the share of images whose NME exceeds the threshold ``t``.
- ``AUC@t``: the area under the cumulative error distribution (CED) curve
  from 0 to ``t``, divided by ``t`` so that a perfect result scores 1.

MMPose's ``NME`` metric pools the errors of all visible keypoints of all images
before averaging, so images with more visible keypoints weigh more, and it
gives neither ``FR`` nor ``AUC``. This metric averages per image first, which
is what the WFLW, 300W, COFW and AFLW leaderboards report. As there, NME and
FR are given in percent, and their keys say so (``NME_percent``,
``FR@10_percent``), since MMPose's ``NME`` in the same log is a fraction.
"""

import math
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpose.registry import METRICS

# Outer eye corners of each mark-up: the usual inter-ocular normaliser.
DEFAULT_KEYPOINT_INDICES: Dict[str, List[int]] = {
    'wflw': [60, 72],
    '300w': [36, 45],
    'cofw': [8, 9],
}

NORM_MODES = ('keypoint_distance', 'use_norm_item')


def keypoint_errors(pred_keypoints: np.ndarray, gt_keypoints: np.ndarray) -> np.ndarray:
    """Euclidean distance between predicted and ground-truth keypoints.

    Args:
        pred_keypoints (np.ndarray): Predictions, shape (K, 2).
        gt_keypoints (np.ndarray): Ground truth, shape (K, 2).

    Returns:
        np.ndarray: Per-keypoint errors in pixels, shape (K,).
    """
    return np.linalg.norm(pred_keypoints - gt_keypoints, axis=-1)


def normalised_mean_error(
    pred_keypoints: np.ndarray, gt_keypoints: np.ndarray, visible: np.ndarray, normaliser: float
) -> float:
    """NME of one image: mean error of its visible keypoints / normaliser.

    Args:
        pred_keypoints (np.ndarray): Predictions, shape (K, 2).
        gt_keypoints (np.ndarray): Ground truth, shape (K, 2).
        visible (np.ndarray): Which keypoints count, bool, shape (K,). At
            least one must be True.
        normaliser (float): Positive length the errors are divided by.

    Returns:
        float: The image's NME as a fraction (not percent).
    """
    errors = keypoint_errors(pred_keypoints, gt_keypoints)
    return float(errors[visible].mean() / normaliser)


def keypoint_distance(gt_keypoints: np.ndarray, first: int, second: int) -> float:
    """Distance between two ground-truth keypoints, e.g. the eye corners.

    Args:
        gt_keypoints (np.ndarray): Ground truth, shape (K, 2).
        first (int): Index of one keypoint.
        second (int): Index of the other keypoint.

    Returns:
        float: Their Euclidean distance in pixels.
    """
    return float(np.linalg.norm(gt_keypoints[first] - gt_keypoints[second]))


def bbox_size(bbox: np.ndarray) -> float:
    """Size of a box as MMPose's ``NME`` defines it: its longer side.

    Args:
        bbox (np.ndarray): Box as (x1, y1, x2, y2), shape (4,).

    Returns:
        float: ``max(x2 - x1, y2 - y1)`` in pixels.
    """
    return float(np.max(bbox[2:] - bbox[:2]))


def failure_rate(nmes: np.ndarray, threshold: float) -> float:
    """Share of images whose NME is strictly above ``threshold``.

    Args:
        nmes (np.ndarray): Per-image NMEs as fractions, shape (N,), N > 0.
        threshold (float): Failure threshold, e.g. 0.10.

    Returns:
        float: The failure rate as a fraction in [0, 1].
    """
    return float(np.mean(nmes > threshold))


def ced_auc(nmes: np.ndarray, threshold: float) -> float:
    """Exact area under the CED curve on [0, threshold], over ``threshold``.

    CED(e) is the share of images with NME <= e, so its integral splits into
    one term per image: image i contributes ``max(0, threshold - nme_i)``.
    Dividing by ``threshold`` gives ``mean_i max(0, 1 - nme_i / threshold)``,
    free of the discretisation error of a sampled trapezoid.

    Args:
        nmes (np.ndarray): Per-image NMEs as fractions, shape (N,), N > 0.
        threshold (float): Upper end of the integral, e.g. 0.10.

    Returns:
        float: The normalised AUC in [0, 1]; 1 means every NME is 0.
    """
    return float(np.mean(np.maximum(0.0, 1.0 - nmes / threshold)))


def threshold_tag(threshold: float) -> str:
    """Write a threshold in percent for keys: 0.1 -> '10', 0.075 -> '7.5'.

    Args:
        threshold (float): Threshold as a fraction.

    Returns:
        str: The threshold in percent without trailing zeros.
    """
    # Rounding hides float noise such as 0.07 * 100 = 7.000000000000001.
    return f'{round(threshold * 100, 6):g}'


@METRICS.register_module()
class FaceAlignmentMetric(BaseMetric):
    """Per-image NME, failure rate and CED AUC for face alignment.

    Each data sample is one face (top-down mode): its NME is the mean
    Euclidean error of its visible keypoints (``keypoints_visible > 0``)
    divided by its normaliser. Samples without any visible keypoint are left
    out of every mean, counted in ``num_skipped_images`` and logged.

    Results, with ``t = failure_threshold`` written in percent (``10`` for
    0.10). Keys of values in percent end in ``_percent``; the others are
    fractions or counts. MMPose's ``NME`` metric, which face configs report
    beside this one, is a fraction.

    - ``NME_percent``: mean per-image NME, in percent.
    - ``FR@t_percent``: percentage of images with NME > ``t``.
    - ``AUC@t``: area under the CED curve on [0, ``t``] divided by ``t``, a
      fraction in [0, 1] (see :func:`ced_auc`).
    - ``num_images``: images that entered the means.
    - ``num_skipped_images``: images without a visible keypoint.

    Args:
        norm_mode (str): ``'keypoint_distance'`` normalises by the distance
            between two ground-truth keypoints; ``'use_norm_item'`` by a size
            stored with the ground truth (see ``norm_item``). Defaults to
            ``'keypoint_distance'``.
        norm_item (str, optional): For ``'use_norm_item'`` only.
            ``'bbox_size'`` is the longer side of the ground-truth box, as in
            MMPose's ``NME`` for AFLW; any other name is read from the
            sample's ``gt_instances``. Defaults to None.
        keypoint_indices (Sequence[int], optional): For
            ``'keypoint_distance'`` only: the two keypoints whose distance is
            the normaliser. None takes the default of
            ``dataset_meta['dataset_name']`` (wflw, 300w or cofw).
            Defaults to None.
        failure_threshold (float): NME above which an image fails, also the
            upper end of the AUC. Defaults to 0.10.
        collect_device (str): Device used to gather results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix added to every result key, e.g.
            ``'wflw_blur'`` gives ``'wflw_blur/NME_percent'``. Defaults to None.
    """

    default_prefix: Optional[str] = None

    def __init__(
        self,
        norm_mode: str = 'keypoint_distance',
        norm_item: Optional[str] = None,
        keypoint_indices: Optional[Sequence[int]] = None,
        failure_threshold: float = 0.10,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if norm_mode not in NORM_MODES:
            raise ValueError(f'norm_mode must be one of {NORM_MODES}, got {norm_mode!r}')
        if norm_mode == 'use_norm_item' and not norm_item:
            raise ValueError(
                "norm_mode='use_norm_item' needs a norm_item "
                f"such as 'bbox_size', got {norm_item!r}"
            )
        if keypoint_indices is not None:
            keypoint_indices = list(keypoint_indices)
            if len(keypoint_indices) != 2 or keypoint_indices[0] == keypoint_indices[1]:
                raise ValueError(
                    'keypoint_indices must be two different '
                    f'keypoint indices, got {keypoint_indices}'
                )
        if not (math.isfinite(failure_threshold) and failure_threshold > 0):
            raise ValueError(
                f'failure_threshold must be a positive number, got {failure_threshold!r}'
            )
        self.norm_mode = norm_mode
        self.norm_item = norm_item
        self.keypoint_indices = keypoint_indices
        self.failure_threshold = failure_threshold

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        """Compute the NME of each sample and keep it for the final means.

        Args:
            data_batch (Sequence[dict]): The batch from the dataloader
                (unused: everything needed is in ``data_samples``).
            data_samples (Sequence[dict]): Packed samples with the
                predictions merged in. Each needs
                ``pred_instances['keypoints']`` of shape (1, K, 2),
                ``gt_instances['keypoints']`` of shape (1, K, 2),
                ``gt_instances['keypoints_visible']`` of shape (1, K) or
                (1, K, 1), and for ``norm_item='bbox_size'``
                ``gt_instances['bboxes']`` of shape (1, 4).
        """
        for data_sample in data_samples:
            image = _image_name(data_sample)
            gt = data_sample['gt_instances']
            pred_keypoints = _single_instance(
                data_sample['pred_instances']['keypoints'], 'pred keypoints', image
            )
            gt_keypoints = _single_instance(gt['keypoints'], 'gt keypoints', image)
            if pred_keypoints.shape != gt_keypoints.shape:
                raise ValueError(
                    f'{image}: predicted keypoints have shape '
                    f'{pred_keypoints.shape} but ground truth has '
                    f'{gt_keypoints.shape}'
                )
            visible = (
                _single_instance(gt['keypoints_visible'], 'keypoints_visible', image).reshape(-1)
                > 0
            )

            result = {'image': image, 'nme': None}
            # Without a visible keypoint the mean is undefined; such images
            # are counted and reported instead of being divided by zero.
            if visible.any():
                normaliser = self._normaliser(gt, gt_keypoints)
                if not (math.isfinite(normaliser) and normaliser > 0):
                    raise ValueError(
                        f'{image}: the NME normaliser ({self._norm_name()}) '
                        f'must be positive and finite, got {normaliser}'
                    )
                result['nme'] = normalised_mean_error(
                    pred_keypoints, gt_keypoints, visible, normaliser
                )
            self.results.append(result)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Average the per-image NMEs into the leaderboard numbers.

        Args:
            results (list): The dicts stored by :meth:`process`, gathered
                from all ranks.

        Returns:
            Dict[str, float]: ``NME_percent``, ``FR@t_percent``, ``AUC@t``, ``num_images``
            and ``num_skipped_images`` as described in the class docstring.
        """
        skipped = [r['image'] for r in results if r['nme'] is None]
        nmes = np.array([r['nme'] for r in results if r['nme'] is not None], dtype=np.float64)
        if skipped:
            MMLogger.get_current_instance().warning(
                f'{self.__class__.__name__}: {len(skipped)} image(s) have no '
                'visible keypoint and are left out of NME, FR and AUC: ' + ', '.join(skipped)
            )
        if nmes.size == 0:
            raise ValueError(
                f'{self.__class__.__name__}: none of the {len(results)} '
                'images has a visible keypoint, so no NME can be computed'
            )

        tag = threshold_tag(self.failure_threshold)
        return {
            'NME_percent': 100.0 * float(nmes.mean()),
            f'FR@{tag}_percent': 100.0 * failure_rate(nmes, self.failure_threshold),
            f'AUC@{tag}': ced_auc(nmes, self.failure_threshold),
            'num_images': int(nmes.size),
            'num_skipped_images': len(skipped),
        }

    def _normaliser(self, gt: dict, gt_keypoints: np.ndarray) -> float:
        """The length one image's errors are divided by.

        Args:
            gt (dict): The sample's ``gt_instances``.
            gt_keypoints (np.ndarray): Its ground truth, shape (K, 2).

        Returns:
            float: The normaliser in pixels (not yet checked for zero).
        """
        if self.norm_mode == 'keypoint_distance':
            first, second = self._resolved_keypoint_indices()
            num_keypoints = gt_keypoints.shape[0]
            if max(first, second) >= num_keypoints or min(first, second) < 0:
                raise ValueError(
                    f'keypoint_indices {[first, second]} are out of range '
                    f'for {num_keypoints} keypoints'
                )
            return keypoint_distance(gt_keypoints, first, second)
        if self.norm_item == 'bbox_size':
            bboxes = np.asarray(gt['bboxes'], dtype=np.float64)
            return bbox_size(bboxes.reshape(-1, 4)[0])
        if self.norm_item not in gt:
            raise ValueError(
                f'norm_item {self.norm_item!r} is not a field of gt_instances ({list(gt.keys())})'
            )
        return float(np.asarray(gt[self.norm_item]).reshape(-1)[0])

    def _resolved_keypoint_indices(self) -> List[int]:
        """``keypoint_indices``, or the default for the dataset's name.

        Returns:
            List[int]: The two keypoint indices of the normaliser.
        """
        if self.keypoint_indices is not None:
            return self.keypoint_indices
        dataset_name = (self.dataset_meta or {}).get('dataset_name')
        if dataset_name not in DEFAULT_KEYPOINT_INDICES:
            raise ValueError(
                'keypoint_indices is None and dataset_meta["dataset_name"] '
                f'is {dataset_name!r}, which has no default; known: '
                f'{sorted(DEFAULT_KEYPOINT_INDICES)}. Pass keypoint_indices.'
            )
        return DEFAULT_KEYPOINT_INDICES[dataset_name]

    def _norm_name(self) -> str:
        """Describe the normaliser in error messages."""
        if self.norm_mode == 'keypoint_distance':
            return f'distance of keypoints {self._resolved_keypoint_indices()}'
        return str(self.norm_item)


def _image_name(data_sample: dict) -> str:
    """Identify a sample in messages by its ``img_id`` and ``img_path``."""
    parts = [f'{key}={data_sample[key]}' for key in ('img_id', 'img_path') if key in data_sample]
    return 'image ' + (', '.join(parts) if parts else '<unknown>')


def _single_instance(array, name: str, image: str) -> np.ndarray:
    """Drop the instance axis of a one-instance (top-down) sample.

    Args:
        array: Array-like of shape (1, ...).
        name (str): What the array is, for the error message.
        image (str): Which sample it belongs to, for the error message.

    Returns:
        np.ndarray: ``array[0]`` as float64, shape (...).
    """
    array = np.asarray(array, dtype=np.float64)
    if array.ndim < 2 or array.shape[0] != 1:
        raise ValueError(
            f'{image}: {name} must hold exactly one instance '
            f'(top-down samples), got shape {array.shape}'
        )
    return array[0]
