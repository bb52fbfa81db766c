"""The WeChat Official Account simulator: WeChat's API side and callback side for one
account, in memory, on a simulated clock. Run it in-process (`WeChatSimulator(...)`,
`start()`, `stop()`) or standalone (`python -m bot.wechat_simulator`, docs/wechat_simulator.md).

Where things are: account.py (the rules, pure), messages.py (what WeChat posts and how
it reads the answer, pure), crypto.py (the encryption), api.py (the /cgi-bin routes),
control.py (the /_sim routes), delivery.py (posting), runner.py (the server thread)."""
from __future__ import annotations

import asyncio
import functools
import secrets
import threading
import time
from collections import defaultdict, deque
from typing import Any, Awaitable, Callable, Deque, Dict, Iterable, List, Mapping, Optional, Set

import aiohttp
from aiohttp import web

from bot.wechat_simulator import api, control, crypto, messages
from bot.wechat_simulator.account import (
    EVENT_WINDOW_EVENTS,
    Account,
    Limits,
    NotFollowing,
    SimulatorError,
    TypingPeriod,
    shown_menu,
)
from bot.wechat_simulator.api import Call, Injection, endpoint_name
from bot.wechat_simulator.delivery import (
    ACCEPTED,
    BANNER,
    FAILED,
    REPLIED,
    Delivery,
    post_once,
)
from bot.wechat_simulator.runner import ThreadedApp

DEFAULT_ORIGINAL_ID = "gh_5e1a7ed0c0de"
# A few bytes that look like a JPEG / an AMR file, for media nobody cares about.
SAMPLE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
SAMPLE_AMR = b"#!AMR\n\x3c\x48\xf5\x1f\x96\x66\x79\xe1\xe0\x01\xe7\x8a\xf0\x00\x00\x00"
ACTION_TIMEOUT = 120.0


def _interactive(fields: Mapping[str, Any]) -> bool:
    """A member message, or an event that opens a reply window."""
    if fields.get("MsgType") != "event":
        return True
    return str(fields.get("Event") or "").lower() in EVENT_WINDOW_EVENTS


class WeChatSimulator:
    """One Official Account as WeChat's servers see it, serving the API on `url` and
    posting member actions to `callback_url` (None: actions only change state)."""

    def __init__(self, app_id: str, app_secret: str, token: str, mode: str = "plaintext",
                 encoding_aes_key: Optional[str] = None, callback_url: Optional[str] = None,
                 now: Optional[float] = None, callback_timeout: float = 5.0,
                 callback_retries: int = 3, template_ids: Iterable[str] = (),
                 test_account: bool = False, original_id: str = DEFAULT_ORIGINAL_ID,
                 limits: Limits = Limits()) -> None:
        if mode not in messages.MODES:
            raise ValueError(f"mode must be one of {', '.join(messages.MODES)}")
        if mode != "plaintext" and not encoding_aes_key:
            raise ValueError(f"{mode} mode needs encoding_aes_key")
        self.app_id = app_id
        self.token = token
        self.mode = mode
        self.key = crypto.aes_key(encoding_aes_key) if encoding_aes_key else None
        self.callback_url = callback_url
        self.callback_timeout = callback_timeout
        self.callback_retries = callback_retries
        self.original_id = original_id
        self.account = Account(app_id, app_secret, template_ids, test_account, limits)
        self.lock = threading.RLock()
        self._epoch = time.time() if now is None else float(now)
        self._started = time.monotonic()
        self._offset = 0.0
        self._injections: Dict[str, Deque[Injection]] = defaultdict(deque)
        self._calls: List[Call] = []
        self._deliveries: List[Delivery] = []
        self._server: Optional[ThreadedApp] = None
        self._session: Optional[aiohttp.ClientSession] = None
        self._tasks: Set[asyncio.Task] = set()
        self.url: Optional[str] = None

    # ------------------------------------------------------------------ clock

    def now(self) -> float:
        """Construction `now` + real time elapsed + every advance()."""
        with self.lock:
            return self._epoch + (time.monotonic() - self._started) + self._offset

    def advance(self, seconds: float) -> float:
        """Move the simulated clock forward; answers the new now()."""
        with self.lock:
            self._offset += seconds
            return self.now()

    # ------------------------------------------------------------------ lifecycle

    def build_app(self) -> web.Application:
        app = web.Application()
        api.add_routes(app, self)
        control.add_routes(app, self)
        app.on_startup.append(self._open_session)
        app.on_cleanup.append(self._close_session)
        return app

    async def _open_session(self, app: web.Application) -> None:
        self._session = aiohttp.ClientSession()

    async def _close_session(self, app: web.Application) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._session is not None:
            await self._session.close()

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on `host`:`port` (0: a free port) from a background thread; returns
        and sets `url`."""
        self._server = ThreadedApp(self.build_app(), host, port)
        self.url = self._server.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> "WeChatSimulator":
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _run(self, coroutine: Awaitable[Any]) -> Any:
        if self._server is None:
            if asyncio.iscoroutine(coroutine):
                coroutine.close()
            raise RuntimeError("the simulator is not started: call start() first")
        return self._server.run(coroutine, ACTION_TIMEOUT)

    @property
    def aio(self) -> "AsyncSimulator":
        """The same methods, awaitable, for callers inside an event loop."""
        return AsyncSimulator(self)

    # ------------------------------------------------------------------ injections

    def _inject(self, endpoint: str, injection: Injection, times: int) -> None:
        with self.lock:
            self._injections[endpoint_name(endpoint)].extend([injection] * times)

    def fail_next(self, endpoint: str, errcode: int = -1, times: int = 1) -> None:
        """The next `times` calls to `endpoint` answer `errcode` without doing anything
        (no delivery, no quota used)."""
        self._inject(endpoint, Injection("fail", errcode=errcode), times)

    def delay_next(self, endpoint: str, seconds: float, times: int = 1) -> None:
        """The next `times` calls are processed (delivered) and answered `seconds`
        late: a client timeout after the message went out."""
        self._inject(endpoint, Injection("delay", seconds=seconds), times)

    def drop_connection_next(self, endpoint: str, times: int = 1) -> None:
        """The next `times` calls are cut off before processing, without an answer."""
        self._inject(endpoint, Injection("drop"), times)

    def take_injection(self, endpoint: str) -> Optional[Injection]:
        with self.lock:
            queue = self._injections.get(endpoint)
            return queue.popleft() if queue else None

    def clear_injections(self) -> None:
        with self.lock:
            self._injections.clear()

    # ------------------------------------------------------------------ what happened

    def log_call(self, call: Call) -> None:
        with self.lock:
            self._calls.append(call)

    @property
    def calls(self) -> List[Call]:
        """Every API call: (path, query without access_token, JSON body, errcode)."""
        with self.lock:
            return list(self._calls)

    @property
    def deliveries(self) -> List[Delivery]:
        """Every callback posted, member actions and WeChat's own events alike."""
        with self.lock:
            return list(self._deliveries)

    def inbox(self, openid: str) -> List[Dict[str, Any]]:
        """What the member's chat shows from the account: customer-service bodies as
        sent, template messages, passive replies, and banners."""
        with self.lock:
            member = self.account.members.get(openid)
            return [dict(entry) for entry in member.inbox] if member else []

    def typing_log(self, openid: str) -> List[TypingPeriod]:
        with self.lock:
            return self.account.typing_log(openid, self.now())

    def window(self, openid: str) -> Optional[Dict[str, Any]]:
        """The member's reply window (opened_at, closes_at, quota, used), or None."""
        with self.lock:
            member = self.account.members.get(openid)
            return member.window.as_dict() if member and member.window else None

    def menu(self) -> Optional[List[Dict[str, Any]]]:
        """The created menu's buttons as menu/get shows them, or None."""
        with self.lock:
            menu = self.account.menu
            return shown_menu(menu) if menu is not None else None

    def following(self, openid: str) -> bool:
        with self.lock:
            member = self.account.members.get(openid)
            return bool(member and member.following)

    def add_member(self, openid: str, following: bool = True) -> None:
        """A member known before the test starts, silently (no callback, no window):
        an existing follower, or with following=False one who never followed."""
        with self.lock:
            self.account.member(openid).following = following

    def spawn(self, coroutine: Awaitable[Any]) -> None:
        """Run on the server loop after the current answer (called from the loop)."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait for callbacks WeChat posts on its own (TEMPLATESENDJOBFINISH)."""
        async def idle() -> None:
            while self._tasks:
                await asyncio.wait(set(self._tasks), timeout=timeout)
        self._run(asyncio.wait_for(idle(), timeout))

    # ------------------------------------------------------------------ member actions

    def follow(self, openid: str, scene: Optional[str] = None) -> Delivery:
        """subscribe; with `scene`, a follow through a parametric QR code
        (EventKey qrscene_<scene> and a Ticket). Opens 1 minute / 3 messages."""
        return self._run(self.act(openid, "follow", scene=scene))

    def unfollow(self, openid: str) -> Delivery:
        return self._run(self.act(openid, "unfollow"))

    def scan(self, openid: str, scene: str) -> Delivery:
        """A follower scans a parametric QR code (SCAN). Opens 1 minute / 3 messages."""
        return self._run(self.act(openid, "scan", scene=scene))

    def send_text(self, openid: str, text: str) -> Delivery:
        """Opens 48 hours / 5 messages, like every member message."""
        return self._run(self.act(openid, "send_text", text=text))

    def send_image(self, openid: str, data: bytes = SAMPLE_JPEG,
                   content_type: str = "image/jpeg") -> Delivery:
        """PicUrl + MediaId; the bytes stay downloadable through media/get for 3 days."""
        return self._run(self.act(openid, "send_image", data=data, content_type=content_type))

    def send_voice(self, openid: str, recognition: Optional[str] = None,
                   data: bytes = SAMPLE_AMR, content_type: str = "audio/amr",
                   audio_format: str = "amr") -> Delivery:
        """Recognition only when given ("" sends an empty one, as WeChat may)."""
        return self._run(self.act(openid, "send_voice", recognition=recognition, data=data,
                                  content_type=content_type, audio_format=audio_format))

    def send_location(self, openid: str, x: float, y: float, scale: int = 20,
                      label: str = "") -> Delivery:
        return self._run(self.act(openid, "send_location", x=x, y=y, scale=scale,
                                  label=label))

    def send_link(self, openid: str, title: str, description: str, url: str) -> Delivery:
        return self._run(self.act(openid, "send_link", title=title, description=description,
                                  url=url))

    def click(self, openid: str, key: str) -> Delivery:
        """A CLICK menu tap. Opens 1 minute / 3 messages. Once a menu is created, only
        its click buttons' keys (NotInMenu otherwise); before, any key."""
        return self._run(self.act(openid, "click", key=key))

    def view(self, openid: str, url: str, menu_id: Optional[str] = None) -> Delivery:
        """A VIEW menu tap (a link): opens no window."""
        return self._run(self.act(openid, "view", url=url, menu_id=menu_id))

    def deliver(self, fields: Mapping[str, Any], *, force_deliveries: int = 1,
                concurrent: bool = False, nonce: Optional[str] = None,
                random: Optional[bytes] = None, timestamp: Optional[int] = None) -> Delivery:
        """Post any payload. FromUserName is required; ToUserName (the account),
        CreateTime (now) and, for a message, MsgId are filled in when absent. The
        member's state changes as for the matching action, but nothing is refused.

        force_deliveries=N posts the same payload N times (fresh timestamp, nonce and
        signature each, the same MsgId and CreateTime), sequentially or `concurrent`ly,
        without WeChat's own retries: the retry storm a server sees when its answers get
        lost. What the member sees follows the last answer. `nonce`, `random` (the 16
        bytes before the length) and `timestamp` fix what is otherwise fresh."""
        return self._run(self.deliver_async(fields, force_deliveries=force_deliveries,
                                            concurrent=concurrent, nonce=nonce,
                                            random=random, timestamp=timestamp))

    # ------------------------------------------------------------------ on the loop

    async def act(self, openid: str, action: str, **params: Any) -> Delivery:
        """Run the member action `action` (a method name above) on the server loop."""
        with self.lock:
            fields = self._action_fields(openid, action, params)
            fields = self._complete(openid, fields)
        return await self._post(fields, _interactive(fields))

    def _action_fields(self, openid: str, action: str,
                       params: Dict[str, Any]) -> Dict[str, Any]:
        """Check the member may do it (under the lock) and build its fields."""
        account = self.account
        member = account.members.get(openid)
        following = bool(member and member.following)
        if action == "follow":
            if following:
                raise SimulatorError(f"{openid} already follows the account")
            return messages.follow(params.get("scene"))
        if action not in messages.ACTION_NAMES:
            raise SimulatorError(f"unknown member action {action!r}")
        if not following:
            raise NotFollowing(f"{openid} does not follow the account: follow() first")
        if action == "click":
            account.check_click(params.get("key"))
        if action == "send_image":
            media_id = account.keep_media(params.get("data", SAMPLE_JPEG),
                                          params.get("content_type", "image/jpeg"), self.now())
            return messages.image(f"{self.url}/mmbiz/{media_id}", media_id)
        if action == "send_voice":
            media_id = account.keep_media(params.get("data", SAMPLE_AMR),
                                          params.get("content_type", "audio/amr"), self.now())
            return messages.voice(media_id, params.get("audio_format", "amr"),
                                  params.get("recognition"))
        return messages.ACTIONS[action](**params)

    def _complete(self, openid: str, fields: Mapping[str, Any]) -> Dict[str, Any]:
        """The envelope fields, a MsgId for a message, and the state change."""
        full = {"ToUserName": self.original_id, "FromUserName": openid,
                "CreateTime": int(self.now()), **fields}
        if full.get("MsgType") != "event" and "MsgId" not in full:
            full["MsgId"] = self.account.next_id()
        self.account.acted(openid, str(full.get("MsgType")), full.get("Event"), self.now())
        return full

    async def deliver_async(self, fields: Mapping[str, Any], *, force_deliveries: int = 1,
                            concurrent: bool = False, nonce: Optional[str] = None,
                            random: Optional[bytes] = None,
                            timestamp: Optional[int] = None) -> Delivery:
        openid = fields.get("FromUserName")
        if not isinstance(openid, str) or not openid:
            raise SimulatorError("deliver() needs FromUserName")
        with self.lock:
            full = self._complete(openid, {k: v for k, v in fields.items()
                                           if k != "FromUserName"})
        forced = force_deliveries if force_deliveries > 1 else 0
        return await self._post(full, _interactive(full), forced, concurrent, nonce, random,
                                timestamp)

    async def template_job_finished(self, openid: str, msg_id: int) -> None:
        """WeChat reports the template message's fate (always success here)."""
        with self.lock:
            fields = self._complete(openid, messages.template_job_finished(msg_id))
        await self._post(fields, interactive=False)

    async def _post(self, fields: Dict[str, Any], interactive: bool, forced: int = 0,
                    concurrent: bool = False, nonce: Optional[str] = None,
                    random: Optional[bytes] = None,
                    timestamp: Optional[int] = None) -> Delivery:
        """Post with WeChat's deadline and retries (or exactly `forced` times, no
        retries), then apply the last answer: a passive reply or a banner lands in the
        inbox."""
        openid = str(fields["FromUserName"])
        msg_id = fields.get("MsgId")
        delivery = Delivery(fields, messages.build_xml(fields),
                            int(msg_id) if str(msg_id).isdigit() else None,
                            int(fields["CreateTime"]))
        with self.lock:
            self._deliveries.append(delivery)
        if self.callback_url is None or self._session is None:
            return delivery

        def envelope() -> messages.Envelope:
            return messages.envelope(
                self.mode, self.token, fields,
                int(self.now()) if timestamp is None else timestamp,
                nonce or str(secrets.randbelow(9 * 10 ** 9) + 10 ** 9), openid,
                self.key, self.app_id, random)

        post = functools.partial(post_once, self._session, self.callback_url)
        kind = "retry"
        if forced:
            if concurrent:
                delivery.attempts = list(await asyncio.gather(
                    *[post(envelope(), self.callback_timeout) for _ in range(forced)]))
            else:
                for _ in range(forced):
                    delivery.attempts.append(await post(envelope(), self.callback_timeout))
            last = delivery.attempts[-1]
            kind = messages.answer_kind(last.status, last.answer)
        else:
            for _ in range(1 + self.callback_retries):
                attempt = await post(envelope(), self.callback_timeout)
                delivery.attempts.append(attempt)
                kind = messages.answer_kind(attempt.status, attempt.answer)
                if kind != "retry":
                    break
        self._conclude(delivery, kind, openid, interactive)
        return delivery

    def _conclude(self, delivery: Delivery, kind: str, openid: str, interactive: bool) -> None:
        shown = None
        if kind == "accepted":
            delivery.outcome = ACCEPTED
        elif kind == "reply":
            shown = messages.read_passive_reply(
                delivery.attempts[-1].answer, self.mode, self.token, self.key, self.app_id,
                openid, self.original_id)
            delivery.outcome = REPLIED if shown is not None else BANNER
        else:
            delivery.outcome = FAILED if kind == "retry" else BANNER
        if not interactive:
            return
        if shown is None and delivery.outcome in (BANNER, FAILED):
            shown = {"msgtype": "banner", "text": messages.BANNER}
        if shown is not None:
            with self.lock:
                self.account.show(openid, shown, self.now())
            delivery.shown = shown


class AsyncSimulator:
    """`await sim.aio.send_text(...)`: any simulator method from inside an event loop
    (a worker thread waits for the answer, not your loop)."""

    def __init__(self, sim: WeChatSimulator) -> None:
        self._sim = sim

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._sim, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.get_running_loop().run_in_executor(
                None, functools.partial(method, *args, **kwargs))
        return call

