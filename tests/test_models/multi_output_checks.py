"""What the tests of the multi-output heads (:class:`H3RCPMHead`, :class:`H3RMSPNHead`) check
alike: every output supervised with the same targets, the last one decoded."""

from typing import Callable, List, Sequence, Tuple

import numpy as np
import pytest
import torch
from mmpose.structures import PoseDataSample
from torch import Tensor, nn


def assert_losses_summed(
    head: nn.Module,
    feats: Sequence,
    samples: List[PoseDataSample],
    readers_and_inputs: Sequence[Tuple[nn.Module, Tensor]],
) -> None:
    """``head.loss`` is the sum of every output's loss, each output's :class:`H3RHead` (its
    reader) on its input, and reports the last output's training accuracy.

    Args:
        head (nn.Module): a multi-output head.
        feats (Sequence): the head's features.
        samples (List[PoseDataSample]): the targets.
        readers_and_inputs (Sequence[Tuple[nn.Module, Tensor]]): each output's reader and
            what it reads, as the head's own attributes give them.
    """
    losses = head.loss(feats, samples)
    per_output = [
        reader.loss((input_,), samples)['loss_kpt'] for reader, input_ in readers_and_inputs
    ]
    assert losses['loss_kpt'].item() == pytest.approx(sum(per_output).item(), rel=1e-6)
    # The outputs differ, so each term counts.
    assert len({round(loss.item(), 6) for loss in per_output}) == len(per_output)
    last_reader, last_input = readers_and_inputs[-1]
    last_accuracy = last_reader.loss((last_input,), samples)['acc_pose']
    assert losses['acc_pose'].item() == pytest.approx(last_accuracy.item())


def assert_last_output_decoded(
    head: nn.Module,
    last_reader: nn.Module,
    last_input: Callable[[Sequence], Tensor],
    samples: List[PoseDataSample],
    feats: Sequence,
    flipped: Sequence,
    flip_test: bool,
) -> None:
    """``head.predict`` gives the keypoints the last output's reader decodes from its input
    (from the inputs of both branches with ``flip_test``).

    Args:
        head (nn.Module): a multi-output head, in eval mode.
        last_reader (nn.Module): the :class:`H3RHead` that reads the last output.
        last_input (Callable): the last reader's input, from the head's features.
        samples (List[PoseDataSample]): the batch's data samples.
        feats, flipped (Sequence): the head's features, original and flipped.
        flip_test (bool): whether to flip-test.
    """
    test_cfg = dict(flip_test=flip_test, flip_mode='heatmap', shift_heatmap=False)
    with torch.no_grad():
        if flip_test:
            preds = head.predict([feats, flipped], samples, test_cfg)
            inputs = ((last_input(feats),), (last_input(flipped),))
        else:
            preds = head.predict(feats, samples, test_cfg)
            inputs = (last_input(feats),)
        expected = last_reader.predict(inputs, samples, test_cfg)
    for pred, reference in zip(preds, expected):
        np.testing.assert_array_equal(pred.keypoints, reference.keypoints)
