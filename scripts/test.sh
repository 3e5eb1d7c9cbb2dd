#!/usr/bin/env bash
# The test command: lint, type check (mypy, configured in pyproject.toml), then every test suite (unit, integration on ../shared/data, browser,
# PostgreSQL when CITEMED_TEST_POSTGRES_URL is set). pytest's "no tests ran" (exit 5) is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check . || exit 1
.venv/bin/mypy || exit 1
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
code=$?
if [ "$code" -eq 5 ]; then
  echo "ERROR: pytest collected no tests" >&2
  exit 1
fi
exit "$code"
