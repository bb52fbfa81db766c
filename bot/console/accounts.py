"""Console users, sessions, notes and the audit log in the gateway database:
synchronous functions of a session (run in the gateway's pool)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.console import throttle
from bot.console.passwords import DUMMY_HASH, hash_password, verify_password
from bot.gateway import messages
from bot.gateway.models import (ROLES, AccountLock, AuditEntry, ConsoleSession, LoginFailure,
                                Note, User)


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


@dataclass(frozen=True)
class LoginState:
    """What a login needs before the password is checked, read in one short read: the
    account (None: no active user of that name) and its hash, and whether it may be
    tried now (throttle.Verdict)."""

    user_id: Optional[int]
    password_hash: str  # DUMMY_HASH without an account: the check costs the same
    verdict: throttle.Verdict
    account_id: Optional[int] = None  # the account of that name, active or not (its lock)


def login_state(session: Session, username: str, address: str,
                limits: throttle.LoginLimits, now: datetime) -> LoginState:
    account = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    user = account if account is not None and account.active else None
    account_failures = list(session.execute(select(LoginFailure.at).where(
        LoginFailure.username == username, LoginFailure.cleared.is_(False))).scalars())
    address_failures = list(session.execute(select(LoginFailure.at).where(
        LoginFailure.address == address, LoginFailure.at > now - limits.window)).scalars())
    locked = account is not None and session.execute(
        select(AccountLock.id).where(AccountLock.user_id == account.id)).first() is not None
    return LoginState(user.id if user else None, user.password_hash if user else DUMMY_HASH,
                      throttle.verdict(account_failures, address_failures, locked, limits, now),
                      account.id if account else None)


def password_matches(state: LoginState, password: str) -> bool:
    """The scrypt check (tens of milliseconds of CPU): run it with no transaction open."""
    ok = verify_password(password, state.password_hash)
    return ok and state.user_id is not None


def login_failed(session: Session, username: str, address: str, user_id: Optional[int],
                 limits: throttle.LoginLimits, now: datetime) -> bool:
    """Record a failed login (and audit it with the name tried); lock the account when
    this failure reaches the limit. Whether the username is locked now."""
    session.add(LoginFailure(username=username, address=address, at=now, cleared=False))
    audit(session, now, "login_failed", username=username)
    session.flush()
    failures = session.execute(select(func.count(LoginFailure.id)).where(
        LoginFailure.username == username, LoginFailure.cleared.is_(False))).scalar_one()
    if not throttle.locks_now(failures, limits):
        return False
    if user_id is not None and session.execute(select(AccountLock.id).where(
            AccountLock.user_id == user_id)).first() is None:
        try:
            with session.begin_nested():  # two failures at once on PostgreSQL: one lock
                session.add(AccountLock(user_id=user_id, locked_at=now, failures=failures))
        except IntegrityError:
            return True
        audit(session, now, "account_locked", target=f"user:{user_id}",
              detail={"failures": failures}, username=username)
    return True


def login_succeeded(session: Session, user_id: int, now: datetime, hours: int,
                    limits: throttle.LoginLimits) -> str:
    """A new session (its cookie token), the account's failures cleared, audited."""
    user = session.get(User, user_id)
    _clear_failures(session, user.username, now, limits)
    token, _ = start_session(session, user, now, hours)
    audit(session, now, "login", target=f"user:{user.id}", username=user.username)
    return token


def _clear_failures(session: Session, username: str, now: datetime,
                    limits: throttle.LoginLimits) -> None:
    """The account starts counting again; its address keeps the failures of the window
    (older cleared ones are dropped)."""
    session.execute(update(LoginFailure).where(
        LoginFailure.username == username, LoginFailure.cleared.is_(False)).values(cleared=True))
    session.execute(delete(LoginFailure).where(
        LoginFailure.cleared.is_(True), LoginFailure.at <= now - limits.window))


def account_locks(session: Session) -> List[Dict[str, Any]]:
    """The locked accounts, for the admins' page."""
    rows = session.execute(select(AccountLock, User).join(User, User.id == AccountLock.user_id)
                           .order_by(AccountLock.locked_at.desc(), AccountLock.id.desc()))
    return [{"user_id": user.id, "username": user.username,
             "display_name": user.display_name, "role": user.role,
             "locked_at": lock.locked_at.isoformat(), "failures": lock.failures}
            for lock, user in rows]


def lift_lock(session: Session, user_id: int, now: datetime,
              limits: throttle.LoginLimits) -> Optional[str]:
    """An admin lifts an account's lock: its failures are cleared too. The username, or
    None when the account was not locked."""
    lock = session.execute(select(AccountLock).where(
        AccountLock.user_id == user_id)).scalar_one_or_none()
    if lock is None:
        return None
    username = session.get(User, user_id).username
    session.delete(lock)
    _clear_failures(session, username, now, limits)
    return username


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


def viewed_since(session: Session, user_id: int, target: str, since: datetime) -> bool:
    """Whether the user's view of `target` ("conversation:12") is audited since then."""
    return session.execute(select(AuditEntry.id).where(
        AuditEntry.target == target, AuditEntry.user_id == user_id,
        AuditEntry.action == "view_conversation", AuditEntry.at >= since).limit(1)
    ).first() is not None


def team(session: Session) -> List[Dict[str, Any]]:
    """The managers (and admins) who serve members: presence and conversations now."""
    from bot.gateway.queue import active_load

    load = active_load(session)
    users = session.execute(select(User).where(User.active.is_(True),
                                               User.role.in_(("manager", "admin")))
                            .order_by(User.display_name)).scalars()
    return [{"id": u.id, "username": u.username, "display_name": u.display_name,
             "presence": u.presence,
             "presence_label": messages.PRESENCE_LABELS.get(u.presence, u.presence),
             "active": load.get(u.id, 0), "max_active": u.max_active} for u in users]
