"""Live updates: an in-process publish/subscribe hub and Server-Sent Events over it.

Topics: "queue" (the console's queue changed), "conversation:<id>" (a message, note or
state change in one conversation, for managers) and "member:<id>" (replies for the
member's web chat). One gateway process holds all subscribers; several replicas would
put Redis pub/sub behind the same two methods (docs/gateway.md)."""
from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Set

from sanic.request import Request

logger = logging.getLogger(__name__)

QUEUE_SIZE = 200
HEARTBEAT_SECONDS = 15.0


class Hub:
    def __init__(self) -> None:
        self._subscribers: Dict[str, Set[asyncio.Queue]] = defaultdict(set)

    def publish(self, topic: str, event: Dict[str, Any]) -> None:
        """Called on the event loop; a subscriber too slow to keep up loses the event
        and reloads (its queue is full only when its connection is stuck)."""
        for queue in list(self._subscribers.get(topic, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                logger.warning("live subscriber of %s is stuck; event dropped", topic)

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


def sse_frame(event: Dict[str, Any]) -> str:
    data = json.dumps(event, ensure_ascii=False)
    return f"event: {event.get('type', 'message')}\ndata: {data}\n\n"


async def stream(request: Request, hub: Hub, *topics: str) -> None:
    """Answer `request` with an event stream of `topics` until the client goes away."""
    response = await request.respond(
        content_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    with hub.subscribe(*topics) as queue:
        # The first frame tells the client the stream is live (it reloads what it missed).
        await response.send(sse_frame({"type": "ready"}))
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                frame = sse_frame(event)
            except asyncio.TimeoutError:
                frame = ": keep-alive\n\n"
            try:
                await response.send(frame)
            except Exception:  # the client went away
                break
