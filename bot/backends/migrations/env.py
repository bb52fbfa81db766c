"""Alembic environment for the backends database. The service passes its own open
connection (bot.backends.db.migrate); the alembic command line builds one from
HM_BACKENDS_DB."""
from __future__ import annotations

from alembic import context

from bot.backends.db import create_db_engine
from bot.backends.models import Base
from bot.backends.settings import Settings


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = create_db_engine(Settings.from_env().db_url)
    try:
        with engine.begin() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
main()
