"""The WeChat API side: the `/cgi-bin/...` paths our client calls, answered from the
simulator's Account under its lock, with injected failures, delays and dropped
connections, and every call logged."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, NamedTuple, Optional

from aiohttp import web

from bot.wechat_simulator import codes
from bot.wechat_simulator.account import Media, has_unicode_escape, read_custom_json

if TYPE_CHECKING:
    from bot.wechat_simulator.server import WeChatSimulator

# Endpoint names (for fail_next & co.) -> paths.
ENDPOINTS = {
    "stable_token": "/cgi-bin/stable_token",
    "token": "/cgi-bin/token",
    "custom/send": "/cgi-bin/message/custom/send",
    "custom/typing": "/cgi-bin/message/custom/typing",
    "template/send": "/cgi-bin/message/template/send",
    "media/get": "/cgi-bin/media/get",
    "menu/create": "/cgi-bin/menu/create",
    "menu/get": "/cgi-bin/menu/get",
    "menu/delete": "/cgi-bin/menu/delete",
}
GET_ENDPOINTS = {"token", "media/get", "menu/get", "menu/delete"}
TOKEN_ENDPOINTS = {"stable_token", "token"}
# Successful answers WeChat documents without errcode: the token, the menu.
BARE_ANSWERS = TOKEN_ENDPOINTS | {"menu/get"}
JSON_CONTENT_TYPE = "application/json; encoding=utf-8"


class Call(NamedTuple):
    """One API call as logged: `(path, query without access_token, JSON body, errcode)`;
    the body is None when it is not JSON, errcode None for a dropped connection."""

    path: str
    query: Dict[str, str]
    body: Any
    errcode: Optional[int]


@dataclass(frozen=True)
class Injection:
    kind: str  # "fail", "delay" or "drop"
    errcode: int = codes.SYSTEM_ERROR
    seconds: float = 0.0


def endpoint_name(endpoint: str) -> str:
    """"custom/send", "/cgi-bin/message/custom/send" or "message/custom/send" -> the
    endpoint's name."""
    for name, path in ENDPOINTS.items():
        if endpoint == name or path.endswith("/" + endpoint.strip("/")):
            return name
    raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")


def json_answer(payload: Dict[str, Any]) -> web.Response:
    return web.Response(body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                        headers={"Content-Type": JSON_CONTENT_TYPE})


def _read_json(raw: bytes) -> Optional[Dict[str, Any]]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _media_answer(media_id: str, media: Media) -> web.Response:
    return web.Response(body=media.data, headers={
        "Content-Type": media.content_type,
        "Content-disposition": f'attachment; filename="{media_id}.{media.filename_extension}"'})


def add_routes(app: web.Application, sim: "WeChatSimulator") -> None:
    async def handle(request: web.Request, name: str) -> web.StreamResponse:
        raw = await request.read()
        query = dict(request.query)
        body = None
        if request.method == "POST":
            body = read_custom_json(raw) if name == "custom/send" else _read_json(raw)
        logged = {k: v for k, v in query.items() if k != "access_token"}
        injection = sim.take_injection(name)
        if injection is not None and injection.kind == "drop":
            sim.log_call(Call(ENDPOINTS[name], logged, body, None))
            request.transport.close()
            return web.Response()
        if injection is not None and injection.kind == "fail":
            errcode, fields, after = injection.errcode, {}, None
        else:
            escaped = name == "menu/create" and has_unicode_escape(raw)
            errcode, fields, after = _process(sim, name, query, body, escaped)
        sim.log_call(Call(ENDPOINTS[name], logged, body, errcode))
        if after is not None:
            sim.spawn(after)
        if injection is not None and injection.kind == "delay":
            await asyncio.sleep(injection.seconds)
        if isinstance(fields, Media):
            return _media_answer(query.get("media_id", ""), fields)
        if name in BARE_ANSWERS and errcode == codes.OK:
            return json_answer(fields)
        return json_answer(codes.answer(errcode, **fields))

    for name, path in ENDPOINTS.items():
        async def handler(request: web.Request, name: str = name) -> web.StreamResponse:
            return await handle(request, name)
        if name in GET_ENDPOINTS:
            app.router.add_get(path, handler)
        else:
            app.router.add_post(path, handler)

    async def pic_url(request: web.Request) -> web.StreamResponse:
        """The PicUrl of an image a member sent (no token needed, like WeChat's CDN)."""
        media_id = request.match_info["media_id"]
        with sim.lock:
            errcode, media = sim.account.get_media(media_id, sim.now())
        if media is None:
            raise web.HTTPNotFound()
        return _media_answer(media_id, media)

    app.router.add_get("/mmbiz/{media_id}", pic_url)


def _process(sim: "WeChatSimulator", name: str, query: Dict[str, str],
             body: Optional[Dict[str, Any]], escaped: bool = False):
    """(errcode, answer fields or a Media, a coroutine to run after answering or None):
    the token first (not for the token endpoints), then the endpoint's rules. `escaped`:
    the raw body wrote a character as \\uXXXX."""
    with sim.lock:
        now = sim.now()
        if name not in TOKEN_ENDPOINTS:
            errcode = sim.account.check_token(query.get("access_token"), now)
            if errcode:
                return errcode, {}, None
        return _dispatch(sim, name, query, body, now, escaped)


def _dispatch(sim: "WeChatSimulator", name: str, query: Dict[str, str],
              body: Optional[Dict[str, Any]], now: float, escaped: bool):
    account = sim.account
    if name == "stable_token":
        if body is None:
            return codes.DATA_FORMAT_ERROR, {}, None
        return (*account.stable_token(body, now), None)
    if name == "token":
        return (*account.classic_token(query, now), None)
    if name == "custom/send":
        return (*account.custom_send(body, now), None)
    if name == "custom/typing":
        return (*account.typing(body, now), None)
    if name == "menu/create":
        return (*account.create_menu(body, escaped), None)
    if name == "menu/get":
        return (*account.get_menu(), None)
    if name == "menu/delete":
        return (*account.delete_menu(), None)
    if name == "template/send":
        errcode, fields, delivered = account.template_send(body, now)
        after = sim.template_job_finished(body["touser"], fields["msgid"]) \
            if delivered else None
        return errcode, fields, after
    errcode, media = account.get_media(query.get("media_id"), now)
    return errcode, media if media is not None else {}, None
