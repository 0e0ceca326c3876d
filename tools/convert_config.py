"""Convert an MMPose top-down heatmap config to H3R.

    python tools/convert_config.py CONFIG [--stride {4,8,16}] [--target TYPE]
                                   [--decoder NAME] [--ARGUMENT VALUE ...] --out FILE

CONFIG is a stock config, e.g.
``mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py``,
or a file of your own. FILE inherits it and swaps in the randomized-rounding codec, the H3R
head with the stock head's layers, every GenerateTarget, flip testing without the shift, the
plain affine for UDP configs, the per-image face metric for face datasets and the
quantization-floor metric (see ``h3r_mmpose/converters/conversion_plan.py``). Without
``--stride`` the stock heatmap size is kept; ``--target`` sets the codec's ``target_type``,
``--decoder`` its decoder, and one option per decoder argument (``--help`` lists them, from
the codec's decoder table) that argument; otherwise the codec's defaults apply. The file's
header records the command. The written config is loaded once to check it; exit status 2
means the config was refused or an option was bad, with the reason on stderr.
"""

import argparse
import sys
from typing import Dict, Optional, Sequence

from mmengine.config import Config

from h3r_mmpose.codecs.utils import DECODERS, DEFAULT_DECODER, decoder_argument_names
from h3r_mmpose.converters import STRIDES, ConversionRefused, write_converted_config

#: The options of :func:`convert_config` that are not decoder arguments, each named as its
#: argument (``--target`` sets ``target_type``).
CONVERTER_OPTIONS = ('stride', 'target_type', 'decoder')


def decoder_argument_help(name: str) -> str:
    """What ``--name`` sets for each decoder that takes it, with the default."""
    uses = [
        f'{decoder!r}: {argument.help} (default {argument.default})'
        for decoder, entry in DECODERS.items()
        for argument in entry.arguments
        if argument.name == name
    ]
    return '; '.join(uses)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write an H3R config that inherits an MMPose top-down heatmap config'
    )
    parser.add_argument('config', help='mmpose::path/to/config.py or a config file')
    parser.add_argument(
        '--stride',
        type=int,
        choices=STRIDES,
        help='heatmap stride in input pixels (default: the stock heatmap size)',
    )
    parser.add_argument(
        '--target',
        dest='target_type',
        metavar='TYPE',
        help="codec target_type, 'expected' or 'stochastic' (default: the codec's)",
    )
    parser.add_argument(
        '--decoder',
        choices=tuple(DECODERS),
        help="codec decoder (default: the codec's, "
        f'{DEFAULT_DECODER!r}): '
        + '; '.join(f'{name!r}: {entry.summary}' for name, entry in DECODERS.items()),
    )
    for name in decoder_argument_names():
        (parse,) = {
            argument.parse
            for entry in DECODERS.values()
            for argument in entry.arguments
            if argument.name == name
        }
        parser.add_argument(f'--{name}', type=parse, help=decoder_argument_help(name))
    parser.add_argument('--out', required=True, help='the config file to write')
    return parser.parse_args(argv)


def converter_options(args: argparse.Namespace) -> Dict[str, object]:
    """The keyword arguments of :func:`convert_config` that the command line sets; None
    leaves one to its default."""
    return {name: getattr(args, name) for name in (*CONVERTER_OPTIONS, *decoder_argument_names())}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        path = write_converted_config(args.config, args.out, **converter_options(args))
    except ConversionRefused as error:
        print(f'not converted: {error}', file=sys.stderr)
        return 2
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    cfg = Config.fromfile(str(path))
    head = cfg.model.head.get('pose_cfg', cfg.model.head)
    print(
        f'wrote {path}: {head.type}, codec {cfg.codec.type} input_size '
        f'{tuple(cfg.codec.input_size)} heatmap_size {tuple(cfg.codec.heatmap_size)}'
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
