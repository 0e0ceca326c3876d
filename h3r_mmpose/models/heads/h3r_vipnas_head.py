"""The H3R head with ViPNAS's grouped deconvolutions, for converted ViPNAS configs."""

from typing import Any, Optional, Sequence

from mmpose.models.heads import ViPNASHead
from mmpose.registry import MODELS

from .h3r_head import H3RHead


def _check_num_groups(
    deconv_out_channels: Optional[Sequence[int]], deconv_num_groups: Optional[Sequence[int]]
) -> None:
    """Raise a ValueError unless ``deconv_num_groups`` gives one group count per deconvolution
    (none needed without deconvolutions)."""
    if deconv_out_channels and (
        deconv_num_groups is None or len(deconv_num_groups) != len(deconv_out_channels)
    ):
        raise ValueError(
            'deconv_num_groups must give one group count per deconvolution '
            f'(deconv_out_channels={deconv_out_channels!r}), got {deconv_num_groups!r}'
        )


@MODELS.register_module()
class H3RViPNASHead(H3RHead):
    """:class:`H3RHead` whose deconvolutions are grouped as in MMPose's :class:`ViPNASHead`.

    ViPNAS (Xu et al., CVPR 2021) searched a light head: stride-2 deconvolutions split into
    ``deconv_num_groups`` groups. This class keeps those layers, so a converted ViPNAS config
    has the stock head's layers and parameter count, and adds what :class:`H3RHead` adds
    (optional stride-2 downsampling before the final layer, the grid softmax shared by loss
    and decoder). The defaults are :class:`ViPNASHead`'s.

    Args:
        in_channels (int): channels of the input feature map.
        out_channels (int): number of keypoints K.
        deconv_out_channels (Sequence[int], optional): output channels of each deconvolution.
            Defaults to ``(144, 144, 144)``.
        deconv_kernel_sizes (Sequence[int], optional): kernel size of each deconvolution, 2, 3
            or 4. Defaults to ``(4, 4, 4)``.
        deconv_num_groups (Sequence[int], optional): groups of each deconvolution; one per
            deconvolution. Defaults to ``(16, 16, 16)``.
        **kwargs: the other arguments of :class:`H3RHead` (``conv_out_channels``,
            ``conv_kernel_sizes``, ``num_downsample_layers``, ``final_layer``, ``loss``,
            ``decoder``, ``init_cfg``), with its defaults.

    Raises:
        ValueError: if ``deconv_num_groups`` does not give one group count per deconvolution.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        deconv_out_channels: Optional[Sequence[int]] = (144, 144, 144),
        deconv_kernel_sizes: Optional[Sequence[int]] = (4, 4, 4),
        deconv_num_groups: Optional[Sequence[int]] = (16, 16, 16),
        **kwargs: Any,
    ) -> None:
        _check_num_groups(deconv_out_channels, deconv_num_groups)
        super().__init__(
            in_channels=in_channels,
            out_channels=out_channels,
            deconv_out_channels=deconv_out_channels,
            deconv_kernel_sizes=deconv_kernel_sizes,
            **kwargs,
        )
        if deconv_out_channels:
            # HeatmapHead built ungrouped deconvolutions of the same shapes; swap in ViPNAS's
            # grouped ones (the rest of the head does not depend on the grouping).
            self.deconv_layers = ViPNASHead._make_deconv_layers(
                self,
                in_channels=in_channels,
                layer_out_channels=deconv_out_channels,
                layer_kernel_sizes=deconv_kernel_sizes,
                layer_groups=deconv_num_groups,
            )
