"""Alembic: the checked-in migrations build exactly the models' schema, on SQLite and on
PostgreSQL, and can be undone."""
from __future__ import annotations


from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.backends.db import Database, alembic_config, migrate
from bot.backends.models import Base


def pending_changes(db: Database) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_head_on_an_empty_database_matches_the_models(empty_database: Database) -> None:
    migrate(empty_database)
    assert pending_changes(empty_database) == []
    migrate(empty_database)  # idempotent
    assert set(inspect(empty_database.engine).get_table_names()) >= set(Base.metadata.tables)


def test_the_initial_migration_can_be_undone(empty_database: Database) -> None:
    migrate(empty_database)
    config = alembic_config(empty_database.engine.url.render_as_string(hide_password=False))
    with empty_database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(empty_database.engine).get_table_names()) <= {"alembic_version"}
