"""The Rasa lock store of the production profile (bot/lock_store.py) against the shared
Redis, from several processes at once as two Rasa replicas would use it: each ticket is
issued once, and one holder at a time works on a conversation."""
from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid
from typing import List, Tuple

import redis

from bot.lock_store import AtomicRedisLockStore
from rasa.utils.endpoints import EndpointConfig

SHARED_REDIS = "redis://127.0.0.1:6379/1"
PREFIX = "hmtest"  # keys of these tests only (the product uses "hm")
WORKERS = 4


def lock_store() -> AtomicRedisLockStore:
    return AtomicRedisLockStore(EndpointConfig(url="127.0.0.1", port=6379, db=1,
                                               key_prefix=PREFIX))


def issue_many(args: Tuple[str, int, "multiprocessing.synchronize.Barrier"]) -> List[int]:
    conversation, count, start = args
    store = lock_store()
    start.wait()
    return [store.issue_ticket(conversation) for _ in range(count)]


def hold_in_turn(args: Tuple[str, int, "multiprocessing.synchronize.Barrier"]
                 ) -> List[Tuple[float, float]]:
    """Take the conversation's lock `count` times; (entered, left) of each hold."""
    conversation, count, start = args
    store = lock_store()
    start.wait()

    async def run() -> List[Tuple[float, float]]:
        held = []
        for _ in range(count):
            async with store.lock(conversation, wait_time_in_seconds=0.001):
                entered = time.monotonic()
                await asyncio.sleep(0.01)  # a turn's work
                held.append((entered, time.monotonic()))
        return held

    return asyncio.run(run())


def in_processes(work, conversation: str, count: int) -> list:
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Barrier(WORKERS)
        with context.Pool(WORKERS) as pool:
            return pool.map(work, [(conversation, count, start)] * WORKERS)


def forget(conversation: str) -> None:
    redis.Redis.from_url(SHARED_REDIS).delete(f"{PREFIX}:lock:{conversation}")


def test_replicas_asking_at_once_each_get_their_own_ticket() -> None:
    conversation = f"tickets-{uuid.uuid4().hex[:8]}"
    try:
        issued = [t for tickets in in_processes(issue_many, conversation, 25) for t in tickets]
    finally:
        forget(conversation)
    # Stock RedisLockStore read, changed and wrote the queue: replicas got equal numbers.
    assert sorted(issued) == list(range(WORKERS * 25))


def test_one_replica_at_a_time_holds_a_conversation() -> None:
    conversation = f"holds-{uuid.uuid4().hex[:8]}"
    try:
        holds = sorted(h for held in in_processes(hold_in_turn, conversation, 10)
                       for h in held)
    finally:
        forget(conversation)
    assert len(holds) == WORKERS * 10
    overlaps = [(a, b) for a, b in zip(holds, holds[1:]) if b[0] < a[1]]
    assert not overlaps
    # Nothing is left behind once every holder has finished.
    assert not redis.Redis.from_url(SHARED_REDIS).exists(f"{PREFIX}:lock:{conversation}")
