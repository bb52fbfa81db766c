"""The WeChat channel's own tables, in the gateway's schema (one metadata, one chain of
migrations): each message as sent (the outbox) and the reply window the member's last
action opened. They go with their conversation (ON DELETE CASCADE), so purging a member
needs to know nothing of them."""
from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, String, Text

from bot.db import ShanghaiDateTime, one_of
from bot.gateway.models import Base

# What became of a reply sent through WeChat's API: pending (just stored), sending
# (claimed by a sender), sent, held (in the outbox until the member's next message opens
# a new window), undeliverable (refused for good: window passed, unfollowed, invalid
# openid) or uncertain (timed out after the request went out: it may have arrived; never
# resent, the send API has no idempotency key). A stored reply (Message.delivery_state)
# takes the state of its least advanced delivery.
DELIVERY_STATES = ("pending", "sending", "sent", "held", "undeliverable", "uncertain")


class Delivery(Base):
    """One message as the customer-service API sends it: consecutive replies packed
    together, or one part of a long reply (at most 2048 bytes each). Every delivery counts
    against the member's reply window, so the outbox keeps what the window cannot take."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint(one_of("state", DELIVERY_STATES), name="state"),
        Index("ix_deliveries_conversation_state", "conversation_id", "state"),
    )
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id", ondelete="CASCADE"),
                             nullable=False)
    message_ids = Column(JSON, nullable=False)  # the stored messages it carries, in order
    text = Column(Text, nullable=False)
    state = Column(String(20), nullable=False, default="pending")
    errcode = Column(Integer)  # the channel's last error code
    error = Column(Text)
    attempts = Column(Integer, nullable=False, default=0)
    created_at = Column(ShanghaiDateTime, nullable=False)
    sent_at = Column(ShanghaiDateTime)


class ReplyWindow(Base):
    """The reply window the member's latest action opened (WeChat: a message opens 48 h
    with 5 messages; a menu click, a follow or a QR scan 1 minute with 3). Shared by
    every gateway replica: a slot is taken with one conditional UPDATE."""

    __tablename__ = "reply_windows"
    conversation_id = Column(ForeignKey("conversations.id", ondelete="CASCADE"),
                             primary_key=True)
    action = Column(String(20), nullable=False)
    opened_at = Column(ShanghaiDateTime, nullable=False)
    closes_at = Column(ShanghaiDateTime, nullable=False)
    quota = Column(Integer, nullable=False)
    used = Column(Integer, nullable=False, default=0)
