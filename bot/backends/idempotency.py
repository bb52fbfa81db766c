"""Idempotent POSTs: a retry with the same Idempotency-Key gets the first answer again.

The key row and the write it guards commit in one transaction, so a crash leaves
neither. Two concurrent requests with one key never both write: on SQLite the
second waits for the write lock and then finds the key; on PostgreSQL its insert of
the key waits on the unique index, fails once the first commits, and replays."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.backends import errors
from bot.backends.db import Database
from bot.backends.models import IdempotencyKey

Operation = Callable[[Session], Tuple[int, dict]]


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict
    replayed: bool = False


def fingerprint(scope: str, body: Any) -> str:
    """The same request (method, path and JSON body, whatever its spacing or key order)
    hashes the same."""
    canonical = json.dumps([scope, body], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _find(session: Session, key: str) -> Optional[IdempotencyKey]:
    return session.execute(select(IdempotencyKey).where(IdempotencyKey.key == key)).scalar_one_or_none()


def _replay(stored: IdempotencyKey, scope: str, request_hash: str) -> Outcome:
    if stored.scope != scope or stored.request_hash != request_hash:
        raise errors.conflict("idempotency_key_reused", field="Idempotency-Key")
    return Outcome(stored.status, stored.response, replayed=True)


def execute(db: Database, key: str, scope: str, request_hash: str, now: datetime,
            operation: Operation) -> Outcome:
    """Run `operation` once per key. Its ApiErrors (status < 500) are answers too and
    are stored; anything else rolls the whole transaction back, key included."""
    with db.writer() as session:
        try:
            stored = _find(session, key)
            if stored is None:
                record = IdempotencyKey(key=key, scope=scope, request_hash=request_hash, created_at=now)
                session.add(record)
                try:
                    session.flush()
                except IntegrityError:
                    # Another request with this key committed first (PostgreSQL).
                    session.rollback()
                    stored = _find(session, key)
                    if stored is None:
                        raise
            if stored is not None:
                session.rollback()
                return _replay(stored, scope, request_hash)
            try:
                with session.begin_nested():
                    status, body = operation(session)
            except errors.ApiError as error:
                status, body = error.status, error.body()
            record.status, record.response = status, body
            session.commit()
            return Outcome(status, body)
        except BaseException:
            session.rollback()
            raise
