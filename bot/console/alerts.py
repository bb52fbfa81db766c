"""Operator alerts for admins (a signed WeChat body no key decrypts, the day's send quota
used up ...): counted for the header, listed, resolved. Synchronous functions of a
session; an alert's stored body is never read back, only its length."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.backends.privacy import mask_digits
from bot.gateway import messages, store
from bot.gateway.models import OperatorAlert

RESOLVED_SHOWN = 20
# The columns a page needs: everything but the body itself.
_COLUMNS = (OperatorAlert.id, OperatorAlert.channel, OperatorAlert.kind,
            OperatorAlert.external_id, OperatorAlert.detail, OperatorAlert.created_at,
            OperatorAlert.resolved_at, func.length(OperatorAlert.body).label("body_length"))


def mask_external_id(value: Optional[str]) -> str:
    """A channel id (WeChat openid) as the console shows it: first and last 4 only."""
    return mask_digits(value, keep_start=4, keep_end=4) if value else ""


def unresolved_count(session: Session) -> int:
    return session.execute(select(func.count(OperatorAlert.id))
                           .where(OperatorAlert.resolved_at.is_(None))).scalar_one()


def _view(session: Session, row: Any) -> Dict[str, Any]:
    found = (store.find_conversation(session, row.channel, row.external_id)
             if row.external_id else None)
    return {
        "id": row.id,
        "kind": row.kind,
        "kind_label": messages.ALERT_KINDS.get(row.kind, row.kind),
        "hint": messages.ALERT_HINTS.get(row.kind, ""),
        "channel": row.channel,
        "channel_label": messages.CHANNELS.get(row.channel, row.channel),
        "external_id": mask_external_id(row.external_id),
        "conversation_id": found.id if found else None,
        "detail": row.detail,
        "body": messages.alert_body(row.body_length),
        "created_at": row.created_at.isoformat(),
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
    }


def alerts_page(session: Session) -> Dict[str, List[Dict[str, Any]]]:
    """Unresolved alerts, newest first, and the latest resolved ones."""
    open_rows = session.execute(
        select(*_COLUMNS).where(OperatorAlert.resolved_at.is_(None))
        .order_by(OperatorAlert.created_at.desc(), OperatorAlert.id.desc())).all()
    resolved_rows = session.execute(
        select(*_COLUMNS).where(OperatorAlert.resolved_at.isnot(None))
        .order_by(OperatorAlert.resolved_at.desc(), OperatorAlert.id.desc())
        .limit(RESOLVED_SHOWN)).all()
    return {"open": [_view(session, r) for r in open_rows],
            "resolved": [_view(session, r) for r in resolved_rows]}


def resolve(session: Session, alert_id: int, now: datetime) -> Optional[str]:
    """Mark an alert resolved, once (a conditional UPDATE: two admins, one wins); its
    kind, or None when it is unknown or already resolved. Resolving today's
    daily_quota alert lets the WeChat sender try again today."""
    done = session.execute(
        update(OperatorAlert)
        .where(OperatorAlert.id == alert_id, OperatorAlert.resolved_at.is_(None))
        .values(resolved_at=now))
    if done.rowcount != 1:
        return None
    return session.execute(select(OperatorAlert.kind)
                           .where(OperatorAlert.id == alert_id)).scalar_one()
