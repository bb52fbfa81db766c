"""Where a member message goes: stored first (never dropped), then to Rasa's REST channel
while the bot has the conversation, or to the manager who has it (Rasa paused; the
message still reaches its tracker for context). Replies leave through the outbox.
The router is the channels' inbox (channels/base.py: receive, accept and route, forget)."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Dict, List, Optional, Tuple

from bot.clock import Clock, call_center_open
from bot.db import DatabasePool
from bot.gateway import messages, store
from bot.gateway.handoff import HandoffRequest, Handoffs, split_replies
from bot.gateway.locks import KeyedLocks
from bot.gateway.members import Members
from bot.gateway.outbox import Outbox
from bot.gateway.rasa import RasaClient, RasaUnavailable, Understanding
from bot.gateway.tasks import Tasks
from bot.gateway.types import (
    ConversationRef,
    MemberMessage,
    OutgoingMessage,
    Receipt,
    StoredMessage,
)

logger = logging.getLogger(__name__)

EMERGENCY_INTENT = "report_emergency"
REQUEST_HUMAN_INTENT = "request_human"
# A chat identity the backends did not know is asked about again after this long (a
# guest may bind a policy later), not on every message.
UNBOUND_RECHECK_SECONDS = 600.0
MAX_UNBOUND = 10_000  # conversations remembered as bound to nobody (the oldest go first)
# The custom payload actions send when a chat identity was just linked to a policy
# (actions/link.py): {"member_linked": {"member_id": 12}}.
MEMBER_LINKED = "member_linked"


def linked_member(replies: List[Dict[str, Any]]) -> Optional[int]:
    for reply in replies:
        linked = (reply.get("custom") or {}).get(MEMBER_LINKED) if isinstance(
            reply.get("custom"), dict) else None
        if isinstance(linked, dict) and isinstance(linked.get("member_id"), int):
            return linked["member_id"]
    return None


def text_for_rasa(text: str) -> str:
    """Typed text is never a command: Rasa reads "/intent" as an intent, so a leading
    slash becomes a full-width one (only buttons the bot offered send payloads)."""
    stripped = text.lstrip()
    return "／" + stripped[1:] if stripped.startswith("/") else text


class Router:
    def __init__(self, pool: DatabasePool, clock: Clock, rasa: RasaClient, outbox: Outbox,
                 handoffs: Handoffs, members: Members, tasks: Tasks) -> None:
        self.pool = pool
        self.clock = clock
        self.rasa = rasa
        self.outbox = outbox
        self.handoffs = handoffs
        self.members = members
        self.tasks = tasks
        # One message at a time per conversation, in arrival order.
        self._lock = KeyedLocks()
        self._unbound: Dict[int, float] = {}  # conversation id -> when last asked

    async def receive(self, message: MemberMessage,
                      conversation: Optional[ConversationRef] = None) -> Receipt:
        """Store the message, then route it (the web chat waits for both); the
        conversation the channel already knows is not looked up again."""
        lock = self._lock((message.channel, message.external_id))
        async with lock:
            stored = await self.accept(message, conversation)
            if stored.duplicate:
                return Receipt(stored.conversation, stored.message_id, True)
            return await self._route(stored, message)

    async def accept(self, message: MemberMessage,
                     conversation: Optional[ConversationRef] = None) -> StoredMessage:
        """Store a member message durably (or find the retried one): a channel that
        must answer within a deadline (WeChat: 5 s) answers after this, then calls
        `route` in the background. A pressed button's payload is checked in the same
        transaction."""
        now = self.clock.now()
        known = conversation.id if conversation is not None else None
        return await self.pool.write(lambda s: store.record_member_message(
            s, message.channel, message.external_id, message.text, message.message_id, now,
            known, message.payload))

    async def route(self, stored: StoredMessage, message: MemberMessage) -> Receipt:
        """Route a message stored by `accept`, in arrival order per member; the
        conversation's state is read again (an earlier message may have changed it),
        with the payload a channel found meanwhile (a WeChat digit) in the same read."""
        def read(session) -> Tuple[Optional[ConversationRef], bool]:
            current = store.conversation(session, stored.conversation.id)
            offered = (current is not None and message.payload is not None
                       and store.offered_payload(session, current.id, message.payload))
            return current, offered

        lock = self._lock((message.channel, message.external_id))
        async with lock:
            current, offered = await self.pool.read(read)
            if current is None:  # purged meanwhile (WeChat unsubscribe)
                return Receipt(stored.conversation, stored.message_id)
            return await self._route(StoredMessage(current, stored.message_id, False, offered),
                                     message)

    async def _route(self, stored: StoredMessage, message: MemberMessage) -> Receipt:
        receipt = Receipt(stored.conversation, stored.message_id, stored.duplicate)
        # Who the member is, asked of the backends while the bot thinks (written with
        # the answer): the first time a conversation is seen, and for a guest now and
        # then.
        member = self._identify(stored.conversation)
        if stored.conversation.paused:
            receipt.replies = await self._hold(stored, message, member)
        else:
            receipt.replies = await self._ask_bot(stored, message, member)
        return receipt

    def _identify(self, conversation: ConversationRef) -> Optional[asyncio.Future]:
        """The backends' member of a conversation not yet bound to one, being looked up;
        None when there is nothing to ask."""
        if conversation.member_id is not None:
            return None
        asked = self._unbound.get(conversation.id)
        if asked is not None and time.monotonic() - asked < UNBOUND_RECHECK_SECONDS:
            return None
        return asyncio.ensure_future(self._look_up(conversation))

    async def _look_up(self, conversation: ConversationRef) -> Optional[int]:
        member_id, answered = await self.members.identify(conversation.channel,
                                                          conversation.external_id)
        self._unbound.pop(conversation.id, None)
        if member_id is None and answered:
            self._unbound[conversation.id] = time.monotonic()
            while len(self._unbound) > MAX_UNBOUND:  # the oldest first: memory stays flat
                del self._unbound[next(iter(self._unbound))]
        return member_id

    def _metadata(self, conversation: ConversationRef, stored: StoredMessage,
                  message: MemberMessage) -> Dict[str, Any]:
        return {**message.metadata, "channel": conversation.channel,
                "member": conversation.external_id,
                "message_id": message.message_id or f"gw-{stored.message_id}"}

    @staticmethod
    def _rasa_text(stored: StoredMessage, message: MemberMessage) -> str:
        if message.intent:
            return f"/{message.intent}"
        if message.payload and stored.payload_offered:
            return message.payload
        return text_for_rasa(message.text)

    async def _answer(self, stored: StoredMessage, routed_to: str,
                      understanding: Optional[Understanding], author: str,
                      replies: List[Dict[str, Any]], member: Optional[Awaitable[Optional[int]]],
                      linked: Optional[int] = None) -> List[OutgoingMessage]:
        """One transaction for the answer: where the message went and what the bot
        understood of it, the member if just learnt, the replies. Then the member's
        message reaches the console before the answer to it, and the replies leave."""
        conversation = stored.conversation
        member_id = await member if member is not None else None
        if linked is not None and linked != conversation.member_id:
            self._unbound.pop(conversation.id, None)
            member_id = linked
        now = self.clock.now()
        view, sent = await self.pool.write(lambda s: store.record_turn(
            s, stored.message_id, routed_to, understanding, author, replies, now, member_id))
        self.outbox.member_message(conversation, view)
        if sent:
            await self.outbox.deliver(conversation, sent)
        return sent

    async def _ask_bot(self, stored: StoredMessage, message: MemberMessage,
                       member: Optional[Awaitable[Optional[int]]]) -> List[OutgoingMessage]:
        conversation = stored.conversation
        try:
            # One call: the replies and what the bot understood (bot/rasa_channel.py).
            turn = await self.rasa.send(conversation.rasa_sender,
                                        self._rasa_text(stored, message),
                                        self._metadata(conversation, stored, message))
        except RasaUnavailable:
            apology = messages.bot_unavailable(call_center_open(self.clock.now()))
            return await self._answer(stored, "unrouted", None, "system", [{"text": apology}],
                                      member)
        texts, handoff = split_replies(turn.replies)
        # The bot's own words first (the 120 instruction always leads), then the handoff.
        sent = await self._answer(stored, "bot", turn.understanding, "bot", texts, member,
                                  linked_member(turn.replies))
        if handoff is not None:
            sent += await self.handoffs.request(conversation, handoff)
        return sent

    async def _hold(self, stored: StoredMessage, message: MemberMessage,
                    member: Optional[Awaitable[Optional[int]]]) -> List[OutgoingMessage]:
        """A person has (or is about to have) the conversation: the bot stays silent,
        except that an emergency always gets the bot's 120 instruction first."""
        conversation = stored.conversation
        text = f"/{message.intent}" if message.intent else text_for_rasa(message.text)
        parse: Optional[Dict[str, Any]] = None
        try:
            parse = await self.rasa.parse(text)
        except RasaUnavailable:
            pass
        if parse and (parse.get("intent") or {}).get("name") == EMERGENCY_INTENT:
            return await self._emergency_while_paused(stored, message, member)
        understanding = None
        if parse is not None:
            event = {"event": "user", "text": text, "parse_data": parse,
                     "input_channel": conversation.channel,
                     "metadata": self._metadata(conversation, stored, message)}
            try:
                tracker = await self.rasa.append(conversation.rasa_sender, [event])
                understanding = Understanding.from_parse(parse, tracker.get("slots") or {})
            except RasaUnavailable:
                understanding = Understanding.from_parse(parse, {})
        await self._answer(stored, "manager", understanding, "system", [], member)
        if (conversation.state == "queued" and understanding is not None
                and understanding.intent == REQUEST_HUMAN_INTENT):
            # "还要等多久？人呢？": still waiting, so say the place and the wait again.
            return await self.handoffs.request(conversation, HandoffRequest("request_human", 1))
        return []

    async def _emergency_while_paused(
            self, stored: StoredMessage, message: MemberMessage,
            member: Optional[Awaitable[Optional[int]]]) -> List[OutgoingMessage]:
        """Resume Rasa for this one message (its safety rule answers it and asks for an
        emergency handoff, which moves the conversation to the top), then pause again."""
        sender = stored.conversation.rasa_sender
        try:
            await self.rasa.resume(sender)
        except RasaUnavailable:
            pass  # _ask_bot apologises; the manager still sees the message
        try:
            return await self._ask_bot(stored, message, member)
        finally:
            try:
                await self.rasa.pause(sender)
            except RasaUnavailable as error:
                logger.warning("could not pause %s again: %s", sender, error)

    async def forget(self, channel: str, external_id: str) -> None:
        """Delete what the gateway holds of this channel identity now; then, in the
        background, the bot's memory of the conversation and the policy link."""
        def purge(session) -> Optional[str]:
            found = store.find_conversation(session, channel, external_id)
            store.purge_member(session, channel, external_id)
            return found.rasa_sender if found is not None else None

        sender = await self.pool.write(purge)
        self.tasks.background(self._forget_elsewhere(channel, external_id, sender),
                              f"{channel} member forgotten")

    async def _forget_elsewhere(self, channel: str, external_id: str,
                                sender: Optional[str]) -> None:
        if sender is not None:
            try:
                await self.rasa.forget(sender)
            except RasaUnavailable as error:
                logger.error("the bot's tracker of a purged %s member was not cleared (%s); "
                             "clear it by hand", channel, error)
        await self.members.unlink(channel, external_id)
        logger.info("%s member data purged", channel)
