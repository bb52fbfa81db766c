"""The processes the load benchmark measures.

- `EmbeddedStack`: the product as `make run` starts it (scripts/run.sh, Procfile): the
  backends on SQLite (seeded with the demo members and `--members` load members), the
  action server, Rasa with the production model, the gateway with the web chat and the
  WeChat channel in safe mode against the benchmark's simulated WeChat (as
  `HM_WECHAT_DEMO=1 make run`), and the daily retention job. Real processes on free
  ports, fresh databases under var/loadtest/.
- `StockAssistant`: what `rasa init --no-prompt` makes, trained once into
  var/loadtest/stock and reused, served by the project's venv with the REST channel.
- `Deployment`: a running deployment given by URLs; nothing is started.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from bot.processes import (
    ROOT,
    VENV_BIN,
    Server,
    free_port,
    start_action_server,
    start_backends_server,
    start_gateway_server,
    start_rasa_server,
    start_server,
)

LOADTEST_VAR = ROOT / "var" / "loadtest"
STOCK_DIR = LOADTEST_VAR / "stock"
BACKENDS_TOKEN = "loadtest-backends-token"
# Members are scripts: they type faster than people and all come from 127.0.0.1. The
# limiter still runs on every message; it just never refuses (docs/performance.md).
UNLIMITED = "1000000/1:1000000"
RATE_SETTINGS = ("HM_CHAT_START_RATE", "HM_CHAT_MESSAGE_RATE", "HM_CHAT_ADDRESS_RATE",
                 "HM_WECHAT_MEMBER_RATE", "HM_WECHAT_ADDRESS_RATE")
# The gateway's clock is frozen at --now while the simulated WeChat's runs on from it:
# a window wide enough that a long soak's callbacks are not refused as stale.
WECHAT_MAX_SKEW = "86400"
TELEMETRY_OFF = {"RASA_TELEMETRY_ENABLED": "false"}


def _fresh(path: Path) -> Path:
    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    return path


@dataclass
class EmbeddedStack:
    model: Path
    run_dir: Path
    now: Optional[str]  # HM_NOW, or None for the real clock
    members: int
    wechat_env: Dict[str, str] = field(default_factory=dict)  # HM_WECHAT_* for the gateway
    servers: Dict[str, Server] = field(default_factory=dict)
    retention: Optional[subprocess.Popen] = None

    @property
    def gateway_url(self) -> str:
        return self.servers["gateway"].url

    @property
    def rasa_url(self) -> str:
        return self.servers["rasa"].url

    def start(self) -> None:
        logs = self.run_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        clock = {"HM_NOW": self.now} if self.now else {}
        backends_db = f"sqlite:///{_fresh(self.run_dir / 'backends.sqlite3')}"
        gateway_db = f"sqlite:///{_fresh(self.run_dir / 'gateway.sqlite3')}"
        backends_env = {**clock, "HM_BACKENDS_DB": backends_db, "HM_BACKENDS_TOKEN": BACKENDS_TOKEN}
        # Reference data, the demo members and the load members, before the service starts.
        subprocess.run([str(VENV_BIN / "python"), "-m", "bot.backends", "seed",
                        "--load-members", str(self.members)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       env={**os.environ, **backends_env})
        try:
            backends = self._keep(start_backends_server(logs, backends_env))
            service_env = {**clock, "HM_BACKENDS_URL": backends.url,
                           "HM_BACKENDS_TOKEN": BACKENDS_TOKEN}
            actions = self._keep(start_action_server(logs, service_env))
            rasa = self._keep(start_rasa_server(self.model, actions.url, logs,
                                                {**service_env, **TELEMETRY_OFF}))
            gateway_env = {**service_env, "HM_GATEWAY_DB": gateway_db, "HM_RASA_URL": rasa.url,
                           "HM_DEMO": "1", **{name: UNLIMITED for name in RATE_SETTINGS}}
            if self.wechat_env:
                gateway_env.update(self.wechat_env, HM_WECHAT_MAX_SKEW=WECHAT_MAX_SKEW)
            self._keep(start_gateway_server(logs, gateway_env))
            # The daily purge job make run starts: it holds memory like any service.
            log = open(logs / "retention.log", "w")
            self.retention = subprocess.Popen(
                [str(VENV_BIN / "python"), "-m", "bot.review", "purge", "--every", "24h"],
                cwd=ROOT, env={**os.environ, **gateway_env}, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
        except BaseException:
            self.stop()
            raise

    def _keep(self, server: Server) -> Server:
        self.servers[server.name] = server
        return server

    def processes(self) -> Dict[str, int]:
        found = {name: server.process.pid for name, server in self.servers.items()}
        if self.retention is not None:
            found["retention"] = self.retention.pid
        return found

    def stop(self) -> None:
        if self.retention is not None and self.retention.poll() is None:
            os.killpg(self.retention.pid, signal.SIGTERM)
            try:
                self.retention.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.retention.pid, signal.SIGKILL)
                self.retention.wait()
        for server in reversed(list(self.servers.values())):
            server.stop()


@dataclass
class StockAssistant:
    """A stock `rasa init --no-prompt` assistant (the mood bot), trained once."""

    directory: Path = STOCK_DIR
    server: Optional[Server] = None

    def model(self) -> Optional[Path]:
        found = sorted((self.directory / "models").glob("*.tar.gz"))
        return found[-1] if found else None

    def ensure_trained(self) -> Path:
        """Create and train it unless a model is already there (minutes, once)."""
        model = self.model()
        if model is not None:
            return model
        if self.directory.exists():  # an interrupted init: start again
            shutil.rmtree(self.directory)
        # With --no-prompt, rasa init wants the directory to exist.
        self.directory.mkdir(parents=True)
        done = subprocess.run([str(VENV_BIN / "rasa"), "init", "--no-prompt", "--init-dir",
                               str(self.directory)], cwd=self.directory, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env={**os.environ, **TELEMETRY_OFF})
        (self.directory / "init.log").write_text(done.stdout)
        model = self.model()
        if done.returncode != 0 or model is None:
            tail = "\n".join(done.stdout.splitlines()[-20:])
            raise RuntimeError(f"rasa init failed (exit {done.returncode}):\n{tail}")
        return model

    def start(self, log_dir: Path, port: Optional[int] = None) -> Server:
        model = self.ensure_trained()
        port = port or free_port()
        self.server = start_server(
            "stock-rasa",
            ["rasa", "run", "--interface", "127.0.0.1", "--port", str(port), "--model",
             str(model), "--credentials", str(self.directory / "credentials.yml"),
             "--endpoints", str(self.directory / "endpoints.yml")],
            port, "/webhooks/rest/", log_dir, TELEMETRY_OFF, timeout=240)
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


@dataclass
class Deployment:
    """A deployment already running (the production profile, or `make run`)."""

    gateway_url: str
    rasa_url: Optional[str] = None
    watched: Dict[str, int] = field(default_factory=dict)

    def processes(self) -> Dict[str, int]:
        return dict(self.watched)


def listeners(urls: List[str]) -> Dict[str, int]:
    """The processes of this account listening on the ports of `urls` (for memory)."""
    import psutil
    from urllib.parse import urlsplit

    ports = {urlsplit(url).port or 80: url for url in urls}
    found: Dict[str, int] = {}
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return found
    for connection in connections:
        if connection.status == psutil.CONN_LISTEN and connection.laddr and connection.pid:
            if connection.laddr.port in ports:
                found[f"listener:{connection.laddr.port}"] = connection.pid
    return found
