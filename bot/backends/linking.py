"""Linking a chat identity (WeChat openid, web chat id) to a member's policy (绑定保单):
the policy number plus a second factor, the last four digits of the phone on the
policy, with a limited number of failed tries.

Choices (docs/backends.md):
- One generic refusal for an unknown policy number, wrong digits or a policy not in
  force on the day, so a guess never learns which part was wrong.
- At most IDENTITY_LIMIT failed tries per identity and POLICY_LIMIT per policy number
  (whoever tries) in any WINDOW; a locked try is refused before anything is checked and
  is not counted, so hammering does not extend the lock. Successes are recorded too
  (who linked what, when) but never count.
- Nothing changes without the second factor: linking again to the same member is
  answered as already linked; an identity linked to someone else moves to the member
  whose policy and digits matched (a shared or handed-on WeChat account). A member may
  hold several identities (web chat, WeChat, a second WeChat account).

The limits are pure functions of the failures' times and `now`; the operations run in
the caller's transaction.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.backends import errors, messages, rules
from bot.backends.context import Context
from bot.backends.members import policy_terms
from bot.backends.models import LinkAttempt, Member, MemberChannel
from bot.backends.privacy import mask_digits

logger = logging.getLogger(__name__)

IDENTITY_LIMIT = 5
POLICY_LIMIT = 10
WINDOW = timedelta(hours=24)

LINKED = "linked"  # a new link
RELINKED = "relinked"  # the identity moved from another member
ALREADY_LINKED = "already_linked"


# ------------------------------------------------------------------ pure rules


def normalise_policy_number(value: str) -> str:
    """zahm 2026-0000 01 -> ZAHM2026000001."""
    return re.sub(r"[\s\-]", "", value).upper()


def policy_hash(policy_number: str) -> str:
    """What the attempts table keeps instead of the number (normalised first)."""
    return hashlib.sha256(f"policy:{normalise_policy_number(policy_number)}".encode()).hexdigest()


def phone_tail_matches(phone: str, last4: str) -> bool:
    """The phone on the policy ends with these four digits (compared in constant time)."""
    digits = re.sub(r"\D", "", phone)
    return len(digits) >= 4 and hmac.compare_digest(digits[-4:].encode(), last4.encode())


@dataclass(frozen=True)
class Allowance:
    """How many more failed tries a limit allows now, and when locked, the moment the
    oldest counted failure leaves the window (one more try is allowed then)."""

    remaining: int
    retry_after: Optional[datetime] = None

    @property
    def locked(self) -> bool:
        return self.remaining == 0


def _next_minute(moment: datetime) -> datetime:
    """Rounded up to the minute: members are told 10:06, and 10:06 must work."""
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def allowance(failures: Iterable[datetime], now: datetime, limit: int,
              window: timedelta = WINDOW) -> Allowance:
    """A failure counts while less than `window` old."""
    recent = sorted(at for at in failures if now - window < at <= now)
    remaining = max(limit - len(recent), 0)
    if remaining:
        return Allowance(remaining)
    return Allowance(0, _next_minute(recent[-limit] + window))


def link_allowance(identity_failures: Sequence[datetime], policy_failures: Sequence[datetime],
                   now: datetime) -> Allowance:
    """Both limits at once: the fewer tries left; locked until every lock has passed."""
    both = (allowance(identity_failures, now, IDENTITY_LIMIT),
            allowance(policy_failures, now, POLICY_LIMIT))
    remaining = min(a.remaining for a in both)
    if remaining:
        return Allowance(remaining)
    return Allowance(0, max(a.retry_after for a in both if a.locked))


# ------------------------------------------------------------------ operations


@dataclass(frozen=True)
class LinkOutcome:
    """Either the member now linked (`result`: linked / relinked / already_linked) or a
    mismatch, `refused`: answered, not raised, because the failed try must be kept."""

    result: Optional[str] = None
    member: Optional[Member] = None
    refused: Optional[errors.ApiError] = None


def _serialise(session: Session, *keys: str) -> None:
    """One try at a time per identity and per policy number, so parallel tries cannot
    pass the count together. SQLite already runs one writer at a time (BEGIN
    IMMEDIATE); PostgreSQL takes transaction-scoped advisory locks, in a fixed order."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(keys):
        lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def _channel_row(session: Session, channel: str, external_id: str) -> Optional[MemberChannel]:
    return session.execute(
        select(MemberChannel)
        .where(MemberChannel.channel == channel, MemberChannel.external_id == external_id)
    ).scalar_one_or_none()


def _recent_failures(ctx: Context, channel: str, external_id: str,
                     hashed: str) -> Tuple[List[datetime], List[datetime]]:
    """The failed tries inside the window: by this identity, and at this policy number."""
    def times(*criteria) -> List[datetime]:
        return list(ctx.session.execute(
            select(LinkAttempt.attempted_at)
            .where(*criteria, LinkAttempt.matched.is_(False),
                   LinkAttempt.attempted_at > ctx.now - WINDOW)
        ).scalars())
    return (times(LinkAttempt.channel == channel, LinkAttempt.external_id == external_id),
            times(LinkAttempt.policy_hash == hashed))


def _verified_member(ctx: Context, policy_number: str, phone_last4: str) -> Optional[Member]:
    """The member whose policy this is, in force today, with this phone tail."""
    member = ctx.session.execute(
        select(Member).where(Member.policy_number == policy_number)
    ).scalar_one_or_none()
    if member is None or not rules.policy_active_on(policy_terms(member), ctx.today):
        return None
    return member if phone_tail_matches(member.phone, phone_last4) else None


def link(ctx: Context, channel: str, external_id: str, policy_number: str,
         phone_last4: str) -> LinkOutcome:
    """Check the policy number and phone tail, record the try, and link on a match.
    Raises 429 link_locked (nothing recorded) when a limit is reached."""
    policy_number = normalise_policy_number(policy_number)
    hashed = policy_hash(policy_number)
    _serialise(ctx.session, f"link:identity:{channel}:{external_id}", f"link:policy:{hashed}")
    by_identity, by_policy = _recent_failures(ctx, channel, external_id, hashed)
    before = link_allowance(by_identity, by_policy, ctx.now)
    if before.locked:
        logger.warning("linking locked for %s identity %s", channel, mask_digits(external_id))
        raise errors.ApiError(429, "link_locked",
                              messages.link_locked(before.retry_after, ctx.today),
                              details={"retry_after": _when(before.retry_after)})
    member = _verified_member(ctx, policy_number, phone_last4)
    ctx.session.add(LinkAttempt(channel=channel, external_id=external_id, policy_hash=hashed,
                                matched=member is not None, attempted_at=ctx.now))
    if member is None:
        after = link_allowance(by_identity + [ctx.now], by_policy + [ctx.now], ctx.now)
        return LinkOutcome(refused=errors.rule_violation(
            "link_mismatch", messages.link_mismatch(after.remaining, after.retry_after, ctx.today),
            remaining_attempts=after.remaining, retry_after=_when(after.retry_after),
        ))
    existing = _channel_row(ctx.session, channel, external_id)
    if existing is None:
        ctx.session.add(MemberChannel(member_id=member.id, channel=channel,
                                      external_id=external_id))
        result = LINKED
    elif existing.member_id == member.id:
        result = ALREADY_LINKED
    else:
        existing.member_id = member.id
        result = RELINKED
    ctx.session.flush()
    return LinkOutcome(result=result, member=member)


def _when(moment: Optional[datetime]) -> Optional[str]:
    return None if moment is None else moment.isoformat(timespec="seconds")


def unlink(ctx: Context, channel: str, external_id: str) -> Optional[int]:
    """Forget the identity's link (WeChat unsubscribe); the member it named, if any."""
    existing = _channel_row(ctx.session, channel, external_id)
    if existing is None:
        return None
    member_id = existing.member_id
    ctx.session.delete(existing)
    return member_id
