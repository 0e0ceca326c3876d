"""How much work each benchmark does: the full budget behind the published results, and a
quick one that checks the whole path in CI.

Codec leaderboard (:mod:`.codec_benchmark`): ``num_samples`` samples of 17 keypoints per
setting, ``num_draws`` / ``num_robust_draws`` encodes per keypoint for stochastic targets
(ideal and blurred, noisy round trips), ``repeats`` timing repeats.

Training benchmark (:mod:`.training_benchmark`): synthetic train and test images, training
iterations and batch size of every run, and the iterations between the test-error
measurements of its convergence curves.
"""

from typing import Any, Dict, Mapping, Optional

CODEC_FULL: Mapping[str, int] = dict(
    num_samples=200, num_draws=1024, num_robust_draws=64, repeats=10
)
CODEC_QUICK: Mapping[str, int] = dict(num_samples=12, num_draws=64, num_robust_draws=4, repeats=3)

TRAINING_FULL: Mapping[str, int] = dict(
    num_train=2000, num_test=500, max_iters=1200, batch_size=32, eval_interval=150
)
TRAINING_QUICK: Mapping[str, int] = dict(
    num_train=64, num_test=32, max_iters=8, batch_size=8, eval_interval=4
)


def choose_budget(
    full: Mapping[str, int],
    quick_budget: Mapping[str, int],
    quick: bool,
    **overrides: Optional[Any],
) -> Dict[str, Any]:
    """The full or the quick budget, with the overrides that are not None applied.

    Args:
        full (Mapping): The full budget, e.g. :data:`CODEC_FULL`.
        quick_budget (Mapping): The quick one, e.g. :data:`CODEC_QUICK`.
        quick (bool): Whether to take the quick budget.
        **overrides: Budget entries to replace; None leaves an entry as it is.

    Returns:
        dict: A new budget.
    """
    unknown = set(overrides) - set(full)
    if unknown:
        raise ValueError(f'overrides must be budget entries {sorted(full)}, got {sorted(unknown)}')
    budget = dict(quick_budget if quick else full)
    budget.update({key: value for key, value in overrides.items() if value is not None})
    return budget
