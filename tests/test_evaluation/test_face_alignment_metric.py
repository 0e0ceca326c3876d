"""Tests of FaceAlignmentMetric: exact NME, FR and AUC on hand-made samples,
and agreement with MMPose's own NME on real WFLW samples."""

import logging
from pathlib import Path
from typing import List, Optional

import numpy as np
import pytest
from mmengine.logging import MMLogger
from utils import wflw_samples_dataset

from h3r_mmpose.evaluation.metrics import FaceAlignmentMetric
from h3r_mmpose.evaluation.metrics.face_alignment_metric import ced_auc, threshold_tag

# Four keypoints on a 100-pixel square: keypoints 0 and 1 are 100 px apart,
# so with keypoint_indices=[0, 1] an error of e pixels is an NME of e / 100.
SQUARE = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 100.0], [100.0, 100.0]])


def make_sample(
    offsets, visible=(1, 1, 1, 1), gt=SQUARE, bbox=(0.0, 0.0, 100.0, 100.0), img_id: int = 0
) -> dict:
    """A packed top-down sample (as ``PoseDataSample.to_dict()`` gives).

    Args:
        offsets: Prediction minus ground truth, shape (K, 2) or (2,).
        visible: ``keypoints_visible`` per keypoint, shape (K,).
        gt: Ground-truth keypoints, shape (K, 2).
        bbox: Ground-truth box (x1, y1, x2, y2).
        img_id: The sample's image id.
    """
    gt = np.asarray(gt, dtype=np.float32)
    pred = gt + np.broadcast_to(np.asarray(offsets, np.float32), gt.shape)
    return {
        'img_id': img_id,
        'img_path': f'img_{img_id}.jpg',
        'gt_instances': {
            'keypoints': gt[None],
            'keypoints_visible': np.asarray(visible, np.float32)[None],
            'bboxes': np.asarray(bbox, np.float32)[None],
        },
        'pred_instances': {'keypoints': pred[None]},
    }


def evaluate(
    metric: FaceAlignmentMetric, samples: List[dict], dataset_meta: Optional[dict] = None
) -> dict:
    """Run one evaluation the way mmengine's Evaluator does."""
    metric.dataset_meta = dataset_meta or {'dataset_name': 'test'}
    metric.process([], samples)
    return metric.evaluate(len(samples))


# Per-image pixel errors 2, 5 and 12 give NMEs 0.02, 0.05 and 0.12. The 0.05
# image mixes errors 0, 5, 10, 5 (3-4-5 triangles) so its NME is a mean.
THREE_IMAGES = [
    make_sample([2.0, 0.0], img_id=1),
    make_sample([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0], [-4.0, 3.0]], img_id=2),
    make_sample([0.0, 12.0], img_id=3),
]


def test_nme_failure_rate_and_auc_are_exact():
    metric = FaceAlignmentMetric(keypoint_indices=[0, 1])
    results = evaluate(metric, THREE_IMAGES)
    assert results == pytest.approx(
        {
            'NME_percent': 100 * (0.02 + 0.05 + 0.12) / 3,
            'FR@10_percent': 100 / 3,  # only the 0.12 image fails
            # mean of max(0, 1 - nme / 0.1): 0.8, 0.5 and 0
            'AUC@10': (0.8 + 0.5 + 0.0) / 3,
            'num_images': 3,
            'num_skipped_images': 0,
        }
    )


def test_threshold_names_keys_and_an_nme_equal_to_it_is_no_failure():
    metric = FaceAlignmentMetric(keypoint_indices=[0, 1], failure_threshold=0.05)
    results = evaluate(metric, THREE_IMAGES)
    # 0.05 is not above 0.05: only the 0.12 image fails.
    assert results['FR@5_percent'] == pytest.approx(100 / 3)
    # 1 - 0.02 / 0.05 = 0.6; the other two images add 0.
    assert results['AUC@5'] == pytest.approx(0.6 / 3)
    assert threshold_tag(0.08) == '8'
    assert threshold_tag(0.075) == '7.5'
    assert threshold_tag(0.07) == '7'


def test_auc_equals_the_integral_of_the_ced_curve():
    nmes = np.array([0.02, 0.05, 0.12, 0.0])
    # CED(e) on a fine grid, integrated by the midpoint rule over [0, 0.1].
    grid = (np.arange(100000) + 0.5) * 1e-6
    ced = (nmes[None, :] <= grid[:, None]).mean(axis=1)
    assert ced_auc(nmes, 0.1) == pytest.approx(ced.mean(), abs=1e-5)
    assert ced_auc(nmes, 0.1) == pytest.approx((0.8 + 0.5 + 0 + 1) / 4)


def test_invisible_keypoints_do_not_count():
    # The huge error of keypoint 3 is invisible; the others err by 5 px.
    offsets = [[3.0, 4.0], [0.0, 5.0], [5.0, 0.0], [900.0, 900.0]]
    metric = FaceAlignmentMetric(keypoint_indices=[0, 1])
    results = evaluate(metric, [make_sample(offsets, visible=(1, 1, 2, 0))])
    assert results['NME_percent'] == pytest.approx(5.0)


def test_each_image_weighs_the_same_whatever_its_visible_count():
    # Image 1: four visible keypoints off by 2 px (NME 0.02). Image 2: one
    # visible keypoint off by 10 px (NME 0.10). Per image: (2 + 10) / 2 = 6 %;
    # pooling the five keypoints instead would give (4 * 2 + 10) / 5 = 3.6 %.
    metric = FaceAlignmentMetric(keypoint_indices=[0, 1])
    results = evaluate(
        metric,
        [
            make_sample([2.0, 0.0], img_id=1),
            make_sample([6.0, 8.0], visible=(0, 0, 1, 0), img_id=2),
        ],
    )
    assert results['NME_percent'] == pytest.approx(6.0)


def test_image_without_visible_keypoint_is_skipped_and_reported():
    logger = MMLogger.get_instance('test_face_alignment_metric')
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    metric = FaceAlignmentMetric(keypoint_indices=[0, 1])
    # All-zero ground truth: dividing by its normaliser would give NaN.
    blind = make_sample([50.0, 0.0], visible=(0, 0, 0, 0), gt=np.zeros((4, 2)), img_id=7)
    try:
        results = evaluate(metric, [make_sample([2.0, 0.0]), blind])
    finally:
        logger.removeHandler(handler)
    assert results == pytest.approx(
        {
            'NME_percent': 2.0,
            'FR@10_percent': 0.0,
            'AUC@10': 0.8,
            'num_images': 1,
            'num_skipped_images': 1,
        }
    )
    skip_warnings = [
        r.getMessage()
        for r in records
        if r.levelno == logging.WARNING and 'no visible' in r.getMessage()
    ]
    assert len(skip_warnings) == 1 and 'img_id=7' in skip_warnings[0]


def test_all_images_without_visible_keypoint_raise():
    metric = FaceAlignmentMetric(keypoint_indices=[0, 1])
    with pytest.raises(ValueError, match='none of the 1 images'):
        evaluate(metric, [make_sample([1.0, 0.0], visible=(0, 0, 0, 0))])


def test_zero_normaliser_raises_naming_the_image():
    # Keypoints 0 and 1 coincide: an inter-ocular distance of 0.
    gt = SQUARE.copy()
    gt[1] = gt[0]
    metric = FaceAlignmentMetric(keypoint_indices=[0, 1])
    with pytest.raises(ValueError, match=r'img_id=9.*got 0\.0'):
        evaluate(metric, [make_sample([1.0, 0.0], gt=gt, img_id=9)])


def test_bbox_size_normalises_by_the_longer_box_side():
    # A 40 x 200 box has size 200 (MMPose's NME: max of width and height).
    metric = FaceAlignmentMetric(norm_mode='use_norm_item', norm_item='bbox_size')
    results = evaluate(metric, [make_sample([6.0, 8.0], bbox=(10.0, 20.0, 50.0, 220.0))])
    assert results['NME_percent'] == pytest.approx(100 * 10 / 200)


@pytest.mark.parametrize(
    'dataset_name, indices', [('wflw', [60, 72]), ('300w', [36, 45]), ('cofw', [8, 9])]
)
def test_dataset_default_keypoint_indices(dataset_name, indices):
    # All keypoints at the origin except the two default ones, 50 px apart.
    gt = np.zeros((98, 2))
    gt[indices[1]] = [30.0, 40.0]
    metric = FaceAlignmentMetric()
    results = evaluate(
        metric,
        [make_sample([1.0, 0.0], gt=gt, visible=np.ones(98))],
        dataset_meta={'dataset_name': dataset_name},
    )
    assert results['NME_percent'] == pytest.approx(100 * 1 / 50)


def test_unknown_dataset_without_indices_raises():
    metric = FaceAlignmentMetric()
    with pytest.raises(ValueError, match="'lapa'"):
        evaluate(metric, [make_sample([1.0, 0.0])], dataset_meta={'dataset_name': 'lapa'})


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(norm_mode='interocular'), "'interocular'"),
        (dict(norm_mode='use_norm_item'), 'norm_item'),
        (dict(keypoint_indices=[3, 3]), r'\[3, 3\]'),
        (dict(failure_threshold=0.0), 'failure_threshold'),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FaceAlignmentMetric(**kwargs)


def test_prefix_is_applied():
    metric = FaceAlignmentMetric(keypoint_indices=[0, 1], prefix='wflw_blur')
    results = evaluate(metric, THREE_IMAGES[:1])
    assert results['wflw_blur/NME_percent'] == pytest.approx(2.0)


def test_built_from_the_registry():
    from mmpose.registry import METRICS

    import h3r_mmpose  # noqa: F401  (registers the metric)

    metric = METRICS.build(dict(type='FaceAlignmentMetric'))
    assert isinstance(metric, FaceAlignmentMetric)
    assert metric.norm_mode == 'keypoint_distance'
    assert metric.failure_threshold == 0.10


@pytest.fixture(scope='module')
def wflw_samples(samples_dir: Path) -> List:
    """The four faces of the WFLW test sample, packed by MMPose's pipeline."""
    from mmpose.registry import DATASETS
    from mmpose.utils import register_all_modules

    register_all_modules()
    dataset = DATASETS.build(wflw_samples_dataset(samples_dir, input_size=(256, 256)))
    return dataset, [dataset[i]['data_samples'] for i in range(len(dataset))]


def predict(data_samples: List, offsets: np.ndarray) -> List[dict]:
    """Samples whose prediction is the ground truth plus ``offsets[i]``."""
    from mmengine.structures import InstanceData

    packed = []
    for data_sample, offset in zip(data_samples, offsets):
        sample = data_sample.clone()
        gt = sample.gt_instances.keypoints
        sample.pred_instances = InstanceData(keypoints=gt + offset)
        packed.append(sample.to_dict())
    return packed


def test_real_wflw_ground_truth_scores_zero(wflw_samples):
    dataset, data_samples = wflw_samples
    metric = FaceAlignmentMetric()
    metric.dataset_meta = dataset.metainfo
    metric.process([], predict(data_samples, np.zeros(len(data_samples))))
    results = metric.evaluate(len(data_samples))
    assert results == {
        'NME_percent': 0.0,
        'FR@10_percent': 0.0,
        'AUC@10': 1.0,
        'num_images': 4,
        'num_skipped_images': 0,
    }


def test_real_wflw_matches_mmpose_nme(wflw_samples):
    from mmpose.evaluation.metrics import NME

    dataset, data_samples = wflw_samples
    # Every WFLW face here has all 98 keypoints visible. MMPose pools the
    # errors of all visible keypoints of all faces; with the same count K on
    # every face, sum_ik(e_ik) / (N K) = mean_i(sum_k(e_ik) / K), which is
    # our per-image mean: the two agree up to our percent scale.
    visible = [s.gt_instances.keypoints_visible for s in data_samples]
    assert all(v.sum() == 98 for v in visible)
    rng = np.random.default_rng(0)
    offsets = rng.normal(scale=3.0, size=(len(data_samples), 98, 2))
    predictions = predict(data_samples, offsets[:, None])

    ours = FaceAlignmentMetric()
    ours.dataset_meta = dataset.metainfo
    ours.process([], predictions)
    theirs = NME(norm_mode='keypoint_distance')
    theirs.dataset_meta = dataset.metainfo
    theirs.process([], predictions)

    ours_nme = ours.evaluate(len(predictions))['NME_percent']
    assert ours_nme > 0
    assert ours_nme == pytest.approx(100 * theirs.evaluate(len(predictions))['NME'], rel=1e-5)
