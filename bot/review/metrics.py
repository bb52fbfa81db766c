"""The review dashboard's figures (审核看板): synchronous functions of a gateway database
session over a period of Asia/Shanghai days and an optional channel.

Definitions (docs/console.md, "Dashboard"):
- member messages: messages authored by the member, by the day they arrived;
- conversations: those with at least one member message in the period (a conversation
  is one member on one channel and lasts for months, so a handoff counts only when it
  was requested within the period);
- handoffs: requested within the period, except those `superseded` (an overnight
  callback replaced by a request in hours: one need, counted once);
- fallback: the stored intent is `nlu_fallback` (Rasa's FallbackClassifier), out of the
  member messages the bot parsed (an intent is stored);
- first human reply: handoffs within the managers' hours only (a callback waits for the
  morning by design), from the request to the first manager-authored message in that
  conversation before the handoff ended (the greeting sent on claim counts: it is when
  the member hears from a person); never answered ones are counted, not timed;
- reviewed: the review inbox's groups of the period (parsed member messages by
  normalised text) whose current decision (the latest not undone) is not a skip.
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import and_, case, distinct, func, or_, select, true
from sqlalchemy.orm import Session

from bot.clock import SHANGHAI
from bot.gateway import messages
from bot.gateway.models import HANDOFF_REASONS, Conversation, Handoff, Message
from bot.gateway.rasa import FALLBACK_INTENT
from bot.review import inbox
from bot.review.filters import InboxFilter

DEFAULT_DAYS = 14
MAX_DAYS = 366
TOP_INTENTS = 8
CHANNEL_NAME = re.compile(r"[A-Za-z0-9_-]{1,20}")

PERIOD_ERRORS = {
    "bad_date": "日期格式不正确，请按“年-月-日”填写，例如2026-11-24。",
    "reversed": "开始日期不能晚于结束日期。",
    "too_long": f"时间范围最长{MAX_DAYS}天，请缩小范围。",
    "bad_channel": "渠道名称无效。",
}


class PeriodError(ValueError):
    """A date range or channel the dashboard cannot use; `message` says why in Chinese."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.message = PERIOD_ERRORS[key]
        super().__init__(self.message)


@dataclass(frozen=True)
class Period:
    """Shanghai days `first` to `last` (both included), one channel or all."""

    first: date
    last: date
    channel: Optional[str] = None

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=SHANGHAI)

    def days(self) -> List[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def parse_period(first_text: Optional[str], last_text: Optional[str],
                 channel_text: Optional[str], today: date,
                 default_days: int = DEFAULT_DAYS) -> Period:
    """The period asked for (YYYY-MM-DD; blank: the last `default_days` days to today)."""
    try:
        last = date.fromisoformat(last_text.strip()) if (last_text or "").strip() else today
        first = (date.fromisoformat(first_text.strip()) if (first_text or "").strip()
                 else last - timedelta(days=default_days - 1))
    except ValueError:
        raise PeriodError("bad_date") from None
    if first > last:
        raise PeriodError("reversed")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError("too_long")
    channel = (channel_text or "").strip() or None
    if channel is not None and not CHANNEL_NAME.fullmatch(channel):
        raise PeriodError("bad_channel")
    return Period(first, last, channel)


# ------------------------------------------------------------------ the figures


@dataclass(frozen=True)
class Share:
    """`part` of `whole`; no rate when there is nothing to divide."""

    part: int
    whole: int

    @property
    def rate(self) -> Optional[float]:
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class DayCount:
    day: date
    messages: int


@dataclass(frozen=True)
class Fallbacks:
    share: Share  # nlu_fallback messages of the parsed member messages
    unparsed: int  # member messages with no intent stored (Rasa down, media ...)


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    label: str
    count: int
    rate: Optional[float]  # handoffs for this reason per conversation


@dataclass(frozen=True)
class Handoffs:
    conversations: int
    total: int
    by_reason: List[ReasonCount]

    @property
    def rate(self) -> Optional[float]:
        return Share(self.total, self.conversations).rate


@dataclass(frozen=True)
class IntentCount:
    intent: str
    count: int
    share: float


@dataclass(frozen=True)
class Intents:
    parsed: int
    top: List[IntentCount]
    other: int  # the rest after the top ones (其他)
    unparsed: int

    @property
    def other_share(self) -> Optional[float]:
        return Share(self.other, self.parsed).rate


@dataclass(frozen=True)
class FirstReplies:
    median_seconds: Optional[float]
    answered: int
    unanswered: int  # within hours, no manager message yet (or none before it ended)
    out_of_hours: int  # callback tickets: not timed


@dataclass(frozen=True)
class Dashboard:
    period: Period
    days: List[DayCount]
    containment: Share
    fallbacks: Fallbacks
    handoffs: Handoffs
    intents: Intents
    first_replies: FirstReplies
    reviewed: Share

    @property
    def member_messages(self) -> int:
        return sum(d.messages for d in self.days)


def _within(column, period: Period):
    return and_(column >= period.start, column < period.end)


def _on_channel(conversation_id, period: Period):
    """Every row when no channel is chosen; else those of that channel's conversations."""
    if period.channel is None:
        return true()
    return conversation_id.in_(
        select(Conversation.id).where(Conversation.channel == period.channel))


def _member_messages(period: Period):
    return and_(Message.author == "member", _within(Message.created_at, period),
                _on_channel(Message.conversation_id, period))


def _counted_handoffs(period: Period):
    return and_(_within(Handoff.requested_at, period),
                _on_channel(Handoff.conversation_id, period),
                or_(Handoff.outcome.is_(None), Handoff.outcome != "superseded"))


def _as_date(value: Any) -> date:
    # SQLite's date() gives text, PostgreSQL's a date.
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def messages_per_day(session: Session, period: Period) -> List[DayCount]:
    """Member messages per Shanghai day; a day without any is there with 0. The stored
    times are Shanghai wall-clock, so the database's date() is the Shanghai day."""
    day = func.date(Message.created_at)
    counts = {_as_date(d): n for d, n in session.execute(
        select(day, func.count()).where(_member_messages(period)).group_by(day))}
    return [DayCount(d, counts.get(d, 0)) for d in period.days()]


def active_conversations(session: Session, period: Period) -> int:
    return session.execute(select(func.count(distinct(Message.conversation_id)))
                           .where(_member_messages(period))).scalar_one()


def containment(session: Session, period: Period) -> Share:
    """Conversations with member messages in the period that had no handoff in it
    (自助解决率): handled by the bot alone."""
    active = select(Message.conversation_id).where(_member_messages(period))
    handed_off = session.execute(
        select(func.count(distinct(Handoff.conversation_id)))
        .where(_counted_handoffs(period), Handoff.conversation_id.in_(active))).scalar_one()
    conversations = active_conversations(session, period)
    return Share(conversations - handed_off, conversations)


def fallback_rate(session: Session, period: Period) -> Fallbacks:
    """Member messages the NLU did not understand (nlu_fallback) of those it parsed."""
    total, parsed, fallbacks = session.execute(
        select(func.count(), func.count(Message.intent),
               func.count(case((Message.intent == FALLBACK_INTENT, 1))))
        .where(_member_messages(period))).one()
    return Fallbacks(Share(fallbacks, parsed), total - parsed)


def handoffs_by_reason(session: Session, period: Period) -> Handoffs:
    """Handoffs per conversation, for every reason (most frequent first, then in the
    models' order), with the console's Chinese labels."""
    counts = dict(session.execute(
        select(Handoff.reason, func.count()).where(_counted_handoffs(period))
        .group_by(Handoff.reason)).all())
    conversations = active_conversations(session, period)
    reasons = list(HANDOFF_REASONS) + sorted(set(counts) - set(HANDOFF_REASONS))
    rows = [ReasonCount(r, messages.REASONS.get(r, r), counts.get(r, 0),
                        Share(counts.get(r, 0), conversations).rate) for r in reasons]
    rows.sort(key=lambda row: -row.count)  # stable: ties keep the models' order
    return Handoffs(conversations, sum(counts.values()), rows)


def intent_distribution(session: Session, period: Period, top: int = TOP_INTENTS) -> Intents:
    """The `top` most frequent intents of member messages, the rest as one figure."""
    rows = session.execute(
        select(Message.intent, func.count()).where(_member_messages(period),
                                                   Message.intent.isnot(None))
        .group_by(Message.intent)).all()
    ranked = sorted(rows, key=lambda row: (-row[1], row[0]))
    parsed = sum(n for _, n in ranked)
    unparsed = session.execute(select(func.count()).where(
        _member_messages(period), Message.intent.is_(None))).scalar_one()
    return Intents(parsed, [IntentCount(i, n, n / parsed) for i, n in ranked[:top]],
                   sum(n for _, n in ranked[top:]), unparsed)


def first_human_reply(session: Session, period: Period) -> FirstReplies:
    """Median time from a handoff in the managers' hours to the first manager-authored
    message after it, in seconds (an even count: the mean of the middle two)."""
    first_reply = (
        select(func.min(Message.created_at))
        .where(Message.conversation_id == Handoff.conversation_id,
               Message.author == "manager", Message.created_at >= Handoff.requested_at,
               or_(Handoff.ended_at.is_(None), Message.created_at <= Handoff.ended_at))
        .scalar_subquery())
    rows = session.execute(
        select(Handoff.within_hours, Handoff.requested_at, first_reply)
        .where(_counted_handoffs(period))).all()
    waits = [(replied - requested).total_seconds()
             for within, requested, replied in rows if within and replied is not None]
    unanswered = sum(1 for within, _, replied in rows if within and replied is None)
    out_of_hours = sum(1 for within, _, _ in rows if not within)
    return FirstReplies(statistics.median(waits) if waits else None, len(waits), unanswered,
                        out_of_hours)


def reviewed_share(session: Session, period: Period) -> Share:
    """Unique member texts of the period, grouped as the review inbox groups them (parsed
    member messages by normalised text: bot.review.inbox), whose current decision is not
    a skip (put aside for later is not reviewed)."""
    groups = inbox.groups(session, InboxFilter(unreviewed=False, channel=period.channel,
                                               since=period.first, until=period.last),
                          period.end, masked=False)
    reviewed = sum(1 for g in groups if g.decision is not None and g.decision.action != "skip")
    return Share(reviewed, len(groups))


def dashboard(session: Session, period: Period, top: int = TOP_INTENTS) -> Dashboard:
    return Dashboard(
        period=period,
        days=messages_per_day(session, period),
        containment=containment(session, period),
        fallbacks=fallback_rate(session, period),
        handoffs=handoffs_by_reason(session, period),
        intents=intent_distribution(session, period, top),
        first_replies=first_human_reply(session, period),
        reviewed=reviewed_share(session, period),
    )


def channels(session: Session) -> List[str]:
    """The channels conversations came in on, for the filter."""
    return list(session.execute(
        select(Conversation.channel).distinct().order_by(Conversation.channel)).scalars())


def as_json(board: Dashboard) -> Dict[str, Any]:
    """GET /console/api/review/metrics: counts and rates (0..1, null with nothing to
    divide), seconds for times."""
    def share(s: Share, part: str, whole: str) -> Dict[str, Any]:
        return {part: s.part, whole: s.whole, "rate": s.rate}

    period = board.period
    return {
        "period": {"from": period.first.isoformat(), "to": period.last.isoformat(),
                   "channel": period.channel},
        "member_messages": board.member_messages,
        "messages_per_day": [{"date": d.day.isoformat(), "messages": d.messages}
                             for d in board.days],
        "containment": share(board.containment, "contained", "conversations"),
        "fallback": {**share(board.fallbacks.share, "fallbacks", "parsed"),
                     "unparsed": board.fallbacks.unparsed},
        "handoffs": {"conversations": board.handoffs.conversations,
                     "total": board.handoffs.total, "rate": board.handoffs.rate,
                     "by_reason": [{"reason": r.reason, "label": r.label, "count": r.count,
                                    "rate": r.rate} for r in board.handoffs.by_reason]},
        "intents": {"parsed": board.intents.parsed, "unparsed": board.intents.unparsed,
                    "top": [{"intent": i.intent, "count": i.count, "share": i.share}
                            for i in board.intents.top],
                    "other": board.intents.other},
        "first_human_reply": {"median_seconds": board.first_replies.median_seconds,
                              "answered": board.first_replies.answered,
                              "unanswered": board.first_replies.unanswered,
                              "out_of_hours": board.first_replies.out_of_hours},
        "reviewed": share(board.reviewed, "reviewed", "unique_messages"),
    }


# ------------------------------------------------------------------ for the page


def percent(rate: Optional[float]) -> str:
    """66.7% (one decimal); — when there was nothing to divide."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def duration(seconds: Optional[float]) -> str:
    """45秒, 4分30秒, 12分钟, 1小时5分; — when nothing was timed."""
    if seconds is None:
        return "—"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes}分" if minutes else f"{hours}小时"
    if minutes:
        return f"{minutes}分{secs}秒" if secs else f"{minutes}分钟"
    return f"{secs}秒"


@dataclass(frozen=True)
class Bar:
    """One row of a horizontal bar chart: what, how many, and the rate beside it."""

    label: str
    value: int
    note: str


def reason_bars(handoffs: Handoffs) -> List[Bar]:
    return [Bar(r.label, r.count, percent(r.rate)) for r in handoffs.by_reason]


def intent_bars(intents: Intents) -> List[Bar]:
    bars = [Bar(messages.INTENTS.get(i.intent, i.intent), i.count, percent(i.share))
            for i in intents.top]
    if intents.other:
        bars.append(Bar("其他", intents.other, percent(intents.other_share)))
    return bars


def shortcuts(today: date, channel: Optional[str]) -> List[Tuple[str, Dict[str, str]]]:
    """最近7天 / 14天 / 30天: the form's query for each, keeping the channel."""
    return [(f"{days}天", {"from": (today - timedelta(days=days - 1)).isoformat(),
                          "to": today.isoformat(), "channel": channel or ""})
            for days in (7, DEFAULT_DAYS, 30)]
