"""Randomized-rounding heatmaps (H3R, Yu & Tao, TPAMI 2021).

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
    TOPK_BLOCK,
    bilinear_support,
    block_topk_mean,
    check_size,
    expected_heatmaps,
    global_topk_softmax,
    grid_to_input,
    input_to_grid,
    mean_shift,
    stochastic_heatmaps,
)

TARGET_TYPES = ('expected', 'stochastic')
DECODERS = ('mean_shift', 'topk', 'paper')


@KEYPOINT_CODECS.register_module()
class RandomizedRoundingHeatmap(BaseKeypointCodec):
    """Heatmap regression via randomized rounding (H3R).

    Encoding places the keypoint's probability mass on the 2x2 heatmap cells around it:
    ``'stochastic'`` draws one of them afresh at every encode by rounding each axis up with
    probability equal to its fractional part (the paper's target), ``'expected'`` puts the
    bilinear weights of that draw on all four (its expectation; no label noise).

    Decoding turns the probabilities back into a coordinate:

    - ``'mean_shift'`` (default): the centre of mass in a window of half-width ``radius``
      cells centred on the estimate itself, iterated from the peak
      (:func:`~h3r_mmpose.codecs.utils.mean_shift`). Exact on the expected target; on a
      blurred map (a trained network's output) it has no pull towards the peak cell.
    - ``'topk'``: the probability-weighted mean of the ``topk`` largest cells of the 5x5
      block around the peak (exact on the expected target for ``topk >= 4``).
    - ``'paper'``: the official release's decoder, global top-k with a softmax over the
      selected logits (:func:`~h3r_mmpose.codecs.utils.global_topk_softmax`); exact only
      where the support's odds are symmetric (a point on a cell or half-way between two).

    See the module docstring for the pixel convention and how bad keypoints are handled.

    Encoded:
        - heatmaps (np.ndarray): probabilities over the grid, shape (K, H, W), float32; each
          channel sums to 1, or is all zero where the keypoint weight is 0.
        - keypoint_weights (np.ndarray): shape (N=1, K), float32.

    Args:
        input_size (tuple): input image size ``(w, h)`` in pixels, each >= 2.
        heatmap_size (tuple): heatmap size ``(W, H)``, each >= 2.
        target_type (str): ``'expected'`` or ``'stochastic'``. Defaults to ``'expected'``.
        decoder (str): ``'mean_shift'``, ``'topk'`` or ``'paper'``. Defaults to
            ``'mean_shift'``.
        radius (float, optional): half-width in cells of the ``'mean_shift'`` window,
            >= 1.5 (the smallest that holds the 2x2 support); for targets smoothed by
            ``HeatmapCrossEntropyLoss(target_sigma=s)`` use ``ceil(3 * s) + 1.5`` or more.
            Only for ``'mean_shift'``; defaults to 3.5 there (the training benchmark's
            measured default; exact on targets smoothed by sigma up to 0.5).
        topk (int, optional): cells averaged by ``'topk'`` (1 to 25, the 5x5 block; 4, the
            2x2 support, is the smallest lossless value; default 4) or by ``'paper'`` (1 to
            ``W*H``; default 9, as in the release). Not used by ``'mean_shift'``.
    """

    label_mapping_table = dict(keypoint_weights='keypoint_weights')
    field_mapping_table = dict(heatmaps='heatmaps')

    def __init__(
        self,
        input_size: Tuple[int, int],
        heatmap_size: Tuple[int, int],
        target_type: str = 'expected',
        decoder: str = 'mean_shift',
        radius: Optional[float] = None,
        topk: Optional[int] = None,
    ) -> None:
        super().__init__()
        self.input_size = check_size('input_size', input_size)
        self.heatmap_size = check_size('heatmap_size', heatmap_size)
        if target_type not in TARGET_TYPES:
            raise ValueError(f'target_type must be one of {TARGET_TYPES}, got {target_type!r}')
        if decoder not in DECODERS:
            raise ValueError(f'decoder must be one of {DECODERS}, got {decoder!r}')
        self.radius, self.topk = self._decoding_arguments(decoder, radius, topk)
        self.target_type = target_type
        self.decoder = decoder

    def _decoding_arguments(
        self, decoder: str, radius: Optional[float], topk: Optional[int]
    ) -> Tuple[Optional[float], Optional[int]]:
        """Validate ``radius`` and ``topk`` for ``decoder`` and fill in its defaults.

        Raises:
            ValueError: naming the argument and its value, also for an argument the chosen
                decoder does not use (it would be silently ignored).
        """
        if decoder == 'mean_shift':
            if topk is not None:
                raise ValueError(f"topk is not used by decoder 'mean_shift', got topk={topk!r}")
            radius = 3.5 if radius is None else radius
            if not isinstance(radius, (int, float)) or not 1.5 <= radius < float('inf'):
                raise ValueError(f'radius must be a finite number >= 1.5, got {radius!r}')
            return float(radius), None
        if radius is not None:
            raise ValueError(f"radius is only used by decoder 'mean_shift', got radius={radius!r}")
        width, height = self.heatmap_size
        if decoder == 'paper':
            topk = 9 if topk is None else topk
            max_topk, cells = width * height, f'the {width}x{height} map'
        else:
            topk = 4 if topk is None else topk
            max_topk = min(TOPK_BLOCK, width) * min(TOPK_BLOCK, height)
            cells = f'the {TOPK_BLOCK}x{TOPK_BLOCK} block around the peak, within {width}x{height}'
        if not isinstance(topk, (int, np.integer)) or not 1 <= topk <= max_topk:
            raise ValueError(
                f'topk must be an integer from 1 to {max_topk} (the cells of {cells}), got {topk!r}'
            )
        return None, int(topk)

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
            - scores (Tensor): shape (B, K): the probability mass of the averaged cells
              (``'mean_shift'``, ``'topk'``), or their mean probability (``'paper'``).
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
        if self.decoder == 'mean_shift':
            grid_coords, scores = mean_shift(maps, self.radius)
        elif self.decoder == 'topk':
            grid_coords, scores = block_topk_mean(maps, self.topk)
        else:
            grid_coords, scores = global_topk_softmax(maps, self.topk)
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
