"""Photos, voice notes and videos members send on WeChat, downloaded at once through the
temporary-media API (WeChat keeps them 3 days; pre-auth materials arrive as photos) and
kept for the managers (bot/gateway/media.py), whatever happens to the message next."""
from __future__ import annotations

import logging
from typing import Optional

from bot.clock import Clock
from bot.db import DatabasePool
from bot.gateway import media, messages
from bot.gateway.channels.wechat.api import WeChatApi, WeChatApiError
from bot.gateway.channels.wechat.settings import CHANNEL
from bot.gateway.types import StoredMessage

logger = logging.getLogger(__name__)

MEDIA_KINDS = ("image", "voice", "video", "shortvideo")


class Downloads:
    def __init__(self, pool: DatabasePool, clock: Clock, api: Optional[WeChatApi]) -> None:
        self.pool = pool
        self.clock = clock
        self.api = api

    async def keep(self, stored: StoredMessage, kind: str, media_id: str) -> None:
        """Record the media with its message and download it (a retried delivery is
        recorded already: nothing to do)."""
        now = self.clock.now()
        row_id = await self.pool.write(lambda s: media.record(
            s, stored.conversation.id, stored.message_id, CHANNEL, media_id, kind, now))
        if row_id is None:
            return
        if self.api is None:
            await self.pool.write(
                lambda s: media.failed(s, row_id, messages.WECHAT_NOT_CONFIGURED))
            return
        try:
            data, content_type, filename = await self.api.media(media_id)
        except WeChatApiError as failure:
            reason = failure.reason
            logger.warning("wechat media %s of message %s not downloaded: %s", kind,
                           stored.message_id, failure)
            await self.pool.write(lambda s: media.failed(s, row_id, reason))
            return
        fetched = self.clock.now()
        await self.pool.write(lambda s: media.stored(
            s, row_id, data, content_type, filename, fetched))
        logger.info("wechat %s of message %s stored (%d bytes)", kind, stored.message_id,
                    len(data))
