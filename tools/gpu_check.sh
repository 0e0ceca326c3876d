#!/usr/bin/env bash
# The prepared GPU check: set up .venv if needed (tools/setup_env.sh, idempotent), then run the
# GPU-only paths (AMP training, one-GPU distributed training, the stride-4 comparison at 256 px,
# ONNX Runtime latency) and print one summary table; results under --out-dir
# (default outputs/gpu_check/). On a CPU: `bash tools/gpu_check.sh --dry-run`.
# Options: see tools/gpu_check.py or `bash tools/gpu_check.sh --help`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
exec "$ROOT/.venv/bin/python" tools/gpu_check.py "$@"
