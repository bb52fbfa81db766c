"""The production profile on one machine (`make run-production`, docs/operations.md):
two replicas each of the gateway, Rasa and the action server behind nginx, every
database in PostgreSQL, Rasa's lock store in Redis. Its ports, each process's command
and settings, and the nginx configuration live here, for scripts/run-production.sh
(which runs them under supervisord, like `make run`: bot/supervision) and the tests
(tests/production/), so both run the same thing.

    python -m bot.production config            # var/production: nginx.conf, supervisord.conf
    python -m bot.production wait [--pid N]    # show each process coming up
    python -m bot.production create-databases  # HM_GATEWAY_DB, HM_BACKENDS_DB and
                                               # HM_RASA_TRACKER_DB, when missing
                                               # (--fresh: dropped first)
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence, Tuple

from bot import rasa_server
from bot.processes import ROOT, VENV_BIN, free_port

if TYPE_CHECKING:
    from bot.supervision.programs import Program

ENDPOINTS = ROOT / "deploy" / "rasa-endpoints.yml"
NGINX = "/usr/sbin/nginx"

# The settings that name the profile's three databases (SQLAlchemy URLs).
DATABASE_SETTINGS = ("HM_GATEWAY_DB", "HM_BACKENDS_DB", "HM_RASA_TRACKER_DB")
# Each Rasa replica keeps at most this many tracker-store connections (Rasa's defaults,
# 50 + 100 per replica, would exceed PostgreSQL's max_connections of 100).
RASA_SQL_POOL = {"SQL_POOL_SIZE": "5", "SQL_MAX_OVERFLOW": "5"}


@dataclass(frozen=True)
class Layout:
    """Where everything listens; nothing overlaps the embedded default's ports (8080,
    5005, 5055, 8000), so `make run` and `make run-production` can run side by side."""

    front: int = 8280           # nginx: the gateways, what members and managers open
    rasa_front: int = 5205      # nginx: the Rasa replicas, what the gateways call
    actions_front: int = 5255   # nginx: the action servers, what Rasa calls
    backends: int = 8200
    gateways: Tuple[int, ...] = (8281, 8282)
    rasas: Tuple[int, ...] = (5206, 5207)
    actions: Tuple[int, ...] = (5256, 5257)

    @classmethod
    def on_free_ports(cls) -> "Layout":
        """The same shape on ports nobody holds (tests)."""
        return cls(free_port(), free_port(), free_port(), free_port(),
                   (free_port(), free_port()), (free_port(), free_port()),
                   (free_port(), free_port()))

    @property
    def front_url(self) -> str:
        return f"http://127.0.0.1:{self.front}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_front}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_front}"

    @property
    def backends_url(self) -> str:
        return f"http://127.0.0.1:{self.backends}"


@dataclass
class Process:
    """One process of the profile: its command (run from the repository root) and the
    settings it gets on top of the profile's shared environment."""

    name: str
    args: List[str]
    env: Dict[str, str] = field(default_factory=dict)
    port: Optional[int] = None
    ready_path: str = "/health"


def rasa_args(port: int, model: str = "models") -> List[str]:
    return rasa_server.command(port, model, ENDPOINTS.relative_to(ROOT))


def processes(layout: Layout, model: str = "models") -> List[Process]:
    """Every process but nginx, in start order. Secrets and database URLs come from the
    shared environment (`shared_environment`)."""
    backends = {"HM_BACKENDS_URL": layout.backends_url}
    found = [Process("backends", ["python", "-m", "bot.backends", "serve"],
                     {"HM_BACKENDS_PORT": str(layout.backends)}, layout.backends)]
    for i, port in enumerate(layout.actions, 1):
        found.append(Process(f"actions{i}", ["python", "-m", "bot.actionserver",
                                             "--port", str(port)], backends, port))
    for i, port in enumerate(layout.rasas, 1):
        found.append(Process(f"rasa{i}", rasa_args(port, model),
                             {"HM_ACTIONS_URL": f"{layout.actions_url}/webhook",
                              **RASA_SQL_POOL}, port, "/status"))
    for i, port in enumerate(layout.gateways, 1):
        found.append(Process(f"gateway{i}", ["python", "-m", "bot.gateway", "serve"], {
            **backends, "HM_GATEWAY_PORT": str(port), "HM_RASA_URL": layout.rasa_url,
            # Behind nginx every member comes from 127.0.0.1: believe the address nginx
            # puts in X-Forwarded-For, so rate limits count members, not the proxy.
            "HM_TRUSTED_PROXIES": "127.0.0.1"}, port))
    # Purges conversations past HM_RETENTION_DAYS once a day (docs/review.md).
    found.append(Process("retention", ["python", "-m", "bot.review", "purge", "--every", "24h"]))
    # Visit reminders and pre-auth decisions every 15 minutes, posted through the front
    # (either gateway); a run before nginx is up fails and the next one catches up.
    found.append(Process("reminders", ["python", "-m", "bot.reminders", "--every", "15m"],
                         {**backends, "HM_GATEWAY_URL": layout.front_url,
                          # not `make run`'s state: the two profiles can run at once
                          "HM_REMINDERS_STATE": str(ROOT / "var" / "production"
                                                    / "reminders-state.json")}))
    return found


def supervised(layout: Layout, directory: Path, log_dir: Path) -> Tuple["Program", ...]:
    """The profile's processes and nginx as supervisord programs (bot/supervision): the
    same restarts, storm guard, logs and start-up progress as `make run`. A process's own
    settings go in front of its command (`env NAME=value ...`); the shared ones, secrets
    included, come from supervisord's environment (scripts/run-production.sh)."""
    from bot.supervision.programs import Program as Supervised

    found = []
    for process in processes(layout):
        args = list(process.args)
        if (VENV_BIN / args[0]).exists():  # the venv's python and rasa, whatever PATH says
            args[0] = str(VENV_BIN / args[0])
        assignments = [f"{name}={value}" for name, value in process.env.items()]
        command = ("env", *assignments, *args) if assignments else tuple(args)
        ready = (f"http://127.0.0.1:{process.port}{process.ready_path}"
                 if process.port else None)
        if process.name.startswith("rasa"):
            found.append(Supervised(process.name, command, f"Rasa replica {process.name[-1]}",
                                    ready=f"{ready}?token={{HM_RASA_TOKEN}}", startsecs=60,
                                    stopwaitsecs=20, timeout=400,
                                    note="loading the model: a minute or two",
                                    reads=(rasa_server.TOKEN_SETTING,)))
        else:
            found.append(Supervised(process.name, command, _TITLES.get(process.name,
                                                                        process.name),
                                    ready=ready, startsecs=5 if not ready else 10,
                                    timeout=90 if ready else 60))
    found.append(Supervised("nginx", tuple(nginx_command(directory, log_dir)),
                            "nginx (load balancer)",
                            ready=f"{layout.front_url}/health", startsecs=2, timeout=120))
    return tuple(found)


_TITLES = {"backends": "backends API", "actions1": "action server 1",
           "actions2": "action server 2", "gateway1": "gateway 1",
           "gateway2": "gateway 2", "retention": "daily purge job",
           "reminders": "reminders job"}


def nginx_command(directory: Path, log_dir: Path) -> List[str]:
    """nginx in the foreground with the profile's configuration (its own pid file and
    temporary files under `directory`, logs in `log_dir`: nothing of the system's nginx)."""
    return [NGINX, "-p", f"{directory}/", "-c", "nginx.conf",
            "-e", str(log_dir / "nginx-error.log"), "-g", "daemon off;"]


def nginx_conf(layout: Layout, directory: Path, log_dir: Path) -> str:
    """The nginx configuration: the gateways on `front` (both serving: the live hub and
    WeChat's token are shared through Redis, docs/operations.md), the Rasa replicas on
    `rasa_front` and the action servers on `actions_front`, all on 127.0.0.1."""
    def servers(ports: Sequence[int]) -> str:
        return "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;"
                         for port in ports)

    temp = "\n".join(f"    {kind}_temp_path {directory}/temp/{kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # Workers run as the account that runs the product, like every other process
    # (nginx switches to `nobody` when started as root).
    user_line = f"user {_account()};\n" if os.geteuid() == 0 else ""
    return f"""# Generated by bot/production.py for the production profile on one machine
# (docs/operations.md). Edit bot/production.py, not this file.
{user_line}worker_processes 1;
pid {directory}/nginx.pid;
error_log {log_dir}/nginx-error.log warn;

events {{
    worker_connections 1024;
}}

http {{
    # The request line without its query string: the web chat's event stream carries
    # the member's session token there, and nginx's log is not masked.
    log_format hm '$remote_addr [$time_local] "$request_method $uri" $status '
                  '$body_bytes_sent $request_time "$upstream_addr"';
    access_log {log_dir}/nginx-access.log hm;
{temp}
    # Bodies and answers stay in memory, never in nginx's temporary files: a member's
    # words (and Rasa's trackers, sent to the actions) are not written to disk here.
    client_max_body_size 1m;  # the gateway's own limit (REQUEST_MAX_SIZE)
    client_body_buffer_size 1m;
    proxy_buffer_size 16k;
    proxy_buffers 64 16k;
    proxy_max_temp_file_size 0;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    # A replica that refuses a connection is skipped; a request it already received is
    # never sent twice (nginx retries a POST only when it was not sent).
    proxy_next_upstream error timeout;

    # The gateways, both serving. A live event published on one (a manager's reply)
    # reaches the streams held on the other through Redis (bot/gateway/live.py); the
    # event streams are long requests, so `least_conn` spreads them rather than turns.
    upstream gateways {{
        least_conn;
{servers(layout.gateways)}
        keepalive 16;
    }}

    # Any Rasa replica may take any message: the lock store (Redis) keeps one
    # conversation's messages in order, the tracker store (PostgreSQL) is shared.
    upstream rasa {{
        least_conn;
{servers(layout.rasas)}
        keepalive 16;
    }}

    upstream actions {{
        least_conn;
{servers(layout.actions)}
        keepalive 16;
    }}

    server {{
        listen 127.0.0.1:{layout.front};
        location / {{
            proxy_pass http://gateways;
            proxy_set_header Host $http_host;
            # Replaced, not appended: the gateway believes this header from 127.0.0.1
            # only (HM_TRUSTED_PROXIES), and a client's own X-Forwarded-For is dropped.
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            # Server-sent events (web chat, console live views).
            proxy_buffering off;
            proxy_read_timeout 1h;
        }}
    }}

    server {{
        listen 127.0.0.1:{layout.rasa_front};
        access_log off;  # the paths name the conversation (the member's channel id)
        location / {{
            proxy_pass http://rasa;
            proxy_read_timeout 60s;  # the gateway gives up after HM_RASA_TIMEOUT (30 s)
        }}
    }}

    server {{
        listen 127.0.0.1:{layout.actions_front};
        access_log off;  # Rasa's calls, one path: nothing to learn
        location / {{
            proxy_pass http://actions;
            proxy_read_timeout 30s;
        }}
    }}
}}
"""


def write_nginx(directory: Path, log_dir: Path, layout: Layout) -> Path:
    """`directory`/nginx.conf and nginx's temporary folders; the configuration's path."""
    directory, log_dir = directory.resolve(), log_dir.resolve()
    log_dir.mkdir(parents=True, exist_ok=True)
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / "temp" / kind).mkdir(parents=True, exist_ok=True)
    path = directory / "nginx.conf"
    path.write_text(nginx_conf(layout, directory, log_dir))
    return path


def _account() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def create_databases(urls: Mapping[str, str], fresh: bool = False) -> List[str]:
    """Create each PostgreSQL database that does not exist yet (with `fresh`, drop it
    first); the names created."""
    import psycopg2
    from sqlalchemy.engine import make_url

    created = []
    for url in urls.values():
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            continue
        admin = psycopg2.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 5432,
                                 user=parsed.username or "postgres", password=parsed.password,
                                 dbname="postgres", connect_timeout=5)
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                if fresh:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                               (parsed.database,))
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{parsed.database}"')
                    created.append(parsed.database)
        finally:
            admin.close()
    return created


RUN_DIR = ROOT / "var" / "production"
LOG_DIR = ROOT / "var" / "log" / "production"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.production",
                                     description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("config", help="write nginx.conf and supervisord.conf")
    commands.add_parser("wait", help="show each process coming up").add_argument(
        "--pid", type=int, help="supervisord's process id")
    commands.add_parser("create-databases", help="create the PostgreSQL databases if missing"
                        ).add_argument("--fresh", action="store_true",
                                       help="drop them first (the load benchmark's own)")
    args = parser.parse_args(argv)
    if args.command in ("config", "wait"):
        from bot.supervision import config as supervision, progress

        layout = Layout()
        programs = supervised(layout, RUN_DIR, LOG_DIR)
        where = supervision.Layout(RUN_DIR, LOG_DIR)
        if args.command == "wait":
            try:
                return 0 if progress.wait(programs, where, os.environ, sys.stdout,
                                          args.pid) else 1
            except KeyboardInterrupt:  # Ctrl-C while waiting: the script stops everything
                return 130
        write_nginx(RUN_DIR, LOG_DIR, layout)
        try:
            print(supervision.write(programs, where, os.environ))
        except supervision.MissingSetting as error:
            print(f"bot.production: {error}", file=sys.stderr)
            return 2
        return 0
    missing = [name for name in DATABASE_SETTINGS if not os.environ.get(name, "").strip()]
    if missing:
        print(f"bot.production: set {', '.join(missing)} (SQLAlchemy URLs)", file=sys.stderr)
        return 2
    urls = {n: os.environ[n].strip() for n in DATABASE_SETTINGS}
    for name in create_databases(urls, fresh=args.fresh):
        print(f"created database {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
