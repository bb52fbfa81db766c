"""The one interface every chat channel implements (web chat now, WeChat next).

Inbound: the adapter's blueprint turns a channel request into a `MemberMessage` and hands
it to the gateway (`await gateway.router.receive(message)`); nothing about the channel's
wire format leaves the adapter. Outbound: `send(conversation, messages)` delivers the
bot's, the managers' and the gateway's replies to the member, the way the channel does
it (the web chat's live stream, WeChat's customer-service API ...)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from sanic import Blueprint

if TYPE_CHECKING:
    from bot.gateway.notifications import Notice
    from bot.gateway.service import Gateway
    from bot.gateway.store import ConversationRef


@dataclass(frozen=True)
class MemberMessage:
    """One message from a member, channel-neutral."""

    channel: str
    external_id: str  # the member's id on that channel (web id, WeChat openid)
    text: str  # what the member wrote (or the title of the button they pressed)
    message_id: Optional[str] = None  # the channel's id, to drop retried deliveries
    payload: Optional[str] = None  # a quick-reply button's payload, when pressed
    # An intent the channel itself vouches for (a WeChat menu click), sent as "/intent".
    intent: Optional[str] = None
    metadata: Dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutgoingMessage:
    """One stored reply on its way to the member."""

    id: int
    author: str  # bot / manager / system
    text: str
    buttons: Sequence[Dict[str, Any]] = ()
    author_name: Optional[str] = None  # the manager's display name
    created_at: str = ""  # ISO time

    def as_json(self) -> Dict[str, Any]:
        return {"id": self.id, "author": self.author, "text": self.text,
                "buttons": list(self.buttons), "author_name": self.author_name,
                "created_at": self.created_at}


class ChannelError(Exception):
    """The channel could not deliver; the message stays stored with the reason."""


class ChannelAdapter(ABC):
    """A chat channel: its name, its inbound routes and its outbound delivery."""

    @classmethod
    @abstractmethod
    def name(cls) -> str:
        """The channel's name, stored on conversations ("web", "wechat")."""

    @abstractmethod
    def blueprint(self, gateway: "Gateway") -> Blueprint:
        """The routes through which members' messages arrive."""

    @abstractmethod
    async def send(self, conversation: "ConversationRef",
                   messages: List[OutgoingMessage]) -> None:
        """Deliver replies to the member; raise ChannelError when the channel refuses."""

    async def notify(self, conversation: "ConversationRef", messages: List[OutgoingMessage],
                     notice: "Notice") -> None:
        """A service notice outside the conversation (appointment reminder, pre-auth
        result): by default like any reply. WeChat uses a template message when the
        member's reply window has no room."""
        await self.send(conversation, messages)
