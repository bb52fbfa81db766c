"""WeChat events that are not member messages, once the callback verified them: a follow
(recorded; a welcome in the window it opens; notices may reach the member again), an
unfollow (the member is forgotten: WeChat's rules say that user's information must be
deleted; and no notice reaches them any more), a QR scan (opens a short
window), a menu link opened (nothing stored), and the rest recorded once per key.
Menu clicks are messages (intake.py)."""
from __future__ import annotations

import logging

from bot.clock import Clock
from bot.db import DatabasePool
from bot.gateway import messages, store
from bot.gateway.channels.base import Inbox
from bot.gateway.channels.wechat.protocol import Inbound
from bot.gateway.channels.wechat.sender import Sender
from bot.gateway.channels.wechat.settings import CHANNEL
from bot.gateway.outbox import Outbox
from bot.gateway.tasks import Tasks
from bot.gateway.types import ConversationRef

logger = logging.getLogger(__name__)

# Fields that say who and when, not what: left out of recorded event details.
ENVELOPE_FIELDS = {"ToUserName", "FromUserName", "CreateTime", "MsgType", "Event", "EventKey"}
# Events that are only recorded (no reply): WeChat opens no window for them, or they
# are delivery reports.
RECORDED_EVENTS = {"scan", "location", "templatesendjobfinish", "subscribe_msg_popup_event"}


class Events:
    def __init__(self, inbox: Inbox, pool: DatabasePool, clock: Clock, outbox: Outbox,
                 tasks: Tasks, sender: Sender) -> None:
        self.inbox = inbox
        self.pool = pool
        self.clock = clock
        self.outbox = outbox
        self.tasks = tasks
        self.sender = sender

    async def accept(self, inbound: Inbound) -> None:
        """Record the event once (before `success`); queue what it asks for."""
        event = inbound.event or "unknown"
        openid = inbound.openid
        now = self.clock.now()
        key = inbound.dedup_key()
        if event == "view":
            logger.info("wechat VIEW event (menu link opened); no window, nothing stored")
            return
        if event == "unsubscribe":
            # Forgotten first, then the retry key recorded (hashed, without the openid):
            # a retry after a failure in between forgets again, which is harmless.
            await self.inbox.forget(CHANNEL, openid)
            await self.pool.write(lambda s: store.record_channel_event(
                s, CHANNEL, key, None, event, None, None, now))
            return
        detail = {k: v for k, v in inbound.fields.items() if k not in ENVELOPE_FIELDS}
        if inbound.scene is not None:
            detail["scene"] = inbound.scene
        follows = event in ("subscribe", "subscribe_scan")

        def record(session) -> bool:
            if follows:  # a follower again: service notices may reach them again
                store.returned(session, CHANNEL, openid)
            return store.record_channel_event(session, CHANNEL, key, openid, event,
                                              inbound.event_key or None, detail or None, now)

        new = await self.pool.write(record)
        if not new:
            logger.info("wechat %s event retried: already recorded", event)
            return
        logger.info("wechat %s event recorded", event)
        if follows:
            self.tasks.background(self._welcome(openid), "wechat welcome")
        elif event == "scan":
            # A follower scanned a QR code: 1 minute with 3 messages, nothing to say.
            self.tasks.background(self._open(openid, "scan"), "wechat scan")
        elif event not in RECORDED_EVENTS:
            logger.info("wechat event %s recorded; no handling defined", event)

    async def _open(self, openid: str, action: str) -> ConversationRef:
        now = self.clock.now()
        conversation = await self.pool.write(lambda s: store.ref(
            store.get_or_create_conversation(s, CHANNEL, openid, now)))
        await self.sender.member_acted(conversation.id, openid, action)
        return conversation

    async def _welcome(self, openid: str) -> None:
        """A follow opens 1 minute with 3 messages: the welcome takes one."""
        conversation = await self._open(openid, "subscribe")
        await self.outbox.say(conversation, "system", [{"text": messages.welcome()}])
