"""The service's working parts in one place (database, clock, calendar, catalog, the
thread pool), and how a request's database work runs: synchronous SQLAlchemy in the
pool, never on the event loop."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Callable, Optional, TypeVar

from bot.backends import idempotency
from bot.backends.context import Context
from bot.backends.db import Database
from bot.backends.idempotency import Outcome
from bot.catalog import Catalog
from bot.clock import Clock, WorkingCalendar

T = TypeVar("T")
DB_THREADS = 8


class Backend:
    def __init__(self, db: Database, clock: Clock, calendar: WorkingCalendar,
                 catalog: Catalog) -> None:
        self.db = db
        self.clock = clock
        self.calendar = calendar
        self.catalog = catalog
        self._executor: Optional[ThreadPoolExecutor] = None

    def start(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="db")

    def stop(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self.db.dispose()

    def context(self, session) -> Context:
        return Context(session, self.clock.now(), self.calendar, self.catalog)

    async def _in_pool(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def read(self, operation: Callable[[Context], T]) -> T:
        """Run a read-only operation in its own transaction."""
        def work() -> T:
            with self.db.reading() as session:
                return operation(self.context(session))
        return await self._in_pool(work)

    async def write(self, operation: Callable[[Context], T]) -> T:
        """Run an operation in a transaction committed when it returns."""
        def work() -> T:
            with self.db.writing() as session:
                return operation(self.context(session))
        return await self._in_pool(work)

    async def once(self, key: str, scope: str, body: Any,
                   operation: Callable[[Context], tuple[int, dict]]) -> Outcome:
        """Run a POST's operation at most once per Idempotency-Key."""
        now = self.clock.now()
        work = partial(
            idempotency.execute, self.db, key, scope, idempotency.fingerprint(scope, body), now,
            lambda session: operation(Context(session, now, self.calendar, self.catalog)),
        )
        return await self._in_pool(work)
