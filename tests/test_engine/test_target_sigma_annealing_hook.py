"""The target schedule: sigma falls linearly from its start to its end value, reached at the
last training iteration of a real MMEngine run; the decoder must be exact on the last target."""

import pytest
from mmengine.hooks import Hook
from mmengine.runner import Runner

from h3r_mmpose.benchmarks import make_synthetic_landmarks
from h3r_mmpose.benchmarks.budgets import TRAINING_QUICK
from h3r_mmpose.benchmarks.training_config import run_config, synthetic_data
from h3r_mmpose.benchmarks.training_rows import OURS
from h3r_mmpose.codecs.utils import exact_mean_shift_radius
from h3r_mmpose.engine.hooks import TargetSigmaAnnealingHook
from h3r_mmpose.engine.hooks.target_sigma_annealing_hook import annealed_sigma


@pytest.mark.parametrize(
    'end_sigma, expected', [(0.0, [2.0, 1.0, 0.0, 0.0]), (0.5, [2.0, 1.25, 0.5, 0.5])]
)
def test_annealed_sigma_is_linear_to_its_end_value_then_held(end_sigma, expected):
    """From 2 at iteration 0 to ``end_sigma`` at iteration 10; iteration 12 keeps it."""
    assert [annealed_sigma(2.0, i, 10, end_sigma) for i in (0, 5, 10, 12)] == expected


@pytest.mark.parametrize('sigma, radius', [(0.0, 1.5), (0.3, 2.5), (0.5, 3.5), (1.0, 4.5)])
def test_exact_radius_holds_the_smoothed_support(sigma, radius):
    assert exact_mean_shift_radius(sigma) == radius


class SigmaRecorder(Hook):
    """Records the loss's target sigma of every training iteration."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.sigmas = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.sigmas.append(runner.model.head.loss_module.target_sigma)


def quick_run_config(tmp_path):
    """The benchmark's H3R config on a few tiny synthetic images."""
    data_root = tmp_path / 'data'
    make_synthetic_landmarks(
        data_root, num_train=8, num_val=0, num_test=4, image_size=(64, 64), num_keypoints=2
    )
    cfg = run_config(
        OURS,
        8,
        'resnet',
        synthetic_data(data_root),
        tmp_path / 'run',
        tmp_path / 'board.jsonl',
        (64, 64),
        2,
        TRAINING_QUICK,
        seed=0,
    )
    cfg.train_cfg.val_interval = TRAINING_QUICK['max_iters'] + 1
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize('end_fraction, end_sigma', [(1.0, 0.0), (0.5, 0.0), (1.0, 0.5)])
def test_schedule_reaches_its_end_at_the_last_iteration_of_a_run(tmp_path, end_fraction, end_sigma):
    cfg = quick_run_config(tmp_path)
    cfg.custom_hooks = [
        dict(
            type='TargetSigmaAnnealingHook',
            start_sigma=1.5,
            end_sigma=end_sigma,
            end_fraction=end_fraction,
        )
    ]
    runner = Runner.from_cfg(cfg)
    recorder = SigmaRecorder()
    runner.register_hook(recorder)
    runner.train()
    last = TRAINING_QUICK['max_iters'] - 1
    end = round(end_fraction * last)
    assert recorder.sigmas == pytest.approx(
        [annealed_sigma(1.5, i, end, end_sigma) for i in range(TRAINING_QUICK['max_iters'])]
    )
    assert recorder.sigmas[0] == 1.5 and recorder.sigmas[-1] == end_sigma
    assert all(a > b for a, b in zip(recorder.sigmas[: end + 1], recorder.sigmas[1 : end + 1]))


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(start_sigma=0), 'start_sigma must be a finite number > 0, got 0'),
        (dict(start_sigma=float('inf')), 'start_sigma .* got inf'),
        (dict(end_fraction=0), r'end_fraction must be in \(0, 1\], got 0'),
        (dict(end_fraction=1.5), r'end_fraction .* got 1.5'),
        (dict(end_sigma=-0.1), r'end_sigma must be in \[0, start_sigma=2.0\], got -0.1'),
        (dict(end_sigma=2.5), r'end_sigma .* got 2.5'),
        (dict(end_sigma=float('nan')), r'end_sigma .* got nan'),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TargetSigmaAnnealingHook(**kwargs)


@pytest.mark.slow
def test_a_window_too_small_for_the_last_target_fails_before_training(tmp_path):
    cfg = quick_run_config(tmp_path)
    cfg.model.head.decoder['radius'] = 2.0
    cfg.custom_hooks = [dict(type='TargetSigmaAnnealingHook', start_sigma=2.0, end_sigma=0.5)]
    runner = Runner.from_cfg(cfg)
    with pytest.raises(
        ValueError, match=r'end_sigma=0.5 needs the codec radius >= 3.5 .* got radius=2.0'
    ):
        runner.train()
    assert runner.iter == 0
