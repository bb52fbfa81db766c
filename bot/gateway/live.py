"""Live updates: a publish/subscribe hub and Server-Sent Events over it.

Topics: "queue" (the console's queue changed), "conversation:<id>" (a message, note or
state change in one conversation, for managers) and "member:<id>" (replies for the
member's web chat). `Hub` keeps its subscribers in this process (the embedded default);
`RedisHub` (HM_REDIS_URL set: the production profile) also relays every event through
Redis pub/sub, so an event published on one gateway replica reaches the streams held
on every other one.

What a stream is promised (docs/operations.md): events in real time while Redis relays
them; whenever the relay has a gap (Redis lost, then back) every open stream is ended,
and the page reconnects and reloads from the database what it missed (its "ready"
handler). The database is the record; the hub only says "look again"."""
from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import defaultdict
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional, Set

from sanic.request import Request

logger = logging.getLogger(__name__)

QUEUE_SIZE = 200
HEARTBEAT_SECONDS = 15.0
# Sent to a stream to end it: its page reconnects and reloads what it missed.
RESET = {"type": "reset"}
CHANNEL_PREFIX = "hm:live:"
# How long a relay waits before trying Redis again (doubling up to the maximum).
RETRY_SECONDS, RETRY_MAX_SECONDS = 0.5, 5.0
OUTGOING_SIZE = 10_000


class Hub:
    """The subscribers of this process. `start` and `stop` do nothing here."""

    def __init__(self) -> None:
        self._subscribers: Dict[str, Set[asyncio.Queue]] = defaultdict(set)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def publish(self, topic: str, event: Dict[str, Any]) -> None:
        """Called on the event loop."""
        self.deliver(topic, event)

    def deliver(self, topic: str, event: Dict[str, Any]) -> None:
        """To this process's subscribers. One too slow to keep up loses the event and
        reloads (its queue is full only when its connection is stuck)."""
        for queue in list(self._subscribers.get(topic, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                logger.warning("live subscriber of %s is stuck; event dropped", topic)

    def reset_all(self) -> None:
        """End every open stream (each page reconnects and reloads what it missed)."""
        queues = {queue for queues in self._subscribers.values() for queue in queues}
        for queue in queues:
            try:
                queue.put_nowait(RESET)
            except asyncio.QueueFull:
                pass  # stuck: its connection ends by itself

    @contextmanager
    def subscribe(self, *topics: str) -> Iterator[asyncio.Queue]:
        queue: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        for topic in topics:
            self._subscribers[topic].add(queue)
        try:
            yield queue
        finally:
            for topic in topics:
                self._subscribers[topic].discard(queue)
                if not self._subscribers[topic]:
                    del self._subscribers[topic]

    def subscriber_count(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))


class RedisHub(Hub):
    """The hub across gateway replicas. An event is delivered here at once and published
    on Redis (channel "hm:live:<topic>", marked with this replica's id); each replica
    listens to every topic and delivers what the others published. Redis unreachable:
    this replica's own events still reach its own streams, the others' do not; every
    stream is ended when the relay is lost and again when it is back, so no page goes on
    believing it is up to date. Publishing never waits for Redis and never raises."""

    def __init__(self, redis_url: str) -> None:
        super().__init__()
        import redis.asyncio as aioredis

        self.redis_url = redis_url
        self.origin = uuid.uuid4().hex
        self.connected = asyncio.Event()  # the relay listens (tests wait on it)
        self._client = aioredis.Redis.from_url(
            redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=5)
        self._outgoing: Optional[asyncio.Queue] = None
        self._tasks: list = []

    async def start(self) -> None:
        self._outgoing = asyncio.Queue(OUTGOING_SIZE)
        self._tasks = [asyncio.create_task(self._listen(), name="live-hub-listen"),
                       asyncio.create_task(self._send(), name="live-hub-send")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self._client.close()

    def publish(self, topic: str, event: Dict[str, Any]) -> None:
        self.deliver(topic, event)
        if self._outgoing is None:
            return
        message = json.dumps({"origin": self.origin, "topic": topic, "event": event},
                             ensure_ascii=False)
        try:
            self._outgoing.put_nowait((topic, message))
        except asyncio.QueueFull:
            logger.warning("live hub: Redis is not keeping up; event of %s not relayed", topic)

    async def _send(self) -> None:
        """One publisher, so each replica's events leave in the order they happened."""
        assert self._outgoing is not None
        failing = False
        while True:
            topic, message = await self._outgoing.get()
            try:
                await self._client.publish(CHANNEL_PREFIX + topic, message)
                if failing:
                    logger.info("live hub: publishing on Redis again")
                failing = False
            except Exception as error:  # Redis down: the others' pages reload later
                if not failing:
                    logger.warning("live hub: cannot publish on Redis (%s); the other "
                                   "replicas' streams miss events until it is back", error)
                failing = True

    async def _listen(self) -> None:
        delay = RETRY_SECONDS
        lost = False
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                if lost:
                    logger.info("live hub: Redis is back; streams reconnect and reload")
                    self.reset_all()  # what the others published meanwhile was missed
                lost, delay = False, RETRY_SECONDS
                self.connected.set()
                while True:
                    message = await pubsub.get_message(timeout=HEARTBEAT_SECONDS)
                    if message is not None and message.get("type") == "pmessage":
                        self._relayed(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.connected.clear()
                if not lost:
                    logger.warning("live hub: Redis relay lost (%s); streams reconnect and "
                                   "reload, retrying Redis", error)
                    self.reset_all()
                lost = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
            finally:
                try:
                    await pubsub.reset()
                except Exception:
                    pass

    def _relayed(self, data: Any) -> None:
        try:
            message = json.loads(data)
            if message["origin"] != self.origin:
                self.deliver(message["topic"], message["event"])
        except (ValueError, KeyError, TypeError):
            logger.warning("live hub: unreadable message on Redis ignored")


def make_hub(redis_url: Optional[str]) -> Hub:
    """Redis pub/sub across replicas when HM_REDIS_URL is set, else this process only."""
    return RedisHub(redis_url) if redis_url else Hub()


def sse_frame(event: Dict[str, Any]) -> str:
    data = json.dumps(event, ensure_ascii=False)
    return f"event: {event.get('type', 'message')}\ndata: {data}\n\n"


async def stream(request: Request, hub: Hub, *topics: str) -> None:
    """Answer `request` with an event stream of `topics` until the client goes away or
    the hub ends it (RESET: the browser's EventSource reconnects by itself)."""
    response = await request.respond(
        content_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    with hub.subscribe(*topics) as queue:
        # The first frame tells the client the stream is live (it reloads what it missed);
        # `retry` is how soon it reconnects after the stream ends.
        await response.send("retry: 1000\n" + sse_frame({"type": "ready"}))
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                if event is RESET or event.get("type") == "reset":
                    break
                frame = sse_frame(event)
            except asyncio.TimeoutError:
                frame = ": keep-alive\n\n"
            try:
                await response.send(frame)
            except Exception:  # the client went away
                break
    try:
        await response.eof()
    except Exception:
        pass
