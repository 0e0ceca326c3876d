#!/usr/bin/env bash
# Makes outputs/visualization_wflw.png, a picture of what a model learned: trains the
# tiny WFLW model (tests/data/tiny_h3r_wflw.py: the shipped WFLW config with a tiny HRNet) on
# the four faces of the WFLW samples for 400 iterations, then draws one of those training
# faces with tools/visualize.py. A few minutes on 2 CPU cores.
#
#   bash tools/make_visualization_example.sh        (PYTHON=... to choose the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
CONFIG=tests/data/tiny_h3r_wflw.py
WORK_DIR=outputs/visualization_example
IMAGE=../shared/data/mmpose_samples/wflw/36_Football_americanfootball_ball_36_415.jpg

OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} "$PYTHON" tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
mkdir -p outputs
"$PYTHON" tools/visualize.py "$CONFIG" "$WORK_DIR/iter_400.pth" "$IMAGE" \
    --bbox 432.3 113.75 533.0 214.8 --keypoints 0 16 32 54 60 76 90 96 \
    --title 'tiny HRNet, 400 iterations on the 4 faces of the WFLW samples (this face included)' \
    --out outputs/visualization_wflw.png
