#!/usr/bin/env bash
# The load benchmark against the production profile on this machine (`make
# loadtest-production`, docs/performance.md): starts `make run-production` on databases
# of its own (hm_loadtest_*, made afresh each time), with the load members seeded, demo
# sessions on, the members' rate limits raised and the simulated WeChat as its WeChat
# API; runs `python -m bot.loadtest` against nginx's front doors with ARGS; stops it.
# The profile's usual databases, secrets and logs are not touched, except that its logs
# (var/log/production/) get this run's lines.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
umask 077

postgres=postgresql+psycopg2://postgres@127.0.0.1:5432
export HM_GATEWAY_DB="$postgres/hm_loadtest_gateway"
export HM_BACKENDS_DB="$postgres/hm_loadtest_backends"
export HM_RASA_TRACKER_DB="$postgres/hm_loadtest_rasa"
# The clock the embedded benchmark uses (a Tuesday at 10:00, managers on duty), unless
# HM_NOW says otherwise; the benchmark is told the same clock.
export HM_NOW="${HM_NOW:-2026-11-24T10:00:00+08:00}"
export HM_DEMO=1 RASA_TELEMETRY_ENABLED=false
unlimited=1000000/1:1000000
export HM_CHAT_START_RATE=$unlimited HM_CHAT_MESSAGE_RATE=$unlimited HM_CHAT_ADDRESS_RATE=$unlimited
export HM_WECHAT_MEMBER_RATE=$unlimited HM_WECHAT_ADDRESS_RATE=$unlimited
# The benchmark's simulated WeChat account (bot/loadtest/wechat.py), served on its port.
wechat_port="${HM_LOADTEST_WECHAT_PORT:-8290}"
eval "$(python -m bot.loadtest.wechat "http://127.0.0.1:$wechat_port")"
export HM_WECHAT_MAX_SKEW=86400

. scripts/services.sh
ensure_postgres
# The profile's own secrets (var/secrets/, as scripts/run-production.sh makes them): the
# REST reference signs its members with the identity key.
secret HM_IDENTITY_SECRET identity.key
secret HM_GATEWAY_LINK_SECRET chat-link.key
python -m bot.production create-databases --fresh >/dev/null
mkdir -p var/log/production
# Before the profile starts, so that its own seeding finds the catalogue in place.
python -m bot.backends seed --load-members "${HM_LOADTEST_MEMBERS:-4000}" >>var/log/production/backends.log 2>&1

log=var/log/production/loadtest-run.log
: >"$log"
setsid scripts/run-production.sh >"$log" 2>&1 </dev/null &
profile=$!
stop() { kill -TERM "$profile" 2>/dev/null || true; wait "$profile" 2>/dev/null || true; }
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo "Starting the production profile (its output: $log) ..."
until grep -q "Ctrl-C stops everything" "$log"; do
  if ! kill -0 "$profile" 2>/dev/null; then
    tail -n 20 "$log" >&2
    echo "The production profile did not start (above)." >&2
    exit 1
  fi
  sleep 2
done

# Each of the profile's processes, for the memory and CPU columns (a Rasa replica may
# still count as STARTING: its startsecs outlast loading the model).
control=(supervisorctl -c var/production/supervisord.conf)
watch=()
for name in $("${control[@]}" avail | awk '{ print $1 }'); do
  pid="$("${control[@]}" pid "$name")"
  [ "${pid:-0}" -gt 0 ] 2>/dev/null && watch+=(--watch "$name=$pid")
done

# shellcheck disable=SC2086  # ARGS is a list of options
python -m bot.loadtest --gateway-url http://127.0.0.1:8280 --rasa-url http://127.0.0.1:5205 \
  --wechat-port "$wechat_port" --now "$HM_NOW" "${watch[@]}" ${ARGS:-}
