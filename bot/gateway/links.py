"""Signed web chat links: how a web chat session proves whose it is outside demo mode.

A link is `/chat?t=<web id>.<expiry>.<signature>`: the member's web id, the expiry (Unix
seconds), and HMAC-SHA256 over both with the gateway's secret (HM_GATEWAY_LINK_SECRET),
base64url without padding. `python -m bot.gateway chat-link WEB_ID --hours 24` issues
one; `POST /chat/api/start {"link": ...}` checks it with `hmac.compare_digest`. The web
id has no dots (channels/web.py MEMBER_ID), so the three parts split unambiguously.

Pure functions of the secret, the values and an explicit `now`; no I/O here."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta

# Domain separation: this secret signs nothing else, but a version tag costs nothing.
PURPOSE = b"hm-web-chat-link:v1"
WEB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
LINK = re.compile(r"(?P<member>[A-Za-z0-9_-]{1,64})\.(?P<expires>\d{1,12})\."
                  r"(?P<signature>[A-Za-z0-9_-]{43})")
# A placeholder or a typed word is not a secret (scripts/run.sh makes 32 characters).
MIN_SECRET_LENGTH = 32


class LinkRefused(ValueError):
    """The link is malformed, tampered with, signed with another secret, or expired;
    `reason` is for the log, the member reads one polite sentence whatever it is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _signature(secret: str, member: str, expires: int) -> str:
    digest = hmac.new(secret.encode("utf-8"),
                      b"\x1f".join((PURPOSE, member.encode("ascii"), str(expires).encode())),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign(secret: str, member: str, expires: datetime) -> str:
    """The `t` value of a link for `member`, valid until `expires`."""
    if not WEB_ID.fullmatch(member):
        raise ValueError("a web id is 1-64 letters, digits, '-' or '_'")
    epoch = int(expires.timestamp())
    return f"{member}.{epoch}.{_signature(secret, member, epoch)}"


def issue(secret: str, member: str, now: datetime, hours: float) -> str:
    """The path of a link valid for `hours` from `now`."""
    return f"/chat?t={sign(secret, member, now + timedelta(hours=hours))}"


def verify(secret: str, link: str, now: datetime) -> str:
    """The member's web id, or LinkRefused. Accepts the `t` value or a whole link."""
    token = link.strip()
    if "t=" in token:
        token = token.split("t=", 1)[1].split("&", 1)[0]
    match = LINK.fullmatch(token)
    if match is None:
        raise LinkRefused("malformed link")
    member, expires = match["member"], int(match["expires"])
    expected = _signature(secret, member, expires)
    if not hmac.compare_digest(expected.encode("ascii"), match["signature"].encode("ascii")):
        raise LinkRefused("bad signature")
    if now.timestamp() >= expires:
        raise LinkRefused("expired")
    return member
