"""What needs a notice to a member (for the reminders job, bot/reminders): visits on a
given day that are still booked (就诊提醒, sent the day before) and pre-auth cases
decided since a given time (预授权结果). Read from the existing tables, no table of
its own: which notices were sent is the sender's business."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Dict, Iterable, List, Tuple

from sqlalchemy import select

from bot.backends.context import Context
from bot.backends.models import (
    ACTIVE_APPOINTMENT_STATUSES,
    Appointment,
    MemberChannel,
    PreauthCase,
    PreauthEvent,
    Slot,
)
from bot.backends.preauth import DECIDED
from bot.clock import SHANGHAI

Identity = Tuple[str, str]  # (channel, external_id)


def appointments_on(ctx: Context, day: date) -> List[Appointment]:
    """Appointments starting on `day` (Shanghai) that are still booked (requested,
    confirmed, changed), soonest first."""
    start = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    return ctx.session.execute(
        select(Appointment)
        .join(Slot, Appointment.slot_id == Slot.id)
        .where(Appointment.status.in_(ACTIVE_APPOINTMENT_STATUSES),
               Slot.start >= start, Slot.start < start + timedelta(days=1))
        .order_by(Slot.start, Appointment.id)
    ).scalars().all()


def decided_since(ctx: Context, since: datetime) -> List[Tuple[PreauthCase, datetime]]:
    """(case, decided at) for the cases approved or declined at or after `since`, in the
    order they were decided. A decision is final (preauth.CASE_TRANSITIONS), so the
    history step that set it is the decision."""
    rows = ctx.session.execute(
        select(PreauthCase, PreauthEvent.at)
        .join(PreauthEvent, PreauthEvent.case_id == PreauthCase.id)
        .where(PreauthEvent.status.in_(DECIDED), PreauthEvent.status == PreauthCase.status,
               PreauthEvent.at >= since)
        .order_by(PreauthEvent.at, PreauthCase.id)
    ).all()
    return [(case, at) for case, at in rows]


def identities(ctx: Context, member_ids: Iterable[int]) -> Dict[int, List[Identity]]:
    """The chat identities each member is linked to now (an unfollowed WeChat openid is
    unlinked by the gateway, so it is not here), in the order they were linked."""
    wanted = sorted(set(member_ids))
    found: Dict[int, List[Identity]] = defaultdict(list)
    if not wanted:
        return found
    for row in ctx.session.execute(
            select(MemberChannel).where(MemberChannel.member_id.in_(wanted))
            .order_by(MemberChannel.id)).scalars():
        found[row.member_id].append((row.channel, row.external_id))
    return found
