"""The review inbox (待审核消息): unique member messages the bot parsed, duplicates grouped
by their normalised text (masked for training: review_key) with a count, the lowest confidence first, masked for display;
and unmasking one message (admins, with a reason, audited). Synchronous functions of a
session."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import privacy
from bot.gateway.models import Conversation, Message
from bot.gateway.rasa import FALLBACK_INTENT
from bot.processes import ROOT
from bot.review import decisions
from bot.review.decisions import DecisionView, ReviewError
from bot.review.filters import InboxFilter
from bot.review.paging import Page
from bot.review.text import carry_entities, displayed, review_key, unmasked

MAX_UNMASK_REASON = 200
CONFIG = ROOT / "config.yml"


@lru_cache(maxsize=4)
def fallback_threshold(config: Path = CONFIG) -> float:
    """The FallbackClassifier's threshold in config.yml: below it the bot did not
    understand (0.45 when the pipeline has none)."""
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    for part in data.get("pipeline") or []:
        if part.get("name") == "FallbackClassifier":
            return float(part.get("threshold", 0.3))
    return 0.45


@dataclass(frozen=True)
class InboxItem:
    """One unique text: its latest message stands for the group (what the bot made of
    it now, the conversation to open); a decision is taken on that message."""

    key: str  # the normalised text masked for training (bot.review.text.review_key)
    message_id: int
    message_ids: Tuple[int, ...]  # every message of the group, newest first
    count: int
    text: str  # masked for display unless asked otherwise
    intent: Optional[str]
    confidence: Optional[float]
    intent_ranking: Tuple[Dict[str, Any], ...]
    entities: Tuple[Dict[str, Any], ...]  # offsets on `text`
    conversation_id: int
    channel: str
    last_at: datetime
    decision: Optional[DecisionView]

    @property
    def fallback(self) -> bool:
        return self.intent == FALLBACK_INTENT

    def as_json(self) -> Dict[str, Any]:
        return {
            "key": self.key, "message_id": self.message_id,
            "message_ids": list(self.message_ids), "count": self.count, "text": self.text,
            "intent": self.intent, "confidence": self.confidence, "fallback": self.fallback,
            "intent_ranking": list(self.intent_ranking), "entities": list(self.entities),
            "conversation_id": self.conversation_id, "channel": self.channel,
            "last_at": self.last_at.isoformat(),
            "decision": self.decision.as_json() if self.decision else None,
        }


@dataclass(frozen=True)
class InboxPage(Page):
    items: Tuple[InboxItem, ...]


def _member_messages(session: Session, filters: InboxFilter, now: datetime):
    """(message, channel) of every parsed member message the filter's SQL part allows,
    newest first."""
    query = (select(Message, Conversation.channel)
             .join(Conversation, Conversation.id == Message.conversation_id)
             .where(Message.direction == "in", Message.author == "member",
                    Message.intent.isnot(None)))
    if filters.channel:
        query = query.where(Conversation.channel == filters.channel)
    start, end = filters.time_range(now)
    if start is not None:
        query = query.where(Message.created_at >= start)
    if end is not None:
        query = query.where(Message.created_at < end)
    return session.execute(query.order_by(Message.id.desc())).all()


def _values_shown(entities: List[Dict[str, Any]], masked: bool) -> List[Dict[str, Any]]:
    """An entity without offsets keeps the value Rasa gave it (a policy number from the
    rules): masked for display like the text."""
    if not masked:
        return entities
    return [{**e, "value": privacy.mask_for_display(e["value"])}
            if not isinstance(e.get("start"), int) and isinstance(e.get("value"), str) else e
            for e in entities]


def groups(session: Session, filters: InboxFilter, now: datetime,
           masked: bool = True) -> List[InboxItem]:
    """Every group the filter selects, in the inbox's order: the lowest confidence
    first (a fallback carries the classifier's threshold), then the most frequent, then
    the newest. Intent and confidence filters apply to the group's latest message."""
    grouped: Dict[str, List[Tuple[Message, str]]] = {}
    for message, channel in _member_messages(session, filters, now):
        grouped.setdefault(review_key(message.text), []).append((message, channel))
    decided = decisions.current_decisions(
        session, [m.id for rows in grouped.values() for m, _ in rows])
    items = []
    for key, rows in grouped.items():
        latest, channel = rows[0]
        if filters.intent and latest.intent != filters.intent:
            continue
        if filters.below is not None and (latest.confidence is None
                                          or latest.confidence >= filters.below):
            continue
        found = [decided[m.id] for m, _ in rows if m.id in decided]
        decision = max(found, key=lambda d: d.id) if found else None
        if filters.unreviewed and decision is not None:
            continue
        shown = displayed(latest.text) if masked else unmasked(latest.text)
        items.append(InboxItem(
            key=key, message_id=latest.id, message_ids=tuple(m.id for m, _ in rows),
            count=len(rows), text=shown.text, intent=latest.intent,
            confidence=latest.confidence,
            intent_ranking=tuple(latest.intent_ranking or ()),
            entities=tuple(_values_shown(carry_entities(latest.entities or [], shown), masked)),
            conversation_id=latest.conversation_id, channel=channel,
            last_at=latest.created_at, decision=decision))
    items.sort(key=lambda i: (i.confidence if i.confidence is not None else 1.0,
                              -i.count, -i.message_id))
    return items


def inbox(session: Session, now: datetime, filters: Optional[InboxFilter] = None,
          page: int = 1, per_page: int = 50, masked: bool = True) -> InboxPage:
    """One page of the inbox. Texts are masked for display (bot.privacy) unless
    masked=False, which only trusted code uses (the raw text goes through unmask)."""
    filters = filters or InboxFilter()
    page, per_page = max(1, page), max(1, min(per_page, 500))
    items = groups(session, filters, now, masked)
    start = (page - 1) * per_page
    return InboxPage(tuple(items[start:start + per_page]), len(items), page, per_page)


def unrecognised(session: Session, now: datetime, below: Optional[float] = None,
                 filters: Optional[InboxFilter] = None) -> List[InboxItem]:
    """The groups the bot did not understand: a fallback, or confidence below `below`
    (default: the fallback threshold); reviewed or not unless the filter says
    otherwise. What clustering looks at."""
    filters = filters or InboxFilter(unreviewed=False)
    below = fallback_threshold() if below is None else below
    return [i for i in groups(session, filters, now)
            if i.fallback or (i.confidence is not None and i.confidence < below)]


def unmask(session: Session, message_id: int, reason: str, user_id: int,
           now: datetime) -> str:
    """The member's raw text of one message, for an admin who states why (查看原文);
    audited with the reason. Refused (ReviewError) without the admin role or a reason."""
    target = f"message:{message_id}"
    decisions.require_role(session, user_id, ("admin",), "unmask", target, "unmask_not_admin")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ReviewError("unmask_no_reason", "unmask", target)
    message = session.get(Message, message_id)
    if message is None:
        raise ReviewError("not_found", "unmask", target)
    decisions.audit(session, now, user_id, "unmask", target,
                    {"reason": reason[:MAX_UNMASK_REASON],
                     "conversation": message.conversation_id})
    return message.text
