"""The WeChat Official Account channel (众安健康 service account), put together: the
server callback (callback.py) hands verified member messages and menu clicks to the
intake (intake.py) and other events to events.py; replies leave through the
customer-service API within the member's window, with the outbox for the rest
(sender.py), and service notices outside the window as template messages.

The protocol's pure parts live in protocol.py and outbound.py, the API calls in api.py,
the channel's tables in models.py and deliveries.py, media downloads in downloads.py,
the typing indicator in typing_indicator.py and the rate limits in limits.py.

Order on every POST: verify (signature, freshness, msg_signature), de-duplicate, store
durably, answer `success` (WeChat drops the connection after 5 s and retries), and only
then the rest, in the background."""
from __future__ import annotations

import logging
from typing import List, Optional

from sanic import Blueprint

from bot.clock import Clock
from bot.db import DatabasePool
from bot.gateway import messages, store
from bot.gateway.access import AccessSettings
from bot.gateway.channels.base import ChannelAdapter, Inbox
from bot.gateway.channels.wechat.api import WeChatApi, WeChatApiError
from bot.gateway.channels.wechat.callback import Callback
from bot.gateway.channels.wechat.downloads import Downloads
from bot.gateway.channels.wechat.events import Events
from bot.gateway.channels.wechat.intake import Intake
from bot.gateway.channels.wechat.limits import MemberLimits
from bot.gateway.channels.wechat.protocol import Inbound
from bot.gateway.channels.wechat.sender import Sender
from bot.gateway.channels.wechat.settings import CHANNEL, WeChatSettings
from bot.gateway.channels.wechat.typing_indicator import TypingIndicator
from bot.gateway.outbox import Outbox
from bot.gateway.tasks import Tasks
from bot.gateway.types import ConversationRef, Notice, OutgoingMessage

logger = logging.getLogger(__name__)


class WeChat(ChannelAdapter):
    def __init__(self, settings: WeChatSettings, access: AccessSettings, pool: DatabasePool,
                 clock: Clock, outbox: Outbox, tasks: Tasks) -> None:
        self.settings = settings
        self.access = access
        self.pool = pool
        self.clock = clock
        self.outbox = outbox
        self.tasks = tasks
        self.api: Optional[WeChatApi] = (
            WeChatApi(settings.app_id, settings.app_secret, settings.api_base,
                      settings.redis_url, settings.api_timeout)
            if settings.app_secret else None)
        if self.api is None:
            logger.warning("HM_WECHAT_APPSECRET is not set: replies to WeChat members are "
                           "stored but cannot be sent (marked undeliverable)")
        self.sender = Sender(pool, clock, self.api, settings.send_retries,
                             settings.retry_backoff, self._deliveries_changed)
        self.callback = Callback(settings, access.trusted_proxies, pool, clock, tasks)

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def _deliveries_changed(self, conversation_id: int) -> None:
        self.tasks.background(self.outbox.delivery_changed(conversation_id),
                              "wechat delivery update")

    # ------------------------------------------------------------------ inbound

    def blueprint(self, inbox: Inbox) -> Blueprint:
        intake = Intake(inbox, self.settings, self.pool, self.clock, self.outbox, self.tasks,
                        self.sender, MemberLimits(self.access),
                        Downloads(self.pool, self.clock, self.api),
                        TypingIndicator(self.api, self.settings.typing_after))
        events = Events(inbox, self.pool, self.clock, self.outbox, self.tasks, self.sender)

        async def accept(inbound: Inbound, address: str) -> None:
            """De-duplicate and store (before `success` is answered); queue the rest."""
            if not inbound.is_event:
                await intake.message(inbound, address)
            elif inbound.event == "click":
                await intake.click(inbound, address)
            else:
                await events.accept(inbound)

        return self.callback.blueprint(accept)

    # ----------------------------------------------------------------- outbound

    async def send(self, conversation: ConversationRef, messages: List[OutgoingMessage]) -> None:
        """Through the customer-service API, within the window and quota the member's
        last action opened; what must wait stays in the outbox (sender.py)."""
        await self.sender.send(conversation.id, conversation.external_id, messages,
                               with_person=conversation.paused)

    async def notify(self, conversation: ConversationRef, replies: List[OutgoingMessage],
                     notice: Notice) -> None:
        """A customer-service message while the window has room; otherwise a template
        message (client_msg_id = the notice's key: WeChat drops a repeat for 10 min)."""
        if await self.sender.has_room(conversation.id):
            await self.sender.send(conversation.id, conversation.external_id, replies)
            return
        template_id = self.settings.templates.get(notice.kind)
        state, reason = "sent", None
        if template_id is None:
            state, reason = "undeliverable", messages.template_not_configured(notice.kind)
        else:
            data = notice.template_data or {"first": notice.text}
            try:
                await self.sender.retrying(lambda api: api.send_template(
                    conversation.external_id, template_id, data, notice.key, notice.url))
            except WeChatApiError as error:
                logger.warning("wechat template %s not sent: %s", notice.kind, error)
                state = "uncertain" if error.kind == "uncertain" else "undeliverable"
                reason = error.reason
        for reply in replies:
            await self.pool.write(lambda s: store.set_delivery(s, reply.id, state, reason))
        await self.outbox.delivery_changed(conversation.id)

