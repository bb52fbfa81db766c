"""WeChat's server callback over HTTP: URL verification, and each POST verified
(signature, freshness, msg_signature), read (capped), decrypted (the current or the
previous EncodingAESKey) and parsed, then handed on as an `Inbound`. A body signed by
WeChat that no key decrypts is kept, still encrypted, as an operator alert. Every
verified POST is answered `success` (WeChat drops the connection after 5 s and
retries); what happens to the message is the handler's business."""
from __future__ import annotations

import hashlib
import logging
from typing import Awaitable, Callable, Dict, List, Optional

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot.clock import Clock
from bot.db import DatabasePool
from bot.gateway import store
from bot.gateway.channels.wechat.protocol import (
    MAX_BODY_BYTES,
    Inbound,
    KeyRing,
    Query,
    Rejected,
    Undecryptable,
    check_fresh,
    parse_inbound,
    verified_encrypt,
    verify_query,
)
from bot.gateway.channels.wechat.settings import CHANNEL, WeChatSettings
from bot.gateway.ratelimit import IPNetwork, client_address
from bot.gateway.tasks import Tasks

logger = logging.getLogger(__name__)

# Both stop WeChat's retries; neither is encrypted, even in safe mode.
SUCCESS = "success"
# The handler of a verified callback: (the message or event, the caller's address).
Handler = Callable[[Inbound, str], Awaitable[None]]


def _success() -> HTTPResponse:
    return response.text(SUCCESS, content_type="text/plain")


def _refuse(request: Request, rejected: Rejected) -> HTTPResponse:
    # The reason and the path only: never the body, never the query (signatures).
    logger.warning("wechat callback refused (%s): %s %s", rejected.status, rejected.reason,
                   request.path)
    return response.text("forbidden" if rejected.status == 403 else "bad request",
                         status=rejected.status)


async def _read_capped(request: Request) -> Optional[bytes]:
    """The body, or None when it is larger than MAX_BODY_BYTES (refused unread)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > MAX_BODY_BYTES:
                return None
        except ValueError:
            return None
    chunks: List[bytes] = []
    size = 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            break
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class Callback:
    def __init__(self, settings: WeChatSettings, trusted_proxies: tuple[IPNetwork, ...],
                 pool: DatabasePool, clock: Clock, tasks: Tasks) -> None:
        self.settings = settings
        self.trusted_proxies = trusted_proxies
        self.pool = pool
        self.clock = clock
        self.tasks = tasks
        self.keys: Optional[KeyRing] = (
            KeyRing(settings.token, settings.app_id, settings.aes_key or "",
                    settings.aes_key_previous)
            if settings.encrypted else None)
        # The key that last decrypted a member's message: a passive reply would be
        # encrypted with it (we answer `success` and send through the API instead).
        self.key_in_use: Dict[str, str] = {}

    def blueprint(self, handle: Handler) -> Blueprint:
        """The callback's routes; `handle` stores a verified message before `success`
        is answered."""
        bp = Blueprint("wechat", url_prefix=self.settings.path)
        token = self.settings.token

        @bp.get("")
        async def verify_url(request: Request) -> HTTPResponse:
            """URL verification: echostr back, byte for byte (not encrypted for
            Official Accounts, in every mode)."""
            try:
                verify_query(token, Query.of(request.args))
            except Rejected as rejected:
                return _refuse(request, rejected)
            echostr = request.args.get("echostr") or ""
            return response.raw(echostr.encode("utf-8"), content_type="text/plain")

        @bp.post("", stream=True)
        async def callback(request: Request) -> HTTPResponse:
            query = Query.of(request.args)
            address = client_address(request.ip, request.headers.get("x-forwarded-for"),
                                     self.trusted_proxies)
            try:
                verify_query(token, query)
                check_fresh(query.timestamp or "", self.clock.now().timestamp(),
                            self.settings.max_skew)
            except Rejected as rejected:
                return _refuse(request, rejected)
            body = await _read_capped(request)
            if body is None:
                logger.warning("wechat callback refused (413): body over %d bytes",
                               MAX_BODY_BYTES)
                return response.text("payload too large", status=413)
            try:
                xml = body
                if self.keys is not None:
                    encrypt = verified_encrypt(token, query, body)
                    try:
                        decrypted = self.keys.decrypt(encrypt)
                    except Undecryptable as error:
                        await self.tasks.complete(self._keep_undecryptable(
                            encrypt, query.openid, str(error)))
                        return _success()
                    xml = decrypted.xml
                inbound = parse_inbound(xml)
            except Rejected as rejected:
                return _refuse(request, rejected)
            if self.keys is not None:
                self.key_in_use[inbound.openid] = decrypted.key
                if decrypted.key != "current":
                    logger.info("wechat message decrypted with the previous EncodingAESKey")
            await self.tasks.complete(handle(inbound, address))
            return _success()

        return bp

    async def _keep_undecryptable(self, encrypt: str, openid: Optional[str],
                                  reason: str) -> None:
        """Signed by WeChat (msg_signature matched) but no key decrypts it: kept, still
        encrypted, as undeliverable, and an operator alert (most likely the
        EncodingAESKey was changed in the console and not here)."""
        key = "undecryptable:" + hashlib.sha256(encrypt.encode("utf-8")).hexdigest()
        now = self.clock.now()
        new = await self.pool.write(lambda s: store.record_alert(
            s, CHANNEL, "undecryptable", key, openid,
            f"passed msg_signature but no EncodingAESKey decrypts it ({reason})",
            encrypt, now))
        if new:
            logger.error("OPERATOR ALERT: a signed WeChat message could not be decrypted "
                         "(%s); kept encrypted as undeliverable in operator_alerts. Check "
                         "HM_WECHAT_AES_KEY / HM_WECHAT_AES_KEY_PREVIOUS and HM_WECHAT_APPID.",
                         reason)
