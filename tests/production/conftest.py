"""The production profile on this machine, as `make run-production` runs it
(bot/production.py), on free ports: the backends, two action servers, two Rasa replicas
(the session's test model, tracker store in PostgreSQL, lock store in Redis), two
gateways (WeChat configured, in front of the WeChat simulator, whose callbacks go
through nginx like a member's requests), and nginx in front; every database a throwaway
PostgreSQL database."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from bot.processes import LOCAL_SECRETS, Server, start_server
from bot.production import NGINX, Layout, Process, nginx_command, nginx_conf, processes
from bot.wechat_simulator import WeChatSimulator
from tests.conftest import TEST_BACKENDS_TOKEN, TEST_NOW, TEST_VAR, throwaway_postgres_database

LINK_SECRET = "production-profile-test-link-secret"
LOG_DIR = TEST_VAR / "logs" / "production"
WECHAT_TOKEN = "production-wechat-token"
WECHAT_APP_ID = "wx9f0d000000000aa1"
WECHAT_SECRET = "production-app-secret"
WECHAT_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"


@dataclass
class ProductionStack:
    layout: Layout
    env: Dict[str, str]            # the profile's shared settings
    servers: Dict[str, Server]     # by process name: backends, actions1, rasa1, ...
    definitions: Dict[str, Process]
    nginx_dir: Path
    wechat: WeChatSimulator        # WeChat's servers; its callbacks go to nginx

    @property
    def front(self) -> str:
        return self.layout.front_url

    def database(self, setting: str) -> str:
        return self.env[setting]

    def start(self, name: str) -> Server:
        """Start one of the profile's processes (again) on its own port."""
        self.servers[name] = start_process(self.definitions[name], self.env)
        return self.servers[name]

    def stop(self, name: str) -> None:
        self.servers[name].stop()


def start_process(process: Process, env: Dict[str, str]) -> Server:
    args = list(process.args)
    ready = process.ready_path
    rasa = process.name.startswith("rasa")
    if rasa:  # the token reaches it through the environment (bot/rasa_server.py)
        ready = f"/status?token={env['HM_RASA_TOKEN']}"
    # nginx's absolute path stays as it is (start_server looks up others in the venv).
    return start_server(process.name, args, process.port, ready, LOG_DIR,
                        {**env, **process.env}, timeout=240 if rasa else 60)


@pytest.fixture(scope="session")
def production_stack(test_model: Path, tmp_path_factory) -> Iterator[ProductionStack]:
    if not os.path.exists(NGINX):
        pytest.fail("nginx is missing: scripts/test.sh installs Debian's nginx package")
    layout = Layout.on_free_ports()
    with ExitStack() as stack:
        urls = {name: stack.enter_context(throwaway_postgres_database())
                for name in ("HM_GATEWAY_DB", "HM_BACKENDS_DB", "HM_RASA_TRACKER_DB")}
        wechat = WeChatSimulator(app_id=WECHAT_APP_ID, app_secret=WECHAT_SECRET,
                                 token=WECHAT_TOKEN, mode="safe",
                                 encoding_aes_key=WECHAT_AES_KEY,
                                 now=datetime.fromisoformat(TEST_NOW).timestamp(),
                                 callback_url=f"{layout.front_url}/wechat")
        wechat.start()
        stack.callback(wechat.stop)
        env = {**LOCAL_SECRETS, **urls, "HM_NOW": TEST_NOW,
               "HM_WECHAT_TOKEN": WECHAT_TOKEN, "HM_WECHAT_APPID": WECHAT_APP_ID,
               "HM_WECHAT_MODE": "safe", "HM_WECHAT_AES_KEY": WECHAT_AES_KEY,
               "HM_WECHAT_APPSECRET": WECHAT_SECRET, "HM_WECHAT_API_BASE": wechat.url,
               "HM_BACKENDS_TOKEN": TEST_BACKENDS_TOKEN, "HM_GATEWAY_LINK_SECRET": LINK_SECRET,
               "HM_REDIS_HOST": "127.0.0.1", "HM_REDIS_PORT": "6379", "HM_REDIS_PASSWORD": "",
               "HM_REDIS_URL": "redis://127.0.0.1:6379/0"}
        definitions = {p.name: p for p in processes(layout, model=str(test_model))}
        del definitions["retention"]  # a daily job: tests/test_review_retention.py
        del definitions["reminders"]  # every 15 minutes: tests/test_reminders.py
        nginx_dir = tmp_path_factory.mktemp("nginx")
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (nginx_dir / "temp" / kind).mkdir(parents=True)
        (nginx_dir / "nginx.conf").write_text(nginx_conf(layout, nginx_dir, LOG_DIR))
        production = ProductionStack(layout, env, {}, definitions, nginx_dir, wechat)

        def stop_all() -> None:
            for server in production.servers.values():
                server.stop()
        stack.callback(stop_all)

        # The backends migrate first and alone (one replica); the rest start together,
        # as under make run (the gateways' migrations wait on each other, bot/db.py).
        production.start("backends")
        with ThreadPoolExecutor(len(definitions)) as pool:
            list(pool.map(production.start, [n for n in definitions if n != "backends"]))
        nginx = Process("nginx", nginx_command(nginx_dir, LOG_DIR), port=layout.front)
        definitions["nginx"] = nginx
        production.start("nginx")
        yield production


def start_member(stack: ProductionStack, web_id: str = "demo-ready") -> "LinkedMember":
    """A member who opened the signed link the gateway issued (no demo mode here)."""
    import requests
    from datetime import datetime

    from bot.gateway import links

    now = datetime.fromisoformat(TEST_NOW)
    link = links.issue(LINK_SECRET, web_id, now, 24)
    started = requests.post(f"{stack.front}/chat/api/start", json={"link": link}, timeout=10)
    started.raise_for_status()
    body = started.json()
    return LinkedMember(stack.front, body["token"], body["conversation_id"])


@dataclass
class LinkedMember:
    url: str
    token: str
    conversation_id: int

    def say(self, text: str) -> dict:
        import requests
        import uuid

        answer = requests.post(f"{self.url}/chat/api/messages",
                               headers={"Authorization": f"Bearer {self.token}"},
                               json={"text": text, "client_id": uuid.uuid4().hex}, timeout=90)
        answer.raise_for_status()
        return answer.json()

    def history(self) -> List[dict]:
        import requests

        answer = requests.get(f"{self.url}/chat/api/history",
                              headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
        answer.raise_for_status()
        return answer.json()["messages"]
