"""Decoding any MMPose codec's own encode output, in crop pixels."""

import numpy as np
import pytest
from mmpose.codecs import SimCCLabel, UDPHeatmap

from h3r_mmpose.codecs.round_trip import decode_encoded, decoder_inputs

INPUT_SIZE, HEATMAP_SIZE = (192, 256), (48, 64)


def test_decoder_inputs_pick_heatmaps_or_simcc_labels():
    heatmaps, x_labels, y_labels = np.zeros((1, 2, 2)), np.zeros((1, 4)), np.zeros((1, 5))
    assert decoder_inputs(dict(heatmaps=heatmaps, keypoint_weights=None))[0] is heatmaps
    inputs = decoder_inputs(dict(keypoint_x_labels=x_labels, keypoint_y_labels=y_labels))
    assert inputs[0] is x_labels and inputs[1] is y_labels
    with pytest.raises(
        ValueError, match=r"encoded must hold heatmaps .* got fields \['keypoints'\]"
    ):
        decoder_inputs(dict(keypoints=np.zeros((1, 1, 2))))


def test_udp_is_converted_to_crop_pixels():
    """UDP decodes to ``u / (W-1) * w``; on a grid cell that is ``x * w / (w-1)``, not x."""
    codec = UDPHeatmap(input_size=INPUT_SIZE, heatmap_size=HEATMAP_SIZE, sigma=2)
    cell = np.array([24, 30])
    grid_step = (np.array(INPUT_SIZE) - 1) / (np.array(HEATMAP_SIZE) - 1)
    keypoints = (cell * grid_step)[None, None]  # crop pixels, shape (1, 1, 2)
    encoded = codec.encode(keypoints, np.ones((1, 1)))
    raw, _ = codec.decode(encoded['heatmaps'])
    np.testing.assert_allclose(
        raw, keypoints * np.array(INPUT_SIZE) / (np.array(INPUT_SIZE) - 1), atol=0.02
    )
    np.testing.assert_allclose(decode_encoded(codec, encoded), keypoints, atol=0.02)


def test_simcc_labels_decode_through_the_same_path():
    codec = SimCCLabel(input_size=INPUT_SIZE, sigma=(4.9, 5.66), simcc_split_ratio=2.0)
    keypoints = np.array([[[10.5, 200.0], [100.0, 33.5]]])
    decoded = decode_encoded(codec, codec.encode(keypoints, np.ones((1, 2))))
    assert decoded.shape == (1, 2, 2)
    np.testing.assert_allclose(decoded, keypoints, atol=0.5)  # half-pixel bins
