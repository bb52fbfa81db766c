"""Who is asking, and may they: the console's session cookie (HttpOnly, SameSite=Lax,
the token's hash in the database), the CSRF token on every state-changing request, and
the roles (managers and admins act, reviewers read, admins see the audit log)."""
from __future__ import annotations

import functools
import hmac
from typing import Awaitable, Callable, Optional, Sequence
from urllib.parse import quote

from sanic import Request, response
from sanic.response import HTTPResponse

from bot.console import accounts, ids
from bot.console.accounts import Principal
from bot.gateway import messages, ratelimit
from bot.gateway.ratelimit import IPNetwork

SESSION_COOKIE = "hm_console"
LOGIN_COOKIE = "hm_console_login"  # the login form's own CSRF token (before a session)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")

Handler = Callable[..., Awaitable[HTTPResponse]]


def wants_json(request: Request) -> bool:
    """fetch() from the console's script and API clients ask for JSON."""
    return ("application/json" in request.headers.get("accept", "")
            or request.path.startswith("/console/api/")
            or request.path == "/console/events")


def form_value(request: Request, name: str) -> str:
    if "application/json" in request.headers.get("content-type", ""):
        body = request.json if isinstance(request.json, dict) else {}
        return str(body.get(name) or "")
    form = request.form
    return (form.get(name) or "") if form else ""


def same_token(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def csrf_ok(request: Request, principal: Principal) -> bool:
    given = request.headers.get(CSRF_HEADER) or form_value(request, CSRF_FIELD)
    return same_token(given, principal.csrf_token)


def refuse(request: Request, status: int, key: str, text: Optional[str] = None) -> HTTPResponse:
    text = text or messages.notice(key)
    if wants_json(request) or request.method in STATE_CHANGING:
        return response.json({"ok": False, "notice": key, "message": text}, status=status)
    return response.text(text, status=status)


def set_session_cookie(resp: HTTPResponse, token: str, secure: bool, max_age: int) -> None:
    resp.cookies[SESSION_COOKIE] = token
    cookie = resp.cookies[SESSION_COOKIE]
    cookie["httponly"] = True
    cookie["samesite"] = "Lax"
    cookie["path"] = "/console"
    cookie["max-age"] = max_age
    if secure:
        cookie["secure"] = True


def clear_session_cookie(resp: HTTPResponse) -> None:
    resp.cookies[SESSION_COOKIE] = ""
    resp.cookies[SESSION_COOKIE]["max-age"] = 0
    resp.cookies[SESSION_COOKIE]["path"] = "/console"


def client_address(request: Request, proxies: Sequence[IPNetwork]) -> str:
    """The address login limits count: the socket's peer; X-Forwarded-For only from a
    proxy named in HM_TRUSTED_PROXIES (the gateway's one list, gateway/access.py)."""
    return ratelimit.client_address(request.ip or "", request.headers.get("x-forwarded-for"),
                                    proxies)


async def load_principal(request: Request) -> Optional[Principal]:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    parts = request.app.ctx.console  # the console's parts (bot/console/parts.py)
    now = parts.clock.now()
    return await parts.pool.read(lambda s: accounts.load_session(s, token, now))


def console_route(act: bool = False, admin: bool = False) -> Callable[[Handler], Handler]:
    """Login required (a page redirects to the login, anything else is 401); a state
    change needs the session's CSRF token (403); `act` needs a manager or admin,
    `admin` an admin (403). An id in the path that no row can have (0, negative, past
    2**63-1) is 404 before anything reads the database. The handler gets the principal
    after the request."""
    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapped(request: Request, *args, **kwargs) -> HTTPResponse:
            principal = await load_principal(request)
            if principal is None:
                if request.method == "GET" and not wants_json(request):
                    return response.redirect(f"/console/login?next={quote(request.path)}")
                return refuse(request, 401, "login_required")
            if ids.bad_route_ids(kwargs):
                return refuse(request, 404, "no_such_item", messages.notice("no_such_item"))
            if request.method in STATE_CHANGING and not csrf_ok(request, principal):
                return refuse(request, 403, "csrf")
            if (act and not principal.can_act) or (admin and not principal.is_admin):
                return refuse(request, 403, "forbidden")
            request.ctx.principal = principal
            return await handler(request, principal, *args, **kwargs)
        return wrapped
    return decorate
