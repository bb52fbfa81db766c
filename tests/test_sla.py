"""Service levels in service hours (bot/gateway/sla.py): pure functions of the clock."""
from __future__ import annotations

from datetime import datetime

import pytest

from bot.clock import SHANGHAI
from bot.gateway import sla


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize("start, end, minutes", [
    ("2026-11-24T10:00", "2026-11-24T10:07", 7),
    ("2026-11-24T20:25", "2026-11-25T08:35", 10),       # overnight is not waiting time
    ("2026-11-24T21:00", "2026-11-25T08:30", 0),
    ("2026-11-24T07:00", "2026-11-24T09:00", 30),
    ("2026-11-24T10:00", "2026-11-26T10:00", 24 * 60),  # two service days of 12 hours
    ("2026-11-24T10:00", "2026-11-24T09:00", 0),
])
def test_service_minutes_count_only_the_managers_hours(start, end, minutes):
    assert sla.service_minutes(at(start), at(end)) == pytest.approx(minutes)


def test_an_emergency_has_the_tightest_targets_and_breaches_are_in_service_time():
    assert sla.targets("emergency").first_response < sla.targets("request_human").first_response
    assert sla.breached(at("2026-11-24T10:00"), at("2026-11-24T10:03"), 2)
    assert not sla.breached(at("2026-11-24T20:29"), at("2026-11-25T08:30"), 2)
    assert not sla.breached(None, at("2026-11-24T10:03"), 2)
