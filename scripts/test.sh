#!/usr/bin/env bash
# Everything the tests need, then the whole suite. CI runs this (via .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
