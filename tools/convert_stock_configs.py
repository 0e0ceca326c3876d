"""Convert every top-down heatmap config MMPose ships and count what converts.

    python tools/convert_stock_configs.py [--out-dir DIR] [--stride {4,8,16}]

Writes each converted config under DIR (default ``work_dirs/converted_configs``) in MMPose's
folder layout, loads it back, and prints the number converted and refused by stock head type
(and the reason for each refusal). This is how the counts in the README were measured.
"""

import argparse
from collections import Counter
from pathlib import Path

from mmengine.config import Config

from h3r_mmpose.converters import ConversionRefused, write_converted_config
from h3r_mmpose.converters.config_converter import STRIDES
from h3r_mmpose.converters.stock_config import load_stock_config, stock_heatmap_configs


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
        head_type = load_stock_config(config).model.head.type
        out_file = Path(args.out_dir) / config.split('::', 1)[1]
        try:
            write_converted_config(config, str(out_file), stride=args.stride)
            Config.fromfile(str(out_file))
            outcomes[head_type, 'converted'] += 1
        except (ConversionRefused, ValueError) as error:
            outcomes[head_type, 'refused'] += 1
            refused.append(f'{config}: {error}')
    print('| stock head | converted | refused |\n|---|---|---|')
    for head_type in sorted({head for head, _ in outcomes}):
        print(
            f'| {head_type} | {outcomes[head_type, "converted"]} | '
            f'{outcomes[head_type, "refused"]} |'
        )
    total = [
        sum(n for (_, outcome), n in outcomes.items() if outcome == kind)
        for kind in ('converted', 'refused')
    ]
    print(f'| all {len(configs)} | {total[0]} | {total[1]} |')
    print('\n'.join(refused))


if __name__ == '__main__':
    main()
