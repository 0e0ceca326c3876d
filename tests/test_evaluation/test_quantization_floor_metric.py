"""The quantization floor on the real sample data: ~0 for the lossless codec, the exact
rounding error for MSRAHeatmap, in pixels and in the dataset's own metric."""

import numpy as np
import pytest
from mmpose.datasets import CocoDataset, WFLWDataset
from mmpose.datasets.transforms import GetBBoxCenterScale, LoadImage, PackPoseInputs, TopdownAffine
from mmpose.registry import METRICS

import h3r_mmpose  # noqa: F401

INPUT_SIZE = (256, 256)


def evaluated_samples(dataset, input_size) -> list:
    """What the evaluator receives from a top-down test run (ground truth and metainfo)."""
    pipeline = [
        LoadImage(),
        GetBBoxCenterScale(),
        TopdownAffine(input_size=input_size),
        PackPoseInputs(pack_transformed=True),
    ]
    samples = []
    for index in range(len(dataset)):
        results = dataset[index]
        for transform in pipeline:
            results = transform(results)
        samples.append(results['data_samples'].to_dict())
    return samples


def evaluate(metric_cfg: dict, dataset, input_size=INPUT_SIZE) -> dict:
    metric = METRICS.build(metric_cfg)
    metric.dataset_meta = dataset.metainfo
    samples = evaluated_samples(dataset, input_size)
    metric.process([], samples)
    return metric.evaluate(len(samples))


def randomized_rounding_codec(heatmap_size: tuple, target_type: str) -> dict:
    """A ``RandomizedRoundingHeatmap`` config for :data:`INPUT_SIZE` crops."""
    return dict(
        type='RandomizedRoundingHeatmap',
        input_size=INPUT_SIZE,
        heatmap_size=heatmap_size,
        target_type=target_type,
    )


@pytest.fixture(scope='module')
def wflw(samples_dir):
    return WFLWDataset(
        data_root=str(samples_dir / 'wflw'),
        ann_file='test_wflw.json',
        data_prefix=dict(img=''),
        test_mode=True,
        pipeline=[],
    )


def test_lossless_codec_has_a_zero_floor_in_pixels_and_nme(wflw):
    codec = randomized_rounding_codec((64, 64), target_type='expected')
    metrics = evaluate(
        dict(type='QuantizationFloorMetric', codec=codec, metric=dict(type='FaceAlignmentMetric')),
        wflw,
    )
    assert metrics['floor/error_px_max'] < 1e-3
    assert metrics['floor/error_input_px'] < 1e-4
    assert metrics['floor/NME_percent'] < 1e-3
    assert metrics['floor/FR@10_percent'] == 0.0
    assert metrics['floor/AUC@10'] == pytest.approx(1.0, abs=1e-5)
    assert metrics['floor/num_skipped'] == 0


def test_msra_floor_is_its_rounding_error(wflw):
    """MSRAHeatmap's round trip on its own target is rounding to the stride-4 grid."""
    codec = dict(type='MSRAHeatmap', input_size=INPUT_SIZE, heatmap_size=(64, 64), sigma=2)
    metrics = evaluate(
        dict(type='QuantizationFloorMetric', codec=codec, metric=dict(type='FaceAlignmentMetric')),
        wflw,
    )

    samples = evaluated_samples(wflw, INPUT_SIZE)
    crop = np.concatenate([s['gt_instances']['transformed_keypoints'][0] for s in samples])
    inside = np.all((crop >= 0) & (np.round(crop / 4) <= 63), axis=1)
    assert inside.all()  # the sample faces sit well inside their boxes
    expected = np.linalg.norm(np.round(crop / 4) * 4 - crop, axis=1).mean()
    assert metrics['floor/error_input_px'] == pytest.approx(expected, abs=1e-3)
    assert 1.0 < metrics['floor/error_input_px'] < 2.0  # about 0.38 x stride
    assert metrics['floor/NME_percent'] > 0.5  # of the inter-ocular distance


def test_floor_in_coco_metric_units_and_skipped_samples(samples_dir):
    coco = samples_dir / 'coco'
    dataset = CocoDataset(
        data_root=str(coco),
        ann_file='test_coco.json',
        data_prefix=dict(img=''),
        test_mode=True,
        pipeline=[],
    )
    codec = dict(type='RandomizedRoundingHeatmap', input_size=(192, 256), heatmap_size=(48, 64))
    metrics = evaluate(
        dict(
            type='QuantizationFloorMetric',
            codec=codec,
            metric=dict(type='CocoMetric', ann_file=str(coco / 'test_coco.json')),
        ),
        dataset,
        input_size=(192, 256),
    )
    assert metrics['floor/error_px_max'] < 1e-3
    assert metrics['floor/coco/AP'] == pytest.approx(1.0)
    # Instances annotated without any visible keypoint cannot be measured: reported.
    unlabelled = sum(
        1
        for index in range(len(dataset))
        if dataset.get_data_info(index)['keypoints_visible'].sum() == 0
    )
    assert metrics['floor/num_skipped'] == unlabelled


def test_detected_boxes_are_skipped_not_measured(samples_dir):
    """MMPose fills detected boxes with placeholder keypoints at (0, 0), marked visible."""
    coco = samples_dir / 'coco'
    dataset = CocoDataset(
        data_root=str(coco),
        ann_file='test_coco.json',
        bbox_file=str(coco / 'test_coco_det_AP_H_56.json'),
        data_prefix=dict(img=''),
        test_mode=True,
        pipeline=[],
    )
    codec = dict(type='RandomizedRoundingHeatmap', input_size=(192, 256), heatmap_size=(48, 64))
    metrics = evaluate(
        dict(type='QuantizationFloorMetric', codec=codec), dataset, input_size=(192, 256)
    )
    assert metrics == {'floor/num_skipped': float(len(dataset))}


def test_stochastic_target_is_measured_through_its_expectation(wflw):
    """One-hot draws are label noise that training averages out, not a floor."""
    codec = randomized_rounding_codec((16, 16), target_type='stochastic')
    metrics = evaluate(dict(type='QuantizationFloorMetric', codec=codec), wflw)
    assert metrics['floor/error_px_max'] < 1e-3
