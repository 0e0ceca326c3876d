"""Mixed precision and the decoder: half-precision probability maps decode close to float32,
and the head hands the decoder float32 maps even under autocast."""

import math

import numpy as np
import pytest
import torch
from mmpose.registry import KEYPOINT_CODECS

import h3r_mmpose  # noqa: F401  (registers the codec and head)
from h3r_mmpose.models.heads import H3RHead

#: Unit roundoff (half the spacing of significands in [1, 2)) of each format.
UNIT_ROUNDOFF = {torch.float16: 2.0**-11, torch.bfloat16: 2.0**-9}
TOLERANCE_PX = 0.01


def codec_at(stride: int):
    size = 256 // stride
    return KEYPOINT_CODECS.build(
        dict(type='RandomizedRoundingHeatmap', input_size=(256, 256), heatmap_size=(size, size))
    )


def rounding_bound_px(codec, dtype) -> float:
    """How far rounding the weights can move their mean over a 2x2 support, in input px.

    Each weight w_i is stored as w_i (1 + e_i) with |e_i| <= u, so the weighted mean moves by
    sum_i w_i e_i (x_i - m) / sum_i w_i (1 + e_i), at most u / (1 - u) cells per axis (the
    cells lie within one cell of the mean); both axes together give a factor sqrt(2).
    """
    u = UNIT_ROUNDOFF[dtype]
    spacing = (np.asarray(codec.input_size) - 1) / (np.asarray(codec.heatmap_size) - 1)
    return float(math.sqrt(2) * u / (1 - u) * spacing.max())


def decode_error_px(codec, dtype, num_keypoints: int = 2000) -> float:
    """Largest distance between the decodes of float32 and ``dtype`` targets of keypoints
    spread over the whole frame."""
    rng = np.random.default_rng(0)
    keypoints = rng.uniform(0, 255, (1, num_keypoints, 2))
    heatmaps = torch.from_numpy(codec.encode(keypoints)['heatmaps'][None])
    reference, _ = codec.batch_decode(heatmaps)
    decoded, scores = codec.batch_decode(heatmaps.to(dtype))
    assert np.isfinite(decoded).all() and np.isfinite(scores).all()
    return float(np.linalg.norm(decoded - reference, axis=-1).max())


@pytest.mark.parametrize('stride', [4, 8, 16])
def test_float16_maps_decode_within_0_01_px_of_float32(stride):
    codec = codec_at(stride)
    error = decode_error_px(codec, torch.float16)
    assert error < TOLERANCE_PX
    assert error <= rounding_bound_px(codec, torch.float16)


@pytest.mark.parametrize('stride', [4, 8, 16])
def test_bfloat16_maps_decode_within_their_rounding_bound(stride):
    """bfloat16 keeps 8 significant bits: within 0.01 px at stride 4 (the configs' default),
    but the bound grows with the cell spacing (0.023 px at stride 8, 0.047 px at 16) and the
    worst keypoints reach about half of it, beyond 0.01 px. So the head never hands the
    decoder bfloat16 maps (next test)."""
    codec = codec_at(stride)
    error = decode_error_px(codec, torch.bfloat16)
    assert error <= rounding_bound_px(codec, torch.bfloat16)
    if stride == 4:
        assert error < TOLERANCE_PX
    else:
        assert error > TOLERANCE_PX / 2  # the bound is not loose: bfloat16 does cost this


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_head_gives_the_decoder_float32_maps_under_autocast(dtype):
    codec = dict(type='RandomizedRoundingHeatmap', input_size=(64, 64), heatmap_size=(16, 16))
    head = H3RHead(in_channels=8, out_channels=3, deconv_out_channels=None, decoder=codec).eval()
    feats = (torch.randn(2, 8, 16, 16, generator=torch.Generator().manual_seed(0)),)
    samples = [type('Sample', (), {'metainfo': {'flip_indices': [0, 1, 2]}})()] * 2
    with torch.no_grad():
        with torch.autocast('cpu', dtype=dtype):
            assert head.forward(feats).dtype == dtype  # the logits are half precision
            preds, maps = head.predict(feats, samples, dict(output_heatmaps=True))
    assert all(field.heatmaps.dtype == torch.float32 for field in maps)
    for field in maps:
        torch.testing.assert_close(field.heatmaps.sum(dim=(1, 2)), torch.ones(3))
    assert all(np.isfinite(pred.keypoints).all() for pred in preds)
