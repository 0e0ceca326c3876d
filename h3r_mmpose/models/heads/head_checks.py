"""What every H3R head refuses: inputs that MMPose would accept and that silently give wrong
numbers with the randomized-rounding codec.

- :func:`check_decoder`: a decoder that is not a randomized-rounding codec (e.g.
  ``MSRAHeatmap`` left over from a stock config). The head emits logits for probabilities on
  the codec's corner-to-corner grid; another decoder reads them with another convention.
- :func:`check_test_cfg`: ``shift_heatmap=True`` in ``test_cfg``. The codec's grid is
  mirror-symmetric, so MMPose's one-cell shift of flipped heatmaps (made for the MSRA
  convention) would move every flip-tested prediction by a heatmap cell. The heads run it
  when the pose estimator hands them its ``test_cfg`` (:class:`CheckedTestCfgMixin`), i.e.
  while the model is built.
- :func:`check_targets`: at the first loss, targets of another shape than the logits, or
  channels that are not probability distributions (a Gaussian of ``MSRAHeatmap`` or
  ``UDPHeatmap`` sums to about ``2 * pi * sigma**2``, not 1): the stale-pipeline trap of a
  child config that redefines ``codec`` but not the training pipeline, seen from the data.
"""

from typing import Optional

import torch
from torch import Tensor

from ...codecs import RandomizedRoundingHeatmap

#: Codecs whose targets and pixel convention the H3R heads are built for.
H3R_CODECS = (RandomizedRoundingHeatmap,)

#: How far a target channel's sum may be from 0 or 1 (float32 sums of up to 4096 cells).
TARGET_SUM_TOLERANCE = 1e-3

#: The flip modes that mirror probability maps channel by channel.
FLIP_MODES = ('heatmap',)


def check_decoder(decoder: Optional[object]) -> None:
    """Refuse a head decoder that is not a randomized-rounding codec.

    Args:
        decoder (object, optional): the built codec of an ``H3RHead``; None (no decoder, as
            MMPose allows for heads that only train) passes.

    Raises:
        ValueError: naming the decoder's type.
    """
    if decoder is not None and not isinstance(decoder, H3R_CODECS):
        raise ValueError(
            f'H3RHead needs a RandomizedRoundingHeatmap decoder, got decoder type '
            f"{type(decoder).__name__!r}: the head outputs a grid softmax on the codec's "
            'corner-to-corner grid, which other codecs decode with another convention. Set '
            "model.head.decoder (and GenerateTarget's encoder) to the same "
            'RandomizedRoundingHeatmap config'
        )


def check_test_cfg(test_cfg: Optional[dict]) -> dict:
    """Refuse test settings that flip randomized-rounding heatmaps the wrong way.

    Args:
        test_cfg (dict, optional): a pose estimator's ``test_cfg``; None is read as ``{}``.

    Returns:
        dict: ``test_cfg`` itself (``{}`` for None), for use in an assignment.

    Raises:
        ValueError: for ``shift_heatmap=True``, or a ``flip_mode`` other than ``'heatmap'``
            when ``flip_test`` is on.
    """
    test_cfg = {} if test_cfg is None else test_cfg
    if test_cfg.get('shift_heatmap', False):
        raise ValueError(
            f'test_cfg.shift_heatmap={test_cfg["shift_heatmap"]!r} contradicts '
            "RandomizedRoundingHeatmap: its grid is mirror-symmetric, so MMPose's one-cell "
            'shift of flipped heatmaps (made for MSRAHeatmap) would move every flip-tested '
            'prediction by a heatmap cell. Set model.test_cfg.shift_heatmap=False'
        )
    flip_mode = test_cfg.get('flip_mode', 'heatmap')
    if test_cfg.get('flip_test', False) and flip_mode not in FLIP_MODES:
        raise ValueError(
            f'test_cfg.flip_mode={flip_mode!r} is not supported by H3RHead: it averages '
            "mirrored probability maps, so flip testing needs flip_mode='heatmap'"
        )
    return test_cfg


class CheckedTestCfg:
    """A head attribute that runs :func:`check_test_cfg` whenever it is assigned.

    MMPose's pose estimators build the head and then assign ``head.test_cfg =
    test_cfg.copy()``, so a head class that declares ``test_cfg = CheckedTestCfg()`` makes a
    contradicting ``model.test_cfg`` fail while the model is built, before any training.
    Reading the attribute before any assignment gives ``{}``.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f'_checked_{name}'

    def __get__(self, head: Optional[object], owner: Optional[type] = None):
        if head is None:
            return self
        return head.__dict__.get(self.slot, {})

    def __set__(self, head: object, test_cfg: Optional[dict]) -> None:
        head.__dict__[self.slot] = check_test_cfg(test_cfg)


class CheckedTestCfgMixin:
    """The ``test_cfg`` of every H3R head: checked by :func:`check_test_cfg` when assigned.

    Put it before the MMPose head class among the bases, so that its descriptor is found
    first.
    """

    test_cfg = CheckedTestCfg()


def check_targets(targets: Tensor, logits: Tensor) -> None:
    """Refuse training targets that no randomized-rounding codec writes.

    Args:
        targets (Tensor): the batch's ``gt_fields.heatmaps``, shape (B, K, H, W).
        logits (Tensor): the head's output, shape (B, K, H, W).

    Raises:
        ValueError: if the shapes differ, or a channel sums to neither 0 (a keypoint with
            zero weight) nor 1 (a distribution over the grid), naming the shapes or the sum.
    """
    if targets.shape != logits.shape:
        raise ValueError(
            f'training targets of shape (B, K, H, W)={tuple(targets.shape)} do not match '
            f"the head output {tuple(logits.shape)}: the training pipeline's GenerateTarget "
            "encoder differs from the head's decoder (a stale train_pipeline?)"
        )
    sums = targets.detach().flatten(2).sum(dim=2)
    distance = torch.minimum(sums.abs(), (sums - 1).abs())
    bad = ~(distance <= TARGET_SUM_TOLERANCE)  # NaN sums are bad too
    if bad.any():
        example = sums[bad][0].item()
        raise ValueError(
            f'a training target channel sums to {example:.4g}, but randomized-rounding '
            'targets are distributions over the grid (sum 1) or all zero: the training '
            "pipeline's GenerateTarget encoder is not the head's RandomizedRoundingHeatmap "
            '(a Gaussian MSRA/UDP heatmap sums to about 2*pi*sigma^2; a stale train_pipeline?)'
        )
