"""Tests for bot/clock.py: injectable clock, Chinese working days, service hours."""

from __future__ import annotations

import logging
import textwrap
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from bot.clock import (
    CALL_CENTER_HOURS,
    DEFAULT_OVERRIDE_PATH,
    MANAGER_HOURS,
    SHANGHAI,
    CalendarOverrideError,
    Clock,
    WorkingCalendar,
    call_center_open,
    chinese_calendar_lookup,
    default_calendar,
    describe_wait_until,
    managers_open,
    next_call_center_opening,
    next_manager_opening,
    within_hours,
)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.fixture
def calendar() -> WorkingCalendar:
    # A fresh instance (not the cached default) so per-year warning state is isolated.
    return WorkingCalendar.load()


def write_override(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar_override.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# ----------------------------------------------------------------------- Clock


@pytest.mark.parametrize(
    "hm_now, expected",
    [
        ("2026-11-26T10:00:00", sh(2026, 11, 26, 10)),  # naive = Shanghai wall clock
        ("2026-11-26 10:00", sh(2026, 11, 26, 10)),
        ("2026-11-26T10:00:00+08:00", sh(2026, 11, 26, 10)),
        ("2026-11-26T02:00:00+00:00", sh(2026, 11, 26, 10)),  # aware is converted
        ("2026-11-25T18:30:00Z", sh(2026, 11, 26, 2, 30)),  # crosses the date line into Shanghai
        ("2026-11-26", sh(2026, 11, 26, 0)),
    ],
)
def test_hm_now_freezes_clock_in_shanghai_time(hm_now: str, expected: datetime) -> None:
    clock = Clock.from_env({"HM_NOW": hm_now})
    now = clock.now()
    assert now == expected
    assert now.tzinfo is SHANGHAI
    assert now.utcoffset() == timedelta(hours=8)
    assert clock.today() == expected.date()
    assert clock.now() == now  # frozen


@pytest.mark.parametrize("hm_now", ["tomorrow", "2026-13-01T10:00", "26/11/2026 10:00", "2026-11-26T25:00"])
def test_invalid_hm_now_raises_value_error_naming_the_variable(hm_now: str) -> None:
    with pytest.raises(ValueError, match="HM_NOW"):
        Clock.from_env({"HM_NOW": hm_now})


@pytest.mark.parametrize("environ", [{}, {"HM_NOW": ""}, {"HM_NOW": "  "}, {"OTHER": "x"}])
def test_unset_or_empty_hm_now_gives_real_shanghai_time(environ: dict[str, str]) -> None:
    clock = Clock.from_env(environ)
    assert clock.fixed is None
    now = clock.now()
    assert now.tzinfo is SHANGHAI
    assert abs(now - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_clock_constructor_treats_naive_fixed_time_as_shanghai() -> None:
    clock = Clock(datetime(2026, 12, 31, 23, 30))
    assert clock.now() == sh(2026, 12, 31, 23, 30)
    assert clock.today() == date(2026, 12, 31)


def test_clock_today_is_shanghai_date_not_utc_date() -> None:
    clock = Clock(datetime(2026, 12, 31, 17, 0, tzinfo=timezone.utc))  # 01:00 on Jan 1 in Shanghai
    assert clock.today() == date(2027, 1, 1)


# --------------------------------------------------------------- Working days


@pytest.mark.parametrize("day", [date(2026, 10, d) for d in range(1, 8)])
def test_national_day_2026_is_not_a_working_day(calendar: WorkingCalendar, day: date) -> None:
    assert not calendar.is_working_day(day)
    assert calendar.holiday_name(day) == "国庆节"


@pytest.mark.parametrize("day", [date(2026, 2, d) for d in range(15, 24)])
def test_spring_festival_2026_is_not_a_working_day(calendar: WorkingCalendar, day: date) -> None:
    assert not calendar.is_working_day(day)
    assert calendar.holiday_name(day) == "春节"


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 4),  # Sunday, 元旦 调休
        date(2026, 2, 14),  # Saturday, 春节 调休
        date(2026, 2, 28),  # Saturday, 春节 调休
        date(2026, 5, 9),  # Saturday, 劳动节 调休
        date(2026, 9, 20),  # Sunday, 国庆 调休
        date(2026, 10, 10),  # Saturday, 国庆 调休
    ],
)
def test_adjusted_weekend_working_days_2026_are_working_days(calendar: WorkingCalendar, day: date) -> None:
    assert day.weekday() >= 5
    assert calendar.is_working_day(day)
    assert calendar.holiday_name(day) is None


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2026, 11, 26), True),  # Thursday
        (date(2026, 11, 28), False),  # ordinary Saturday
        (date(2026, 11, 29), False),  # ordinary Sunday
        (date(2026, 12, 31), True),  # Thursday
    ],
)
def test_ordinary_days_follow_the_week(calendar: WorkingCalendar, day: date, working: bool) -> None:
    assert calendar.is_working_day(day) is working
    assert calendar.holiday_name(day) is None


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2026, 9, 30), date(2026, 10, 8)),  # across the National Day week
        (date(2026, 10, 3), date(2026, 10, 8)),  # from inside the holiday
        (date(2026, 2, 13), date(2026, 2, 14)),  # Friday -> 调休 Saturday
        (date(2026, 2, 14), date(2026, 2, 24)),  # across the Spring Festival
        (date(2026, 11, 27), date(2026, 11, 30)),  # Friday -> Monday
        (date(2026, 11, 26), date(2026, 11, 27)),  # strictly after d
    ],
)
def test_next_working_day(calendar: WorkingCalendar, day: date, expected: date) -> None:
    assert calendar.next_working_day(day) == expected


@pytest.mark.parametrize(
    "day, n, expected",
    [
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # on a Friday
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # on the day before a holiday
        (date(2026, 4, 3), 1, date(2026, 4, 7)),  # Friday before 清明 (Apr 4-6)
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # 2027-01-01 Fri is 元旦, then the weekend
        (date(2026, 12, 30), 2, date(2027, 1, 4)),
        (date(2026, 11, 26), 0, date(2026, 11, 26)),  # n = 0 is d itself
        (date(2026, 11, 23), 5, date(2026, 11, 30)),
        (date(2027, 2, 4), 1, date(2027, 2, 9)),  # provisional 2027 Spring Festival (Feb 5-8)
    ],
)
def test_add_working_days(calendar: WorkingCalendar, day: date, n: int, expected: date) -> None:
    assert calendar.add_working_days(day, n) == expected


def test_add_working_days_rejects_negative_n(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 11, 26), -1)


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (date(2026, 11, 23), date(2026, 11, 30), 5),  # (Mon, next Mon]
        (date(2026, 9, 30), date(2026, 10, 8), 1),  # only Oct 8 counts
        (date(2026, 9, 30), date(2026, 10, 10), 3),  # Oct 8, 9 and 调休 Saturday Oct 10
        (date(2026, 11, 26), date(2026, 11, 26), 0),  # empty range
        (date(2026, 12, 31), date(2027, 1, 4), 1),  # across the year boundary
    ],
)
def test_working_days_between_counts_half_open_range(
    calendar: WorkingCalendar, start: date, end: date, expected: int
) -> None:
    assert calendar.working_days_between(start, end) == expected


def test_working_days_between_rejects_reversed_range(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        calendar.working_days_between(date(2026, 11, 30), date(2026, 11, 23))


def test_calendar_rejects_datetime_instead_of_date(calendar: WorkingCalendar) -> None:
    with pytest.raises(TypeError):
        calendar.is_working_day(sh(2026, 11, 26, 10))


@pytest.mark.parametrize("day", [date(2027, 1, d) for d in (4, 5, 6, 7, 8, 11)])
def test_january_2027_booking_dates_are_working_days(calendar: WorkingCalendar, day: date) -> None:
    assert calendar.is_working_day(day)


SHIPPED_2027_DAYS_OFF = {
    date(2027, 1, 1): "元旦",
    date(2027, 2, 5): "春节",  # 除夕
    date(2027, 2, 6): "春节",  # 正月初一
    date(2027, 2, 7): "春节",
    date(2027, 2, 8): "春节",  # 正月初三
    date(2027, 4, 5): "清明",
    date(2027, 5, 1): "劳动节",
    date(2027, 5, 2): "劳动节",
    date(2027, 6, 9): "端午",
    date(2027, 9, 15): "中秋",
    date(2027, 10, 1): "国庆节",
    date(2027, 10, 2): "国庆节",
    date(2027, 10, 3): "国庆节",
}


@pytest.mark.parametrize("day, name", sorted(SHIPPED_2027_DAYS_OFF.items()))
def test_provisional_2027_statutory_holidays_are_days_off(calendar: WorkingCalendar, day: date, name: str) -> None:
    assert not calendar.is_working_day(day)
    assert calendar.holiday_name(day) == name
    assert calendar.is_provisional(day)


def test_shipped_override_file_lists_exactly_the_2027_statutory_days() -> None:
    cal = WorkingCalendar.load(DEFAULT_OVERRIDE_PATH)
    assert cal.covered_years == {2027}
    assert cal.provisional_years == {2027}
    assert cal.overrides == {d: False for d in SHIPPED_2027_DAYS_OFF}  # no 调休 until the notice
    assert cal.names == SHIPPED_2027_DAYS_OFF


def test_provisional_2027_has_no_weekend_working_days(calendar: WorkingCalendar) -> None:
    day = date(2027, 1, 1)
    while day.year == 2027:
        if day.weekday() >= 5:
            assert not calendar.is_working_day(day), day
        day += timedelta(days=1)


def test_years_in_neither_source_fall_back_to_monday_to_friday_with_one_warning(
    calendar: WorkingCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.clock")
    results = {
        date(2028, 1, 3): True,  # Monday
        date(2028, 1, 7): True,  # Friday
        date(2028, 1, 8): False,  # Saturday
        date(2028, 10, 2): True,  # Monday; would be 国庆 but there is no data
    }
    for day, expected in results.items():
        assert calendar.is_working_day(day) is expected
    assert calendar.next_working_day(date(2028, 1, 7)) == date(2028, 1, 10)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "2028" in warnings[0].getMessage()


def test_override_covered_year_does_not_warn(calendar: WorkingCalendar, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.clock")
    for offset in range(40):
        calendar.is_working_day(date(2027, 1, 1) + timedelta(days=offset))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def lookup_covering(*years: int):
    """A fake library lookup that only knows the given years (real data via chinese_calendar)."""

    def lookup(d: date):
        if d.year not in years:
            raise NotImplementedError(f"no data for {d.year}")
        return chinese_calendar_lookup(d)

    return lookup


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2025, 10, 1), False),  # library still knows 2025
        (date(2026, 10, 1), True),  # Thursday; 2026 "not covered" -> Mon-Fri
        (date(2026, 10, 10), False),  # 调休 Saturday unknown without data
    ],
)
def test_simulated_library_gap_falls_back_to_monday_to_friday(day: date, expected: bool) -> None:
    cal = WorkingCalendar(lookup=lookup_covering(2025))
    assert cal.is_working_day(day) is expected


def test_library_wins_over_provisional_year_for_unlisted_dates() -> None:
    # Once a newer chinese-calendar knows a year, its 调休 data fills what the provisional block cannot.
    def lookup(d: date):
        if d == date(2027, 2, 9):
            return (False, "春节")
        if d == date(2027, 2, 20):
            return (True, None)
        return (d.weekday() < 5, None)

    cal = WorkingCalendar.load(DEFAULT_OVERRIDE_PATH, lookup=lookup)
    assert not cal.is_working_day(date(2027, 2, 5))  # listed in the override
    assert not cal.is_working_day(date(2027, 2, 9))  # from the library
    assert cal.is_working_day(date(2027, 2, 20))  # Saturday 调休 from the library
    assert not cal.is_provisional(date(2027, 2, 20))


def test_override_wins_over_the_library(tmp_path: Path) -> None:
    path = write_override(
        tmp_path,
        """
        version: 1
        corrections:
          - {date: 2026-10-08, working: false, name: 国庆节}
          - {date: 2026-10-01, working: true}
          - {date: "2026-11-28", working: true}
        """,
    )
    cal = WorkingCalendar.load(path)
    assert not cal.is_working_day(date(2026, 10, 8))
    assert cal.holiday_name(date(2026, 10, 8)) == "国庆节"
    assert cal.is_working_day(date(2026, 10, 1))
    assert cal.holiday_name(date(2026, 10, 1)) is None
    assert cal.is_working_day(date(2026, 11, 28))  # quoted date strings are accepted too
    assert cal.next_working_day(date(2026, 9, 30)) == date(2026, 10, 1)
    assert not cal.covered_years  # corrections do not claim a whole year


def test_override_year_block_covers_a_year_the_library_does_not(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_override(
        tmp_path,
        """
        years:
          2030:
            provisional: false
            days:
              - {date: 2030-01-01, working: false, name: 元旦}
              - {date: 2030-01-05, working: true}
        """,
    )
    caplog.set_level(logging.WARNING, logger="bot.clock")
    cal = WorkingCalendar.load(path)
    assert not cal.is_working_day(date(2030, 1, 1))
    assert cal.is_working_day(date(2030, 1, 5))  # Saturday 调休
    assert not cal.is_working_day(date(2030, 1, 6))  # plain Sunday
    assert cal.is_working_day(date(2030, 1, 7))
    assert not cal.is_provisional(date(2030, 1, 7))
    assert not caplog.records


MALFORMED_OVERRIDES = [
    ("years: [2027\n", "not valid YAML"),
    ("", "expected a mapping"),
    ("- 2027-01-01\n", "expected a mapping"),
    ("version: 2\n", "unsupported version"),
    ("holidays: []\n", "unknown keys"),
    ("corrections:\n  - {date: 2027-01-01, working: 'no'}\n", "'working' must be true or false"),
    ("corrections:\n  - {date: 2027-01-01, working: 0}\n", "'working' must be true or false"),
    ("corrections:\n  - {date: 2027-01-01}\n", "'working' must be true or false"),
    ("corrections:\n  - {date: 2027-02-30, working: false}\n", "invalid date"),
    ("corrections:\n  - {date: '2027-02-30', working: false}\n", "not YYYY-MM-DD"),
    ("corrections:\n  - {date: 'next friday', working: false}\n", "not YYYY-MM-DD"),
    ("corrections:\n  - {date: 2027-01-01 08:00:00, working: false}\n", "time part"),
    ("corrections:\n  - {working: false}\n", "missing or invalid date"),
    ("corrections:\n  - {date: 2027-01-01, working: false, nmae: 元旦}\n", "unknown keys"),
    ("corrections:\n  - {date: 2027-01-01, working: false, name: 5}\n", "'name' must be non-empty text"),
    ("corrections: {date: 2027-01-01, working: false}\n", "expected a list"),
    (
        "corrections:\n  - {date: 2027-01-01, working: false}\n  - {date: 2027-01-01, working: true}\n",
        "more than once",
    ),
    ("years:\n  2027:\n    days:\n      - {date: 2028-01-01, working: false}\n", "listed under year 2027"),
    ("years:\n  '2027':\n    days: []\n", "four-digit integers"),
    ("years:\n  2027:\n    provisional: maybe\n", "'provisional' must be true or false"),
    ("years:\n  2027:\n    days: {date: 2027-01-01}\n", "'days' must be a list"),
    ("years:\n  2027: []\n", "expected a mapping"),
]


@pytest.mark.parametrize("text, message", MALFORMED_OVERRIDES, ids=[m for _, m in MALFORMED_OVERRIDES])
def test_malformed_override_file_is_rejected_with_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = write_override(tmp_path, text)
    with pytest.raises(CalendarOverrideError, match=message) as excinfo:
        WorkingCalendar.load(path)
    assert str(path) in str(excinfo.value)


def test_missing_override_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(CalendarOverrideError, match="cannot read"):
        WorkingCalendar.load(tmp_path / "absent.yml")


def test_default_calendar_is_loaded_once_and_cached() -> None:
    assert default_calendar() is default_calendar()
    assert default_calendar().is_working_day(date(2026, 10, 8))


# -------------------------------------------------------------- Service hours


@pytest.mark.parametrize(
    "hh, mm, ss, expected",
    [
        (8, 29, 59, False),
        (8, 29, 0, False),
        (8, 30, 0, True),  # opens at exactly 08:30:00
        (12, 0, 0, True),
        (20, 29, 0, True),
        (20, 29, 59, True),
        (20, 30, 0, False),  # closed at exactly 20:30:00
        (20, 31, 0, False),
        (3, 0, 0, False),
    ],
)
def test_manager_hours_are_half_open_0830_to_2030(hh: int, mm: int, ss: int, expected: bool) -> None:
    assert managers_open(sh(2026, 11, 26, hh, mm, ss)) is expected


@pytest.mark.parametrize(
    "hh, mm, ss, expected",
    [
        (7, 59, 59, False),
        (8, 0, 0, True),  # opens at exactly 08:00:00
        (21, 59, 0, True),
        (21, 59, 59, True),
        (22, 0, 0, False),  # closed at exactly 22:00:00
        (22, 1, 0, False),
    ],
)
def test_call_center_hours_are_half_open_0800_to_2200(hh: int, mm: int, ss: int, expected: bool) -> None:
    assert call_center_open(sh(2026, 11, 26, hh, mm, ss)) is expected


@pytest.mark.parametrize("day", [date(2026, 10, 1), date(2026, 11, 28), date(2027, 2, 6)])
def test_service_hours_apply_on_holidays_and_weekends(day: date) -> None:
    assert managers_open(sh(day.year, day.month, day.day, 10))
    assert call_center_open(sh(day.year, day.month, day.day, 21))


def test_service_hours_use_shanghai_wall_clock_for_other_time_zones() -> None:
    assert managers_open(datetime(2026, 11, 26, 0, 30, tzinfo=timezone.utc))  # 08:30 Shanghai
    assert not managers_open(datetime(2026, 11, 26, 12, 30, tzinfo=timezone.utc))  # 20:30 Shanghai


def test_service_hours_reject_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        managers_open(datetime(2026, 11, 26, 10, 0))


def test_within_hours_rejects_overnight_ranges() -> None:
    with pytest.raises(ValueError):
        within_hours(sh(2026, 11, 26, 23), time(22, 0), time(6, 0))


def test_hours_constants() -> None:
    assert MANAGER_HOURS == (time(8, 30), time(20, 30))
    assert CALL_CENTER_HOURS == (time(8, 0), time(22, 0))


@pytest.mark.parametrize(
    "now, expected",
    [
        (sh(2026, 11, 26, 20, 31), sh(2026, 11, 27, 8, 30)),  # after closing -> tomorrow
        (sh(2026, 11, 26, 20, 30), sh(2026, 11, 27, 8, 30)),  # at closing -> tomorrow
        (sh(2026, 11, 26, 3, 0), sh(2026, 11, 26, 8, 30)),  # before opening -> today
        (sh(2026, 11, 26, 8, 29, 59), sh(2026, 11, 26, 8, 30)),
        (sh(2026, 11, 26, 10, 0), sh(2026, 11, 26, 10, 0)),  # open -> now
        (sh(2026, 12, 31, 23, 0), sh(2027, 1, 1, 8, 30)),  # managers work on holidays too
    ],
)
def test_next_manager_opening(now: datetime, expected: datetime) -> None:
    result = next_manager_opening(now)
    assert result == expected
    assert result.tzinfo is SHANGHAI


@pytest.mark.parametrize(
    "now, expected",
    [
        (sh(2026, 11, 26, 22, 0), sh(2026, 11, 27, 8, 0)),
        (sh(2026, 11, 26, 7, 59), sh(2026, 11, 26, 8, 0)),
        (sh(2026, 11, 26, 21, 59), sh(2026, 11, 26, 21, 59)),
    ],
)
def test_next_call_center_opening(now: datetime, expected: datetime) -> None:
    result = next_call_center_opening(now)
    assert result == expected
    assert result.tzinfo is SHANGHAI


def test_next_opening_returns_shanghai_time_for_utc_input() -> None:
    result = next_manager_opening(datetime(2026, 11, 26, 13, 0, tzinfo=timezone.utc))  # 21:00 Shanghai
    assert result == sh(2026, 11, 27, 8, 30)
    assert result.tzinfo is SHANGHAI


@pytest.mark.parametrize(
    "now, then, expected",
    [
        (sh(2026, 11, 26, 3, 0), sh(2026, 11, 26, 8, 30), "今天08:30"),
        (sh(2026, 11, 25, 20, 31), sh(2026, 11, 26, 8, 30), "明天08:30"),
        (sh(2026, 11, 25, 23, 59), sh(2026, 11, 26, 0, 5), "明天00:05"),
        (sh(2026, 11, 24, 21, 0), sh(2026, 11, 26, 8, 30), "11月26日（周四）08:30"),
        (sh(2026, 9, 30, 21, 0), sh(2026, 10, 8, 9, 0), "10月8日（周四）09:00"),
        (sh(2026, 12, 30, 21, 0), sh(2027, 1, 4, 8, 0), "2027年1月4日（周一）08:00"),
        (sh(2026, 11, 26, 10, 0), sh(2026, 11, 26, 10, 0), "现在"),
    ],
)
def test_describe_wait_until(now: datetime, then: datetime, expected: str) -> None:
    assert describe_wait_until(now, then) == expected


def test_describe_wait_until_uses_shanghai_dates_for_utc_input() -> None:
    now = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)  # 23:00 Shanghai
    then = datetime(2026, 11, 26, 0, 30, tzinfo=timezone.utc)  # 08:30 next day Shanghai
    assert describe_wait_until(now, then) == "明天08:30"


def test_describe_next_manager_opening_after_closing() -> None:
    now = Clock.from_env({"HM_NOW": "2026-11-26T20:31:00"}).now()
    assert describe_wait_until(now, next_manager_opening(now)) == "明天08:30"
