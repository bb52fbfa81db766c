"""Media members send (photos, voice notes, videos): recorded with the message,
downloaded once, kept for the managers. Synchronous functions of a session."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, Optional

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


def inline_type(content_type: Optional[str]) -> Optional[str]:
    """The stored Content-Type when a browser may show it inline (allow-listed images)."""
    bare = (content_type or "").split(";", 1)[0].strip().lower()
    return bare if bare in INLINE_TYPES else None


def views_for(session: Session, message_ids: Iterable[int]) -> Dict[int, Dict[str, Any]]:
    """What the console shows of each message's media, by message id (never the bytes)."""
    ids = sorted(set(message_ids))
    if not ids:
        return {}
    found = session.execute(
        select(Media.id, Media.message_id, Media.kind, Media.state, Media.content_type,
               Media.size, Media.error)
        .where(Media.message_id.in_(ids)).order_by(Media.id))
    return {row.message_id: {
        "id": row.id, "kind": row.kind, "state": row.state, "content_type": row.content_type,
        "size": row.size, "error": row.error,
        "inline": row.state == "stored" and inline_type(row.content_type) is not None,
    } for row in found}


@dataclass(frozen=True)
class StoredFile:
    """A downloaded media file with what is needed to serve it."""

    id: int
    conversation_id: int
    kind: str
    content_type: Optional[str]
    filename: Optional[str]
    data: bytes


def stored_file(session: Session, media_id: int) -> Optional[StoredFile]:
    """The bytes of a stored media row; None when unknown, pending or failed."""
    row = session.get(Media, media_id)
    if row is None or row.state != "stored" or row.data is None:
        return None
    return StoredFile(row.id, row.conversation_id, row.kind, row.content_type, row.filename,
                      bytes(row.data))
