#!/usr/bin/env bash
# Set up everything CiteMed needs on a fresh machine: a venv with the package and its extras,
# and (with --system) the Debian packages the browser and PostgreSQL test suites use.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# The CPU torch wheel on this machine; an unpinned torch would pull a multi-GB CUDA build.
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[dense,web,articles,eval,dev,cluster]"
if [ "${1:-}" = "--system" ]; then
  export DEBIAN_FRONTEND=noninteractive
  need=()
  command -v chromium >/dev/null || need+=(chromium)
  command -v chromedriver >/dev/null || need+=(chromium-driver)
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
echo "install: ok (.venv ready)"
