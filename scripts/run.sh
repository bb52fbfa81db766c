#!/usr/bin/env bash
# The whole product on its embedded defaults: set up, train if the data or config
# changed (rasa train skips an unchanged model), start the backends (SQLite under var/,
# seeded with the demo members on first start) and the action server, and open a
# terminal chat with the assistant as a demo member. Ctrl-D or /stop ends the chat and
# the servers. HM_DEMO_MEMBER picks the member (README.md lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p var/log

python -m bot.nlu_resources --check || {
  echo "data/ is out of date with bot/data/catalog.yml: run 'python -m bot.nlu_resources'." >&2
  exit 1
}
rasa train --quiet --domain domain --out models

# The token the action server shows the backends: from the environment, or made once
# and kept in an untracked file.
if [ -z "${HM_BACKENDS_TOKEN:-}" ]; then
  mkdir -p var/secrets
  if [ ! -s var/secrets/backends.token ]; then
    (umask 077; python -c 'import secrets; print(secrets.token_urlsafe(32))' >var/secrets/backends.token)
  fi
  HM_BACKENDS_TOKEN=$(cat var/secrets/backends.token)
  export HM_BACKENDS_TOKEN
fi
export HM_BACKENDS_URL="${HM_BACKENDS_URL:-http://127.0.0.1:8000}"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
python -m bot.backends serve >var/log/backends.log 2>&1 &
pids+=($!)
rasa run actions --port 5055 >var/log/actions.log 2>&1 &
pids+=($!)
python -m bot.wait_http "$HM_BACKENDS_URL/health" 60
python -m bot.wait_http http://localhost:5055/health 60

member="${HM_DEMO_MEMBER:-demo-ready}"
echo "Backends: $HM_BACKENDS_URL (API description: $HM_BACKENDS_URL/openapi.yaml)"
echo "Terminal chat as demo member '$member' (type /stop to quit). Clock: ${HM_NOW:-real time}"
rasa shell --endpoints endpoints.yml --model models --conversation-id "$member"
