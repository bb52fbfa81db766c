"""The `/_sim/` control endpoints (JSON): the Python API over HTTP, so a demo can be
driven with curl. Member actions share the Python method names:
POST /_sim/members/<openid>/<action> with the method's keyword arguments as JSON."""
from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict

from aiohttp import web

from bot.wechat_simulator.account import SimulatorError
from bot.wechat_simulator.messages import ACTION_NAMES

if TYPE_CHECKING:
    from bot.wechat_simulator.server import WeChatSimulator

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(value: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, content_type="application/json",
                        body=json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8"))


async def _params(request: web.Request) -> Dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    value = json.loads(raw.decode("utf-8"))
    if not isinstance(value, dict):
        raise ValueError("the body must be a JSON object")
    return value


def _bytes(params: Dict[str, Any]) -> None:
    """`data_base64` (JSON has no bytes) -> `data`; `random_hex` -> `random`."""
    if "data_base64" in params:
        params["data"] = base64.b64decode(params.pop("data_base64"), validate=True)
    if "random_hex" in params:
        params["random"] = bytes.fromhex(params.pop("random_hex"))


def _guarded(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except SimulatorError as error:
            return _json({"error": str(error)}, 409)
        except (ValueError, TypeError, KeyError, binascii.Error) as error:
            return _json({"error": f"{type(error).__name__}: {error}"}, 400)
    return guarded


def add_routes(app: web.Application, sim: "WeChatSimulator") -> None:
    async def overview(request: web.Request) -> web.Response:
        with sim.lock:
            members = {openid: {"following": m.following,
                                "window": m.window.as_dict() if m.window else None,
                                "inbox": len(m.inbox)}
                       for openid, m in sim.account.members.items()}
        return _json({"now": sim.now(), "url": sim.url, "mode": sim.mode,
                      "app_id": sim.app_id, "callback_url": sim.callback_url,
                      "actions": list(ACTION_NAMES), "menu": sim.menu(),
                      "members": members})

    async def member_action(request: web.Request) -> web.Response:
        openid, action = request.match_info["openid"], request.match_info["action"]
        params = await _params(request)
        if action == "add":
            sim.add_member(openid, bool(params.get("following", True)))
            return _json({"openid": openid, "following": sim.following(openid)})
        if action not in ACTION_NAMES:
            raise web.HTTPNotFound(text=f"no member action {action}; one of {ACTION_NAMES}")
        _bytes(params)
        delivery = await sim.act(openid, action, **params)
        return _json(delivery.as_dict())

    async def inbox(request: web.Request) -> web.Response:
        return _json(sim.inbox(request.match_info["openid"]))

    async def typing(request: web.Request) -> web.Response:
        return _json([period._asdict() for period in
                      sim.typing_log(request.match_info["openid"])])

    async def window(request: web.Request) -> web.Response:
        return _json(sim.window(request.match_info["openid"]))

    async def deliver(request: web.Request) -> web.Response:
        params = await _params(request)
        _bytes(params)
        fields = params.pop("fields")
        delivery = await sim.deliver_async(fields, **params)
        return _json(delivery.as_dict())

    async def fail(request: web.Request) -> web.Response:
        params = await _params(request)
        sim.fail_next(params["endpoint"], int(params.get("errcode", -1)),
                      int(params.get("times", 1)))
        return _json({"ok": True})

    async def delay(request: web.Request) -> web.Response:
        params = await _params(request)
        sim.delay_next(params["endpoint"], float(params["seconds"]), int(params.get("times", 1)))
        return _json({"ok": True})

    async def drop(request: web.Request) -> web.Response:
        params = await _params(request)
        sim.drop_connection_next(params["endpoint"], int(params.get("times", 1)))
        return _json({"ok": True})

    async def clear(request: web.Request) -> web.Response:
        sim.clear_injections()
        return _json({"ok": True})

    async def advance(request: web.Request) -> web.Response:
        params = await _params(request)
        return _json({"now": sim.advance(float(params["seconds"]))})

    async def clock(request: web.Request) -> web.Response:
        return _json({"now": sim.now()})

    async def calls(request: web.Request) -> web.Response:
        return _json([call._asdict() for call in sim.calls])

    async def deliveries(request: web.Request) -> web.Response:
        return _json([delivery.as_dict() for delivery in sim.deliveries])

    routes = [
        ("GET", "/_sim/", overview),
        ("POST", "/_sim/members/{openid}/{action}", member_action),
        ("GET", "/_sim/members/{openid}/inbox", inbox),
        ("GET", "/_sim/members/{openid}/typing", typing),
        ("GET", "/_sim/members/{openid}/window", window),
        ("POST", "/_sim/deliver", deliver),
        ("POST", "/_sim/fail", fail),
        ("POST", "/_sim/delay", delay),
        ("POST", "/_sim/drop", drop),
        ("DELETE", "/_sim/injections", clear),
        ("POST", "/_sim/advance", advance),
        ("GET", "/_sim/clock", clock),
        ("GET", "/_sim/calls", calls),
        ("GET", "/_sim/deliveries", deliveries),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _guarded(handler))
