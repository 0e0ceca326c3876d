"""H3RHead: loss and gradients, prediction, and exact flip testing through the estimator."""

import functools
import math

import numpy as np
import pytest
import torch
from head_helpers import CHANNELS, CODEC, codec_samples
from mmengine.structures import InstanceData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

from h3r_mmpose.models.heads import H3RHead
from h3r_mmpose.models.utils import flip_average

NUM_KEYPOINTS = 4
make_samples = functools.partial(codec_samples, NUM_KEYPOINTS)

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


def make_head(**kwargs) -> H3RHead:
    """A head on 1/4-resolution features whose layers are 1x1 (flip-equivariant) unless
    ``kwargs`` add deconvolutions or convolutions."""
    args = dict(
        in_channels=CHANNELS, out_channels=NUM_KEYPOINTS, deconv_out_channels=None, decoder=CODEC
    )
    return H3RHead(**{**args, **kwargs})


def make_feats(batch_size: int = 2, seed: int = 0) -> tuple:
    generator = torch.Generator().manual_seed(seed)
    width, height = CODEC['heatmap_size']
    return (torch.randn(batch_size, CHANNELS, height, width, generator=generator),)


def test_loss_is_finite_with_training_accuracy():
    head = make_head()
    losses = head.loss(make_feats(), make_samples())
    assert set(losses) == {'loss_kpt', 'acc_pose'}
    # A random head is far from the targets: the loss is well above 0 (its minimum is the
    # targets' entropy, at most log 4 for the 2x2 expected targets).
    assert torch.isfinite(losses['loss_kpt']) and losses['loss_kpt'] > math.log(4)
    assert 0 <= losses['acc_pose'] <= 1
    assert set(head.loss(make_feats(), make_samples(), train_cfg=dict(compute_acc=False))) == {
        'loss_kpt'
    }


def test_zero_weight_keypoint_adds_no_loss_and_no_gradient():
    head = make_head()
    feats = make_feats()
    weights = [[1, 0, 1, 1], [1, 0, 1, 0.5]]
    samples = make_samples(weights=weights)
    loss = head.loss(feats, samples)['loss_kpt']
    loss.backward()
    # Keypoint 1 has weight 0 in every sample: its logits (channel 1 of the final 1x1 conv)
    # get no gradient; the weighted keypoints do.
    assert torch.count_nonzero(head.final_layer.weight.grad[1]) == 0
    assert head.final_layer.bias.grad[1] == 0
    assert torch.count_nonzero(head.final_layer.weight.grad[[0, 2, 3]]) > 0

    # Any target for the weightless keypoint gives the same loss.
    elsewhere = torch.zeros_like(samples[0].gt_fields.heatmaps[1])
    elsewhere[-1, 0] = 1
    samples[0].gt_fields.heatmaps[1] = elsewhere
    samples[1].gt_fields.heatmaps[1] = 1 / elsewhere.numel()
    with torch.no_grad():
        assert head.loss(feats, samples)['loss_kpt'] == loss
        # ... while the same change on a weighted keypoint does change it.
        samples[0].gt_fields.heatmaps[0] = elsewhere
        assert head.loss(feats, samples)['loss_kpt'] != loss


@pytest.mark.parametrize('flip_test', [False, True])
def test_predict_returns_keypoints_and_probability_heatmaps(flip_test):
    head = make_head(conv_out_channels=(CHANNELS,), conv_kernel_sizes=(3,))
    feats = make_feats(batch_size=3)
    if flip_test:
        feats = [feats, (torch.flip(feats[0], [-1]),)]
    preds, heatmaps = head.predict(
        feats,
        make_samples(batch_size=3, flip_indices=[1, 0, 2, 3]),
        test_cfg=dict(flip_test=flip_test, shift_heatmap=False, output_heatmaps=True),
    )
    width, height = CODEC['heatmap_size']
    assert len(preds) == len(heatmaps) == 3
    for pred, heatmap in zip(preds, heatmaps):
        assert pred.keypoints.shape == (1, NUM_KEYPOINTS, 2)
        assert pred.keypoint_scores.shape == (1, NUM_KEYPOINTS)
        assert heatmap.heatmaps.shape == (NUM_KEYPOINTS, height, width)
        assert (heatmap.heatmaps >= 0).all()
        torch.testing.assert_close(heatmap.heatmaps.sum(dim=(1, 2)), torch.ones(NUM_KEYPOINTS))
    # The maps decoded are the probabilities, flip-averaged when flip testing.
    with torch.no_grad():
        if flip_test:
            maps = [head.probabilities(head.forward(branch)) for branch in feats]
            expected = flip_average(*maps, flip_indices=[1, 0, 2, 3])
        else:
            expected = head.probabilities(head.forward(feats))
    torch.testing.assert_close(
        torch.stack([heatmap.heatmaps for heatmap in heatmaps]), expected, rtol=0, atol=0
    )
    # Without output_heatmaps only the instances come back.
    assert isinstance(
        head.predict(
            feats,
            make_samples(batch_size=3, flip_indices=[1, 0, 2, 3]),
            test_cfg=dict(flip_test=flip_test),
        ),
        list,
    )


def test_estimator_flip_test_is_mirror_equivariant():
    """Through TopdownPoseEstimator with a random (not flip-equivariant) ResNet: the flip-test
    prediction on the mirrored crop is the mirror (x -> w-1-x) of the prediction on the crop,
    keypoints swapped by flip_indices, for every keypoint, to float precision.

    Both flip-test passes average the same two probability maps, one of them mirrored; with
    the corner-to-corner grid, reversing a heatmap is exactly the mirror of the crop, so the
    decoded points are exact mirrors. (A mirror-symmetric crop would be the special case
    I == mirror(I), but there a self-symmetric keypoint's map has two equal peaks and the
    decoder's tie-break picks one, so it is not the general guarantee.)
    """
    width, height = 64, 96
    codec = dict(
        type='RandomizedRoundingHeatmap', input_size=(width, height), heatmap_size=(16, 24)
    )
    flip_indices = [1, 0, 2, 3]  # a left/right pair and two keypoints on the axis
    model = MODELS.build(
        dict(
            type='TopdownPoseEstimator',
            backbone=dict(type='ResNet', depth=18),
            head=dict(
                type='H3RHead',
                in_channels=512,
                out_channels=NUM_KEYPOINTS,
                deconv_out_channels=(16, 16, 16),
                deconv_kernel_sizes=(4, 4, 4),
                decoder=codec,
            ),
            test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False),
        )
    ).eval()

    def predict(image: torch.Tensor) -> np.ndarray:
        # The crop is the whole image: crop and image pixels coincide.
        sample = PoseDataSample(
            metainfo=dict(
                flip_indices=flip_indices,
                input_size=(width, height),
                input_center=np.array([width / 2, height / 2]),
                input_scale=np.array([width, height]),
            )
        )
        sample.gt_instances = InstanceData(
            bboxes=np.array([[0, 0, width, height]]), bbox_scores=np.ones(1)
        )
        with torch.no_grad():
            (result,) = model.predict(image, [sample])
        return result.pred_instances.keypoints[0]

    image = torch.randn(1, 3, height, width, generator=torch.Generator().manual_seed(0))
    keypoints, mirrored = predict(image), predict(image.flip(-1))
    expected = keypoints[flip_indices] * [-1, 1] + [width - 1, 0]
    np.testing.assert_allclose(mirrored, expected, rtol=0, atol=1e-4)

    # MMPose's one-cell shift (which the heads refuse at build) breaks the symmetry.
    model.test_cfg['shift_heatmap'] = True
    keypoints, mirrored = predict(image), predict(image.flip(-1))
    expected = keypoints[flip_indices] * [-1, 1] + [width - 1, 0]
    assert np.abs(mirrored - expected).max() > 0.5
