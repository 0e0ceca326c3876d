"""Write a synthetic landmark dataset: images and COCO keypoint annotations.

Example::

    python tools/make_synthetic_landmarks.py \\
        --out-dir data/synthetic_landmarks --num-train 2000 --num-val 500 \\
        --num-test 500 --image-size 128 128 --num-keypoints 5 --seed 0
"""

import argparse
import time
from typing import List, Optional

from h3r_mmpose.benchmarks import make_synthetic_landmarks


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out-dir', required=True, help='root folder of the dataset')
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-val', type=int, default=500)
    parser.add_argument('--num-test', type=int, default=500)
    parser.add_argument('--image-size', type=int, nargs=2, default=(128, 128), metavar=('W', 'H'))
    parser.add_argument('--num-keypoints', type=int, default=5)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    args.image_size = tuple(args.image_size)
    return args


def main(argv: Optional[List[str]] = None) -> None:
    """Write the dataset and print where each split went."""
    args = parse_args(argv)
    start = time.perf_counter()
    ann_files = make_synthetic_landmarks(
        args.out_dir,
        args.num_train,
        args.num_val,
        args.num_test,
        image_size=args.image_size,
        num_keypoints=args.num_keypoints,
        seed=args.seed,
    )
    elapsed = time.perf_counter() - start
    sizes = dict(train=args.num_train, val=args.num_val, test=args.num_test)
    for split, ann_file in ann_files.items():
        image_dir = ann_file.parent.parent / 'images' / split
        print(f'{split}: {sizes[split]} images in {image_dir}, annotations in {ann_file}')
    width, height = args.image_size
    print(
        f'{sum(sizes.values())} images of {width}x{height} px with '
        f'{args.num_keypoints} landmarks in {elapsed:.1f} s'
    )


if __name__ == '__main__':
    main()
