#!/usr/bin/env bash
# The whole product on its embedded defaults: set up, train if the data or config
# changed (rasa train skips an unchanged model), start the action server, and open a
# terminal chat with the assistant. Ctrl-D or /stop ends the chat and the servers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p var/log

python -m bot.nlu_resources --check || {
  echo "data/ is out of date with bot/data/catalog.yml: run 'python -m bot.nlu_resources'." >&2
  exit 1
}
rasa train --quiet --out models

rasa run actions --port 5055 >var/log/actions.log 2>&1 &
actions_pid=$!
trap 'kill $actions_pid 2>/dev/null || true' EXIT
python -m bot.wait_http http://localhost:5055/health 60

echo "Terminal chat with the assistant (type /stop to quit). Clock: ${HM_NOW:-real time}"
rasa shell --endpoints endpoints.yml --model models
