"""Member messages Rasa did not answer (down, frozen, too slow): kept as `pending` and
sent again once Rasa answers its health check, per conversation in arrival order
(Router.retry; the router also catches a conversation up before its next message).
The reads and the withdrawal of a system-fault handoff are sync functions of a session,
like store.py; `Retrier` is the background loop the wiring starts."""
from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.db import DatabasePool
from bot.gateway import queue, store
from bot.gateway.models import Conversation, Message
from bot.gateway.tasks import Every
from bot.gateway.types import ConversationRef, OutgoingMessage

logger = logging.getLogger(__name__)

PENDING = "pending"  # messages.routed_to: kept, to be sent to Rasa when it is back
HELD = "manager"  # messages.routed_to: a manager has the conversation
RETRY_EVERY_SECONDS = 2.0
# How long Rasa must have answered before pending messages are sent again (Retrier).
RETRY_SETTLE_SECONDS = 10.0
BATCH = 100  # conversations caught up per round (the oldest first)


def oldest(session: Session, conversation_id: int
           ) -> Optional[Tuple[ConversationRef, Message]]:
    """The conversation and its oldest pending message, or None."""
    row = session.execute(
        select(Message).where(Message.conversation_id == conversation_id,
                              Message.routed_to == PENDING)
        .order_by(Message.id).limit(1)).scalar_one_or_none()
    if row is None:
        return None
    conversation = store.conversation(session, conversation_id)
    return (conversation, row) if conversation is not None else None


def has_pending(session: Session, conversation_id: int) -> bool:
    return session.execute(
        select(Message.id).where(Message.conversation_id == conversation_id,
                                 Message.routed_to == PENDING).limit(1)
    ).first() is not None


def keep(session: Session, message_id: int, notice: Sequence[Dict[str, Any]],
         now: datetime, member_id: Optional[int] = None
         ) -> Tuple[Dict[str, Any], List[OutgoingMessage]]:
    """A message Rasa did not answer, kept as pending with the notice to the member;
    unless a manager took the conversation since it was read: then it is theirs (held,
    no notice). The check and the write are one transaction, so a claim is either seen
    here or finds the message pending (`hand_to_manager`)."""
    conversation = session.get(Conversation, session.get(Message, message_id).conversation_id)
    if conversation.state == "human":
        return store.record_turn(session, message_id, HELD, None, "system", [], now,
                                 member_id)
    return store.record_turn(session, message_id, PENDING, None, "system", notice, now,
                             member_id)


def hand_to_manager(session: Session, conversation_id: int) -> int:
    """A manager takes the conversation: the messages still waiting for Rasa are theirs
    to answer now (the bot would stay silent on them anyway). How many."""
    return session.execute(
        update(Message)
        .where(Message.conversation_id == conversation_id, Message.routed_to == PENDING)
        .values(routed_to=HELD)
        .execution_options(synchronize_session=False)).rowcount


def waiting_conversations(session: Session, limit: int = BATCH) -> List[int]:
    """Conversations with pending messages, the longest waiting first."""
    return list(session.execute(
        select(Message.conversation_id).where(Message.routed_to == PENDING)
        .group_by(Message.conversation_id).order_by(func.min(Message.id)).limit(limit)
    ).scalars())


def withdraw_fault_handoff(session: Session, conversation_id: int, reason: str,
                           now: datetime) -> bool:
    """A handoff made because the bot was away (`reason`), still waiting for a manager:
    back to the bot, the handoff ended as handed back. False when a manager took it
    (or it is another reason's): then the manager keeps it."""
    conversation = session.get(Conversation, conversation_id)
    if (conversation is None or conversation.state != "queued"
            or conversation.handoff_reason != reason):
        return False
    conversation.state = "bot"
    conversation.priority = 0
    conversation.handoff_reason = None
    conversation.queued_at = None
    handoff = queue.active_handoff(session, conversation_id)
    if handoff is not None:
        handoff.ended_at, handoff.outcome = now, "handed_back"
    return True


class Retrier:
    """Every few seconds: when messages are pending and Rasa answers its health check,
    each waiting conversation is caught up (`retry(conversation_id)`, False when Rasa
    failed again, which ends the round)."""

    def __init__(self, pool: DatabasePool, healthy: Callable[[], Awaitable[bool]],
                 retry: Callable[[int], Awaitable[bool]],
                 every: float = RETRY_EVERY_SECONDS,
                 settle: float = RETRY_SETTLE_SECONDS) -> None:
        self.pool = pool
        self.healthy = healthy
        self.retry = retry
        self.every = every
        # A call the gateway gave up on may still be running in a Rasa that was frozen
        # and is back: it lands in the tracker within a turn's time. Waiting that long
        # after Rasa first answers lets `retry` find it there instead of sending the
        # message a second time.
        self.settle = settle
        self._healthy_since: Optional[float] = None
        self._loop = Every(every, self.round, "retrying pending messages")

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def round(self) -> int:
        """One round; how many conversations were caught up."""
        waiting = await self.pool.read(waiting_conversations)
        if not waiting or not await self.healthy():
            self._healthy_since = None
            return 0
        now = time.monotonic()
        if self._healthy_since is None:
            self._healthy_since = now
        if now - self._healthy_since < self.settle:
            return 0
        done = 0
        for conversation_id in waiting:
            if not await self.retry(conversation_id):
                break
            done += 1
        if done:
            logger.info("caught up %d conversation(s) with messages kept while Rasa was away",
                        done)
        return done
