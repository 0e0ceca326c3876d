"""What the multi-output H3R heads share: every output supervised alike, the last decoded."""

from typing import List, Sequence

from mmpose.utils.typing import ConfigType, OptSampleList, Predictions
from torch import Tensor

from .h3r_head import H3RHead
from .head_checks import CheckedTestCfgMixin


class MultiOutputMixin(CheckedTestCfgMixin):
    """Prediction and loss of a head whose outputs are each read by an :class:`H3RHead`.

    Multi-stage heads (:class:`H3RCPMHead`, :class:`H3RMSPNHead`) predict one heatmap per
    stage or unit. Every output is supervised with the same targets and the losses are
    summed; prediction (with flip testing) and the training accuracy use the last output, as
    MMPose's :class:`CPMHead` and :class:`MSPNHead` do. Each output goes through a whole
    :class:`H3RHead` (its reader), so it becomes probabilities, losses and keypoints exactly
    as in the single-stage head.

    A head states what each reader reads (:meth:`_reader_inputs`) and which reader reads
    which output (:meth:`_reader`). Its ``test_cfg`` is checked when assigned, as the
    single-stage head's is (:class:`CheckedTestCfgMixin`).
    """

    def _reader(self, index: int) -> H3RHead:
        """The :class:`H3RHead` that reads output ``index`` (-1 for the last)."""
        raise NotImplementedError

    def _reader_inputs(self, feats: Sequence) -> List[Tensor]:
        """What each output's reader reads (features or logits), in the outputs' order.

        Raises:
            ValueError: if ``feats`` do not fit the head.
        """
        raise NotImplementedError

    def predict(
        self, feats: Sequence, batch_data_samples: OptSampleList, test_cfg: ConfigType = {}
    ) -> Predictions:
        """Decode the last output, as :meth:`H3RHead.predict` does (flip test included).

        Args:
            feats: the head's features, or a pair (original, flipped) of them when
                ``test_cfg.flip_test``.
            batch_data_samples (List[PoseDataSample]): the batch's data samples.
            test_cfg (dict): see :meth:`H3RHead.predict`.
        """
        if test_cfg.get('flip_test', False):
            last = tuple((self._reader_inputs(branch)[-1],) for branch in feats)
        else:
            last = (self._reader_inputs(feats)[-1],)
        return self._reader(-1).predict(last, batch_data_samples, test_cfg)

    def loss(
        self, feats: Sequence, batch_data_samples: OptSampleList, train_cfg: ConfigType = {}
    ) -> dict:
        """Every output's loss against the same targets, summed, and the last output's
        training accuracy.

        Returns:
            dict: ``loss_kpt`` and, unless ``train_cfg.compute_acc`` is False, ``acc_pose``.
        """
        inputs = self._reader_inputs(feats)
        losses: dict = {}
        for index, reader_input in enumerate(inputs):
            last = index == len(inputs) - 1
            output_cfg = dict(train_cfg, compute_acc=last and train_cfg.get('compute_acc', True))
            output_losses = self._reader(index).loss(
                (reader_input,), batch_data_samples, output_cfg
            )
            losses['loss_kpt'] = losses.get('loss_kpt', 0) + output_losses.pop('loss_kpt')
            losses.update(output_losses)
        return losses
