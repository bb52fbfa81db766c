"""Row ids in the console's URLs: a database integer key is 1 .. 2**63-1 (SQLite's
INTEGER, PostgreSQL's BIGINT); anything else names no row and is answered 404 before it
reaches the database (which would overflow and fail with a 500)."""
from __future__ import annotations

from typing import Any, Mapping, Optional

MAX_ID = 2 ** 63 - 1


def valid_id(value: int) -> bool:
    return 1 <= value <= MAX_ID


def parse_id(raw: Optional[str]) -> Optional[int]:
    """An id from a query string ("12"), or None for blank, malformed or out of range."""
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if valid_id(value) else None


def bad_route_ids(params: Mapping[str, Any]) -> bool:
    """Whether a route's id parameters (`<conversation_id:int>` ...) hold a number that
    names no row."""
    return any(isinstance(value, int) and not isinstance(value, bool) and not valid_id(value)
               for name, value in params.items() if name.endswith("_id"))
