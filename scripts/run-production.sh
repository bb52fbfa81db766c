#!/usr/bin/env bash
# The production profile on this machine (docs/operations.md): two replicas each of the
# gateway, Rasa and the action server behind nginx, the backends, and the daily
# retention job; every database in PostgreSQL, Rasa's lock store (and the gateway's
# WeChat token cache) in Redis. No demo members: a member comes in through a signed link.
# Ports (bot/production.py): nginx 8280 (gateways), 5205 (Rasa), 5255 (actions); the
# replicas 8281-8282, 5206-5207, 5256-5257; the backends 8200. Every process runs under
# supervisord as in `make run` (restarts, the storm guard); Ctrl-C, a closed terminal or
# TERM stop everything. Logs: var/log/production/<process>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
umask 077
mkdir -p var/log/production var/production
chmod -R go-rwx var 2>/dev/null || true

. scripts/services.sh
ensure_postgres
ensure_redis
ensure_nginx

refuse_held_ports "make run-production" 8280 5205 5255 8200 8281 8282 5206 5207 5256 5257

python -m bot.nlu_resources --check >/dev/null || {
  echo "data/ is out of date with bot/data/catalog.yml: run 'python -m bot.nlu_resources'." >&2
  exit 1
}
echo "The model:"
python -m bot.train --log var/log/train.log  # only when config, domain, data or components changed

# The same secrets as `make run` (var/secrets/, made once, never printed).
secret HM_BACKENDS_TOKEN backends.token
secret HM_RASA_TOKEN rasa.token
secret HM_ACTIONS_TOKEN actions.token
secret HM_IDENTITY_SECRET identity.key
secret HM_GATEWAY_API_TOKEN gateway-api.token
secret HM_GATEWAY_LINK_SECRET chat-link.key
password_given="${HM_CONSOLE_PASSWORD:+yes}"
secret HM_CONSOLE_PASSWORD console-password
export HM_DEMO="${HM_DEMO:-0}"

# The databases (one PostgreSQL server, three databases) and Redis: the local servers
# unless the environment names others.
postgres=postgresql+psycopg2://postgres@127.0.0.1:5432
export HM_GATEWAY_DB="${HM_GATEWAY_DB:-$postgres/hm_gateway}"
export HM_BACKENDS_DB="${HM_BACKENDS_DB:-$postgres/hm_backends}"
export HM_RASA_TRACKER_DB="${HM_RASA_TRACKER_DB:-$postgres/hm_rasa}"
export HM_REDIS_HOST="${HM_REDIS_HOST:-127.0.0.1}" HM_REDIS_PORT="${HM_REDIS_PORT:-6379}"
export HM_REDIS_PASSWORD="${HM_REDIS_PASSWORD:-}"
if [ -z "${HM_REDIS_URL:-}" ]; then
  [ -z "$HM_REDIS_PASSWORD" ] || { echo "Set HM_REDIS_URL too (the gateway's Redis, with its password)." >&2; exit 2; }
  export HM_REDIS_URL="redis://$HM_REDIS_HOST:$HM_REDIS_PORT/0"
fi
python -m bot.production create-databases
# Migrate before the replicas start (they would wait on each other's migration anyway),
# seed the backends once, and make the first manager account.
python -m bot.backends seed >>var/log/production/backends.log 2>&1
python -m bot.console create-user manager --role manager --display-name 健康管家 --if-missing >/dev/null

# supervisord in a session of its own, as in scripts/run.sh: a closed terminal reaches
# this script, which stops supervisord and so every process.
python -m bot.production config >/dev/null
setsid supervisord -c var/production/supervisord.conf >>var/log/production/supervisord.log 2>&1 &
supervisord_pid=$!
stop() { kill -TERM "$supervisord_pid" 2>/dev/null || true; wait "$supervisord_pid" 2>/dev/null || true; }
trap stop EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap 'stop; exit 129' HUP
echo "Starting the production profile (each process's output: var/log/production/<name>.log):"
if ! python -m bot.production wait --pid "$supervisord_pid"; then
  echo "Stopping the other processes. Fix the failure above and run \`make run-production\` again." >&2
  exit 1
fi

link="$(python -m bot.gateway chat-link "${HM_DEMO_MEMBER:-demo-ready}")"
echo
echo "Web chat (signed link for ${HM_DEMO_MEMBER:-demo-ready}, 24 h): http://127.0.0.1:8280$link"
if [ -n "$password_given" ]; then
  password_hint="the password in HM_CONSOLE_PASSWORD"
else
  password_hint="password: cat var/secrets/console-password"
fi
echo "Manager console:   http://127.0.0.1:8280/console   (user: manager, $password_hint)"
echo "Behind nginx: gateways 8281+8282, Rasa 5206+5207, actions 5256+5257; backends 8200."
echo "Processes: .venv/bin/supervisorctl -c var/production/supervisord.conf status"
echo "Ctrl-C stops everything."
wait "$supervisord_pid"
