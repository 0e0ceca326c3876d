"""The decoders of the randomized-rounding codec, in one table.

Each entry of :data:`DECODERS` names a decoding function and its arguments, with their
defaults and checks. The codec, the config converter's command line, the ONNX export and the
tests read the table, so a new decoder is its function, one entry here and its own tests.

A decoding function takes heatmaps of shape (N, H, W) and its arguments as keywords, and
returns the (column, row) in heatmap cells, shape (N, 2) (NaN or anything where its score is
not positive: the codec then returns the frame centre), and a score, shape (N,). It must be
pure torch, so that it traces into an ONNX graph.
"""

import math
from dataclasses import dataclass
from typing import Callable, Dict, Mapping, Optional, Tuple

import numpy as np
from torch import Tensor

from .mean_shift_decoding import mean_shift
from .topk_decoding import TOPK_BLOCK, block_topk_mean, global_topk_softmax

#: A decoder argument's check: ``(value, heatmap_size (W, H)) -> value`` as the decoder takes
#: it, raising ``ValueError`` that names the argument and the value.
Check = Callable[[object, Tuple[int, int]], object]


@dataclass(frozen=True)
class DecoderArgument:
    """One keyword argument of a decoding function.

    Args:
        name (str): the keyword, also the codec's argument and the converter's ``--name``.
        default (int | float): the value used when the codec is given none.
        parse (type): ``int`` or ``float``: how the command line reads a value.
        check (Check): validates a value for a heatmap size and returns it.
        help (str): what the value means, for ``--help``.
    """

    name: str
    default: object
    parse: type
    check: Check
    help: str


@dataclass(frozen=True)
class Decoder:
    """A decoding function and its arguments.

    Args:
        function (Callable): ``function(maps, **arguments) -> (grid_coords, scores)``, see
            the module docstring.
        arguments (tuple[DecoderArgument]): its keyword arguments.
        summary (str): one line for ``--help``.
        lossless (bool): whether, with its default arguments, it returns every point of the
            frame exactly from the ``'expected'`` target (the tests hold it to this).
    """

    function: Callable[..., Tuple[Tensor, Tensor]]
    arguments: Tuple[DecoderArgument, ...]
    summary: str
    lossless: bool


def check_radius(radius: object, heatmap_size: Tuple[int, int]) -> float:
    """The mean-shift window's half-width: a finite number >= 1.5 cells, the smallest that
    holds the 2x2 support of a point."""
    if not isinstance(radius, (int, float)) or not 1.5 <= radius < math.inf:
        raise ValueError(f'radius must be a finite number >= 1.5, got {radius!r}')
    return float(radius)


def _check_topk(topk: object, max_topk: int, cells: str) -> int:
    if not isinstance(topk, (int, np.integer)) or not 1 <= topk <= max_topk:
        raise ValueError(
            f'topk must be an integer from 1 to {max_topk} (the cells of {cells}), got {topk!r}'
        )
    return int(topk)


def check_block_topk(topk: object, heatmap_size: Tuple[int, int]) -> int:
    """Cells averaged by the 5x5-block top-k: 1 to the cells of the block."""
    width, height = heatmap_size
    max_topk = min(TOPK_BLOCK, width) * min(TOPK_BLOCK, height)
    block = f'the {TOPK_BLOCK}x{TOPK_BLOCK} block around the peak, within {width}x{height}'
    return _check_topk(topk, max_topk, block)


def check_global_topk(topk: object, heatmap_size: Tuple[int, int]) -> int:
    """Cells averaged by the global top-k: 1 to the cells of the map."""
    width, height = heatmap_size
    return _check_topk(topk, width * height, f'the {width}x{height} map')


#: Every decoder of the codec, by the name its ``decoder`` argument takes.
DECODERS: Dict[str, Decoder] = {
    'mean_shift': Decoder(
        function=mean_shift,
        arguments=(
            DecoderArgument(
                'radius',
                default=3.5,
                parse=float,
                check=check_radius,
                help=(
                    'half-width in cells of the mean-shift window, >= 1.5; exact on targets '
                    'smoothed by HeatmapCrossEntropyLoss(target_sigma=s) from ceil(3 * s) + 1.5'
                ),
            ),
        ),
        summary=(
            'centre of mass in a window centred on the estimate itself, iterated from the peak'
        ),
        lossless=True,
    ),
    'topk': Decoder(
        function=block_topk_mean,
        arguments=(
            DecoderArgument(
                'topk',
                default=4,
                parse=int,
                check=check_block_topk,
                help='cells averaged, 1 to 25; 4 (the 2x2 support) is the smallest lossless value',
            ),
        ),
        summary='probability-weighted mean of the top-k cells of the 5x5 block around the peak',
        lossless=True,
    ),
    'paper': Decoder(
        function=global_topk_softmax,
        arguments=(
            DecoderArgument(
                'topk',
                default=9,
                parse=int,
                check=check_global_topk,
                help='cells averaged, 1 to W*H; 9 as in the official release',
            ),
        ),
        summary=(
            "the official release's global top-k with a softmax over the selected logits "
            '(exact only on a cell or half-way between two)'
        ),
        lossless=False,
    ),
}

#: The codec's decoder when its config names none.
DEFAULT_DECODER = 'mean_shift'


def decoder_argument_names() -> Tuple[str, ...]:
    """Every argument name of any decoder, in table order, each once."""
    names = [argument.name for decoder in DECODERS.values() for argument in decoder.arguments]
    return tuple(dict.fromkeys(names))


def decoders_using(name: str) -> Tuple[str, ...]:
    """The decoders that take the argument ``name``."""
    return tuple(
        decoder
        for decoder, entry in DECODERS.items()
        if any(argument.name == name for argument in entry.arguments)
    )


def check_decoder_arguments(
    decoder: str, heatmap_size: Tuple[int, int], given: Mapping[str, Optional[object]]
) -> Dict[str, object]:
    """The checked arguments of ``decoder``: the given ones, the defaults for the rest.

    Args:
        decoder (str): a name in :data:`DECODERS`.
        heatmap_size (tuple): the codec's ``(W, H)``, which bounds some arguments.
        given (Mapping): argument values by name; None means not given.

    Returns:
        dict: every argument of ``decoder`` by name, in its table order.

    Raises:
        ValueError: for an unknown ``decoder``, a value its check rejects, or an argument
            ``decoder`` does not use (it would be silently ignored), naming it and the value.
        TypeError: for a name that no decoder takes.
    """
    if decoder not in DECODERS:
        raise ValueError(f'decoder must be one of {tuple(DECODERS)}, got {decoder!r}')
    known = decoder_argument_names()
    for name, value in given.items():
        if name not in known:
            raise TypeError(
                f'{name} is not an argument of any decoder (they take {", ".join(known)}), '
                f'got {name}={value!r}'
            )
    own = {argument.name: argument for argument in DECODERS[decoder].arguments}
    for name, value in given.items():
        if value is not None and name not in own:
            users = ', '.join(repr(user) for user in decoders_using(name))
            raise ValueError(
                f'{name} is not used by decoder {decoder!r}, got {name}={value!r} '
                f'(an argument of {users})'
            )
    return {
        name: argument.check(
            argument.default if given.get(name) is None else given[name], heatmap_size
        )
        for name, argument in own.items()
    }
