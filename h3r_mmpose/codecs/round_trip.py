"""Encode keypoints with any MMPose codec and decode them straight back.

Every codec is measured in crop pixels (input-image pixels after the top-down affine, the
frame ``[0, w-1] x [0, h-1]``). ``UDPHeatmap`` is the one MMPose codec whose decoder returns
another unit: ``u / (W-1) * w``, the value that MMPose's generic back-mapping needs after the
UDP affine. It is converted to crop pixels here, so UDP is not penalised for its convention.
"""

from typing import Tuple

import numpy as np
from mmpose.codecs import UDPHeatmap
from mmpose.codecs.base import BaseKeypointCodec


def decoded_to_crop_scale(codec: BaseKeypointCodec) -> np.ndarray:
    """Per-axis factor from a codec's decoded coordinates to crop pixels.

    Returns:
        np.ndarray: shape (2,); ``(w-1)/w, (h-1)/h`` for UDP, ones otherwise.
    """
    if isinstance(codec, UDPHeatmap):
        input_size = np.asarray(codec.input_size, dtype=np.float64)
        return (input_size - 1) / input_size
    return np.ones(2)


def decoder_inputs(encoded: dict) -> Tuple[np.ndarray, ...]:
    """The arrays a codec's ``decode`` takes, picked from its ``encode`` output.

    Args:
        encoded (dict): The output of ``codec.encode`` for one sample.

    Returns:
        tuple: ``(heatmaps,)`` for heatmap codecs, ``(keypoint_x_labels,
        keypoint_y_labels)`` for SimCC.
    """
    if 'heatmaps' in encoded:
        return (encoded['heatmaps'],)
    if 'keypoint_x_labels' in encoded:
        return (encoded['keypoint_x_labels'], encoded['keypoint_y_labels'])
    raise ValueError(
        'encoded must hold heatmaps or keypoint_x_labels and keypoint_y_labels, '
        f'got fields {sorted(encoded)}'
    )


def decode_encoded(codec: BaseKeypointCodec, encoded: dict) -> np.ndarray:
    """Decode a codec's own ``encode`` output, whatever fields it produced.

    Args:
        codec: any MMPose top-down codec with heatmap or SimCC labels.
        encoded (dict): the output of ``codec.encode``.

    Returns:
        np.ndarray: decoded keypoints in crop pixels, shape (1, K, 2).
    """
    keypoints, _ = codec.decode(*decoder_inputs(encoded))
    return np.asarray(keypoints, dtype=np.float64).reshape(1, -1, 2) * decoded_to_crop_scale(codec)


def codec_round_trip(
    codec: BaseKeypointCodec, keypoints: np.ndarray, keypoints_visible: np.ndarray
) -> np.ndarray:
    """``decode(encode(keypoints))`` in crop pixels.

    Args:
        codec: an MMPose codec.
        keypoints (np.ndarray): crop-pixel keypoints, shape (1, K, 2).
        keypoints_visible (np.ndarray): shape (1, K).

    Returns:
        np.ndarray: the decoded keypoints, shape (1, K, 2).
    """
    return decode_encoded(codec, codec.encode(keypoints, keypoints_visible))
