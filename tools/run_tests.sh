#!/usr/bin/env bash
# README's test command: set up .venv if needed (idempotent), then run the test suite.
# Extra arguments go to pytest, e.g. `bash tools/run_tests.sh tests/test_codecs -x`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
status=0
"$ROOT/.venv/bin/python" -m pytest "$@" || status=$?
if [[ $status -eq 5 ]]; then
  echo "run_tests: pytest collected no tests; treating that as a failure" >&2
  exit 1
fi
exit $status
