# Shell functions (sourced by scripts/run.sh, scripts/test.sh and scripts/run-production.sh): start the
# machine's PostgreSQL and Redis when they are not answering, install Debian's nginx when
# it is missing (the same commands this kind of machine uses: docs/operations.md), refuse
# to start over ports another instance holds, and make each secret once.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_postgres() {
  pg_isready -q -h 127.0.0.1 && return 0
  echo "Starting PostgreSQL..."
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && return 0; sleep 1; done
  pg_isready -h 127.0.0.1
}

ensure_redis() {
  redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && return 0
  echo "Starting Redis..."
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && return 0; sleep 1; done
  redis-cli -h 127.0.0.1 ping
}

# Debian's nginx, in front of the replicas of the production profile. Only the binary is
# used: the profile runs its own nginx with its own configuration (bot/production.py),
# never the system's service.
ensure_nginx() {
  [ -x /usr/sbin/nginx ] && return 0
  echo "Installing Debian's nginx..."
  as_root apt-get install -y nginx || { as_root apt-get update && as_root apt-get install -y nginx; }
}

# Exit when one of the ports is held on 127.0.0.1: another instance (or a service left
# from one) would keep serving with its old settings. $1 says which command to stop.
refuse_held_ports() {
  local what=$1; shift
  python - "$what" "$@" <<'PY' || exit 1
import socket, sys
held = [port for port in sys.argv[2:] if socket.socket().connect_ex(("127.0.0.1", int(port))) == 0]
if held:
    sys.exit(f"Already in use on 127.0.0.1: port {', '.join(held)}. Another `{sys.argv[1]}` (or a "
             "service left from one) is still running: stop it first.")
PY
}

# A secret from the environment, or made once and kept in an untracked file under
# var/secrets/ (0600), never printed: secret NAME FILE.
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
