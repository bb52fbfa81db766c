"""PostgreSQL in the production profile, without Rasa: replicas migrating one database
at once, and retention reaching Rasa's tracker store."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import create_engine, text

from bot.clock import SHANGHAI
from bot.db import Database
from bot.gateway.store import migrate
from bot.review.retention import purge_tracker_store
from tests.conftest import throwaway_postgres_database


def test_gateway_replicas_starting_together_migrate_an_empty_database_once() -> None:
    with throwaway_postgres_database() as url:
        databases = [Database.from_url(url) for _ in range(3)]
        try:
            with ThreadPoolExecutor(3) as pool:
                list(pool.map(migrate, databases))  # none raises
            with databases[0].engine.connect() as connection:
                versions = connection.execute(
                    text("SELECT count(*) FROM alembic_version_gateway")).scalar_one()
            assert versions == 1
        finally:
            for db in databases:
                db.dispose()


def test_retention_deletes_rasa_conversations_whose_last_event_is_past_the_limit(
        monkeypatch) -> None:
    # Rasa's tracker store declares its table the SQLAlchemy 1.x way (Rasa 3.6 pins < 2):
    # SQLAlchemy's one "move to 2.0" notice says nothing about the profile.
    monkeypatch.setattr("sqlalchemy.util.deprecations.SILENCE_UBER_WARNING", True)
    from rasa.core.tracker_store import SQLTrackerStore

    now = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
    day = 86400
    with throwaway_postgres_database() as url:
        engine = create_engine(url)
        try:
            SQLTrackerStore.Base.metadata.create_all(engine)  # Rasa's own table
            events = [("web:old", now.timestamp() - 400 * day),
                      ("web:old", now.timestamp() - 366 * day),
                      ("web:recent", now.timestamp() - 400 * day),
                      ("web:recent", now.timestamp() - 10 * day)]
            with engine.begin() as connection:
                for sender, stamp in events:
                    connection.execute(text(
                        "INSERT INTO events (sender_id, type_name, timestamp, data) "
                        "VALUES (:s, 'user', :t, '{}')"), {"s": sender, "t": stamp})

            assert purge_tracker_store(url, now, 365, dry_run=True) == 1
            assert purge_tracker_store(url, now, 365) == 1
            with engine.connect() as connection:
                left = connection.execute(text(
                    "SELECT DISTINCT sender_id FROM events")).scalars().all()
            assert left == ["web:recent"]
        finally:
            engine.dispose()


def test_retention_of_a_tracker_store_rasa_never_used_finds_nothing() -> None:
    with throwaway_postgres_database() as url:
        assert purge_tracker_store(url, datetime.now(SHANGHAI)) == 0


def test_the_load_benchmarks_databases_are_made_afresh_each_time() -> None:
    """`create-databases --fresh` (scripts/loadtest-production.sh): what an earlier run
    left is gone; without it an existing database is kept."""
    from bot.production import create_databases

    def has_leftover(url: str) -> bool:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                return bool(connection.execute(text("SELECT to_regclass('leftover')")).scalar())
        finally:
            engine.dispose()

    with throwaway_postgres_database() as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE leftover (id integer)"))
        engine.dispose()
        name = url.rsplit("/", 1)[1]
        assert create_databases({"HM_GATEWAY_DB": url}) == []
        assert has_leftover(url)
        assert create_databases({"HM_GATEWAY_DB": url}, fresh=True) == [name]
        assert not has_leftover(url)
