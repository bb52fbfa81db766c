"""Posting a callback as WeChat does: one request under a deadline (5 s by default), and
the record of every attempt and of what the member finally saw."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import aiohttp

from bot.wechat_simulator.messages import Envelope

ACCEPTED = "accepted"  # `success` or an empty body
REPLIED = "replied"  # a valid passive reply, now in the member's inbox
BANNER = "banner"  # any other answer: the member sees the banner
FAILED = "failed"  # no answer after every retry: the banner too
NO_CALLBACK = "no_callback"  # the simulator has no callback URL


@dataclass
class Attempt:
    """One POST: what was sent, and the status and body that came back (None and an
    `error` on a timeout or a connection failure)."""

    query: Dict[str, str]
    body: bytes
    status: Optional[int]
    answer: bytes
    elapsed: float
    error: Optional[str] = None

    def as_dict(self) -> Dict[str, Any]:
        return {"query": self.query, "body": self.body.decode("utf-8", "replace"),
                "status": self.status, "answer": self.answer.decode("utf-8", "replace"),
                "elapsed": round(self.elapsed, 3), "error": self.error}


@dataclass
class Delivery:
    """A member action as posted: the plaintext XML, its MsgId (None for events), every
    attempt, the outcome and the inbox entry the member saw because of the answer."""

    fields: Dict[str, Any]
    xml: bytes
    msg_id: Optional[int]
    create_time: int
    attempts: List[Attempt] = field(default_factory=list)
    outcome: str = NO_CALLBACK
    shown: Optional[Dict[str, Any]] = None

    @property
    def ok(self) -> bool:
        return self.outcome in (ACCEPTED, REPLIED, NO_CALLBACK)

    def as_dict(self) -> Dict[str, Any]:
        return {"msg_id": self.msg_id, "create_time": self.create_time,
                "fields": self.fields, "xml": self.xml.decode("utf-8"),
                "outcome": self.outcome, "shown": self.shown,
                "attempts": [attempt.as_dict() for attempt in self.attempts]}


async def post_once(session: aiohttp.ClientSession, url: str, envelope: Envelope,
                    timeout: float) -> Attempt:
    """POST within `timeout` seconds (connect and answer included); WeChat drops the
    connection at the deadline."""
    started = time.monotonic()
    try:
        async with session.post(url, params=envelope.query, data=envelope.body,
                                headers={"Content-Type": "text/xml"},
                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            answer = await response.read()
            return Attempt(envelope.query, envelope.body, response.status, answer,
                           time.monotonic() - started)
    except asyncio.TimeoutError:
        error = f"no answer within {timeout:g} s"
    except (aiohttp.ClientError, OSError) as failure:
        error = f"{type(failure).__name__}: {failure}"
    return Attempt(envelope.query, envelope.body, None, b"", time.monotonic() - started, error)
