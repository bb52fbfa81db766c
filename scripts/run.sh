#!/usr/bin/env bash
# The whole product on its embedded defaults: set up, train if the data, config or
# custom components changed (bot/train.py), then start every service under supervisord
# (bot/supervision): the backends (SQLite under var/, seeded with the demo members on
# first start), the action server, the Rasa server (REST channel and HTTP API), the
# gateway with the web chat and the manager console, the daily purge job and the
# reminders job (visit reminders, pre-auth decisions). A service that crashes is
# restarted (and left stopped after a storm of crashes). Shows one line per step and
# the URLs once everything answers; Ctrl-C, a closed terminal or TERM stop everything.
# Each service's full output is in var/log/<service>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
# refuse_held_ports and secret (make each secret once, never printed).
source scripts/services.sh
echo "Setting up:"
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
# Databases, logs and secrets are readable by this account only (docs/security.md).
umask 077
mkdir -p var/log
chmod -R go-rwx var 2>/dev/null || true

# A second start would print its clock and URLs while the first instance kept serving
# with its old settings: refuse, and say which port is held.
pid=$(cat var/run/supervisord.pid 2>/dev/null || true)
if [ -n "$pid" ] && ps -o args= -p "$pid" 2>/dev/null | grep -q supervisord; then
  echo "Another \`make run\` is still running (supervisord, pid $pid): stop it first." >&2
  exit 1
fi
ports="${HM_BACKENDS_PORT:-8000} 5055 5005 ${HM_GATEWAY_PORT:-8080}"
[ "${HM_WECHAT_DEMO:-}" = 1 ] && ports="$ports ${HM_WECHAT_SIM_PORT:-8090}"
refuse_held_ports "make run" $ports
python -m bot.nlu_resources --check >/dev/null || {
  echo "data/ is out of date with bot/data/catalog.yml: run 'python -m bot.nlu_resources'." >&2
  exit 1
}
# Trains only when config, domain, data or the custom components changed since the
# newest model, and keeps the three newest models (bot/train.py).
echo "The model:"
python -m bot.train --log var/log/train.log

secret HM_BACKENDS_TOKEN backends.token   # between the action server / gateway and the backends
secret HM_RASA_TOKEN rasa.token           # the Rasa HTTP API the gateway pauses and resumes
secret HM_ACTIONS_TOKEN actions.token     # Rasa calling the action server, nobody else
secret HM_IDENTITY_SECRET identity.key    # the gateway signs who the member is (bot/identity.py)
secret HM_GATEWAY_API_TOKEN gateway-api.token  # services posting notices to members (reminders, pre-auth results)
secret HM_GATEWAY_LINK_SECRET chat-link.key    # signed web chat links (python -m bot.gateway chat-link)
# The embedded default is a demo: the web chat offers the demo members (docs/security.md;
# HM_DEMO=0 make run behaves as production: a signed link or a guest).
export HM_DEMO="${HM_DEMO:-1}"
password_given="${HM_CONSOLE_PASSWORD:+yes}"
secret HM_CONSOLE_PASSWORD console-password  # never printed: it stays in its file
export HM_BACKENDS_URL="${HM_BACKENDS_URL:-http://127.0.0.1:8000}"
export HM_RASA_URL="${HM_RASA_URL:-http://127.0.0.1:5005}"
export HM_GATEWAY_PORT="${HM_GATEWAY_PORT:-8080}"
# Rasa's conversations survive a Rasa restart (endpoints.yml); the purge job reads it too.
export HM_RASA_TRACKER_DB="${HM_RASA_TRACKER_DB:-sqlite:///$PWD/var/rasa-tracker.sqlite3}"
gateway="http://127.0.0.1:$HM_GATEWAY_PORT"

# The first manager account (kept when it exists: its password is not reset).
python -m bot.console create-user manager --role manager --display-name 健康管家 --if-missing >/dev/null

processes="backends actions rasa gateway retention reminders"
if [ "${HM_WECHAT_DEMO:-}" = 1 ]; then
  # WeChat without WeChat: the simulator (bot/wechat_simulator) plays WeChat's servers,
  # the gateway runs the WeChat channel in safe mode against it (docs/wechat.md).
  secret HM_WECHAT_TOKEN wechat-demo.token
  secret HM_WECHAT_APPSECRET wechat-demo.appsecret
  if [ ! -s var/secrets/wechat-demo.aeskey ]; then
    (umask 077; python -c 'import secrets, string; a = string.ascii_letters + string.digits; print("".join(secrets.choice(a) for _ in range(43)))' >var/secrets/wechat-demo.aeskey)
  fi
  export HM_WECHAT_AES_KEY="$(cat var/secrets/wechat-demo.aeskey)"
  export HM_WECHAT_APPID=wx00000000demo0001 HM_WECHAT_MODE=safe
  export HM_WECHAT_SIM_PORT="${HM_WECHAT_SIM_PORT:-8090}"
  export HM_WECHAT_API_BASE="http://127.0.0.1:$HM_WECHAT_SIM_PORT"
  export HM_WECHAT_TEMPLATES='{"appointment_reminder": "demo_appointment_reminder", "preauth_result": "demo_preauth_result"}'
  if [ -n "${HM_NOW:-}" ]; then
    HM_WECHAT_SIM_NOW="$(python -c 'import sys; from bot.clock import Clock; print(Clock.from_env().now().timestamp())')"
    export HM_WECHAT_SIM_NOW
  fi
  processes="$processes wechat"
fi

# supervisord (bot/supervision/programs.py lists the services; the configuration made
# from it names settings, which supervisord reads from this environment, and holds no
# secret). It runs in a session of its own: a closed terminal (SIGHUP, which supervisord
# would take as "reload") reaches this script, which stops supervisord and so every
# service, process groups and all.
python -m bot.supervision config $processes >/dev/null
setsid supervisord -c var/run/supervisord.conf >>var/log/supervisord.log 2>&1 &
supervisord_pid=$!
follow_pid=
stop() {
  if [ -n "$follow_pid" ]; then kill "$follow_pid" 2>/dev/null || true; fi
  kill -TERM "$supervisord_pid" 2>/dev/null || true
  wait "$supervisord_pid" 2>/dev/null || true
}
# Stopping by a signal says so (quietly failing when the terminal is already gone).
stop_on() {
  printf '\nStopping every service...\n' 2>/dev/null || true
  stop
  printf 'Stopped.\n' 2>/dev/null || true
  exit "$1"
}
trap stop EXIT
trap 'stop_on 130' INT
trap 'stop_on 143' TERM
trap 'stop_on 129' HUP
echo "Starting the services (each one's output: var/log/<service>.log):"
if ! python -m bot.supervision wait --pid "$supervisord_pid" $processes; then
  echo "Stopping the other services. Fix the failure above and run \`make run\` again." >&2
  exit 1
fi

member="${HM_DEMO_MEMBER:-}"
echo
echo "Web chat (members):       $gateway/chat${member:+?member=$member}"
if [ -n "$password_given" ]; then
  password_hint="the password in HM_CONSOLE_PASSWORD"
else
  password_hint="password: cat var/secrets/console-password"
fi
echo "Manager console:          $gateway/console   (user: manager, $password_hint)"
echo "Backends API:             $HM_BACKENDS_URL (description: $HM_BACKENDS_URL/openapi.yaml)"
if [ "${HM_WECHAT_DEMO:-}" = 1 ]; then
  # The account's menu (转人工, 预约, 更多), created through the menu API as an operator
  # would with `make wechat-menu`; the simulator then accepts only its buttons' taps.
  if ! python -m bot.gateway wechat-menu >>var/log/wechat-menu.log 2>&1; then
    echo "The WeChat menu was not created (var/log/wechat-menu.log says why); taps still work." >&2
  fi
  sim="$HM_WECHAT_API_BASE/_sim"
  echo "Simulated WeChat:         $sim/  (a member: oDEMO_ready is 陈静, linked to her policy)"
  echo "  curl -X POST $sim/members/oDEMO_ready/add"
  echo "  curl -X POST $sim/members/oDEMO_ready/send_text -H 'Content-Type: application/json' -d '{\"text\": \"直付是什么\"}'"
  echo "  curl -X POST $sim/members/oDEMO_ready/click -H 'Content-Type: application/json' -d '{\"key\": \"request_human\"}'   (the menu's 转人工)"
  echo "  curl $sim/members/oDEMO_ready/inbox"
fi
echo "Clock: ${HM_NOW:-real time}. Ctrl-C stops everything."
echo "Restarts and crashes are shown here (and kept in var/log/supervision.log);"
echo "services: .venv/bin/supervisorctl -c var/run/supervisord.conf status"
tail -n 0 -F var/log/supervision.log 2>/dev/null &
follow_pid=$!
wait "$supervisord_pid"
