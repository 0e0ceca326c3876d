"""H3RMSPNHead: MSPN's unit layers, every output supervised with the one target, the last
output decoded."""

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData
from mmpose.structures import PoseDataSample
from utils import torch_threads

from h3r_mmpose.codecs import RandomizedRoundingHeatmap
from h3r_mmpose.models.heads import H3RMSPNHead

CODEC = dict(type='RandomizedRoundingHeatmap', input_size=(64, 48), heatmap_size=(16, 12))
NUM_KEYPOINTS = 3
CHANNELS = 8


@pytest.fixture(autouse=True, scope='module')
def mmpose_scope_on_one_thread():
    init_default_scope('mmpose')
    with torch_threads(1):
        yield


def make_head(out_shape=(12, 16), decoder=CODEC) -> H3RMSPNHead:
    torch.manual_seed(0)
    head = H3RMSPNHead(
        num_stages=2,
        num_units=2,
        out_shape=out_shape,
        unit_channels=CHANNELS,
        out_channels=NUM_KEYPOINTS,
        decoder=decoder,
    )
    head.init_weights()
    return head


def make_feats(seed: int = 0) -> list:
    """Two stages of two units, at 1/8 and 1/4 of the 64x48 input."""
    generator = torch.Generator().manual_seed(seed)
    return [
        [torch.randn(2, CHANNELS, side, side * 4 // 3, generator=generator) for side in (6, 12)]
        for _ in range(2)
    ]


def make_samples() -> list:
    rng = np.random.default_rng(0)
    codec = RandomizedRoundingHeatmap(CODEC['input_size'], CODEC['heatmap_size'])
    samples = []
    for _ in range(2):
        encoded = codec.encode(rng.uniform([0, 0], [63, 47], (1, NUM_KEYPOINTS, 2)))
        sample = PoseDataSample(metainfo=dict(flip_indices=[0, 2, 1], input_size=(64, 48)))
        sample.gt_fields = PixelData(heatmaps=torch.from_numpy(encoded['heatmaps']))
        sample.gt_instance_labels = InstanceData(
            keypoint_weights=torch.from_numpy(encoded['keypoint_weights'])
        )
        samples.append(sample)
    return samples


def test_every_output_is_a_logit_map_of_the_codec_size():
    outputs = make_head().forward(make_feats())
    assert [tuple(output.shape) for output in outputs] == [(2, NUM_KEYPOINTS, 12, 16)] * 4


def test_loss_sums_every_output_against_the_same_target():
    head, feats, samples = make_head(), make_feats(), make_samples()
    losses = head.loss(feats, samples)
    outputs = head.forward(feats)
    per_output = [head.logit_reader.loss((logits,), samples)['loss_kpt'] for logits in outputs]
    assert losses['loss_kpt'].item() == pytest.approx(sum(per_output).item(), rel=1e-6)
    assert len({round(loss.item(), 6) for loss in per_output}) == 4
    last_accuracy = head.logit_reader.loss((outputs[-1],), samples)['acc_pose']
    assert losses['acc_pose'].item() == pytest.approx(last_accuracy.item())


@pytest.mark.parametrize('flip_test', [False, True])
def test_prediction_decodes_the_last_output(flip_test):
    head, samples = make_head().eval(), make_samples()
    feats, flipped = make_feats(seed=0), make_feats(seed=1)
    test_cfg = dict(flip_test=flip_test, flip_mode='heatmap', shift_heatmap=False)
    with torch.no_grad():
        if flip_test:
            preds = head.predict([feats, flipped], samples, test_cfg)
            logits = ((head.forward(feats)[-1],), (head.forward(flipped)[-1],))
        else:
            preds = head.predict(feats, samples, test_cfg)
            logits = (head.forward(feats)[-1],)
        expected = head.logit_reader.predict(logits, samples, test_cfg)
    for pred, reference in zip(preds, expected):
        np.testing.assert_array_equal(pred.keypoints, reference.keypoints)


def test_out_shape_that_is_not_the_codec_heatmap_names_both_sizes():
    head = make_head(out_shape=(24, 32))
    with pytest.raises(ValueError, match=r'\(W, H\)=\(32, 24\).*\(16, 12\)'):
        head.loss(make_feats(), make_samples())
