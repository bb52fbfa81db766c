"""The manager console's routes (/console): login, the queue, a conversation (transcript
with what the bot understood, the member's profile, reply with canned answers, notes,
hand back, close), live updates and the audit log. Every action is audited."""
from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Optional
from urllib.parse import urlencode

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot.console import accounts, auth, views
from bot.console.accounts import Principal
from bot.console.auth import console_route
from bot.console.canned import canned_replies
from bot.gateway import messages, store
from bot.gateway.handoff import MAX_REPLY_TEXT, Actor
from bot.gateway.live import stream
from bot.gateway.outbox import conversation_topic
from bot.gateway.queue import QueueConflict
from bot.gateway.service import templates

if TYPE_CHECKING:
    from bot.gateway.service import Gateway

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def short_time(value: Any) -> str:
    """11-24 10:05 for a datetime or an ISO string."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%m-%d %H:%M")


def actor(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.username, principal.display_name,
                 principal.is_admin)


def safe_next(target: str) -> str:
    """Only back into the console after login: never to another site."""
    if target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/"


def blueprint(gateway: "Gateway") -> Blueprint:
    bp = Blueprint("console", url_prefix="/console")
    bp.static("/static", str(STATIC_DIR), name="static")
    env = templates(TEMPLATES_DIR)
    env.filters["hm"] = short_time
    env.globals.update(REASONS=messages.REASONS, STATES=messages.STATES, ROLES=messages.ROLES,
                       AUTHORS=messages.AUTHORS, notice=messages.notice)
    canned = canned_replies()

    def render(name: str, status: int = 200, **context) -> HTTPResponse:
        context.setdefault("me", None)
        context.setdefault("notice_key", None)
        return response.html(env.get_template(name).render(**context), status=status)

    async def record(action: str, principal: Optional[Principal] = None,
                     target: Optional[str] = None, detail: Optional[Dict[str, Any]] = None,
                     username: Optional[str] = None) -> None:
        now = gateway.clock.now()
        await gateway.pool.write(lambda s: accounts.audit(
            s, now, action, principal, target, detail, username))

    def outcome(request: Request, ok: bool, key: str, back: str, status: int = 200,
                **extra: Any) -> HTTPResponse:
        if auth.wants_json(request):
            return response.json({"ok": ok, "notice": key, "message": messages.notice(key),
                                  **extra}, status=status if not ok else 200)
        return response.redirect(f"{back}?{urlencode({'notice': key})}", status=303)

    async def act(request: Request, principal: Principal, action: str, target: str,
                  back: str, work: Callable[[], Awaitable[Any]], done: str,
                  detail: Optional[Dict[str, Any]] = None, lost_back: Optional[str] = None
                  ) -> HTTPResponse:
        """Run a console action and audit it either way, to the end even if the
        manager's browser goes away meanwhile; answer JSON or redirect."""
        async def attempt() -> Optional[QueueConflict]:
            try:
                await work()
            except QueueConflict as conflict:
                await record(f"{action}_refused", principal, target,
                             {"reason": conflict.key, "owner": conflict.owner})
                return conflict
            await record(action, principal, target, detail)
            return None

        conflict = await gateway.complete(attempt())
        if conflict is not None:
            return outcome(request, False, conflict.key, lost_back or back, 409,
                           owner=conflict.owner)
        return outcome(request, True, done, back)

    # ------------------------------------------------------------------ login

    @bp.get("/login")
    async def login_form(request: Request) -> HTTPResponse:
        if await auth.load_principal(request) is not None:
            return response.redirect("/console/")
        return login_page(request, None, 200)

    def login_page(request: Request, error: Optional[str], status: int) -> HTTPResponse:
        token = secrets.token_urlsafe(24)
        wanted = (auth.form_value(request, "next") if request.method == "POST"
                  else request.args.get("next", ""))
        page = render("login.html", status, csrf_token=token, error=error,
                      next=safe_next(wanted), notice_key=request.args.get("notice"))
        page.cookies[auth.LOGIN_COOKIE] = token
        cookie = page.cookies[auth.LOGIN_COOKIE]
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["path"] = "/console/login"
        return page

    @bp.post("/login")
    async def login(request: Request) -> HTTPResponse:
        if not auth.same_token(auth.form_value(request, auth.CSRF_FIELD),
                               request.cookies.get(auth.LOGIN_COOKIE, "")):
            return login_page(request, messages.notice("csrf"), 403)
        username = auth.form_value(request, "username").strip()
        password = auth.form_value(request, "password")
        now = gateway.clock.now()
        hours = gateway.settings.session_hours

        def attempt(session):
            user = accounts.authenticate(session, username, password)
            if user is None:
                accounts.audit(session, now, "login_failed", username=username[:60])
                return None
            token, _ = accounts.start_session(session, user, now, hours)
            accounts.audit(session, now, "login", target=f"user:{user.id}",
                           username=user.username)
            return token

        token = await gateway.pool.write(attempt)
        if token is None:
            return login_page(request, messages.notice("login_failed"), 401)
        page = response.redirect(safe_next(auth.form_value(request, "next")), status=303)
        auth.set_session_cookie(page, token, gateway.settings.secure_cookies, hours * 3600)
        return page

    @bp.post("/logout")
    @console_route()
    async def logout(request: Request, principal: Principal) -> HTTPResponse:
        now = gateway.clock.now()

        def end(session):
            accounts.end_session(session, principal.session_id)
            accounts.audit(session, now, "logout", principal)

        await gateway.pool.write(end)
        page = response.redirect("/console/login?notice=logged_out", status=303)
        auth.clear_session_cookie(page)
        return page

    # ------------------------------------------------------------------ queue

    @bp.get("/")
    @console_route()
    async def queue_page(request: Request, principal: Principal) -> HTTPResponse:
        now = gateway.clock.now()
        data = await gateway.pool.read(lambda s: views.queue_page(s, principal.user_id, now))
        return render("queue.html", me=principal, notice_key=request.args.get("notice"),
                      **data)

    @bp.get("/api/queue")
    @console_route()
    async def queue_api(request: Request, principal: Principal) -> HTTPResponse:
        now = gateway.clock.now()
        data = await gateway.pool.read(lambda s: views.queue_page(s, principal.user_id, now))
        return response.json(data)

    @bp.get("/events")
    @console_route()
    async def events(request: Request, principal: Principal) -> Optional[HTTPResponse]:
        topics = ["queue"]
        wanted = request.args.get("conversation", "")
        if wanted.isdigit():
            topics.append(conversation_topic(int(wanted)))
        await stream(request, gateway.hub, *topics)
        return None

    # ------------------------------------------------------------------ a conversation

    @bp.get("/conversations/<conversation_id:int>")
    @console_route()
    async def conversation_view(request: Request, principal: Principal,
                                conversation_id: int) -> HTTPResponse:
        data = await gateway.pool.read(lambda s: views.conversation_page(s, conversation_id))
        if data is None:
            return render("missing.html", 404, me=principal)
        summary = data["conversation"]
        member_id, answered = summary["member_id"], True
        if member_id is None:
            member_id, answered = await gateway.members.identify(summary["channel"],
                                                                 summary["external_id"])
            if member_id is not None:
                await gateway.pool.write(
                    lambda s: store.set_member_id(s, conversation_id, member_id))
        profile = await gateway.members.profile(member_id) if member_id is not None else None
        await record("view_conversation", principal, f"conversation:{conversation_id}")
        return render("conversation.html", me=principal, canned=canned,
                      profile=views.profile_view(profile, gateway.clock.today()),
                      # Unknown when the backends did not answer: "unavailable", not "unbound".
                      member_bound=member_id is not None or not answered,
                      notice_key=request.args.get("notice"), **data)

    @bp.get("/api/conversations/<conversation_id:int>")
    @console_route()
    async def conversation_api(request: Request, principal: Principal,
                               conversation_id: int) -> HTTPResponse:
        after = request.args.get("after", "0")
        after_id = int(after) if after.isdigit() else 0
        data = await gateway.pool.read(
            lambda s: views.conversation_page(s, conversation_id, after_id))
        if data is None:
            return auth.refuse(request, 404, "not_found")
        return response.json(data)

    def conversation_url(conversation_id: int) -> str:
        return f"/console/conversations/{conversation_id}"

    @bp.post("/conversations/<conversation_id:int>/claim")
    @console_route(act=True)
    async def claim(request: Request, principal: Principal,
                    conversation_id: int) -> HTTPResponse:
        return await act(request, principal, "claim", f"conversation:{conversation_id}",
                         conversation_url(conversation_id),
                         lambda: gateway.handoffs.claim(conversation_id, actor(principal)),
                         "claimed", lost_back="/console/")

    @bp.post("/tickets/<ticket_id:int>/claim")
    @console_route(act=True)
    async def claim_ticket(request: Request, principal: Principal,
                           ticket_id: int) -> HTTPResponse:
        claimed: Dict[str, int] = {}

        async def work() -> None:
            conversation = await gateway.handoffs.claim_ticket(ticket_id, actor(principal))
            claimed["id"] = conversation.id

        result = await act(request, principal, "claim_ticket", f"ticket:{ticket_id}",
                           "/console/", work, "ticket_claimed")
        if "id" in claimed and not auth.wants_json(request):
            return response.redirect(
                f"{conversation_url(claimed['id'])}?notice=ticket_claimed", status=303)
        return result

    def checked_text(request: Request) -> tuple[str, Optional[str]]:
        text = auth.form_value(request, "text").strip()
        if not text:
            return text, "empty"
        if len(text) > MAX_REPLY_TEXT:
            return text, "too_long"
        return text, None

    @bp.post("/conversations/<conversation_id:int>/reply")
    @console_route(act=True)
    async def reply(request: Request, principal: Principal,
                    conversation_id: int) -> HTTPResponse:
        text, problem = checked_text(request)
        if problem:
            return outcome(request, False, problem, conversation_url(conversation_id), 400)
        canned_name = auth.form_value(request, "canned") or None
        return await act(request, principal, "reply", f"conversation:{conversation_id}",
                         conversation_url(conversation_id),
                         lambda: gateway.handoffs.reply(conversation_id, actor(principal), text),
                         "replied", {"length": len(text), "canned": canned_name})

    @bp.post("/conversations/<conversation_id:int>/notes")
    @console_route(act=True)
    async def note(request: Request, principal: Principal,
                   conversation_id: int) -> HTTPResponse:
        text, problem = checked_text(request)
        if problem:
            return outcome(request, False, problem, conversation_url(conversation_id), 400)
        now = gateway.clock.now()

        async def work() -> None:
            def write(session):
                if store.conversation(session, conversation_id) is None:
                    raise QueueConflict("not_found")
                return accounts.note_view(
                    accounts.add_note(session, conversation_id, principal.user_id, text, now))
            view = await gateway.pool.write(write)
            gateway.hub.publish(conversation_topic(conversation_id), {"type": "note", "note": view})

        return await act(request, principal, "note", f"conversation:{conversation_id}",
                         conversation_url(conversation_id), work, "note_saved")

    @bp.post("/conversations/<conversation_id:int>/handback")
    @console_route(act=True)
    async def hand_back(request: Request, principal: Principal,
                        conversation_id: int) -> HTTPResponse:
        return await act(request, principal, "hand_back", f"conversation:{conversation_id}",
                         conversation_url(conversation_id),
                         lambda: gateway.handoffs.hand_back(conversation_id, actor(principal)),
                         "handed_back")

    @bp.post("/conversations/<conversation_id:int>/close")
    @console_route(act=True)
    async def close(request: Request, principal: Principal,
                    conversation_id: int) -> HTTPResponse:
        return await act(request, principal, "close", f"conversation:{conversation_id}",
                         conversation_url(conversation_id),
                         lambda: gateway.handoffs.close(conversation_id, actor(principal)),
                         "closed")

    # ------------------------------------------------------------------ audit

    @bp.get("/audit")
    @console_route(admin=True)
    async def audit_log(request: Request, principal: Principal) -> HTTPResponse:
        entries = await gateway.pool.read(views.audit_view)
        return render("audit.html", me=principal, entries=entries)

    return bp
