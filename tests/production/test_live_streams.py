"""Two gateway processes on one PostgreSQL database sharing a Redis of this test's own
(tests/production/redis_server.py): a member's page streaming from one gateway hears what
the other writes; Redis stopped: the page's stream is ended (it reconnects and reloads)
and nothing stored is lost; Redis started again: the stream is ended once more and the
relay works again. No Rasa: a manager on the first gateway writes to the member."""
from __future__ import annotations

import os
import subprocess
from typing import Iterator, Tuple

import pytest

from bot.clock import Clock
from bot.db import Database
from bot.gateway import queue
from bot.processes import ROOT, VENV_BIN, free_port, start_gateway_server
from tests.conftest import (
    CONSOLE_PASSWORD,
    TEST_NOW,
    TEST_VAR,
    Backends,
    GatewayProcess,
    throwaway_postgres_database,
)
from tests.production.pages import PageStream
from tests.production.redis_server import PrivateRedis, private_redis


@pytest.fixture()
def replicas(backends_server: Backends, tmp_path) -> Iterator[Tuple[GatewayProcess,
                                                                    GatewayProcess,
                                                                    PrivateRedis]]:
    with throwaway_postgres_database() as db_url, \
            private_redis(tmp_path, free_port()) as redis_server:
        env = {"HM_GATEWAY_DB": db_url, "HM_RASA_URL": f"http://127.0.0.1:{free_port()}",
               "HM_NOW": TEST_NOW, "HM_BACKENDS_URL": backends_server.url,
               "HM_BACKENDS_TOKEN": backends_server.token, "HM_DEMO": "1",
               "HM_CHAT_START_RATE": "off", "HM_CHAT_ADDRESS_RATE": "off",
               "HM_REDIS_URL": redis_server.url}
        first = start_gateway_server(TEST_VAR / "logs", env, name="gateway-replica-1")
        subprocess.run([str(VENV_BIN / "python"), "-m", "bot.console", "create-user", "wang",
                        "--role", "manager", "--display-name", "王芳"],
                       cwd=ROOT, check=True, capture_output=True,
                       env={**os.environ, "HM_GATEWAY_DB": db_url,
                            "HM_CONSOLE_PASSWORD": CONSOLE_PASSWORD})
        try:
            second = start_gateway_server(TEST_VAR / "logs", env, name="gateway-replica-2")
            try:
                yield (GatewayProcess(first, db_url), GatewayProcess(second, db_url),
                       redis_server)
            finally:
                second.stop()
        finally:
            first.stop()


def queued(gateway: GatewayProcess, conversation_id: int) -> None:
    """The member asked for a person (what the bot does, without Rasa here)."""
    db = Database.from_url(gateway.db_url)
    try:
        with db.writing() as session:
            queue.enqueue(session, conversation_id, "request_human", 1,
                          Clock.from_env({"HM_NOW": TEST_NOW}).now())
    finally:
        db.dispose()


def test_a_page_on_one_gateway_follows_the_other_through_a_redis_outage(replicas) -> None:
    first, second, redis_server = replicas
    member = first.member()
    member.say("我要找人工")
    queued(first, member.conversation_id)
    wang = first.console("wang")  # the manager works on the first gateway
    path = f"/console/conversations/{member.conversation_id}"
    assert wang.post(path + "/claim").status_code == 200

    def reply(text: str) -> None:
        assert wang.post(path + "/reply", {"text": text}).status_code == 200

    page = PageStream(second.url, member.token)  # the member's page, on the second
    try:
        reply("您好，我来帮您")
        assert page.wait_for_text("您好，我来帮您"), "the reply did not cross gateways"

        redis_server.stop()
        assert page.ended.wait(15), "the stream was not ended when Redis went away"
        page = PageStream(second.url, member.token)  # the page reconnects at once
        reply("Redis 停了也照常回复")  # stored; nothing raised
        # Not pushed across now; what the page reloads on reconnecting has it.
        assert "Redis 停了也照常回复" in [m["text"] for m in member.history()]

        near = PageStream(first.url, member.token)  # ends once the first's relay is back
        redis_server.start()
        assert page.ended.wait(20), "the stream was not ended when Redis came back"
        assert near.ended.wait(20), "the first gateway's relay did not come back"
        near.close()
        page = PageStream(second.url, member.token)
        reply("又连上了")
        assert page.wait_for_text("又连上了"), "the relay did not recover"
    finally:
        page.close()
