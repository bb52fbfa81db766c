"""An availability check is a read transaction once its days' slot rows exist; only the
first check of a day writes them (bot/backends/availability.py, service.py): on SQLite
a reader does not queue behind bookings for the write lock."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import func, select

from bot.backends.availability import AvailabilityQuery, check_availability
from bot.backends.context import Context, NeedsWrite
from bot.backends.db import Database, migrate
from bot.backends.models import Slot
from bot.backends.seed import seed
from bot.catalog import load_catalog
from bot.clock import SHANGHAI, default_calendar

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
QUERY = AvailabilityQuery(hospital_id="ruijin", department_id="dermatology",
                          start=datetime(2026, 11, 26, 0, 0, tzinfo=SHANGHAI),
                          end=datetime(2026, 11, 26, 23, 59, tzinfo=SHANGHAI),
                          member_id=None, doctor_id=None, accidental_injury=False, limit=5)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A seeded backends database whose slot rows do not exist yet."""
    database = Database.from_url(f"sqlite:///{tmp_path / 'backends.sqlite3'}")
    migrate(database)
    seed(database, NOW, default_calendar(), load_catalog())
    yield database
    database.dispose()


def test_the_first_check_of_a_day_writes_its_slots_and_later_ones_only_read(
        db: Database) -> None:
    catalog, calendar = load_catalog(), default_calendar()
    with db.reading() as session:
        with pytest.raises(NeedsWrite):  # nothing of that day exists yet
            check_availability(Context(session, NOW, calendar, catalog, False), QUERY)
    with db.writing() as session:
        written = check_availability(Context(session, NOW, calendar, catalog), QUERY)
        slots = session.execute(select(func.count()).select_from(Slot)).scalar_one()
    with db.reading() as session:
        read = check_availability(Context(session, NOW, calendar, catalog, False), QUERY)
        assert session.execute(select(func.count()).select_from(Slot)).scalar_one() == \
            slots
    assert slots > 0
    assert (read.available, read.slot.id if read.slot else None,
            [s.id for s in read.alternatives]) == \
        (written.available, written.slot.id if written.slot else None,
         [s.id for s in written.alternatives])


def test_a_read_that_finds_a_days_slots_remembers_them_and_a_write_does_not(
        db: Database) -> None:
    catalog, calendar = load_catalog(), default_calendar()
    remembered: set = set()
    with db.writing() as session:  # writes the rows: nothing remembered before commit
        check_availability(Context(session, NOW, calendar, catalog, True, remembered), QUERY)
    assert remembered == set()
    with db.reading() as session:
        check_availability(Context(session, NOW, calendar, catalog, False, remembered), QUERY)
    assert ("ruijin", "dermatology", QUERY.start.date()) in remembered
    # A remembered day is not looked at again: another department's day, remembered
    # as if its rows existed (only a test can make that untrue), is believed, where
    # a fresh check of it needs to write.
    elsewhere = dataclasses.replace(QUERY, department_id="cardiology")
    believed = {("ruijin", "cardiology", NOW.date() + timedelta(days=n)) for n in range(120)}
    with db.reading() as session:
        with pytest.raises(NeedsWrite):
            check_availability(Context(session, NOW, calendar, catalog, False), elsewhere)
        found = check_availability(
            Context(session, NOW, calendar, catalog, False, believed), elsewhere)
        assert found.slot is None
