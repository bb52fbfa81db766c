"""Conversations for review (会话审核): filtered and sorted by what most needs a look,
reviewers' tags, and saved filters. Synchronous functions of a session.

A conversation's figures are those of its messages in the filter's period (all of them
without one): a fallback happened (a member message read as nlu_fallback, a fallback
answer of the bot, or a handoff for that reason), the lowest intent confidence, the
predicted intents, handoffs and their reasons, and whether it is reviewed (every parsed
member message's text has a decision that counts, other than skip).

Order: unreviewed before reviewed; then the score (fallback 3, lowest confidence below
LOW_CONFIDENCE 2, handed off 1), the lowest confidence, and the newest activity first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.gateway.models import (
    Conversation,
    ConversationTag,
    Handoff,
    Message,
    SavedFilter,
)
from bot.gateway.rasa import FALLBACK_INTENT
from bot.review import decisions
from bot.review.decisions import DOMAIN_DIR, REVIEW_ROLES, ReviewError
from bot.review.filters import FILTERS, ConversationFilter, FilterError
from bot.review.paging import Page
from bot.review.text import displayed, review_key

# A member message the bot answered with less confidence than this deserves a look.
LOW_CONFIDENCE = 0.6
# The bot's answers when it did not understand (domain responses).
FALLBACK_RESPONSES = ("utter_ask_rephrase", "utter_fallback_offer_manager", "utter_default")
PREVIEW_LENGTH = 60
MAX_TAG = 40


@lru_cache(maxsize=4)
def fallback_texts(domain_dir: Path = DOMAIN_DIR) -> Tuple[str, ...]:
    """Every text variant of the fallback responses, as the bot sends them."""
    _, responses = decisions.domain_parts(domain_dir)
    return tuple(sorted({variant["text"] for name in FALLBACK_RESPONSES
                         for variant in responses.get(name) or [] if variant.get("text")}))


@dataclass(frozen=True)
class ConversationItem:
    id: int
    channel: str
    external_id: str
    state: str
    last_at: Optional[datetime]  # the latest message in the period
    member_messages: int
    lowest_confidence: Optional[float]
    fallback: bool
    handoff_reasons: Tuple[str, ...]
    intents: Tuple[str, ...]
    unreviewed: int  # parsed member messages whose text has no decision
    tags: Tuple[str, ...]
    preview: str  # the least understood member message, masked for display
    score: int

    @property
    def handed_off(self) -> bool:
        return bool(self.handoff_reasons)

    @property
    def reviewed(self) -> bool:
        return self.unreviewed == 0

    def as_json(self) -> Dict[str, Any]:
        return {
            "id": self.id, "channel": self.channel, "external_id": self.external_id,
            "state": self.state, "last_at": self.last_at.isoformat() if self.last_at else None,
            "member_messages": self.member_messages,
            "lowest_confidence": self.lowest_confidence, "fallback": self.fallback,
            "handed_off": self.handed_off, "handoff_reasons": list(self.handoff_reasons),
            "intents": list(self.intents), "unreviewed": self.unreviewed,
            "reviewed": self.reviewed, "tags": list(self.tags), "preview": self.preview,
            "score": self.score,
        }


@dataclass(frozen=True)
class ConversationPage(Page):
    items: Tuple[ConversationItem, ...]


def score(fallback: bool, lowest_confidence: Optional[float], handed_off: bool) -> int:
    """How much a conversation needs a look (higher first)."""
    low = lowest_confidence is not None and lowest_confidence < LOW_CONFIDENCE
    return 3 * fallback + 2 * low + 1 * handed_off


def reviewed_keys(session: Session) -> Set[str]:
    """The review keys of the texts whose current decision is not a skip (skipped is
    put aside for later, not reviewed: as the dashboard counts it, bot.review.metrics)."""
    current = [d.message_id for d in decisions.current_decisions(session).values()
               if d.action != "skip"]
    texts = _chunked(session, select(Message.text), Message.id, current)
    return {review_key(text) for text in texts}


def _in_range(column, start: Optional[datetime], end: Optional[datetime]) -> list:
    return ([column >= start] if start else []) + ([column < end] if end else [])


def _sort_key(item: ConversationItem) -> tuple:
    newest = item.last_at.timestamp() if item.last_at else 0.0
    lowest = item.lowest_confidence if item.lowest_confidence is not None else 1.0
    return (item.reviewed, -item.score, lowest, -newest, -item.id)


def conversation_items(session: Session, filters: ConversationFilter, now: datetime,
                       domain_dir: Path = DOMAIN_DIR) -> List[ConversationItem]:
    """Every conversation the filter selects, in review order."""
    start, end = filters.time_range(now)
    query = select(Message).join(Conversation, Conversation.id == Message.conversation_id)
    query = query.where(*_in_range(Message.created_at, start, end))
    if filters.channel:
        query = query.where(Conversation.channel == filters.channel)
    by_conversation: Dict[int, List[Message]] = {}
    for message in session.execute(query.order_by(Message.id)).scalars():
        by_conversation.setdefault(message.conversation_id, []).append(message)
    if not by_conversation:
        return []
    ids = list(by_conversation)
    conversations = {c.id: c for c in _chunked(session, select(Conversation), Conversation.id, ids)}
    reasons: Dict[int, List[str]] = {}
    for handoff in _chunked(session, select(Handoff).where(
            *_in_range(Handoff.requested_at, start, end)), Handoff.conversation_id, ids):
        reasons.setdefault(handoff.conversation_id, []).append(handoff.reason)
    tags: Dict[int, List[str]] = {}
    for tag in _chunked(session, select(ConversationTag), ConversationTag.conversation_id, ids):
        tags.setdefault(tag.conversation_id, []).append(tag.tag)
    answered_fallback = set(fallback_texts(domain_dir))
    done = reviewed_keys(session)

    items = []
    for conversation_id, rows in by_conversation.items():
        c = conversations[conversation_id]
        member = [m for m in rows if m.direction == "in" and m.author == "member"]
        parsed = [m for m in member if m.intent is not None]
        rated = [m for m in parsed if m.confidence is not None]
        least = min(rated, key=lambda m: (m.confidence, m.id)) if rated else None
        handoff_reasons = tuple(sorted(set(reasons.get(conversation_id, []))))
        fallback = (any(m.intent == FALLBACK_INTENT for m in parsed)
                    or any(m.author == "bot" and m.text in answered_fallback for m in rows)
                    or "fallback" in handoff_reasons)
        lowest = least.confidence if least else None
        preview_of = least or (member[0] if member else None)
        items.append(ConversationItem(
            id=c.id, channel=c.channel, external_id=c.external_id, state=c.state,
            last_at=rows[-1].created_at, member_messages=len(member),
            lowest_confidence=lowest, fallback=fallback, handoff_reasons=handoff_reasons,
            intents=tuple(sorted({m.intent for m in parsed})),
            unreviewed=sum(1 for m in parsed if review_key(m.text) not in done),
            tags=tuple(sorted(tags.get(conversation_id, []))),
            preview=displayed(preview_of.text).text[:PREVIEW_LENGTH] if preview_of else "",
            score=score(fallback, lowest, bool(handoff_reasons))))
    items = [i for i in items if _selected(i, filters)]
    items.sort(key=_sort_key)
    return items


def _chunked(session: Session, query, column, ids: List[int]) -> list:
    rows: list = []
    for i in range(0, len(ids), 500):  # SQLite limits bound parameters
        rows += session.execute(query.where(column.in_(ids[i:i + 500]))).scalars().all()
    return rows


def _selected(item: ConversationItem, f: ConversationFilter) -> bool:
    if f.handed_off is not None and item.handed_off != f.handed_off:
        return False
    if f.handoff_reason and f.handoff_reason not in item.handoff_reasons:
        return False
    if f.fallback is not None and item.fallback != f.fallback:
        return False
    if f.below is not None and (item.lowest_confidence is None
                                or item.lowest_confidence >= f.below):
        return False
    if f.intent and f.intent not in item.intents:
        return False
    if f.reviewed is not None and item.reviewed != f.reviewed:
        return False
    return set(f.tags) <= set(item.tags)


def list_conversations(session: Session, now: datetime,
                       filters: Optional[ConversationFilter] = None, page: int = 1,
                       per_page: int = 50, domain_dir: Path = DOMAIN_DIR) -> ConversationPage:
    """One page of the conversations list."""
    filters = filters or ConversationFilter()
    page, per_page = max(1, page), max(1, min(per_page, 500))
    items = conversation_items(session, filters, now, domain_dir)
    start = (page - 1) * per_page
    return ConversationPage(tuple(items[start:start + per_page]), len(items), page, per_page)


# ------------------------------------------------------------------------------ tags
def _tag(tag: str, action: str, target: str) -> str:
    tag = " ".join((tag or "").split())
    if not 1 <= len(tag) <= MAX_TAG:
        raise ReviewError("bad_tag", action, target)
    return tag


def tags_of(session: Session, conversation_id: int) -> List[str]:
    return list(session.execute(
        select(ConversationTag.tag).where(ConversationTag.conversation_id == conversation_id)
        .order_by(ConversationTag.tag)).scalars())


def add_tag(session: Session, conversation_id: int, tag: str, user_id: int,
            now: datetime) -> List[str]:
    """Tag a conversation (once per tag); its tags."""
    target = f"conversation:{conversation_id}"
    decisions.require_role(session, user_id, REVIEW_ROLES, "review_tag", target)
    tag = _tag(tag, "review_tag", target)
    if session.get(Conversation, conversation_id) is None:
        raise ReviewError("not_found", "review_tag", target)
    if tag not in tags_of(session, conversation_id):
        try:
            with session.begin_nested():
                session.add(ConversationTag(conversation_id=conversation_id, tag=tag,
                                            user_id=user_id, created_at=now))
        except IntegrityError:
            pass  # tagged at the same moment by someone else
        else:
            decisions.audit(session, now, user_id, "review_tag", target, {"tag": tag})
    return tags_of(session, conversation_id)


def remove_tag(session: Session, conversation_id: int, tag: str, user_id: int,
               now: datetime) -> List[str]:
    target = f"conversation:{conversation_id}"
    decisions.require_role(session, user_id, REVIEW_ROLES, "review_untag", target)
    removed = session.execute(delete(ConversationTag).where(
        ConversationTag.conversation_id == conversation_id,
        ConversationTag.tag == " ".join((tag or "").split()))).rowcount
    if removed:
        decisions.audit(session, now, user_id, "review_untag", target, {"tag": tag})
    return tags_of(session, conversation_id)


def tag_counts(session: Session) -> List[Tuple[str, int]]:
    """Every tag in use and how many conversations carry it, most used first."""
    counts: Dict[str, int] = {}
    for tag in session.execute(select(ConversationTag.tag)).scalars():
        counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


# --------------------------------------------------------------------- saved filters
@dataclass(frozen=True)
class SavedFilterView:
    id: int
    view: str  # "conversations" or "inbox"
    name: str
    query: Dict[str, Any]
    created_at: datetime

    def as_json(self) -> Dict[str, Any]:
        return {"id": self.id, "view": self.view, "name": self.name, "query": self.query,
                "created_at": self.created_at.isoformat()}

    def filter(self):
        """The filter it stands for (InboxFilter or ConversationFilter)."""
        return FILTERS[self.view].from_query(self.query)

    @classmethod
    def of(cls, row: SavedFilter) -> "SavedFilterView":
        return cls(row.id, row.view, row.name, dict(row.query or {}), row.created_at)


def save_filter(session: Session, user_id: int, name: str, query: Mapping[str, Any],
                now: datetime, view: str = "conversations") -> SavedFilterView:
    """Save (or replace, by name) one of the user's filters; the query is validated and
    stored as the filter's own query JSON."""
    decisions.require_role(session, user_id, REVIEW_ROLES, "review_save_filter", None)
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 100:
        raise ReviewError("bad_filter_name", "review_save_filter")
    if view not in FILTERS:
        raise ReviewError("bad_filter", "review_save_filter", detail={"view": str(view)[:40]})
    try:
        stored = FILTERS[view].from_query(query).as_query()
    except FilterError as error:
        raise ReviewError("bad_filter", "review_save_filter", detail={"error": str(error)},
                          message=f"筛选条件无效：{error}") from None
    row = session.execute(select(SavedFilter).where(
        SavedFilter.user_id == user_id, SavedFilter.view == view,
        SavedFilter.name == name)).scalar_one_or_none()
    if row is None:
        row = SavedFilter(user_id=user_id, view=view, name=name, created_at=now)
        session.add(row)
    row.query = stored
    session.flush()
    return SavedFilterView.of(row)


def saved_filters(session: Session, user_id: int,
                  view: Optional[str] = None) -> List[SavedFilterView]:
    """The user's saved filters, by name."""
    query = select(SavedFilter).where(SavedFilter.user_id == user_id)
    if view is not None:
        query = query.where(SavedFilter.view == view)
    return [SavedFilterView.of(r) for r in session.execute(
        query.order_by(SavedFilter.view, SavedFilter.name)).scalars()]


def delete_filter(session: Session, user_id: int, filter_id: int) -> bool:
    """Delete one of the user's own saved filters; False when there is none."""
    return bool(session.execute(delete(SavedFilter).where(
        SavedFilter.id == filter_id, SavedFilter.user_id == user_id)).rowcount)
