"""H3RMSPNHead: MSPN's unit layers, every output supervised with the one target, the last
output decoded."""

import functools

import pytest
import torch
from head_helpers import CHANNELS, CODEC, codec_samples
from multi_output_checks import assert_last_output_decoded, assert_losses_summed

from h3r_mmpose.models.heads import H3RMSPNHead

NUM_KEYPOINTS = 3
make_samples = functools.partial(codec_samples, NUM_KEYPOINTS, flip_indices=[0, 2, 1])

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


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


def test_every_output_is_a_logit_map_of_the_codec_size():
    outputs = make_head().forward(make_feats())
    assert [tuple(output.shape) for output in outputs] == [(2, NUM_KEYPOINTS, 12, 16)] * 4


def test_loss_sums_every_output_against_the_same_target():
    head, feats = make_head(), make_feats()
    readers_and_inputs = [(head.logit_reader, logits) for logits in head.forward(feats)]
    assert_losses_summed(head, feats, make_samples(), readers_and_inputs)


@pytest.mark.parametrize('flip_test', [False, True])
def test_prediction_decodes_the_last_output(flip_test):
    head, samples = make_head().eval(), make_samples()
    feats, flipped = make_feats(seed=0), make_feats(seed=1)
    reader, last_logits = head.logit_reader, lambda unit_feats: head.forward(unit_feats)[-1]
    assert_last_output_decoded(head, reader, last_logits, samples, feats, flipped, flip_test)


def test_out_shape_that_is_not_the_codec_heatmap_names_both_sizes():
    head = make_head(out_shape=(24, 32))
    with pytest.raises(ValueError, match=r'\(W, H\)=\(32, 24\).*\(16, 12\)'):
        head.loss(make_feats(), make_samples())
