"""Smooth targets early, the exact randomized-rounding target late."""

import math

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS

from ...models.losses import HeatmapCrossEntropyLoss


def annealed_sigma(start_sigma: float, iteration: int, end_iteration: int) -> float:
    """Linear decay from ``start_sigma`` at iteration 0 to 0 at ``end_iteration`` and after.

    Args:
        start_sigma (float): sigma at the first iteration, in heatmap cells.
        iteration (int): the current (0-based) training iteration.
        end_iteration (int): the first iteration trained with sigma 0, >= 1.

    Returns:
        float: the target sigma for ``iteration``.
    """
    return start_sigma * max(0.0, 1.0 - iteration / end_iteration)


@HOOKS.register_module()
class TargetSigmaAnnealingHook(Hook):
    """Anneal the head's ``HeatmapCrossEntropyLoss.target_sigma`` from ``start_sigma`` to 0.

    Early in training a Gaussian-smoothed target gives dense gradients and credit for near
    misses; from ``end_fraction`` of the training iterations on, the loss fits the exact
    bilinear target again, whose optimum the codec decodes losslessly. The loss lives in the
    main process, so the schedule works with any number of data-loader workers.

    Args:
        start_sigma (float): sigma at the first iteration, in heatmap cells, > 0.
            Defaults to 2.0.
        end_fraction (float): fraction of the training iterations after which sigma is 0,
            in (0, 1]. Defaults to 1.0 (sigma reaches 0 at the last iteration).
    """

    priority = 'NORMAL'

    def __init__(self, start_sigma: float = 2.0, end_fraction: float = 1.0) -> None:
        if not isinstance(start_sigma, (int, float)) or not (
            math.isfinite(start_sigma) and start_sigma > 0
        ):
            raise ValueError(f'start_sigma must be a finite number > 0, got {start_sigma!r}')
        if not isinstance(end_fraction, (int, float)) or not 0 < end_fraction <= 1:
            raise ValueError(f'end_fraction must be in (0, 1], got {end_fraction!r}')
        self.start_sigma = float(start_sigma)
        self.end_fraction = float(end_fraction)
        self._losses: list = []

    def before_train(self, runner) -> None:
        """Find the losses to anneal, once per run."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        # Multi-stage heads (H3RCPMHead, H3RMSPNHead) hold one loss per stage.
        self._losses = [m for m in model.head.modules() if isinstance(m, HeatmapCrossEntropyLoss)]
        if not self._losses:
            raise ValueError(
                f'{type(self).__name__} needs a head with a HeatmapCrossEntropyLoss (its '
                f'target_sigma is what it anneals), got {type(model.head).__name__}'
            )

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Set the target sigma of every loss of the head for this iteration."""
        # The last iteration is max_iters - 1: with end_fraction 1 it trains with sigma 0.
        end_iteration = max(1, round(self.end_fraction * (runner.max_iters - 1)))
        sigma = annealed_sigma(self.start_sigma, runner.iter, end_iteration)
        for loss in self._losses:
            loss.target_sigma = sigma
