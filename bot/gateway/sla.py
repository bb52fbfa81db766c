"""Service levels of the managers' work, counted in service hours (08:30–20:30 every
day, bot.clock.MANAGER_HOURS): a member who asks at 20:25 and is answered at 08:35 the
next morning waited 10 service minutes, not 12 hours.

- first response: from the request for a person to the first manager reply (the claim's
  greeting is no reply);
- next response: from a member message a manager has not answered yet to the reply;
- resolution: from the request to hand back or close.

Targets are per reason: an emergency or a crisis is answered within 2 minutes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from bot.clock import MANAGER_HOURS, SHANGHAI
from bot.gateway.queue import URGENT_REASONS  # one list of the reasons that cannot wait


@dataclass(frozen=True)
class Targets:
    first_response: float   # service minutes
    next_response: float
    resolution: float


URGENT = Targets(first_response=2, next_response=2, resolution=60)
USUAL = Targets(first_response=10, next_response=5, resolution=120)


def targets(reason: Optional[str]) -> Targets:
    return URGENT if reason in URGENT_REASONS else USUAL


def service_minutes(start: datetime, end: datetime) -> float:
    """Minutes of service hours between `start` and `end` (0 when end is not later)."""
    if end <= start:
        return 0.0
    opens, closes = MANAGER_HOURS
    day = start.astimezone(SHANGHAI).date()
    last = end.astimezone(SHANGHAI).date()
    total = timedelta()
    while day <= last:
        window_start = datetime.combine(day, opens, tzinfo=SHANGHAI)
        window_end = datetime.combine(day, closes, tzinfo=SHANGHAI)
        overlap = min(end, window_end) - max(start, window_start)
        if overlap > timedelta():
            total += overlap
        day += timedelta(days=1)
    return total.total_seconds() / 60


def breached(since: Optional[datetime], now: datetime, limit: float) -> bool:
    return since is not None and service_minutes(since, now) > limit
