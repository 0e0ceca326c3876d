#!/usr/bin/env bash
# README's main command: set up .venv if needed, then run the sub-pixel landmark benchmark in
# a short setting (generates the synthetic data, trains every codec at heatmap stride 16 for
# 600 iterations, prints the table and the plot's path). Extra arguments go to
# tools/benchmark_training.py, e.g. `--strides 4 8 16 --max-iters 1200` for the full run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
"$ROOT/.venv/bin/python" tools/benchmark_training.py --out-dir outputs/demo --strides 16 --max-iters 600 "$@"
