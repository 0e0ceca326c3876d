"""The multi-stage, multi-unit H3R head, for converted MSPN and RSN configs."""

from typing import Any, List, Sequence

from mmpose.models.heads import MSPNHead
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType
from torch import Tensor

from .h3r_head import H3RHead
from .multi_output_mixin import MultiOutputMixin


@MODELS.register_module()
class H3RMSPNHead(MultiOutputMixin, MSPNHead):
    """MMPose's :class:`MSPNHead` layers with the H3R loss and decoder.

    MSPN (Li et al., 2019) and RSN (Cai et al., 2020) predict a heatmap from every unit of
    every stage, all at ``out_shape``; the stock configs supervise them with Gaussians of
    decreasing width (a codec per level). Randomized-rounding targets have no width, so every
    output is supervised with the same target and the losses are summed; prediction (with
    flip testing) and the training accuracy use the last output, as :class:`MSPNHead` does.

    The logits are read by an :class:`H3RHead` without layers, so they become probabilities,
    losses and keypoints exactly as in the single-stage head.

    Args:
        num_stages (int): stages of the backbone. Defaults to 4.
        num_units (int): units per stage. Defaults to 4.
        out_channels (int): number of keypoints K. Defaults to 17.
        loss (dict): the loss of every output. Defaults to ``HeatmapCrossEntropyLoss``.
        decoder (dict, optional): the codec config.
        **kwargs: the other arguments of :class:`MSPNHead`, with its defaults:
            ``out_shape`` (heatmap size ``(H, W)``, default ``(64, 48)``) must be the codec's
            ``heatmap_size`` reversed; a coarser shape is a coarser stride (the outputs are
            interpolated to it). ``unit_channels`` (channels of each unit's features, default
            256), ``use_prm``, ``norm_cfg`` and ``init_cfg`` are as in :class:`MSPNHead`.
    """

    def __init__(
        self,
        num_stages: int = 4,
        num_units: int = 4,
        out_channels: int = 17,
        loss: ConfigType = dict(type='HeatmapCrossEntropyLoss'),
        decoder: OptConfigType = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            num_stages=num_stages,
            num_units=num_units,
            out_channels=out_channels,
            # MSPNHead picks a target level per output; here every output has the same one.
            level_indices=[0] * (num_stages * num_units),
            loss=loss,
            decoder=decoder,
            **kwargs,
        )
        self.logit_reader = H3RHead(
            in_channels=out_channels,
            out_channels=out_channels,
            deconv_out_channels=None,
            final_layer=None,
            loss=loss,
            decoder=decoder,
        )

    def _reader(self, index: int) -> H3RHead:
        """One layer-less :class:`H3RHead` reads every output."""
        return self.logit_reader

    def _reader_inputs(self, feats: Sequence) -> List[Tensor]:
        """The logits of every unit of every stage (:meth:`MSPNHead.forward`)."""
        return self.forward(feats)
