"""Convert the YouTube Faces 68-landmark crops to MMPose's 300W annotation format.

    python tools/dataset_converters/youtube_faces68.py DATA_DIR --out OUT_DIR

DATA_DIR is the ``data/`` folder of the repository ``udacity/P1_Facial_Keypoints`` (holding
``training/`` and ``training_frames_keypoints.csv``). Writes
``OUT_DIR/youtube_faces68_{train,val,test}.json``, split by person, for ``Face300WDataset``
with ``data_root=DATA_DIR``. What happens to duplicates and points outside the frame:
:mod:`h3r_mmpose.benchmarks.datasets.youtube_faces68`. Exits with status 1 and a message
naming the file and row on bad input.
"""

import argparse
import sys
from pathlib import Path

from h3r_mmpose.benchmarks.datasets.youtube_faces68 import (
    ConversionError,
    convert_youtube_faces68,
    dataset_cfg_options,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_dir', type=Path, help="the source repository's data/ folder")
    parser.add_argument('--out', type=Path, required=True, help='folder for the json files')
    args = parser.parse_args()
    try:
        summary = convert_youtube_faces68(args.data_dir, args.out)
    except ConversionError as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    for split, count in summary['images'].items():
        print(f'{split}: {count} images of {summary["people"][split]} people')
    for dropped, kept in summary['duplicates_dropped'].items():
        print(f'dropped {dropped}: the same bytes as {kept}')
    for name, count in summary['points_outside_frame'].items():
        print(f'{name}: {count} points outside the frame, visibility 0')
    print(f'written to {args.out}')
    print(
        'train a stock 300W config on it with --cfg-options '
        + ' '.join(dataset_cfg_options(args.data_dir, args.out))
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
