"""The target schedule: sigma falls linearly from its start to 0, reached at the last
training iteration of a real MMEngine run."""

import pytest
from mmengine.hooks import Hook
from mmengine.runner import Runner

from h3r_mmpose.benchmarks import make_synthetic_landmarks
from h3r_mmpose.benchmarks.budgets import TRAINING_QUICK
from h3r_mmpose.benchmarks.training_benchmark import OURS, run_config
from h3r_mmpose.engine.hooks import TargetSigmaAnnealingHook
from h3r_mmpose.engine.hooks.target_sigma_annealing_hook import annealed_sigma


def test_annealed_sigma_is_linear_to_zero():
    assert annealed_sigma(2.0, 0, 10) == 2.0
    assert annealed_sigma(2.0, 5, 10) == 1.0
    assert annealed_sigma(2.0, 10, 10) == 0.0
    assert annealed_sigma(2.0, 12, 10) == 0.0


class SigmaRecorder(Hook):
    """Records the loss's target sigma of every training iteration."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.sigmas = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.sigmas.append(runner.model.head.loss_module.target_sigma)


@pytest.mark.parametrize('end_fraction', [1.0, 0.5])
def test_schedule_reaches_zero_at_the_last_iteration_of_a_run(tmp_path, end_fraction):
    data_root = tmp_path / 'data'
    make_synthetic_landmarks(
        data_root, num_train=8, num_val=0, num_test=4, image_size=(64, 64), num_keypoints=2
    )
    cfg = run_config(
        OURS,
        8,
        'resnet',
        data_root,
        tmp_path / 'run',
        tmp_path / 'board.jsonl',
        (64, 64),
        2,
        TRAINING_QUICK,
        seed=0,
    )
    cfg.custom_hooks = [
        dict(type='TargetSigmaAnnealingHook', start_sigma=1.5, end_fraction=end_fraction)
    ]
    cfg.train_cfg.val_interval = TRAINING_QUICK['max_iters'] + 1
    runner = Runner.from_cfg(cfg)
    recorder = SigmaRecorder()
    runner.register_hook(recorder)
    runner.train()
    last = TRAINING_QUICK['max_iters'] - 1
    end = round(end_fraction * last)
    assert recorder.sigmas == pytest.approx(
        [annealed_sigma(1.5, i, end) for i in range(TRAINING_QUICK['max_iters'])]
    )
    assert recorder.sigmas[0] == 1.5 and recorder.sigmas[-1] == 0.0
    assert all(a > b for a, b in zip(recorder.sigmas[: end + 1], recorder.sigmas[1 : end + 1]))


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(start_sigma=0), 'start_sigma must be a finite number > 0, got 0'),
        (dict(start_sigma=float('inf')), 'start_sigma .* got inf'),
        (dict(end_fraction=0), r'end_fraction must be in \(0, 1\], got 0'),
        (dict(end_fraction=1.5), r'end_fraction .* got 1.5'),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TargetSigmaAnnealingHook(**kwargs)
