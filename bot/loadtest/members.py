"""A simulated member on each channel: open a conversation, send one message, collect
its replies, and time it from the send to the last reply.

- `WebChat`: as the page does (bot/gateway/static/chat.js): POST /chat/api/start, GET
  /chat/api/history, the Server-Sent Events stream held open, POST /chat/api/messages. A
  reply counts when it first reaches the member by either path, as on the page.
- `WeChat`: through the simulated WeChat (wechat.py): the message posted to the
  gateway's callback, encrypted and signed; the replies arrive through the simulated
  customer-service API.
- `Rest`: Rasa's REST channel directly: the product's (signed as the gateway signs,
  bot/identity.py) or the stock assistant's (unsigned).

Who a member is: load member number `index` (`load-00001` on the web chat, `oLOAD_00001`
on WeChat; bot/backends/seed.py) or, with `index` None, a guest.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional

import aiohttp

from bot.loadtest.mix import Step
from bot.loadtest.wechat import LoopWeChat

# What a turn came to (the report counts each kind).
OK = "ok"
HTTP_ERROR = "http_error"  # a refused request, a 5xx, a broken connection
TIMEOUT = "timeout"  # no (complete) answer within the timeout
MISSING = "missing_reply"  # answered, but with no reply for the member
WRONG = "wrong_reply"  # replies that are not the expected ones
HANDED_OFF = "unexpected_handoff"  # handed to a manager where the script did not ask
OUTCOMES = (OK, HTTP_ERROR, TIMEOUT, MISSING, WRONG, HANDED_OFF)

# How long a WeChat turn whose replies do not (yet) match waits for more before it is
# judged: under load the gateway's handoff notice can follow the bot's words by seconds.
SETTLE_SECONDS = 5.0


@dataclass
class Turn:
    outcome: str
    latency_ms: Optional[float]  # send to the last reply; None when nothing came
    texts: List[str] = field(default_factory=list)
    detail: str = ""


def judge(step: Step, texts: List[str], handed_off: bool) -> str:
    if not texts and not handed_off:
        return MISSING
    if handed_off and not step.handoff:
        return HANDED_OFF
    return OK if step.answered(texts, handed_off) else WRONG


class Conversation(ABC):
    @abstractmethod
    async def say(self, step: Step, timeout: float) -> Turn:
        """Send step.text, wait for the replies, judge them."""

    async def close(self) -> None:
        pass


class Channel(ABC):
    """One way in for members; `open` starts a conversation for one identity."""

    name: str

    def __init__(self) -> None:
        self.http: Optional[aiohttp.ClientSession] = None

    async def __aenter__(self) -> "Channel":
        # No connection cap: each member holds its own connections, as phones do.
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                          json_serialize=lambda v: json.dumps(v, ensure_ascii=False))
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self.http is not None:
            await self.http.close()

    @abstractmethod
    async def open(self, index: Optional[int]) -> Conversation:
        """A conversation for load member `index` (None: a guest)."""


def _elapsed_ms(since: float, until: Optional[float] = None) -> float:
    return ((until if until is not None else time.perf_counter()) - since) * 1000


# ------------------------------------------------------------------ Rasa's REST channel


class Rest(Channel):
    """Rasa's REST channel; `sign` (the product's identity secret) signs like the gateway."""

    def __init__(self, name: str, rasa_url: str, sign: Optional[bytes] = None) -> None:
        super().__init__()
        self.name = name
        self.url = rasa_url.rstrip("/") + "/webhooks/rest/webhook"
        self.secret = sign

    async def open(self, index: Optional[int]) -> Conversation:
        member = f"load-{index:05d}" if index is not None else f"guest-{secrets.token_hex(6)}"
        # Never the gateway's "web:<id>", so the two never share a tracker.
        return RestConversation(self, f"rest:{member}:{secrets.token_hex(3)}", member)


class RestConversation(Conversation):
    def __init__(self, channel: Rest, sender: str, member: str) -> None:
        self.channel, self.sender, self.member = channel, sender, member

    def body(self, text: str) -> Dict[str, Any]:
        body: Dict[str, Any] = {"sender": self.sender, "message": text}
        if self.channel.secret is not None:
            from bot import identity

            body["metadata"] = identity.sign(self.channel.secret, self.sender, text, {
                "channel": "web", "member": self.member,
                "message_id": secrets.token_hex(8)})
        return body

    async def say(self, step: Step, timeout: float) -> Turn:
        assert self.channel.http is not None
        began = time.perf_counter()
        try:
            async with self.channel.http.post(
                    self.channel.url, json=self.body(step.text),
                    timeout=aiohttp.ClientTimeout(total=timeout)) as answer:
                if answer.status != 200:
                    return Turn(HTTP_ERROR, None, detail=f"HTTP {answer.status}")
                replies = await answer.json(content_type=None)
        except asyncio.TimeoutError:
            return Turn(TIMEOUT, None)
        except aiohttp.ClientError as error:
            return Turn(HTTP_ERROR, None, detail=type(error).__name__)
        latency = _elapsed_ms(began)
        replies = replies if isinstance(replies, list) else []
        texts = [r["text"] for r in replies if isinstance(r, dict) and r.get("text")]
        handed_off = any("handoff" in (r.get("custom") or {}) for r in replies
                         if isinstance(r, dict))
        return Turn(judge(step, texts, handed_off), latency, texts)


# ------------------------------------------------------------------ the web chat


class WebChat(Channel):
    """The gateway's web chat. Without demo mode, `link_secret` (HM_GATEWAY_LINK_SECRET)
    signs a link per member as a manager would issue it."""

    name = "web"

    def __init__(self, gateway_url: str, link_secret: Optional[str] = None,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        super().__init__()
        self.url = gateway_url.rstrip("/")
        self.link_secret = link_secret
        self.now = now

    def who(self, index: Optional[int]) -> Dict[str, str]:
        if index is None:
            return {}
        member = f"load-{index:05d}"
        if self.link_secret:
            from bot.gateway import links

            return {"link": links.sign(self.link_secret, member,
                                       self.now() + timedelta(hours=24))}
        return {"member": member}

    async def open(self, index: Optional[int]) -> Conversation:
        assert self.http is not None
        async with self.http.post(f"{self.url}/chat/api/start", json=self.who(index),
                                  timeout=aiohttp.ClientTimeout(total=60)) as answer:
            if answer.status != 200:
                raise ConnectionError(f"start: HTTP {answer.status} {await answer.text()}")
            started = await answer.json()
        conversation = WebConversation(self, started["token"])
        await conversation.connect()
        return conversation


class WebConversation(Conversation):
    def __init__(self, channel: WebChat, token: str) -> None:
        self.channel = channel
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.arrived: Dict[int, float] = {}  # reply id -> when it came over the stream
        self.streamed: List[Dict[str, Any]] = []  # replies in stream order
        self.news = asyncio.Event()
        self.reader: Optional[asyncio.Task] = None

    async def connect(self) -> None:
        """History, then the live stream (the page does both on opening)."""
        http = self.channel.http
        assert http is not None
        async with http.get(f"{self.channel.url}/chat/api/history", headers=self.headers,
                            timeout=aiohttp.ClientTimeout(total=60)) as answer:
            answer.raise_for_status()
            await answer.read()
        ready = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self._read_stream(ready))
        await asyncio.wait_for(ready, 60)

    async def _read_stream(self, ready: asyncio.Future) -> None:
        http = self.channel.http
        assert http is not None
        try:
            async with http.get(f"{self.channel.url}/chat/api/events",
                                params={"token": self.token},
                                timeout=aiohttp.ClientTimeout(total=None, sock_read=None)
                                ) as stream:
                stream.raise_for_status()
                event = ""
                async for raw in stream.content:
                    line = raw.decode("utf-8").rstrip("\r\n")
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event == "ready" and not ready.done():
                        ready.set_result(True)
                    elif line.startswith("data:") and event == "message":
                        message = json.loads(line[5:]).get("message") or {}
                        if message.get("author") != "member":
                            self.arrived.setdefault(message.get("id"), time.perf_counter())
                            self.streamed.append(message)
                            self.news.set()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the stream broke: the POST answers still count
            if not ready.done():
                ready.set_exception(error)

    async def say(self, step: Step, timeout: float) -> Turn:
        http = self.channel.http
        assert http is not None
        seen = len(self.streamed)
        began = time.perf_counter()
        try:
            async with http.post(f"{self.channel.url}/chat/api/messages", headers=self.headers,
                                 json={"text": step.text, "client_id": secrets.token_hex(8)},
                                 timeout=aiohttp.ClientTimeout(total=timeout)) as answer:
                if answer.status != 200:
                    return Turn(HTTP_ERROR, None, detail=f"HTTP {answer.status}")
                body = await answer.json()
        except asyncio.TimeoutError:
            return Turn(TIMEOUT, None)
        except aiohttp.ClientError as error:
            return Turn(HTTP_ERROR, None, detail=type(error).__name__)
        answered = time.perf_counter()
        if "replies" in body:
            replies = [r for r in body["replies"] if isinstance(r, dict)]
            # Each reply is shown when it first arrives, by the stream or in this answer.
            shown = [min(self.arrived.get(r.get("id"), answered), answered) for r in replies]
            texts = [r.get("text") or "" for r in replies]
            latency = _elapsed_ms(began, max(shown)) if shown else None
            return Turn(judge(step, texts, handed_off(texts)), latency, texts)
        # An answer without the replies: they come over the stream only.
        return await self._streamed_turn(step, seen, began, timeout)

    async def _streamed_turn(self, step: Step, seen: int, began: float,
                             timeout: float) -> Turn:
        deadline = began + timeout
        while True:
            replies = self.streamed[seen:]
            texts = [r.get("text") or "" for r in replies]
            last = max((self.arrived.get(r.get("id"), began) for r in replies), default=None)
            if texts and (step.answered(texts, handed_off(texts)) or handed_off(texts)):
                return Turn(judge(step, texts, handed_off(texts)), _elapsed_ms(began, last), texts)
            now = time.perf_counter()
            wait = deadline - now if not texts else min(deadline, (last or now) + SETTLE_SECONDS) - now
            if wait <= 0:
                if not texts:
                    return Turn(TIMEOUT, None)
                return Turn(judge(step, texts, handed_off(texts)), _elapsed_ms(began, last), texts)
            self.news.clear()
            try:
                await asyncio.wait_for(self.news.wait(), wait)
            except asyncio.TimeoutError:
                pass

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            try:
                await self.reader
            except (asyncio.CancelledError, Exception):
                pass


# ------------------------------------------------------------------ WeChat


# The gateway's own sentences when it hands a member to the managers (or notes the
# callback ticket out of hours): bot/gateway/messages.py.
HANDOFF_NOTICES = ("已为您转接", "已为您紧急转接", "您已经在等待", "已为您登记回访")


def handed_off(texts: List[str]) -> bool:
    return any(notice in text for text in texts for notice in HANDOFF_NOTICES)


class WeChat(Channel):
    name = "wechat"

    def __init__(self, wechat: LoopWeChat) -> None:
        super().__init__()
        self.wechat = wechat

    async def open(self, index: Optional[int]) -> Conversation:
        openid = f"oLOAD_{index:05d}" if index is not None else f"oGUEST_{secrets.token_hex(6)}"
        self.wechat.follower(openid)
        return WeChatConversation(self.wechat, openid)


class WeChatConversation(Conversation):
    def __init__(self, wechat: LoopWeChat, openid: str) -> None:
        self.wechat, self.openid = wechat, openid

    async def say(self, step: Step, timeout: float) -> Turn:
        seen = self.wechat.inbox_size(self.openid)
        began = time.perf_counter()
        deadline = began + timeout
        try:
            delivery = await asyncio.wait_for(self.wechat.send_text(self.openid, step.text),
                                              timeout)
        except asyncio.TimeoutError:
            return Turn(TIMEOUT, None, detail="callback")
        if delivery.outcome != "accepted":
            status = delivery.attempts[-1].status if delivery.attempts else None
            return Turn(HTTP_ERROR, None, detail=f"callback {delivery.outcome} {status}")
        while True:
            entries = self.wechat.inbox_since(self.openid, seen)
            texts = [_entry_text(e) for e in entries]
            last = self.wechat.last_arrival.get(self.openid) if entries else None
            if any(e.get("msgtype") == "banner" for e in entries):
                return Turn(HTTP_ERROR, None, texts, detail="banner")
            if texts and (step.answered(texts, handed_off(texts)) or handed_off(texts)):
                return Turn(judge(step, texts, handed_off(texts)), _elapsed_ms(began, last), texts)
            now = time.perf_counter()
            until = deadline if not texts else min(deadline, (last or now) + SETTLE_SECONDS)
            if until <= now:
                if not texts:
                    return Turn(TIMEOUT, None)
                return Turn(judge(step, texts, handed_off(texts)), _elapsed_ms(began, last), texts)
            await self.wechat.arrival(self.openid, until - now)


def _entry_text(entry: Dict[str, Any]) -> str:
    """The text a member sees of one inbox entry (text, a menu's head and options)."""
    if entry.get("msgtype") == "text":
        return str((entry.get("text") or {}).get("content") or "")
    if entry.get("msgtype") == "msgmenu":
        menu = entry.get("msgmenu") or {}
        options = " ".join(str(o.get("content") or "") for o in menu.get("list") or [])
        return f"{menu.get('head_content') or ''} {options} {menu.get('tail_content') or ''}"
    return str(entry.get("text") or "")
