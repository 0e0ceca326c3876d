"""Convert every top-down heatmap config MMPose ships and count what converts, or rewrite
the shipped configs from the commands in their headers.

    python tools/convert_stock_configs.py [--out-dir DIR] [--stride {4,8,16}]
    python tools/convert_stock_configs.py --shipped

The first form writes each converted config under DIR (default
``work_dirs/converted_configs``) in MMPose's folder layout, loads it back, and prints the
number converted and refused by stock head type (and the reason for each refusal). This is
how the counts in ``configs/README.md`` were measured. The second runs, from the repository
root, the converter command recorded in the header of every config under ``configs/``, so
that a change to the converter reaches all of them (a test checks that each file is what its
command writes).
"""

import argparse
import importlib.util
import os
from collections import Counter
from pathlib import Path

from mmengine.config import Config

from h3r_mmpose.converters import (
    STRIDES,
    ConversionRefused,
    recorded_command,
    write_converted_config,
)
from h3r_mmpose.converters.stock_config import load_stock_config, stock_heatmap_configs

ROOT = Path(__file__).resolve().parents[1]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert all stock top-down heatmap configs')
    parser.add_argument('--out-dir', default='work_dirs/converted_configs')
    parser.add_argument('--stride', type=int, choices=STRIDES, help='heatmap stride')
    parser.add_argument(
        '--shipped',
        action='store_true',
        help='rewrite every config under configs/ with the command in its header',
    )
    return parser.parse_args()


def rewrite_shipped_configs(root: Path = ROOT) -> None:
    """Run the converter command recorded in the header of each config under
    ``root/configs`` (from ``root``, where the commands' ``--out`` paths start).

    Raises:
        ValueError: for a config without the header, or whose command writes elsewhere.
    """
    convert_tool = load_convert_tool()
    os.chdir(root)
    for path in sorted((root / 'configs').rglob('*.py')):
        command = recorded_command(path.read_text())
        args = convert_tool.parse_args(command[2:])
        out_file = root / args.out
        if out_file != path:
            raise ValueError(f'{path} records --out {args.out}, not its own path')
        write_converted_config(args.config, args.out, **convert_tool.converter_options(args))
        print(f'rewrote {args.out}')


def load_convert_tool():
    """``tools/convert_config.py`` as a module (its parser reads the recorded commands)."""
    spec = importlib.util.spec_from_file_location(
        'convert_config', ROOT / 'tools' / 'convert_config.py'
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    args = parse_args()
    if args.shipped:
        rewrite_shipped_configs()
        return
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
