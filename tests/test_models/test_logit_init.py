"""The logit heads' default initialisation: MMPose's, with the final layer scaled for logits."""

import math

import pytest
import torch
from mmpose.models.heads import HeatmapHead
from mmpose.registry import MODELS
from torch import nn
from utils import torch_threads

import h3r_mmpose  # noqa: F401
from h3r_mmpose.models.utils import INITIAL_LOGIT_STD, logit_head_init_cfg, logit_layer_std

CODEC = dict(type='RandomizedRoundingHeatmap', input_size=(128, 128), heatmap_size=(32, 32))


def build_head(**kwargs) -> nn.Module:
    args = dict(
        type='H3RHead', in_channels=64, out_channels=17, deconv_out_channels=None, decoder=CODEC
    )
    head = MODELS.build({**args, **kwargs})
    with torch_threads(1):
        torch.manual_seed(0)
        head.init_weights()
    return head


@pytest.mark.parametrize(
    'layer, expected',
    [
        (nn.Conv2d(64, 5, 1), 0.4 / 8),
        (nn.Conv2d(16, 5, 3, padding=1), 0.4 / 12),
        (nn.Conv2d(32, 8, 1, groups=2), 0.4 / 4),
    ],
)
def test_std_is_the_logit_std_over_the_root_of_the_fan_in(layer, expected):
    assert INITIAL_LOGIT_STD == 0.4
    assert logit_layer_std(layer) == pytest.approx(expected, rel=1e-12)


def test_h3r_head_draws_its_final_layer_for_logits_and_the_rest_as_mmpose():
    head = build_head(in_channels=256, deconv_out_channels=(64,), deconv_kernel_sizes=(4,))
    final = head.final_layer.weight
    # 64 * 17 = 1088 draws: the sample std is within 10% of 0.05 (about 4 standard errors).
    assert final.std().item() == pytest.approx(0.4 / math.sqrt(64), rel=0.1)
    assert torch.count_nonzero(head.final_layer.bias) == 0
    deconv = head.deconv_layers[0].weight
    assert deconv.std().item() == pytest.approx(0.001, rel=0.1)
    assert torch.all(head.deconv_layers[1].weight == 1)  # BatchNorm


def test_initial_logits_have_the_intended_spread():
    head = build_head().eval()
    # Features as after BN + ReLU: half-normal, E[f^2] = 1/2, so logit std = 0.4 * sqrt(1/2).
    torch.manual_seed(1)
    feats = torch.relu(torch.randn(4, 64, 32, 32))
    with torch.no_grad():
        logits = head.forward((feats,))
    assert logits.std().item() == pytest.approx(0.4 * math.sqrt(0.5), rel=0.15)


def test_a_given_init_cfg_is_kept():
    init_cfg = dict(type='Normal', layer='Conv2d', std=0.3)
    head = build_head(init_cfg=init_cfg)
    assert head.init_cfg == init_cfg
    assert head.final_layer.weight.std().item() == pytest.approx(0.3, rel=0.1)


def test_a_head_without_final_layer_keeps_mmpose_init():
    head = build_head(final_layer=None)
    assert isinstance(head.final_layer, nn.Identity)
    assert head.init_cfg == HeatmapHead.default_init_cfg.fget(head)
    assert logit_head_init_cfg(head.init_cfg, nn.Identity()) == head.init_cfg
    assert not any('override' in entry for entry in head.init_cfg)


def test_multi_stage_heads_initialise_every_stage_for_logits():
    head = build_head(type='H3RCPMHead', num_stages=2)
    for stage in head.stages:
        assert stage.final_layer.weight.std().item() == pytest.approx(0.05, rel=0.1)


def test_binary_head_starts_every_cell_at_the_prior_and_softmax_head_at_zero():
    binary = build_head(loss=dict(type='HeatmapBinaryCrossEntropyLoss'))
    # 32 x 32 cells: each starts at probability 1/1024 (the chance of being the drawn cell).
    expected = torch.full((17,), -math.log(1023))
    torch.testing.assert_close(binary.final_layer.bias.data, expected, rtol=0, atol=1e-6)
    torch.testing.assert_close(torch.sigmoid(expected), torch.full((17,), 1 / 1024))
    assert torch.count_nonzero(build_head().final_layer.bias) == 0
    # The weights are drawn as for the softmax head.
    assert binary.final_layer.weight.std().item() == pytest.approx(0.4 / 8, rel=0.1)
    # Without a decoder the heatmap size is unknown: bias 0.
    headless = build_head(loss=dict(type='HeatmapBinaryCrossEntropyLoss'), decoder=None)
    assert torch.count_nonzero(headless.final_layer.bias) == 0
