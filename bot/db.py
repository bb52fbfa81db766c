"""Database plumbing shared by the project's services (the backends and the gateway):
engines with the SQLite settings, reader/writer sessions, a thread pool for the event
loop, the constraint naming convention, Shanghai wall-clock datetimes and Alembic.
SQLite by default, PostgreSQL in production; the same code for both."""
from __future__ import annotations

import asyncio
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator, Optional, TypeVar

from sqlalchemy import DateTime, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from bot.clock import SHANGHAI

ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_INI = ROOT / "alembic.ini"
SQLITE_BUSY_TIMEOUT_MS = 15_000

# Stable constraint names, so migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

T = TypeVar("T")


class ShanghaiDateTime(TypeDecorator):
    """An aware datetime, stored as naive Asia/Shanghai wall-clock time (China has no
    daylight saving, so this is exact) and returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("store timezone-aware datetimes only (use Clock.now())")
        return value.astimezone(SHANGHAI).replace(tzinfo=None)

    def process_result_value(self, value: Optional[datetime], dialect) -> Optional[datetime]:
        return None if value is None else value.replace(tzinfo=SHANGHAI)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint's SQL: `column` holds one of `values`."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def create_db_engine(url: str) -> Engine:
    """An engine for `url`. SQLite gets WAL, a busy timeout and foreign keys, and its
    transactions are begun explicitly (see _sqlite_begin)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)
    # SQLite keeps NUMERIC as a float; amounts (two decimals, under RMB 10^10) come back
    # exactly because SQLAlchemy rounds them to the column's scale.
    warnings.filterwarnings("ignore", r"Dialect sqlite\+pysqlite does \*not\* support Decimal",
                            SAWarning)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        future=True,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling begins lazily and never for SELECTs, which
    # breaks savepoints and write locking; switch it off and begin in _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # A writer takes SQLite's write lock at BEGIN (IMMEDIATE), so two writers queue on
    # the busy timeout instead of failing when a reader tries to become a writer.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """Sessions for readers and writers over one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._writer = (
            engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else engine
        )

    @classmethod
    def from_url(cls, url: str) -> "Database":
        return cls(create_db_engine(url))

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    def writer(self) -> Session:
        """A session whose transaction may write; the caller commits or rolls back."""
        return Session(self._writer, future=True, expire_on_commit=False)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self.engine, future=True) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session committed when the block ends normally, rolled back otherwise."""
        with self.writer() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


class DatabasePool:
    """Runs synchronous database work in a thread pool, so the event loop never waits
    on SQLAlchemy: `await pool.read(fn)` / `await pool.write(fn)` with fn(session)."""

    def __init__(self, db: Database, threads: int = 8, name: str = "db") -> None:
        self.db = db
        self._threads = threads
        self._name = name
        self._executor: Optional[ThreadPoolExecutor] = None

    def start(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=self._threads,
                                            thread_name_prefix=self._name)

    def stop(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self.db.dispose()

    async def run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def read(self, operation: Callable[[Session], T]) -> T:
        """Run a read-only operation in its own transaction."""
        def work() -> T:
            with self.db.reading() as session:
                return operation(session)
        return await self.run(work)

    async def write(self, operation: Callable[[Session], T]) -> T:
        """Run an operation in a transaction committed when it returns."""
        def work() -> T:
            with self.db.writing() as session:
                return operation(session)
        return await self.run(work)


def alembic_config(db_url: str, section: str, script_location: Path):
    """The Alembic configuration of one named section of alembic.ini, for `db_url`."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI), ini_section=section)
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    return config


def upgrade(db: Database, section: str, script_location: Path) -> None:
    """Bring the schema to the latest migration of one section (what services do at
    start); the migration environment uses this open connection."""
    from alembic import command

    config = alembic_config(db.url, section, script_location)
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting together on an empty database would each create the
            # tables: one waits here for the other's transaction, then finds the schema
            # at head. The lock ends with the transaction.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%(key)s))",
                                       {"key": f"alembic:{section}"})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
