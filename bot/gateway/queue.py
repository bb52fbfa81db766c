"""The managers' queue in the database: handoffs, callback tickets, claiming (one
conditional UPDATE, so two managers never own one conversation), hand back and close.
Synchronous functions of a session; bot/gateway/handoff.py runs them."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Tuple

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from bot.clock import SHANGHAI
from bot.gateway.models import CallbackTicket, Conversation, Handoff, Message, Note, User
from bot.gateway.store import ref
from bot.gateway.types import ConversationRef
from bot.gateway.waits import HISTORY_CLAIMS, HISTORY_WINDOW, Claim


class QueueConflict(Exception):
    """Someone else got there first, or the conversation is not in the needed state.
    `key` names the notice (bot.gateway.messages.NOTICES); `owner` who has it."""

    def __init__(self, key: str, owner: Optional[str] = None) -> None:
        super().__init__(key)
        self.key = key
        self.owner = owner


@dataclass(frozen=True)
class Enqueued:
    conversation: ConversationRef
    handoff_id: int
    already_waiting: bool  # it was queued or with a manager before this request


@dataclass(frozen=True)
class Ticket:
    id: int
    conversation_id: int
    reference: str
    due_at: datetime
    is_new: bool


@dataclass(frozen=True)
class QueueItem:
    """One line of the console's queue: a waiting conversation or a due callback."""

    kind: str  # "conversation" or "ticket"
    id: int  # the conversation's or the ticket's id
    conversation_id: int
    channel: str
    external_id: str
    member_id: Optional[int]  # the backends' member, once the conversation is bound
    reason: str
    priority: int
    since: datetime
    due_at: Optional[datetime]
    preview: str  # the member's last words (escaped where shown)

    @property
    def member(self) -> str:
        """The chat identity, channel:external_id (as Rasa's sender id)."""
        return f"{self.channel}:{self.external_id}"


def active_handoff(session: Session, conversation_id: int) -> Optional[Handoff]:
    return session.execute(
        select(Handoff).where(Handoff.conversation_id == conversation_id,
                              Handoff.ended_at.is_(None))
        .order_by(Handoff.id.desc()).limit(1)
    ).scalar_one_or_none()


SUMMARY_LIMIT = 200


def _summary(session: Session, conversation_id: int, said: str) -> Optional[str]:
    """The handoff's one line: the bot's summary, else the member's last words."""
    if said.strip():
        return said.strip()[:SUMMARY_LIMIT]
    last = _last_member_words(session, conversation_id)
    return last[:SUMMARY_LIMIT] if last else None


def _escalate(session: Session, conversation: Conversation, handoff: Optional[Handoff],
              reason: str, priority: int, summary: str) -> None:
    """A more urgent reason (an emergency while waiting) moves it up and says why."""
    if priority > conversation.priority:
        conversation.priority = priority
        conversation.handoff_reason = reason
        if handoff is not None:
            handoff.priority = priority
            handoff.reason = reason
            handoff.summary = _summary(session, conversation.id, summary)


def enqueue(session: Session, conversation_id: int, reason: str, priority: int,
            now: datetime, summary: str = "") -> Enqueued:
    """Within the managers' hours: the conversation waits for a manager."""
    conversation = session.get(Conversation, conversation_id)
    if conversation.state in ("queued", "human"):
        handoff = active_handoff(session, conversation_id)
        _escalate(session, conversation, handoff, reason, priority, summary)
        return Enqueued(ref(conversation), handoff.id if handoff else 0, True)
    # An overnight request still open is covered by this one: one queue item.
    earlier = active_handoff(session, conversation_id)
    if earlier is not None:
        earlier.ended_at, earlier.outcome = now, "superseded"
        priority = max(priority, earlier.priority)
    session.execute(update(CallbackTicket).where(
        CallbackTicket.conversation_id == conversation_id, CallbackTicket.status == "open"
    ).values(status="done"))
    handoff = Handoff(conversation_id=conversation_id, reason=reason, priority=priority,
                      requested_at=now, within_hours=True,
                      summary=_summary(session, conversation_id, summary))
    session.add(handoff)
    conversation.state = "queued"
    conversation.priority = priority
    conversation.handoff_reason = reason
    conversation.queued_at = now
    conversation.owner_id = None
    conversation.claimed_at = None
    session.flush()
    return Enqueued(ref(conversation), handoff.id, False)


def file_callback(session: Session, conversation_id: int, reason: str, priority: int,
                  now: datetime, due_at: datetime, summary: str = "") -> Ticket:
    """Outside the managers' hours: a callback ticket for the morning queue (one open
    ticket per conversation; asking again raises its priority, never duplicates it)."""
    open_ticket = session.execute(
        select(CallbackTicket).where(CallbackTicket.conversation_id == conversation_id,
                                     CallbackTicket.status == "open")
    ).scalar_one_or_none()
    if open_ticket is not None:
        if priority > open_ticket.priority:
            open_ticket.priority, open_ticket.reason = priority, reason
            handoff = session.get(Handoff, open_ticket.handoff_id)
            handoff.priority, handoff.reason = priority, reason
            handoff.summary = _summary(session, conversation_id, summary)
        return Ticket(open_ticket.id, conversation_id, open_ticket.reference,
                      open_ticket.due_at, False)
    handoff = Handoff(conversation_id=conversation_id, reason=reason, priority=priority,
                      requested_at=now, within_hours=False,
                      summary=_summary(session, conversation_id, summary))
    session.add(handoff)
    session.flush()
    ticket = CallbackTicket(conversation_id=conversation_id, handoff_id=handoff.id,
                            reason=reason, priority=priority, created_at=now, due_at=due_at,
                            status="open")
    session.add(ticket)
    session.flush()
    return Ticket(ticket.id, conversation_id, ticket.reference, due_at, True)


def queue_position(session: Session, conversation_id: int) -> int:
    """1 + the queued conversations served before this one (priority, then waiting)."""
    me = session.get(Conversation, conversation_id)
    ahead = session.execute(
        select(func.count()).select_from(Conversation).where(
            Conversation.state == "queued", Conversation.id != me.id,
            or_(Conversation.priority > me.priority,
                and_(Conversation.priority == me.priority,
                     Conversation.queued_at < me.queued_at),
                and_(Conversation.priority == me.priority,
                     Conversation.queued_at == me.queued_at, Conversation.id < me.id)))
    ).scalar_one()
    return ahead + 1


def recent_claims(session: Session, now: datetime) -> List[Claim]:
    """The claims the wait estimate learns from (bot.gateway.waits)."""
    rows = session.execute(
        select(Handoff.requested_at, Handoff.claimed_at)
        .where(Handoff.within_hours.is_(True), Handoff.claimed_at.isnot(None),
               Handoff.claimed_at >= now - HISTORY_WINDOW, Handoff.claimed_at <= now)
        .order_by(Handoff.claimed_at.desc()).limit(max(HISTORY_CLAIMS, 200))
    ).all()
    return [Claim(requested, claimed) for requested, claimed in rows]


def _owner_name(session: Session, conversation: Conversation) -> Optional[str]:
    if conversation.owner_id is None:
        return None
    return session.get(User, conversation.owner_id).display_name


def claim(session: Session, conversation_id: int, user_id: int, now: datetime) -> ConversationRef:
    """Take a waiting conversation. One conditional UPDATE decides between managers
    clicking at once: the second finds it no longer queued."""
    taken = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.state == "queued")
        .values(state="human", owner_id=user_id, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise QueueConflict("not_found")
    session.refresh(conversation)
    if taken != 1:
        if conversation.state == "human":
            raise QueueConflict("claim_lost", _owner_name(session, conversation))
        raise QueueConflict("not_queued")
    handoff = active_handoff(session, conversation_id)
    if handoff is not None:
        handoff.claimed_by, handoff.claimed_at = user_id, now
    # A callback filed while it waited is served by this claim (closed with the handoff).
    session.execute(update(CallbackTicket).where(
        CallbackTicket.conversation_id == conversation_id, CallbackTicket.status == "open"
    ).values(status="claimed", claimed_by=user_id, claimed_at=now))
    return ref(conversation)


def overdue(session: Session, now: datetime, after: timedelta,
            urgent_after: timedelta) -> List[int]:
    """Waiting conversations no manager claimed in time (sooner for an emergency or a
    crisis) that have no open callback ticket yet."""
    rows = session.execute(
        select(Conversation.id, Conversation.queued_at, Conversation.handoff_reason)
        .where(Conversation.state == "queued", Conversation.queued_at <= now - urgent_after)
    ).all()
    late = [row.id for row in rows
            if row.queued_at <= now - (urgent_after if row.handoff_reason in URGENT_REASONS
                                       else after)]
    if not late:
        return []
    ticketed = set(session.execute(
        select(CallbackTicket.conversation_id).where(
            CallbackTicket.conversation_id.in_(late),
            CallbackTicket.status.in_(("open", "claimed")))).scalars())
    return [conversation_id for conversation_id in late if conversation_id not in ticketed]


def quiet(session: Session, now: datetime, after: timedelta) -> List[int]:
    """Conversations a manager has, with no message either way for `after`, whose
    member's last question was answered (not an emergency or a crisis: those end with a
    manager's word): they go back to the bot."""
    rows = session.execute(
        select(Conversation.id, Conversation.handoff_reason)
        .where(Conversation.state == "human", Conversation.last_message_at <= now - after)
    ).all()
    return [row.id for row in rows if row.handoff_reason not in URGENT_REASONS
            and not unanswered(session, row.id)]


def file_unclaimed_callback(session: Session, conversation_id: int, now: datetime,
                            due_at: datetime) -> Optional[Ticket]:
    """A callback for a member no manager took in time; the conversation stays in the
    queue (still claimable). None when it was claimed meanwhile or already has one."""
    conversation = session.get(Conversation, conversation_id)
    handoff = active_handoff(session, conversation_id)
    if conversation is None or conversation.state != "queued" or handoff is None:
        return None
    if session.execute(select(CallbackTicket.id).where(
            CallbackTicket.conversation_id == conversation_id,
            CallbackTicket.status.in_(("open", "claimed")))).first() is not None:
        return None
    ticket = CallbackTicket(conversation_id=conversation_id, handoff_id=handoff.id,
                            reason=handoff.reason, priority=handoff.priority, created_at=now,
                            due_at=due_at, status="open")
    session.add(ticket)
    session.flush()
    return Ticket(ticket.id, conversation_id, ticket.reference, due_at, True)


@dataclass(frozen=True)
class Pick:
    """A waiting conversation and the present manager it goes to."""

    conversation_id: int
    manager_id: int
    username: str
    display_name: str
    own: bool           # the manager who served this member before


def own_manager(session: Session, conversation: Conversation) -> Optional[int]:
    """The member's own health manager: the one the backends name when that account is
    active, else who served this member last (any of the member's conversations when
    the member is known, else this one)."""
    if conversation.own_manager:
        named = session.execute(select(User.id).where(
            User.username == conversation.own_manager, User.active.is_(True))
        ).scalar_one_or_none()
        if named is not None:
            return named
    query = (select(Handoff.claimed_by)
             .join(Conversation, Conversation.id == Handoff.conversation_id)
             .where(Handoff.claimed_by.isnot(None)))
    query = (query.where(Conversation.member_id == conversation.member_id)
             if conversation.member_id is not None
             else query.where(Conversation.id == conversation.id))
    return session.execute(query.order_by(Handoff.claimed_at.desc(), Handoff.id.desc())
                           .limit(1)).scalar_one_or_none()


def active_load(session: Session) -> Dict[int, int]:
    """How many conversations each manager has now."""
    return dict(session.execute(
        select(Conversation.owner_id, func.count()).where(Conversation.state == "human")
        .group_by(Conversation.owner_id)).all())


def assignments(session: Session) -> List[Pick]:
    """Who takes which waiting conversation, in queue order (emergencies first): the
    member's own manager when present (接待中) and under their cap, else the present
    manager with the fewest conversations (then the one who claimed longest ago). Stops
    when every present manager is full; the rest stays claimable by hand."""
    present = list(session.execute(
        select(User).where(User.active.is_(True), User.role.in_(("manager", "admin")),
                           User.presence == "available")).scalars())
    if not present:
        return []
    load = active_load(session)
    last_claim = dict(session.execute(
        select(Handoff.claimed_by, func.max(Handoff.claimed_at))
        .where(Handoff.claimed_by.isnot(None)).group_by(Handoff.claimed_by)).all())
    picks: List[Pick] = []
    for item in waiting(session):
        if item.kind != "conversation":
            continue           # callbacks are called back by hand
        free = [u for u in present if load.get(u.id, 0) < u.max_active]
        if not free:
            break
        conversation = session.get(Conversation, item.conversation_id)
        own = own_manager(session, conversation)
        chosen = next((u for u in free if u.id == own), None) or min(
            free, key=lambda u: (load.get(u.id, 0),
                                 last_claim.get(u.id) or datetime.min.replace(tzinfo=SHANGHAI),
                                 u.id))
        load[chosen.id] = load.get(chosen.id, 0) + 1
        picks.append(Pick(conversation.id, chosen.id, chosen.username, chosen.display_name,
                          chosen.id == own))
    return picks


def transfer(session: Session, conversation_id: int, user_id: int, may_override: bool,
             to_user_id: int, note: str, now: datetime) -> Tuple[ConversationRef, User]:
    """Hand a conversation to a colleague, with a note for them (kept as an internal note)."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise QueueConflict("not_found")
    if conversation.state != "human" or not (may_override or conversation.owner_id == user_id):
        raise QueueConflict("not_owner")
    colleague = session.get(User, to_user_id)
    if (colleague is None or not colleague.active or colleague.role not in ("manager", "admin")
            or colleague.id == conversation.owner_id):
        raise QueueConflict("transfer_invalid")
    conversation.owner_id = colleague.id
    handoff = active_handoff(session, conversation_id)
    if handoff is not None:
        handoff.claimed_by = colleague.id
    session.add(Note(conversation_id=conversation_id, user_id=user_id, created_at=now,
                     text=f"转接给{colleague.display_name}" + (f"：{note}" if note else "")))
    session.flush()
    return ref(conversation), colleague


def claim_ticket(session: Session, ticket_id: int, user_id: int, now: datetime) -> ConversationRef:
    """Take a callback ticket, and with it the conversation (the bot goes quiet)."""
    taken = session.execute(
        update(CallbackTicket)
        .where(CallbackTicket.id == ticket_id, CallbackTicket.status == "open")
        .values(status="claimed", claimed_by=user_id, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    ticket = session.get(CallbackTicket, ticket_id)
    if ticket is None:
        raise QueueConflict("not_found")
    if taken != 1:
        raise QueueConflict("ticket_lost")
    conversation = session.get(Conversation, ticket.conversation_id)
    if conversation.state == "human" and conversation.owner_id != user_id:
        # Raising rolls the ticket back too: it stays with whoever has the conversation.
        raise QueueConflict("claim_lost", _owner_name(session, conversation))
    conversation.state = "human"
    conversation.owner_id = user_id
    conversation.claimed_at = now
    conversation.priority = max(conversation.priority, ticket.priority)
    conversation.handoff_reason = ticket.reason
    conversation.queued_at = conversation.queued_at or ticket.created_at
    handoff = session.get(Handoff, ticket.handoff_id)
    handoff.claimed_by, handoff.claimed_at = user_id, now
    session.flush()
    return ref(conversation)


def require_owner(session: Session, conversation_id: int, user_id: int) -> ConversationRef:
    """The conversation, if `user_id` is the manager who has it now."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise QueueConflict("not_found")
    if conversation.state != "human" or conversation.owner_id != user_id:
        raise QueueConflict("not_owner", _owner_name(session, conversation))
    return ref(conversation)


# Handed off for these, a conversation is never ended without a reply or a stated reason.
URGENT_REASONS = frozenset({"emergency", "crisis"})


def _manager_replies(session: Session, conversation_id: int,
                     handoff: Optional[Handoff]) -> List[int]:
    """The ids of what managers wrote to the member in this handoff (the greeting the
    claim sends is not a reply)."""
    if handoff is None or handoff.claimed_at is None:
        return []
    ids = list(session.execute(
        select(Message.id).where(Message.conversation_id == conversation_id,
                                 Message.author == "manager",
                                 Message.created_at >= handoff.claimed_at)
        .order_by(Message.id)).scalars())
    return ids[1:]


# A thank-you or an okay needs no answer (谢谢, 好的👌, 嗯嗯, 收到).
_ACKNOWLEDGEMENT = re.compile(r"^(?:谢谢|多谢|感谢|谢啦|好的|好|嗯|哦|噢|ok|okay|收到|明白|知道了|行|可以|"
                              r"没问题|辛苦了|麻烦了|[\s,.!~，。！～👌👍🙏❤️]|\[[^\]]{1,5}\])+$",
                              re.IGNORECASE)


def awaiting_since(session: Session, conversation_id: int) -> Optional[datetime]:
    """When the member's oldest message still without a manager's reply was sent, in
    the current handoff (a thank-you needs none); None when nothing waits."""
    handoff = active_handoff(session, conversation_id)
    if handoff is None or handoff.claimed_at is None:
        return None
    replies = _manager_replies(session, conversation_id, handoff)
    after = replies[-1] if replies else 0
    said = session.execute(
        select(Message.created_at, Message.text).where(
            Message.conversation_id == conversation_id, Message.author == "member",
            Message.id > after, Message.created_at >= handoff.requested_at)
        .order_by(Message.id)).all()
    waiting = [row.created_at for row in said if not _ACKNOWLEDGEMENT.match(row.text or "")]
    return waiting[0] if waiting else None


def unanswered(session: Session, conversation_id: int) -> bool:
    """Whether the member's latest message that asks for something (not a thank-you)
    came after the last manager reply of the current handoff, or no manager replied."""
    said = session.execute(
        select(Message.id, Message.text).where(Message.conversation_id == conversation_id,
                                               Message.author == "member")
        .order_by(Message.id.desc()).limit(20)).all()
    last_member = next((row.id for row in said if not _ACKNOWLEDGEMENT.match(row.text or "")),
                       None)
    if last_member is None:
        return False
    replies = _manager_replies(session, conversation_id, active_handoff(session, conversation_id))
    return not replies or last_member > replies[-1]


def release(session: Session, conversation_id: int, user_id: int, may_override: bool,
            now: datetime, outcome: str, reason: str = "") -> ConversationRef:
    """End the person's part: hand back to the bot ("handed_back", state bot) or close
    ("closed", state closed). The owner may; an admin (may_override) may for anyone; a
    waiting conversation may be closed by any manager. An emergency or crisis that no
    manager answered needs the reason (已电话联系, 会员已就医 ...), kept as a note."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise QueueConflict("not_found")
    waiting_close = outcome == "closed" and conversation.state == "queued"
    if conversation.state not in ("human", "queued"):
        raise QueueConflict("not_owner")
    if not (waiting_close or may_override or conversation.owner_id == user_id):
        raise QueueConflict("not_owner")
    reason = (reason or "").strip()
    if conversation.handoff_reason in URGENT_REASONS:
        if not reason and not _manager_replies(session, conversation_id,
                                               active_handoff(session, conversation_id)):
            raise QueueConflict("urgent_unanswered")
    if reason:
        label = "交还智能助手" if outcome == "handed_back" else "结束会话"
        session.add(Note(conversation_id=conversation_id, user_id=user_id,
                         text=f"{label}原因：{reason}", created_at=now))
    conversation.state = "bot" if outcome == "handed_back" else "closed"
    conversation.owner_id = None
    conversation.priority = 0
    conversation.handoff_reason = None
    conversation.queued_at = None
    conversation.claimed_at = None
    handoff = active_handoff(session, conversation_id)
    if handoff is not None:
        handoff.ended_at, handoff.outcome = now, outcome
    session.execute(update(CallbackTicket).where(
        CallbackTicket.conversation_id == conversation_id,
        CallbackTicket.status == "claimed").values(status="done"))
    return ref(conversation)


def _last_member_words(session: Session, conversation_id: int) -> str:
    text = session.execute(
        select(Message.text).where(Message.conversation_id == conversation_id,
                                   Message.author == "member")
        .order_by(Message.id.desc()).limit(1)
    ).scalar_one_or_none()
    return (text or "")[:80]


def _preview(session: Session, conversation_id: int, reason: Optional[str]) -> str:
    """A queue row's words: for an emergency or a crisis what it is about (the words
    that raised it), not whatever the member said last; otherwise the last words."""
    if reason in URGENT_REASONS:
        handoff = active_handoff(session, conversation_id)
        if handoff is not None and handoff.summary:
            return handoff.summary[:80]
    return _last_member_words(session, conversation_id)


def waiting(session: Session) -> List[QueueItem]:
    """The queue: waiting conversations and open callback tickets, by priority and then
    by how long they have waited."""
    items = [
        QueueItem("conversation", c.id, c.id, c.channel, c.external_id, c.member_id,
                  c.handoff_reason or "request_human", c.priority, c.queued_at, None,
                  _preview(session, c.id, c.handoff_reason))
        for c in session.execute(select(Conversation).where(Conversation.state == "queued"))
        .scalars()
    ]
    for ticket, c in session.execute(
        select(CallbackTicket, Conversation)
        .join(Conversation, Conversation.id == CallbackTicket.conversation_id)
        .where(CallbackTicket.status == "open")
    ).all():
        items.append(QueueItem("ticket", ticket.id, c.id, c.channel, c.external_id,
                               c.member_id, ticket.reason, ticket.priority, ticket.created_at,
                               ticket.due_at, _preview(session, c.id, ticket.reason)))
    return sorted(items, key=lambda item: (-item.priority, item.since, item.conversation_id))


def owned_by(session: Session, user_id: int) -> List[ConversationRef]:
    return [ref(c) for c in session.execute(
        select(Conversation).where(Conversation.state == "human",
                                   Conversation.owner_id == user_id)
        .order_by(Conversation.claimed_at)).scalars()]


def recent_conversations(session: Session, limit: int = 30) -> List[Conversation]:
    return list(session.execute(
        select(Conversation).order_by(Conversation.last_message_at.desc().nullslast(),
                                      Conversation.id.desc()).limit(limit)).scalars())


def tickets_of(session: Session, conversation_id: int) -> List[CallbackTicket]:
    return list(session.execute(
        select(CallbackTicket).where(CallbackTicket.conversation_id == conversation_id)
        .order_by(CallbackTicket.id.desc())).scalars())


def handoffs_of(session: Session, conversation_id: int) -> List[Handoff]:
    return list(session.execute(
        select(Handoff).where(Handoff.conversation_id == conversation_id)
        .order_by(Handoff.id.desc())).scalars())


def waited_minutes(since: Optional[datetime], now: datetime) -> float:
    return 0.0 if since is None else max((now - since) / timedelta(minutes=1), 0.0)
