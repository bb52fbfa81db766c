"""Alembic for the gateway (section [gateway], its own version table): the checked-in
migrations build exactly the models' schema, on SQLite and PostgreSQL, and can be undone;
the backends' migrations in the same database are not disturbed."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import bot.gateway.channels.wechat.models  # noqa: F401 - its tables are the gateway's too
from bot.db import Database, alembic_config
from bot.gateway.models import Base
from bot.gateway.store import ALEMBIC_SECTION, MIGRATIONS_DIR, VERSION_TABLE, migrate


def pending_changes(db: Database) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "version_table": VERSION_TABLE})
        return compare_metadata(context, Base.metadata)


def test_upgrade_head_on_an_empty_database_matches_the_models(empty_database: Database) -> None:
    migrate(empty_database)
    assert pending_changes(empty_database) == []
    migrate(empty_database)  # idempotent
    tables = set(inspect(empty_database.engine).get_table_names())
    assert tables >= set(Base.metadata.tables) | {"alembic_version_gateway"}


def test_the_initial_migration_can_be_undone(empty_database: Database) -> None:
    migrate(empty_database)
    config = alembic_config(empty_database.url, ALEMBIC_SECTION, MIGRATIONS_DIR)
    with empty_database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(empty_database.engine).get_table_names()) <= {"alembic_version_gateway"}


def test_gateway_and_backends_can_share_one_database(tmp_path: Path) -> None:
    from bot.backends.db import migrate as migrate_backends
    from bot.backends.models import Base as BackendsBase

    db = Database.from_url(f"sqlite:///{tmp_path / 'shared.sqlite3'}")
    migrate_backends(db)
    migrate(db)
    tables = set(inspect(db.engine).get_table_names())
    assert tables >= set(Base.metadata.tables) | set(BackendsBase.metadata.tables)
    assert {"alembic_version", "alembic_version_gateway"} <= tables
    db.dispose()
