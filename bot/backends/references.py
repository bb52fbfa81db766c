"""Short references members can read out on the phone: YY2611250007 (预约),
YS2611240003 (预授权), JZ2611240001 (急诊通知): a prefix, the day created and the row id."""
from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from sqlalchemy.orm import Session

APPOINTMENT = "YY"
PREAUTH = "YS"
EMERGENCY = "JZ"


def assign_reference(session: Session, row, prefix: str, now: datetime) -> str:
    """Give a new row its reference; unique because the row id is."""
    row.reference = f"pending-{uuid4().hex}"
    session.flush()  # the id comes from the database
    row.reference = f"{prefix}{now:%y%m%d}{row.id:04d}"
    return row.reference
