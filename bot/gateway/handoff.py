"""Handing conversations to health managers and back (转人工).

The bot asks for a person with a custom payload ({"handoff": {"reason", "priority"}})
after its own replies; this service decides how it goes, from the clock and the queue:
- 08:30–20:30 (bot.clock.managers_open): the conversation joins the queue, Rasa is paused,
  and the member is told their place and the honest expected wait (bot.gateway.waits);
- otherwise: a callback ticket due at the next 08:30, the member told when a manager is
  back and, while it is open, the call centre; the bot keeps answering meanwhile;
- a claim, a manager's reply, hand back (Rasa resumes and says so), close.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Dict, List, Optional

from bot.clock import (
    Clock,
    call_center_open,
    describe_wait_until,
    managers_open,
    next_call_center_opening,
    next_manager_opening,
)
from bot.db import DatabasePool
from bot.gateway import messages, pending, queue, satisfaction, store
from bot.gateway.members import Members
from bot.gateway.models import HANDOFF_REASONS, PRESENCES, Conversation, User
from bot.gateway.outbox import Outbox
from bot.gateway.rasa import RasaClient, RasaUnavailable
from bot.gateway.types import ConversationRef, OutgoingMessage
from bot.gateway.waits import WaitEstimate, estimate_wait

logger = logging.getLogger(__name__)

DEFAULT_PRIORITY = 1
MAX_REPLY_TEXT = 4000
# A queued member's messages are acknowledged at most this often (questions always).
ACK_INTERVAL = timedelta(minutes=3)
URGENT_REASONS = queue.URGENT_REASONS
# A manager's conversation quiet this long (both sides, last question answered) goes
# back to the bot, and the member is told so.
QUIET_AFTER = timedelta(minutes=30)
# Nobody claimed in this time: the member is told, a callback filed, the phone offered.
UNCLAIMED_AFTER = timedelta(minutes=20)
URGENT_UNCLAIMED_AFTER = timedelta(minutes=5)


SUMMARY_LIMIT = 200
_UNKNOWN = object()   # the backends could not say who the member's own manager is
# A handoff (an emergency's too) waits at most this long for the backends to name the
# member's own manager; slower, the name the conversation last heard is used.
OWN_MANAGER_TIMEOUT = 1.0


@dataclass(frozen=True)
class HandoffRequest:
    reason: str
    priority: int
    summary: str = ""       # the bot's one line (a health question's words), if any

    @classmethod
    def from_custom(cls, custom: Any) -> Optional["HandoffRequest"]:
        """The bot's custom payload, or None when it is not a handoff request."""
        if not isinstance(custom, dict) or not isinstance(custom.get("handoff"), dict):
            return None
        body = custom["handoff"]
        reason = body.get("reason")
        if reason not in HANDOFF_REASONS:
            logger.warning("unknown handoff reason %r: treated as request_human", reason)
            reason = "request_human"
        try:
            priority = int(body.get("priority", DEFAULT_PRIORITY))
        except (TypeError, ValueError):
            priority = DEFAULT_PRIORITY
        summary = body.get("summary")
        return cls(reason, priority,
                   summary.strip()[:SUMMARY_LIMIT] if isinstance(summary, str) else "")


@dataclass(frozen=True)
class Actor:
    """The console user acting (the console checks the role before calling)."""

    id: int
    username: str
    display_name: str
    is_admin: bool = False


def split_replies(replies: List[Dict[str, Any]]) -> tuple[List[Dict[str, Any]],
                                                          Optional[HandoffRequest]]:
    """The REST channel's replies: what the member reads, and the handoff request
    (never shown). The most urgent request wins if there are several."""
    texts: List[Dict[str, Any]] = []
    handoff: Optional[HandoffRequest] = None
    for reply in replies:
        request = HandoffRequest.from_custom(reply.get("custom"))
        if request is not None:
            if handoff is None or request.priority > handoff.priority:
                handoff = request
            continue
        if reply.get("text"):
            texts.append({"text": reply["text"], "buttons": reply.get("buttons") or []})
    return texts, handoff


class Handoffs:
    def __init__(self, pool: DatabasePool, clock: Clock, rasa: RasaClient,
                 outbox: Outbox, members: Optional[Members] = None) -> None:
        self.pool = pool
        self.clock = clock
        self.rasa = rasa
        self.outbox = outbox
        self.members = members   # who the backends name as each member's own manager

    async def _rasa_best_effort(self, what: str, call) -> Any:
        # The gateway's state decides routing; Rasa's pause only mirrors it, so a Rasa
        # outage must not stop a handoff.
        try:
            return await call
        except RasaUnavailable as error:
            logger.warning("rasa %s failed: %s", what, error)
            return None

    async def estimate(self, conversation_id: int) -> WaitEstimate:
        now = self.clock.now()
        position, claims = await self.pool.read(
            lambda s: (queue.queue_position(s, conversation_id), queue.recent_claims(s, now)))
        return estimate_wait(position, claims, now)

    async def request(self, conversation: ConversationRef,
                      request: HandoffRequest) -> List[OutgoingMessage]:
        """The bot asked for a person: queue, or a callback ticket out of hours."""
        own = await self._own_manager(conversation)
        now = self.clock.now()
        within = managers_open(now)
        due = next_manager_opening(now)

        def decide(session):
            current = session.get(Conversation, conversation.id)
            if own is not _UNKNOWN:
                current.own_manager = own
            if within or current.state in ("queued", "human"):
                queued = queue.enqueue(session, conversation.id, request.reason,
                                       request.priority, now, request.summary)
                # A present manager takes it at once when one is free (same transaction).
                return queued, self._assign_in(session, now)
            return queue.file_callback(session, conversation.id, request.reason,
                                       request.priority, now, due, request.summary), []

        outcome, assigned = await self.pool.write(decide)
        self.outbox.changed(conversation.id)
        emergency = request.reason == "emergency"
        if isinstance(outcome, queue.Ticket):
            text = messages.out_of_hours(
                describe_wait_until(now, due), outcome.reference, call_center_open(now),
                describe_wait_until(now, next_call_center_opening(now)), emergency)
            return await self.outbox.say(conversation, "system", [{"text": text}])
        if outcome.conversation.state == "human":
            return []  # a manager is already talking with the member
        if not outcome.already_waiting:
            await self._rasa_best_effort("pause", self.rasa.pause(conversation.rasa_sender))
        wait = await self.estimate(conversation.id)
        text = (messages.still_queued(wait) if outcome.already_waiting
                else messages.queued(wait, emergency, call_center_open(now)))
        said = await self.outbox.say(outcome.conversation, "system", [{"text": text}])
        await self._greet(assigned)
        return said

    async def _own_manager(self, conversation: ConversationRef) -> Any:
        """The member's own health manager as the backends name them now (a username or
        None), or _UNKNOWN when there is no member or the backends did not answer (what
        the conversation last heard is kept)."""
        if self.members is None:
            return _UNKNOWN
        member_id = conversation.member_id or await self.pool.read(
            lambda s: getattr(s.get(Conversation, conversation.id), "member_id", None))
        if member_id is None:
            return _UNKNOWN
        try:
            username, answered = await asyncio.wait_for(
                self.members.health_manager(member_id), OWN_MANAGER_TIMEOUT)
        except asyncio.TimeoutError:
            logger.warning("the backends did not name member %s's manager in time", member_id)
            return _UNKNOWN
        return username if answered else _UNKNOWN

    @staticmethod
    def _assign_in(session, now) -> list:
        """Waiting conversations claimed for present managers (queue.assignments)."""
        made = []
        for pick in queue.assignments(session):
            taken = queue.claim(session, pick.conversation_id, pick.manager_id, now)
            pending.hand_to_manager(session, pick.conversation_id)
            made.append((taken, pick))
        return made

    async def assign(self) -> int:
        """Waiting conversations to present managers: each is claimed for the manager,
        who greets the member. How many were assigned."""
        now = self.clock.now()
        made = await self.pool.write(lambda session: self._assign_in(session, now))
        await self._greet(made)
        return len(made)

    async def _greet(self, made: list) -> None:
        for conversation, pick in made:
            logger.info("conversation %s assigned to manager %s%s", conversation.id,
                        pick.manager_id, " (their own member)" if pick.own else "")
            await self._taken(conversation, Actor(pick.manager_id, pick.username,
                                                  pick.display_name),
                              messages.manager_joined(pick.display_name))

    async def set_presence(self, actor: Actor, presence: str) -> None:
        """接待中 / 小休 / 离线; a manager who becomes available takes waiting members."""
        if presence not in PRESENCES:
            raise queue.QueueConflict("presence_invalid")
        now = self.clock.now()

        def write(session):
            user = session.get(User, actor.id)
            user.presence, user.presence_at = presence, now

        await self.pool.write(write)
        self.outbox.hub.publish("queue", {"type": "queue"})
        if presence == "available":
            await self.assign()

    async def transfer(self, conversation_id: int, actor: Actor, to_user_id: int,
                       note: str = "") -> ConversationRef:
        """To a colleague with a note (internal); the member is told who serves them now."""
        now = self.clock.now()
        conversation, colleague = await self.pool.write(lambda s: queue.transfer(
            s, conversation_id, actor.id, actor.is_admin, to_user_id, note.strip()[:500], now))
        self.outbox.changed(conversation_id)
        await self.outbox.say(conversation, "manager",
                              [{"text": messages.transferred_to(colleague.display_name)}],
                              colleague.id)
        return conversation

    async def while_queued(self, conversation: ConversationRef, text: str,
                           asks_for_a_person: bool = False) -> List[OutgoingMessage]:
        """A member's message while waiting for a manager: never silence. A question
        about the wait (还要等多久, 人呢) and, after an emergency or a crisis, a question
        about what to do (我该怎么办) are always answered; anything else is acknowledged
        at most once every ACK_INTERVAL (the member is not flooded)."""
        now = self.clock.now()

        def read(session):
            handoff = queue.active_handoff(session, conversation.id)
            return (handoff.reason if handoff is not None else None,
                    store.last_outbound_at(session, conversation.id))

        reason, last_told = await self.pool.read(read)
        asked_wait = asks_for_a_person or messages.asks_about_wait(text)
        urgent_question = reason in URGENT_REASONS and messages.asks_what_to_do(text)
        if (not asked_wait and not urgent_question and last_told is not None
                and now - last_told < ACK_INTERVAL):
            return []
        wait = await self.estimate(conversation.id)
        reply = messages.while_queued(wait, reason, asked_wait, call_center_open(now))
        return await self.outbox.say(conversation, "system", [{"text": reply}])

    async def sweep_unclaimed(self) -> int:
        """Members nobody claimed in time are told so honestly, get a callback ticket
        (the conversation stays claimable) and the phone line; 120 again after an
        emergency. Once per handoff, whichever replica sweeps first. How many told."""
        now = self.clock.now()
        late = await self.pool.read(
            lambda s: queue.overdue(s, now, UNCLAIMED_AFTER, URGENT_UNCLAIMED_AFTER))
        due = now if managers_open(now) else next_manager_opening(now)
        told = 0
        for conversation_id in late:
            def file(session, conversation_id=conversation_id):
                ticket = queue.file_unclaimed_callback(session, conversation_id, now, due)
                current = session.get(Conversation, conversation_id)
                return ticket, store.ref(current), current.handoff_reason, current.queued_at

            ticket, conversation, reason, queued_at = await self.pool.write(file)
            if ticket is None:
                continue
            self.outbox.changed(conversation_id)
            text = messages.unclaimed(
                queue.waited_minutes(queued_at, now), ticket.reference, reason,
                None if managers_open(now) else describe_wait_until(now, due),
                call_center_open(now))
            await self.outbox.say(conversation, "system", [{"text": text}])
            told += 1
        return told

    async def sweep_quiet(self) -> int:
        """Conversations a manager has that went quiet (QUIET_AFTER, the member's last
        question answered) return to the bot; the member is told and asked how it went.
        Never an emergency or a crisis, never with a question left open (the manager's
        queue shows those waiting). How many returned."""
        now = self.clock.now()
        quiet = await self.pool.read(lambda s: queue.quiet(s, now, QUIET_AFTER))
        returned = 0
        for conversation_id in quiet:
            def release(session, conversation_id=conversation_id):
                current = session.get(Conversation, conversation_id)
                if (current is None or current.state != "human"
                        or conversation_id not in queue.quiet(session, now, QUIET_AFTER)):
                    return None, False      # a message or a manager came meanwhile
                served = queue.active_handoff(session, conversation_id)
                released = queue.release(session, conversation_id, current.owner_id, True,
                                         now, "handed_back")
                return released, satisfaction.ask(session, served, now)

            conversation, survey = await self.pool.write(release)
            if conversation is None:
                continue
            self.outbox.changed(conversation_id)
            await self._rasa_best_effort("resume", self.rasa.resume(conversation.rasa_sender))
            await self.outbox.say(conversation, "system",
                                  [{"text": messages.returned_when_quiet()}])
            if survey:
                await self._ask_satisfaction(conversation)
            returned += 1
        return returned

    async def sweep(self) -> None:
        """The gateway's minute: waiting members assigned to present managers, the
        unclaimed told, quiet conversations returned."""
        await self.assign()
        await self.sweep_unclaimed()
        await self.sweep_quiet()

    async def claim(self, conversation_id: int, actor: Actor) -> ConversationRef:
        """Raises queue.QueueConflict when another manager was first."""
        now = self.clock.now()
        def take(session) -> ConversationRef:
            taken = queue.claim(session, conversation_id, actor.id, now)
            pending.hand_to_manager(session, conversation_id)
            return taken

        conversation = await self.pool.write(take)
        await self._taken(conversation, actor, messages.manager_joined(actor.display_name))
        return conversation

    async def claim_ticket(self, ticket_id: int, actor: Actor) -> ConversationRef:
        now = self.clock.now()
        def take(session) -> ConversationRef:
            taken = queue.claim_ticket(session, ticket_id, actor.id, now)
            pending.hand_to_manager(session, taken.id)
            return taken

        conversation = await self.pool.write(take)
        await self._taken(conversation, actor, messages.manager_calls_back(actor.display_name))
        return conversation

    async def _taken(self, conversation: ConversationRef, actor: Actor, greeting: str) -> None:
        self.outbox.changed(conversation.id)
        # Paused at enqueue already; again for a callback, or if Rasa was down then.
        await self._rasa_best_effort("pause", self.rasa.pause(conversation.rasa_sender))
        await self.outbox.say(conversation, "manager", [{"text": greeting}], actor.id)

    async def reply(self, conversation_id: int, actor: Actor, text: str) -> List[OutgoingMessage]:
        """A manager's message to the member, through the member's channel. Only the
        owner may write; the bot's tracker gets it too, for context after hand back."""
        now = self.clock.now()

        def write(session):
            current = queue.require_owner(session, conversation_id, actor.id)
            return current, store.record_replies(session, conversation_id, "manager",
                                                 [{"text": text}], now, actor.id)

        conversation, sent = await self.pool.write(write)
        await self.outbox.deliver(conversation, sent)
        await self._rasa_best_effort("append manager reply", self.rasa.append(
            conversation.rasa_sender,
            [{"event": "bot", "text": text, "metadata": {"manager": actor.username}}]))
        return sent

    async def hand_back(self, conversation_id: int, actor: Actor,
                        reason: str = "") -> ConversationRef:
        """Back to the bot, which resumes and tells the member a manager handled it, or,
        when the member's last message went unanswered, the gateway says so plainly."""
        now = self.clock.now()

        def release(session):
            left_unanswered = queue.unanswered(session, conversation_id)
            served = queue.active_handoff(session, conversation_id)
            released = queue.release(session, conversation_id, actor.id, actor.is_admin, now,
                                     "handed_back", reason)
            return left_unanswered, released, satisfaction.ask(session, served, now)

        left_unanswered, conversation, survey = await self.pool.write(release)
        self.outbox.changed(conversation_id)
        bot_messages = await self._rasa_best_effort(
            "hand back", self.rasa.hand_back(conversation.rasa_sender))
        texts, _ = split_replies(bot_messages or [])
        if left_unanswered:
            await self.outbox.say(conversation, "system",
                                  [{"text": messages.handed_back_unanswered()}])
        elif texts:
            await self.outbox.say(conversation, "bot", texts)
        else:
            await self.outbox.say(conversation, "system",
                                  [{"text": messages.handed_back_fallback()}])
        if survey:
            await self._ask_satisfaction(conversation)
        await self.assign()          # the manager has room for the next member
        return conversation

    async def _ask_satisfaction(self, conversation: ConversationRef) -> None:
        buttons = [{"title": f"{rating} {label}", "payload": str(rating)}
                   for rating, label in satisfaction.RATINGS.items()]
        await self.outbox.say(conversation, "system",
                              [{"text": messages.survey_question(), "buttons": buttons}])

    async def close(self, conversation_id: int, actor: Actor,
                    reason: str = "") -> ConversationRef:
        """End the conversation; the member's next message starts with the bot again."""
        now = self.clock.now()
        def release(session):
            served = queue.active_handoff(session, conversation_id)
            released = queue.release(session, conversation_id, actor.id, actor.is_admin, now,
                                     "closed", reason)
            return released, satisfaction.ask(session, served, now)

        conversation, survey = await self.pool.write(release)
        self.outbox.changed(conversation_id)
        await self._rasa_best_effort("resume", self.rasa.resume(conversation.rasa_sender))
        await self.outbox.say(conversation, "system", [{"text": messages.conversation_closed()}])
        if survey:
            await self._ask_satisfaction(conversation)
        await self.assign()
        return conversation
