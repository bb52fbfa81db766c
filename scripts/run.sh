#!/usr/bin/env bash
# The whole product on its embedded defaults: set up, train if the data, config or
# custom components changed (bot/train.py), then start everything in the Procfile
# with honcho: the backends (SQLite under var/, seeded with the demo members on first
# start), the action server, the Rasa server (REST channel and HTTP API) and the gateway
# with the web chat and the manager console. Prints the URLs once they answer; Ctrl-C
# stops everything. The logs are in var/log/run.log.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
# Databases, logs and secrets are readable by this account only (docs/security.md).
umask 077
mkdir -p var/log
chmod -R go-rwx var 2>/dev/null || true

# A second start would print its clock and URLs while the first instance kept serving
# with its old settings: refuse, and say which port is held.
ports="8000 5055 5005 ${HM_GATEWAY_PORT:-8080}"
[ "${HM_WECHAT_DEMO:-}" = 1 ] && ports="$ports ${HM_WECHAT_SIM_PORT:-8090}"
python - $ports <<'PY' || exit 1
import socket, sys
held = [port for port in sys.argv[1:] if socket.socket().connect_ex(("127.0.0.1", int(port))) == 0]
if held:
    sys.exit(f"Already in use on 127.0.0.1: port {', '.join(held)}. Another `make run` (or a "
             "service left from one) is still running: stop it first.")
PY

python -m bot.nlu_resources --check || {
  echo "data/ is out of date with bot/data/catalog.yml: run 'python -m bot.nlu_resources'." >&2
  exit 1
}
# Trains only when config, domain, data or the custom components changed since the
# newest model, and keeps the three newest models (bot/train.py).
python -m bot.train

# A secret from the environment, or made once and kept in an untracked file.
secret() {
  local name=$1 file=var/secrets/$2
  if [ -z "${!name:-}" ]; then
    mkdir -p var/secrets
    if [ ! -s "$file" ]; then
      (umask 077; python -c 'import secrets; print(secrets.token_urlsafe(24))' >"$file")
    fi
    export "$name=$(cat "$file")"
  fi
}
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
gateway="http://127.0.0.1:$HM_GATEWAY_PORT"

# The first manager account (kept when it exists: its password is not reset).
python -m bot.console create-user manager --role manager --display-name 健康管家 --if-missing

processes="backends actions rasa gateway retention"
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

# honcho in a session of its own: a closed terminal (SIGHUP) reaches this script, which
# stops honcho and so every service, instead of killing honcho and orphaning them.
setsid honcho start --no-colour --procfile Procfile --app-root . $processes >var/log/run.log 2>&1 &
honcho_pid=$!
stop() { kill -TERM "$honcho_pid" 2>/dev/null || true; wait "$honcho_pid" 2>/dev/null || true; }
trap stop EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap 'stop; exit 129' HUP
echo "Starting the backends, action server, Rasa (about a minute to load) and gateway;"
echo "logs: var/log/run.log"
python -m bot.wait_http "$HM_BACKENDS_URL/health" 60
python -m bot.wait_http "$gateway/health" 60
python -m bot.wait_http http://127.0.0.1:5055/health 90
python -m bot.wait_http "$HM_RASA_URL/status?token=$HM_RASA_TOKEN" 300  # model loaded

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
  python -m bot.wait_http "$HM_WECHAT_API_BASE/_sim/" 30
  sim="$HM_WECHAT_API_BASE/_sim"
  echo "Simulated WeChat:         $sim/  (a member: oDEMO_ready is 陈静, linked to her policy)"
  echo "  curl -X POST $sim/members/oDEMO_ready/add"
  echo "  curl -X POST $sim/members/oDEMO_ready/send_text -H 'Content-Type: application/json' -d '{\"text\": \"直付是什么\"}'"
  echo "  curl $sim/members/oDEMO_ready/inbox"
fi
echo "Clock: ${HM_NOW:-real time}. Ctrl-C stops everything."
wait "$honcho_pid"
