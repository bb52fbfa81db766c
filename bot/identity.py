"""Who a member is, decided once by the gateway and carried to Rasa and the actions in a
form nobody else can produce: an HMAC-SHA256 over the conversation id (Rasa's sender),
the message text and the gateway's metadata (channel, the member's id on that channel,
the message id), keyed with a secret that only the gateway, the Rasa server and the
action server hold (`HM_IDENTITY_SECRET`).

- The gateway calls `sign` on every message it hands to Rasa.
- Rasa's input channel (`bot.rasa_channel`) calls `verify` with a freshness window and
  refuses anything unsigned, stale or altered, before a single word reaches the model.
- The actions call `verify` again on the tracker's user events (`verified_identity`), so a
  tracker posted to the action server by anyone but Rasa names no member.

Pure functions of plain values; the secret is passed in, read once per process by
`secret_from_env`. Signing uses the wall clock (time.time), never HM_NOW: the window is
about transport, not about the business day a demo freezes.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Mapping, Optional

SECRET_ENV = "HM_IDENTITY_SECRET"
SIGNATURE = "signature"  # metadata key of the HMAC (hex)
SIGNED_AT = "signed_at"  # metadata key of the signing time (whole seconds since the epoch)
# How old (or how far in the future) a signed message may be when Rasa receives it: the
# gateway signs just before it posts, so seconds suffice; a minute covers clock steps.
MAX_AGE_SECONDS = 60
MIN_SECRET_LENGTH = 16
# Keys Rasa adds to a message's metadata when it receives it (3.6: the model and the
# assistant): not the gateway's words, so not signed, and nobody reads them as identity.
ADDED_BY_RASA = frozenset({"model_id", "assistant_id"})


class IdentityError(Exception):
    """The message is unsigned, altered, stale, or the secret is missing."""


@dataclass(frozen=True)
class Identity:
    """A member's identity on one channel, as the gateway decided it."""

    sender: str  # Rasa's conversation id (the gateway uses "channel:external_id")
    channel: str
    external_id: str
    message_id: str


def secret_from_env(environ: Mapping[str, str] = os.environ) -> bytes:
    """The shared secret; a process that must sign or verify refuses to run without it."""
    secret = environ.get(SECRET_ENV, "")
    if len(secret) < MIN_SECRET_LENGTH:
        raise IdentityError(
            f"{SECRET_ENV} is missing or shorter than {MIN_SECRET_LENGTH} characters")
    return secret.encode("utf-8")


def _canonical(sender: str, text: str, metadata: Mapping[str, Any]) -> bytes:
    # Rasa strips the text of a UserMessage, so the actions see the stripped text: sign
    # that. The signature itself is never part of what it signs, nor what Rasa adds.
    unsigned = {key: value for key, value in metadata.items()
                if key != SIGNATURE and key not in ADDED_BY_RASA}
    body = {"sender": sender, "text": (text or "").strip(), "metadata": unsigned}
    return json.dumps(body, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def _mac(secret: bytes, sender: str, text: str, metadata: Mapping[str, Any]) -> str:
    return hmac.new(secret, _canonical(sender, text, metadata), hashlib.sha256).hexdigest()


def sign(secret: bytes, sender: str, text: str, metadata: Mapping[str, Any],
         now: Optional[float] = None) -> Dict[str, Any]:
    """The metadata with the signing time and the signature added."""
    signed = {key: value for key, value in metadata.items() if key != SIGNATURE}
    signed[SIGNED_AT] = int(time.time() if now is None else now)
    signed[SIGNATURE] = _mac(secret, sender, text, signed)
    return signed


def verify(secret: bytes, sender: str, text: str, metadata: Any,
           now: Optional[float] = None, max_age: Optional[float] = MAX_AGE_SECONDS
           ) -> Identity:
    """The identity the gateway signed, or IdentityError. `max_age=None` skips the
    freshness check (the actions re-check events Rasa already accepted as fresh)."""
    if not isinstance(metadata, Mapping):
        raise IdentityError("no metadata")
    given = metadata.get(SIGNATURE)
    if not isinstance(given, str) or not given:
        raise IdentityError("unsigned")
    if not hmac.compare_digest(_mac(secret, sender, text, metadata), given):
        raise IdentityError("bad signature")
    signed_at = metadata.get(SIGNED_AT)
    if max_age is not None:
        if not isinstance(signed_at, int) or isinstance(signed_at, bool):
            raise IdentityError("no signing time")
        current = time.time() if now is None else now
        if abs(current - signed_at) > max_age:
            raise IdentityError("stale")
    channel = metadata.get("channel")
    external_id = metadata.get("member")
    if not isinstance(channel, str) or not isinstance(external_id, str) \
            or not channel or not external_id:
        raise IdentityError("no member in the signed metadata")
    return Identity(sender, channel, external_id, str(metadata.get("message_id") or ""))


def verified_identity(secret: bytes, sender: str,
                      events: Iterable[Mapping[str, Any]]) -> Optional[Identity]:
    """The member of a conversation, from its newest user event the gateway signed (a
    hand back or a manager's turn adds unsigned events through Rasa's token-protected
    API; the member of the conversation does not change). None when no event verifies."""
    for event in reversed(list(events)):
        if event.get("event") != "user":
            continue
        metadata = event.get("metadata")
        if not isinstance(metadata, Mapping) or SIGNATURE not in metadata:
            continue
        try:
            return verify(secret, sender, str(event.get("text") or ""), metadata, max_age=None)
        except IdentityError:
            continue
    return None
