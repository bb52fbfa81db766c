#!/usr/bin/env bash
# Everything the tests need, then the whole suite. CI runs this (via .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# PostgreSQL (the backends' and gateway's PostgreSQL tests, the production profile),
# Redis (the WeChat token cache, Rasa's lock store) and Debian's nginx (the production
# profile's load balancer): started or installed when missing, never skipped.
. scripts/services.sh
ensure_postgres
ensure_redis
ensure_nginx

# The browser tests drive Debian's Chromium through Playwright (never a downloaded
# browser): install the package when it is missing.
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests..."
  as_root apt-get install -y chromium || { as_root apt-get update && as_root apt-get install -y chromium; }
fi

exec .venv/bin/python -m pytest "$@"
