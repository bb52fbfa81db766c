#!/usr/bin/env bash
# Everything the tests need, then the whole suite. CI runs this (via .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# The backends' race and migration tests also run on PostgreSQL (local, trust auth):
# start the cluster when it is not answering rather than skip them.
if ! pg_isready -q -h 127.0.0.1; then
  echo "Starting PostgreSQL for the backends tests..."
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
  pg_isready -h 127.0.0.1
fi

# The WeChat token cache is shared through Redis in production; its test uses the
# local server: start it when it is not answering.
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  echo "Starting Redis for the WeChat token cache tests..."
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
  redis-cli -h 127.0.0.1 ping
fi

# The browser tests drive Debian's Chromium through Playwright (never a downloaded
# browser): install the package when it is missing.
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests..."
  as_root=""
  [ "$(id -u)" -eq 0 ] || as_root="sudo"
  $as_root apt-get install -y chromium || { $as_root apt-get update && $as_root apt-get install -y chromium; }
fi

exec .venv/bin/python -m pytest "$@"
