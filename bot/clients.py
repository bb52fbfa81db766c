"""The HTTP client the actions use for the backends (scheduling, pre-authorisation,
members). The actions know only this contract (bot/backends/openapi.yaml), so a real
deployment points HM_BACKENDS_URL at the insurer's systems.

Errors are values at the edge: every failure is one of two project exceptions.
- BackendRefused: the backends answered with a 4xx error body (a rule, a conflict, a
  validation problem). Its `message` is polite Chinese that a member may read.
- BackendUnavailable: down, too slow, a 5xx or an unreadable answer. The action apologises
  and offers a health manager; it never pretends something was done.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Dict, Mapping, Optional

import aiohttp

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT_SECONDS = 5.0


class BackendError(Exception):
    """Any failure talking to the backends."""


class BackendUnavailable(BackendError):
    """Down, timed out, a server error, or an answer that is not the contract's JSON."""


class BackendRefused(BackendError):
    """A 4xx answer: the request was understood and refused, with a reason."""

    def __init__(self, status: int, code: str, message: str, field: Optional[str] = None,
                 details: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.details = dict(details or {})


@dataclass(frozen=True)
class BackendSettings:
    url: str
    token: str
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ,
                 warn: bool = True) -> "BackendSettings":
        """`warn`: log a missing token now (a service starting); a command that never
        calls the backends reads the settings without the noise."""
        token = environ.get("HM_BACKENDS_TOKEN", "")
        if not token and warn:
            cls.warn_missing_token()
        return cls(
            url=environ.get("HM_BACKENDS_URL", DEFAULT_URL).rstrip("/"),
            token=token,
            timeout=float(environ.get("HM_BACKENDS_TIMEOUT", DEFAULT_TIMEOUT_SECONDS)),
        )

    @staticmethod
    def warn_missing_token() -> None:
        # The service still starts (emergency advice must never depend on the backends);
        # every call then fails as unavailable, and says why in the log.
        logger.error("HM_BACKENDS_TOKEN is not set: backend calls will fail")


def idempotency_key(*parts: Any) -> str:
    """A stable key for one member request: the same parts (conversation, the message
    that asked, what was asked) give the same key, so a retried message books once."""
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


class BackendsClient:
    """One method per route the actions use. Every call has the settings' timeout.

    Calls share one connection pool per event loop (a booking turn makes three to five
    calls; a new TCP connection and session for each cost about a millisecond apiece).
    Idle connections are dropped after KEEPALIVE_SECONDS, before the backends' Sanic
    closes them (5 s). A request that finds its kept-alive connection closed anyway (the
    backends restarted) is sent once more on a new connection when repeating it is safe:
    a read, or a write carrying its Idempotency-Key."""

    KEEPALIVE_SECONDS = 4.0
    MAX_CONNECTIONS = 32

    def __init__(self, settings: BackendSettings) -> None:
        self.settings = settings
        self._session: Optional[aiohttp.ClientSession] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def _pool(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            # A client used from a new event loop (tests) starts a pool of that loop.
            connector = aiohttp.TCPConnector(limit=self.MAX_CONNECTIONS,
                                             keepalive_timeout=self.KEEPALIVE_SECONDS)
            self._session = aiohttp.ClientSession(connector=connector)
            self._loop = loop
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def _call(self, method: str, path: str, *, params: Optional[Mapping[str, Any]] = None,
                    body: Optional[Mapping[str, Any]] = None, key: Optional[str] = None
                    ) -> Dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.settings.token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout)
        repeatable = method == "GET" or key is not None
        for attempt in (1, 2):
            try:
                async with self._pool().request(method, self.settings.url + path,
                                                params=query, json=body, headers=headers,
                                                timeout=timeout) as response:
                    status = response.status
                    try:
                        payload = await response.json(content_type=None)
                    except ValueError:
                        payload = None
                break
            except aiohttp.ServerDisconnectedError as exc:
                if attempt == 1 and repeatable:
                    continue  # a pooled connection the server had closed: once more
                raise self._unavailable(method, path, exc) from exc
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                raise self._unavailable(method, path, exc) from exc
        if status >= 500 or not isinstance(payload, dict):
            logger.warning("backends %s %s answered %s", method, path, status)
            raise BackendUnavailable(f"{method} {path}: HTTP {status}")
        if status >= 400:
            error = payload.get("error") or {}
            raise BackendRefused(status, str(error.get("code", "error")),
                                 str(error.get("message", "")), error.get("field"),
                                 error.get("details"))
        return payload

    @staticmethod
    def _unavailable(method: str, path: str, exc: BaseException) -> BackendUnavailable:
        logger.warning("backends %s %s failed: %r", method, path, exc)
        return BackendUnavailable(f"{method} {path}: {exc!r}")

    # ---- members ------------------------------------------------------------------
    async def member_by_channel(self, channel: str, external_id: str) -> Optional[Dict[str, Any]]:
        """The member behind a chat identity, or None when nobody is bound to it."""
        try:
            return await self._call("GET", "/v1/members/lookup",
                                    params={"channel": channel, "external_id": external_id})
        except BackendRefused as refused:
            if refused.status == 404:
                return None
            raise

    async def member(self, member_id: int) -> Dict[str, Any]:
        return await self._call("GET", f"/v1/members/{member_id}")

    async def name_health_manager(self, key: str, member_id: int,
                                  username: Optional[str]) -> Dict[str, Any]:
        """Name (None: clear) the member's own health manager; the member back."""
        return await self._call("POST", f"/v1/members/{member_id}/health-manager",
                                body={"health_manager": username}, key=key)

    async def profile(self, member_id: int) -> Dict[str, Any]:
        return await self._call("GET", f"/v1/members/{member_id}/profile")

    async def link_member(self, key: str, channel: str, external_id: str, policy_number: str,
                          phone_last4: str) -> Dict[str, Any]:
        """Link a chat identity to the member whose policy number and phone tail these
        are: {"result": linked|relinked|already_linked, ..., "member": masked}. Raises
        BackendRefused 422 link_mismatch (details.remaining_attempts, retry_after) or
        429 link_locked (details.retry_after)."""
        body = {"channel": channel, "external_id": external_id,
                "policy_number": policy_number, "phone_last4": phone_last4}
        return await self._call("POST", "/v1/members/link", body=body, key=key)

    async def unlink_channel(self, channel: str, external_id: str,
                             key: Optional[str] = None) -> Dict[str, Any]:
        """Forget a chat identity's link (WeChat unsubscribe): {"unlinked": bool,
        "member_id": int|None, ...}. Safe to repeat, so a fresh key by default."""
        return await self._call("POST", "/v1/members/unlink",
                                body={"channel": channel, "external_id": external_id},
                                key=key or uuid.uuid4().hex)

    # ---- network and schedules ----------------------------------------------------
    async def hospitals(self, query: str) -> list:
        return (await self._call("GET", "/v1/hospitals", params={"q": query}))["hospitals"]

    async def hospital(self, hospital_id: str) -> Dict[str, Any]:
        return await self._call("GET", f"/v1/hospitals/{hospital_id}")

    async def doctors(self, hospital_id: str, department_id: str, name: Optional[str]) -> list:
        params = {"hospital_id": hospital_id, "department_id": department_id, "name": name}
        return (await self._call("GET", "/v1/doctors", params=params))["doctors"]

    async def availability(self, **params: Any) -> Dict[str, Any]:
        return await self._call("GET", "/v1/availability", params=params)

    # ---- appointments -------------------------------------------------------------
    async def appointments(self, member_id: int, scope: str = "upcoming") -> list:
        return (await self._call("GET", f"/v1/members/{member_id}/appointments",
                                 params={"scope": scope}))["appointments"]

    async def book(self, key: str, member_id: int, slot_id: int,
                   accidental_injury: bool = False) -> Dict[str, Any]:
        body = {"member_id": member_id, "slot_id": slot_id,
                "accidental_injury": accidental_injury}
        return await self._call("POST", "/v1/appointments", body=body, key=key)

    async def cancel(self, key: str, appointment_id: int, member_id: int) -> Dict[str, Any]:
        return await self._call("POST", f"/v1/appointments/{appointment_id}/cancel",
                                body={"member_id": member_id}, key=key)

    async def reschedule(self, key: str, appointment_id: int, member_id: int,
                         slot_id: int) -> Dict[str, Any]:
        return await self._call("POST", f"/v1/appointments/{appointment_id}/reschedule",
                                body={"member_id": member_id, "slot_id": slot_id}, key=key)

    # ---- pre-authorisation --------------------------------------------------------
    async def assess_preauth(self, text: str, amount: Optional[float],
                             planned_date: Optional[str] = None) -> Dict[str, Any]:
        params = {"text": text, "amount": amount}
        if planned_date:
            params["planned_date"] = planned_date
        return await self._call("GET", "/v1/preauth/assess", params=params)

    async def apply_preauth(self, key: str, **body: Any) -> Dict[str, Any]:
        return await self._call("POST", "/v1/preauth-cases", body=body, key=key)

    async def preauth_cases(self, member_id: int) -> list:
        return (await self._call("GET", f"/v1/members/{member_id}/preauth-cases"))[
            "preauth_cases"]

    # ---- emergencies --------------------------------------------------------------
    async def notify_emergency(self, key: str, **body: Any) -> Dict[str, Any]:
        return await self._call("POST", "/v1/emergency-notifications", body=body, key=key)

    # ---- notices due (the reminders job) -------------------------------------------
    async def notices_due(self, appointments_on: Optional[date],
                          decided_since: datetime) -> Dict[str, Any]:
        """Visits on `appointments_on` still booked (none asked when None) and pre-auth
        decisions since `decided_since`: {"as_of", "appointment_reminders",
        "preauth_decisions"}."""
        params = {"appointments_on": appointments_on.isoformat() if appointments_on else None,
                  "decided_since": decided_since.isoformat()}
        return await self._call("GET", "/v1/notices", params=params)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
