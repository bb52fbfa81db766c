"""The alternatives an availability check offers are read from the few days around the
asked time first, and from the whole two-week window only when those days cannot fill
the list (bot/backends/availability.py, `_alternatives`). Whatever the department, the
doctor, the time asked, the member, the slots already taken and the number wanted, the
answer is the one the whole window gives."""
from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import List, Tuple

import pytest
from sqlalchemy import select, update

from bot.backends import availability
from bot.backends.availability import AvailabilityQuery, check_availability
from bot.backends.context import Context
from bot.backends.db import Database, migrate
from bot.backends.models import Doctor, HospitalDepartment, Member, Slot
from bot.backends.seed import seed
from bot.catalog import load_catalog
from bot.clock import SHANGHAI, default_calendar

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)  # a Tuesday
WHOLE_WINDOW = timedelta(days=400)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory):
    path: Path = tmp_path_factory.mktemp("alternatives") / "backends.sqlite3"
    database = Database.from_url(f"sqlite:///{path}")
    migrate(database)
    seed(database, NOW, default_calendar(), load_catalog())
    yield database
    database.dispose()


def _queries(db: Database, rng: random.Random) -> List[AvailabilityQuery]:
    with db.reading() as session:
        offerings = session.execute(
            select(HospitalDepartment.hospital_id, HospitalDepartment.department_id)
            .order_by(HospitalDepartment.hospital_id, HospitalDepartment.department_id)
        ).all()
        members = [None, *session.execute(select(Member.id).order_by(Member.id)).scalars()]
        doctors = {(d.hospital_id, d.department_id, d.id) for d in
                   session.execute(select(Doctor)).scalars()}
    queries = []
    for hospital_id, department_id in rng.sample(offerings, 40):
        theirs = sorted(d for h, dep, d in doctors if (h, dep) == (hospital_id, department_id))
        for _ in range(6):
            start = NOW.replace(hour=0) + timedelta(days=rng.randint(-2, 40),
                                                    hours=rng.choice([0, 8, 13, 18]))
            queries.append(AvailabilityQuery(
                hospital_id=hospital_id, department_id=department_id,
                start=start, end=start + timedelta(hours=rng.choice([4, 24, 72])),
                member_id=rng.choice(members),
                doctor_id=rng.choice([None, None, *theirs]) if theirs else None,
                accidental_injury=rng.random() < 0.2, limit=rng.choice([0, 1, 3, 5, 8, 20])))
    return queries


def _answer(db: Database, query: AvailabilityQuery) -> Tuple:
    calendar, catalog = default_calendar(), load_catalog()
    with db.writing() as session:
        found = check_availability(Context(session, NOW, calendar, catalog), query)
        return (found.slot.id if found.slot else None, found.reason,
                [slot.id for slot in found.alternatives])


def _take_places(db: Database, rng: random.Random) -> None:
    """Fill about a third of the slots that exist, so that near days run short."""
    with db.writing() as session:
        ids = session.execute(select(Slot.id)).scalars().all()
        full = rng.sample(ids, len(ids) // 3)
        session.execute(update(Slot).where(Slot.id.in_(full)).values(booked=Slot.capacity))


def test_the_near_days_give_the_alternatives_the_whole_window_gives(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(12)
    queries = _queries(db, rng)
    for query in queries:  # every slot row of their windows, before places are taken
        _answer(db, query)
    _take_places(db, rng)
    windows: List[Tuple] = []  # each window the alternatives were read from
    ranked = availability._Search._ranked_alternatives

    def spy(search, first, last, *args):
        windows.append((search.query, (last - first).days))
        return ranked(search, first, last, *args)

    monkeypatch.setattr(availability._Search, "_ranked_alternatives", spy)
    narrowed = [_answer(db, query) for query in queries]
    monkeypatch.undo()
    monkeypatch.setattr(availability, "NEAR_WINDOW", WHOLE_WINDOW)
    whole = [_answer(db, query) for query in queries]
    different = [(q, n, w) for q, n, w in zip(queries, narrowed, whole) if n != w]
    assert not different, different[:3]
    # Both paths were taken: lists the near days filled, and lists that needed more.
    reads = Counter(query for query, _ in windows)
    assert sum(1 for n in reads.values() if n == 1) > 50
    assert sum(1 for n in reads.values() if n == 2) > 20
