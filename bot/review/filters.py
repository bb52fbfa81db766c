"""The filters of the review pages (the inbox, the conversations list) as plain values,
and their query JSON (what a saved filter stores and a page's URL carries). A period is
relative to `now` (本周 = since Monday 00:00 Shanghai), so a saved "本周微信中的未理解消息"
is this week's whenever it is clicked; since/until are fixed days (until included)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from bot.clock import SHANGHAI

PERIODS = {
    "today": "今天",
    "yesterday": "昨天",
    "this_week": "本周",
    "last_7_days": "最近7天",
    "this_month": "本月",
    "last_30_days": "最近30天",
}


class FilterError(ValueError):
    """A query that does not describe a filter (the message says which field)."""


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def period_range(period: str, now: datetime) -> Tuple[datetime, datetime]:
    """[start, end) of a named period in Shanghai days, ending tomorrow 00:00 (or today
    00:00 for yesterday)."""
    today = now.astimezone(SHANGHAI).date()
    tomorrow = _midnight(today + timedelta(days=1))
    starts = {
        "today": today,
        "yesterday": today - timedelta(days=1),
        "this_week": today - timedelta(days=today.weekday()),
        "last_7_days": today - timedelta(days=6),
        "this_month": today.replace(day=1),
        "last_30_days": today - timedelta(days=29),
    }
    if period not in starts:
        raise FilterError(f"period: one of {', '.join(PERIODS)}")
    end = _midnight(today) if period == "yesterday" else tomorrow
    return _midnight(starts[period]), end


# ------------------------------------------------------------------- query parsing
def _text(name: str, value: Any) -> Optional[str]:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 100:
        raise FilterError(f"{name}: a short text")
    return value.strip() or None


def _flag(name: str, value: Any) -> Optional[bool]:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes", "on"):
        return True
    if str(value).lower() in ("0", "false", "no", "off"):
        return False
    raise FilterError(f"{name}: true or false")


def _confidence(name: str, value: Any) -> Optional[float]:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FilterError(f"{name}: a number between 0 and 1") from None
    if not 0 <= number <= 1:
        raise FilterError(f"{name}: a number between 0 and 1")
    return number


def _day(name: str, value: Any) -> Optional[date]:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise FilterError(f"{name}: a date like 2026-11-24") from None


def _period(name: str, value: Any) -> Optional[str]:
    if value in (None, ""):
        return None
    if value not in PERIODS:
        raise FilterError(f"{name}: one of {', '.join(PERIODS)}")
    return value


def _tags(name: str, value: Any) -> Tuple[str, ...]:
    if value in (None, "", [], ()):
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(t, str) for t in items):
        raise FilterError(f"{name}: a list of tags")
    return tuple(sorted({t.strip() for t in items if t.strip()}))


_PARSERS: Dict[str, Callable[[str, Any], Any]] = {
    "period": _period, "since": _day, "until": _day, "channel": _text, "intent": _text,
    "below": _confidence, "unreviewed": _flag, "handed_off": _flag,
    "handoff_reason": _text, "fallback": _flag, "reviewed": _flag, "tags": _tags,
}


class _Query:
    """The query JSON of a filter dataclass: from_query (validating, unknown keys
    refused) and as_query (only what is set)."""

    @classmethod
    def from_query(cls, query: Optional[Mapping[str, Any]]):
        query = dict(query or {})
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(query) - names
        if unknown:
            raise FilterError(f"unknown filter fields: {', '.join(sorted(unknown))}")
        values = {name: _PARSERS[name](name, value) for name, value in query.items()}
        defaults = cls()  # type: ignore[call-arg]
        return cls(**{name: (getattr(defaults, name) if value is None else value)
                      for name, value in values.items()})

    def as_query(self) -> Dict[str, Any]:
        default = type(self)()  # type: ignore[call-arg]
        query = {}
        for name, value in asdict(self).items():  # type: ignore[call-overload]
            if value == getattr(default, name):
                continue
            query[name] = (value.isoformat() if isinstance(value, date)
                           else list(value) if isinstance(value, tuple) else value)
        return query

    def time_range(self, now: datetime) -> Tuple[Optional[datetime], Optional[datetime]]:
        """[start, end) of the filter's period or days; None for an open end."""
        period = getattr(self, "period", None)
        if period:
            return period_range(period, now)
        since, until = getattr(self, "since", None), getattr(self, "until", None)
        return (_midnight(since) if since else None,
                _midnight(until + timedelta(days=1)) if until else None)


@dataclass(frozen=True)
class InboxFilter(_Query):
    """The inbox: unreviewed only (default), predicted intent, confidence below a
    threshold, channel, period or days."""

    unreviewed: bool = True
    intent: Optional[str] = None
    below: Optional[float] = None
    channel: Optional[str] = None
    period: Optional[str] = None
    since: Optional[date] = None
    until: Optional[date] = None


@dataclass(frozen=True)
class ConversationFilter(_Query):
    """The conversations list. handoff_reason implies handed off; tags: all of them."""

    period: Optional[str] = None
    since: Optional[date] = None
    until: Optional[date] = None
    channel: Optional[str] = None
    handed_off: Optional[bool] = None
    handoff_reason: Optional[str] = None
    fallback: Optional[bool] = None
    below: Optional[float] = None
    intent: Optional[str] = None
    reviewed: Optional[bool] = None
    tags: Tuple[str, ...] = ()


FILTERS = {"inbox": InboxFilter, "conversations": ConversationFilter}
