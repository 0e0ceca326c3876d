"""Write a synthetic landmark dataset (images and COCO keypoint annotations).

Example::

    python tools/make_synthetic_landmarks.py --out-dir data/synthetic_landmarks \\
        --num-train 2000 --num-val 500 --num-test 500 --image-size 128 128 \\
        --num-keypoints 5 --seed 0
"""
from __future__ import annotations

import argparse
import time
from typing import List, Optional

from h3r_mmpose.datasets import make_synthetic_landmarks


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out-dir', required=True, help='root folder of the dataset')
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-val', type=int, default=500)
    parser.add_argument('--num-test', type=int, default=500)
    parser.add_argument('--image-size', type=int, nargs=2, default=(128, 128),
                        metavar=('W', 'H'))
    parser.add_argument('--num-keypoints', type=int, default=5)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    start = time.perf_counter()
    ann_files = make_synthetic_landmarks(
        args.out_dir, args.num_train, args.num_val, args.num_test,
        image_size=tuple(args.image_size), num_keypoints=args.num_keypoints,
        seed=args.seed)
    elapsed = time.perf_counter() - start
    counts = dict(train=args.num_train, val=args.num_val, test=args.num_test)
    for split, ann_file in ann_files.items():
        image_dir = ann_file.parent.parent / 'images' / split
        print(f'{split}: {counts[split]} images in {image_dir}, annotations {ann_file}')
    print(f'{sum(counts.values())} images of {args.image_size[0]}x{args.image_size[1]} '
          f'with {args.num_keypoints} landmarks in {elapsed:.1f} s')


if __name__ == '__main__':
    main()
