"""The backends' database: the shared plumbing (bot/db.py) and the backends' own
migrations (bot/backends/migrations, the default section of alembic.ini)."""
from __future__ import annotations

from pathlib import Path

from bot.db import Database, create_db_engine
from bot.db import alembic_config as _alembic_config
from bot.db import upgrade

__all__ = ["Database", "create_db_engine", "alembic_config", "migrate"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
ALEMBIC_SECTION = "alembic"


def alembic_config(db_url: str):
    """The Alembic configuration for the backends database at `db_url`."""
    return _alembic_config(db_url, ALEMBIC_SECTION, MIGRATIONS_DIR)


def migrate(db: Database) -> None:
    """Bring the schema to the latest migration (what the service does at start)."""
    upgrade(db, ALEMBIC_SECTION, MIGRATIONS_DIR)
