"""The multi-stage, multi-unit H3R head, for converted MSPN and RSN configs."""

from typing import List, Sequence

from mmpose.models.heads import MSPNHead
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList, Predictions
from torch import Tensor

from ...utils.config_checks import CheckedTestCfg
from .h3r_head import H3RHead


@MODELS.register_module()
class H3RMSPNHead(MSPNHead):
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
        out_shape (tuple): heatmap size ``(H, W)``; must be the codec's ``heatmap_size``
            reversed. A coarser shape is a coarser stride (the outputs are interpolated to
            it). Defaults to ``(64, 48)``.
        unit_channels (int): channels of each unit's features. Defaults to 256.
        out_channels (int): number of keypoints K. Defaults to 17.
        use_prm (bool): see :class:`MSPNHead`. Defaults to False.
        norm_cfg (dict): see :class:`MSPNHead`.
        loss (dict): the loss of every output. Defaults to ``HeatmapCrossEntropyLoss``.
        decoder (dict, optional): the codec config.
        init_cfg (dict, optional): see :class:`MSPNHead`.
    """

    # Checked when the pose estimator assigns it: e.g. shift_heatmap=True fails at build.
    test_cfg = CheckedTestCfg()

    def __init__(
        self,
        num_stages: int = 4,
        num_units: int = 4,
        out_shape: tuple = (64, 48),
        unit_channels: int = 256,
        out_channels: int = 17,
        use_prm: bool = False,
        norm_cfg: ConfigType = dict(type='BN'),
        loss: ConfigType = dict(type='HeatmapCrossEntropyLoss'),
        decoder: OptConfigType = None,
        init_cfg: OptConfigType = None,
    ) -> None:
        super().__init__(
            num_stages=num_stages,
            num_units=num_units,
            out_shape=out_shape,
            unit_channels=unit_channels,
            out_channels=out_channels,
            use_prm=use_prm,
            norm_cfg=norm_cfg,
            # MSPNHead picks a target level per output; here every output has the same one.
            level_indices=[0] * (num_stages * num_units),
            loss=loss,
            decoder=decoder,
            init_cfg=init_cfg,
        )
        self.logit_reader = H3RHead(
            in_channels=out_channels,
            out_channels=out_channels,
            deconv_out_channels=None,
            final_layer=None,
            loss=loss,
            decoder=decoder,
        )

    def predict(
        self,
        feats: Sequence,
        batch_data_samples: OptSampleList,
        test_cfg: ConfigType = {},
    ) -> Predictions:
        """Decode the last output, as :meth:`H3RHead.predict` does (flip test included).

        Args:
            feats: the stages' unit features, or a pair (original, flipped) of them when
                ``test_cfg.flip_test``.
            batch_data_samples (List[PoseDataSample]): the batch's data samples.
            test_cfg (dict): see :meth:`H3RHead.predict`.
        """
        if test_cfg.get('flip_test', False):
            logits = tuple((self.forward(branch)[-1],) for branch in feats)
        else:
            logits = (self.forward(feats)[-1],)
        return self.logit_reader.predict(logits, batch_data_samples, test_cfg)

    def loss(
        self,
        feats: Sequence,
        batch_data_samples: OptSampleList,
        train_cfg: ConfigType = {},
    ) -> dict:
        """Every output's loss against the same target, summed, and the last output's
        training accuracy.

        Returns:
            dict: ``loss_kpt`` and, unless ``train_cfg.compute_acc`` is False, ``acc_pose``.
        """
        outputs: List[Tensor] = self.forward(feats)
        losses: dict = {}
        for index, logits in enumerate(outputs):
            last = index == len(outputs) - 1
            output_cfg = dict(train_cfg, compute_acc=last and train_cfg.get('compute_acc', True))
            output_losses = self.logit_reader.loss((logits,), batch_data_samples, output_cfg)
            losses['loss_kpt'] = losses.get('loss_kpt', 0) + output_losses.pop('loss_kpt')
            losses.update(output_losses)
        return losses
