"""The training benchmark's two network families, narrow enough to train on a CPU.

- ``resnet``: a SimpleBaseline (narrow ResNet-18, features at 1/32, one deconvolution per
  halving of the stride; MMPose's ResNet configs), at strides 4, 8 and 16;
- ``hrnet``: MMPose's ``HRNet`` (narrow, one module per stage), whose 1/4 features feed a
  1x1 layer as in the stock HRNet configs; stride 4, the stride those configs use.
"""

from typing import Tuple

import numpy as np

BACKBONES = ('resnet', 'hrnet')
STRIDES = (4, 8, 16)
RESNET_STRIDE = 32
RESNET_CHANNELS = 128
#: Branch widths of the benchmark's HRNet (HRNet-W16 layout, one block per branch).
HRNET_WIDTHS = (16, 32, 64, 128)
HRNET_STRIDE = 4


def check_backbone_stride(backbone: str, stride: int) -> None:
    """Raise ValueError for an unknown backbone, or a stride its stock head cannot produce."""
    if backbone not in BACKBONES:
        raise ValueError(f'backbone must be one of {BACKBONES}, got {backbone!r}')
    if backbone == 'hrnet' and stride != HRNET_STRIDE:
        raise ValueError(
            f'stride {stride} is not available with backbone hrnet: its stock head reads the '
            f'1/{HRNET_STRIDE} features, so only stride {HRNET_STRIDE} compares codecs fairly'
        )


def feature_map_size(backbone: str, input_size: Tuple[int, int]) -> Tuple[int, int]:
    """[w, h] of the backbone's last features (what a SimCC head flattens)."""
    feature_stride = HRNET_STRIDE if backbone == 'hrnet' else RESNET_STRIDE
    return input_size[0] // feature_stride, input_size[1] // feature_stride


def feature_channels(backbone: str) -> int:
    """Channels of the backbone's features that the heads read."""
    return HRNET_WIDTHS[0] if backbone == 'hrnet' else RESNET_CHANNELS


def heatmap_head(backbone: str, stride: int, num_keypoints: int) -> dict:
    """The layers of a heatmap head for the backbone, without type, loss or decoder."""
    if backbone == 'hrnet':
        return dict(
            in_channels=HRNET_WIDTHS[0], out_channels=num_keypoints, deconv_out_channels=None
        )
    num_deconvs = int(np.log2(RESNET_STRIDE // stride))
    return dict(
        in_channels=RESNET_CHANNELS,
        out_channels=num_keypoints,
        deconv_out_channels=(64,) * num_deconvs,
        deconv_kernel_sizes=(4,) * num_deconvs,
    )


def backbone_config(backbone: str) -> dict:
    """The benchmark's narrow ResNet-18 or HRNet."""
    if backbone == 'resnet':
        return dict(type='ResNet', depth=18, stem_channels=16, base_channels=16)
    stages = {}
    for index, (name, block) in enumerate(
        [('stage1', 'BOTTLENECK'), ('stage2', 'BASIC'), ('stage3', 'BASIC'), ('stage4', 'BASIC')]
    ):
        branches = max(1, index + 1)
        widths = (HRNET_WIDTHS[0] * 2,) if index == 0 else HRNET_WIDTHS[:branches]
        stages[name] = dict(
            num_modules=1,
            num_branches=branches,
            block=block,
            num_blocks=(1,) * branches,
            num_channels=widths,
        )
    return dict(type='HRNet', in_channels=3, extra=stages)
