"""The API's one error type: an HTTP status, a machine code, a polite Chinese sentence
a member may read, the offending field and details. Raised anywhere below the routes,
turned into `{"error": {...}}` at the edge (bot/backends/app.py)."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from bot.backends import messages


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: Optional[str] = None,
        field: Optional[str] = None,
        details: Optional[Mapping[str, Any]] = None,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message or messages.error(code)
        self.field = field
        self.details = dict(details or {})

    def body(self) -> dict:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "field": self.field,
                "details": self.details,
            }
        }

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.code!r}, field={self.field!r})"


def invalid(field: Optional[str], message: str, **details: Any) -> ApiError:
    return ApiError(400, "invalid_request", message, field, details)


def forbidden(code: str, field: Optional[str] = None, **details: Any) -> ApiError:
    return ApiError(403, code, field=field, details=details)


def not_found(field: Optional[str] = None, **details: Any) -> ApiError:
    return ApiError(404, "not_found", field=field, details=details)


def member_not_found(field: Optional[str] = "member_id", **details: Any) -> ApiError:
    return ApiError(404, "member_not_found", field=field, details=details)


def conflict(code: str, message: Optional[str] = None, field: Optional[str] = None,
             **details: Any) -> ApiError:
    return ApiError(409, code, message, field, details)


def rule_violation(code: str, message: str, field: Optional[str] = None,
                   **details: Any) -> ApiError:
    return ApiError(422, code, message, field, details)
