"""Status changes with a history, shared by appointments and pre-auth cases: a move is
allowed only from the statuses listed for it, and every step is kept."""
from __future__ import annotations

from datetime import datetime
from typing import Mapping, Optional, Sequence

from bot.backends import errors, messages


def require_transition(current: str, wanted: str, allowed_from: Mapping[str, Sequence[str]],
                       labels: Mapping[str, str]) -> None:
    """409 invalid_transition unless `wanted` may follow `current`."""
    if current not in allowed_from[wanted]:
        raise errors.conflict(
            "invalid_transition",
            messages.invalid_transition(labels[current], labels[wanted]),
            field="status", current=current, wanted=wanted,
        )


def record_status(row, event_model, status: str, now: datetime, note: Optional[str] = None) -> None:
    """Set a row's status and append the step to its history (`row.events`)."""
    row.status = status
    row.updated_at = now
    row.events.append(event_model(at=now, status=status, note=note))
