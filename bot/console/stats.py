"""统计: each manager's day in numbers, from the handoffs, the replies and 满意度:
conversations served, first responses and resolutions (medians in service minutes, and
how many missed their target), and the satisfaction average (bot/gateway/sla.py)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median
from typing import Dict, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import SHANGHAI
from bot.gateway import sla
from bot.gateway.models import Handoff, Message, Survey, User


@dataclass(frozen=True)
class DayRow:
    day: date
    manager: str
    served: int
    first_response_median: Optional[float]   # service minutes
    first_response_breaches: int
    resolved: int
    resolution_median: Optional[float]       # service minutes, request to hand back/close
    resolution_breaches: int
    satisfaction: Optional[float]            # average rating, 1 best


def _first_reply(session: Session, handoff: Handoff) -> Optional[datetime]:
    """The manager's first reply in this handoff (the claim's greeting is no reply)."""
    replies = list(session.execute(
        select(Message.created_at).where(Message.conversation_id == handoff.conversation_id,
                                         Message.author == "manager",
                                         Message.created_at >= handoff.claimed_at)
        .order_by(Message.id).limit(2)).scalars())
    reply = replies[1] if len(replies) > 1 else None
    if reply is not None and handoff.ended_at is not None and reply > handoff.ended_at:
        return None
    return reply


def by_day(session: Session, since: datetime) -> List[DayRow]:
    """Per day (Shanghai) and manager since `since`, newest day first."""
    handoffs = session.execute(
        select(Handoff, User.display_name).join(User, User.id == Handoff.claimed_by)
        .where(Handoff.claimed_at.isnot(None), Handoff.requested_at >= since)).all()
    ratings: Dict[int, int] = dict(session.execute(
        select(Survey.handoff_id, Survey.rating).where(Survey.rating.isnot(None))).all())
    grouped: Dict[Tuple[date, str], List[Handoff]] = defaultdict(list)
    for handoff, manager in handoffs:
        grouped[(handoff.requested_at.astimezone(SHANGHAI).date(), manager)].append(handoff)
    rows = []
    for (day, manager), served in grouped.items():
        waits, breaches = [], 0
        for handoff in served:
            reply = _first_reply(session, handoff)
            if reply is None:
                continue
            waited = sla.service_minutes(handoff.requested_at, reply)
            waits.append(waited)
            breaches += waited > sla.targets(handoff.reason).first_response
        ended = [h for h in served if h.ended_at is not None]
        took = [sla.service_minutes(h.requested_at, h.ended_at) for h in ended]
        late = sum(minutes > sla.targets(h.reason).resolution for h, minutes in zip(ended, took))
        rated = [ratings[h.id] for h in served if h.id in ratings]
        rows.append(DayRow(day, manager, len(served),
                           round(median(waits), 1) if waits else None, breaches,
                           len(ended), round(median(took), 1) if took else None, late,
                           round(sum(rated) / len(rated), 2) if rated else None))
    return sorted(rows, key=lambda r: (-r.day.toordinal(), r.manager))
