"""Start the project's servers (Rasa, actions, backends, gateway) as real subprocesses on
free ports and stop them cleanly: shared by the test fixtures and the benchmarks."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence

from bot import rasa_server
from bot.wait_http import wait_http

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


# The secrets between the processes (docs/security.md) for the servers the tests and
# benchmarks start on this machine: fixed values, unless the environment sets its own.
LOCAL_SECRETS = {
    "HM_IDENTITY_SECRET": "local-test-identity-secret-not-for-production",
    "HM_ACTIONS_TOKEN": "local-test-actions-token",
    "HM_RASA_TOKEN": "local-test-rasa-token",
}


def local_secret(name: str) -> str:
    return os.environ.get(name) or LOCAL_SECRETS[name]


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (owned by anyone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen
    log_path: Path

    def stop(self, timeout: float = 20.0) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_server(
    name: str,
    args: Sequence[str],
    port: int,
    ready_path: str,
    log_dir: Path,
    env: Optional[Mapping[str, str]] = None,
    timeout: float = 180.0,
) -> Server:
    """Run `args` (a command in the venv) in its own process group and wait until
    http://127.0.0.1:port{ready_path} answers 200."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    full_env = {**LOCAL_SECRETS, **os.environ, **(env or {})}
    full_env["PATH"] = f"{VENV_BIN}{os.pathsep}{full_env.get('PATH', '')}"
    # Logs are the service's own: readable by this account only (docs/security.md).
    log = os.fdopen(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w")
    os.chmod(log_path, 0o600)
    process = subprocess.Popen(
        [str(VENV_BIN / args[0]), *args[1:]],
        cwd=ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    server = Server(name, f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_http(server.url + ready_path, timeout)
    except TimeoutError:
        server.stop()
        raise RuntimeError(f"{name} did not start:\n{server.log_tail()}")
    return server


def start_action_server(log_dir: Path, env: Optional[Mapping[str, str]] = None) -> Server:
    port = free_port()
    return start_server(
        "actions", ["python", "-m", "bot.actionserver", "--port", str(port)], port, "/health",
        log_dir, env, timeout=90,
    )


def action_endpoint(action_url: str) -> str:
    """The project's `action_endpoint` (endpoints.yml: its token, its options) as YAML,
    pointed at the action server at `action_url`. Rasa reads the token from the
    environment (HM_ACTIONS_TOKEN): it replaces ${...} in plain, unquoted values, as
    yaml.safe_dump writes them."""
    import yaml

    endpoint = yaml.safe_load((ROOT / "endpoints.yml").read_text())["action_endpoint"]
    return yaml.safe_dump({"action_endpoint": {**endpoint, "url": f"{action_url}/webhook"}},
                          allow_unicode=True)


def start_rasa_server(
    model: Path, action_url: str, log_dir: Path, env: Optional[Mapping[str, str]] = None
) -> Server:
    """The Rasa server with the REST channel and HTTP API; ready once a model is loaded."""
    port = free_port()
    endpoints = log_dir / "endpoints.yml"
    log_dir.mkdir(parents=True, exist_ok=True)
    endpoints.write_text(action_endpoint(action_url))
    token = {**LOCAL_SECRETS, **os.environ, **(env or {})}.get("HM_RASA_TOKEN", "")
    return start_server(
        "rasa",
        rasa_server.command(port, model, endpoints),
        port, f"/status?token={token}" if token else "/status", log_dir, env, timeout=240,
    )


def start_backends_server(
    log_dir: Path, env: Optional[Mapping[str, str]] = None, name: str = "backends"
) -> Server:
    """The backends API (`python -m bot.backends serve`); `env` must carry
    HM_BACKENDS_TOKEN and usually HM_BACKENDS_DB. Migrates and seeds before it answers."""
    port = free_port()
    return start_server(
        name, ["python", "-m", "bot.backends", "serve"], port, "/health", log_dir,
        {**(env or {}), "HM_BACKENDS_PORT": str(port)}, timeout=60,
    )


def start_gateway_server(
    log_dir: Path, env: Optional[Mapping[str, str]] = None, name: str = "gateway"
) -> Server:
    """The gateway and manager console (`python -m bot.gateway serve`); `env` usually
    carries HM_GATEWAY_DB, HM_RASA_URL, HM_BACKENDS_URL/TOKEN and HM_NOW. Migrates
    before it answers."""
    port = free_port()
    return start_server(
        name, ["python", "-m", "bot.gateway", "serve"], port, "/health", log_dir,
        {**(env or {}), "HM_GATEWAY_PORT": str(port)}, timeout=60,
    )
