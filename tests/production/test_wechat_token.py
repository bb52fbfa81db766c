"""WeChat's access token shared by gateway replicas (bot/gateway/channels/wechat/token.py)
against the WeChat simulator and real Redis: replicas asking at the same moment cause one
fetch; with Redis down each replica keeps working from its own copy."""
from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Iterator, List

import pytest
import redis

from bot.gateway.channels.wechat.api import WeChatApi
from bot.gateway.channels.wechat.token import SharedTokens
from bot.processes import free_port
from bot.wechat_simulator import WeChatSimulator
from tests.production.redis_server import private_redis

SHARED_REDIS = "redis://127.0.0.1:6379/0"
SECRET = "token-test-secret"


@pytest.fixture()
def sim() -> Iterator[WeChatSimulator]:
    # An app id of this test only: its keys in the shared Redis are its own.
    simulator = WeChatSimulator(app_id=f"wx{uuid.uuid4().hex[:16]}", app_secret=SECRET,
                                token="t", mode="plaintext")
    simulator.start()
    simulator.add_member("oTOKEN_member")
    simulator.send_text("oTOKEN_member", "你好")  # opens the 48-hour window
    yield simulator
    simulator.stop()
    client = redis.Redis.from_url(SHARED_REDIS)
    for key in client.scan_iter(f"hm_wechat:*{simulator.app_id}*"):
        client.delete(key)


def token_fetches(sim: WeChatSimulator) -> int:
    return sum(1 for call in sim.calls if call.path.endswith("/stable_token"))


def test_two_replicas_asking_at_once_fetch_the_token_once(sim) -> None:
    replicas = [WeChatApi(sim.app_id, SECRET, sim.url, SHARED_REDIS) for _ in range(2)]
    askers = 6  # threads per replica, all released together
    barrier = threading.Barrier(askers * len(replicas))
    tokens: List[str] = []

    def ask(api: WeChatApi) -> None:
        barrier.wait()
        tokens.append(api.client.access_token)

    threads = [threading.Thread(target=ask, args=(api,))
               for api in replicas for _ in range(askers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(tokens) == askers * len(replicas) and len(set(tokens)) == 1
    assert token_fetches(sim) == 1
    for api in replicas:  # and the token works for both
        asyncio.run(api.send_text("oTOKEN_member", "您好"))
    assert token_fetches(sim) == 1


def test_with_redis_down_a_replica_works_from_its_own_copy(sim, tmp_path) -> None:
    with private_redis(tmp_path, free_port()) as server:
        api = WeChatApi(sim.app_id, SECRET, sim.url, server.url)
        asyncio.run(api.send_text("oTOKEN_member", "第一条"))
        assert token_fetches(sim) == 1
        server.stop()
        asyncio.run(api.send_text("oTOKEN_member", "Redis 停了"))  # its copy, no fetch
        assert token_fetches(sim) == 1
        other = WeChatApi(sim.app_id, SECRET, sim.url, server.url)
        asyncio.run(other.send_text("oTOKEN_member", "另一个副本"))  # fetches by itself
        assert token_fetches(sim) == 2
        server.start()
        assert api.client.access_token  # Redis is back (empty): shared again
        assert isinstance(api.client.session, SharedTokens)


def test_a_lock_left_by_a_dead_replica_delays_the_others_only_briefly(sim) -> None:
    api = WeChatApi(sim.app_id, SECRET, sim.url, SHARED_REDIS)
    storage = api.client.session
    key = api.client.access_token_key
    storage.redis.set(storage.key_name(f"{key}:refreshing"), "dead-replica", px=10_000)
    storage.wait_seconds = 0.3
    assert api.client.access_token
    assert token_fetches(sim) == 1
