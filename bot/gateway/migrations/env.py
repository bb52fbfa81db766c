"""Alembic environment for the gateway database (section [gateway] of alembic.ini, its
own version table). The gateway passes its open connection (bot.gateway.store.migrate);
the alembic command line builds one from HM_GATEWAY_DB."""
from __future__ import annotations

from alembic import context

import bot.gateway.channels.wechat.models  # noqa: F401 - the channel's tables are in the schema
from bot.db import ShanghaiDateTime, create_db_engine
from bot.gateway.models import Base
from bot.gateway.settings import db_url_from_env
from bot.gateway.store import VERSION_TABLE


def render_item(type_: str, obj, autogen_context):
    # Shanghai datetimes are plain DATETIME columns in the database.
    if type_ == "type" and isinstance(obj, ShanghaiDateTime):
        return "sa.DateTime()"
    return False


def include_name(name, type_: str, parent_names) -> bool:
    # Only the gateway's tables: another service's tables in a shared database are not
    # ours to drop.
    return type_ != "table" or name in Base.metadata.tables


def run_migrations(connection) -> None:
    context.configure(
        render_item=render_item,
        include_name=include_name,
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
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
    engine = create_db_engine(db_url_from_env())
    try:
        with engine.begin() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
main()
