"""Shared fixtures: a small model trained from the project's own config and data, the
real action and Rasa servers running it, and the backends API on SQLite and PostgreSQL."""
from __future__ import annotations

import os
import re
import subprocess
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest
import yaml

from bot.processes import (
    LOCAL_SECRETS,
    ROOT,
    VENV_BIN,
    Server,
    free_port,
    process_alive,
    start_action_server,
    start_backends_server,
    start_gateway_server,
    start_rasa_server,
)

TEST_VAR = ROOT / "var" / "test"
# The secrets between the processes (docs/security.md): the servers the fixtures start get
# these, and so do the actions the unit tests run in this process.
for _name, _value in LOCAL_SECRETS.items():
    os.environ.setdefault(_name, _value)
# ../shared (the time corpus, WeChat's published vectors) sits beside the repository, on
# CI too; HM_SHARED_DIR overrides it for a checkout elsewhere.
SHARED_DIR = Path(os.environ.get("HM_SHARED_DIR", ROOT.parent / "shared"))
# Tuesday 10:00 in Shanghai: managers and call centre both open.
TEST_NOW = "2026-11-24T10:00:00+08:00"
# Fewer epochs than production: the suite must stay fast on two cores, and what it checks
# is behaviour, not the last point of accuracy (`make evaluate` measures that).
TEST_EPOCHS = {"DIETClassifier": 30}


def small_config() -> Path:
    """config.yml with fewer epochs, written where rasa's change detection sees it."""
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    for part in config["pipeline"] + config["policies"]:
        if part["name"] in TEST_EPOCHS:
            part["epochs"] = TEST_EPOCHS[part["name"]]
    path = TEST_VAR / "config.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def test_model() -> Path:
    """Trains once per change of config or data; rasa skips an unchanged model."""
    out = TEST_VAR / "models"
    subprocess.run(
        [str(VENV_BIN / "rasa"), "train", "--domain", "domain", "--config", str(small_config()),
         "--out", str(out),
         "--fixed-model-name", "test", "--quiet"],
        cwd=ROOT, check=True,
    )
    return out / "test.tar.gz"


@pytest.fixture(scope="session")
def conversation_backends() -> Iterator["Backends"]:
    """The backends the conversations talk to: their own database, so the API tests'
    bookings never collide with the conversations'."""
    backends = start_backends("conversation-backends", fresh_sqlite_url("conversations"))
    yield backends
    backends.server.stop()


@pytest.fixture(scope="session")
def action_server(conversation_backends: "Backends") -> Iterator[Server]:
    server = start_action_server(TEST_VAR / "logs", env={
        "HM_NOW": TEST_NOW, "HM_BACKENDS_URL": conversation_backends.url,
        "HM_BACKENDS_TOKEN": conversation_backends.token})
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rasa_server(test_model: Path, action_server: Server) -> Iterator[Server]:
    server = start_rasa_server(
        test_model, action_server.url, TEST_VAR / "logs", env={"HM_NOW": TEST_NOW}
    )
    yield server
    server.stop()


# ------------------------------------------------------------------ backends API

TEST_BACKENDS_TOKEN = "test-backends-token"
# The PostgreSQL server the tests create throwaway databases in (scripts/test.sh starts it).
TEST_POSTGRES = os.environ.get("HM_TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432")


@dataclass
class Backends:
    """A running backends server and how to call it."""

    server: Server
    token: str
    db_url: str

    @property
    def url(self) -> str:
        return self.server.url

    def headers(self, idempotency_key: Optional[str] = None) -> Dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers


def fresh_sqlite_url(name: str) -> str:
    """A new SQLite file for this test run (named by process, so two runs at once do
    not share it); files left by finished runs are removed."""
    directory = TEST_VAR / "backends"
    directory.mkdir(parents=True, exist_ok=True)
    pattern = re.compile(rf"{re.escape(name)}-(\d+)\.sqlite3(-wal|-shm|-journal)?")
    for old in directory.iterdir():
        match = pattern.fullmatch(old.name)
        if match and (int(match[1]) == os.getpid() or not process_alive(int(match[1]))):
            old.unlink(missing_ok=True)
    return f"sqlite:///{directory / f'{name}-{os.getpid()}.sqlite3'}"


def start_backends(name: str, db_url: str, now: str = TEST_NOW) -> Backends:
    """A backends server on a free port, frozen at `now`, migrated and seeded."""
    env = {"HM_NOW": now, "HM_BACKENDS_DB": db_url, "HM_BACKENDS_TOKEN": TEST_BACKENDS_TOKEN}
    return Backends(start_backends_server(TEST_VAR / "logs", env, name=name),
                    TEST_BACKENDS_TOKEN, db_url)


@contextmanager
def throwaway_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for this run, dropped afterwards."""
    import psycopg2
    from sqlalchemy.engine import make_url

    server = make_url(TEST_POSTGRES)
    name = f"hm_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg2.connect(host=server.host, port=server.port or 5432,
                                 user=server.username or "postgres", password=server.password,
                                 dbname="postgres", connect_timeout=5)
    except psycopg2.OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable at {server.host}:{server.port} "
                    f"(scripts/test.sh starts it): {error}")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def backends_server() -> Iterator[Backends]:
    """The backends API on a fresh SQLite file, clock at TEST_NOW, demo members seeded."""
    backends = start_backends("backends", fresh_sqlite_url("backends"))
    yield backends
    backends.server.stop()


@pytest.fixture(scope="session")
def backends_server_postgres() -> Iterator[Backends]:
    """The same on a throwaway PostgreSQL database."""
    with throwaway_postgres_database() as db_url:
        backends = start_backends("backends-postgres", db_url)
        yield backends
        backends.server.stop()


# ------------------------------------------------------------------ gateway and console

# Tuesday 21:00 in Shanghai: managers gone (back 08:30), call centre open until 22:00.
EVENING_NOW = "2026-11-24T21:00:00+08:00"
CONSOLE_PASSWORD = "test-console-password"
# username: (role, display name)
CONSOLE_USERS = {
    "wang": ("manager", "王芳"),
    "li": ("manager", "李雷"),
    "zhao": ("reviewer", "赵审"),
    "boss": ("admin", "管理员"),
}


@dataclass
class GatewayProcess:
    """A running gateway, its database, and clients for members and managers."""

    server: Server
    db_url: str

    @property
    def url(self) -> str:
        return self.server.url

    def member(self, member: Optional[str] = None) -> "WebMember":
        import requests

        started = requests.post(f"{self.url}/chat/api/start", json={"member": member},
                                timeout=10).json()
        return WebMember(self.url, started["token"], started["conversation_id"],
                         started["member"])

    def console(self, username: str, password: str = CONSOLE_PASSWORD) -> "ConsoleUser":
        user = ConsoleUser(self.url)
        user.login(username, password)
        return user


@dataclass
class WebMember:
    """A member in the web chat, as the page talks to the gateway."""

    url: str
    token: str
    conversation_id: int
    external_id: str

    @property
    def headers(self) -> Dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def say(self, text: str, payload: Optional[str] = None,
            client_id: Optional[str] = None) -> dict:
        """The POST's answer (the stored message's id, whether it was a retry) with
        "replies": what the turn said to the member, as the page would load it after
        its message (the page itself hears the replies on its stream)."""
        import requests

        answer = requests.post(f"{self.url}/chat/api/messages", headers=self.headers,
                               json={"text": text, "payload": payload,
                                     "client_id": client_id or uuid.uuid4().hex},
                               timeout=90)
        answer.raise_for_status()
        stored = answer.json()
        later = [] if stored["duplicate"] else self.history(after=stored["message_id"])
        return {**stored, "replies": [m for m in later if m["author"] != "member"]}

    def history(self, after: int = 0) -> list:
        import requests

        answer = requests.get(f"{self.url}/chat/api/history", headers=self.headers,
                              params={"after": after}, timeout=10)
        answer.raise_for_status()
        return answer.json()["messages"]


class ConsoleUser:
    """A manager's browser session without the browser: cookies, the CSRF token."""

    def __init__(self, url: str) -> None:
        import requests

        self.url = url
        self.http = requests.Session()
        self.csrf = ""

    def login(self, username: str, password: str):
        page = self.http.get(f"{self.url}/console/login", timeout=10)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
        answer = self.http.post(f"{self.url}/console/login", allow_redirects=False, timeout=10,
                                data={"csrf_token": token, "username": username,
                                      "password": password, "next": "/console/"})
        if answer.status_code == 303:
            queue = self.http.get(f"{self.url}/console/", timeout=10)
            self.csrf = re.search(r'data-csrf="([^"]*)"', queue.text)[1]
        return answer

    def get(self, path: str, **kwargs):
        return self.http.get(f"{self.url}{path}", allow_redirects=False, timeout=30, **kwargs)

    def post(self, path: str, data: Optional[dict] = None, csrf: Optional[str] = None,
             as_json: bool = True):
        headers = {"Accept": "application/json"} if as_json else {}
        fields = {"csrf_token": self.csrf if csrf is None else csrf, **(data or {})}
        return self.http.post(f"{self.url}{path}", data=fields, headers=headers,
                              allow_redirects=False, timeout=60)

    def conversation(self, conversation_id: int) -> dict:
        answer = self.get(f"/console/api/conversations/{conversation_id}")
        answer.raise_for_status()
        return answer.json()


def gateway_rows(gateway: GatewayProcess, sql: str, **params) -> list:
    """What the gateway stored, read straight from its database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(gateway.db_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params))
    finally:
        engine.dispose()


def wait_for(check, timeout: float = 30.0):
    """check()'s first true value, or its last value when the time is up."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def fresh_gateway_db(name: str) -> str:
    """A new gateway SQLite file for this run, with the test console users in it."""
    url = fresh_sqlite_url(name)
    for username, (role, display_name) in CONSOLE_USERS.items():
        subprocess.run(
            [str(VENV_BIN / "python"), "-m", "bot.console", "create-user", username,
             "--role", role, "--display-name", display_name],
            cwd=ROOT, check=True, capture_output=True,
            env={**os.environ, "HM_GATEWAY_DB": url, "HM_CONSOLE_PASSWORD": CONSOLE_PASSWORD},
        )
    return url


def start_gateway(name: str, rasa_url: str, backends: Backends,
                  now: str = TEST_NOW, env: Optional[Dict[str, str]] = None) -> GatewayProcess:
    db_url = fresh_gateway_db(name)
    server = start_gateway_server(TEST_VAR / "logs", {
        "HM_GATEWAY_DB": db_url, "HM_RASA_URL": rasa_url, "HM_NOW": now,
        "HM_BACKENDS_URL": backends.url, "HM_BACKENDS_TOKEN": backends.token,
        # Demo members; every test's client is 127.0.0.1, so no per-address limits
        # (tests/security/test_chat_limits.py tests them on gateways of its own).
        "HM_DEMO": "1", "HM_CHAT_START_RATE": "off", "HM_CHAT_ADDRESS_RATE": "off",
        **(env or {}),
    }, name=name)
    return GatewayProcess(server, db_url)


@pytest.fixture(scope="session")
def console_gateway(backends_server: Backends) -> Iterator[GatewayProcess]:
    """The gateway with no Rasa behind it (a closed port): fast console tests, and the
    path where the bot is down. Clock at TEST_NOW (managers on duty)."""
    gateway = start_gateway("gateway-console", f"http://127.0.0.1:{free_port()}",
                            backends_server)
    yield gateway
    gateway.server.stop()


@pytest.fixture(scope="session")
def gateway_server(rasa_server: Server,
                   conversation_backends: Backends) -> Iterator[GatewayProcess]:
    """The gateway in front of the real Rasa and action servers, at TEST_NOW."""
    gateway = start_gateway("gateway", rasa_server.url, conversation_backends)
    yield gateway
    gateway.server.stop()


@dataclass
class Stack:
    backends: Backends
    actions: Server
    rasa: Server
    gateway: GatewayProcess

    def stop(self) -> None:
        for server in (self.gateway.server, self.rasa, self.actions, self.backends.server):
            server.stop()


@pytest.fixture(scope="session")
def evening_stack(test_model: Path) -> Iterator[Stack]:
    """Everything again at 21:00 (the same trained model): the out-of-hours path."""
    backends = start_backends("evening-backends", fresh_sqlite_url("evening"), EVENING_NOW)
    actions = start_action_server(TEST_VAR / "logs" / "evening", env={
        "HM_NOW": EVENING_NOW, "HM_BACKENDS_URL": backends.url,
        "HM_BACKENDS_TOKEN": backends.token})
    rasa = start_rasa_server(test_model, actions.url, TEST_VAR / "logs" / "evening",
                             env={"HM_NOW": EVENING_NOW})
    gateway = start_gateway("gateway-evening", rasa.url, backends, EVENING_NOW)
    stack = Stack(backends, actions, rasa, gateway)
    yield stack
    stack.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path: Path) -> Iterator[Any]:
    """An empty database on each engine the services support, for migration tests."""
    from bot.db import Database

    if request.param == "sqlite":
        db = Database.from_url(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield db
        db.dispose()
        return
    with throwaway_postgres_database() as url:
        db = Database.from_url(url)
        yield db
        db.dispose()
