"""The honest expected wait (bot.gateway.waits), by table."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.clock import SHANGHAI
from bot.gateway.waits import Claim, estimate_wait, minutes_per_place, round_up

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)


def claims(*spec):
    """(minutes ago claimed, minutes waited) pairs."""
    return [Claim(NOW - timedelta(minutes=ago + waited), NOW - timedelta(minutes=ago))
            for ago, waited in spec]


@pytest.mark.parametrize("minutes, told", [
    (0.5, (5, False)), (5, (5, False)), (5.1, (10, False)), (12, (15, False)),
    (31, (45, False)), (60, (60, False)), (61, (60, True)),
])
def test_waits_are_rounded_up_never_down(minutes, told):
    assert round_up(minutes) == told


@pytest.mark.parametrize("history, per_place", [
    ((), None),                                   # nothing to go on: say so
    (((10, 4),), 60.0),                           # one claim in the hour
    (((10, 4), (20, 4), (30, 4), (40, 4)), 15.0),  # four in the hour
    (((90, 12), (120, 20), (200, 8)), 12.0),      # none in the hour: median wait
    (((90, 0.2),), 1.0),                          # never less than a minute a place
    (((600, 5),), None),                          # older than 8 hours: forgotten
])
def test_minutes_per_place_come_from_recent_claims(history, per_place):
    assert minutes_per_place(claims(*history), NOW) == per_place


def test_the_position_multiplies_the_time_per_place():
    estimate = estimate_wait(3, claims((10, 4), (20, 4), (30, 4), (40, 4)), NOW)
    assert (estimate.position, estimate.minutes, estimate.over_an_hour) == (3, 45, False)


def test_without_history_there_is_no_number():
    estimate = estimate_wait(2, [], NOW)
    assert (estimate.minutes, estimate.may_miss_closing) == (None, False)


def test_an_estimate_past_20_30_says_the_member_may_be_called_tomorrow():
    evening = NOW.replace(hour=20, minute=10)
    history = [Claim(evening - timedelta(minutes=40), evening - timedelta(minutes=20))]
    assert estimate_wait(1, history, evening).may_miss_closing is True
    assert estimate_wait(1, history, evening.replace(hour=19)).may_miss_closing is False


def test_positions_start_at_one():
    with pytest.raises(ValueError):
        estimate_wait(0, [], NOW)
