"""The WeChat Official Account channel (众安健康 service account): the server callback
(URL verification and member messages and events) and the customer-service API. The
protocol's pure parts live in protocol.py, the API calls in api.py, the window, quota
and outbox in sender.py; this module answers HTTP, stores, and hands member messages to
the router after the answer has gone.

Order on every POST: verify (signature, freshness, msg_signature), de-duplicate, store
durably, answer `success` (WeChat drops the connection after 5 s and retries), and only
then the rest, in the background: the member's action opens a reply window, held
replies are released, photos are downloaded, and the message goes to the bot (with the
typing indicator when it takes a while) or to the manager who has the conversation.

Rate limits (per openid and per callback address, ratelimit.py) never refuse a
callback: WeChat would not resend a message we turned away. Over a limit, the message
is still stored and answered `success`, and shown to managers (routed_to `limited`), but
it gets no bot turn; the member gets one polite notice per window instead."""
from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot import redflags
from bot.gateway import media, messages, store
from bot.gateway.channels.base import (
    ChannelAdapter,
    ChannelError,
    MemberMessage,
    OutgoingMessage,
)
from bot.gateway.channels.wechat.api import WeChatApi, WeChatApiError
from bot.gateway.channels.wechat.outbound import chosen_option
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
from bot.gateway.channels.wechat.sender import Sender, is_release_request
from bot.gateway.channels.wechat.settings import WeChatSettings
from bot.gateway.outbox import conversation_topic
from bot.gateway.rasa import RasaUnavailable
from bot.gateway.ratelimit import Limiter, Rate, client_address
from bot.gateway.store import ConversationRef

if TYPE_CHECKING:
    from bot.gateway.notifications import Notice
    from bot.gateway.service import Gateway

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
# Both stop WeChat's retries; neither is encrypted, even in safe mode.
SUCCESS = "success"
MEDIA_KINDS = ("image", "voice", "video", "shortvideo")
# Fields that say who and when, not what: left out of recorded event details.
ENVELOPE_FIELDS = {"ToUserName", "FromUserName", "CreateTime", "MsgType", "Event", "EventKey"}
# Events that are only recorded (no reply): WeChat opens no window for them, or they
# are delivery reports.
RECORDED_EVENTS = {"scan", "location", "templatesendjobfinish", "subscribe_msg_popup_event"}
# routed_to of a message kept over the rate limit (shown to managers, no bot turn).
LIMITED = "limited"


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
        # The key that last decrypted a member's message: a passive reply would be
        # encrypted with it (we answer `success` and send through the API instead).
        self.key_in_use: Dict[str, str] = {}
        self.api: Optional[WeChatApi] = (
            WeChatApi(settings.app_id, settings.app_secret, settings.api_base,
                      settings.redis_url, settings.api_timeout)
            if settings.app_secret else None)
        if self.api is None:
            logger.warning("HM_WECHAT_APPSECRET is not set: replies to WeChat members are "
                           "stored but cannot be sent (marked undeliverable)")
        self.sender: Optional[Sender] = None  # needs the gateway: made in blueprint()
        self.gateway: Optional["Gateway"] = None
        self.limiter = Limiter({})  # the gateway's limits: set in blueprint()

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send(self, conversation: ConversationRef, messages: List[OutgoingMessage]) -> None:
        """Through the customer-service API, within the window and quota the member's
        last action opened; what must wait stays in the outbox (sender.py)."""
        if self.sender is None:
            raise ChannelError("the WeChat channel is not mounted")
        await self.sender.send(conversation.id, conversation.external_id, messages,
                               with_person=conversation.paused)

    async def notify(self, conversation: ConversationRef, replies: List[OutgoingMessage],
                     notice: "Notice") -> None:
        """A customer-service message while the window has room; otherwise a template
        message (client_msg_id = the notice's key: WeChat drops a repeat for 10 min)."""
        assert self.sender is not None and self.gateway is not None
        if await self.sender.has_room(conversation.id):
            await self.sender.send(conversation.id, conversation.external_id, replies)
            return
        gateway = self.gateway
        template_id = self.settings.templates.get(notice.kind)
        state, reason = "sent", None
        if template_id is None:
            state, reason = "undeliverable", messages.template_not_configured(notice.kind)
        else:
            data = notice.template_data or {"first": notice.text}
            try:
                await self.sender.retrying(lambda api: api.send_template(
                    conversation.external_id, template_id, data, notice.key, notice.url))
            except WeChatApiError as error:
                logger.warning("wechat template %s not sent: %s", notice.kind, error)
                state = "uncertain" if error.kind == "uncertain" else "undeliverable"
                reason = error.reason
        for reply in replies:
            await gateway.pool.write(lambda s: store.set_delivery(s, reply.id, state, reason))
        await self._publish_deliveries(gateway, conversation.id)

    def _attach(self, gateway: "Gateway") -> None:
        self.gateway = gateway
        access = gateway.settings.access
        # The notice's window is the member limit's period (else the address limit's).
        window = access.wechat_member or access.wechat_address
        self.limiter = Limiter({
            "member": access.wechat_member, "address": access.wechat_address,
            "notice": Rate(1, window.period, 1) if window is not None else None})

        def changed(conversation_id: int) -> None:
            gateway.background(self._publish_deliveries(gateway, conversation_id),
                               "wechat delivery update")

        self.sender = Sender(gateway.pool, gateway.clock, self.api,
                             self.settings.send_retries, self.settings.retry_backoff,
                             changed)

    async def _publish_deliveries(self, gateway: "Gateway", conversation_id: int) -> None:
        """The console shows each reply's delivery state as it changes."""
        views = await gateway.pool.read(
            lambda s: store.recent_outbound_views(s, conversation_id))
        for view in views:
            gateway.hub.publish(conversation_topic(conversation_id),
                                {"type": "message", "message": view})

    # ------------------------------------------------------------------ inbound

    def blueprint(self, gateway: "Gateway") -> Blueprint:
        bp = Blueprint("wechat", url_prefix=self.settings.path)
        token = self.settings.token
        self._attach(gateway)

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
                                     gateway.settings.access.trusted_proxies)
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
            await gateway.complete(self._accept(gateway, inbound, address))
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

    async def _accept(self, gateway: "Gateway", inbound: Inbound, address: str) -> None:
        """De-duplicate and store (before `success` is answered); queue the rest."""
        if inbound.is_event:
            await self._accept_event(gateway, inbound, address)
        else:
            await self._accept_message(gateway, inbound, address)

    def _over_limit(self, openid: str, address: str, text: str) -> bool:
        """Whether a new (stored) message is over the member's or the address's limit.
        An emergency never is: the bot's 120 instruction is what it needs."""
        if text and redflags.detect(text) is not None:
            return False
        return self.limiter.admit(("member", openid), ("address", address)) > 0

    def _notice_due(self, openid: str) -> bool:
        """One notice per window per member, however many messages are over."""
        return self.limiter.once_per("notice", openid)

    async def _accept_message(self, gateway: "Gateway", inbound: Inbound,
                              address: str) -> None:
        kind = inbound.msg_type
        heard = recognition(inbound) if kind == "voice" else None
        if kind == "text":
            text = str(inbound.fields.get("Content") or "")
            readable = True
        elif heard is not None:
            text, readable = heard, True
        else:
            text, readable = messages.unreadable_label(kind, _detail(inbound)), False
        metadata: Dict[str, Any] = {"wechat_msg_type": kind}
        if inbound.fields.get("bizmsgmenuid"):
            metadata["bizmsgmenuid"] = str(inbound.fields["bizmsgmenuid"])
        message = MemberMessage(
            channel=CHANNEL, external_id=inbound.openid, text=text,
            message_id=inbound.dedup_key(), metadata=metadata)
        stored = await gateway.router.store(message)
        if stored.duplicate:
            logger.info("wechat %s message retried: already stored", kind)
            return
        logger.info("wechat %s message stored as message %s", kind, stored.message_id)
        media_id = inbound.fields.get("MediaId") if kind in MEDIA_KINDS else None
        limited = self._over_limit(inbound.openid, address, text if readable else "")
        notice = limited and self._notice_due(inbound.openid)
        gateway.background(self._after_message(gateway, stored, message, readable,
                                               str(media_id) if media_id else None,
                                               limited, notice),
                           "wechat message")

    async def _after_message(self, gateway: "Gateway", stored: store.Inbound,
                             message: MemberMessage, readable: bool,
                             media_id: Optional[str], limited: bool = False,
                             notice: bool = False) -> None:
        """After `success`: the member's message opened a window (48 h, 5 messages);
        what was held goes first; then the message's own handling (over the rate
        limit: kept for the managers, no bot turn)."""
        conversation_id = stored.conversation.id
        assert self.sender is not None
        await self.sender.opened(conversation_id, "message")
        released = await self.sender.release(conversation_id, message.external_id)
        if media_id is not None:
            await self._keep_media(gateway, stored, message.metadata["wechat_msg_type"],
                                   media_id)
        if released and readable and is_release_request(message.text):
            view = await gateway.pool.write(
                lambda s: store.mark_routed(s, stored.message_id, "outbox"))
            gateway.outbox.member_message(stored.conversation, view)
            return
        if limited:
            await self._limited(gateway, stored, notice)
            return
        if not readable:
            await self._unreadable(gateway, stored, message.metadata["wechat_msg_type"])
            return
        message = await self._with_quick_reply(gateway, stored, message)
        await self._route_with_typing(gateway, stored, message)

    async def _with_quick_reply(self, gateway: "Gateway", stored: store.Inbound,
                                message: MemberMessage) -> MemberMessage:
        """A digit (or a msgmenu tap's option text) answers the options just offered."""
        options = await gateway.pool.read(
            lambda s: store.offered_buttons(s, stored.conversation.id, stored.message_id))
        if not options:
            return message
        menu_id = message.metadata.get("bizmsgmenuid")
        picked = chosen_option(menu_id if menu_id else message.text, options)
        if picked is None or not picked.get("payload"):
            return message
        return dataclasses.replace(message, payload=str(picked["payload"]))

    async def _route_with_typing(self, gateway: "Gateway", stored: store.Inbound,
                                 message: MemberMessage) -> None:
        """The bot's turn; WeChat shows "typing" if it takes longer than typing_after
        (only within 30 s of the member's message; any message we send cancels it)."""
        shown = asyncio.Event()
        typing = None
        if self.api is not None and not stored.conversation.paused:
            typing = asyncio.ensure_future(self._typing_later(message.external_id, shown))
        try:
            receipt = await gateway.router.route(stored, message)
        finally:
            if typing is not None:
                typing.cancel()
        if shown.is_set() and not receipt.replies:
            await self._typing(message.external_id, "CancelTyping")

    async def _typing_later(self, openid: str, shown: asyncio.Event) -> None:
        await asyncio.sleep(self.settings.typing_after)
        if await self._typing(openid, "Typing"):
            shown.set()

    async def _typing(self, openid: str, command: str) -> bool:
        assert self.api is not None
        try:
            await self.api.typing(openid, command)
            return True
        except WeChatApiError as error:
            # 45080 (no interaction in 30 s) and 45081 (already typing) are expected.
            logger.info("wechat %s not shown: %s", command, error)
            return False

    async def _keep_media(self, gateway: "Gateway", stored: store.Inbound, kind: str,
                          media_id: str) -> None:
        """Download a photo (pre-auth materials arrive so) or other media at once: WeChat
        keeps temporary media 3 days. Kept for the managers, whatever happens next."""
        now = gateway.clock.now()
        row_id = await gateway.pool.write(lambda s: media.record(
            s, stored.conversation.id, stored.message_id, CHANNEL, media_id, kind, now))
        if row_id is None:
            return  # a retried delivery: already recorded
        if self.api is None:
            await gateway.pool.write(
                lambda s: media.failed(s, row_id, messages.WECHAT_NOT_CONFIGURED))
            return
        try:
            data, content_type, filename = await self.api.media(media_id)
        except WeChatApiError as failure:
            reason = failure.reason
            logger.warning("wechat media %s of message %s not downloaded: %s", kind,
                           stored.message_id, failure)
            await gateway.pool.write(lambda s: media.failed(s, row_id, reason))
            return
        fetched = gateway.clock.now()
        await gateway.pool.write(lambda s: media.stored(
            s, row_id, data, content_type, filename, fetched))
        logger.info("wechat %s of message %s stored (%d bytes)", kind, stored.message_id,
                    len(data))

    async def _limited(self, gateway: "Gateway", stored: store.Inbound, notice: bool) -> None:
        """Over the rate limit: the message stays stored and reaches the console
        (routed_to `limited`) but not the bot; while the bot has the conversation the
        member is told once per window (a person who has it sees the messages)."""
        view = await gateway.pool.write(
            lambda s: store.mark_routed(s, stored.message_id, LIMITED))
        conversation = await gateway.pool.read(
            lambda s: store.conversation(s, stored.conversation.id))
        if conversation is None:  # purged meanwhile (unsubscribe)
            return
        gateway.outbox.member_message(conversation, view)
        logger.info("wechat message %s over the rate limit: kept, no bot turn%s",
                    stored.message_id, " (member notified)" if notice else "")
        if notice and not conversation.paused:
            await gateway.outbox.say(conversation, "system", [{"text": messages.WECHAT_SLOW_DOWN}])

    async def _unreadable(self, gateway: "Gateway", stored: store.Inbound, kind: str) -> None:
        """Kept for the managers; while the bot has the conversation, the member is
        told it was kept and asked to type (a person who has it answers themselves)."""
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

    async def _accept_event(self, gateway: "Gateway", inbound: Inbound,
                            address: str) -> None:
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
                limited = self._over_limit(openid, address, "")
                notice = limited and self._notice_due(openid)
                gateway.background(self._after_click(gateway, stored, message, limited,
                                                     notice), "wechat menu click")
            return
        if event == "unsubscribe":
            def purge(session) -> Optional[str]:
                found = store.find_conversation(session, CHANNEL, openid)
                sender = found.rasa_sender if found is not None else None
                store.purge_member(session, CHANNEL, openid)
                # The retry key stays (hashed, without the openid) so a retry is a no-op.
                new = store.record_channel_event(session, CHANNEL, key, None, event, None,
                                                 None, now)
                return sender if new else None
            sender = await gateway.pool.write(purge)
            gateway.background(self._forget(gateway, openid, sender), "wechat unsubscribe")
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
        elif event == "scan":
            # A follower scanned a QR code: 1 minute with 3 messages, nothing to say.
            gateway.background(self._open(gateway, openid, "scan"), "wechat scan")
        elif event not in RECORDED_EVENTS:
            logger.info("wechat event %s recorded; no handling defined", event)

    async def _open(self, gateway: "Gateway", openid: str, action: str) -> ConversationRef:
        now = gateway.clock.now()
        conversation = await gateway.pool.write(lambda s: ConversationRef.of(
            store.get_or_create_conversation(s, CHANNEL, openid, now)))
        assert self.sender is not None
        await self.sender.opened(conversation.id, action)
        await self.sender.release(conversation.id, openid)
        return conversation

    async def _welcome(self, gateway: "Gateway", openid: str) -> None:
        """A follow opens 1 minute with 3 messages: the welcome takes one."""
        conversation = await self._open(gateway, openid, "subscribe")
        await gateway.outbox.say(conversation, "system", [{"text": messages.welcome()}])

    async def _after_click(self, gateway: "Gateway", stored: store.Inbound,
                           message: MemberMessage, limited: bool = False,
                           notice: bool = False) -> None:
        """A click menu tap opens 1 minute with 3 messages, then goes to the bot."""
        assert self.sender is not None
        await self.sender.opened(stored.conversation.id, "click")
        await self.sender.release(stored.conversation.id, message.external_id)
        if limited:
            await self._limited(gateway, stored, notice)
            return
        await self._route_with_typing(gateway, stored, message)

    async def _forget(self, gateway: "Gateway", openid: str, sender: Optional[str]) -> None:
        """After an unfollow (the docs: delete that user's information): the bot's
        memory of the conversation, and the policy link at the backends."""
        if sender is not None:
            try:
                await gateway.rasa.forget(sender)
            except RasaUnavailable as error:
                logger.error("wechat unsubscribe: the bot's tracker of a purged member was "
                             "not cleared (%s); clear it by hand", error)
        await gateway.members.unlink(CHANNEL, openid)
        logger.info("wechat unsubscribe: member data purged")


def _detail(inbound: Inbound) -> str:
    """What the transcript shows of a message the bot cannot read (the media itself is
    downloaded and shown to managers)."""
    f: Dict[str, Any] = inbound.fields
    if inbound.msg_type in ("image", "voice", "video", "shortvideo"):
        return f"MediaId={f.get('MediaId') or ''}"
    if inbound.msg_type == "location":
        return (f"{f.get('Label') or ''} ({f.get('Location_X')}, {f.get('Location_Y')})"
                .strip())
    if inbound.msg_type == "link":
        return f"{f.get('Title') or ''} {f.get('Url') or ''}".strip()
    return ""
