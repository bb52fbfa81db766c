"""What a WeChat member's message (or menu click) does once the callback verified it.

Before `success` is answered: it is stored through the inbox (a retry is recognised and
dropped) and checked against the rate limits. After, in the background: the member's
action opens a reply window and what was held is released; a photo is downloaded; then
the message goes to the inbox's router (a digit answering the options just offered
becomes the option's payload; "typing" shows if the bot takes a while), unless it only
asked for the rest, was over a limit (kept for the managers, one notice) or cannot be
read by the bot (kept, the member asked to type)."""
from __future__ import annotations

import dataclasses
import logging
from typing import Any, Dict, Optional

from bot.clock import Clock
from bot.db import DatabasePool
from bot.gateway import messages, store
from bot.gateway.channels.base import Inbox
from bot.gateway.channels.wechat.downloads import MEDIA_KINDS, Downloads
from bot.gateway.channels.wechat.limits import LIMITED, MemberLimits
from bot.gateway.channels.wechat.outbound import chosen_option, is_release_request
from bot.gateway.channels.wechat.protocol import Inbound, recognition
from bot.gateway.channels.wechat.sender import Sender
from bot.gateway.channels.wechat.settings import CHANNEL, WeChatSettings
from bot.gateway.channels.wechat.typing_indicator import TypingIndicator
from bot.gateway.outbox import Outbox
from bot.gateway.tasks import Tasks
from bot.gateway.types import MemberMessage, StoredMessage

logger = logging.getLogger(__name__)


def _detail(inbound: Inbound) -> str:
    """What the transcript shows of a message the bot cannot read (the media itself is
    downloaded and shown to managers)."""
    f: Dict[str, Any] = inbound.fields
    if inbound.msg_type in MEDIA_KINDS:
        return f"MediaId={f.get('MediaId') or ''}"
    if inbound.msg_type == "location":
        return (f"{f.get('Label') or ''} ({f.get('Location_X')}, {f.get('Location_Y')})"
                .strip())
    if inbound.msg_type == "link":
        return f"{f.get('Title') or ''} {f.get('Url') or ''}".strip()
    return ""


class Intake:
    def __init__(self, inbox: Inbox, settings: WeChatSettings, pool: DatabasePool,
                 clock: Clock, outbox: Outbox, tasks: Tasks, sender: Sender,
                 limits: MemberLimits, downloads: Downloads,
                 typing: TypingIndicator) -> None:
        self.inbox = inbox
        self.settings = settings
        self.pool = pool
        self.clock = clock
        self.outbox = outbox
        self.tasks = tasks
        self.sender = sender
        self.limits = limits
        self.downloads = downloads
        self.typing = typing

    # ------------------------------------------------------- before `success`

    async def message(self, inbound: Inbound, address: str) -> None:
        kind = inbound.msg_type
        heard = recognition(inbound) if kind == "voice" else None
        if kind == "text":
            text = str(inbound.fields.get("Content") or "")
            readable = True
        elif heard is not None:
            text, readable = heard, True
        else:
            text, readable = messages.unreadable_label(kind, _detail(inbound)), False
        metadata: Dict[str, Any] = {"wechat_msg_type": kind}
        if inbound.fields.get("bizmsgmenuid"):
            metadata["bizmsgmenuid"] = str(inbound.fields["bizmsgmenuid"])
        message = MemberMessage(
            channel=CHANNEL, external_id=inbound.openid, text=text,
            message_id=inbound.dedup_key(), metadata=metadata)
        stored = await self.inbox.accept(message)
        if stored.duplicate:
            logger.info("wechat %s message retried: already stored", kind)
            return
        logger.info("wechat %s message stored as message %s", kind, stored.message_id)
        media_id = inbound.fields.get("MediaId") if kind in MEDIA_KINDS else None
        limited = self.limits.over(inbound.openid, address, text if readable else "")
        notice = limited and self.limits.notice_due(inbound.openid)
        self.tasks.background(self._after_message(stored, message, readable,
                                                  str(media_id) if media_id else None,
                                                  limited, notice),
                              "wechat message")

    async def click(self, inbound: Inbound, address: str) -> None:
        """A click menu tap: a message with the intent the menu key names."""
        intent = self.settings.menu_intents.get(inbound.event_key)
        if intent is None:
            logger.warning("wechat menu key %r has no intent (HM_WECHAT_MENU_INTENTS)",
                           inbound.event_key)
        message = MemberMessage(channel=CHANNEL, external_id=inbound.openid,
                                text=messages.menu_label(inbound.event_key),
                                message_id=inbound.dedup_key(), intent=intent,
                                metadata={"wechat_msg_type": "event", "event": "CLICK"})
        stored = await self.inbox.accept(message)
        if stored.duplicate:
            return
        limited = self.limits.over(inbound.openid, address, "")
        notice = limited and self.limits.notice_due(inbound.openid)
        self.tasks.background(self._after_click(stored, message, limited, notice),
                              "wechat menu click")

    # ------------------------------------------------------- after `success`

    async def _after_message(self, stored: StoredMessage, message: MemberMessage,
                             readable: bool, media_id: Optional[str], limited: bool = False,
                             notice: bool = False) -> None:
        """The member's message opened a window (48 h, 5 messages); what was held goes
        first; then the message's own handling (over the rate limit: kept for the
        managers, no bot turn)."""
        released = await self.sender.member_acted(stored.conversation.id,
                                                  message.external_id, "message")
        if media_id is not None:
            await self.downloads.keep(stored, message.metadata["wechat_msg_type"], media_id)
        if released and readable and is_release_request(message.text):
            view = await self.pool.write(
                lambda s: store.mark_routed(s, stored.message_id, "outbox"))
            self.outbox.member_message(stored.conversation, view)
            return
        if limited:
            await self._limited(stored, notice)
            return
        if not readable:
            await self._unreadable(stored, message.metadata["wechat_msg_type"])
            return
        message = await self._with_quick_reply(stored, message)
        await self._route(stored, message)

    async def _after_click(self, stored: StoredMessage, message: MemberMessage,
                           limited: bool = False, notice: bool = False) -> None:
        """A click menu tap opens 1 minute with 3 messages, then goes to the bot."""
        await self.sender.member_acted(stored.conversation.id, message.external_id, "click")
        if limited:
            await self._limited(stored, notice)
            return
        await self._route(stored, message)

    async def _with_quick_reply(self, stored: StoredMessage,
                                message: MemberMessage) -> MemberMessage:
        """A digit (or a msgmenu tap's option text) answers the options just offered."""
        options = await self.pool.read(
            lambda s: store.offered_buttons(s, stored.conversation.id, stored.message_id))
        if not options:
            return message
        menu_id = message.metadata.get("bizmsgmenuid")
        picked = chosen_option(menu_id if menu_id else message.text, options)
        if picked is None or not picked.get("payload"):
            return message
        return dataclasses.replace(message, payload=str(picked["payload"]))

    async def _route(self, stored: StoredMessage, message: MemberMessage) -> None:
        await self.typing.around(message.external_id,
                                 lambda: self.inbox.route(stored, message),
                                 show=not stored.conversation.paused)

    async def _limited(self, stored: StoredMessage, notice: bool) -> None:
        """Over the rate limit: the message stays stored and reaches the console
        (routed_to `limited`) but not the bot; while the bot has the conversation the
        member is told once per window (a person who has it sees the messages)."""
        view = await self.pool.write(
            lambda s: store.mark_routed(s, stored.message_id, LIMITED))
        conversation = await self.pool.read(
            lambda s: store.conversation(s, stored.conversation.id))
        if conversation is None:  # purged meanwhile (unsubscribe)
            return
        self.outbox.member_message(conversation, view)
        logger.info("wechat message %s over the rate limit: kept, no bot turn%s",
                    stored.message_id, " (member notified)" if notice else "")
        # Queued only because the bot was away (系统故障): nobody reads it yet, so told too.
        waiting_on_fault = (conversation.state == "queued"
                            and conversation.handoff_reason == "backend_failure")
        if notice and (not conversation.paused or waiting_on_fault):
            await self.outbox.say(conversation, "system", [{"text": messages.WECHAT_SLOW_DOWN}])

    async def _unreadable(self, stored: StoredMessage, kind: str) -> None:
        """Kept for the managers; while the bot has the conversation, the member is
        told it was kept and asked to type (a person who has it answers themselves)."""
        conversation = await self.pool.read(
            lambda s: store.conversation(s, stored.conversation.id))
        if conversation is None:
            return
        routed = "manager" if conversation.paused else "unrouted"
        view = await self.pool.write(
            lambda s: store.mark_routed(s, stored.message_id, routed))
        self.outbox.member_message(conversation, view)
        if not conversation.paused:
            await self.outbox.say(conversation, "system", [{"text": messages.unreadable(kind)}])
