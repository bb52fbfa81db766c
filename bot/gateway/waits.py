"""How long a member in the managers' queue will honestly wait: pure functions of the
queue position and the recent claims, with an explicit `now`.

The estimate is throughput-based: in the last hour the managers claimed `c`
conversations, so each place in the queue takes about 60/c minutes, and position `p`
waits about p * 60 / c. With no claim in the last hour, the median wait of the recent
claims (up to the last 20 of the past 8 hours) stands for one place. With no recent
claim at all there is nothing honest to say, and the member is told the position only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Optional, Sequence, Tuple

from bot.clock import MANAGER_HOURS, SHANGHAI

THROUGHPUT_WINDOW = timedelta(hours=1)
HISTORY_WINDOW = timedelta(hours=8)
HISTORY_CLAIMS = 20
# What a member is told, rounded up: "约10分钟" rather than "约7分钟".
BUCKETS = (5, 10, 15, 20, 30, 45, 60)


@dataclass(frozen=True)
class Claim:
    """A past claim: when the member started waiting and when a manager took it."""

    queued_at: datetime
    claimed_at: datetime

    @property
    def wait_minutes(self) -> float:
        return max((self.claimed_at - self.queued_at).total_seconds() / 60, 0.0)


@dataclass(frozen=True)
class WaitEstimate:
    position: int  # 1: next to be served
    minutes: Optional[int]  # rounded up to a bucket; None: no basis for an estimate
    over_an_hour: bool = False
    # The estimate runs past today's 20:30: the member may be called back tomorrow.
    may_miss_closing: bool = False


def round_up(minutes: float) -> Tuple[Optional[int], bool]:
    """The bucket a member is told (5, 10, ... 60), or (60, True) beyond an hour."""
    for bucket in BUCKETS:
        if minutes <= bucket:
            return bucket, False
    return BUCKETS[-1], True


def minutes_per_place(claims: Sequence[Claim], now: datetime) -> Optional[float]:
    """About how long one place in the queue takes now, from the recent claims."""
    last_hour = [c for c in claims if now - THROUGHPUT_WINDOW <= c.claimed_at <= now]
    if last_hour:
        return THROUGHPUT_WINDOW.total_seconds() / 60 / len(last_hour)
    history = sorted((c for c in claims if now - HISTORY_WINDOW <= c.claimed_at <= now),
                     key=lambda c: c.claimed_at, reverse=True)[:HISTORY_CLAIMS]
    if history:
        return max(median(c.wait_minutes for c in history), 1.0)
    return None


def estimate_wait(position: int, claims: Sequence[Claim], now: datetime) -> WaitEstimate:
    """The wait for the member at `position` (1-based) of the queue."""
    if position < 1:
        raise ValueError(f"position is 1-based, got {position}")
    per_place = minutes_per_place(claims, now)
    if per_place is None:
        return WaitEstimate(position, None)
    expected = position * per_place
    minutes, over = round_up(expected)
    closing = datetime.combine(now.astimezone(SHANGHAI).date(), MANAGER_HOURS[1],
                               tzinfo=SHANGHAI)
    may_miss = now + timedelta(minutes=math.ceil(expected)) > closing
    return WaitEstimate(position, minutes, over, may_miss)
