"""The live hub across gateway replicas (bot/gateway/live.py, RedisHub) on real Redis:
an event published on one replica reaches a stream held on another; Redis stopped, then
started again: every stream is told to reload, nothing raises, and the relay recovers.
The outage uses a redis-server of this test's own on a free port, never the shared one."""
from __future__ import annotations

import asyncio
import uuid
from typing import Any

from bot.gateway.live import RESET, Hub, RedisHub, make_hub
from bot.processes import free_port
from tests.production.redis_server import PrivateRedis, private_redis

SHARED_REDIS = "redis://127.0.0.1:6379/0"


async def next_event(queue: asyncio.Queue, timeout: float = 5.0) -> Any:
    return await asyncio.wait_for(queue.get(), timeout)


async def nothing_more(queue: asyncio.Queue, wait: float = 0.3) -> bool:
    await asyncio.sleep(wait)
    return queue.empty()


def test_without_redis_the_hub_stays_in_this_process() -> None:
    assert type(make_hub(None)) is Hub
    assert isinstance(make_hub(SHARED_REDIS), RedisHub)


def test_an_event_published_on_one_replica_reaches_a_stream_on_the_other() -> None:
    topic = f"member:{uuid.uuid4().hex}"
    event = {"type": "message", "message": {"id": 7, "text": "您好，已为您预约"}}

    async def scenario() -> None:
        first, second = RedisHub(SHARED_REDIS), RedisHub(SHARED_REDIS)
        await first.start()
        await second.start()
        try:
            await asyncio.wait_for(second.connected.wait(), 5)
            await asyncio.wait_for(first.connected.wait(), 5)
            with second.subscribe(topic) as far, first.subscribe(topic) as near:
                first.publish(topic, event)
                assert await next_event(far) == event
                assert await next_event(near) == event
                # Each stream gets it once: the publisher's own copy is not relayed back.
                assert await nothing_more(near) and await nothing_more(far)
        finally:
            await first.stop()
            await second.stop()

    asyncio.run(scenario())


def test_redis_stopped_then_started_streams_reload_and_the_relay_recovers(tmp_path) -> None:
    port = free_port()
    topic = f"conversation:{uuid.uuid4().hex}"

    async def scenario(server: PrivateRedis) -> None:
        first, second = RedisHub(server.url), RedisHub(server.url)
        await first.start()
        await second.start()
        try:
            await asyncio.wait_for(second.connected.wait(), 5)
            await asyncio.wait_for(first.connected.wait(), 5)
            with second.subscribe(topic) as far:
                await asyncio.get_running_loop().run_in_executor(None, server.stop)
                # The relay is lost: the stream is told to reconnect and reload.
                assert await next_event(far) is RESET
                while first.connected.is_set():  # the publisher has seen it too
                    await asyncio.sleep(0.05)
            with second.subscribe(topic) as far, first.subscribe(topic) as near:
                # Redis down: publishing neither raises nor waits; this replica's own
                # streams still get the event, the other's will reload later.
                first.publish(topic, {"type": "state"})
                assert await next_event(near) == {"type": "state"}
                await asyncio.get_running_loop().run_in_executor(None, server.start)
                # Back: what was published meanwhile was missed, so reload once more.
                assert await next_event(far, timeout=15) is RESET
                await asyncio.wait_for(first.connected.wait(), 15)
                await asyncio.wait_for(second.connected.wait(), 15)
            with second.subscribe(topic) as far:
                first.publish(topic, {"type": "message", "message": {"id": 9}})
                assert await next_event(far, timeout=5) == {"type": "message",
                                                            "message": {"id": 9}}
        finally:
            await first.stop()
            await second.stop()

    with private_redis(tmp_path, port) as server:
        asyncio.run(scenario(server))
