#!/usr/bin/env bash
# Creates .venv with Python 3.10 (Rasa 3.6 supports 3.8-3.10 only) and installs the
# locked dependency set. Re-running is cheap: it reinstalls only when the lock changed.
# It prints one line of progress; pip's own output goes to var/log/setup.log.
set -euo pipefail
cd "$(dirname "$0")/.."

PIP_VERSION=26.3
venv=.venv
log=var/log/setup.log
(umask 077; mkdir -p var/log)

failed() {
  echo "  ✗ $1 failed. The end of $log:" >&2
  tail -n 12 "$log" | sed 's/^/    /' >&2
  exit 1
}

find_python() {
  if command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/3.10.13/bin/python" ]; then
    echo "$(pyenv root)/versions/3.10.13/bin/python"
  elif command -v python3.10 >/dev/null 2>&1; then
    command -v python3.10
  else
    echo "Python 3.10 not found: install it (pyenv install 3.10.13) and retry." >&2
    exit 1
  fi
}

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
  python=$(find_python)
  echo "  … creating $venv with $("$python" --version)"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet "pip==$PIP_VERSION" >>"$log" 2>&1 || failed "installing pip"
fi

want=$(sha256sum requirements/lock.txt | cut -d' ' -f1)
have=$(cat "$venv/.lock-sha256" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
  echo "  … installing the locked dependencies into $venv (first time: about two minutes; pip's output: $log)"
  "$venv/bin/python" -m pip install --quiet -r requirements/lock.txt >>"$log" 2>&1 \
    || failed "installing the dependencies"
  echo "$want" > "$venv/.lock-sha256"
  echo "  ✓ dependencies installed"
else
  echo "  ✓ dependencies up to date ($venv, requirements/lock.txt)"
fi
