#!/usr/bin/env bash
# House rules: ruff's linter and formatter in check mode (config: ruff.toml). Sets up .venv
# first if needed (ruff is pinned in tools/constraints.txt); no network at run time.
# `bash tools/lint.sh --fix` applies the fixes and reformats instead of checking.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
RUFF="$ROOT/.venv/bin/ruff"
if [[ "${1:-}" == "--fix" ]]; then
  "$RUFF" check --fix .
  "$RUFF" format .
else
  "$RUFF" check .
  "$RUFF" format --check .
fi
