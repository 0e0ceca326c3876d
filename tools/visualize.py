"""Draw what a trained model sees: its keypoints on an image and, beside them, each keypoint's
probability map over the crop with the decoded sub-pixel position and the top-k cells.

    python tools/visualize.py CONFIG CHECKPOINT IMAGE --out FILE.png
                              [--bbox X1 Y1 X2 Y2] [--keypoints I [I ...]] [--topk K]
                              [--zoom-cells N] [--title TEXT] [--device cpu]
                              [--cfg-options KEY=VALUE ...]

Without ``--bbox`` the whole image is the box, as in ``inference_topdown``.
"""

import argparse

import mmcv
from mmengine.config import DictAction
from mmpose.apis import init_model

import h3r_mmpose  # noqa: F401  (registers modules; allow-lists checkpoint types)
from h3r_mmpose.visualization import save_heatmap_figure
from h3r_mmpose.visualization.heatmap_figure import DEFAULT_ZOOM_CELLS


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Visualise keypoint probability maps')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('image', help='image file')
    parser.add_argument('--out', required=True, help='picture to write, e.g. heatmaps.png')
    parser.add_argument(
        '--bbox',
        nargs=4,
        type=float,
        metavar=('X1', 'Y1', 'X2', 'Y2'),
        help='the box in image pixels (default: the whole image)',
    )
    parser.add_argument(
        '--keypoints',
        nargs='+',
        type=int,
        metavar='I',
        help='keypoint indices to draw maps for (default: up to 8, spread over all)',
    )
    parser.add_argument(
        '--topk', type=int, help="cells to mark (default: the decoder's topk, or 4)"
    )
    parser.add_argument(
        '--zoom-cells',
        type=float,
        default=DEFAULT_ZOOM_CELLS,
        help='cells shown around each decoded position (0: the whole crop)',
    )
    parser.add_argument('--title', help='title of the picture, e.g. how the model was trained')
    parser.add_argument('--device', default='cpu', help='e.g. cpu or cuda:0')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, e.g. model.test_cfg.flip_test=False',
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    model = init_model(
        args.config, args.checkpoint, device=args.device, cfg_options=args.cfg_options
    )
    image = mmcv.imread(args.image)
    if image is None:
        raise FileNotFoundError(f'cannot read image {args.image!r}')
    save_heatmap_figure(
        model,
        image,
        args.out,
        bbox=args.bbox,
        keypoint_indices=args.keypoints,
        topk=args.topk,
        title=args.title,
        zoom_cells=args.zoom_cells,
    )
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
