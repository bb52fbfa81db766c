"""The web chat: a mobile-sized Chinese page at /chat.

Inbound: the page starts a conversation (POST /chat/api/start) as a guest, as the
member a signed link names (`/chat?t=...`, links.py), or, in demo mode only (HM_DEMO=1),
as a demo member's web id; it gets a conversation token it keeps in localStorage; it
sends messages with that token (POST /chat/api/messages) and reloads the history from
the server (GET /chat/api/history, `?after=` the last message it has). Starts per
address and messages per conversation and per address are rate limited (ratelimit.py):
over a limit the request is refused with 429 and Retry-After before anything is stored,
and the page keeps the text.
Outbound: replies (the bot's, a manager's, the gateway's) reach the page once, over
Server-Sent Events (GET /chat/api/events); the POST of a message answers, once the
turn is done, with the stored message's id only. A stream that (re)connects says `ready`, and the page then loads what came
after its last message, so a reply is neither lost nor shown twice."""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse
from sqlalchemy import select

from bot import redflags
from bot.clock import Clock
from bot.db import DatabasePool
from bot.gateway import links, store
from bot.gateway.access import AccessSettings
from bot.gateway.channels.base import ChannelAdapter, Inbox
from bot.gateway.live import Hub, stream
from bot.gateway.messages import (
    BAD_MEMBER_ID,
    DEMO_ONLY,
    EMPTY_MESSAGE,
    LINK_REFUSED,
    MESSAGE_TOO_LONG,
    SESSION_EXPIRED,
    SLOW_DOWN,
    TOO_MANY_STARTS,
)
from bot.gateway.models import Message, WebChatToken
from bot.gateway.ratelimit import Limiter, client_address, retry_after
from bot.gateway.tasks import Tasks
from bot.gateway.templating import templates
from bot.gateway.types import (
    ConversationGone,
    ConversationRef,
    MemberMessage,
    OutgoingMessage,
)

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
MEMBER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
TOKEN_CACHE_SIZE = 4096
TOKEN_CACHE_SECONDS = 60.0
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
CLIENT_PREFIX = "web-"  # the page's client id, as the channel's message id


def member_topic(conversation_id: int) -> str:
    return f"member:{conversation_id}"


def history_view(m: Message) -> Dict[str, Any]:
    """A message as the page reloads it; the member's own carry the page's client id,
    so a message the page is still sending is recognised, not shown twice."""
    view = store.member_view(m)
    if m.author == "member" and (m.channel_message_id or "").startswith(CLIENT_PREFIX):
        view["client_id"] = m.channel_message_id[len(CLIENT_PREFIX):]
    return view


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def _too_fast(wait: float, message: str) -> HTTPResponse:
    """429: refused before anything was stored; the page keeps what the member typed."""
    seconds = retry_after(wait)
    return response.json({"error": message, "retry_after": seconds}, status=429,
                         headers={"Retry-After": str(seconds)})


class TokenCache:
    """The conversations of recently used web chat tokens, so that a member's next
    message costs no database read to find its conversation: only the identity (id,
    channel, member id, never the state) and only for TOKEN_CACHE_SECONDS, after which
    the token is read again; a conversation purged meanwhile (by another process) is
    noticed when the message is stored (ConversationGone). In this process's memory,
    at most TOKEN_CACHE_SIZE tokens, the least recently used forgotten first."""

    def __init__(self, size: int = TOKEN_CACHE_SIZE,
                 seconds: float = TOKEN_CACHE_SECONDS) -> None:
        self.size = size
        self.seconds = seconds
        self._entries: OrderedDict[str, Tuple[float, ConversationRef]] = OrderedDict()

    def get(self, digest: str) -> Optional[ConversationRef]:
        entry = self._entries.get(digest)
        if entry is None or time.monotonic() - entry[0] > self.seconds:
            return None
        self._entries.move_to_end(digest)
        return entry[1]

    def put(self, digest: str, conversation: ConversationRef) -> None:
        self._entries[digest] = (time.monotonic(), conversation)
        self._entries.move_to_end(digest)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def drop(self, digest: str) -> None:
        self._entries.pop(digest, None)


class WebChat(ChannelAdapter):
    def __init__(self, pool: DatabasePool, clock: Clock, hub: Hub, access: AccessSettings,
                 tasks: Tasks) -> None:
        self.pool = pool
        self.clock = clock
        self.hub = hub
        self.access = access
        self.tasks = tasks
        self.templates = templates(TEMPLATES_DIR)
        self.tokens = TokenCache()

    @classmethod
    def name(cls) -> str:
        return "web"

    async def send(self, conversation: ConversationRef, messages: List[OutgoingMessage]) -> None:
        for message in messages:
            self.hub.publish(member_topic(conversation.id),
                             {"type": "message", "message": message.as_json()})

    def blueprint(self, inbox: Inbox) -> Blueprint:
        bp = Blueprint("web_chat", url_prefix="/chat")
        bp.static("/static", str(STATIC_DIR), name="static")
        access = self.access
        # In this process's memory: each replica limits on its own (ratelimit.py).
        limiter = Limiter({"start": access.chat_starts, "message": access.chat_messages,
                           "address": access.chat_address})

        def address_of(request: Request) -> str:
            return client_address(request.ip, request.headers.get("x-forwarded-for"),
                                  access.trusted_proxies)

        def identity(body: dict) -> "str | HTTPResponse":
            """The web id this start is for: a signed link's member, a demo member (demo
            mode only), or a new guest."""
            link = str(body.get("link") or "").strip()
            member = str(body.get("member") or "").strip()
            if link:
                if access.link_secret is None:
                    logger.warning("web chat link refused: HM_GATEWAY_LINK_SECRET is not set")
                    return _error(403, LINK_REFUSED)
                try:
                    return links.verify(access.link_secret, link, self.clock.now())
                except links.LinkRefused as refused:
                    logger.info("web chat link refused: %s", refused.reason)
                    return _error(403, LINK_REFUSED)
            if member:
                if not access.demo:
                    return _error(403, DEMO_ONLY)
                if not MEMBER_ID.fullmatch(member):
                    return _error(400, BAD_MEMBER_ID)
                return member
            return f"guest-{secrets.token_hex(6)}"

        async def conversation_of(token: Optional[str]) -> Optional[ConversationRef]:
            if not token:
                return None
            digest = token_hash(token)
            known = self.tokens.get(digest)
            if known is not None:
                return known

            def find(session):
                row = session.execute(select(WebChatToken).where(
                    WebChatToken.token_hash == digest)).scalar_one_or_none()
                # The lookup is by hash; compare again in constant time all the same.
                if row is None or not hmac.compare_digest(row.token_hash, digest):
                    return None
                return store.conversation(session, row.conversation_id)

            found = await self.pool.read(find)
            if found is not None:
                self.tokens.put(digest, found)
            return found

        def bearer(request: Request) -> Optional[str]:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None

        @bp.get("")
        async def page(request: Request) -> HTTPResponse:
            page = self.templates.get_template("chat.html").render(demo=access.demo)
            return response.html(page)

        @bp.post("/api/start")
        async def start(request: Request) -> HTTPResponse:
            wait = limiter.admit(("start", address_of(request)))
            if wait:
                return _too_fast(wait, TOO_MANY_STARTS)
            body = request.json if isinstance(request.json, dict) else {}
            external_id = identity(body)
            if isinstance(external_id, HTTPResponse):
                return external_id
            token = secrets.token_urlsafe(32)
            now = self.clock.now()

            def create(session):
                conversation = store.get_or_create_conversation(session, self.name(),
                                                                external_id, now)
                session.add(WebChatToken(token_hash=token_hash(token),
                                         conversation_id=conversation.id, created_at=now))
                session.flush()
                return conversation.id

            conversation_id = await self.pool.write(create)
            return response.json({"token": token, "conversation_id": conversation_id,
                                  "member": external_id})

        @bp.get("/api/history")
        async def history(request: Request) -> HTTPResponse:
            conversation = await conversation_of(bearer(request))
            if conversation is None:
                return _error(401, SESSION_EXPIRED)
            after = request.args.get("after", "0")
            after_id = int(after) if after.isdigit() else 0
            rows = await self.pool.read(lambda s: [
                history_view(m) for m in store.transcript(s, conversation.id, after_id)])
            return response.json({"conversation_id": conversation.id,
                                  "member": conversation.external_id, "messages": rows})

        @bp.post("/api/messages")
        async def receive(request: Request) -> HTTPResponse:
            conversation = await conversation_of(bearer(request))
            if conversation is None:
                return _error(401, SESSION_EXPIRED)
            body = request.json if isinstance(request.json, dict) else {}
            text = str(body.get("text") or "").strip()
            if not text:
                return _error(400, EMPTY_MESSAGE)
            if len(text) > store.MAX_MEMBER_TEXT:
                return _error(400, MESSAGE_TOO_LONG)
            # An emergency is never refused for the member's own pace (the address
            # limit still holds): the bot's 120 instruction is the point of it.
            urgent = redflags.detect(text) is not None
            wait = limiter.admit(*([] if urgent else [("message", conversation.id)]),
                                 ("address", address_of(request)))
            if wait:
                return _too_fast(wait, SLOW_DOWN)
            client_id = str(body.get("client_id") or "")
            payload = body.get("payload")
            message = MemberMessage(
                channel=self.name(), external_id=conversation.external_id, text=text,
                message_id=(CLIENT_PREFIX + client_id) if CLIENT_ID.fullmatch(client_id)
                else None,
                payload=str(payload) if payload else None)
            try:
                # The token named the conversation: the inbox need not look for it.
                receipt = await self.tasks.complete(inbox.receive(message, conversation))
            except ConversationGone:
                self.tokens.drop(token_hash(bearer(request) or ""))
                return _error(401, SESSION_EXPIRED)
            # Stored (and answered): the replies reach the page once, by its live stream.
            return response.json({"message_id": receipt.message_id,
                                  "duplicate": receipt.duplicate})

        @bp.get("/api/events")
        async def events(request: Request) -> Optional[HTTPResponse]:
            # EventSource cannot send headers: the token comes in the query string
            # (the request log never records query strings).
            conversation = await conversation_of(request.args.get("token"))
            if conversation is None:
                return _error(401, SESSION_EXPIRED)
            await stream(request, self.hub, member_topic(conversation.id))
            return None

        return bp
