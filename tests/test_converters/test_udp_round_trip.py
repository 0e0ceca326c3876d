"""A converted UDP config round-trips original-image keypoints exactly through the whole test
path: the config's own pipeline (GetBBoxCenterScale, TopdownAffine) on real COCO samples,
the codec's encoding, H3RHead's prediction (with and without flip test) and
TopdownPoseEstimator's mapping back to the image.

The network is replaced by a perfect one: its logits are the log of the codec's target for
the crop (and for the mirrored crop, with left and right keypoints swapped, in the flip
branch), so any error comes from the geometry alone. The stock UDP affine, kept under the
converted codec, shows the error the converter's switch to the plain affine removes."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.registry import DATASETS, KEYPOINT_CODECS, MODELS
from stock_configs import convert
from utils import use_samples

from h3r_mmpose.converters.stock_config import load_stock_config

UDP_CONFIG = (
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_udp-8xb64-210e_coco-256x192.py'
)

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


@pytest.fixture(scope='module')
def converted(tmp_path_factory, samples_dir):
    cfg = convert(UDP_CONFIG, tmp_path_factory.mktemp('udp'))
    return use_samples(cfg, samples_dir, 'coco')


def test_the_stock_config_crops_with_the_udp_affine(converted):
    stock = load_stock_config(UDP_CONFIG)
    (affine,) = [step for step in stock.val_pipeline if step['type'] == 'TopdownAffine']
    assert affine['use_udp'] is True
    (affine,) = [step for step in converted.val_pipeline if step['type'] == 'TopdownAffine']
    assert affine['use_udp'] is False


def crop_batch(cfg, use_udp: bool):
    """The COCO samples through the config's test pipeline, with the crop keypoints packed."""
    pipeline = []
    for step in cfg.val_dataloader.dataset.pipeline:
        if step['type'] == 'TopdownAffine':
            step = dict(step, use_udp=use_udp)
        if step['type'] == 'PackPoseInputs':
            step = dict(step, pack_transformed=True)
        pipeline.append(step)
    dataset = DATASETS.build(dict(cfg.val_dataloader.dataset, pipeline=pipeline))
    return pseudo_collate([dataset[index] for index in range(len(dataset))])['data_samples']


def perfect_logits(codec, keypoints: np.ndarray, visible: np.ndarray) -> torch.Tensor:
    """The log of the codec's target: what a perfectly trained H3R network outputs.

    Returns:
        Tensor: shape (1, K, H, W); -inf off the target's support.
    """
    encoded = codec.encode(keypoints[None], visible[None])
    with np.errstate(divide='ignore'):
        return torch.from_numpy(np.log(encoded['heatmaps']))[None]


def round_trip_errors(cfg, use_udp: bool, flip_test: bool) -> np.ndarray:
    """Image-pixel errors of the keypoints the codec encodes (visible, inside the crop)."""
    codec = KEYPOINT_CODECS.build(cfg.codec)
    head = MODELS.build(cfg.model.head)
    head.forward = lambda feats: feats[0]  # the "features" are the perfect logits
    estimator = SimpleNamespace(test_cfg=cfg.model.test_cfg)
    width = codec.input_size[0]
    errors = []
    for sample in crop_batch(cfg, use_udp):
        crop = sample.gt_instances.transformed_keypoints[0]  # (K, 2)
        visible = sample.gt_instances.keypoints_visible[0]
        weights = codec.encode(crop[None], visible[None])['keypoint_weights'][0]
        feats = (perfect_logits(codec, crop, visible),)
        if flip_test:
            # The mirrored crop: pixel x goes to w-1-x and channel k shows keypoint
            # flip_indices[k] (left and right swap).
            flip = sample.metainfo['flip_indices']
            mirrored = np.stack([width - 1 - crop[:, 0], crop[:, 1]], axis=1)[flip]
            feats = (feats, (perfect_logits(codec, mirrored, visible[flip]),))
        test_cfg = dict(cfg.model.test_cfg, flip_test=flip_test)
        (pred,) = head.predict(feats, [sample], test_cfg)
        (sample,) = TopdownPoseEstimator.add_pred_to_datasample(estimator, [pred], None, [sample])
        error = np.linalg.norm(
            sample.pred_instances.keypoints[0] - sample.gt_instances.keypoints[0], axis=-1
        )
        errors.append(error[weights > 0])
    return np.concatenate(errors)


@pytest.mark.parametrize('flip_test', [False, True], ids=['no-flip', 'flip'])
def test_converted_udp_config_round_trips_image_keypoints_exactly(converted, flip_test):
    assert converted.model.test_cfg.flip_test is True  # the stock UDP config flips at test time
    errors = round_trip_errors(converted, use_udp=False, flip_test=flip_test)
    assert len(errors) >= 50  # the samples' visible keypoints inside their crops
    assert errors.max() < 1e-3, errors.max()


@pytest.mark.parametrize('flip_test', [False, True], ids=['no-flip', 'flip'])
def test_keeping_the_udp_affine_would_shift_keypoints(converted, flip_test):
    """The trap the converter avoids: with the UDP affine the crop spans w-1 pixels while the
    estimator maps back over w, so keypoints drift by up to about one crop pixel's worth."""
    errors = round_trip_errors(converted, use_udp=True, flip_test=flip_test)
    assert errors.max() > 0.1, errors.max()
