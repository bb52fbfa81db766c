"""Replies to WeChat members through the customer-service API, within the window and
quota the member's last action opened (outbound.py), with the outbox for the rest.

Every reply is stored before it is sent (the outbox's `say`); here it becomes one or
more deliveries (packed, at most 2048 bytes each), and a drain sends what the window
allows: the last message allowed says when more waits (回复任意内容查看剩余内容), and
the member's next message releases it. Errors, as WeChat documents them (api.py):
retried with backoff (-1, 45011, nothing sent), held (45047, 45009 with an operator
alert), undeliverable and shown to managers (45015, 43004, 40003), uncertain (sent, no
answer: never resent)."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Optional, Sequence

from bot.clock import Clock
from bot.db import DatabasePool
from bot.gateway import messages, store
from bot.gateway.channels.wechat import deliveries
from bot.gateway.channels.wechat.api import WeChatApi, WeChatApiError
from bot.gateway.channels.wechat.outbound import (
    append_hint,
    fit_quota,
    pack_tagged,
    window_for,
    with_options,
)
from bot.gateway.channels.wechat.settings import CHANNEL
from bot.gateway.locks import KeyedLocks
from bot.gateway.types import OutgoingMessage

logger = logging.getLogger(__name__)


class Sender:
    def __init__(self, pool: DatabasePool, clock: Clock, api: Optional[WeChatApi],
                 retries: int = 3, backoff: float = 0.5,
                 changed: Callable[[int], None] = lambda conversation_id: None) -> None:
        self.pool = pool
        self.clock = clock
        self.api = api
        self.retries = retries
        self.backoff = backoff
        self.changed = changed  # tells the console a conversation's deliveries moved
        self._lock = KeyedLocks()  # one drain at a time per conversation

    async def opened(self, conversation_id: int, action: str) -> None:
        """A member action (message, menu click, follow, QR scan) opened a window."""
        now = self.clock.now()
        window = window_for(action, now)
        if window is None:
            return
        await self.pool.write(lambda s: deliveries.open_window(
            s, conversation_id, action, now, window.closes_at(), window.quota))

    async def send(self, conversation_id: int, openid: str,
                   replies: Sequence[OutgoingMessage], with_person: bool = False) -> None:
        """Queue stored replies for this member and send what the window allows.
        `with_person`: a manager has (or is about to have) the conversation, so more may
        follow without the member writing: the window's last message says how to get it."""
        items = [(m.id, with_options(m.text, [b.get("title", "") for b in m.buttons],
                                     messages.OPTIONS_PROMPT)) for m in replies]
        parts = pack_tagged([(i, text) for i, text in items if text.strip()])
        if not parts:
            return
        now = self.clock.now()
        await self.pool.write(lambda s: deliveries.enqueue(s, conversation_id, parts, now))
        await self.drain(conversation_id, openid, with_person)

    async def drain(self, conversation_id: int, openid: str, with_person: bool = False) -> None:
        """Send what waits for this member, as far as the window allows."""
        last_slot = (lambda text: append_hint(text, messages.OUTBOX_LAST_SLOT)) \
            if with_person else (lambda text: text)
        async with self._lock(conversation_id):
            now = self.clock.now()
            plan = await self.pool.write(lambda s: deliveries.claim(
                s, conversation_id, CHANNEL, now,
                lambda texts, remaining: fit_quota(texts, remaining, messages.OUTBOX_MORE),
                last_slot))
            if plan is None:
                self.changed(conversation_id)
                return
            await self._send_plan(conversation_id, openid, plan.sends)
            self.changed(conversation_id)

    async def _send_plan(self, conversation_id: int, openid: str, sends) -> None:
        for index, (delivery_id, text) in enumerate(sends):
            unsent = len(sends) - index
            try:
                attempts = await self._send_one(openid, text)
            except WeChatApiError as error:
                if await self._failed(conversation_id, delivery_id, error, unsent):
                    continue
                return
            if delivery_id is not None:
                now = self.clock.now()
                await self.pool.write(lambda s: deliveries.settle(
                    s, delivery_id, "sent", now, attempts))

    async def _send_one(self, openid: str, text: str) -> int:
        """One customer-service text; the attempts it took."""
        return await self.retrying(lambda api: api.send_text(openid, text))

    async def retrying(self, call: Callable[[WeChatApi], Awaitable[object]]) -> int:
        """Call, retrying busy answers and requests that never left with backoff (the
        send APIs have no idempotency key: nothing else is retried); the attempts."""
        if self.api is None:
            raise WeChatApiError("undeliverable", None, "HM_WECHAT_APPSECRET is not set",
                                 explanation=messages.WECHAT_NOT_CONFIGURED)
        attempt = 0
        while True:
            attempt += 1
            try:
                await call(self.api)
                return attempt
            except WeChatApiError as error:
                if error.kind != "retry" or attempt > self.retries:
                    error.attempts = attempt
                    raise
                delay = self.backoff * 2 ** (attempt - 1)
                logger.info("wechat send: %s, retry %d in %.1f s", error, attempt, delay)
                await asyncio.sleep(delay)

    async def _failed(self, conversation_id: int, delivery_id: Optional[int],
                      error: WeChatApiError, unsent: int) -> bool:
        """Record a failed send; True to go on with the next delivery of the plan."""
        now = self.clock.now()
        attempts = error.attempts
        reason = error.reason
        kind = error.kind
        logger.warning("wechat send to conversation %s failed: %s", conversation_id, error)

        def record(s) -> None:
            if delivery_id is not None:
                state = {"undeliverable": "undeliverable", "uncertain": "uncertain",
                         "error": "undeliverable"}.get(kind, "held")
                deliveries.settle(s, delivery_id, state, now, attempts, error.errcode, reason)
            if kind == "uncertain":
                return
            if kind == "error":  # a bug on our side (45002, 45008 ...): this one only
                deliveries.release_slots(s, conversation_id, 1)
                return
            # The rest of the plan was not sent: its slots come back, it waits again.
            deliveries.release_slots(s, conversation_id, unsent)
            if kind == "undeliverable":
                deliveries.close_window(s, conversation_id, now)
                deliveries.settle_waiting(s, conversation_id, "undeliverable",
                                          error.errcode, reason)
                return
            if kind == "hold":
                deliveries.quota_used(s, conversation_id)
            if kind == "daily_quota":
                store.record_alert(
                    s, CHANNEL, "daily_quota", deliveries.daily_quota_key(now), None,
                    messages.WECHAT_DAILY_QUOTA, None, now)
            deliveries.settle_waiting(s, conversation_id, "held", error.errcode, reason)

        await self.pool.write(record)
        if kind == "daily_quota":
            logger.error("OPERATOR ALERT: WeChat's daily customer-service quota is used "
                         "(45009); sending stops until tomorrow, replies wait in the outbox")
        return kind in ("uncertain", "error")

    async def has_room(self, conversation_id: int) -> bool:
        """Whether the member's window is open with quota left (a notice can go as a
        customer-service message rather than a template)."""
        now = self.clock.now()
        return await self.pool.read(lambda s: deliveries.room(s, conversation_id, now) > 0)

    async def release(self, conversation_id: int, openid: str) -> bool:
        """On the member's next message: send what was held. True if anything was."""
        held = await self.pool.read(lambda s: deliveries.has_held(s, conversation_id))
        if held:
            await self.drain(conversation_id, openid)
        return held

    async def member_acted(self, conversation_id: int, openid: str, action: str) -> bool:
        """A member action (message, menu click, follow, QR scan) opened a window: what
        was held goes first. True if anything was."""
        await self.opened(conversation_id, action)
        return await self.release(conversation_id, openid)
