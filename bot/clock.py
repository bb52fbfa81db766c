"""Shanghai time, Chinese working days and service hours for the member assistant."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Tuple

from zoneinfo import ZoneInfo

from bot.datafiles import read_yaml

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Service hours, every day of the year (member handbook). Half-open intervals
# [opens, closes): open at exactly 08:30:00, still open at 20:29:59.999999,
# closed at 20:30:00 -- so "closes at 20:30" means nobody is taken at 20:30.
MANAGER_HOURS: tuple[time, time] = (time(8, 30), time(20, 30))
CALL_CENTER_HOURS: tuple[time, time] = (time(8, 0), time(22, 0))

HM_NOW_ENV = "HM_NOW"
DEFAULT_OVERRIDE_PATH = Path(__file__).parent / "data" / "calendar_override.yml"

# A library lookup answers (is_working_day, holiday_name_or_None) for a date and
# raises NotImplementedError for a year it has no data for.
LibraryLookup = Callable[[date], Tuple[bool, Optional[str]]]

# No real stretch of Chinese days off comes close to this; it only guards
# against an endless loop on a corrupt calendar.
_MAX_CONSECUTIVE_DAYS_OFF = 60

_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


# --------------------------------------------------------------------------- clock


def _to_shanghai(value: datetime) -> datetime:
    """Naive datetimes are Shanghai wall-clock time; aware ones are converted."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=SHANGHAI)
    return value.astimezone(SHANGHAI)


class Clock:
    """The one injectable clock: real Shanghai time, or frozen at a fixed instant."""

    def __init__(self, fixed: datetime | None = None) -> None:
        self._fixed = None if fixed is None else _to_shanghai(fixed)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Clock":
        """Freeze the clock at HM_NOW (ISO 8601) if set; otherwise use real time.

        A naive HM_NOW is Shanghai wall-clock time, an aware one is converted.
        An empty value counts as unset (compose files often write `HM_NOW=`).
        """
        raw = environ.get(HM_NOW_ENV)
        if raw is None or not raw.strip():
            return cls()
        text = raw.strip()
        # Python 3.10's fromisoformat does not accept the common "Z" suffix.
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{HM_NOW_ENV} must be an ISO 8601 datetime such as "
                f"'2026-11-26T10:00:00' (Shanghai time) or "
                f"'2026-11-26T10:00:00+08:00'; got {raw!r}"
            ) from None
        return cls(parsed)

    @property
    def fixed(self) -> datetime | None:
        """The frozen instant (Shanghai), or None when the clock is real."""
        return self._fixed

    def now(self) -> datetime:
        """Current time, timezone-aware, in Asia/Shanghai."""
        if self._fixed is not None:
            return self._fixed
        return datetime.now(SHANGHAI)

    def today(self) -> date:
        """Current calendar date in Shanghai."""
        return self.now().date()

    def __repr__(self) -> str:
        return f"Clock(fixed={self._fixed.isoformat()!r})" if self._fixed else "Clock()"


# ------------------------------------------------------------------ working days


class CalendarOverrideError(ValueError):
    """The calendar override file is missing or malformed."""


@lru_cache(maxsize=4096)
def chinese_calendar_lookup(d: date) -> tuple[bool, Optional[str]]:
    """Ask the chinese_calendar package; raises NotImplementedError outside its years.
    Remembered per date: the package's tables are fixed for the process, and each
    question scans them (an availability check asks for hundreds of slots' days)."""
    import chinese_calendar  # imported lazily: keeps importing this module I/O-free

    is_holiday, english_name = chinese_calendar.get_holiday_detail(d)
    name: Optional[str] = None
    if is_holiday and english_name:
        try:
            name = chinese_calendar.Holiday(english_name).chinese
        except ValueError:
            name = english_name
    return (not is_holiday, name)


def _require_date(d: Any, what: str = "d") -> date:
    # datetime is a subclass of date but never equals one, so it would silently
    # miss every override entry; make callers pass clock.today() / dt.date().
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"{what} must be a datetime.date (not {type(d).__name__})")
    return d


def _is_weekday(d: date) -> bool:
    return d.weekday() < 5


@dataclass
class WorkingCalendar:
    """Chinese statutory working days: override file first, then the library, then Mon-Fri."""

    # date -> True (working day) / False (day off); wins over the library.
    overrides: dict[date, bool] = field(default_factory=dict)
    # Years whose exceptions the override lists completely (no warning for them).
    covered_years: frozenset[int] = frozenset()
    # Years whose override data is provisional (statutory days only, no 调休 yet).
    provisional_years: frozenset[int] = frozenset()
    # Holiday names from the override, for days off.
    names: dict[date, str] = field(default_factory=dict)
    lookup: LibraryLookup = chinese_calendar_lookup
    _reported_years: set[int] = field(default_factory=set, init=False, repr=False, compare=False)

    # -- loading

    @classmethod
    def load(
        cls,
        override_path: Path | None = None,
        lookup: LibraryLookup | None = None,
    ) -> "WorkingCalendar":
        """Build the calendar from chinese_calendar plus a validated override file."""
        path = Path(override_path) if override_path is not None else DEFAULT_OVERRIDE_PATH
        data = read_yaml(path, CalendarOverrideError, "calendar override file")
        return cls.from_mapping(data, lookup=lookup, source=str(path))

    @classmethod
    def from_mapping(
        cls,
        data: Any,
        lookup: LibraryLookup | None = None,
        source: str = "<override mapping>",
    ) -> "WorkingCalendar":
        """Build the calendar from already-parsed override data (see the YAML file's header)."""
        overrides, names, covered, provisional = _parse_override_data(data, source)
        return cls(
            overrides=overrides,
            covered_years=frozenset(covered),
            provisional_years=frozenset(provisional),
            names=names,
            lookup=lookup or chinese_calendar_lookup,
        )

    # -- queries

    def is_working_day(self, d: date) -> bool:
        """True on Chinese statutory working days (including 调休 weekend days)."""
        _require_date(d)
        if d in self.overrides:
            return self.overrides[d]
        try:
            working, _name = self.lookup(d)
            return bool(working)
        except NotImplementedError:
            self._report_fallback(d.year)
            return _is_weekday(d)

    def holiday_name(self, d: date) -> str | None:
        """Chinese holiday name (e.g. 春节) for a day off that is part of a holiday, else None."""
        _require_date(d)
        if d in self.overrides:
            return None if self.overrides[d] else self.names.get(d)
        try:
            working, name = self.lookup(d)
        except NotImplementedError:
            return None
        return None if working else name

    def is_provisional(self, d: date) -> bool:
        """True when d's year is only known from provisional override data (调休 unknown)."""
        _require_date(d)
        if d.year not in self.provisional_years:
            return False
        try:
            self.lookup(d)
        except NotImplementedError:
            return True
        return False

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after d."""
        _require_date(d)
        candidate = d
        for _ in range(_MAX_CONSECUTIVE_DAYS_OFF + 1):
            candidate += timedelta(days=1)
            if self.is_working_day(candidate):
                return candidate
        raise RuntimeError(f"no working day within {_MAX_CONSECUTIVE_DAYS_OFF} days after {d}")

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after d (d itself never counts); n == 0 returns d."""
        _require_date(d)
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        result = d
        for _ in range(n):
            result = self.next_working_day(result)
        return result

    def working_days_between(self, start: date, end: date) -> int:
        """Number of working days in the half-open range (start, end]."""
        _require_date(start, "start")
        _require_date(end, "end")
        if end < start:
            raise ValueError(f"end ({end}) is before start ({start})")
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def _report_fallback(self, year: int) -> None:
        # Once per year per calendar: this runs on every date query.
        if year in self._reported_years:
            return
        self._reported_years.add(year)
        if year in self.covered_years:
            if year in self.provisional_years:
                logger.info(
                    "Working days for %d come from provisional override data "
                    "(statutory holidays only, no 调休 yet); update %s when the "
                    "State Council publishes the %d holiday notice",
                    year, DEFAULT_OVERRIDE_PATH.name, year,
                )
            return
        logger.warning(
            "No holiday data for %d in chinese_calendar or the calendar override "
            "file; treating Monday-Friday as working days for that year",
            year,
        )


_ALLOWED_TOP_KEYS = {"version", "years", "corrections"}
_ALLOWED_YEAR_KEYS = {"provisional", "note", "days"}
_ALLOWED_DAY_KEYS = {"date", "working", "name"}


def _parse_override_data(
    data: Any, source: str
) -> tuple[dict[date, bool], dict[date, str], set[int], set[int]]:
    """Validate override data strictly; typos must fail loudly, not silently shift due dates."""

    def fail(where: str, message: str) -> CalendarOverrideError:
        return CalendarOverrideError(f"calendar override {source}: {where}: {message}")

    if not isinstance(data, dict):
        raise fail("top level", f"expected a mapping with 'years' and/or 'corrections', got {type(data).__name__}")
    unknown = set(data) - _ALLOWED_TOP_KEYS
    if unknown:
        raise fail("top level", f"unknown keys {sorted(map(str, unknown))}")
    if data.get("version", 1) != 1:
        raise fail("version", f"unsupported version {data.get('version')!r} (expected 1)")

    overrides: dict[date, bool] = {}
    names: dict[date, str] = {}
    covered: set[int] = set()
    provisional: set[int] = set()

    def parse_day(entry: Any, where: str, year: int | None) -> None:
        if not isinstance(entry, dict):
            raise fail(where, f"expected a mapping with date/working/name, got {entry!r}")
        unknown_keys = set(entry) - _ALLOWED_DAY_KEYS
        if unknown_keys:
            raise fail(where, f"unknown keys {sorted(map(str, unknown_keys))}")
        raw_date = entry.get("date")
        if isinstance(raw_date, datetime):
            raise fail(where, f"date must not have a time part: {raw_date!r}")
        if isinstance(raw_date, date):
            d = raw_date
        elif isinstance(raw_date, str):
            try:
                d = date.fromisoformat(raw_date.strip())
            except ValueError:
                raise fail(where, f"date {raw_date!r} is not YYYY-MM-DD") from None
        else:
            raise fail(where, f"missing or invalid date: {raw_date!r}")
        if year is not None and d.year != year:
            raise fail(where, f"date {d} is listed under year {year}")
        if "working" not in entry or not isinstance(entry["working"], bool):
            raise fail(where, f"'working' must be true or false for {d}, got {entry.get('working')!r}")
        name = entry.get("name")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise fail(where, f"'name' must be non-empty text for {d}, got {name!r}")
        if d in overrides:
            raise fail(where, f"date {d} is listed more than once")
        overrides[d] = entry["working"]
        if name is not None:
            names[d] = name.strip()

    years = data.get("years") or {}
    if not isinstance(years, dict):
        raise fail("years", f"expected a mapping of year -> block, got {type(years).__name__}")
    for year_key, block in years.items():
        if isinstance(year_key, bool) or not isinstance(year_key, int) or not 1900 <= year_key <= 2200:
            raise fail("years", f"year keys must be four-digit integers, got {year_key!r}")
        where = f"years.{year_key}"
        if not isinstance(block, dict):
            raise fail(where, f"expected a mapping with provisional/note/days, got {block!r}")
        unknown_keys = set(block) - _ALLOWED_YEAR_KEYS
        if unknown_keys:
            raise fail(where, f"unknown keys {sorted(map(str, unknown_keys))}")
        is_provisional = block.get("provisional", False)
        if not isinstance(is_provisional, bool):
            raise fail(where, f"'provisional' must be true or false, got {is_provisional!r}")
        days = block.get("days") or []
        if not isinstance(days, list):
            raise fail(where, f"'days' must be a list, got {type(days).__name__}")
        for i, entry in enumerate(days):
            parse_day(entry, f"{where}.days[{i}]", year_key)
        covered.add(year_key)
        if is_provisional:
            provisional.add(year_key)

    corrections = data.get("corrections") or []
    if not isinstance(corrections, list):
        raise fail("corrections", f"expected a list, got {type(corrections).__name__}")
    for i, entry in enumerate(corrections):
        parse_day(entry, f"corrections[{i}]", None)

    return overrides, names, covered, provisional


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    """The process-wide calendar (chinese_calendar + bot/data/calendar_override.yml), loaded on first use."""
    return WorkingCalendar.load()


# ----------------------------------------------------------------- service hours


def _require_aware(now: datetime, what: str = "now") -> datetime:
    if not isinstance(now, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(now).__name__}")
    if now.tzinfo is None or now.tzinfo.utcoffset(now) is None:
        # A naive time is ambiguous between server UTC and Shanghai; refuse it.
        raise ValueError(f"{what} must be timezone-aware (use Clock.now())")
    return now.astimezone(SHANGHAI)


def within_hours(now: datetime, opens: time, closes: time) -> bool:
    """True when Shanghai wall-clock time of now is in [opens, closes)."""
    if not opens < closes:
        raise ValueError(f"opens ({opens}) must be before closes ({closes}); overnight hours are not supported")
    local = _require_aware(now).time()
    return opens <= local < closes


def managers_open(now: datetime) -> bool:
    """Whether human private health managers (柏盛健康私人健康管家) are available."""
    return within_hours(now, *MANAGER_HOURS)


def call_center_open(now: datetime) -> bool:
    """Whether the 众安保险 call centre (952299 / 1010-9955) is staffed."""
    return within_hours(now, *CALL_CENTER_HOURS)


def next_opening(now: datetime, opens: time, closes: time) -> datetime:
    """now (in Shanghai) if open, else the next daily opening time, Shanghai-aware."""
    local = _require_aware(now)
    if within_hours(local, opens, closes):
        return local
    day = local.date() if local.time() < opens else local.date() + timedelta(days=1)
    return datetime.combine(day, opens, tzinfo=SHANGHAI)


def next_manager_opening(now: datetime) -> datetime:
    """now if managers are available, else the next 08:30 Shanghai time."""
    return next_opening(now, *MANAGER_HOURS)


def next_call_center_opening(now: datetime) -> datetime:
    """now if the call centre is open, else the next 08:00 Shanghai time."""
    return next_opening(now, *CALL_CENTER_HOURS)


def describe_wait_until(now: datetime, then: datetime) -> str:
    """Short Chinese phrase for when `then` is: 今天08:30 / 明天08:30 / 11月26日（周四）08:30.

    Returns 现在 when `then` is not in the future; prefixes the year when it differs.
    """
    local_now = _require_aware(now)
    local_then = _require_aware(then, "then")
    if local_then <= local_now:
        return "现在"
    clock_text = local_then.strftime("%H:%M")
    days_ahead = (local_then.date() - local_now.date()).days
    if days_ahead == 0:
        return f"今天{clock_text}"
    if days_ahead == 1:
        return f"明天{clock_text}"
    return f"{describe_date(local_then.date(), local_now.date())}{clock_text}"


def weekday_zh(d: date) -> str:
    """周一 ... 周日."""
    return _WEEKDAYS_ZH[d.weekday()]


def describe_date(d: date, today: date) -> str:
    """11月26日（周四）; prefixed with the year (2027年1月5日（周二）) when not this year's."""
    year = f"{d.year}年" if d.year != today.year else ""
    return f"{year}{d.month}月{d.day}日（{weekday_zh(d)}）"
