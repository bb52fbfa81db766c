"""Members (被保险人): finding them by id or by the channel they write from."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backends import errors
from bot.backends.models import Member, MemberChannel
from bot.backends.rules import PolicyTerms


def get_member(session: Session, member_id: int, for_update: bool = False,
               field: Optional[str] = "member_id") -> Member:
    """The member, or 404 member_not_found. `for_update` locks the row (PostgreSQL) so
    one member's bookings are decided one at a time."""
    statement = select(Member).where(Member.id == member_id)
    if for_update:
        statement = statement.with_for_update()
    member = session.execute(statement).scalar_one_or_none()
    if member is None:
        raise errors.member_not_found(field, member_id=member_id)
    return member


def name_health_manager(session: Session, member_id: int, username: Optional[str]) -> Member:
    """Name the member's own health manager by console username (None: nobody)."""
    member = get_member(session, member_id, for_update=True, field=None)
    member.health_manager = username
    session.flush()
    return member


def find_by_channel(session: Session, channel: str, external_id: str) -> Optional[Member]:
    return session.execute(
        select(Member)
        .join(MemberChannel)
        .where(MemberChannel.channel == channel, MemberChannel.external_id == external_id)
    ).scalar_one_or_none()


def lookup(session: Session, channel: str, external_id: str) -> Member:
    member = find_by_channel(session, channel, external_id)
    if member is None:
        raise errors.member_not_found("external_id", channel=channel)
    return member


def policy_terms(member: Member) -> PolicyTerms:
    return PolicyTerms(member.policy_start, member.policy_end, member.waiting_period_end)
