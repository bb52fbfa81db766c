"""The WeChat Official Account callback protocol as pure functions: signatures, AES
decryption with key rotation, XML safety and parsing into one channel-neutral record.
No I/O here; the adapter (adapter.py) calls these and answers HTTP."""
from __future__ import annotations

import binascii
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import WeChatException
from wechatpy.parser import parse_message

# Our choice: real callbacks are a few KiB (compatible mode about three times plaintext).
MAX_BODY_BYTES = 64 * 1024
# No window in the docs; ours (HM_WECHAT_MAX_SKEW). The host runs on NTP.
DEFAULT_MAX_SKEW_SECONDS = 300
MODES = ("plaintext", "compatible", "safe")
ENCRYPTED_MODES = ("compatible", "safe")
# XXE and billion laughs: refused before any parser sees the text.
UNSAFE_XML = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# What wechatpy raises on a wrong key or a broken ciphertext (not only its own
# exceptions). A wrong key yields random bytes: the last byte, read as the padding
# length, often leaves fewer than 4 bytes for the length field, and struct.unpack
# raises struct.error (about 1 in 256 long messages, far more short ones). Any of these
# from one key means "try the next key", never a failed callback.
DECRYPT_ERRORS = (struct.error, UnicodeDecodeError, binascii.Error, ValueError, IndexError,
                  TypeError, OverflowError, WeChatException)


class Rejected(Exception):
    """The request is refused: `status` is the HTTP answer (400 or 403), `reason` a
    short log phrase that never contains the body."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Undecryptable(Exception):
    """A body that passed msg_signature but no key we hold decrypts it."""


# ------------------------------------------------------------------ signatures

def sha1_signature(*parts: str) -> str:
    """Lower-case hex SHA-1 of the parts sorted lexicographically and concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def url_signature(token: str, timestamp: str, nonce: str) -> str:
    """`signature`: token, timestamp and nonce (URL verification and every POST)."""
    return sha1_signature(token, timestamp, nonce)


def message_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """`msg_signature`: the same plus the text of <Encrypt> (the only body check)."""
    return sha1_signature(token, timestamp, nonce, encrypt)


def same(expected: str, given: Optional[str]) -> bool:
    """Constant-time comparison of two signatures (wechatpy compares with `!=`)."""
    if not given:
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower()
                               .encode("ascii", "replace"))


def check_fresh(timestamp: str, now_epoch: float, max_skew: float) -> None:
    """Refuse a timestamp further than `max_skew` seconds from now (either way)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        raise Rejected(403, "timestamp is not a number") from None
    if abs(now_epoch - sent) > max_skew:
        raise Rejected(403, f"timestamp {sent} is {now_epoch - sent:+.0f} s from now")


# ------------------------------------------------------------------ XML

def check_safe_xml(body: bytes) -> None:
    """400 for any DOCTYPE or ENTITY declaration, before parsing."""
    if UNSAFE_XML.search(body):
        raise Rejected(400, "DOCTYPE or ENTITY in the XML")


def parse_xml(body: bytes) -> Dict[str, Any]:
    """The children of the <xml> root as a dict; anything else is a 400."""
    check_safe_xml(body)
    try:
        document = xmltodict.parse(body.decode("utf-8"), disable_entities=True)
    except (ExpatError, ValueError, UnicodeDecodeError) as error:
        raise Rejected(400, f"malformed XML ({type(error).__name__})") from None
    if not isinstance(document, dict) or list(document) != ["xml"]:
        raise Rejected(400, "the root element is not <xml>")
    root = document["xml"]
    if not isinstance(root, dict):
        raise Rejected(400, "empty <xml>")
    return root


def envelope_encrypt(body: bytes) -> str:
    """The text of <Encrypt> in a compatible- or safe-mode envelope."""
    encrypt = parse_xml(body).get("Encrypt")
    if not isinstance(encrypt, str) or not encrypt.strip():
        raise Rejected(400, "no <Encrypt> in the envelope")
    return encrypt


# ------------------------------------------------------------------ decryption

def _failure(error: Exception) -> str:
    """For the alert's detail: struct.error is just "error" by its own name."""
    return "struct.error" if isinstance(error, struct.error) else type(error).__name__


@dataclass(frozen=True)
class Decrypted:
    xml: bytes
    key: str  # "current" or "previous": replies are encrypted with the key that worked


class KeyRing:
    """The current and the previous EncodingAESKey (the docs' rotation rule), one
    wechatpy WeChatCrypto each: wechatpy holds one key."""

    def __init__(self, token: str, app_id: str, current: str,
                 previous: Optional[str] = None) -> None:
        self.cryptos: List[Tuple[str, WeChatCrypto]] = [
            ("current", WeChatCrypto(token, current, app_id))]
        if previous:
            self.cryptos.append(("previous", WeChatCrypto(token, previous, app_id)))

    def decrypt(self, encrypt: str) -> Decrypted:
        """The inner XML; the AppID at its end must be ours (InvalidAppIdException).
        Any failure under one key (a wrong key, another AppID) moves on to the next;
        Undecryptable only when every key failed."""
        failures = []
        for name, crypto in self.cryptos:
            try:
                text = PrpCrypto(crypto.key).decrypt(encrypt, crypto.app_id)
            except DECRYPT_ERRORS as error:
                failures.append(f"{name}: {_failure(error)}")
                continue
            return Decrypted(text.encode("utf-8"), name)
        raise Undecryptable("; ".join(failures))

    def crypto(self, key: str) -> WeChatCrypto:
        return dict(self.cryptos)[key]


# ------------------------------------------------------------------ messages

@dataclass(frozen=True)
class Inbound:
    """One callback, read: a member message (`msg_type` text, image ...) or an event
    (`msg_type` "event", `event` lower-case as wechatpy names it)."""

    msg_type: str
    openid: str
    create_time: int
    msg_id: Optional[str]  # MsgId as text (64-bit); events have none
    event: Optional[str] = None  # subscribe, subscribe_scan, scan, click, view ...
    event_key: str = ""  # as sent (qrscene_ prefix kept)
    scene: Optional[str] = None  # parametric QR code scene (subscribe_scan, scan)
    fields: Dict[str, Any] = field(default_factory=dict)

    @property
    def is_event(self) -> bool:
        return self.msg_type == "event"

    def dedup_key(self) -> str:
        """Messages by MsgId; events by FromUserName + CreateTime + Event + EventKey
        (wechatpy reports id 0 for every event; CreateTime has one-second resolution)."""
        if self.msg_id and not self.is_event:
            return f"msg:{self.msg_id}"
        raw_event = str(self.fields.get("Event") or "")
        digest = hashlib.sha256("\x1f".join(
            (self.openid, str(self.create_time), self.msg_type, raw_event, self.event_key)
        ).encode("utf-8")).hexdigest()
        return f"{'ev' if self.is_event else 'wx'}:{digest}"


def parse_inbound(xml: bytes) -> Inbound:
    """Read a plaintext callback message (400 when unsafe, malformed or without
    MsgType, FromUserName or CreateTime)."""
    fields = parse_xml(xml)
    msg_type = fields.get("MsgType")
    if not isinstance(msg_type, str) or not msg_type.strip():
        raise Rejected(400, "no MsgType")
    openid = fields.get("FromUserName")
    if not isinstance(openid, str) or not openid.strip():
        raise Rejected(400, "no FromUserName")
    try:
        create_time = int(fields.get("CreateTime"))
    except (TypeError, ValueError):
        raise Rejected(400, "no CreateTime") from None
    try:
        message = parse_message(xml.decode("utf-8"))
    except (ExpatError, ValueError, KeyError, TypeError) as error:
        raise Rejected(400, f"unreadable message ({type(error).__name__})") from None
    msg_type = msg_type.strip().lower()
    msg_id = fields.get("MsgId")
    event = None
    if msg_type == "event":
        # wechatpy's name (subscribe_scan for a QR follow), else the raw Event.
        raw_event = fields.get("Event")
        event = getattr(message, "event", None) or (
            raw_event if isinstance(raw_event, str) else None)
    event_key = fields.get("EventKey")
    scene = None
    if event in ("subscribe_scan", "scan"):
        scene = getattr(message, "scene_id", None)
    return Inbound(
        msg_type=msg_type, openid=openid.strip(), create_time=create_time,
        msg_id=str(msg_id).strip() if isinstance(msg_id, str) and msg_id.strip() else None,
        event=event.lower() if isinstance(event, str) else None,
        event_key=event_key if isinstance(event_key, str) else "",
        scene=scene, fields=fields)


def recognition(inbound: Inbound) -> Optional[str]:
    """A voice message's speech recognition, or None when absent or empty (the
    capability is being retired and may come back empty)."""
    value = inbound.fields.get("Recognition")
    return value.strip() or None if isinstance(value, str) else None


# ------------------------------------------------------------------ the whole check

@dataclass(frozen=True)
class Query:
    signature: Optional[str]
    timestamp: Optional[str]
    nonce: Optional[str]
    encrypt_type: Optional[str] = None
    msg_signature: Optional[str] = None
    openid: Optional[str] = None

    @classmethod
    def of(cls, args: Dict[str, Sequence[str]]) -> "Query":
        def one(name: str) -> Optional[str]:
            values = args.get(name)
            if isinstance(values, str):  # Sanic's RequestParameters.get gives the first
                return values
            return values[0] if values else None
        return cls(one("signature"), one("timestamp"), one("nonce"), one("encrypt_type"),
                   one("msg_signature"), one("openid"))


def verify_query(token: str, query: Query) -> None:
    """403 unless `signature` matches token, timestamp and nonce."""
    if not (query.timestamp and query.nonce and query.signature):
        raise Rejected(403, "signature, timestamp or nonce missing")
    if not same(url_signature(token, query.timestamp, query.nonce), query.signature):
        raise Rejected(403, "bad signature")


def verified_encrypt(token: str, query: Query, body: bytes) -> str:
    """In compatible and safe mode: encrypt_type=aes and a matching msg_signature over
    the envelope's <Encrypt>, or the body is refused (never checked with `signature`)."""
    if (query.encrypt_type or "").lower() != "aes" or not query.msg_signature:
        raise Rejected(403, "encrypt_type=aes and msg_signature required")
    encrypt = envelope_encrypt(body)
    expected = message_signature(token, query.timestamp or "", query.nonce or "", encrypt)
    if not same(expected, query.msg_signature):
        raise Rejected(403, "bad msg_signature")
    return encrypt
