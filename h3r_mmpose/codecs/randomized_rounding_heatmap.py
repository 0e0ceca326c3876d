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

#: Side of the square block around the peak in which the top-k cells are searched. A 5x5
#: block holds the 2x2 support of any target around its maximum (so decoding stays
#: lossless), keeps a distant second mode out of the mean, and is what makes batch decoding
#: cheaper than a full-map top-k.
PEAK_WINDOW = 5

TARGET_TYPES = ('expected', 'stochastic')


def _check_size(name: str, size) -> Tuple[int, int]:
    """Validate a ``(width, height)`` pair of integers >= 2."""
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(v, (int, np.integer)) for v in size)
        or min(size) < 2
    ):
        raise ValueError(f'{name} must be a (width, height) pair of integers >= 2, got {size!r}')
    return int(size[0]), int(size[1])


def input_to_grid_scale(input_size: Tuple[int, int], heatmap_size: Tuple[int, int]) -> np.ndarray:
    """Heatmap cells per input pixel along (x, y) under the corner-to-corner grid.

    Returns:
        np.ndarray: shape (2,), ``(W-1)/(w-1), (H-1)/(h-1)``.
    """
    return (np.asarray(heatmap_size, dtype=np.float64) - 1) / (
        np.asarray(input_size, dtype=np.float64) - 1
    )


def bilinear_support(
    grid_coords: np.ndarray, heatmap_size: Tuple[int, int]
) -> Tuple[np.ndarray, np.ndarray]:
    """Lower-left corner and fractional offset of each point's 2x2 support.

    The corner is clipped to ``size - 2`` so a point on the last row or column keeps its
    support inside the map (with fraction 1 instead of a neighbour that falls off it).

    Args:
        grid_coords (np.ndarray): points in heatmap cells, shape (K, 2), inside the grid.
        heatmap_size (tuple): ``(W, H)``.

    Returns:
        tuple:
        - corner (np.ndarray): integer cell of the support's low corner, shape (K, 2).
        - fraction (np.ndarray): offset from that corner in [0, 1], shape (K, 2).
    """
    last_corner = np.asarray(heatmap_size) - 2
    corner = np.clip(np.floor(grid_coords), 0, last_corner).astype(np.int64)
    return corner, grid_coords - corner


def expected_heatmaps(
    corner: np.ndarray, fraction: np.ndarray, heatmap_size: Tuple[int, int]
) -> np.ndarray:
    """The bilinear 2x2 targets: the expectation of the randomized-rounding draws.

    Args:
        corner (np.ndarray): support corners, shape (K, 2), from :func:`bilinear_support`.
        fraction (np.ndarray): offsets in [0, 1], shape (K, 2).
        heatmap_size (tuple): ``(W, H)``.

    Returns:
        np.ndarray: probabilities over the grid, shape (K, H, W), each channel sums to 1.
    """
    width, height = heatmap_size
    num_keypoints = corner.shape[0]
    heatmaps = np.zeros((num_keypoints, height * width), dtype=np.float32)
    fx, fy = fraction[:, 0:1], fraction[:, 1:2]
    weights = np.concatenate([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy], axis=1)
    low = corner[:, 1:2] * width + corner[:, 0:1]
    cells = np.concatenate([low, low + 1, low + width, low + width + 1], axis=1)
    heatmaps[np.arange(num_keypoints)[:, None], cells] = weights
    return heatmaps.reshape(num_keypoints, height, width)


def stochastic_heatmaps(
    corner: np.ndarray, fraction: np.ndarray, heatmap_size: Tuple[int, int]
) -> np.ndarray:
    """One-hot targets at a 2x2 neighbour drawn by randomized rounding.

    Each axis rounds up with probability equal to its fractional part, so the drawn cell's
    expectation is the point itself. Draws come from NumPy's global generator, which
    MMEngine seeds per worker from the config's ``randomness``.

    Args:
        corner (np.ndarray): support corners, shape (K, 2).
        fraction (np.ndarray): offsets in [0, 1], shape (K, 2).
        heatmap_size (tuple): ``(W, H)``.

    Returns:
        np.ndarray: one-hot heatmaps, shape (K, H, W).
    """
    width, height = heatmap_size
    num_keypoints = corner.shape[0]
    drawn = corner + (np.random.random(fraction.shape) < fraction)
    heatmaps = np.zeros((num_keypoints, height, width), dtype=np.float32)
    heatmaps[np.arange(num_keypoints), drawn[:, 1], drawn[:, 0]] = 1.0
    return heatmaps


def usable_weights(values: Tensor) -> Tensor:
    """Heatmap values as averaging weights: NaN, infinite and negative values count as 0."""
    return torch.where(torch.isfinite(values) & (values > 0), values, torch.zeros_like(values))


def max_cells(flat_maps: Tensor) -> Tuple[Tensor, Tensor]:
    """Each row's maximum and a flat index where it occurs.

    ``Tensor.max(dim)`` tracks indices element by element and is slow on CPU. When a row
    splits into 64- or 32-wide lanes, a vectorised ``amax`` over the lanes finds the lane
    holding the maximum, and a search of that lane alone finds its position: about 4x faster
    on 64x48 maps, with the same maximum (on ties, possibly another cell holding it).

    Args:
        flat_maps (Tensor): shape (N, L).

    Returns:
        tuple: maxima (N,) and flat indices (N,), int64. NaN propagates to the maximum.
    """
    num_maps, length = flat_maps.shape
    lanes = next((lanes for lanes in (64, 32) if length % lanes == 0), None)
    if lanes is None:
        return flat_maps.max(dim=1)
    chunks = flat_maps.view(num_maps, length // lanes, lanes)
    lane_maxima = chunks.amax(dim=1)  # (N, lanes)
    maxima, lane = lane_maxima.max(dim=1)
    lane_values = chunks.gather(2, lane.view(-1, 1, 1).expand(-1, length // lanes, 1))
    chunk = lane_values.squeeze(2).argmax(dim=1)
    return maxima, chunk * lanes + lane


def peak_indices(flat_maps: Tensor) -> Tensor:
    """Flat index of a largest usable value of each map.

    Only maps whose maximum is NaN or +inf are cleaned (see :func:`usable_weights`) and
    searched again, so well-formed batches pay for no cleaning pass.

    Args:
        flat_maps (Tensor): shape (N, H*W).

    Returns:
        Tensor: shape (N,), int64.
    """
    maxima, indices = max_cells(flat_maps)
    unusable = ~torch.isfinite(maxima)
    if unusable.any():
        indices[unusable] = usable_weights(flat_maps[unusable]).argmax(dim=1)
    return indices


def window_lengths(heatmap_size: Tuple[int, int]) -> Tuple[int, int]:
    """Width and height of the block searched around the peak: 5 cells, or the map's size."""
    return (min(PEAK_WINDOW, heatmap_size[0]), min(PEAK_WINDOW, heatmap_size[1]))


def topk_around_peak(maps: Tensor, topk: int) -> Tuple[Tensor, Tensor]:
    """Weighted mean of the top-k cells of the 5x5 block around each map's peak.

    The block is centred on the peak and shifted inwards where it would cross the map's
    border, so it always holds the peak's whole 3x3 neighbourhood (and with it the 2x2
    support of any bilinear target) without any out-of-map cells.

    Args:
        maps (Tensor): heatmaps, shape (N, H, W); values that are not finite and positive
            count as zero weight.
        topk (int): number of cells averaged, at most the block's cell count.

    Returns:
        tuple:
        - grid_coords (Tensor): (column, row) means in heatmap cells, shape (N, 2), float64;
          NaN where the selected weights sum to zero.
        - mass (Tensor): the sum of the selected weights, shape (N,), float64.
    """
    num_maps, height, width = maps.shape
    block_width, block_height = window_lengths((width, height))
    flat_maps = maps.reshape(num_maps, height * width)
    peak = peak_indices(flat_maps)
    top = (peak // width - PEAK_WINDOW // 2).clamp(0, height - block_height)  # (N,)
    left = (peak % width - PEAK_WINDOW // 2).clamp(0, width - block_width)
    block_rows = torch.arange(block_height, device=maps.device)
    block_columns = torch.arange(block_width, device=maps.device)
    block_index = (block_rows[:, None] * width + block_columns[None, :]).flatten()
    flat_index = (top * width + left)[:, None] + block_index  # (N, block cells)
    block = usable_weights(flat_maps.gather(1, flat_index)).double()
    top_values, top_slots = block.topk(topk, dim=1)
    mass = top_values.sum(dim=1)
    top_cells = torch.stack(
        [left[:, None] + top_slots % block_width, top[:, None] + top_slots // block_width], dim=-1
    )
    grid_coords = (top_values[..., None] * top_cells).sum(dim=1) / mass[:, None]
    return grid_coords, mass


@KEYPOINT_CODECS.register_module()
class RandomizedRoundingHeatmap(BaseKeypointCodec):
    """Heatmap regression via randomized rounding (H3R).

    Encoding places the keypoint's probability mass on the 2x2 heatmap cells around it:
    ``'stochastic'`` draws one of them afresh at every encode by rounding each axis up with
    probability equal to its fractional part (the paper's target), ``'expected'`` puts the
    bilinear weights of that draw on all four (its expectation; no label noise). Decoding
    takes the probability-weighted mean of the ``topk`` largest cells around the peak, which
    returns the exact coordinate from the expected target at any stride. See the module
    docstring for the pixel convention and how bad keypoints are handled.

    Encoded:
        - heatmaps (np.ndarray): probabilities over the grid, shape (K, H, W), float32; each
          channel sums to 1, or is all zero where the keypoint weight is 0.
        - keypoint_weights (np.ndarray): shape (N=1, K), float32.

    Args:
        input_size (tuple): input image size ``(w, h)`` in pixels, each >= 2.
        heatmap_size (tuple): heatmap size ``(W, H)``, each >= 2.
        target_type (str): ``'expected'`` or ``'stochastic'``. Defaults to ``'expected'``.
        topk (int): cells averaged by the decoder, from 1 to 25 (the 5x5 block around the
            peak; fewer on maps narrower than 5 cells). 4, the 2x2 support, is the smallest
            lossless value. Defaults to 4.
    """

    label_mapping_table = dict(keypoint_weights='keypoint_weights')
    field_mapping_table = dict(heatmaps='heatmaps')

    def __init__(
        self,
        input_size: Tuple[int, int],
        heatmap_size: Tuple[int, int],
        target_type: str = 'expected',
        topk: int = 4,
    ) -> None:
        super().__init__()
        self.input_size = _check_size('input_size', input_size)
        self.heatmap_size = _check_size('heatmap_size', heatmap_size)
        if target_type not in TARGET_TYPES:
            raise ValueError(f'target_type must be one of {TARGET_TYPES}, got {target_type!r}')
        max_topk = int(np.prod(window_lengths(self.heatmap_size)))
        if not isinstance(topk, (int, np.integer)) or not 1 <= topk <= max_topk:
            raise ValueError(
                f'topk must be an integer from 1 to {max_topk} (the cells of the '
                f'5x5 block around the peak, within heatmap_size '
                f'{self.heatmap_size}), got {topk!r}'
            )
        self.target_type = target_type
        self.topk = int(topk)
        self.scale = input_to_grid_scale(self.input_size, self.heatmap_size)

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

        # Multiply before dividing so the frame's corners map exactly onto the last cell.
        grid_coords = (
            keypoints[0] * (np.asarray(self.heatmap_size) - 1) / (np.asarray(self.input_size) - 1)
        )
        with np.errstate(invalid='ignore'):
            inside = np.all(
                (grid_coords >= 0) & (grid_coords <= np.asarray(self.heatmap_size) - 1), axis=1
            )
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
        """Decode a batch of heatmaps in torch, on their device.

        Non-finite and negative values count as zero. A map with no positive cell near its
        peak (e.g. all zero or all NaN) decodes to the frame centre with score 0, so one bad
        channel cannot break the evaluation of a dataset.

        Args:
            batch_heatmaps (Tensor): probabilities over the grid, shape (B, K, H, W).

        Returns:
            tuple:
            - keypoints (np.ndarray): input-pixel coordinates, shape (B, 1, K, 2).
            - scores (np.ndarray): probability mass of the averaged cells, shape (B, 1, K).
        """
        if batch_heatmaps.ndim != 4:
            raise ValueError(
                f'batch_heatmaps must have shape (B, K, H, W), got {tuple(batch_heatmaps.shape)}'
            )
        batch_size, num_keypoints, height, width = batch_heatmaps.shape
        if (width, height) != self.heatmap_size:
            raise ValueError(
                f'heatmaps of size (W, H)=({width}, {height}) do not match the '
                f'codec heatmap_size {self.heatmap_size}'
            )
        grid_coords, mass = topk_around_peak(
            batch_heatmaps.detach().reshape(-1, height, width), self.topk
        )

        keypoints = grid_coords / torch.from_numpy(self.scale).to(grid_coords)
        frame_centre = torch.tensor(
            [(self.input_size[0] - 1) / 2, (self.input_size[1] - 1) / 2],
            dtype=keypoints.dtype,
            device=keypoints.device,
        )
        empty = mass <= 0
        keypoints[empty] = frame_centre
        keypoints = keypoints.reshape(batch_size, 1, num_keypoints, 2)
        scores = mass.reshape(batch_size, 1, num_keypoints)
        return (keypoints.float().cpu().numpy(), scores.float().cpu().numpy())
