"""The one interface every chat channel implements (web chat, WeChat), and the narrow
inbox through which a channel hands members' messages to the gateway.

Like Rasa's own channels (`InputChannel.blueprint(on_new_message)`), an adapter's
`blueprint(inbox)` turns channel requests into `MemberMessage`s and gives them to the
inbox; nothing of the channel's wire format leaves the adapter, and the adapter sees
nothing of the gateway but the inbox and what its constructor was given. Outbound:
`send(conversation, messages)` delivers the bot's, the managers' and the gateway's
replies to the member, the way the channel does it (the web chat's live stream,
WeChat's customer-service API ...)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import List, Optional, Protocol

from sanic import Blueprint

from bot.gateway.types import (
    ConversationRef,
    MemberMessage,
    Notice,
    OutgoingMessage,
    Receipt,
    StoredMessage,
)


class Inbox(Protocol):
    """What a channel may tell the gateway (bot/gateway/router.py implements it)."""

    async def receive(self, message: MemberMessage,
                      conversation: Optional[ConversationRef] = None) -> Receipt:
        """Store the message, then route it, and wait for both (the web chat). A channel
        that already knows the conversation passes it: it is not looked up again
        (ConversationGone when it was purged meanwhile)."""

    async def accept(self, message: MemberMessage) -> StoredMessage:
        """Store the message durably (or find the retried one) and return at once: a
        channel with a deadline (WeChat: 5 s) answers after this, then calls `route`."""

    async def route(self, stored: StoredMessage, message: MemberMessage) -> Receipt:
        """Route a message `accept` stored, in arrival order per member."""

    async def forget(self, channel: str, external_id: str) -> None:
        """The member left the channel and must be forgotten (WeChat unfollow): what
        the gateway holds is deleted now, the bot's memory and the policy link next."""


class ChannelError(Exception):
    """The channel could not deliver; the message stays stored with the reason."""


class ChannelAdapter(ABC):
    """A chat channel: its name, its inbound routes and its outbound delivery."""

    @classmethod
    @abstractmethod
    def name(cls) -> str:
        """The channel's name, stored on conversations ("web", "wechat")."""

    @abstractmethod
    def blueprint(self, inbox: Inbox) -> Blueprint:
        """The routes through which members' messages arrive."""

    @abstractmethod
    async def send(self, conversation: ConversationRef,
                   messages: List[OutgoingMessage]) -> None:
        """Deliver replies to the member; raise ChannelError when the channel refuses."""

    async def notify(self, conversation: ConversationRef, messages: List[OutgoingMessage],
                     notice: Notice) -> None:
        """A service notice outside the conversation (appointment reminder, pre-auth
        result): by default like any reply. WeChat uses a template message when the
        member's reply window has no room."""
        await self.send(conversation, messages)
