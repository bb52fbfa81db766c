"""Conversations and messages in the gateway's database: synchronous functions of a
session (the caller runs them in bot.db.DatabasePool and owns the transaction), returning
plain values so nothing lazy escapes the transaction."""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db import Database, upgrade
from bot.gateway import messages, satisfaction
from bot.gateway.models import (
    CallbackTicket,
    ChannelEvent,
    Conversation,
    Handoff,
    Media,
    Message,
    Note,
    OperatorAlert,
    Survey,
    User,
    WebChatToken,
)
from bot.gateway.types import (
    ConversationGone,
    ConversationRef,
    OutgoingMessage,
    StoredMessage,
)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
ALEMBIC_SECTION = "gateway"
# Its own version table, so the gateway and the backends may share one database.
VERSION_TABLE = "alembic_version_gateway"
MAX_MEMBER_TEXT = 2000


def migrate(db: Database) -> None:
    """Bring the gateway's schema to the latest migration (run at start)."""
    upgrade(db, ALEMBIC_SECTION, MIGRATIONS_DIR)


def ref(c: Conversation) -> ConversationRef:
    """A conversation row as plain data (nothing lazy escapes the transaction)."""
    return ConversationRef(c.id, c.channel, c.external_id, c.member_id, c.state, c.owner_id,
                           c.priority, c.handoff_reason)


def iso(value: Optional[datetime]) -> Optional[str]:
    return None if value is None else value.isoformat()


def outgoing(m: Message) -> OutgoingMessage:
    name = m.user.display_name if m.user is not None else None
    return OutgoingMessage(m.id, m.author, m.text, tuple(m.buttons or ()), name,
                           iso(m.created_at) or "")


def member_view(m: Message) -> Dict[str, Any]:
    """A message as the member sees it (no intent, slots or internal detail)."""
    return outgoing(m).as_json()


def console_view(m: Message) -> Dict[str, Any]:
    """A message as managers see it, with what the bot understood."""
    return {
        **member_view(m),
        "direction": m.direction,
        "intent": m.intent,
        "confidence": m.confidence,
        "entities": m.entities or [],
        "intent_ranking": m.intent_ranking or [],
        "slots": m.slots or {},
        "routed_to": m.routed_to,
        # The line under a member message, and the raw reading behind its 详情.
        **(messages.understood(m.intent, m.confidence, m.entities or [], m.slots or {},
                               m.routed_to) if m.author == "member"
           else {"understanding": None, "understanding_details": None}),
        "delivery_state": m.delivery_state,
        "delivery_error": m.delivery_error,
    }


def find_conversation(session: Session, channel: str, external_id: str) -> Optional[Conversation]:
    return session.execute(
        select(Conversation).where(Conversation.channel == channel,
                                   Conversation.external_id == external_id)
    ).scalar_one_or_none()


def get_or_create_conversation(session: Session, channel: str, external_id: str,
                               now: datetime) -> Conversation:
    found = find_conversation(session, channel, external_id)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            conversation = Conversation(channel=channel, external_id=external_id, state="bot",
                                        priority=0, created_at=now)
            session.add(conversation)
    except IntegrityError:  # created by a concurrent first message (PostgreSQL)
        return find_conversation(session, channel, external_id)
    return conversation


def record_member_message(session: Session, channel: str, external_id: str, text: str,
                          channel_message_id: Optional[str], now: datetime,
                          conversation_id: Optional[int] = None,
                          payload: Optional[str] = None) -> StoredMessage:
    """Store a member message (never dropped); a closed conversation reopens to the bot.
    `conversation_id`: the channel already knows the conversation (the web chat's
    token), so it is not looked up again by channel and id; ConversationGone when it was
    purged meanwhile. `payload`: a pressed button's, checked in the same transaction
    against the latest reply with buttons (`StoredMessage.payload_offered`)."""
    if conversation_id is None:
        conversation = get_or_create_conversation(session, channel, external_id, now)
    else:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise ConversationGone(conversation_id)
    offered = payload is not None and offered_payload(session, conversation.id, payload)
    earlier = _earlier_copy(session, conversation.id, channel_message_id)
    if earlier is not None:
        return StoredMessage(ref(conversation), earlier, True)
    message = Message(conversation_id=conversation.id, direction="in", author="member",
                      text=text[:MAX_MEMBER_TEXT], channel_message_id=channel_message_id,
                      created_at=now)
    try:
        with session.begin_nested():
            if conversation.state == "closed":
                conversation.state = "bot"
            session.add(message)
            conversation.last_message_at = now
    except IntegrityError:
        # The same channel message stored meanwhile by another gateway replica (a
        # WeChat retry that reached both): the unique constraint decides, this is the
        # retry.
        earlier = _earlier_copy(session, conversation.id, channel_message_id)
        if earlier is None:
            raise
        return StoredMessage(ref(conversation), earlier, True)
    rating = (satisfaction.answer(session, conversation.id,
                                  payload if offered and payload else text, now)
              if conversation.state == "bot" else None)
    return StoredMessage(ref(conversation), message.id, False, offered, rating)


def _earlier_copy(session: Session, conversation_id: int,
                  channel_message_id: Optional[str]) -> Optional[int]:
    """The id of the message already stored under this channel message id, if any."""
    if not channel_message_id:
        return None
    return session.execute(
        select(Message.id).where(Message.conversation_id == conversation_id,
                                 Message.channel_message_id == channel_message_id)
    ).scalar_one_or_none()


def record_replies(session: Session, conversation_id: int, author: str,
                   replies: Sequence[Dict[str, Any]], now: datetime,
                   user_id: Optional[int] = None) -> List[OutgoingMessage]:
    """Store replies ({"text", "buttons"}) to the member; what to deliver."""
    rows = []
    for reply in replies:
        row = Message(conversation_id=conversation_id, direction="out", author=author,
                      user_id=user_id, text=reply.get("text") or "",
                      buttons=[{"title": b.get("title", ""), "payload": b.get("payload", "")}
                               for b in reply.get("buttons") or []] or None,
                      created_at=now)
        session.add(row)
        rows.append(row)
    conversation = session.get(Conversation, conversation_id)
    conversation.last_message_at = now
    session.flush()
    if user_id is not None:
        for row in rows:
            row.user = session.get(User, user_id)
    return [outgoing(row) for row in rows]


def mark_routed(session: Session, message_id: int, routed_to: str,
                understanding=None) -> Dict[str, Any]:
    """Where a member message went, and what the bot understood of it."""
    message = session.get(Message, message_id)
    message.routed_to = routed_to
    if understanding is not None:
        message.intent = understanding.intent
        message.confidence = understanding.confidence
        message.entities = understanding.entities
        message.intent_ranking = understanding.intent_ranking or None
        message.slots = understanding.slots
    return console_view(message)


def record_turn(session: Session, message_id: int, routed_to: str, understanding,
                author: str, replies: Sequence[Dict[str, Any]], now: datetime,
                member_id: Optional[int] = None, expect: Optional[str] = None
                ) -> Optional[Tuple[Dict[str, Any], List[OutgoingMessage]]]:
    """A member message answered, in one transaction: where it went and what the bot
    understood of it, the conversation's member when just learnt, and the replies from
    `author` to deliver. (The member message as the console shows it, the replies.)
    With `expect`, only while the message is still routed so (one conditional UPDATE
    decides between gateway replicas answering it at once); None otherwise."""
    if expect is not None:
        taken = session.execute(
            update(Message).where(Message.id == message_id, Message.routed_to == expect)
            .values(routed_to=routed_to).execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            return None
    view = mark_routed(session, message_id, routed_to, understanding)
    conversation_id = session.get(Message, message_id).conversation_id
    if member_id is not None:
        set_member_id(session, conversation_id, member_id)
    sent = record_replies(session, conversation_id, author, replies, now) if replies else []
    return view, sent


def mark_undelivered(session: Session, message_ids: Sequence[int], reason: str) -> None:
    for message_id in message_ids:
        session.get(Message, message_id).delivery_error = reason[:500]


def set_delivery(session: Session, message_id: int, state: str,
                 error: Optional[str] = None) -> None:
    """A reply delivered outside the outbox (a WeChat template message)."""
    message = session.get(Message, message_id)
    message.delivery_state, message.delivery_error = state, (error or None) and error[:500]


def delivery_of(session: Session, message_id: int) -> Dict[str, Any]:
    message = session.get(Message, message_id)
    return {"delivery_state": message.delivery_state, "delivery_error": message.delivery_error}


def set_member_id(session: Session, conversation_id: int, member_id: Optional[int]) -> None:
    session.get(Conversation, conversation_id).member_id = member_id


def conversation(session: Session, conversation_id: int) -> Optional[ConversationRef]:
    found = session.get(Conversation, conversation_id)
    return None if found is None else ref(found)


def transcript(session: Session, conversation_id: int, after_id: int = 0) -> List[Message]:
    return list(session.execute(
        select(Message).where(Message.conversation_id == conversation_id, Message.id > after_id)
        .order_by(Message.id)
    ).scalars())


def last_outbound_at(session: Session, conversation_id: int) -> Optional[datetime]:
    """When the member was last written to in this conversation (by anyone), or None."""
    return session.execute(
        select(Message.created_at).where(Message.conversation_id == conversation_id,
                                         Message.direction == "out")
        .order_by(Message.id.desc()).limit(1)).scalar_one_or_none()


def offered_buttons(session: Session, conversation_id: int,
                    before_message_id: int) -> List[Dict[str, Any]]:
    """The quick replies of the latest reply with buttons since the member's previous
    message (what a "2" answers), or []."""
    previous_member = session.execute(
        select(Message.id).where(Message.conversation_id == conversation_id,
                                 Message.direction == "in", Message.id < before_message_id)
        .order_by(Message.id.desc()).limit(1)).scalar_one_or_none() or 0
    latest = session.execute(
        select(Message).where(Message.conversation_id == conversation_id,
                              Message.direction == "out", Message.buttons.isnot(None),
                              Message.id > previous_member, Message.id < before_message_id)
        .order_by(Message.id.desc()).limit(1)).scalar_one_or_none()
    return list(latest.buttons or []) if latest is not None else []


def recent_outbound_views(session: Session, conversation_id: int,
                          limit: int = 20) -> List[Dict[str, Any]]:
    """The latest replies as the console shows them (their delivery state changed)."""
    rows = session.execute(
        select(Message).where(Message.conversation_id == conversation_id,
                              Message.direction == "out", Message.delivery_state.isnot(None))
        .order_by(Message.id.desc()).limit(limit)).scalars()
    return [console_view(m) for m in reversed(list(rows))]


def offered_payload(session: Session, conversation_id: int, payload: str) -> bool:
    """Whether the latest reply with buttons offered this payload: members press the
    buttons they were shown, they cannot send arbitrary intents."""
    latest = session.execute(
        select(Message.buttons).where(Message.conversation_id == conversation_id,
                                      Message.direction == "out",
                                      Message.buttons.isnot(None))
        .order_by(Message.id.desc()).limit(1)
    ).scalar_one_or_none()
    return any(b.get("payload") == payload for b in latest or [])


def _add_once(session: Session, row: Any) -> bool:
    """Add `row` unless a row of its table with the same channel and dedup_key exists;
    False when it does (a channel retry)."""
    model = type(row)
    if session.execute(select(model.id).where(
            model.channel == row.channel, model.dedup_key == row.dedup_key)
    ).scalar_one_or_none() is not None:
        return False
    try:
        with session.begin_nested():  # another replica may be adding the same row
            session.add(row)
    except IntegrityError:
        return False
    return True


def record_channel_event(session: Session, channel: str, dedup_key: str,
                         external_id: Optional[str], event: str, event_key: Optional[str],
                         detail: Optional[Dict[str, Any]], now: datetime) -> bool:
    """Record a channel event once; False when this key was already recorded (a retry)."""
    return _add_once(session, ChannelEvent(
        channel=channel, dedup_key=dedup_key, external_id=external_id, event=event,
        event_key=event_key, detail=detail, received_at=now))


def record_alert(session: Session, channel: str, kind: str, dedup_key: str,
                 external_id: Optional[str], detail: str, body: Optional[str],
                 now: datetime) -> bool:
    """Keep something an operator must see; False when already kept (a retry)."""
    return _add_once(session, OperatorAlert(
        channel=channel, kind=kind, dedup_key=dedup_key, external_id=external_id,
        detail=detail, body=body, created_at=now))


def purge_member(session: Session, channel: str, external_id: str) -> int:
    """Delete what the gateway holds for one channel identity (WeChat: on unsubscribe
    the member's information must be deleted): the conversation and its messages,
    media, notes, handoffs, callback tickets and tokens, the channel's own rows (they
    go with the conversation: ON DELETE CASCADE), and the identity on recorded events.
    The audit log keeps who did what (targets are ids, not member data). Returns the
    number of conversations deleted."""
    ids = list(session.execute(select(Conversation.id).where(
        Conversation.channel == channel, Conversation.external_id == external_id)).scalars())
    for model in (Media, Message, Note, CallbackTicket, WebChatToken, Survey):
        session.execute(delete(model).where(model.conversation_id.in_(ids))
                        .execution_options(synchronize_session=False))
    session.execute(delete(Handoff).where(Handoff.conversation_id.in_(ids))
                    .execution_options(synchronize_session=False))
    session.execute(delete(Conversation).where(Conversation.id.in_(ids))
                    .execution_options(synchronize_session=False))
    session.execute(delete(ChannelEvent).where(ChannelEvent.channel == channel,
                                               ChannelEvent.external_id == external_id)
                    .execution_options(synchronize_session=False))
    session.execute(delete(OperatorAlert).where(OperatorAlert.channel == channel,
                                                OperatorAlert.external_id == external_id)
                    .execution_options(synchronize_session=False))
    return len(ids)


def _departed_key(external_id: str) -> str:
    return "departed:" + hashlib.sha256(external_id.encode("utf-8")).hexdigest()


def mark_departed(session: Session, channel: str, external_id: str, now: datetime) -> None:
    """The member left the channel (WeChat: unfollowed): no service notice may reach this
    identity until it comes back (`returned`), even when another system still lists it.
    Kept as a hash of the identity, without the identity itself (the purge deleted
    that): it only answers "is this the one who left?" for an identity the asker holds."""
    _add_once(session, ChannelEvent(channel=channel, dedup_key=_departed_key(external_id),
                                    external_id=None, event="departed", event_key=None,
                                    detail=None, received_at=now))


def has_departed(session: Session, channel: str, external_id: str) -> bool:
    return session.execute(select(ChannelEvent.id).where(
        ChannelEvent.channel == channel,
        ChannelEvent.dedup_key == _departed_key(external_id))).first() is not None


def returned(session: Session, channel: str, external_id: str) -> None:
    """The identity is back (WeChat: followed again): notices may reach it again."""
    session.execute(delete(ChannelEvent).where(
        ChannelEvent.channel == channel, ChannelEvent.dedup_key == _departed_key(external_id))
        .execution_options(synchronize_session=False))
