#!/usr/bin/env bash
# The test command: lint, type check (mypy, configured in pyproject.toml), then every test suite (unit, integration on ../shared/data, browser,
# PostgreSQL when CITEMED_TEST_POSTGRES_URL is set). pytest's "no tests ran" (exit 5) is a failure. The 30
# slowest tests are listed so that CI time (limit 25 minutes) stays in view.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check . || exit 1
.venv/bin/mypy || exit 1
# The Ray cluster suite runs in its own pytest process: a Ray driver keeps process-wide state
# (gRPC, signal handlers) that aborted the interpreter after the rest of the suite had run in it.
run() {
  .venv/bin/python -m pytest -q -p no:cacheprovider --durations=30 "$@"
  local code=$?
  if [ "$code" -eq 5 ]; then
    echo "ERROR: pytest collected no tests ($*)" >&2
    return 1
  fi
  return "$code"
}
if [ "$#" -gt 0 ]; then
  run "$@"
  exit $?
fi
run --ignore=tests/cluster
first=$?
run tests/cluster
second=$?
[ "$first" -eq 0 ] && [ "$second" -eq 0 ]
