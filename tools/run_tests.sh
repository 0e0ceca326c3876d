#!/usr/bin/env bash
# README's test command: set up .venv if needed (idempotent), then run the test suite.
# `--fast` leaves out the tests marked slow (see pytest.ini); other arguments go to pytest,
# e.g. `bash tools/run_tests.sh tests/test_codecs -x` or `bash tools/run_tests.sh --fast -x`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
args=()
for arg in "$@"; do
  if [[ "$arg" == --fast ]]; then
    args+=(-m 'not slow')
  else
    args+=("$arg")
  fi
done
status=0
"$ROOT/.venv/bin/python" -m pytest "${args[@]+"${args[@]}"}" || status=$?
if [[ $status -eq 5 ]]; then
  echo "run_tests: pytest collected no tests; treating that as a failure" >&2
  exit 1
fi
exit $status
