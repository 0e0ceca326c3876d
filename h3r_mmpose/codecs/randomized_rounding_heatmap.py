"""Randomized-rounding heatmaps: H3R, from Baosheng Yu and Dacheng Tao, "Heatmap Regression
via Randomized Rounding", IEEE TPAMI 2021 (https://arxiv.org/abs/2009.00225).

Pixel convention
----------------
Input pixel ``i`` has its centre at coordinate ``i`` (as in MMPose's ``TopdownAffine`` and
OpenCV), so the input frame is ``[0, w-1] x [0, h-1]``. Heatmap cell ``j`` sits at input
coordinate ``j * (w-1) / (W-1)``: the grid spans the frame from corner pixel centre to corner
pixel centre. Two consequences follow, and the tests prove both:

* Every point of the frame, borders included, has a 2x2 support inside the heatmap, so the
  round trip ``decode(encode(x))`` is exact over the whole frame at any stride.
* The grid is mirror-symmetric: the flip ``x -> w-1-x`` applied by MMPose's ``RandomFlip`` and
  flip test maps cell ``j`` to cell ``W-1-j``. A flipped heatmap is the reversed array, so flip
  testing is exact with ``shift_heatmap=False``.

Data that cannot be encoded
---------------------------
A keypoint that is invisible (visibility <= 0 or NaN), has a NaN/inf coordinate, or lies
outside the closed frame ``[0, w-1] x [0, h-1]`` gets ``keypoint_weight == 0`` and an all-zero
heatmap channel, so it contributes nothing to the loss.
"""

from typing import Optional, Tuple

import numpy as np
import torch
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.registry import KEYPOINT_CODECS
from torch import Tensor

from .utils import (
    DECODERS,
    DEFAULT_DECODER,
    bilinear_support,
    check_decoder_arguments,
    check_size,
    decoder_argument_names,
    expected_heatmaps,
    grid_to_input,
    input_to_grid,
    stochastic_heatmaps,
)

TARGET_TYPES = ('expected', 'stochastic')


@KEYPOINT_CODECS.register_module()
class RandomizedRoundingHeatmap(BaseKeypointCodec):
    """Heatmap regression via randomized rounding (H3R).

    See `Heatmap Regression via Randomized Rounding`_ (TPAMI 2021) for details.

    .. _`Heatmap Regression via Randomized Rounding`: https://arxiv.org/abs/2009.00225

    Encoding places the keypoint's probability mass on the 2x2 heatmap cells around it:
    ``'stochastic'`` draws one of them afresh at every encode by rounding each axis up with
    probability equal to its fractional part (the paper's target), ``'expected'`` puts the
    bilinear weights of that draw on all four (its expectation; no label noise).

    Decoding turns the probabilities back into a coordinate with one of the decoders of
    :data:`~h3r_mmpose.codecs.utils.DECODERS`, the table that names each decoder's function,
    its arguments, their defaults and their checks.

    See the module docstring for the pixel convention and how bad keypoints are handled.

    Note:
        - instance number: N (1: the codec encodes one top-down instance at a time)
        - keypoint number: K
        - keypoint dimension: D (2)
        - image size: [w, h]
        - heatmap size: [W, H]

    Encoded:
        - heatmaps (np.ndarray): probabilities over the grid, shape (K, H, W), float32; each
          channel sums to 1, or is all zero where the keypoint weight is 0.
        - keypoint_weights (np.ndarray): shape (N, K), float32.

    Args:
        input_size (tuple): input image size ``[w, h]`` in pixels, each >= 2.
        heatmap_size (tuple): heatmap size ``[W, H]``, each >= 2.
        target_type (str): ``'expected'`` or ``'stochastic'``. Defaults to ``'expected'``.
        decoder (str): a name in :data:`~h3r_mmpose.codecs.utils.DECODERS`. Defaults to
            :data:`~h3r_mmpose.codecs.utils.DEFAULT_DECODER`.
        **decoder_arguments: the chosen decoder's arguments (e.g. ``radius`` of
            ``'mean_shift'``, ``topk`` of ``'topk'`` and ``'paper'``); one not given or None
            takes the table's default. An argument that only another decoder takes raises a
            ``ValueError``, since it would be silently ignored. Each argument of any decoder
            is also an attribute of the codec, None where the chosen decoder does not take it.
    """

    label_mapping_table = dict(keypoint_weights='keypoint_weights')
    field_mapping_table = dict(heatmaps='heatmaps')

    def __init__(
        self,
        input_size: Tuple[int, int],
        heatmap_size: Tuple[int, int],
        target_type: str = 'expected',
        decoder: str = DEFAULT_DECODER,
        **decoder_arguments,
    ) -> None:
        super().__init__()
        self.input_size = check_size('input_size', input_size)
        self.heatmap_size = check_size('heatmap_size', heatmap_size)
        if target_type not in TARGET_TYPES:
            raise ValueError(f'target_type must be one of {TARGET_TYPES}, got {target_type!r}')
        self.decoder_arguments = check_decoder_arguments(
            decoder, self.heatmap_size, decoder_arguments
        )
        for name in decoder_argument_names():
            setattr(self, name, self.decoder_arguments.get(name))
        self.target_type = target_type
        self.decoder = decoder

    def encode(self, keypoints: np.ndarray, keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """Encode one instance's keypoints into randomized-rounding heatmaps.

        Args:
            keypoints (np.ndarray): keypoints in input pixels, shape (1, K, 2).
            keypoints_visible (np.ndarray, optional): visibility, shape (1, K). Defaults to
                all visible.

        Returns:
            dict: ``heatmaps`` (K, H, W) and ``keypoint_weights`` (1, K); see the class
            docstring.
        """
        keypoints = np.asarray(keypoints, dtype=np.float64)
        if keypoints.ndim != 3 or keypoints.shape[2] != 2:
            raise ValueError(f'keypoints must have shape (1, K, 2), got {keypoints.shape}')
        if keypoints.shape[0] != 1:
            raise ValueError(
                f'{type(self).__name__} encodes one instance at a time '
                f'(top-down), got keypoints with N={keypoints.shape[0]}'
            )
        num_keypoints = keypoints.shape[1]
        if keypoints_visible is None:
            keypoints_visible = np.ones((1, num_keypoints), dtype=np.float32)
        keypoints_visible = np.asarray(keypoints_visible, dtype=np.float32)
        if keypoints_visible.shape != (1, num_keypoints):
            raise ValueError(
                f'keypoints_visible must have shape (1, {num_keypoints}), got '
                f'{keypoints_visible.shape}'
            )

        grid_coords = input_to_grid(keypoints[0], self.input_size, self.heatmap_size)
        last_cell = np.asarray(self.heatmap_size) - 1
        with np.errstate(invalid='ignore'):
            inside = np.all((grid_coords >= 0) & (grid_coords <= last_cell), axis=1)
            visible = np.nan_to_num(keypoints_visible[0], nan=0.0) > 0
        valid = inside & visible  # NaN/inf coordinates fail `inside`
        keypoint_weights = np.where(valid, keypoints_visible[0], 0).astype(np.float32)

        # Invalid points get a harmless in-range position; their channels are zeroed below.
        corner, fraction = bilinear_support(
            np.where(valid[:, None], grid_coords, 0.0), self.heatmap_size
        )
        if self.target_type == 'expected':
            heatmaps = expected_heatmaps(corner, fraction, self.heatmap_size)
        else:
            heatmaps = stochastic_heatmaps(corner, fraction, self.heatmap_size)
        heatmaps[~valid] = 0
        return dict(heatmaps=heatmaps, keypoint_weights=keypoint_weights[None])

    def decode(self, encoded: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Decode one sample's heatmaps; the same computation as :meth:`batch_decode`.

        Args:
            encoded (np.ndarray): probabilities over the grid, shape (K, H, W).

        Returns:
            tuple:
            - keypoints (np.ndarray): input-pixel coordinates, shape (1, K, 2).
            - scores (np.ndarray): probability mass of the averaged cells, shape (1, K).
        """
        encoded = np.asarray(encoded)
        if encoded.ndim != 3:
            raise ValueError(f'encoded must have shape (K, H, W), got {encoded.shape}')
        keypoints, scores = self.batch_decode(torch.from_numpy(encoded[None]))
        return keypoints[0], scores[0]

    def batch_decode(self, batch_heatmaps: Tensor) -> Tuple[np.ndarray, np.ndarray]:
        """Decode a batch of heatmaps (on their device) to numpy, as MMPose's heads expect.

        Args:
            batch_heatmaps (Tensor): probabilities over the grid, shape (B, K, H, W).

        Returns:
            tuple:
            - keypoints (np.ndarray): input-pixel coordinates, shape (B, 1, K, 2).
            - scores (np.ndarray): see :meth:`decode_tensor`, shape (B, 1, K).
        """
        keypoints, scores = self.decode_tensor(batch_heatmaps.detach())
        return (
            keypoints[:, None].float().cpu().numpy(),
            scores[:, None].float().cpu().numpy(),
        )

    def decode_tensor(self, heatmaps: Tensor) -> Tuple[Tensor, Tensor]:
        """Decode in torch: the computation that ONNX export puts inside the graph.

        Non-finite and negative values count as zero. A map with no positive cell near its
        peak (e.g. all zero or all NaN) decodes to the frame centre with score 0, so one bad
        channel cannot break the evaluation of a dataset.

        Args:
            heatmaps (Tensor): probabilities over the grid, shape (B, K, H, W).

        Returns:
            tuple:
            - keypoints (Tensor): input-pixel coordinates, shape (B, K, 2), float64
              (float32 while tracing for export).
            - scores (Tensor): the decoder's score, shape (B, K), e.g. the probability mass
              of the averaged cells.
        """
        if heatmaps.ndim != 4:
            raise ValueError(f'heatmaps must have shape (B, K, H, W), got {tuple(heatmaps.shape)}')
        batch_size, num_keypoints, height, width = heatmaps.shape
        if (width, height) != self.heatmap_size:
            raise ValueError(
                f'heatmaps of size (W, H)=({width}, {height}) do not match the '
                f'codec heatmap_size {self.heatmap_size}'
            )
        maps = heatmaps.reshape(-1, height, width)
        decode = DECODERS[self.decoder].function
        grid_coords, scores = decode(maps, **self.decoder_arguments)
        keypoints = grid_to_input(grid_coords, self.input_size, self.heatmap_size)
        frame_centre = keypoints.new_tensor(
            [(self.input_size[0] - 1) / 2, (self.input_size[1] - 1) / 2]
        )
        has_mass = scores > 0  # False also where the mass is NaN
        keypoints = torch.where(has_mass[:, None], keypoints, frame_centre)
        scores = torch.where(has_mass, scores, torch.zeros_like(scores))
        return (
            keypoints.reshape(batch_size, num_keypoints, 2),
            scores.reshape(batch_size, num_keypoints),
        )
