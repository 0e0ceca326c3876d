"""The H3R head: MMPose's heatmap head whose probabilities are defined by its loss."""

from typing import Optional, Sequence, Tuple, Union

import torch
from mmcv.cnn import build_conv_layer
from mmengine.structures import PixelData
from mmpose.evaluation.functional import pose_pck_accuracy
from mmpose.models.heads import HeatmapHead
from mmpose.registry import MODELS
from mmpose.utils.tensor_utils import to_numpy
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList, Predictions
from torch import Tensor, nn

from ..utils import flip_average, logit_head_init_cfg
from .head_checks import CheckedTestCfgMixin, check_decoder, check_targets

HALF_DTYPES = (torch.float16, torch.bfloat16)


@MODELS.register_module()
class H3RHead(CheckedTestCfgMixin, HeatmapHead):
    """Heatmap head for randomized-rounding targets.

    The layers are MMPose's :class:`HeatmapHead` (deconvolutions, convolutions, final 1x1
    layer), optionally followed by stride-2 convolutions for heatmaps coarser than the
    features (e.g. 1/8 or 1/16 of the input on HRNet, whose head input is fixed at 1/4).
    The raw output is a logit map per keypoint. The loss defines what probabilities the
    logits stand for (:meth:`probabilities`): a softmax over the H*W grid for
    :class:`HeatmapCrossEntropyLoss`, a per-cell sigmoid for the paper's
    :class:`HeatmapBinaryCrossEntropyLoss`. The decoder reads those same probabilities, so
    training and decoding agree. Flip testing averages the two probability maps
    (:func:`~h3r_mmpose.models.utils.flip_average`); with the codec's corner-to-corner grid
    it is exact with ``shift_heatmap=False``.

    Args:
        in_channels (int | Sequence[int]): channels of the input feature map.
        out_channels (int): number of keypoints K.
        deconv_out_channels (Sequence[int], optional): see :class:`HeatmapHead`.
        deconv_kernel_sizes (Sequence[int], optional): see :class:`HeatmapHead`.
        conv_out_channels (Sequence[int], optional): see :class:`HeatmapHead`.
        conv_kernel_sizes (Sequence[int], optional): see :class:`HeatmapHead`.
        num_downsample_layers (int): stride-2 3x3 conv-BN-ReLU blocks before the final
            layer; each halves the heatmap. Defaults to 0.
        final_layer (dict): see :class:`HeatmapHead`.
        loss (dict): loss config: a loss with a ``probabilities(logits)`` method. Defaults
            to ``HeatmapCrossEntropyLoss``.
        decoder (dict, optional): the codec config, normally ``RandomizedRoundingHeatmap``.
        init_cfg (dict, optional): weight initialisation. Defaults to MMPose's heatmap-head
            initialisation, then the final layer redrawn for logits
            (:func:`~h3r_mmpose.models.utils.logit_head_init_cfg`), its bias the loss's
            ``initial_logit`` for the decoder's heatmap size.
    """

    def __init__(
        self,
        in_channels: Union[int, Sequence[int]],
        out_channels: int,
        deconv_out_channels: Optional[Sequence[int]] = (256, 256, 256),
        deconv_kernel_sizes: Optional[Sequence[int]] = (4, 4, 4),
        conv_out_channels: Optional[Sequence[int]] = None,
        conv_kernel_sizes: Optional[Sequence[int]] = None,
        num_downsample_layers: int = 0,
        final_layer: dict = dict(kernel_size=1),
        loss: ConfigType = dict(type='HeatmapCrossEntropyLoss'),
        decoder: OptConfigType = None,
        init_cfg: OptConfigType = None,
    ) -> None:
        if not isinstance(num_downsample_layers, int) or num_downsample_layers < 0:
            raise ValueError(
                'num_downsample_layers must be a non-negative integer, got '
                f'{num_downsample_layers!r}'
            )
        super().__init__(
            in_channels=in_channels,
            out_channels=out_channels,
            deconv_out_channels=deconv_out_channels,
            deconv_kernel_sizes=deconv_kernel_sizes,
            conv_out_channels=conv_out_channels,
            conv_kernel_sizes=conv_kernel_sizes,
            final_layer=final_layer,
            loss=loss,
            decoder=decoder,
            init_cfg=init_cfg,
        )
        check_decoder(self.decoder)
        if not all(
            callable(getattr(self.loss_module, name, None))
            for name in ('probabilities', 'initial_logit')
        ):
            raise ValueError(
                f'{type(self).__name__} needs a loss that defines probabilities(logits) and '
                'initial_logit(num_cells) (HeatmapCrossEntropyLoss or '
                f'HeatmapBinaryCrossEntropyLoss), got {type(self.loss_module).__name__}'
            )
        feature_channels = (conv_out_channels or deconv_out_channels or [in_channels])[-1]
        self.downsample_layers = self._make_downsample_layers(
            feature_channels, num_downsample_layers
        )
        if init_cfg is None:
            # Without a decoder (a head that only trains) the heatmap size is unknown: bias 0.
            bias = 0.0
            if self.decoder is not None:
                width, height = self.decoder.heatmap_size
                bias = self.loss_module.initial_logit(width * height)
            self.init_cfg = logit_head_init_cfg(self.default_init_cfg, self.final_layer, bias)

    @staticmethod
    def _make_downsample_layers(channels: int, num_layers: int) -> nn.Module:
        """Stride-2 conv-BN-ReLU blocks that keep the channel count."""
        layers = []
        for _ in range(num_layers):
            layers += [
                build_conv_layer(
                    dict(type='Conv2d'),
                    channels,
                    channels,
                    kernel_size=3,
                    stride=2,
                    padding=1,
                    bias=False,
                ),
                nn.BatchNorm2d(channels),
                nn.ReLU(inplace=True),
            ]
        return nn.Sequential(*layers) if layers else nn.Identity()

    def probabilities(self, logits: Tensor) -> Tensor:
        """The probability maps the decoder reads, as the loss models them.

        Args:
            logits (Tensor): shape (B, K, H, W).

        Returns:
            Tensor: shape (B, K, H, W), float32 for half-precision logits.
        """
        # In float32 even under autocast: sub-cell positions come from the relative sizes of
        # neighbouring probabilities, which bfloat16's 8-bit significand would round
        # (tests/test_codecs/test_half_precision.py).
        if logits.dtype in HALF_DTYPES:
            logits = logits.float()
        return self.loss_module.probabilities(logits)

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """Logit heatmaps from the last feature map.

        Args:
            feats (Tuple[Tensor]): multi-scale features; the last one is used.

        Returns:
            Tensor: logits, shape (B, K, H, W).

        Raises:
            ValueError: if (W, H) differs from the decoder's ``heatmap_size``.
        """
        x = self.conv_layers(self.deconv_layers(feats[-1]))
        logits = self.final_layer(self.downsample_layers(x))
        if self.decoder is not None:
            height, width = logits.shape[-2:]
            if (width, height) != tuple(self.decoder.heatmap_size):
                raise ValueError(
                    f'{type(self).__name__} outputs heatmaps of (W, H)=({width}, {height}) '
                    f'but the decoder heatmap_size is {tuple(self.decoder.heatmap_size)}: '
                    'adjust the head (deconv layers / num_downsample_layers) or the codec'
                )
        return logits

    def predict(
        self,
        feats: Union[Tuple[Tensor], Sequence[Tuple[Tensor]]],
        batch_data_samples: OptSampleList,
        test_cfg: ConfigType = {},
    ) -> Predictions:
        """Decode keypoints from grid probabilities, with optional exact flip testing.

        Args:
            feats: features, or a pair (original, flipped) when ``test_cfg.flip_test``.
            batch_data_samples (List[PoseDataSample]): the batch's data samples.
            test_cfg (dict): ``flip_test``, ``flip_mode``, ``shift_heatmap`` (keep False
                with the randomized-rounding codec) and ``output_heatmaps``.

        Returns:
            List[InstanceData] (and List[PixelData] of probability heatmaps (K, H, W) when
            ``output_heatmaps``).
        """
        if test_cfg.get('flip_test', False):
            feats_original, feats_flipped = feats
            probabilities = flip_average(
                self.probabilities(self.forward(feats_original)),
                self.probabilities(self.forward(feats_flipped)),
                flip_indices=batch_data_samples[0].metainfo['flip_indices'],
                flip_mode=test_cfg.get('flip_mode', 'heatmap'),
                shift_heatmap=test_cfg.get('shift_heatmap', False),
            )
        else:
            probabilities = self.probabilities(self.forward(feats))

        preds = self.decode(probabilities)
        if test_cfg.get('output_heatmaps', False):
            return preds, [PixelData(heatmaps=heatmaps) for heatmaps in probabilities.detach()]
        return preds

    def loss(
        self, feats: Tuple[Tensor], batch_data_samples: OptSampleList, train_cfg: ConfigType = {}
    ) -> dict:
        """Grid cross-entropy against the codec's targets, weighted per keypoint.

        Returns:
            dict: ``loss_kpt`` and, unless ``train_cfg.compute_acc`` is False, ``acc_pose``
            (PCK@0.05 of the heatmap peaks, MMPose's training accuracy).
        """
        logits = self.forward(feats)
        targets = torch.stack([sample.gt_fields.heatmaps for sample in batch_data_samples])
        keypoint_weights = torch.cat(
            [sample.gt_instance_labels.keypoint_weights for sample in batch_data_samples]
        )
        check_targets(targets, logits)
        losses = dict(loss_kpt=self.loss_module(logits, targets, keypoint_weights))
        if train_cfg.get('compute_acc', True):
            _, accuracy, _ = pose_pck_accuracy(
                output=to_numpy(self.probabilities(logits.detach())),
                target=to_numpy(targets),
                mask=to_numpy(keypoint_weights) > 0,
            )
            losses['acc_pose'] = torch.tensor(accuracy, device=targets.device)
        return losses
