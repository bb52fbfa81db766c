"""Reading a request's JSON body or query string into typed values; anything wrong is
a 400 invalid_request naming the field."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, List, Mapping, Optional

from bot.backends import errors, messages
from bot.clock import SHANGHAI

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
MAX_IDEMPOTENCY_KEY = 200


def parse_json_object(raw: bytes) -> dict:
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid(None, messages.bad_json()) from None
    if not isinstance(data, dict):
        raise errors.invalid(None, messages.bad_json())
    return data


def check_idempotency_key(value: Optional[str]) -> str:
    value = (value or "").strip()
    if not value:
        raise errors.ApiError(400, "idempotency_key_required", field="Idempotency-Key")
    if len(value) > MAX_IDEMPOTENCY_KEY or not value.isprintable():
        raise errors.ApiError(400, "idempotency_key_required", messages.bad_idempotency_key(),
                              field="Idempotency-Key")
    return value


class Fields:
    """Typed access to named values. Query-string values arrive as text and are
    converted; JSON values must already have the right JSON type."""

    def __init__(self, data: Mapping[str, Any], from_query: bool = False) -> None:
        self.data = data
        self.from_query = from_query

    @classmethod
    def query(cls, args: Mapping[str, List[str]]) -> "Fields":
        return cls({name: values[0] for name, values in args.items() if values}, from_query=True)

    @classmethod
    def body(cls, raw: bytes) -> "Fields":
        return cls(parse_json_object(raw))

    def _get(self, name: str, required: bool) -> Any:
        value = self.data.get(name)
        if isinstance(value, str) and not value.strip():
            value = None
        if value is None and required:
            raise errors.invalid(name, messages.missing_field(name))
        return value

    def _wrong(self, name: str, expected: str) -> errors.ApiError:
        return errors.invalid(name, messages.wrong_format(name, expected))

    def text(self, name: str, required: bool = True, max_length: int = 2000) -> Optional[str]:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > max_length:
            raise self._wrong(name, f"不超过{max_length}字的文字")
        return value.strip()

    def integer(self, name: str, required: bool = True, minimum: int = 1,
                maximum: int = 2**31 - 1) -> Optional[int]:
        value = self._get(name, required)
        if value is None:
            return None
        if self.from_query and isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self._wrong(name, f"{minimum}到{maximum}之间的整数")
        return value

    def digits(self, name: str, length: int) -> str:
        """Exactly `length` ASCII digits, as text (leading zeros count)."""
        value = self._get(name, required=True)
        if not isinstance(value, str) or len(value) != length or not (
            value.isascii() and value.isdigit()
        ):
            raise self._wrong(name, f"{length}位数字（字符串）")
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self._get(name, required=False)
        if value is None:
            return default
        if self.from_query and isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        if not isinstance(value, bool):
            raise self._wrong(name, "true 或 false")
        return value

    def day(self, name: str, required: bool = True) -> Optional[date]:
        value = self._get(name, required)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise self._wrong(name, "日期（如2026-11-30）") from None

    def moment(self, name: str, required: bool = True, day_end: bool = False) -> Optional[datetime]:
        """An ISO 8601 time (naive = Shanghai). A bare date means the start of that day,
        or with `day_end` the start of the next (so the whole day is included)."""
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, str) and len(value.strip()) == 10:
            d = self.day(name)
            start = datetime.combine(d, time.min, tzinfo=SHANGHAI)
            return start + timedelta(days=1) if day_end else start
        text = value.strip() if isinstance(value, str) else value
        if isinstance(text, str) and text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except (TypeError, ValueError):
            raise self._wrong(name, "ISO 8601 时间（如2026-11-30T09:00:00+08:00）") from None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=SHANGHAI)
        return parsed.astimezone(SHANGHAI)

    def amount(self, name: str, required: bool = False) -> Optional[Decimal]:
        """A non-negative RMB amount (JSON number, or digits in a query string)."""
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)) or (
            isinstance(value, str) and not self.from_query
        ):
            raise self._wrong(name, "金额数字（元）")
        try:
            amount = Decimal(str(value).replace(",", "").strip())
        except InvalidOperation:
            raise self._wrong(name, "金额数字（元）") from None
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
            raise self._wrong(name, "金额数字（元）")
        return amount.quantize(Decimal("0.01"))

    def choice(self, name: str, choices: Iterable[str], required: bool = True,
               default: Optional[str] = None) -> Optional[str]:
        allowed = tuple(choices)
        value = self._get(name, required and default is None)
        if value is None:
            return default
        if value not in allowed:
            raise errors.invalid(name, messages.unknown_choice(name, allowed), allowed=list(allowed))
        return value

    def codes(self, name: str, choices: Iterable[str]) -> List[str]:
        """A list of codes, each one of `choices`; missing means none."""
        allowed = tuple(choices)
        value = self._get(name, required=False)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._wrong(name, "代码列表")
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise errors.invalid(name, messages.unknown_choice(name, allowed),
                                 unknown=unknown, allowed=list(allowed))
        return value
