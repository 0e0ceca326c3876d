"""The multi-stage H3R head, for converted CPM and Stacked Hourglass configs."""

from typing import List, Optional, Sequence

from mmengine.model import ModuleList
from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType
from torch import Tensor

from .h3r_head import H3RHead
from .multi_output_mixin import MultiOutputMixin


@MODELS.register_module()
class H3RCPMHead(MultiOutputMixin, BaseHead):
    """One :class:`H3RHead` per stage of a multi-stage backbone, like MMPose's
    :class:`CPMHead` (Convolutional Pose Machines, Stacked Hourglass).

    Every stage has the layers a :class:`CPMHead` stage has (optional deconvolutions and the
    final layer) and is supervised with the same targets; the losses are summed. Prediction
    (with flip testing) and the training accuracy use the last stage, as :class:`CPMHead`
    does. Each stage is a whole :class:`H3RHead`, so the stages turn logits into
    probabilities, check the heatmap size and decode exactly as the single-stage head does.

    Args:
        in_channels (int): channels of each stage's feature map.
        out_channels (int): number of keypoints K.
        num_stages (int): number of stages; the backbone returns one feature map per stage.
        deconv_out_channels (Sequence[int], optional): deconvolutions of each stage. Defaults
            to None (:class:`CPMHead`'s default).
        deconv_kernel_sizes (Sequence[int], optional): their kernel sizes.
        num_downsample_layers (int): stride-2 blocks of each stage before its final layer,
            see :class:`H3RHead`. Defaults to 0.
        final_layer (dict, optional): each stage's final layer; None for none (CPM's
            backbone already outputs K maps per stage). Defaults to a 1x1 convolution.
        loss (dict): each stage's loss. Defaults to ``HeatmapCrossEntropyLoss``.
        decoder (dict, optional): the codec config.
        init_cfg (dict, optional): weight initialisation; the stages initialise as
            :class:`H3RHead` does.

    Raises:
        ValueError: if ``num_stages`` is not a positive integer.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        num_stages: int,
        deconv_out_channels: Optional[Sequence[int]] = None,
        deconv_kernel_sizes: Optional[Sequence[int]] = None,
        num_downsample_layers: int = 0,
        final_layer: Optional[dict] = dict(kernel_size=1),
        loss: ConfigType = dict(type='HeatmapCrossEntropyLoss'),
        decoder: OptConfigType = None,
        init_cfg: OptConfigType = None,
    ) -> None:
        if not isinstance(num_stages, int) or num_stages < 1:
            raise ValueError(f'num_stages must be a positive integer, got {num_stages!r}')
        super().__init__(init_cfg)
        self.num_stages = num_stages
        # mmengine's ModuleList, so that init_weights reaches the stages.
        self.stages = ModuleList(
            H3RHead(
                in_channels=in_channels,
                out_channels=out_channels,
                deconv_out_channels=deconv_out_channels,
                deconv_kernel_sizes=deconv_kernel_sizes,
                num_downsample_layers=num_downsample_layers,
                final_layer=final_layer,
                loss=loss,
                decoder=decoder,
            )
            for _ in range(num_stages)
        )
        self.decoder = self.stages[-1].decoder

    def _reader(self, index: int) -> H3RHead:
        """Stage ``index`` reads its own features."""
        return self.stages[index]

    def _reader_inputs(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """The stages' features, one feature map per stage.

        Raises:
            ValueError: if there is not one feature map per stage.
        """
        if len(feats) != self.num_stages:
            raise ValueError(
                f'{type(self).__name__} has num_stages={self.num_stages} but got '
                f'{len(feats)} feature maps'
            )
        return list(feats)

    def forward(self, feats: Sequence[Tensor]) -> list:
        """Logit heatmaps of every stage.

        Args:
            feats (Sequence[Tensor]): one feature map per stage, each (B, C, h, w).

        Returns:
            list[Tensor]: one logit map per stage, each (B, K, H, W).
        """
        feats = self._reader_inputs(feats)
        return [stage.forward((feat,)) for stage, feat in zip(self.stages, feats)]
