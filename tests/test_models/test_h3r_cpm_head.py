"""H3RCPMHead: one H3RHead per stage, summed losses, the last stage decoded."""

import functools

import numpy as np
import pytest
import torch
from head_helpers import CHANNELS, CODEC, codec_samples
from multi_output_checks import assert_last_output_decoded, assert_losses_summed

from h3r_mmpose.models.heads import H3RCPMHead

NUM_KEYPOINTS = 3
make_samples = functools.partial(codec_samples, NUM_KEYPOINTS, flip_indices=[0, 2, 1])

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


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


def test_every_stage_outputs_the_codec_heatmap():
    logits = make_head().forward(make_feats())
    assert [tuple(stage.shape) for stage in logits] == [(2, NUM_KEYPOINTS, 12, 16)] * 3


def test_loss_sums_the_stages_against_the_same_targets():
    head, feats = make_head(), make_feats()
    # The stages differ (own weights), so each term counts.
    assert_losses_summed(head, feats, make_samples(), list(zip(head.stages, feats)))


@pytest.mark.parametrize('flip_test', [False, True])
def test_prediction_decodes_the_last_stage(flip_test):
    head, samples = make_head().eval(), make_samples()
    feats, flipped = make_feats(seed=0), make_feats(seed=1)
    reader, last_feats = head.stages[-1], lambda stage_feats: stage_feats[-1]
    assert_last_output_decoded(head, reader, last_feats, samples, feats, flipped, flip_test)
    # Another first stage changes nothing: only the last one is decoded.
    test_cfg = dict(flip_test=False, flip_mode='heatmap', shift_heatmap=False)
    with torch.no_grad():
        other = head.predict([torch.zeros_like(feats[0])] + feats[1:], samples, test_cfg)
        plain = head.predict(feats, samples, test_cfg)
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
