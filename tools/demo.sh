#!/usr/bin/env bash
# The training benchmark (docs/benchmarks.md) in a short setting: set up .venv if needed, then
# generate the synthetic data, train every codec at heatmap stride 16 for 600 iterations, and
# print the table and the plot's path. Extra arguments go to tools/benchmark_training.py,
# e.g. `--strides 4 8 16 --max-iters 1200` for the full run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
"$ROOT/.venv/bin/python" tools/benchmark_training.py --out-dir outputs/demo --strides 16 --max-iters 600 "$@"
