"""What every operation of the service works with: one database session, the instant
of the request (from the injected clock), the working-day calendar and the catalog."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Set, Tuple

from sqlalchemy.orm import Session

from bot.catalog import Catalog
from bot.clock import WorkingCalendar


@dataclass(frozen=True)
class Context:
    session: Session
    now: datetime
    calendar: WorkingCalendar
    catalog: Catalog
    # False in a read transaction: an operation that finds it must write raises
    # NeedsWrite, and is run again in a write transaction (routes.py).
    writable: bool = True
    # The (hospital, department, day) whose slot rows a committed transaction has shown
    # to exist: one set per Backend, shared by its requests (slot rows are never
    # deleted), so a check does not work out a day's timetable again to find nothing
    # missing (availability.materialise_slots).
    slot_days: Set[Tuple[str, str, date]] = field(default_factory=set)

    @property
    def today(self) -> date:
        return self.now.date()


class NeedsWrite(Exception):
    """A read-only run found it has something to write: run it again writable."""
