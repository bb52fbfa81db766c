"""Where every reply leaves: stored first, then delivered through the adapter of the
channel the member came in on, and shown live in the console (what managers see of a
conversation as it happens goes out from here too)."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence

from bot.clock import Clock
from bot.db import DatabasePool
from bot.gateway import store
from bot.gateway.channels.base import ChannelAdapter, ChannelError
from bot.gateway.live import Hub
from bot.gateway.types import ConversationRef, Notice, OutgoingMessage

logger = logging.getLogger(__name__)


def conversation_topic(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


class Outbox:
    def __init__(self, pool: DatabasePool, clock: Clock, hub: Hub) -> None:
        self.pool = pool
        self.clock = clock
        self.hub = hub
        self.channels: Dict[str, ChannelAdapter] = {}

    def register(self, adapter: ChannelAdapter) -> None:
        """A channel replies go out through (the wiring module registers each)."""
        self.channels[adapter.name()] = adapter

    def serves(self, channel: str) -> bool:
        return channel in self.channels

    async def say(self, conversation: ConversationRef, author: str,
                  replies: Sequence[Dict[str, Any]],
                  user_id: Optional[int] = None) -> List[OutgoingMessage]:
        """Store replies ({"text", "buttons"}) from `author` and deliver them."""
        if not replies:
            return []
        now = self.clock.now()
        messages = await self.pool.write(
            lambda s: store.record_replies(s, conversation.id, author, replies, now, user_id))
        await self.deliver(conversation, messages)
        return messages

    async def deliver(self, conversation: ConversationRef,
                      messages: List[OutgoingMessage], notice: Optional[Notice] = None) -> None:
        """Through the conversation's channel; a notice (reminder, pre-auth result) may
        take the channel's out-of-window route."""
        for message in messages:
            self.hub.publish(conversation_topic(conversation.id),
                             {"type": "message", "message": {**message.as_json(),
                                                             "direction": "out"}})
        adapter = self.channels.get(conversation.channel)
        try:
            if adapter is None:
                raise ChannelError(f"no adapter for channel {conversation.channel!r}")
            if notice is None:
                await adapter.send(conversation, messages)
            else:
                await adapter.notify(conversation, messages, notice)
        except ChannelError as error:
            logger.warning("conversation %s: %s could not deliver: %s", conversation.id,
                           conversation.channel, error)
            ids, reason = [m.id for m in messages], str(error)
            await self.pool.write(lambda s: store.mark_undelivered(s, ids, reason))

    def member_message(self, conversation: ConversationRef, view: Dict[str, Any]) -> None:
        """A member message (or what the bot made of it) for the console."""
        self.hub.publish(conversation_topic(conversation.id), {"type": "message", "message": view})
        if conversation.paused:
            self.hub.publish("queue", {"type": "queue"})

    def changed(self, conversation_id: int) -> None:
        """The conversation's state changed (queued, claimed, handed back, closed)."""
        self.hub.publish(conversation_topic(conversation_id), {"type": "state"})
        self.hub.publish("queue", {"type": "queue"})

    async def delivery_changed(self, conversation_id: int) -> None:
        """A channel's delivery states moved (sent, held, undeliverable): the console
        shows each reply's state as it changes."""
        views = await self.pool.read(
            lambda s: store.recent_outbound_views(s, conversation_id))
        for view in views:
            self.hub.publish(conversation_topic(conversation_id),
                             {"type": "message", "message": view})
