"""The gateway's tables: conversations and their messages, handoffs to health managers,
callback tickets, console users, sessions, notes, the audit log, and the review of
conversations into training data (bot/review). Own metadata and migrations
(bot/gateway/migrations); times are Shanghai wall-clock (bot.db)."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

from bot.db import NAMING, ShanghaiDateTime, one_of
from bot.gateway.types import CONVERSATION_STATES

Base = declarative_base(metadata=MetaData(naming_convention=NAMING))

AUTHORS = ("member", "bot", "manager", "system")
DIRECTIONS = ("in", "out")
# Why a conversation went to a person (the custom payload's reason).
HANDOFF_REASONS = ("request_human", "fallback", "emergency", "complaint", "preauth_unknown",
                   "backend_failure", "health", "urgent_care", "crisis")
# superseded: an out-of-hours request replaced by a later one in hours (one queue item).
HANDOFF_OUTCOMES = ("handed_back", "closed", "superseded")
TICKET_STATUSES = ("open", "claimed", "done")
ROLES = ("manager", "reviewer", "admin")
PRESENCES = ("available", "break", "offline")
MEDIA_STATES = ("pending", "stored", "failed")
# What a reviewer decided about a member message (bot/review/decisions.py): accept the
# bot's intent, relabel it, out of scope (no intent fits; never exported), skip.
REVIEW_ACTIONS = ("accept", "relabel", "out_of_scope", "skip")
# What became of an export (bot/review/export.py): written to data/nlu/reviewed.yml, kept
# by the gate (nothing got worse), or set aside (moved to var/review/rejected/).
EXPORT_STATUSES = ("written", "kept", "set_aside")
# The pages a saved filter belongs to.
SAVED_FILTER_VIEWS = ("conversations", "inbox")


class User(Base):
    """A console user: a health manager, a reviewer or an admin."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(one_of("role", ROLES), name="role"),
                      CheckConstraint(one_of("presence", PRESENCES), name="presence"))
    id = Column(Integer, primary_key=True)
    username = Column(String(60), nullable=False, unique=True)
    display_name = Column(String(100), nullable=False)
    role = Column(String(20), nullable=False)
    password_hash = Column(String(300), nullable=False)  # scrypt, per-user salt
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(ShanghaiDateTime, nullable=False)
    # 接待中 (available: conversations are assigned), 小休 (break), 离线 (offline).
    presence = Column(String(20), nullable=False, default="offline", server_default="offline")
    presence_at = Column(ShanghaiDateTime)
    # At most this many conversations at once are assigned (claiming by hand may exceed).
    max_active = Column(Integer, nullable=False, default=5, server_default="5")


class Conversation(Base):
    """One member on one channel (web chat id, WeChat openid ...)."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        CheckConstraint(one_of("state", CONVERSATION_STATES), name="state"),
        Index("ix_conversations_state_priority", "state", "priority", "queued_at"),
    )
    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    external_id = Column(String(200), nullable=False)
    member_id = Column(Integer)  # the backends' member, when the channel id is bound
    # The member's own health manager's console username, as the backends last said
    # (refreshed at each handoff request): assignment tries them first.
    own_manager = Column(String(60))
    state = Column(String(20), nullable=False, default="bot")
    owner_id = Column(ForeignKey("users.id"))
    priority = Column(Integer, nullable=False, default=0)
    handoff_reason = Column(String(40))
    queued_at = Column(ShanghaiDateTime)
    claimed_at = Column(ShanghaiDateTime)
    last_message_at = Column(ShanghaiDateTime)
    created_at = Column(ShanghaiDateTime, nullable=False)

    owner = relationship("User")

    @property
    def rasa_sender(self) -> str:
        """The Rasa conversation id."""
        return f"{self.channel}:{self.external_id}"


class Message(Base):
    """A message in or out. Member messages carry what the bot understood."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "channel_message_id"),
        CheckConstraint(one_of("direction", DIRECTIONS), name="direction"),
        CheckConstraint(one_of("author", AUTHORS), name="author"),
    )
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    direction = Column(String(3), nullable=False)
    author = Column(String(20), nullable=False)
    user_id = Column(ForeignKey("users.id"))  # the manager who wrote it
    text = Column(Text, nullable=False)
    buttons = Column(JSON(none_as_null=True))  # [{"title", "payload"}]
    # inbound: "bot" (Rasa answered), "manager" (held for a person), "unrouted" (Rasa
    # was unreachable: kept, apologised for)
    routed_to = Column(String(20))
    intent = Column(String(100))
    confidence = Column(Float)
    # [{"entity", "value", "start", "end", "extractor"}] (spans when Rasa gives them)
    entities = Column(JSON(none_as_null=True))
    # [{"name", "confidence"}], the classifier's top 5 (nlu_fallback left out)
    intent_ranking = Column(JSON(none_as_null=True))
    slots = Column(JSON(none_as_null=True))
    channel_message_id = Column(String(200))  # de-duplication of channel retries
    # outbound on API channels: one of DELIVERY_STATES (a reply split over several
    # channel messages takes the state of its least advanced part); None on the web chat
    delivery_state = Column(String(20))
    delivery_error = Column(Text)  # outbound: why the channel could not deliver it
    created_at = Column(ShanghaiDateTime, nullable=False)

    user = relationship("User")


class Handoff(Base):
    """One request for a person: why, how urgent, and how it ended."""

    __tablename__ = "handoffs"
    __table_args__ = (
        CheckConstraint(one_of("reason", HANDOFF_REASONS), name="reason"),
        CheckConstraint(f"outcome IS NULL OR {one_of('outcome', HANDOFF_OUTCOMES)}",
                        name="outcome"),
    )
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    reason = Column(String(40), nullable=False)
    priority = Column(Integer, nullable=False)
    requested_at = Column(ShanghaiDateTime, nullable=False)
    within_hours = Column(Boolean, nullable=False)
    claimed_by = Column(ForeignKey("users.id"))
    claimed_at = Column(ShanghaiDateTime)
    ended_at = Column(ShanghaiDateTime)
    outcome = Column(String(20))
    # What it is about in one line: the bot's summary, else the member's last words.
    summary = Column(Text)

    claimer = relationship("User")


class CallbackTicket(Base):
    """A handoff asked for outside the managers' hours: called back from next 08:30."""

    __tablename__ = "callback_tickets"
    __table_args__ = (CheckConstraint(one_of("status", TICKET_STATUSES), name="status"),)
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    handoff_id = Column(ForeignKey("handoffs.id"), nullable=False)
    reason = Column(String(40), nullable=False)
    priority = Column(Integer, nullable=False)
    created_at = Column(ShanghaiDateTime, nullable=False)
    due_at = Column(ShanghaiDateTime, nullable=False)
    status = Column(String(20), nullable=False, default="open")
    claimed_by = Column(ForeignKey("users.id"))
    claimed_at = Column(ShanghaiDateTime)

    @property
    def reference(self) -> str:
        """What the member is told: HF + due date + id (回访)."""
        return f"HF{self.due_at:%y%m%d}{self.id:04d}"


class Survey(Base):
    """满意度: asked once when a manager's part ends (hand back or close), answered with
    one digit (1 best ... 5 worst) and an optional comment."""

    __tablename__ = "surveys"
    __table_args__ = (CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)",
                                      name="rating"),)
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id", ondelete="CASCADE"),
                             nullable=False, index=True)
    handoff_id = Column(ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False,
                        unique=True)
    manager_id = Column(ForeignKey("users.id"))     # who served the member
    asked_at = Column(ShanghaiDateTime, nullable=False)
    rating = Column(Integer)
    comment = Column(Text)
    answered_at = Column(ShanghaiDateTime)


class ConsoleSession(Base):
    """A logged-in console session; the cookie holds the token, the table its hash."""

    __tablename__ = "console_sessions"
    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(ForeignKey("users.id"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(ShanghaiDateTime, nullable=False)
    expires_at = Column(ShanghaiDateTime, nullable=False)

    user = relationship("User")


class Note(Base):
    """An internal note on a conversation: managers only, never sent to the member."""

    __tablename__ = "notes"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    user_id = Column(ForeignKey("users.id"), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(ShanghaiDateTime, nullable=False)

    user = relationship("User")


class AuditEntry(Base):
    """Who did what to what, and when. Failed logins carry the name tried, no user."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    user_id = Column(ForeignKey("users.id"))
    username = Column(String(60))
    action = Column(String(40), nullable=False)
    target = Column(String(100))  # "conversation:12", "ticket:3"
    detail = Column(JSON(none_as_null=True))
    at = Column(ShanghaiDateTime, nullable=False, index=True)


class WebChatToken(Base):
    """The web chat's conversation token (kept in the member's localStorage); the
    table holds its hash."""

    __tablename__ = "web_chat_tokens"
    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    created_at = Column(ShanghaiDateTime, nullable=False)


class ChannelEvent(Base):
    """A channel event that is not a member message (a follow, a QR scan, a template
    delivery report ...): recorded once per channel key, so a retried delivery is
    recognised by every gateway replica."""

    __tablename__ = "channel_events"
    __table_args__ = (UniqueConstraint("channel", "dedup_key"),)
    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    dedup_key = Column(String(200), nullable=False)
    external_id = Column(String(200), index=True)  # None once the member is purged
    event = Column(String(60), nullable=False)
    event_key = Column(Text)
    detail = Column(JSON(none_as_null=True))
    received_at = Column(ShanghaiDateTime, nullable=False)


class OperatorAlert(Base):
    """Something an operator must look at: e.g. a channel body that passed its signature
    but no key decrypts (kept, still encrypted, as undeliverable)."""

    __tablename__ = "operator_alerts"
    __table_args__ = (UniqueConstraint("channel", "dedup_key"),)
    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    kind = Column(String(40), nullable=False)
    dedup_key = Column(String(200), nullable=False)
    external_id = Column(String(200))
    detail = Column(Text, nullable=False)
    body = Column(Text)  # the undeliverable payload as received (still encrypted)
    created_at = Column(ShanghaiDateTime, nullable=False, index=True)
    resolved_at = Column(ShanghaiDateTime)


class Media(Base):
    """A photo, voice note or video a member sent (pre-auth materials arrive as photos),
    downloaded promptly through the channel's media API and kept for the managers."""

    __tablename__ = "media"
    __table_args__ = (
        UniqueConstraint("channel", "media_id"),
        CheckConstraint(one_of("state", MEDIA_STATES), name="state"),
    )
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id"), nullable=False, index=True)
    message_id = Column(ForeignKey("messages.id"), nullable=False, index=True)
    channel = Column(String(20), nullable=False)
    media_id = Column(String(200), nullable=False)
    kind = Column(String(20), nullable=False)  # image, voice, video, shortvideo
    state = Column(String(20), nullable=False, default="pending")
    content_type = Column(String(100))
    filename = Column(String(200))
    data = Column(LargeBinary)
    size = Column(Integer)
    error = Column(Text)
    created_at = Column(ShanghaiDateTime, nullable=False)
    fetched_at = Column(ShanghaiDateTime)


class ReviewExport(Base):
    """One export of review decisions into training data, and what the gate made of it."""

    __tablename__ = "review_exports"
    __table_args__ = (CheckConstraint(one_of("status", EXPORT_STATUSES), name="status"),)
    id = Column(Integer, primary_key=True)
    created_at = Column(ShanghaiDateTime, nullable=False)
    user_id = Column(ForeignKey("users.id"))  # None from the command line
    path = Column(Text, nullable=False)  # the file written
    counts = Column(JSON, nullable=False)  # {"written", "duplicates", "conflicts", "skipped"}
    # the example lines written, [{"decision_id", "intent", "example"}]: what set_aside
    # takes out of the file again
    examples = Column(JSON, nullable=False)
    status = Column(String(20), nullable=False, default="written")
    reason = Column(Text)  # why it was set aside
    metrics_before = Column(JSON(none_as_null=True))  # the gate's evaluation
    metrics_after = Column(JSON(none_as_null=True))
    decided_at = Column(ShanghaiDateTime)  # when the status became kept or set_aside


class ReviewDecision(Base):
    """A reviewer's decision on one member message (审核结论). Only the latest decision
    of a message that is not undone counts. The text is masked for training at decision
    time, so the decision outlives the message (purged: message_id becomes NULL)."""

    __tablename__ = "review_decisions"
    __table_args__ = (
        CheckConstraint(one_of("action", REVIEW_ACTIONS), name="action"),
        Index("ix_review_decisions_message_current", "message_id", "undone_at"),
    )
    id = Column(Integer, primary_key=True)
    message_id = Column(ForeignKey("messages.id", ondelete="SET NULL"))
    text = Column(Text, nullable=False)  # bot.privacy.mask_for_training of the member text
    user_id = Column(ForeignKey("users.id"), nullable=False)
    action = Column(String(20), nullable=False)
    intent = Column(String(100))  # accept and relabel
    entities = Column(JSON(none_as_null=True))  # [{"entity", "value", "start", "end"}] on text
    created_at = Column(ShanghaiDateTime, nullable=False)
    undone_at = Column(ShanghaiDateTime)
    undone_by = Column(ForeignKey("users.id"))
    exported_at = Column(ShanghaiDateTime)
    export_id = Column(ForeignKey("review_exports.id"), index=True)

    user = relationship("User", foreign_keys=[user_id])


class ConversationTag(Base):
    """A reviewer's tag on a conversation (e.g. 新意图, 回复有误)."""

    __tablename__ = "conversation_tags"
    __table_args__ = (UniqueConstraint("conversation_id", "tag"),)
    id = Column(Integer, primary_key=True)
    conversation_id = Column(ForeignKey("conversations.id", ondelete="CASCADE"),
                             nullable=False, index=True)
    tag = Column(String(40), nullable=False)
    user_id = Column(ForeignKey("users.id"), nullable=False)
    created_at = Column(ShanghaiDateTime, nullable=False)


class SavedFilter(Base):
    """A reviewer's named filter of the conversations list or the inbox (a query JSON,
    periods relative to today: 本周微信中的未理解消息 stays this week's)."""

    __tablename__ = "saved_filters"
    __table_args__ = (
        UniqueConstraint("user_id", "view", "name"),
        CheckConstraint(one_of("view", SAVED_FILTER_VIEWS), name="view"),
    )
    id = Column(Integer, primary_key=True)
    user_id = Column(ForeignKey("users.id"), nullable=False)
    view = Column(String(20), nullable=False, default="conversations")
    name = Column(String(100), nullable=False)
    query = Column(JSON, nullable=False)
    created_at = Column(ShanghaiDateTime, nullable=False)


class LoginFailure(Base):
    """A failed console login (bot/console/throttle.py): the name tried and the client
    address, so that every gateway replica throttles on the same failures. A successful
    login clears the username's failures for the account's count (`cleared`); the
    address keeps counting them."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username", "username", "cleared"),
        Index("ix_login_failures_address", "address", "at"),
    )
    id = Column(Integer, primary_key=True)
    username = Column(String(60), nullable=False)
    address = Column(String(64), nullable=False)
    at = Column(ShanghaiDateTime, nullable=False, index=True)
    cleared = Column(Boolean, nullable=False, default=False)


class AccountLock(Base):
    """A console account locked after too many failed logins; only an admin lifts it
    (the row is removed, the lift audited)."""

    __tablename__ = "account_locks"
    id = Column(Integer, primary_key=True)
    user_id = Column(ForeignKey("users.id"), nullable=False, unique=True)
    locked_at = Column(ShanghaiDateTime, nullable=False)
    failures = Column(Integer, nullable=False)

    user = relationship("User")


# Is a user's view of a conversation already audited (routes: the API's incremental reads)?
Index("ix_audit_log_target_user", AuditEntry.target, AuditEntry.user_id)
