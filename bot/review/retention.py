"""Retention of raw conversations (会话保留期限): a conversation whose last message is
older than HM_RETENTION_DAYS is purged with everything hanging off it; the review
decisions on its messages survive with their masked text (review_decisions.message_id
becomes NULL), so masked, reviewed training examples are all that is left.

One conversation is one channel identity (conversations are unique per channel and
external id), so purging it is the gateway's own `store.purge_member`: messages, media,
the outbox and reply window, notes, handoffs, callback tickets, web chat tokens, tags
(ON DELETE CASCADE) and the identity's recorded channel events and alerts. The audit
log keeps ids, never member text. Rasa's tracker store is SQLite under var/ in the
embedded default (endpoints.yml) and PostgreSQL in the production profile, both named by
HM_RASA_TRACKER_DB, and keeps everything: `purge_tracker_store` applies the same rule
there, by the time of each conversation's last event.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Mapping

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.gateway import store
from bot.gateway.models import Conversation, Message, ReviewDecision

# A year: long enough for a member's follow-up questions about one claim or treatment
# (pre-authorisation, claim and appeal run over months) and for reviewers to go through
# the log; short enough that raw health talk is not kept for good. What is kept after
# that is masked training data only.
DEFAULT_RETENTION_DAYS = 365


class RetentionError(ValueError):
    """A bad retention setting (the message says which)."""


@dataclass(frozen=True)
class RetentionSettings:
    days: int = DEFAULT_RETENTION_DAYS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "RetentionSettings":
        raw = environ.get("HM_RETENTION_DAYS", "").strip()
        if not raw:
            return cls()
        if not raw.isdigit() or int(raw) < 1:
            raise RetentionError(f"HM_RETENTION_DAYS must be a whole number of days >= 1, "
                                 f"not {raw!r}")
        return cls(int(raw))


@dataclass(frozen=True)
class PurgeReport:
    """Counts only: no member data goes into the log."""

    cutoff: datetime
    dry_run: bool
    conversations: int
    messages: int
    decisions_kept: int  # review decisions whose message goes: kept, masked

    def as_json(self) -> Dict[str, Any]:
        return {"cutoff": self.cutoff.isoformat(), "dry_run": self.dry_run,
                "conversations": self.conversations, "messages": self.messages,
                "decisions_kept": self.decisions_kept}

    def as_text(self) -> str:
        head = "试运行，未删除：" if self.dry_run else "已删除："
        return (f"{head}最后一条消息早于 {self.cutoff:%Y-%m-%d %H:%M} 的会话 "
                f"{self.conversations} 个，消息 {self.messages} 条；"
                f"保留其中已审核的脱敏标注 {self.decisions_kept} 条")


def expired(session: Session, cutoff: datetime) -> List[Conversation]:
    """Conversations whose last message (or, with none, their creation) is before
    `cutoff`."""
    return list(session.execute(
        select(Conversation).where(or_(
            Conversation.last_message_at < cutoff,
            Conversation.last_message_at.is_(None) & (Conversation.created_at < cutoff)))
        .order_by(Conversation.id)).scalars())


def purge(session: Session, now: datetime, days: int = DEFAULT_RETENTION_DAYS,
          dry_run: bool = False) -> PurgeReport:
    """Purge the conversations expired at `now` (see the module's docstring)."""
    if days < 1:
        raise RetentionError("days must be >= 1")
    cutoff = now - timedelta(days=days)
    found = expired(session, cutoff)
    ids = [c.id for c in found]
    messages = decisions = 0
    for i in range(0, len(ids), 500):  # SQLite limits bound parameters
        chunk = ids[i:i + 500]
        messages += session.execute(select(func.count(Message.id)).where(
            Message.conversation_id.in_(chunk))).scalar_one()
        decisions += session.execute(
            select(func.count(ReviewDecision.id)).join(
                Message, ReviewDecision.message_id == Message.id)
            .where(Message.conversation_id.in_(chunk))).scalar_one()
    if not dry_run:
        for conversation in [(c.channel, c.external_id) for c in found]:
            store.purge_member(session, *conversation)
        session.expire_all()
    return PurgeReport(cutoff, dry_run, len(ids), messages, decisions)


# Conversations (sender ids) of Rasa's SQL tracker store whose last event is older than
# the cutoff; Rasa stamps events with Unix seconds.
_EXPIRED_TRACKERS = ("SELECT sender_id FROM events GROUP BY sender_id "
                     "HAVING max(timestamp) < :cutoff")


def purge_tracker_store(url: str, now: datetime, days: int = DEFAULT_RETENTION_DAYS,
                        dry_run: bool = False) -> int:
    """Delete the conversations of Rasa's SQL tracker store at `url` whose last event is
    more than `days` before `now`; how many conversations (none are named: sender ids
    are channel identities)."""
    from sqlalchemy import create_engine, inspect, text

    if days < 1:
        raise RetentionError("days must be >= 1")
    cutoff = (now - timedelta(days=days)).timestamp()
    engine = create_engine(url, future=True)
    try:
        if not inspect(engine).has_table("events"):
            return 0  # Rasa has not started on this database yet
        with engine.begin() as connection:
            count = connection.execute(text(f"SELECT count(*) FROM ({_EXPIRED_TRACKERS}) AS t"),
                                       {"cutoff": cutoff}).scalar_one()
            if count and not dry_run:
                connection.execute(text(f"DELETE FROM events WHERE sender_id IN "
                                        f"({_EXPIRED_TRACKERS})"), {"cutoff": cutoff})
        return count
    finally:
        engine.dispose()


_EVERY = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> float:
    """Seconds in '24h', '30m', '1d', '3600s'."""
    match = _EVERY.fullmatch(text.strip().lower())
    if not match or int(match[1]) < 1:
        raise RetentionError(f"--every takes a duration like 24h, 30m or 1d, not {text!r}")
    return int(match[1]) * _UNITS[match[2]]
