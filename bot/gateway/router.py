"""Where a member message goes: stored first (never dropped), then to Rasa's REST channel
while the bot has the conversation, or to the manager who has it (Rasa paused; the
message still reaches its tracker for context). Replies leave through the outbox.
The router is the channels' inbox (channels/base.py: receive, accept and route, forget).

Rasa down or slow (docs/gateway.md, "Faults"): after NOTICE_AFTER_SECONDS without an
answer the member is told, once per episode, that the message is kept (in the managers'
hours the conversation is offered to them, reason backend_failure, 系统故障), while the
call goes on up to the client's timeout. A message Rasa did not answer stays `pending`
and is sent again, in arrival order per conversation, by `catch_up` (bot/gateway/
pending.py runs it once Rasa answers again); Rasa's tracker is asked first whether it
already has the message, so none is processed twice. An emergency typed meanwhile gets
the 120 instruction from the gateway itself (bot/redflags.py)."""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Any, Awaitable, Dict, List, Optional, Set, Tuple

from bot import redflags
from bot.clock import Clock, call_center_open, managers_open
from bot.db import DatabasePool
from bot.gateway import messages, pending, store
from bot.gateway.handoff import HandoffRequest, Handoffs, split_replies
from bot.gateway.locks import KeyedLocks
from bot.gateway.members import Members
from bot.gateway.outbox import Outbox
from bot.gateway.rasa import RasaClient, RasaUnavailable, Turn, Understanding
from bot.gateway.tasks import Tasks
from bot.gateway.types import (
    ConversationRef,
    MemberMessage,
    OutgoingMessage,
    Receipt,
    StoredMessage,
)
from bot.rasa_once import RESEND

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
# How long the member waits for the bot before hearing that the message is kept (the
# issue promises 5 s); the call itself goes on up to the client's timeout.
NOTICE_AFTER_SECONDS = 4.0
SYSTEM_FAULT = "backend_failure"  # the handoff reason (系统故障) when Rasa is away
EMERGENCY_PRIORITY = 3  # as the bot's own emergency handoff (actions/handoff.py)


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
                 handoffs: Handoffs, members: Members, tasks: Tasks,
                 notice_after: float = NOTICE_AFTER_SECONDS) -> None:
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
        self.notice_after = notice_after
        # Rasa's last call failed or was slow: an emergency is answered before asking it.
        self.rasa_away = False
        self._told: Set[int] = set()  # conversations told "kept" in this episode
        self._behind: Set[int] = set()  # conversations with pending messages (known here)

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
            return await self._route(StoredMessage(current, stored.message_id, False, offered,
                                                   stored.survey_rating), message)

    async def _route(self, stored: StoredMessage, message: MemberMessage) -> Receipt:
        receipt = Receipt(stored.conversation, stored.message_id, stored.duplicate)
        # Who the member is, asked of the backends while the bot thinks (written with
        # the answer): the first time a conversation is seen, and for a guest now and
        # then.
        member = self._identify(stored.conversation)
        conversation = stored.conversation
        if stored.survey_rating is not None and not conversation.paused:
            # The answer to a satisfaction survey (recorded as it was stored) is the
            # gateway's to thank for, whatever the bot's state; never the bot's.
            receipt.replies = await self._answer(
                stored, "survey", None, "system",
                [{"text": messages.survey_thanks(stored.survey_rating)}], member) or []
            return receipt
        fault_queued = await self._fault_queued(conversation)
        if conversation.paused and not fault_queued:
            receipt.replies = await self._hold(stored, message, member)
        elif conversation.id in self._behind or fault_queued:
            emergency = self._emergency(message)
            said: List[OutgoingMessage] = []
            if emergency and self.rasa_away:  # not after the earlier messages' turns
                said = await self._say_first(conversation, emergency)
            if not await self._catch_up(conversation.id):
                # Earlier messages still wait for Rasa: this one waits behind them.
                if emergency and not said:
                    said = await self._say_first(conversation, emergency)
                receipt.replies = said + await self._kept(stored, message, member, bool(emergency))
                return receipt
            current = await self.pool.read(lambda s: store.conversation(s, conversation.id))
            if current is not None and self._offered_for_fault(current):
                await self._recovered(current)
                current = await self.pool.read(
                    lambda s: store.conversation(s, conversation.id))
            stored = dataclasses.replace(stored, conversation=current or conversation)
            receipt.replies = said + await self._ask_bot(stored, message, member)
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
                      linked: Optional[int] = None, expect: Optional[str] = None
                      ) -> Optional[List[OutgoingMessage]]:
        """One transaction for the answer: where the message went and what the bot
        understood of it, the member if just learnt, the replies. Then the member's
        message reaches the console before the answer to it, and the replies leave.
        With `expect`, only while the message is still routed so: None when it was not
        (another replica answered it)."""
        member_id = await self._member_id(stored.conversation, member, linked)
        now = self.clock.now()
        recorded = await self.pool.write(
            lambda s: store.record_turn(s, stored.message_id, routed_to, understanding,
                                        author, replies, now, member_id, expect))
        return None if recorded is None else await self._publish(stored.conversation,
                                                                 recorded)

    async def _member_id(self, conversation: ConversationRef,
                         member: Optional[Awaitable[Optional[int]]],
                         linked: Optional[int] = None) -> Optional[int]:
        member_id = await member if member is not None else None
        if linked is not None and linked != conversation.member_id:
            self._unbound.pop(conversation.id, None)
            member_id = linked
        return member_id

    async def _publish(self, conversation: ConversationRef,
                       turn: Tuple[Dict[str, Any], List[OutgoingMessage]]
                       ) -> List[OutgoingMessage]:
        view, sent = turn
        self.outbox.member_message(conversation, view)
        if sent:
            await self.outbox.deliver(conversation, sent)
        return sent

    async def _ask_bot(self, stored: StoredMessage, message: MemberMessage,
                       member: Optional[Awaitable[Optional[int]]]) -> List[OutgoingMessage]:
        conversation = stored.conversation
        emergency = self._emergency(message)
        said: List[OutgoingMessage] = []
        if emergency and self.rasa_away:
            said += await self._say_first(conversation, emergency)
        # One call: the replies and what the bot understood (bot/rasa_channel.py).
        call = asyncio.ensure_future(self.rasa.send(
            conversation.rasa_sender, self._rasa_text(stored, message),
            self._metadata(conversation, stored, message)))
        try:
            try:
                turn = await asyncio.wait_for(asyncio.shield(call), self.notice_after)
            except asyncio.TimeoutError:
                # Slow or frozen: the member hears now that the message is kept, and the
                # call goes on (an answer that comes late is still the answer).
                self.rasa_away = True
                if emergency and not said:
                    said += await self._say_first(conversation, emergency)
                said += await self._tell_kept(conversation, bool(emergency))
                turn = await call
        except RasaUnavailable:
            self.rasa_away = True
            if emergency and not said:
                said += await self._say_first(conversation, emergency)
            return said + await self._kept(stored, message, member, bool(emergency))
        except asyncio.CancelledError:
            call.cancel()
            raise
        return said + await self._answered(stored, turn, member)

    async def _answered(self, stored: StoredMessage, turn: Turn,
                        member: Optional[Awaitable[Optional[int]]],
                        if_pending: bool = False) -> List[OutgoingMessage]:
        """The bot's turn recorded and delivered, then its handoff if it asked for one.
        `if_pending`: only if the message is still pending (another replica's catch-up
        may have answered it)."""
        self.rasa_away = False
        conversation = stored.conversation
        if conversation.id in self._told:
            await self._recovered(conversation)
        texts, handoff = split_replies(turn.replies)
        # The bot's own words first (the 120 instruction always leads), then the handoff.
        sent = await self._answer(stored, "bot", turn.understanding, "bot", texts, member,
                                  linked_member(turn.replies),
                                  pending.PENDING if if_pending else None)
        if sent is None:
            logger.info("a kept message was answered by another replica's catch-up")
            return []
        if handoff is not None:
            sent += await self.handoffs.request(conversation, handoff)
        return sent

    @staticmethod
    def _offered_for_fault(conversation: ConversationRef) -> bool:
        return conversation.state == "queued" and conversation.handoff_reason == SYSTEM_FAULT

    async def _fault_queued(self, conversation: ConversationRef) -> bool:
        """Waiting for a manager only because Rasa was away: still the bot's to answer,
        its messages wait for Rasa, until a manager takes it. Offered by this process in
        this episode, or by another replica: then its messages are still pending (the
        actions' own backend_failure handoffs come with a turn Rasa answered, and stay
        the manager's)."""
        if not self._offered_for_fault(conversation):
            return False
        if conversation.id in self._told:
            return True
        return await self.pool.read(lambda s: pending.has_pending(s, conversation.id))

    def _emergency(self, message: MemberMessage) -> Optional[redflags.RedFlag]:
        """Typed text describing an emergency (a pressed button or menu never does)."""
        if message.intent or message.payload:
            return None
        return redflags.detect(message.text)

    async def _say_first(self, conversation: ConversationRef,
                         flag: redflags.RedFlag) -> List[OutgoingMessage]:
        """The gateway's own first words on an emergency, as the bot's: the crisis lines
        for self-harm, otherwise 120."""
        return await self._say(conversation, messages.emergency_first(flag.self_harm))

    async def _say(self, conversation: ConversationRef, text: str) -> List[OutgoingMessage]:
        return await self.outbox.say(conversation, "system", [{"text": text}])

    async def _kept(self, stored: StoredMessage, message: MemberMessage,
                    member: Optional[Awaitable[Optional[int]]],
                    emergency: bool = False) -> List[OutgoingMessage]:
        """Rasa did not answer: the message stays `pending` for `catch_up`; the member
        is told once per episode (in the same transaction when not told yet)."""
        conversation = stored.conversation
        first = conversation.id not in self._told
        notice = [{"text": self._kept_text(emergency)}] if first else []
        member_id = await self._member_id(conversation, member)
        now = self.clock.now()
        turn = await self.pool.write(
            lambda s: pending.keep(s, stored.message_id, notice, now, member_id))
        sent = await self._publish(conversation, turn)
        if turn[0]["routed_to"] != pending.PENDING:  # a manager took it meanwhile
            return sent
        self._behind.add(conversation.id)
        self._told.add(conversation.id)
        if first or emergency:
            sent += await self._offer_manager(conversation, emergency)
        return sent

    async def _tell_kept(self, conversation: ConversationRef,
                         emergency: bool) -> List[OutgoingMessage]:
        said: List[OutgoingMessage] = []
        if conversation.id not in self._told:
            self._told.add(conversation.id)
            said = await self._say(conversation, self._kept_text(emergency))
        elif not emergency:
            return []
        return said + await self._offer_manager(conversation, emergency)

    def _kept_text(self, emergency: bool) -> str:
        now = self.clock.now()
        return messages.bot_unavailable(call_center_open(now),
                                        managers_open(now) or emergency)

    async def _offer_manager(self, conversation: ConversationRef,
                             emergency: bool) -> List[OutgoingMessage]:
        """In the managers' hours (or for an emergency) the conversation goes to them."""
        if emergency:
            return await self.handoffs.request(
                conversation, HandoffRequest("emergency", EMERGENCY_PRIORITY))
        if not managers_open(self.clock.now()):
            return []
        return await self.handoffs.request(conversation, HandoffRequest(SYSTEM_FAULT, 1))

    async def _recovered(self, conversation: ConversationRef) -> None:
        """Rasa answers this conversation again: the episode ends, and a system-fault
        handoff no manager has taken yet is withdrawn (the bot has the member again)."""
        self._told.discard(conversation.id)
        now = self.clock.now()
        withdrawn = await self.pool.write(
            lambda s: pending.withdraw_fault_handoff(s, conversation.id, SYSTEM_FAULT, now))
        if withdrawn:
            self.outbox.changed(conversation.id)
            try:
                await self.rasa.resume(conversation.rasa_sender)
            except RasaUnavailable as error:
                logger.warning("could not resume %s: %s", conversation.rasa_sender, error)

    async def retry(self, conversation_id: int) -> bool:
        """Send again what Rasa did not answer in this conversation, in arrival order;
        False when Rasa is still away (bot/gateway/pending.py calls it)."""
        current = await self.pool.read(lambda s: store.conversation(s, conversation_id))
        if current is None:
            return True
        async with self._lock((current.channel, current.external_id)):
            return await self._catch_up(conversation_id)

    async def _catch_up(self, conversation_id: int) -> bool:
        """Under the conversation's lock: each pending message, oldest first, answered
        from Rasa's tracker when Rasa did receive it, otherwise sent again."""
        while True:
            found = await self.pool.read(lambda s: pending.oldest(s, conversation_id))
            if found is None:
                self._behind.discard(conversation_id)
                return True
            conversation, row = found
            message = MemberMessage(conversation.channel, conversation.external_id, row.text,
                                    row.channel_message_id)
            stored = StoredMessage(conversation, row.id, False)
            try:
                # Did Rasa receive it before its answer was lost? Then it is not sent again.
                turn = await self.rasa.answered(
                    conversation.rasa_sender,
                    self._metadata(conversation, stored, message)["message_id"])
                # Rasa answers again: a handoff made because it was away (by this
                # replica or another) is withdrawn, the bot has the member again.
                if conversation.id in self._told or self._offered_for_fault(conversation):
                    await self._recovered(conversation)
                    conversation = await self.pool.read(
                        lambda s: store.conversation(s, conversation_id)) or conversation
                    stored = StoredMessage(conversation, row.id, False)
                if turn is None and not conversation.paused:
                    # Marked as sent again: Rasa answers it from its tracker if it was
                    # handled meanwhile (another replica, a late call; bot/rasa_once.py).
                    turn = await self.rasa.send(
                        conversation.rasa_sender, self._rasa_text(stored, message),
                        {**self._metadata(conversation, stored, message), RESEND: True})
            except RasaUnavailable:
                self.rasa_away = True
                self._behind.add(conversation_id)
                return False
            if turn is not None:
                # Once, whichever replica's catch-up got the answer first.
                await self._answered(stored, turn, None, if_pending=True)
            else:  # a manager has it now: held for them, with the bot's context
                await self._hold(stored, message, None)

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
        emergency = self._emergency(message) if parse is None else None
        if emergency is not None:
            # Rasa cannot say it: the gateway's own 120 instruction, then the manager.
            said = await self._say_first(conversation, emergency)
            await self._answer(stored, "manager", None, "system", [], member)
            return said + await self.handoffs.request(
                conversation, HandoffRequest("emergency", EMERGENCY_PRIORITY))
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
        if conversation.state != "queued":
            return []       # a manager has the conversation: they answer
        # Never a silent queue: acknowledged, the wait said again when asked (还要等多久？
        # 人呢？找人工), 120 repeated after an emergency.
        asks = understanding is not None and understanding.intent == REQUEST_HUMAN_INTENT
        return await self.handoffs.while_queued(conversation, message.text or "", asks)

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
        """Delete what the gateway holds of this channel identity now, and mark it
        departed so no service notice reaches it (store.mark_departed); then, in the
        background, the bot's memory of the conversation and the policy link."""
        now = self.clock.now()

        def purge(session) -> Optional[str]:
            found = store.find_conversation(session, channel, external_id)
            store.purge_member(session, channel, external_id)
            store.mark_departed(session, channel, external_id, now)
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
