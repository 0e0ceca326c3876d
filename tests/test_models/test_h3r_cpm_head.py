"""H3RCPMHead: one H3RHead per stage, summed losses, the last stage decoded."""

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData
from mmpose.structures import PoseDataSample
from utils import torch_threads

from h3r_mmpose.codecs import RandomizedRoundingHeatmap
from h3r_mmpose.models.heads import H3RCPMHead

CODEC = dict(type='RandomizedRoundingHeatmap', input_size=(64, 48), heatmap_size=(16, 12))
NUM_KEYPOINTS = 3
CHANNELS = 8


@pytest.fixture(autouse=True, scope='module')
def mmpose_scope_on_one_thread():
    init_default_scope('mmpose')
    with torch_threads(1):
        yield


def make_head(num_stages: int = 3) -> H3RCPMHead:
    torch.manual_seed(0)
    head = H3RCPMHead(
        in_channels=CHANNELS, out_channels=NUM_KEYPOINTS, num_stages=num_stages, decoder=CODEC
    )
    head.init_weights()
    return head


def make_feats(num_stages: int = 3, seed: int = 0) -> list:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(2, CHANNELS, 12, 16, generator=generator) for _ in range(num_stages)]


def make_samples() -> list:
    rng = np.random.default_rng(0)
    codec = RandomizedRoundingHeatmap(CODEC['input_size'], CODEC['heatmap_size'])
    samples = []
    for _ in range(2):
        encoded = codec.encode(rng.uniform([0, 0], [63, 47], (1, NUM_KEYPOINTS, 2)))
        sample = PoseDataSample(
            metainfo=dict(flip_indices=[0, 2, 1], input_size=CODEC['input_size'])
        )
        sample.gt_fields = PixelData(heatmaps=torch.from_numpy(encoded['heatmaps']))
        sample.gt_instance_labels = InstanceData(
            keypoint_weights=torch.from_numpy(encoded['keypoint_weights'])
        )
        samples.append(sample)
    return samples


def test_every_stage_outputs_the_codec_heatmap():
    logits = make_head().forward(make_feats())
    assert [tuple(stage.shape) for stage in logits] == [(2, NUM_KEYPOINTS, 12, 16)] * 3


def test_loss_sums_the_stages_against_the_same_targets():
    head, feats, samples = make_head(), make_feats(), make_samples()
    losses = head.loss(feats, samples)
    per_stage = [
        stage.loss((feat,), samples)['loss_kpt'] for stage, feat in zip(head.stages, feats)
    ]
    assert losses['loss_kpt'].item() == pytest.approx(sum(per_stage).item(), rel=1e-6)
    # The stages differ (own weights), so each term counts.
    assert len({round(loss.item(), 6) for loss in per_stage}) == 3
    last_accuracy = head.stages[-1].loss((feats[-1],), samples)['acc_pose']
    assert losses['acc_pose'].item() == pytest.approx(last_accuracy.item())


@pytest.mark.parametrize('flip_test', [False, True])
def test_prediction_decodes_the_last_stage(flip_test):
    head, samples = make_head().eval(), make_samples()
    feats, flipped = make_feats(seed=0), make_feats(seed=1)
    test_cfg = dict(flip_test=flip_test, flip_mode='heatmap', shift_heatmap=False)
    with torch.no_grad():
        if flip_test:
            preds = head.predict([feats, flipped], samples, test_cfg)
            expected = head.stages[-1].predict(((feats[-1],), (flipped[-1],)), samples, test_cfg)
        else:
            preds = head.predict(feats, samples, test_cfg)
            expected = head.stages[-1].predict((feats[-1],), samples, test_cfg)
    for pred, reference in zip(preds, expected):
        np.testing.assert_array_equal(pred.keypoints, reference.keypoints)
    # Another first stage changes nothing: only the last one is decoded.
    with torch.no_grad():
        other = head.predict(
            [torch.zeros_like(feats[0])] + feats[1:], samples, dict(test_cfg, flip_test=False)
        )
        plain = head.predict(feats, samples, dict(test_cfg, flip_test=False))
    np.testing.assert_array_equal(other[0].keypoints, plain[0].keypoints)


def test_feature_maps_must_match_the_stages():
    with pytest.raises(ValueError, match='num_stages=3 but got 2 feature maps'):
        make_head().forward(make_feats(num_stages=2))


@pytest.mark.parametrize('num_stages', [0, 1.5])
def test_num_stages_must_be_a_positive_integer(num_stages):
    with pytest.raises(
        ValueError, match=f'num_stages must be a positive integer, got {num_stages}'
    ):
        H3RCPMHead(in_channels=CHANNELS, out_channels=NUM_KEYPOINTS, num_stages=num_stages)
