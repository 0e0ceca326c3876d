"""Convert every top-down heatmap config MMPose ships and count what converts.

    python tools/convert_stock_configs.py [--out-dir DIR] [--stride {4,8,16}]

Writes each converted config under DIR (default ``work_dirs/converted_configs``) in MMPose's
folder layout, loads it back, and prints the number converted and refused (by reason), then
the refused configs. This is how the counts in the README were measured.
"""

import argparse
from collections import Counter
from pathlib import Path

from mmengine.config import Config

from h3r_mmpose.converters import ConversionRefused, write_converted_config
from h3r_mmpose.converters.config_converter import STRIDES
from h3r_mmpose.converters.stock_config import stock_heatmap_configs


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert all stock top-down heatmap configs')
    parser.add_argument('--out-dir', default='work_dirs/converted_configs')
    parser.add_argument('--stride', type=int, choices=STRIDES, help='heatmap stride')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    outcomes, refused = Counter(), []
    configs = stock_heatmap_configs()
    for config in configs:
        out_file = Path(args.out_dir) / config.split('::', 1)[1]
        try:
            write_converted_config(config, str(out_file), stride=args.stride)
            Config.fromfile(str(out_file))
            outcomes['converted'] += 1
        except (ConversionRefused, ValueError) as error:
            reason = str(error).split(';')[0].split(':')[0]
            outcomes[f'refused: {reason}'] += 1
            refused.append(f'{config}: {error}')
    print(f'| outcome | configs (of {len(configs)}) |\n|---|---|')
    for outcome, count in outcomes.most_common():
        print(f'| {outcome} | {count} |')
    print('\n' + '\n'.join(refused))


if __name__ == '__main__':
    main()
