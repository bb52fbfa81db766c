"""Media members send (WeChat photos, voice notes, videos): recorded with the message,
downloaded once, kept for the managers. Synchronous functions of a session."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.gateway.models import Media

# What the console shows inline; anything else is offered as a download.
INLINE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


def record(session: Session, conversation_id: int, message_id: int, channel: str,
           media_id: str, kind: str, now: datetime) -> Optional[int]:
    """The media row, pending download; None when this media id is already known."""
    existing = session.execute(select(Media.id).where(
        Media.channel == channel, Media.media_id == media_id)).first()
    if existing is not None:
        return None
    row = Media(conversation_id=conversation_id, message_id=message_id, channel=channel,
                media_id=media_id[:200], kind=kind, state="pending", created_at=now)
    session.add(row)
    session.flush()
    return row.id


def stored(session: Session, media_id: int, data: bytes, content_type: str,
           filename: Optional[str], now: datetime) -> None:
    row = session.get(Media, media_id)
    row.data, row.size, row.content_type = data, len(data), content_type[:100]
    row.filename, row.state, row.fetched_at, row.error = filename, "stored", now, None


def failed(session: Session, media_id: int, error: str) -> None:
    row = session.get(Media, media_id)
    row.state, row.error = "failed", error[:500]


def of_message(session: Session, message_id: int) -> Optional[Media]:
    return session.execute(select(Media).where(Media.message_id == message_id)).scalar_one_or_none()
