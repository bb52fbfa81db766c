"""The manager console's routes (/console): login, the queue, a conversation (transcript
with what the bot understood and how replies fared on the channel, the member's photos,
the member's profile, reply with canned answers, notes, hand back, close), live updates,
the operator alerts, the audit log and the review dashboard; the reviewers' other pages
are in review_routes.py. Every action and every view of a conversation or a photo is
audited; reviewers read conversations masked (disclosure.py)."""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional
from urllib.parse import urlencode

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse

from bot.console import accounts, alerts, auth, booking, ids, review_routes, stats, views
from bot.console.accounts import Principal
from bot.console.auth import console_route
from bot.console.canned import canned_replies, variables
from bot.console.disclosure import SeenHub, sight
from bot.console.parts import ConsoleParts
from bot.console.throttle import InFlight
from bot import privacy, wording
from bot.gateway import media, messages, queue, store
from bot.gateway import satisfaction as gw_satisfaction
from bot.gateway import sla
from bot.gateway.handoff import MAX_REPLY_TEXT, Actor
from bot.gateway.live import stream
from bot.gateway.outbox import conversation_topic
from bot.gateway.queue import QueueConflict
from bot.gateway.templating import templates
from bot.review import metrics

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
REVIEW_ROLES = ("reviewer", "admin")  # the review pages; managers serve members
SATISFACTION_DAYS = 30  # the 满意度 page's window
# Threads for scrypt (tens of milliseconds of CPU each), apart from the database pool so
# that a burst of logins never holds up members' messages.
HASH_THREADS = 2
logger = logging.getLogger(__name__)


def actor(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.username, principal.display_name,
                 principal.is_admin)


def safe_next(target: str) -> str:
    """Only back into the console after login: never to another site."""
    if target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/"


def blueprint(parts: ConsoleParts) -> Blueprint:
    bp = Blueprint("console", url_prefix="/console")
    bp.static("/static", str(STATIC_DIR), name="static")
    env = templates(TEMPLATES_DIR)
    env.filters["hm"] = views.short_time
    env.globals.update(REASONS=messages.REASONS, STATES=messages.STATES, ROLES=messages.ROLES,
                       AUTHORS=messages.AUTHORS, CHANNELS=messages.CHANNELS,
                       notice=messages.notice, SCRIPT_LABELS=messages.script_labels())
    canned = canned_replies()

    def render(name: str, status: int = 200, **context) -> HTTPResponse:
        context.setdefault("me", None)
        context.setdefault("notice_key", None)
        context.setdefault("alert_count", 0)
        context.setdefault("notice_text", None)  # a notice in words (the review pages)
        context.setdefault("notice_error", False)
        return response.html(env.get_template(name).render(**context), status=status)

    async def page(name: str, principal: Principal, status: int = 200,
                   **context) -> HTTPResponse:
        """A logged-in page; admins see the number of unresolved operator alerts."""
        if principal.is_admin:
            context["alert_count"] = await parts.pool.read(alerts.unresolved_count)
        team = await parts.pool.read(accounts.team) if principal.can_act else []
        context["team"] = team
        context["my_presence"] = next((m["presence"] for m in team
                                       if m["id"] == principal.user_id), "offline")
        return render(name, status, me=principal, PRESENCE_LABELS=messages.PRESENCE_LABELS,
                      **context)

    async def record(action: str, principal: Optional[Principal] = None,
                     target: Optional[str] = None, detail: Optional[Dict[str, Any]] = None,
                     username: Optional[str] = None) -> None:
        now = parts.clock.now()
        await parts.pool.write(lambda s: accounts.audit(
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

        conflict = await parts.tasks.complete(attempt())
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

    hasher = ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="console-hash")
    checking = InFlight()

    @bp.listener("after_server_stop")
    async def stop_hasher(app, loop) -> None:
        hasher.shutdown(wait=False)

    def wait_page(request: Request, seconds: int) -> HTTPResponse:
        refused = login_page(request, messages.notice("login_wait", seconds=seconds), 429)
        refused.headers["Retry-After"] = str(seconds)
        return refused

    async def check_login(request: Request, username: str, password: str,
                          address: str) -> Any:
        """The session's token, or the page that refuses the login. One check at a time
        per username (a few per address) in this process: parallel tries would all read
        the failures before any is written (throttle.InFlight)."""
        if not checking.enter(username, address):
            return wait_page(request, 1)
        try:
            return await checked_login(request, username, password, address)
        finally:
            checking.leave(username, address)

    async def checked_login(request: Request, username: str, password: str,
                            address: str) -> Any:
        limits = parts.settings.login_limits
        now = parts.clock.now()
        state = await parts.pool.read(
            lambda s: accounts.login_state(s, username, address, limits, now))
        if state.verdict.locked:
            return login_page(request, messages.notice("login_locked"), 423)
        if not state.verdict.may_try:
            return wait_page(request, state.verdict.wait_label)
        ok = await asyncio.get_running_loop().run_in_executor(
            hasher, accounts.password_matches, state, password)
        now = parts.clock.now()
        if not ok:
            locked = await parts.pool.write(lambda s: accounts.login_failed(
                s, username, address, state.account_id, limits, now))
            if locked:
                if state.account_id is not None:
                    logger.warning("console user %s locked after failed logins",
                                   state.account_id)
                return login_page(request, messages.notice("login_locked"), 423)
            return login_page(request, messages.notice("login_failed"), 401)
        return await parts.pool.write(lambda s: accounts.login_succeeded(
            s, state.user_id, now, parts.settings.session_hours, limits))

    @bp.post("/login")
    async def login(request: Request) -> HTTPResponse:
        """A short read (the account, its failures), the scrypt check in its own thread
        with no transaction open, then a short write (the session, or the failure):
        logins never hold the database's write lock while hashing. Throttled and locked
        tries are refused before any check (bot/console/throttle.py)."""
        if not auth.same_token(auth.form_value(request, auth.CSRF_FIELD),
                               request.cookies.get(auth.LOGIN_COOKIE, "")):
            return login_page(request, messages.notice("csrf"), 403)
        username = auth.form_value(request, "username").strip()[:60]
        password = auth.form_value(request, "password")
        address = auth.client_address(request, parts.settings.access.trusted_proxies)
        hours = parts.settings.session_hours
        token = await parts.tasks.complete(check_login(request, username, password, address))
        if isinstance(token, HTTPResponse):
            return token
        page = response.redirect(safe_next(auth.form_value(request, "next")), status=303)
        auth.set_session_cookie(page, token, parts.settings.secure_cookies, hours * 3600)
        return page

    @bp.post("/logout")
    @console_route()
    async def logout(request: Request, principal: Principal) -> HTTPResponse:
        now = parts.clock.now()

        def end(session):
            accounts.end_session(session, principal.session_id)
            accounts.audit(session, now, "logout", principal)

        await parts.pool.write(end)
        if principal.can_act:      # nobody is assigned members while logged out
            await parts.handoffs.set_presence(actor(principal), "offline")
        page = response.redirect("/console/login?notice=logged_out", status=303)
        auth.clear_session_cookie(page)
        return page

    # ------------------------------------------------------------------ queue

    @bp.get("/")
    @console_route()
    async def queue_page(request: Request, principal: Principal) -> HTTPResponse:
        now = parts.clock.now()
        data = await parts.pool.read(lambda s: views.queue_page(s, principal.user_id, now))
        return await page("queue.html", principal, notice_key=request.args.get("notice"),
                          **sight(principal).queue(data))

    @bp.get("/api/queue")
    @console_route()
    async def queue_api(request: Request, principal: Principal) -> HTTPResponse:
        now = parts.clock.now()
        data = await parts.pool.read(lambda s: views.queue_page(s, principal.user_id, now))
        return response.json(sight(principal).queue(data))

    @bp.get("/events")
    @console_route()
    async def events(request: Request, principal: Principal) -> Optional[HTTPResponse]:
        """The queue's changes, and with ?conversation=ID that conversation's messages,
        notes and state as the principal may read them; subscribing to a conversation
        is a view of it (audited once per subscription)."""
        topics = ["queue"]
        seen = sight(principal)
        wanted = request.args.get("conversation", "")
        if wanted:
            conversation_id = ids.parse_id(wanted)
            if conversation_id is None or not await parts.pool.read(
                    lambda s: store.conversation(s, conversation_id) is not None):
                return auth.refuse(request, 404, "not_found")
            await record("view_conversation", principal, f"conversation:{conversation_id}",
                         {"via": "live", "masked": seen.masked})
            topics.append(conversation_topic(conversation_id))
        await stream(request, SeenHub(parts.hub, seen), *topics)
        return None

    # ------------------------------------------------------------------ a conversation

    @bp.get("/conversations/<conversation_id:int>")
    @console_route()
    async def conversation_view(request: Request, principal: Principal,
                                conversation_id: int) -> HTTPResponse:
        data = await parts.pool.read(lambda s: views.conversation_page(s, conversation_id))
        if data is None:
            return await page("missing.html", principal, 404)
        summary = data["conversation"]
        member_id, answered = summary["member_id"], True
        if member_id is None:
            member_id, answered = await parts.members.identify(summary["channel"],
                                                                 summary["external_id"])
            if member_id is not None:
                await parts.pool.write(
                    lambda s: store.set_member_id(s, conversation_id, member_id))
        profile = await parts.members.profile(member_id) if member_id is not None else None
        seen = sight(principal)
        await record("view_conversation", principal, f"conversation:{conversation_id}",
                     {"via": "page", "masked": seen.masked})
        shown = seen.profile(views.profile_view(profile, parts.clock.today()))
        named = variables(((shown or {}).get("member") or {}).get("name") or "",
                          parts.clock.today())
        search = booking.Search.from_args(request.args, parts.clock.today())
        found = (await booking.look_up(parts.members.backends, member_id, search)
                 if search is not None and member_id is not None and principal.can_act
                 else None)
        notice_key = request.args.get("notice")
        detail = (request.args.get("detail") or "")[:200]
        return await page("conversation.html", principal, profile=shown,
                          canned=[reply.filled(named) for reply in canned],
                          member_title=views.member_title(summary, shown),
                          # Unknown when the backends did not answer: "unavailable", not "unbound".
                          member_bound=member_id is not None or not answered,
                          booking_choices=booking.choices(), search=search, found=found,
                          notice_key=notice_key,
                          notice_text=(messages.notice("booking_refused", detail=detail)
                                       if notice_key == "booking_refused" and detail else None),
                          notice_error=notice_key == "booking_refused",
                          **seen.conversation(data))

    @bp.get("/api/conversations/<conversation_id:int>")
    @console_route()
    async def conversation_api(request: Request, principal: Principal,
                               conversation_id: int) -> HTTPResponse:
        """The conversation as JSON; ?after=ID only the messages after that one (0 or
        absent: all). A full read is audited; an incremental one (console.js after a
        reconnect, or looking again for a photo) only when the same user has no audited
        view of the conversation within a session's lifetime, so polling writes nothing."""
        after = request.args.get("after", "").strip()
        after_id = 0 if after in ("", "0") else ids.parse_id(after)
        if after_id is None:
            return auth.refuse(request, 400, "bad_after", messages.notice("bad_after"))
        target = f"conversation:{conversation_id}"
        since = parts.clock.now() - timedelta(hours=parts.settings.session_hours)

        def read(session):
            data = views.conversation_page(session, conversation_id, after_id)
            seen_before = (after_id > 0 and data is not None
                           and accounts.viewed_since(session, principal.user_id, target, since))
            return data, seen_before

        data, seen_before = await parts.pool.read(read)
        if data is None:
            return auth.refuse(request, 404, "not_found")
        seen = sight(principal)
        if not seen_before:
            await record("view_conversation", principal, target,
                         {"via": "api", "masked": seen.masked})
        return response.json(seen.conversation(data))

    def conversation_url(conversation_id: int) -> str:
        return f"/console/conversations/{conversation_id}"

    @bp.post("/conversations/<conversation_id:int>/claim")
    @console_route(act=True)
    async def claim(request: Request, principal: Principal,
                    conversation_id: int) -> HTTPResponse:
        return await act(request, principal, "claim", f"conversation:{conversation_id}",
                         conversation_url(conversation_id),
                         lambda: parts.handoffs.claim(conversation_id, actor(principal)),
                         "claimed", lost_back="/console/")

    @bp.post("/tickets/<ticket_id:int>/claim")
    @console_route(act=True)
    async def claim_ticket(request: Request, principal: Principal,
                           ticket_id: int) -> HTTPResponse:
        claimed: Dict[str, int] = {}

        async def work() -> None:
            conversation = await parts.handoffs.claim_ticket(ticket_id, actor(principal))
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
                         lambda: parts.handoffs.reply(conversation_id, actor(principal), text),
                         "replied", {"length": len(text), "canned": canned_name})

    @bp.post("/conversations/<conversation_id:int>/notes")
    @console_route(act=True)
    async def note(request: Request, principal: Principal,
                   conversation_id: int) -> HTTPResponse:
        text, problem = checked_text(request)
        if problem:
            return outcome(request, False, problem, conversation_url(conversation_id), 400)
        now = parts.clock.now()

        async def work() -> None:
            def write(session):
                if store.conversation(session, conversation_id) is None:
                    raise QueueConflict("not_found")
                return accounts.note_view(
                    accounts.add_note(session, conversation_id, principal.user_id, text, now))
            view = await parts.pool.write(write)
            parts.hub.publish(conversation_topic(conversation_id), {"type": "note", "note": view})

        return await act(request, principal, "note", f"conversation:{conversation_id}",
                         conversation_url(conversation_id), work, "note_saved")

    @bp.post("/presence")
    @console_route(act=True)
    async def presence(request: Request, principal: Principal) -> HTTPResponse:
        """接待中 / 小休 / 离线: present managers are assigned waiting members."""
        chosen = auth.form_value(request, "presence")
        return await act(request, principal, "presence", f"user:{principal.user_id}",
                         "/console/", lambda: parts.handoffs.set_presence(actor(principal),
                                                                         chosen),
                         "presence_saved", {"presence": chosen})

    @bp.post("/conversations/<conversation_id:int>/transfer")
    @console_route(act=True)
    async def transfer(request: Request, principal: Principal,
                       conversation_id: int) -> HTTPResponse:
        """To a colleague, with a note only managers read."""
        try:
            to_user = int(auth.form_value(request, "to"))
        except ValueError:
            return outcome(request, False, "transfer_invalid", conversation_url(conversation_id),
                           400)
        note = auth.form_value(request, "note").strip()
        return await act(request, principal, "transfer", f"conversation:{conversation_id}",
                         conversation_url(conversation_id),
                         lambda: parts.handoffs.transfer(conversation_id, actor(principal),
                                                         to_user, note),
                         "transferred", {"to": to_user, "with_note": bool(note)})

    # ------------------------------------------------------------------ booking for the member

    async def for_member(request: Request, principal: Principal, conversation_id: int,
                         action: str, work) -> HTTPResponse:
        """A booking action on the member's behalf: only the manager serving the
        conversation, only for a member bound to a policy; the backends decide, the
        member is told, and it is audited either way (the reason when refused)."""
        back = conversation_url(conversation_id)

        def owned(session):
            return queue.require_owner(session, conversation_id, principal.user_id)

        try:
            conversation = await parts.pool.read(owned)
        except QueueConflict as conflict:
            return outcome(request, False, conflict.key, back, 409)
        if conversation.member_id is None:
            return outcome(request, False, "member_unbound", back, 409)
        try:
            done, text = await work(conversation.member_id)
        except booking.BookingRefused as refused:
            await record(f"{action}_refused", principal, f"conversation:{conversation_id}",
                         {"reason": refused.reason[:200]})
            if auth.wants_json(request):
                return response.json({"ok": False, "notice": "booking_refused",
                                      "message": messages.notice("booking_refused",
                                                                 detail=refused.reason)},
                                     status=409)
            return response.redirect(f"{back}?{urlencode({'notice': 'booking_refused', 'detail': refused.reason[:200]})}",
                                     status=303)
        await parts.handoffs.reply(conversation_id, actor(principal), text)
        await record(action, principal, f"conversation:{conversation_id}",
                     {"reference": done.get("reference")})
        return outcome(request, True, {"book": "booked", "reschedule": "rescheduled",
                                       "cancel": "cancelled"}[action], back)

    def _form_int(request: Request, name: str) -> Optional[int]:
        try:
            return int(auth.form_value(request, name))
        except ValueError:
            return None

    def _told(appointment: Dict[str, Any]) -> tuple:
        return (wording.appointment_label(appointment), appointment.get("reference") or "",
                wording.parse_datetime(appointment["arrive_by"]).strftime("%H:%M")
                if appointment.get("arrive_by") else "")

    @bp.post("/conversations/<conversation_id:int>/book")
    @console_route(act=True)
    async def book_for_member(request: Request, principal: Principal,
                              conversation_id: int) -> HTTPResponse:
        slot_id = _form_int(request, "slot_id")

        async def work(member_id: int):
            if slot_id is None:
                raise booking.BookingRefused("请选择一个时段。")
            made = await booking.book(parts.members.backends, principal.user_id, member_id,
                                      slot_id)
            return made, messages.booked_for_member(*_told(made))

        return await for_member(request, principal, conversation_id, "book", work)

    @bp.post("/conversations/<conversation_id:int>/appointments/<appointment_id:int>/reschedule")
    @console_route(act=True)
    async def reschedule_for_member(request: Request, principal: Principal,
                                    conversation_id: int, appointment_id: int) -> HTTPResponse:
        slot_id = _form_int(request, "slot_id")

        async def work(member_id: int):
            if slot_id is None:
                raise booking.BookingRefused("请选择新的时段。")
            moved = await booking.reschedule(parts.members.backends, principal.user_id,
                                             member_id, appointment_id, slot_id)
            return moved, messages.rescheduled_for_member(*_told(moved))

        return await for_member(request, principal, conversation_id, "reschedule", work)

    @bp.post("/conversations/<conversation_id:int>/appointments/<appointment_id:int>/cancel")
    @console_route(act=True)
    async def cancel_for_member(request: Request, principal: Principal,
                                conversation_id: int, appointment_id: int) -> HTTPResponse:
        async def work(member_id: int):
            gone = await booking.cancel(parts.members.backends, principal.user_id, member_id,
                                        appointment_id)
            return gone, messages.cancelled_for_member(wording.appointment_label(gone))

        return await for_member(request, principal, conversation_id, "cancel", work)

    def release_reason(request: Request) -> str:
        """Why a manager ends an emergency they did not answer (required then)."""
        return auth.form_value(request, "reason").strip()[:200]

    def release_detail(request: Request) -> Optional[Dict[str, Any]]:
        return {"with_reason": True} if release_reason(request) else None

    @bp.post("/conversations/<conversation_id:int>/handback")
    @console_route(act=True)
    async def hand_back(request: Request, principal: Principal,
                        conversation_id: int) -> HTTPResponse:
        return await act(request, principal, "hand_back", f"conversation:{conversation_id}",
                         conversation_url(conversation_id),
                         lambda: parts.handoffs.hand_back(conversation_id, actor(principal),
                                                          release_reason(request)),
                         "handed_back", release_detail(request))

    @bp.post("/conversations/<conversation_id:int>/close")
    @console_route(act=True)
    async def close(request: Request, principal: Principal,
                    conversation_id: int) -> HTTPResponse:
        return await act(request, principal, "close", f"conversation:{conversation_id}",
                         conversation_url(conversation_id),
                         lambda: parts.handoffs.close(conversation_id, actor(principal),
                                                      release_reason(request)),
                         "closed", release_detail(request))

    # ------------------------------------------------------------------ audit

    @bp.get("/satisfaction")
    @console_route()
    async def satisfaction_page(request: Request, principal: Principal) -> HTTPResponse:
        """统计与满意度: each manager's days (served, first responses in service minutes
        against their targets, resolved, 满意度) and 满意度 per manager over the last 30
        days (comments masked for reviewers)."""
        since = parts.clock.now() - timedelta(days=SATISFACTION_DAYS)
        scores, days = await parts.pool.read(
            lambda s: (gw_satisfaction.by_manager(s, since), stats.by_day(s, since)))
        if not principal.can_act:
            scores = [dataclasses.replace(score, comments=[privacy.mask_for_display(c)
                                                           for c in score.comments])
                      for score in scores]
        return await page("satisfaction.html", principal, scores=scores, day_rows=days,
                          days=SATISFACTION_DAYS, ratings=gw_satisfaction.RATINGS,
                          targets={"usual": sla.USUAL, "urgent": sla.URGENT})

    @bp.get("/audit")
    @console_route(admin=True)
    async def audit_log(request: Request, principal: Principal) -> HTTPResponse:
        entries = await parts.pool.read(views.audit_view)
        return await page("audit.html", principal, entries=entries)

    # ------------------------------------------------------------------ locked accounts

    @bp.get("/accounts/locks")
    @console_route(admin=True)
    async def account_locks(request: Request, principal: Principal) -> HTTPResponse:
        """账号锁定: accounts locked after too many failed logins, each with 解除锁定."""
        locks = await parts.pool.read(accounts.account_locks)
        key = request.args.get("notice", "")
        return await page("account_locks.html", principal, locks=locks,
                          notice_text=messages.notice(key) if key in
                          ("unlocked", "not_locked") else None,
                          notice_error=key == "not_locked")

    @bp.post("/accounts/<user_id:int>/unlock")
    @console_route(admin=True)
    async def unlock_account(request: Request, principal: Principal,
                             user_id: int) -> HTTPResponse:
        now = parts.clock.now()
        limits = parts.settings.login_limits

        def lift(session):
            username = accounts.lift_lock(session, user_id, now, limits)
            accounts.audit(session, now, "unlock_account" if username else
                           "unlock_account_refused", principal, f"user:{user_id}",
                           {"username": username} if username else None)
            return username

        username = await parts.tasks.complete(parts.pool.write(lift))
        key = "unlocked" if username else "not_locked"
        if auth.wants_json(request):
            return response.json({"ok": bool(username), "notice": key,
                                  "message": messages.notice(key)},
                                 status=200 if username else 409)
        return response.redirect(f"/console/accounts/locks?notice={key}", status=303)

    # ------------------------------------------------------------------ members' media

    @bp.get("/media/<media_id:int>")
    @console_route()
    async def media_file(request: Request, principal: Principal, media_id: int) -> HTTPResponse:
        """A member's photo, voice note or video: personal health data (pre-auth
        materials), so every view is audited and nothing is cached. Whoever may read the
        conversation (every console role) may open its media."""
        found = await parts.pool.read(lambda s: media.stored_file(s, media_id))
        if found is None:
            return auth.refuse(request, 404, "media_missing")
        await record("view_media", principal, f"media:{media_id}",
                     {"conversation": found.conversation_id, "kind": found.kind,
                      "size": len(found.data)})
        return response.raw(found.data, **served_as(found))

    # ------------------------------------------------------------------ operator alerts

    @bp.get("/alerts")
    @console_route(admin=True)
    async def alerts_view(request: Request, principal: Principal) -> HTTPResponse:
        data = await parts.pool.read(alerts.alerts_page)
        return await page("alerts.html", principal, notice_key=request.args.get("notice"),
                          **data)

    @bp.post("/alerts/<alert_id:int>/resolve")
    @console_route(admin=True)
    async def resolve_alert(request: Request, principal: Principal,
                            alert_id: int) -> HTTPResponse:
        now = parts.clock.now()
        detail: Dict[str, Any] = {}

        async def work() -> None:
            kind = await parts.pool.write(lambda s: alerts.resolve(s, alert_id, now))
            if kind is None:
                raise QueueConflict("alert_gone")
            detail["kind"] = kind

        return await act(request, principal, "resolve_alert", f"alert:{alert_id}",
                         "/console/alerts", work, "alert_resolved", detail)

    # ------------------------------------------------------------------ review dashboard

    env.filters.update(percent=metrics.percent, duration=metrics.duration)
    env.globals["REVIEW_ROLES"] = REVIEW_ROLES  # the header's 审核看板 link

    def dashboard_period(request: Request) -> metrics.Period:
        return metrics.parse_period(request.args.get("from"), request.args.get("to"),
                                    request.args.get("channel"), parts.clock.today())

    @bp.get("/review/dashboard")
    @console_route()
    async def review_dashboard(request: Request, principal: Principal) -> HTTPResponse:
        """审核看板. Aggregates only, no member's words: viewing it is not audited."""
        if principal.role not in REVIEW_ROLES:
            return auth.refuse(request, 403, "forbidden")
        today = parts.clock.today()
        known_channels = await parts.pool.read(metrics.channels)
        try:
            period = dashboard_period(request)
        except metrics.PeriodError as error:
            typed = {"first": request.args.get("from", ""), "last": request.args.get("to", ""),
                     "channel": request.args.get("channel", "")}
            return await page("review_dashboard.html", principal, 400, board=None,
                              error=error.message, form=typed, channels=known_channels,
                              shortcuts=metrics.shortcuts(today, None))
        board = await parts.pool.read(lambda s: metrics.dashboard(s, period))
        chosen = {"first": period.first.isoformat(), "last": period.last.isoformat(),
                  "channel": period.channel or ""}
        return await page("review_dashboard.html", principal, board=board, error=None,
                          form=chosen, channels=known_channels,
                          shortcuts=metrics.shortcuts(today, period.channel),
                          reason_bars=metrics.reason_bars(board.handoffs),
                          intent_bars=metrics.intent_bars(board.intents))

    @bp.get("/api/review/metrics")
    @console_route()
    async def review_metrics(request: Request, principal: Principal) -> HTTPResponse:
        """The dashboard's figures as JSON (?from=&to=&channel=, as the page)."""
        if principal.role not in REVIEW_ROLES:
            return auth.refuse(request, 403, "forbidden")
        try:
            period = dashboard_period(request)
        except metrics.PeriodError as error:
            return response.json({"ok": False, "notice": error.key, "message": error.message},
                                 status=400)
        board = await parts.pool.read(lambda s: metrics.dashboard(s, period))
        return response.json(metrics.as_json(board))

    # ------------------------------------------------------------------ review pages
    review_routes.register(bp, parts, env, page)
    return bp


def served_as(found: media.StoredFile) -> Dict[str, Any]:
    """How a media file is sent: allow-listed images inline with their own type, anything
    else as an opaque download; never sniffed, never cached."""
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    content_type = media.inline_type(found.content_type)
    if content_type is None:
        content_type = "application/octet-stream"
        headers["Content-Disposition"] = f'attachment; filename="{download_name(found)}"'
    return {"content_type": content_type, "headers": headers}


def download_name(found: media.StoredFile) -> str:
    """voice-12.amr: the member's own file name never reaches a header."""
    suffix = Path(found.filename or "").suffix.lower()
    if not (1 < len(suffix) <= 9 and suffix[1:].isascii() and suffix[1:].isalnum()):
        suffix = ""
    return f"{found.kind}-{found.id}{suffix}"
