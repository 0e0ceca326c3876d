"""H3RViPNASHead: ViPNAS's grouped deconvolutions under the H3R head."""

import re

import pytest
import torch
from mmpose.models.heads import ViPNASHead
from torch import nn

from h3r_mmpose.models.heads import H3RHead, H3RViPNASHead

CODEC = dict(type='RandomizedRoundingHeatmap', input_size=(192, 256), heatmap_size=(48, 64))

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


def num_parameters(module: nn.Module) -> int:
    return sum(parameter.numel() for parameter in module.parameters())


def test_layers_are_the_vipnas_heads():
    args = dict(in_channels=160, out_channels=17, deconv_out_channels=(160, 160, 160))
    head = H3RViPNASHead(**args, decoder=CODEC)
    stock = ViPNASHead(**args)
    deconvs = [layer for layer in head.deconv_layers if isinstance(layer, nn.ConvTranspose2d)]
    assert [layer.groups for layer in deconvs] == [16, 16, 16]
    # Same layers as the stock head, parameter for parameter.
    assert num_parameters(head) == num_parameters(stock)
    assert [tuple(p.shape) for p in head.parameters()] == [
        tuple(p.shape) for p in stock.parameters()
    ]


def test_output_matches_the_codec_with_downsampling():
    head = H3RViPNASHead(
        in_channels=160,
        out_channels=17,
        num_downsample_layers=2,
        decoder=dict(CODEC, heatmap_size=(12, 16)),
    ).eval()
    assert isinstance(head, H3RHead)
    # ViPNAS features at 1/32 of a 192x256 input: three deconvolutions to 1/4, two halvings.
    with torch.no_grad():
        logits = head((torch.zeros(1, 160, 8, 6),))
    assert logits.shape == (1, 17, 16, 12)


@pytest.mark.parametrize('groups', [(16, 16), None])
def test_one_group_count_per_deconvolution(groups):
    with pytest.raises(
        ValueError, match='deconv_num_groups must give one .*got ' + re.escape(repr(groups))
    ):
        H3RViPNASHead(in_channels=160, out_channels=17, deconv_num_groups=groups)
