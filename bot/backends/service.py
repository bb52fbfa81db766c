"""The service's working parts in one place (database, clock, calendar, catalog, the
thread pool), and how a request's database work runs: synchronous SQLAlchemy in the
pool (bot.db.DatabasePool), never on the event loop."""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, TypeVar

from bot.backends import idempotency
from bot.backends.context import Context, NeedsWrite
from bot.backends.db import Database
from bot.backends.idempotency import Outcome
from bot.catalog import Catalog
from bot.clock import Clock, WorkingCalendar
from bot.db import DatabasePool

T = TypeVar("T")
DB_THREADS = 8


class Backend:
    def __init__(self, db: Database, clock: Clock, calendar: WorkingCalendar,
                 catalog: Catalog) -> None:
        self.db = db
        self.clock = clock
        self.calendar = calendar
        self.catalog = catalog
        self._pool = DatabasePool(db, DB_THREADS)
        self._slot_days: set = set()  # Context.slot_days

    def start(self) -> None:
        self._pool.start()

    def stop(self) -> None:
        self._pool.stop()

    def context(self, session, writable: bool = True) -> Context:
        return Context(session, self.clock.now(), self.calendar, self.catalog, writable,
                       self._slot_days)

    async def read(self, operation: Callable[[Context], T]) -> T:
        """Run a read-only operation in its own transaction."""
        return await self._pool.read(
            lambda session: operation(self.context(session, writable=False)))

    async def read_else_write(self, operation: Callable[[Context], T]) -> T:
        """Run `operation` in a read transaction, and again in a write transaction only
        if it raises NeedsWrite: on SQLite a reader does not wait for the write lock."""
        try:
            return await self.read(operation)
        except NeedsWrite:
            return await self.write(operation)

    async def write(self, operation: Callable[[Context], T]) -> T:
        """Run an operation in a transaction committed when it returns."""
        return await self._pool.write(lambda session: operation(self.context(session)))

    async def once(self, key: str, scope: str, body: Any,
                   operation: Callable[[Context], tuple[int, dict]]) -> Outcome:
        """Run a POST's operation at most once per Idempotency-Key."""
        now = self.clock.now()
        work = partial(
            idempotency.execute, self.db, key, scope, idempotency.fingerprint(scope, body), now,
            lambda session: operation(Context(session, now, self.calendar, self.catalog,
                                              slot_days=self._slot_days)),
        )
        return await self._pool.run(work)
