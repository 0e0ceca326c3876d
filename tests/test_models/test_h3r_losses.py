"""The grid cross-entropy (optionally Gaussian-smoothed) and the paper's per-cell binary loss:
hand-computed values, shape checks, the optimum each one has, zero weight, bad arguments,
and the head's probabilities."""

import math

import pytest
import torch
from mmengine.registry import init_default_scope

import h3r_mmpose  # noqa: F401  (registers the losses)
from h3r_mmpose.codecs.utils import smooth_heatmaps
from h3r_mmpose.models.heads import H3RHead
from h3r_mmpose.models.losses import HeatmapBinaryCrossEntropyLoss, HeatmapCrossEntropyLoss

CODEC = dict(type='RandomizedRoundingHeatmap', input_size=(64, 48), heatmap_size=(16, 12))


def bilinear_target(batch: int = 2, keypoints: int = 3, seed: int = 0) -> torch.Tensor:
    """Random bilinear 2x2 targets, shape (B, K, 12, 16)."""
    generator = torch.Generator().manual_seed(seed)
    target = torch.zeros(batch, keypoints, 12, 16)
    for b in range(batch):
        for k in range(keypoints):
            x, y = torch.rand(2, generator=generator) * torch.tensor([13.0, 9.0]) + 1
            cx, cy, fx, fy = int(x), int(y), float(x % 1), float(y % 1)
            target[b, k, cy, cx], target[b, k, cy, cx + 1] = (1 - fx) * (1 - fy), fx * (1 - fy)
            target[b, k, cy + 1, cx], target[b, k, cy + 1, cx + 1] = (1 - fx) * fy, fx * fy
    return target


def test_cross_entropy_on_a_hand_made_2x2_grid():
    # Logits (0, log 3, 0, 0) give the grid probabilities (1/6, 1/2, 1/6, 1/6).
    logits = torch.tensor([[0.0, math.log(3)], [0.0, 0.0]]).expand(1, 2, 2, 2)
    target = torch.tensor([[[[0.0, 1.0], [0.0, 0.0]], [[0.5, 0.5], [0.0, 0.0]]]])
    weights = torch.tensor([[1.0, 0.5]])
    # Cross-entropies: -log(1/2) and -(log(1/6) + log(1/2)) / 2 = log(12) / 2; the weighted
    # mean over the two keypoints, times loss_weight=2.
    expected = 2 * (math.log(2) * 1.0 + math.log(12) / 2 * 0.5) / 2
    loss = HeatmapCrossEntropyLoss(loss_weight=2.0)(logits, target, weights)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_cross_entropy_rejects_mismatched_shapes():
    loss = HeatmapCrossEntropyLoss()
    logits = torch.zeros(2, 3, 4, 5)
    with pytest.raises(ValueError, match=r'output shape \(2, 3, 4, 5\).*\(2, 3, 5, 4\)'):
        loss(logits, torch.zeros(2, 3, 5, 4), torch.ones(2, 3))
    with pytest.raises(ValueError, match=r'target_weights must have shape \(2, 3\)'):
        loss(logits, torch.zeros(2, 3, 4, 5), torch.ones(2, 3, 1))


def test_binary_loss_hand_made():
    """Logits 0 give -log(1/2) = log 2 per cell whatever the target; logit log 3 on the
    one-hot cell gives -log(3/4) there. Summed over the 4 cells, averaged over keypoints."""
    logits = torch.zeros(1, 2, 2, 2)
    logits[0, 0, 0, 1] = math.log(3)
    target = torch.zeros(1, 2, 2, 2)
    target[0, 0, 0, 1] = 1.0
    target[0, 1, 1, 1] = 1.0
    weights = torch.tensor([[1.0, 0.5]])
    first = 3 * math.log(2) - math.log(3 / 4)
    second = 4 * math.log(2)
    loss = HeatmapBinaryCrossEntropyLoss(loss_weight=2.0)(logits, target, weights)
    assert loss.item() == pytest.approx(2 * (first + 0.5 * second) / 2, rel=1e-6)


@pytest.mark.parametrize(
    'loss, optimum',
    [
        # The grid cross-entropy is minimised by logits whose softmax is the target.
        (HeatmapCrossEntropyLoss(), lambda target: torch.log(target + 1e-12)),
        # The per-cell binary loss by logits whose sigmoid is the target.
        (
            HeatmapBinaryCrossEntropyLoss(),
            lambda target: torch.logit(target.clamp(1e-12, 1 - 1e-12)),
        ),
    ],
)
def test_each_loss_is_stationary_at_the_probabilities_it_models(loss, optimum):
    target = bilinear_target().double()
    logits = optimum(target).requires_grad_()
    loss(logits, target, torch.ones(2, 3, dtype=torch.float64)).backward()
    assert logits.grad.abs().max() < 1e-9
    torch.testing.assert_close(loss.probabilities(logits.detach()), target, atol=1e-6, rtol=0)


def test_smoothed_cross_entropy_fits_the_smoothed_target():
    target = bilinear_target().double()
    smoothed = smooth_heatmaps(target, 1.0)
    loss = HeatmapCrossEntropyLoss(target_sigma=1.0)
    logits = torch.log(smoothed.clamp(min=1e-300)).requires_grad_()
    loss(logits, target, torch.ones(2, 3, dtype=torch.float64)).backward()
    assert logits.grad.abs().max() < 1e-9
    # ... and its value is the smoothed target's entropy.
    entropy = -(smoothed * torch.log(smoothed.clamp(min=1e-300))).sum(dim=(2, 3)).mean()
    assert loss(logits.detach(), target, torch.ones(2, 3)).item() == pytest.approx(entropy.item())
    # The unsmoothed loss is not stationary there.
    logits.grad = None
    HeatmapCrossEntropyLoss()(logits, target, torch.ones(2, 3, dtype=torch.float64)).backward()
    assert logits.grad.abs().max() > 1e-2


@pytest.mark.parametrize(
    'loss', [HeatmapCrossEntropyLoss(target_sigma=1.5), HeatmapBinaryCrossEntropyLoss()]
)
def test_zero_weight_gives_zero_loss_and_zero_gradient(loss):
    target = bilinear_target()
    target[0, 1] = float('nan')  # whatever the target of a weightless keypoint holds
    logits = torch.randn(2, 3, 12, 16, requires_grad=True)
    weights = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    value = loss(logits, target, weights)
    value.backward()
    assert torch.isfinite(value)
    assert logits.grad[0, 1].abs().max() == 0 and logits.grad[1].abs().max() == 0
    assert logits.grad[0, 0].abs().max() > 0
    all_zero = loss(logits, target, torch.zeros(2, 3))
    assert all_zero.item() == 0


@pytest.mark.parametrize('sigma', [-1.0, float('nan'), float('inf'), '1'])
def test_bad_target_sigma_raises(sigma):
    with pytest.raises(
        ValueError, match=f'target_sigma must be a finite number >= 0, got {sigma!r}'
    ):
        HeatmapCrossEntropyLoss(target_sigma=sigma)


def test_head_probabilities_follow_its_loss():
    init_default_scope('mmpose')
    logits = torch.randn(2, 3, 12, 16)
    common = dict(in_channels=4, out_channels=3, deconv_out_channels=None, decoder=CODEC)
    softmax_head = H3RHead(**common)
    binary_head = H3RHead(**common, loss=dict(type='HeatmapBinaryCrossEntropyLoss'))
    torch.testing.assert_close(
        softmax_head.probabilities(logits).flatten(2).sum(-1), torch.ones(2, 3)
    )
    torch.testing.assert_close(binary_head.probabilities(logits), torch.sigmoid(logits))
    with pytest.raises(
        ValueError, match='needs a loss that defines probabilities.*initial_logit.*KeypointMSELoss'
    ):
        H3RHead(**common, loss=dict(type='KeypointMSELoss'))


def test_initial_logits_hand_computed():
    assert HeatmapCrossEntropyLoss.initial_logit(1024) == 0.0
    assert HeatmapBinaryCrossEntropyLoss.initial_logit(2) == 0.0  # two cells: 1/2 each
    assert HeatmapBinaryCrossEntropyLoss.initial_logit(1024) == -math.log(1023)
    assert torch.sigmoid(torch.tensor(-math.log(3.0))).item() == pytest.approx(0.25)
    assert HeatmapBinaryCrossEntropyLoss.initial_logit(4) == pytest.approx(-math.log(3.0))


@pytest.mark.parametrize('loss', [HeatmapCrossEntropyLoss, HeatmapBinaryCrossEntropyLoss])
@pytest.mark.parametrize('num_cells', [1, 0, -4, 2.5, True, '16'])
def test_bad_num_cells_raises(loss, num_cells):
    with pytest.raises(ValueError, match=f'num_cells must be an integer >= 2, got {num_cells!r}'):
        loss.initial_logit(num_cells)
