"""WeChat's outbox in the database: the reply window each member action opens, the
deliveries waiting for it, and what became of each stored reply. Synchronous functions
of a session, like bot.gateway.store."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.gateway.channels.wechat.models import Delivery, ReplyWindow
from bot.gateway.models import Message, OperatorAlert

# The order in which a reply's state is reported when its parts differ: the least
# advanced part wins ("held" if any part still waits).
_PRECEDENCE = ("undeliverable", "held", "pending", "sending", "uncertain", "sent")
WAITING = ("pending", "held")


@dataclass(frozen=True)
class Plan:
    """What one drain sends now: (delivery id, text) in order; the id is None for the
    outbox hint sent on its own."""

    sends: List[Tuple[Optional[int], str]]
    window_open: bool  # False: no open window known; WeChat decides (45015 ...)


def open_window(session: Session, conversation_id: int, action: str, opened_at: datetime,
                closes_at: datetime, quota: int) -> None:
    """A member action opens a fresh window (the latest action's counts)."""
    window = session.get(ReplyWindow, conversation_id)
    if window is None:
        session.add(ReplyWindow(conversation_id=conversation_id, action=action,
                                opened_at=opened_at, closes_at=closes_at, quota=quota, used=0))
        return
    window.action, window.opened_at, window.closes_at = action, opened_at, closes_at
    window.quota, window.used = quota, 0


def room(session: Session, conversation_id: int, now: datetime) -> int:
    """Messages the open window still takes (0 when closed or unknown)."""
    window = session.get(ReplyWindow, conversation_id)
    if window is None or now >= window.closes_at:
        return 0
    return max(0, window.quota - window.used)


def enqueue(session: Session, conversation_id: int,
            parts: Sequence[Tuple[str, Sequence[int]]], now: datetime) -> None:
    """Store the messages to send (text, the stored replies each carries) as pending."""
    for text, message_ids in parts:
        session.add(Delivery(conversation_id=conversation_id, message_ids=list(message_ids),
                             text=text, state="pending", attempts=0, created_at=now))
    session.flush()
    refresh_messages(session, [i for _, ids in parts for i in ids])


def waiting(session: Session, conversation_id: int) -> List[Delivery]:
    return list(session.execute(
        select(Delivery).where(Delivery.conversation_id == conversation_id,
                               Delivery.state.in_(WAITING))
        .order_by(Delivery.id)).scalars())


def has_held(session: Session, conversation_id: int) -> bool:
    return session.execute(
        select(Delivery.id).where(Delivery.conversation_id == conversation_id,
                                  Delivery.state == "held").limit(1)).first() is not None


def daily_quota_key(now: datetime) -> str:
    return f"daily_quota:{now:%Y-%m-%d}"


def suspended(session: Session, channel: str, now: datetime) -> bool:
    """The day's send quota ran out (45009): nothing more is sent until tomorrow."""
    return session.execute(
        select(OperatorAlert.id).where(OperatorAlert.channel == channel,
                                       OperatorAlert.dedup_key == daily_quota_key(now),
                                       OperatorAlert.resolved_at.is_(None))
    ).first() is not None


def claim(session: Session, conversation_id: int, channel: str, now: datetime,
          fit, last_slot: Callable[[str], str] = lambda text: text) -> Optional[Plan]:
    """Take what the window allows now, mark it `sending` and reserve its slots in one
    transaction; the rest waits as `held`. `fit(texts, remaining)` decides (outbound.
    fit_quota with the hint); `last_slot(text)` words the message that uses the
    window's last slot when nothing waits yet (a manager may write more). None when
    nothing is sent now."""
    rows = waiting(session, conversation_id)
    if not rows:
        return None
    if suspended(session, channel, now):
        _set_state(session, rows, "held")
        return None
    window = session.get(ReplyWindow, conversation_id)
    window_open = window is not None and now < window.closes_at
    if not window_open:
        # Closed or never seen: WeChat has the last word (45015 makes it undeliverable).
        chosen, sends = rows, [(row.id, row.text) for row in rows]
    else:
        remaining = window.quota - window.used
        if remaining <= 0:
            _set_state(session, rows, "held")
            return None
        batch = fit([row.text for row in rows], remaining)
        count = len(batch.send)
        hint_alone = count > 0 and len(batch.held) + count > len(rows)
        taken = count - 1 if hint_alone else count
        chosen = rows[:taken]
        sends = [(row.id, text) for row, text in zip(chosen, batch.send)]
        if hint_alone:
            sends.append((None, batch.send[-1]))
        reserved = session.execute(
            update(ReplyWindow)
            .where(ReplyWindow.conversation_id == conversation_id,
                   ReplyWindow.used + len(sends) <= ReplyWindow.quota)
            .values(used=ReplyWindow.used + len(sends))
            .execution_options(synchronize_session=False)).rowcount
        if not reserved:  # another replica took the slots meanwhile
            _set_state(session, rows, "held")
            return None
        _set_state(session, rows[taken:], "held")
        if len(sends) == remaining and not rows[taken:] and sends[-1][0] is not None:
            sends[-1] = (sends[-1][0], last_slot(sends[-1][1]))
    _set_state(session, chosen, "sending")
    return Plan(sends, window_open)


def release_slots(session: Session, conversation_id: int, count: int) -> None:
    """Give back reserved slots that were not used (a send that did not happen)."""
    if count <= 0:
        return
    window = session.get(ReplyWindow, conversation_id)
    if window is not None:
        window.used = max(0, window.used - count)


def quota_used(session: Session, conversation_id: int) -> None:
    """WeChat says the quota is used (45047): believe it."""
    window = session.get(ReplyWindow, conversation_id)
    if window is not None:
        window.used = window.quota


def close_window(session: Session, conversation_id: int, now: datetime) -> None:
    """WeChat says the window has passed or the member left (45015, 43004, 40003)."""
    window = session.get(ReplyWindow, conversation_id)
    if window is not None and window.closes_at > now:
        window.closes_at = now


def settle(session: Session, delivery_id: int, state: str, now: datetime,
           attempts: int = 1, errcode: Optional[int] = None,
           error: Optional[str] = None) -> None:
    row = session.get(Delivery, delivery_id)
    row.state = state
    row.attempts = (row.attempts or 0) + attempts
    row.errcode, row.error = errcode, error
    if state in ("sent", "uncertain"):
        row.sent_at = now
    refresh_messages(session, row.message_ids)


def settle_waiting(session: Session, conversation_id: int, state: str,
                   errcode: Optional[int], error: str) -> None:
    """Everything still waiting for this member takes the same fate (a closed window,
    an unfollow, the day's quota)."""
    rows = list(session.execute(
        select(Delivery).where(Delivery.conversation_id == conversation_id,
                               Delivery.state.in_(WAITING + ("sending",)))).scalars())
    for row in rows:
        row.state, row.errcode, row.error = state, errcode, error
    refresh_messages(session, [i for row in rows for i in row.message_ids])


def _set_state(session: Session, rows: Iterable[Delivery], state: str) -> None:
    rows = list(rows)
    for row in rows:
        row.state = state
    session.flush()
    refresh_messages(session, [i for row in rows for i in row.message_ids])


def refresh_messages(session: Session, message_ids: Iterable[int]) -> None:
    """Each stored reply takes the state of its least advanced delivery; a reply that
    cannot be delivered carries the reason managers see."""
    ids = sorted(set(message_ids))
    if not ids:
        return
    session.flush()
    states: Dict[int, List[Delivery]] = {i: [] for i in ids}
    conversation_ids = {m.conversation_id for m in
                        session.execute(select(Message).where(Message.id.in_(ids))).scalars()}
    for row in session.execute(select(Delivery).where(
            Delivery.conversation_id.in_(conversation_ids))).scalars():
        for message_id in row.message_ids:
            if message_id in states:
                states[message_id].append(row)
    for message_id, rows in states.items():
        message = session.get(Message, message_id)
        if message is None or not rows:
            continue
        worst = min(rows, key=lambda r: _PRECEDENCE.index(r.state))
        message.delivery_state = worst.state
        message.delivery_error = (worst.error[:500] if worst.error and worst.state in
                                  ("undeliverable", "held", "uncertain") else None)
