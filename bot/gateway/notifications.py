"""Service notices the insurer's systems send a member outside a conversation
(appointment reminders, pre-auth decisions): `POST /api/v1/notifications`, for services
only (bearer HM_GATEWAY_API_TOKEN).

The notice is stored in the member's conversation (the transcript shows it), once per
kind + reference + member, then delivered the channel's way: the web chat's live stream;
on WeChat a customer-service message while the member's reply window has room, else a
template message (the only way to reach a member outside the window; verified service
accounts, templates from the public library, service notices only, no marketing).

A member who left the channel (a WeChat unfollow: `Inbox.forget`) is never sent one:
410 `departed`, nothing stored, until they come back (follow again), whoever still
lists the identity (the backends' unlink may have failed, or a job read it before)."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any, Dict, Optional

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot.clock import Clock
from bot.db import DatabasePool
from bot.gateway import store
from bot.gateway.outbox import Outbox
from bot.gateway.tasks import Tasks
from bot.gateway.types import Notice

logger = logging.getLogger(__name__)

KINDS = ("appointment_reminder", "preauth_result")
DEPARTED = object()  # the member left the channel (store.mark_departed)
MAX_TEXT = 1000
MAX_FIELD = 200


class Invalid(ValueError):
    """The request names the field that is wrong (Chinese message for operators)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def _text(body: Dict[str, Any], name: str, limit: int, required: bool = True) -> Optional[str]:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(name, f"缺少 {name}")
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise Invalid(name, f"{name} 必须是不超过{limit}个字符的文本")
    return value.strip()


def parse(raw: bytes) -> tuple:
    """(channel, external_id, Notice) from the request body, or Invalid."""
    try:
        body = json.loads(raw or b"")
    except ValueError:
        raise Invalid("body", "请求体必须是JSON") from None
    if not isinstance(body, dict):
        raise Invalid("body", "请求体必须是JSON对象")
    channel = _text(body, "channel", 20)
    external_id = _text(body, "external_id", 200)
    kind = _text(body, "kind", 40)
    if kind not in KINDS:
        raise Invalid("kind", f"kind 必须是 {', '.join(KINDS)} 之一")
    data = body.get("template_data") or {}
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and len(v) <= MAX_FIELD
            for k, v in data.items()):
        raise Invalid("template_data", f"template_data 必须是字符串到字符串（≤{MAX_FIELD}字）的对象")
    url = _text(body, "url", 500, required=False)
    if url is not None and not url.startswith("https://"):
        raise Invalid("url", "url 必须以 https:// 开头")
    notice = Notice(kind=kind, reference=_text(body, "reference", 100),
                    text=_text(body, "text", MAX_TEXT), template_data=dict(data), url=url)
    return channel, external_id, notice


def blueprint(token: Optional[str], pool: DatabasePool, clock: Clock, outbox: Outbox,
              tasks: Tasks) -> Blueprint:
    """`token`: HM_GATEWAY_API_TOKEN (None: the API answers 503)."""
    bp = Blueprint("notifications", url_prefix="/api/v1")

    def error(status: int, code: str, message: str, field_name: Optional[str] = None):
        return response.json({"error": {"code": code, "message": message,
                                         "field": field_name}}, status=status)

    @bp.post("/notifications")
    async def notify(request: Request) -> HTTPResponse:
        if token is None:
            return error(503, "not_configured", "未设置 HM_GATEWAY_API_TOKEN，通知接口未开启")
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"),
                                   f"Bearer {token}".encode("utf-8")):
            return error(401, "unauthorized", "缺少或错误的访问令牌")
        try:
            channel, external_id, notice = parse(request.body)
        except Invalid as invalid:
            return error(400, "invalid", str(invalid), invalid.field)
        if not outbox.serves(channel):
            return error(400, "invalid", f"未开启的渠道：{channel}", "channel")
        now = clock.now()

        def record(session):
            if store.has_departed(session, channel, external_id):
                return DEPARTED
            dedup = f"notice:{notice.key}:{hashlib.sha256(external_id.encode()).hexdigest()[:16]}"
            if not store.record_channel_event(session, channel, dedup, external_id,
                                              f"notice:{notice.kind}", notice.reference,
                                              None, now):
                return None
            conversation = store.ref(
                store.get_or_create_conversation(session, channel, external_id, now))
            replies = store.record_replies(session, conversation.id, "system",
                                           [{"text": notice.text}], now)
            return conversation, replies

        recorded = await tasks.complete(pool.write(record))
        if recorded is DEPARTED:
            # Nothing stored: a conversation made now would hold the notice (and its
            # visit) for a member whose data the unfollow purged.
            return error(410, "departed", "该会员已取消关注，不再向其发送通知", "external_id")
        if recorded is None:
            return response.json({"status": "duplicate"}, status=200)
        conversation, replies = recorded
        await tasks.complete(outbox.deliver(conversation, replies, notice))
        state = await pool.read(lambda s: store.delivery_of(s, replies[0].id))
        return response.json({"status": "accepted", "conversation_id": conversation.id,
                              "message_id": replies[0].id, **state}, status=202)

    return bp
