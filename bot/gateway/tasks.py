"""Work the gateway finishes whatever its caller does: `complete` runs to the end even
if the client goes away, `background` after the answer has gone; `stop` waits a little
for both at shutdown."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Optional, Set, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Tasks:
    def __init__(self) -> None:
        self._running: Set[asyncio.Task] = set()

    def _keep(self, task: asyncio.Task) -> None:
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def complete(self, work: Awaitable[T]) -> T:
        """Run `work` to the end even if the client goes away meanwhile: a member
        message or a manager's action half done (stored, but Rasa not resumed, the
        member not told) is worse than an answer nobody reads."""
        task = asyncio.ensure_future(work)
        self._keep(task)
        return await asyncio.shield(task)

    def background(self, work: Awaitable[object], what: str) -> None:
        """Run `work` after the answer has gone (WeChat's 5-second deadline); failures
        are logged, the message is already stored."""
        async def guarded() -> None:
            try:
                await work
            except Exception:  # noqa: BLE001 - nobody awaits this task
                logger.exception("background work failed: %s", what)

        self._keep(asyncio.ensure_future(guarded()))

    async def stop(self, timeout: float = 5.0) -> None:
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)


class Every:
    """`work` every `seconds` until stopped; a failing round is logged and the next one
    runs (the loop outlives one bad round)."""

    def __init__(self, seconds: float, work: Callable[[], Awaitable[object]], what: str) -> None:
        self.seconds = seconds
        self.work = work
        self.what = what
        self._task: Optional[asyncio.Task] = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.seconds)
            try:
                await self.work()
            except Exception:  # noqa: BLE001 - the loop must outlive one bad round
                logger.exception("%s failed", self.what)
