"""Database engine, sessions and migrations for the backends (SQLite by default,
PostgreSQL in production; the same code for both)."""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.exc import SAWarning
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
ALEMBIC_INI = Path(__file__).resolve().parent.parent.parent / "alembic.ini"
SQLITE_BUSY_TIMEOUT_MS = 15_000


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


def alembic_config(db_url: str):
    """The Alembic configuration for `db_url` (alembic.ini at the repository root)."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    return config


def migrate(db: Database) -> None:
    """Bring the schema to the latest migration (what the service does at start)."""
    from alembic import command

    config = alembic_config(str(db.engine.url.render_as_string(hide_password=False)))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
