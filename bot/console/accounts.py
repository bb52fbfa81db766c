"""Console users, sessions, notes and the audit log in the gateway database:
synchronous functions of a session (run in the gateway's pool)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.console.passwords import DUMMY_HASH, hash_password, verify_password
from bot.gateway.models import ROLES, AuditEntry, ConsoleSession, Note, User


class AccountError(ValueError):
    """A user cannot be created as asked (the message says why)."""


@dataclass(frozen=True)
class Principal:
    """The logged-in user of one request."""

    user_id: int
    username: str
    display_name: str
    role: str
    csrf_token: str
    session_id: int

    @property
    def can_act(self) -> bool:
        """Claim, reply, note, hand back, close: managers and admins; reviewers read."""
        return self.role in ("manager", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(session: Session, username: str, password: str, role: str,
                display_name: Optional[str], now: datetime, update: bool = False) -> User:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if not username or len(username) > 60 or not username.isprintable() or " " in username:
        raise AccountError("username: 1-60 printable characters without spaces")
    existing = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if existing is not None and not update:
        raise AccountError(f"user {username!r} exists (use --update to reset the password)")
    user = existing or User(username=username, created_at=now, active=True)
    user.display_name = display_name or (existing.display_name if existing else username)
    user.role = role
    user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    return user


def user_exists(session: Session, username: str) -> bool:
    return session.execute(select(User.id).where(User.username == username)).first() is not None


def authenticate(session: Session, username: str, password: str) -> Optional[User]:
    user = session.execute(
        select(User).where(User.username == username, User.active.is_(True))
    ).scalar_one_or_none()
    ok = verify_password(password, user.password_hash if user else DUMMY_HASH)
    return user if ok and user is not None else None


def start_session(session: Session, user: User, now: datetime, hours: int) -> tuple[str, str]:
    """A new session for `user`: (cookie token, CSRF token). Expired ones are removed."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(ConsoleSession(token_hash=token_hash(token), user_id=user.id, csrf_token=csrf,
                               created_at=now, expires_at=now + timedelta(hours=hours)))
    return token, csrf


def load_session(session: Session, token: str, now: datetime) -> Optional[Principal]:
    found = session.execute(
        select(ConsoleSession, User).join(User, User.id == ConsoleSession.user_id)
        .where(ConsoleSession.token_hash == token_hash(token))
    ).first()
    if found is None:
        return None
    console_session, user = found
    if console_session.expires_at <= now or not user.active:
        return None
    return Principal(user.id, user.username, user.display_name, user.role,
                     console_session.csrf_token, console_session.id)


def end_session(session: Session, session_id: int) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.id == session_id))


def audit(session: Session, now: datetime, action: str, principal: Optional[Principal] = None,
          target: Optional[str] = None, detail: Optional[Dict[str, Any]] = None,
          username: Optional[str] = None) -> None:
    session.add(AuditEntry(
        user_id=principal.user_id if principal else None,
        username=principal.username if principal else username,
        action=action, target=target, detail=detail, at=now))


def add_note(session: Session, conversation_id: int, user_id: int, text: str,
             now: datetime) -> Note:
    note = Note(conversation_id=conversation_id, user_id=user_id, text=text, created_at=now)
    session.add(note)
    session.flush()
    note.user = session.get(User, user_id)
    return note


def notes_of(session: Session, conversation_id: int) -> List[Note]:
    return list(session.execute(
        select(Note).where(Note.conversation_id == conversation_id).order_by(Note.id)
    ).scalars())


def note_view(note: Note) -> Dict[str, Any]:
    return {"id": note.id, "text": note.text, "author_name": note.user.display_name,
            "created_at": note.created_at.isoformat()}


def audit_entries(session: Session, limit: int = 200) -> List[AuditEntry]:
    return list(session.execute(
        select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).scalars())
