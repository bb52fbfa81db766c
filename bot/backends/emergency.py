"""Emergency notifications: treatment started without pre-authorisation must be
notified within 48 hours (bot/backends/rules.py). Recorded whoever sends them."""
from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from sqlalchemy import select

from bot.backends import rules
from bot.backends.context import Context
from bot.backends.members import find_by_channel, get_member
from bot.backends.models import EmergencyNotification, Member
from bot.backends.references import EMERGENCY, assign_reference


def _identify(ctx: Context, member_id: Optional[int], channel: Optional[str],
              external_id: Optional[str]) -> Optional[Member]:
    """The member, when known; an emergency is never refused for want of one."""
    if member_id is not None:
        member = ctx.session.get(Member, member_id)
        if member is not None:
            return member
    if channel and external_id:
        return find_by_channel(ctx.session, channel, external_id)
    return None


def notify(
    ctx: Context,
    member_id: Optional[int],
    channel: Optional[str],
    external_id: Optional[str],
    description: str,
    hospital: Optional[str],
    treatment_start: Optional[datetime],
) -> EmergencyNotification:
    member = _identify(ctx, member_id, channel, external_id)
    start = treatment_start or ctx.now
    notification = EmergencyNotification(
        member_id=member.id if member else None,
        channel=channel,
        external_id=external_id,
        description=description,
        hospital=hospital,
        treatment_start=start,
        deadline=rules.emergency_notice_deadline(start),
        on_time=rules.emergency_notice_is_timely(ctx.now, start),
        created_at=ctx.now,
    )
    ctx.session.add(notification)
    assign_reference(ctx.session, notification, EMERGENCY, ctx.now)
    return notification


def member_notifications(ctx: Context, member_id: int) -> List[EmergencyNotification]:
    get_member(ctx.session, member_id)
    return ctx.session.execute(
        select(EmergencyNotification)
        .where(EmergencyNotification.member_id == member_id)
        .order_by(EmergencyNotification.created_at.desc(), EmergencyNotification.id.desc())
    ).scalars().all()
