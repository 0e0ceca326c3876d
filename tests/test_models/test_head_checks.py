"""The H3R heads refuse, with a message naming the setting, what would silently give wrong
numbers: shift_heatmap=True, a decoder of another codec, targets of another codec."""

import copy

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData, PixelData
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.structures import PoseDataSample
from utils import ROOT

import h3r_mmpose  # noqa: F401  (registers the plugin)
from h3r_mmpose.models.heads.head_checks import (
    CheckedTestCfgMixin,
    check_targets,
    check_test_cfg,
)

TINY_CONFIG = ROOT / 'tests' / 'data' / 'tiny_h3r_coco.py'

pytestmark = pytest.mark.usefixtures('mmpose_scope_on_one_thread')


def tiny_model_cfg():
    return copy.deepcopy(Config.fromfile(str(TINY_CONFIG)).model)


# ------------------------------------------------------------------------ test_cfg
def test_shift_heatmap_fails_while_the_model_is_built():
    model_cfg = tiny_model_cfg()
    MODELS.build(model_cfg)  # the shipped setting builds
    model_cfg.test_cfg.shift_heatmap = True
    with pytest.raises(ValueError, match=r'test_cfg.shift_heatmap=True .* by a heatmap cell'):
        MODELS.build(model_cfg)


def test_flip_modes_other_than_heatmap_fail_while_the_model_is_built():
    model_cfg = tiny_model_cfg()
    model_cfg.test_cfg.flip_mode = 'udp_combined'
    with pytest.raises(ValueError, match=r"flip_mode='udp_combined'.*flip_mode='heatmap'"):
        MODELS.build(model_cfg)
    # Without flip testing the flip mode is never used, as in MMPose.
    model_cfg.test_cfg.flip_test = False
    MODELS.build(model_cfg)


def test_checked_test_cfg_validates_every_assignment():
    class Holder(CheckedTestCfgMixin):
        pass

    holder = Holder()
    assert holder.test_cfg == {}  # never assigned
    holder.test_cfg = dict(flip_test=True, shift_heatmap=False)
    assert holder.test_cfg == dict(flip_test=True, shift_heatmap=False)
    with pytest.raises(ValueError, match='shift_heatmap'):
        holder.test_cfg = dict(shift_heatmap=True)
    assert holder.test_cfg == dict(flip_test=True, shift_heatmap=False)  # unchanged
    holder.test_cfg = None
    assert holder.test_cfg == {}
    assert check_test_cfg(None) == {}


@pytest.mark.parametrize(
    'head_cfg',
    [
        dict(type='H3RHead', in_channels=8, out_channels=3, deconv_out_channels=None),
        dict(type='H3RCPMHead', in_channels=8, out_channels=3, num_stages=2),
        dict(type='H3RMSPNHead', num_stages=1, num_units=2, out_shape=(16, 12), out_channels=3),
        dict(type='H3RViPNASHead', in_channels=8, out_channels=3, deconv_out_channels=None),
    ],
    ids=lambda cfg: cfg['type'],
)
def test_every_head_checks_its_test_cfg(head_cfg):
    codec = dict(type='RandomizedRoundingHeatmap', input_size=(48, 64), heatmap_size=(12, 16))
    head = MODELS.build(dict(head_cfg, decoder=codec))
    head.test_cfg = dict(flip_test=True, shift_heatmap=False)  # as the estimator assigns it
    with pytest.raises(ValueError, match='shift_heatmap=True'):
        head.test_cfg = dict(flip_test=True, shift_heatmap=True)


# ------------------------------------------------------------------------ decoder
@pytest.mark.parametrize('codec_type', ['MSRAHeatmap', 'UDPHeatmap'])
def test_head_with_another_codec_as_decoder_fails_at_build(codec_type):
    model_cfg = tiny_model_cfg()
    model_cfg.head.decoder = dict(
        type=codec_type, input_size=(96, 128), heatmap_size=(24, 32), sigma=2
    )
    with pytest.raises(ValueError, match=f"decoder type '{codec_type}'"):
        MODELS.build(model_cfg)


def test_head_without_decoder_builds_as_in_mmpose():
    model_cfg = tiny_model_cfg()
    model_cfg.head.decoder = None
    assert MODELS.build(model_cfg).head.decoder is None


# ------------------------------------------------------------------------ targets
def samples_with_targets(heatmaps: np.ndarray) -> list:
    """One packed training sample per target stack (K, H, W)."""
    samples = []
    for target in heatmaps:
        sample = PoseDataSample()
        sample.gt_fields = PixelData(heatmaps=torch.from_numpy(target))
        sample.gt_instance_labels = InstanceData(keypoint_weights=torch.ones(1, len(target)))
        samples.append(sample)
    return samples


def test_gaussian_targets_fail_at_the_first_loss():
    """What `mim train` meets with a stale pipeline: MSRA targets reach the H3R head."""
    model = MODELS.build(tiny_model_cfg())
    keypoints = np.array([[[40.3, 60.7], [10.0, 100.5]] + [[48.0, 64.0]] * 15])
    feats = model.extract_feat(torch.zeros(1, 3, 128, 96))
    msra = KEYPOINT_CODECS.build(
        dict(type='MSRAHeatmap', input_size=(96, 128), heatmap_size=(24, 32), sigma=2)
    )
    gaussian = msra.encode(keypoints)['heatmaps'][None]
    with pytest.raises(ValueError, match=r'sums to 25\.\d.*not the head'):
        model.head.loss(feats, samples_with_targets(gaussian))
    # The codec's own targets pass: distributions over the grid, and zero channels.
    expected = model.head.decoder.encode(keypoints, np.array([[1.0, 0.0] + [1.0] * 15]))
    model.head.loss(feats, samples_with_targets(expected['heatmaps'][None]))


def test_targets_of_another_size_name_both_shapes():
    logits = torch.zeros(2, 17, 32, 24)
    with pytest.raises(ValueError, match=r'\(2, 17, 64, 48\) do not match .*\(2, 17, 32, 24\)'):
        check_targets(torch.zeros(2, 17, 64, 48), logits)
    nan_target = torch.zeros(2, 17, 32, 24)
    nan_target[1, 3, 0, 0] = float('nan')
    with pytest.raises(ValueError, match='sums to nan'):
        check_targets(nan_target, logits)
    one_hot = torch.zeros(2, 17, 32, 24)
    one_hot[..., 5, 7] = 1
    check_targets(one_hot, logits)
