"""The square block of cells around each map's peak, gathered for local decoding."""

from typing import Tuple

import torch
from torch import Tensor

from .peak_search import peak_indices, usable_weights


def decoding_dtype() -> torch.dtype:
    """float64 eagerly; float32 in an exported graph (TensorRT has no float64).

    Decoders average offsets inside the block (a few cells), so float32 loses under 1e-5
    cells there; float64 keeps eager decoding exact to ~1e-12.
    """
    return torch.float32 if torch.jit.is_tracing() else torch.float64


def peak_block(maps: Tensor, side: int) -> Tuple[Tensor, Tensor, Tensor]:
    """The ``side x side`` block of usable weights centred on each map's peak.

    The block is shifted inwards where it would cross the map's border, so it always holds
    the peak's neighbourhood and no out-of-map cell. Traceable with portable operators:
    GatherElements for the block, integer division instead of ``Mod``.

    Args:
        maps (Tensor): heatmaps, shape (N, H, W).
        side (int): odd block side in cells; clipped to the map's size.

    Returns:
        tuple:
        - block (Tensor): usable weights (see :func:`usable_weights`), shape
          (N, block_height, block_width), in :func:`decoding_dtype`.
        - corner (Tensor): (column, row) of the block's first cell, shape (N, 2), same dtype.
        - peak (Tensor): (column, row) of the map's peak cell, shape (N, 2), same dtype.
    """
    num_maps, height, width = maps.shape
    block_width, block_height = min(side, width), min(side, height)
    flat_maps = maps.reshape(num_maps, height * width)
    peak = peak_indices(flat_maps)
    peak_row = peak // width
    peak_column = peak - peak_row * width
    top = (peak_row - side // 2).clamp(0, height - block_height)  # (N,)
    left = (peak_column - side // 2).clamp(0, width - block_width)
    block_rows = torch.arange(block_height, device=maps.device)
    block_columns = torch.arange(block_width, device=maps.device)
    block_index = (block_rows[:, None] * width + block_columns[None, :]).flatten()
    flat_index = (top * width + left)[:, None] + block_index  # (N, block cells)
    block = usable_weights(flat_maps.gather(1, flat_index)).to(decoding_dtype())
    corner = torch.stack([left, top], dim=-1).to(block.dtype)
    peak_cell = torch.stack([peak_column, peak_row], dim=-1).to(block.dtype)
    return block.view(num_maps, block_height, block_width), corner, peak_cell
