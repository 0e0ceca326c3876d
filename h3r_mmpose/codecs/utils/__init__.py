from .block import decoding_dtype, peak_block
from .decoders import (
    DECODERS,
    DEFAULT_DECODER,
    Decoder,
    DecoderArgument,
    check_decoder_arguments,
    decoder_argument_names,
    decoders_using,
)
from .grid import bilinear_support, check_size, grid_to_input, input_to_grid
from .mean_shift_decoding import mean_shift
from .peak_search import max_cells, peak_indices, usable_weights
from .targets import (
    exact_mean_shift_radius,
    expected_heatmaps,
    smooth_heatmaps,
    smoothing_radius,
    stochastic_heatmaps,
)
from .topk_decoding import TOPK_BLOCK, block_topk_mean, global_topk_softmax

__all__ = [
    'DECODERS',
    'DEFAULT_DECODER',
    'Decoder',
    'DecoderArgument',
    'check_decoder_arguments',
    'decoder_argument_names',
    'decoders_using',
    'TOPK_BLOCK',
    'bilinear_support',
    'block_topk_mean',
    'check_size',
    'exact_mean_shift_radius',
    'decoding_dtype',
    'expected_heatmaps',
    'global_topk_softmax',
    'grid_to_input',
    'input_to_grid',
    'max_cells',
    'mean_shift',
    'peak_block',
    'peak_indices',
    'smooth_heatmaps',
    'smoothing_radius',
    'stochastic_heatmaps',
    'usable_weights',
]
