"""The gateway's value types, shared by every layer: a member's message on its way in,
a reply on its way out, a conversation as the services see it, what became of a member
message, and a service notice. Plain frozen data; this module imports nothing of the
package, so any module may import it."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

# bot: Rasa answers; queued: waiting for a manager (Rasa paused); human: a manager owns
# it (Rasa paused); closed: ended by a manager (the next member message reopens it).
CONVERSATION_STATES = ("bot", "queued", "human", "closed")
PAUSED_STATES = ("queued", "human")


@dataclass(frozen=True)
class MemberMessage:
    """One message from a member, channel-neutral."""

    channel: str
    external_id: str  # the member's id on that channel (web id, WeChat openid)
    text: str  # what the member wrote (or the title of the button they pressed)
    message_id: Optional[str] = None  # the channel's id, to drop retried deliveries
    payload: Optional[str] = None  # a quick-reply button's payload, when pressed
    # An intent the channel itself vouches for (a menu click), sent as "/intent".
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


@dataclass(frozen=True)
class ConversationRef:
    """A conversation as the router, the services and the adapters see it."""

    id: int
    channel: str
    external_id: str
    member_id: Optional[int]
    state: str
    owner_id: Optional[int]
    priority: int
    handoff_reason: Optional[str]

    @property
    def rasa_sender(self) -> str:
        return f"{self.channel}:{self.external_id}"

    @property
    def paused(self) -> bool:
        """A person has it, or is about to: the bot stays silent."""
        return self.state in PAUSED_STATES


class ConversationGone(Exception):
    """The conversation a channel named is no longer there (purged meanwhile)."""


@dataclass(frozen=True)
class StoredMessage:
    """A member message as stored: its conversation, its row id, and whether it is a
    channel retry of one already stored."""

    conversation: ConversationRef
    message_id: int
    duplicate: bool
    # The member pressed a button the latest reply with buttons offered (its payload
    # may go to the bot; members cannot send arbitrary intents).
    payload_offered: bool = False
    # The message answered a satisfaction survey with this rating (recorded in the same
    # transaction that stored it; bot/gateway/satisfaction.py): it never goes to the bot.
    survey_rating: Optional[int] = None


@dataclass
class Receipt:
    """What became of one member message: where it is stored and what was said back."""

    conversation: ConversationRef
    message_id: int
    duplicate: bool = False
    replies: List[OutgoingMessage] = field(default_factory=list)


@dataclass(frozen=True)
class Notice:
    """A service notice outside the conversation (appointment reminder, pre-auth
    result), sent by the insurer's systems (notifications.py)."""

    kind: str
    reference: str
    text: str  # what the member reads (the transcript and customer-service message)
    template_data: Dict[str, str] = field(default_factory=dict)  # template keywords
    url: Optional[str] = None

    @property
    def key(self) -> str:
        """Stable per kind + reference: the de-duplication key and a channel's message
        id for it (WeChat drops a repeat within 10 minutes)."""
        return hashlib.sha256(f"{self.kind}\n{self.reference}".encode("utf-8")).hexdigest()[:32]
