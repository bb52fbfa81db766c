"""When notices go out and what makes one the same notice: pure functions of the
backends' answers and an explicit `now` (Asia/Shanghai).

Readings chosen (the handbook sets no hour):
- Nobody is woken: no notice from 21:00 until 08:00. A decision made in the night is
  sent at 08:00.
- A visit is reminded the day before, from 10:00 (the 08:00 morning is for decisions
  and people's own plans), on every run until 21:00, so a visit booked that afternoon
  for tomorrow is reminded too. A visit booked for today (accidental injuries) gets none.
- A visit moved to another time is another visit: its reminder is keyed by reference
  and start, so the new time is reminded once as well.
- Decisions are asked for since the last complete read, less an overlap (a decision
  committed while the last read ran may carry a time before it); the first run looks
  back a day.
- Where to send: WeChat first (it reaches the member outside a conversation), then the
  web chat, then any other identity, in the order the backends list them; the next one
  only when the first cannot take it."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, List, Mapping, Optional, Tuple

QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)
REMIND_FROM = time(10, 0)
OVERLAP = timedelta(minutes=10)
FIRST_LOOKBACK = timedelta(days=1)
# How long a handled notice is remembered by the job itself (the gateway remembers it
# for good): longer than a reminder's day and the decisions' overlap.
REMEMBER = timedelta(days=3)
CHANNEL_ORDER = ("wechat", "web")

REMINDER = "appointment_reminder"
DECISION = "preauth_result"


def may_notify(now: datetime) -> bool:
    """Outside the night (21:00-08:00)."""
    return QUIET_UNTIL <= now.time() < QUIET_FROM


def reminder_day(now: datetime) -> Optional[date]:
    """The day whose visits are reminded now: tomorrow, from 10:00 until 21:00."""
    if REMIND_FROM <= now.time() < QUIET_FROM:
        return now.date() + timedelta(days=1)
    return None


def decided_since(mark: Optional[datetime], now: datetime) -> datetime:
    """Where this run's read of decisions starts."""
    return (mark if mark is not None else now - FIRST_LOOKBACK) - OVERLAP


def reference(kind: str, item: Mapping[str, Any]) -> str:
    """The notice's reference at the gateway (once per kind + reference + member)."""
    if kind == REMINDER:
        return f"{item['reference']}@{item['start']}"
    return f"{item['reference']}:{item['status']}"


def key(kind: str, item: Mapping[str, Any]) -> str:
    """What the job remembers a handled notice by."""
    return f"{kind}:{reference(kind, item)}"


def identities(channels: Iterable[Mapping[str, str]]) -> List[Tuple[str, str]]:
    """(channel, external_id) in the order to try them."""
    listed = [(c["channel"], c["external_id"]) for c in channels]
    rank = {name: index for index, name in enumerate(CHANNEL_ORDER)}
    return sorted(listed, key=lambda identity: rank.get(identity[0], len(rank)))


def forget_before(now: datetime) -> datetime:
    return now - REMEMBER
