"""Decoding a heatmap as the weighted mean of its top cells: the 5x5-block top-k and the
paper's global top-k. Both are pure torch and traceable for ONNX export."""

from typing import Tuple

import torch
from torch import Tensor

from .block import decoding_dtype, peak_block

#: Side of the block around the peak searched by :func:`block_topk_mean`. A 5x5 block holds
#: the 2x2 support of any bilinear target around its maximum (so decoding stays lossless)
#: and keeps a distant second mode out of the mean.
TOPK_BLOCK = 5


def block_topk_mean(maps: Tensor, topk: int) -> Tuple[Tensor, Tensor]:
    """Weighted mean of the top-k cells of the 5x5 block around each map's peak.

    Args:
        maps (Tensor): heatmaps, shape (N, H, W); values that are not finite and positive
            count as zero weight.
        topk (int): number of cells averaged, from 1 to the block's cell count.

    Returns:
        tuple:
        - grid_coords (Tensor): (column, row) in heatmap cells, shape (N, 2); NaN where the
          selected weights sum to zero.
        - mass (Tensor): the sum of the selected weights, shape (N,).
    """
    block, corner, _ = peak_block(maps, TOPK_BLOCK)
    num_maps, _, block_width = block.shape
    values, slots = block.reshape(num_maps, -1).topk(topk, dim=1)
    slot_rows = slots // block_width
    # Offsets inside the block are small numbers, so the mean keeps float32 precision.
    offsets = torch.stack([slots - slot_rows * block_width, slot_rows], dim=-1).to(values)
    mass = values.sum(dim=1)
    return corner + (values[..., None] * offsets).sum(dim=1) / mass[:, None], mass


def global_topk_softmax(maps: Tensor, topk: int, eps: float = 1e-6) -> Tuple[Tensor, Tensor]:
    """The official H3R decoder: global top-k, softmax over the selected logits.

    The paper's release trains two logits per cell (a per-cell binary classifier) and
    decodes the coordinate as the softmax-weighted mean of the cells of the k largest
    logits over the whole map. With two classes only the difference of the logits is
    identified, the log-odds ``log(p / (1-p))`` of the map's per-cell probability ``p``; the
    softmax over the selected log-odds weights each cell by its odds ``p / (1-p)``.

    Args:
        maps (Tensor): per-cell probabilities, shape (N, H, W); clipped to
            ``[eps, 1-eps]``; NaN counts as ``eps``.
        topk (int): number of cells, from 1 to H*W.
        eps (float): clipping of the probabilities, so one-hot maps stay finite.

    Returns:
        tuple:
        - grid_coords (Tensor): (column, row) in heatmap cells, shape (N, 2).
        - score (Tensor): the mean probability of the selected cells, shape (N,).
    """
    num_maps, height, width = maps.shape
    flat = maps.reshape(num_maps, height * width).to(decoding_dtype())
    # where(isnan), not nan_to_num: the latter exports as IsInf and float64 casts.
    probabilities = torch.where(torch.isnan(flat), torch.zeros_like(flat), flat).clamp(eps, 1 - eps)
    values, cells = probabilities.topk(topk, dim=1)
    weights = torch.softmax(torch.log(values) - torch.log1p(-values), dim=1)
    rows = cells // width
    positions = torch.stack([cells - rows * width, rows], dim=-1).to(weights)
    return (weights[..., None] * positions).sum(dim=1), values.mean(dim=1)
