"""The WeChat Official Account channel (众安健康 service account): the server callback
(URL verification and member messages and events) and, in phase 2, the customer-service
API. The protocol's pure parts live in protocol.py; this module answers HTTP, stores,
and hands member messages to the router after the answer has gone.

Order on every POST: verify (signature, freshness, msg_signature), de-duplicate, store
durably, answer `success` (WeChat drops the connection after 5 s and retries), and only
then the Rasa work, in the background."""
from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot.gateway import messages, store
from bot.gateway.channels.base import (
    ChannelAdapter,
    ChannelError,
    MemberMessage,
    OutgoingMessage,
)
from bot.gateway.channels.wechat.protocol import (
    MAX_BODY_BYTES,
    Inbound,
    KeyRing,
    Query,
    Rejected,
    Undecryptable,
    check_fresh,
    parse_inbound,
    recognition,
    verified_encrypt,
    verify_query,
)
from bot.gateway.channels.wechat.settings import WeChatSettings
from bot.gateway.store import ConversationRef

if TYPE_CHECKING:
    from bot.gateway.service import Gateway

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
# Both stop WeChat's retries; neither is encrypted, even in safe mode.
SUCCESS = "success"
OUTBOUND_NOT_BUILT = "outbound WeChat delivery is not built yet (phase 2): kept undelivered"
# Fields that say who and when, not what: left out of recorded event details.
ENVELOPE_FIELDS = {"ToUserName", "FromUserName", "CreateTime", "MsgType", "Event", "EventKey"}
# Events that are only recorded (no reply): WeChat opens no window for them, or they
# are delivery reports.
RECORDED_EVENTS = {"scan", "location", "templatesendjobfinish", "subscribe_msg_popup_event"}


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


class WeChat(ChannelAdapter):
    def __init__(self, settings: WeChatSettings) -> None:
        self.settings = settings
        self.keys: Optional[KeyRing] = (
            KeyRing(settings.token, settings.app_id, settings.aes_key or "",
                    settings.aes_key_previous)
            if settings.encrypted else None)
        # The key that last decrypted a member's message: phase 2 encrypts with it.
        self.key_in_use: Dict[str, str] = {}

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send(self, conversation: ConversationRef, messages: List[OutgoingMessage]) -> None:
        """Phase 2 sends through the customer-service API within WeChat's window and
        quota; until then every reply stays stored, marked undelivered."""
        logger.warning("conversation %s: %d message(s) for wechat kept undelivered: outbound "
                       "WeChat delivery is not built yet", conversation.id, len(messages))
        raise ChannelError(OUTBOUND_NOT_BUILT)

    # ------------------------------------------------------------------ inbound

    def blueprint(self, gateway: "Gateway") -> Blueprint:
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
            try:
                verify_query(token, query)
                check_fresh(query.timestamp or "", gateway.clock.now().timestamp(),
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
                        await gateway.complete(self._keep_undecryptable(
                            gateway, encrypt, query.openid, str(error)))
                        return _success()
                    xml = decrypted.xml
                inbound = parse_inbound(xml)
            except Rejected as rejected:
                return _refuse(request, rejected)
            if self.keys is not None:
                self.key_in_use[inbound.openid] = decrypted.key
                if decrypted.key != "current":
                    logger.info("wechat message decrypted with the previous EncodingAESKey")
            await gateway.complete(self._accept(gateway, inbound))
            return _success()

        return bp

    async def _keep_undecryptable(self, gateway: "Gateway", encrypt: str,
                                  openid: Optional[str], reason: str) -> None:
        """Signed by WeChat (msg_signature matched) but no key decrypts it: kept, still
        encrypted, as undeliverable, and an operator alert (most likely the
        EncodingAESKey was changed in the console and not here)."""
        key = "undecryptable:" + hashlib.sha256(encrypt.encode("utf-8")).hexdigest()
        now = gateway.clock.now()
        new = await gateway.pool.write(lambda s: store.record_alert(
            s, CHANNEL, "undecryptable", key, openid,
            f"passed msg_signature but no EncodingAESKey decrypts it ({reason})",
            encrypt, now))
        if new:
            logger.error("OPERATOR ALERT: a signed WeChat message could not be decrypted "
                         "(%s); kept encrypted as undeliverable in operator_alerts. Check "
                         "HM_WECHAT_AES_KEY / HM_WECHAT_AES_KEY_PREVIOUS and HM_WECHAT_APPID.",
                         reason)

    async def _accept(self, gateway: "Gateway", inbound: Inbound) -> None:
        """De-duplicate and store (before `success` is answered); queue the rest."""
        if inbound.is_event:
            await self._accept_event(gateway, inbound)
        else:
            await self._accept_message(gateway, inbound)

    async def _accept_message(self, gateway: "Gateway", inbound: Inbound) -> None:
        kind = inbound.msg_type
        heard = recognition(inbound) if kind == "voice" else None
        if kind == "text":
            text = str(inbound.fields.get("Content") or "")
            readable = True
        elif heard is not None:
            text, readable = heard, True
        else:
            text, readable = messages.unreadable_label(kind, _detail(inbound)), False
        message = MemberMessage(
            channel=CHANNEL, external_id=inbound.openid, text=text,
            message_id=inbound.dedup_key(),
            metadata={"wechat_msg_type": kind})
        stored = await gateway.router.store(message)
        if stored.duplicate:
            logger.info("wechat %s message retried: already stored", kind)
            return
        logger.info("wechat %s message stored as message %s", kind, stored.message_id)
        if readable:
            gateway.background(gateway.router.route(stored, message), "wechat message")
        else:
            gateway.background(self._unreadable(gateway, stored, kind), "wechat media")

    async def _unreadable(self, gateway: "Gateway", stored: store.Inbound, kind: str) -> None:
        """Kept for the managers; while the bot has the conversation, the member is
        asked to type (a person who has it answers themselves)."""
        conversation = await gateway.pool.read(
            lambda s: store.conversation(s, stored.conversation.id))
        if conversation is None:
            return
        routed = "manager" if conversation.paused else "unrouted"
        view = await gateway.pool.write(
            lambda s: store.mark_routed(s, stored.message_id, routed))
        gateway.outbox.member_message(conversation, view)
        if not conversation.paused:
            await gateway.outbox.say(conversation, "system", [{"text": messages.unreadable(kind)}])

    async def _accept_event(self, gateway: "Gateway", inbound: Inbound) -> None:
        event = inbound.event or "unknown"
        openid = inbound.openid
        now = gateway.clock.now()
        key = inbound.dedup_key()
        if event == "view":
            logger.info("wechat VIEW event (menu link opened); no window, nothing stored")
            return
        if event == "click":
            intent = self.settings.menu_intents.get(inbound.event_key)
            if intent is None:
                logger.warning("wechat menu key %r has no intent (HM_WECHAT_MENU_INTENTS)",
                               inbound.event_key)
            message = MemberMessage(channel=CHANNEL, external_id=openid,
                                    text=messages.menu_label(inbound.event_key),
                                    message_id=key, intent=intent,
                                    metadata={"wechat_msg_type": "event", "event": "CLICK"})
            stored = await gateway.router.store(message)
            if not stored.duplicate:
                gateway.background(gateway.router.route(stored, message), "wechat menu click")
            return
        if event == "unsubscribe":
            def purge(session) -> int:
                deleted = store.purge_member(session, CHANNEL, openid)
                # The retry key stays (hashed, without the openid) so a retry is a no-op.
                store.record_channel_event(session, CHANNEL, key, None, event, None, None, now)
                return deleted
            deleted = await gateway.pool.write(purge)
            logger.info("wechat unsubscribe: member data purged (%d conversation(s))", deleted)
            return
        detail = {k: v for k, v in inbound.fields.items() if k not in ENVELOPE_FIELDS}
        if inbound.scene is not None:
            detail["scene"] = inbound.scene
        new = await gateway.pool.write(lambda s: store.record_channel_event(
            s, CHANNEL, key, openid, event, inbound.event_key or None, detail or None, now))
        if not new:
            logger.info("wechat %s event retried: already recorded", event)
            return
        logger.info("wechat %s event recorded", event)
        if event in ("subscribe", "subscribe_scan"):
            gateway.background(self._welcome(gateway, openid), "wechat welcome")
        elif event not in RECORDED_EVENTS:
            logger.info("wechat event %s recorded; no handling defined", event)

    async def _welcome(self, gateway: "Gateway", openid: str) -> None:
        now = gateway.clock.now()
        conversation = await gateway.pool.write(lambda s: ConversationRef.of(
            store.get_or_create_conversation(s, CHANNEL, openid, now)))
        await gateway.outbox.say(conversation, "system", [{"text": messages.welcome()}])


def _detail(inbound: Inbound) -> str:
    """What the transcript shows of a message the bot cannot read (media ids are what
    phase 2 downloads through the temporary-media API)."""
    f: Dict[str, Any] = inbound.fields
    if inbound.msg_type in ("image", "voice", "video", "shortvideo"):
        return f"MediaId={f.get('MediaId') or ''}"
    if inbound.msg_type == "location":
        return (f"{f.get('Label') or ''} ({f.get('Location_X')}, {f.get('Location_Y')})"
                .strip())
    if inbound.msg_type == "link":
        return f"{f.get('Title') or ''} {f.get('Url') or ''}".strip()
    return ""
