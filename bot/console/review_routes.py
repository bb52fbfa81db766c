"""The reviewers' pages of the console (/console/review/...): the inbox with its keyboard
actions, unmasking one message (admins), the conversations list with tags, saved
filters, clusters of unrecognised messages and the export to training data. Reviewers
and admins only; the work is bot.review's, run in the gateway's pool. A refusal of the
review core (ReviewError) is answered with its Chinese message and audited."""
from __future__ import annotations

import asyncio
import functools
import importlib.util
import json
from collections import deque
from dataclasses import fields
from typing import (TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Mapping, Optional,
                    Sequence, Tuple, Type, TypeVar)
from urllib.parse import urlencode

from sanic import Blueprint, Request, response
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from bot.console import auth, ids, review_text
from bot.console.accounts import Principal
from bot.console.auth import console_route
from bot.console.parts import ConsoleParts
from bot.gateway import messages
from bot.review import clusters, conversations, decisions, export, inbox, metrics, stories
from bot.review.decisions import REVIEW_ROLES, TRAINED_ENTITIES, ReviewError
from bot.review.filters import PERIODS, ConversationFilter, FilterError, InboxFilter

if TYPE_CHECKING:
    from jinja2 import Environment

T = TypeVar("T")
Page = Callable[..., Awaitable[HTTPResponse]]
PER_PAGE = 50
MAX_PAGE = 1_000_000
MIN_CLUSTER = 2  # a text like no other is no sign of a missing intent
VIEWS = {"inbox": "/console/review/inbox", "conversations": "/console/review/conversations"}
# How a refusal of the review core answers over HTTP (anything else: 400).
REFUSAL_STATUS = {"not_allowed": 403, "unmask_not_admin": 403, "undo_not_yours": 403,
                  "not_found": 404, "decision_not_found": 404, "already_undone": 409,
                  "undo_exported": 409, "nothing_to_undo": 409}


# ---------------------------------------------------------------- plain helpers
def highlighted(text: str, entities: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """The text in pieces, each an entity's span ({text, entity}) or plain ({text});
    entities without offsets or overlapping an earlier one are left out."""
    placed = sorted((e for e in entities if isinstance(e.get("start"), int)
                     and isinstance(e.get("end"), int)
                     and 0 <= e["start"] < e["end"] <= len(text)),
                    key=lambda e: (e["start"], e["end"]))
    pieces: List[Dict[str, Any]] = []
    position = 0
    for e in placed:
        if e["start"] < position:
            continue
        if e["start"] > position:
            pieces.append({"text": text[position:e["start"]], "entity": None})
        pieces.append({"text": text[e["start"]:e["end"]], "entity": e["entity"]})
        position = e["end"]
    if position < len(text):
        pieces.append({"text": text[position:], "entity": None})
    return pieces


def filter_args(request: Request, kind: Type[Any]) -> Dict[str, str]:
    """The filter's fields among the query parameters, blanks left out."""
    names = {f.name for f in fields(kind)}
    return {name: value for name, value in ((n, request.args.get(n, "").strip())
                                            for n in names) if value}


def query_string(query: Mapping[str, Any], **extra: Any) -> str:
    """A filter's query JSON as URL parameters (lists comma-joined, flags 1/0)."""
    flat: Dict[str, str] = {}
    for name, value in {**query, **extra}.items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            flat[name] = "1" if value else "0"
        elif isinstance(value, (list, tuple)):
            flat[name] = ",".join(value)
        else:
            flat[name] = str(value)
    return urlencode(flat)


def body_of(request: Request) -> Dict[str, Any]:
    """A JSON object body, or the form's fields."""
    if "application/json" in request.headers.get("content-type", ""):
        try:
            body = request.json
        except Exception:  # noqa: BLE001 - a malformed body is a bad request
            return {}
        return body if isinstance(body, dict) else {}
    return {name: request.form.get(name) for name in (request.form or {})}


def entities_of(value: Any) -> Tuple[bool, Optional[List[Dict[str, Any]]]]:
    """(well formed, entities): None keeps the bot's; a list of {entity, start, end}."""
    if value in (None, ""):
        return True, None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return False, None
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        return False, None
    return True, value


def page_number(request: Request) -> int:
    """?page=, 1 when blank, malformed or out of range, at most MAX_PAGE (the database's
    OFFSET is a 64-bit integer)."""
    number = ids.parse_id(request.args.get("page", "1")) or 1
    return min(number, MAX_PAGE)


def back_to(target: str, default: str) -> str:
    """Only back onto a review page."""
    if target.startswith("/console/review/") and "//" not in target and "\\" not in target:
        return target
    return default


def decision_json(view: Optional[decisions.DecisionView]) -> Optional[Dict[str, Any]]:
    return view.as_json() if view else None


# ---------------------------------------------------------------- the routes
def register(bp: Blueprint, parts: ConsoleParts, env: "Environment", page: Page) -> None:
    """The review pages on the console's blueprint."""
    env.globals.update(REVIEW_TEXT=review_text, PERIODS=PERIODS, REVIEW_VIEWS=VIEWS,
                       ENTITY_TYPES=TRAINED_ENTITIES)
    env.filters["highlighted"] = highlighted
    env.filters["decision_label"] = review_text.decision_label
    env.filters["query_string"] = query_string

    def reviewers(handler: Callable[..., Awaitable[HTTPResponse]]):
        """Logged in (and the CSRF token on a POST), role reviewer or admin (403)."""
        @console_route()
        @functools.wraps(handler)
        async def wrapped(request: Request, principal: Principal, *args, **kwargs):
            if principal.role not in REVIEW_ROLES:
                return auth.refuse(request, 403, "forbidden")
            return await handler(request, principal, *args, **kwargs)
        return wrapped

    async def attempt(principal: Principal, work: Callable[[Session, Any], T]
                      ) -> Tuple[Optional[T], Optional[ReviewError]]:
        """Run review work in one transaction, to the end even if the browser goes away;
        a refusal rolls it back and is audited in a new one."""
        now = parts.clock.now()

        async def run() -> Tuple[Optional[T], Optional[ReviewError]]:
            try:
                return await parts.pool.write(lambda s: work(s, now)), None
            except ReviewError as error:
                refusal = error
            await parts.pool.write(
                lambda s: decisions.audit_refusal(s, now, principal.user_id, refusal))
            return None, refusal

        return await parts.tasks.complete(run())

    def refused(request: Request, error: ReviewError, back: str) -> HTTPResponse:
        status = REFUSAL_STATUS.get(error.key, 400)
        if auth.wants_json(request):
            return response.json({"ok": False, "notice": error.key, "message": error.message},
                                 status=status)
        return response.redirect(f"{back}{'&' if '?' in back else '?'}"
                                 f"{urlencode({'refused': error.key})}", status=303)

    def done(request: Request, key: str, back: str, message: Optional[str] = None,
             **extra: Any) -> HTTPResponse:
        if auth.wants_json(request):
            return response.json({"ok": True, "notice": key,
                                  "message": message or review_text.NOTICES[key], **extra})
        return response.redirect(f"{back}{'&' if '?' in back else '?'}"
                                 f"{urlencode({'notice': key})}", status=303)

    def bad_request(request: Request, key: str, status: int = 400, **values: Any
                    ) -> HTTPResponse:
        return response.json({"ok": False, "notice": key,
                              "message": review_text.notice(key, **values)}, status=status)

    def shown_notice(request: Request) -> Tuple[Optional[str], bool]:
        """The notice of a form's redirect (?notice= or ?refused=): (text, is an error)."""
        key = request.args.get("notice", "")
        if key in review_text.NOTICES and "{" not in review_text.NOTICES[key]:
            return review_text.NOTICES[key], False
        refusal = request.args.get("refused", "")
        if refusal in decisions.REFUSALS:
            return decisions.REFUSALS[refusal], True
        return None, False

    async def review_page(name: str, request: Request, principal: Principal,
                          status: int = 200, error: Optional[str] = None,
                          **context: Any) -> HTTPResponse:
        text, is_error = shown_notice(request)
        if error:
            text, is_error = error, True
        return await page(name, principal, status, notice_text=text, notice_error=is_error,
                          **context)

    # ------------------------------------------------------------ the inbox
    def inbox_filter(request: Request) -> InboxFilter:
        return InboxFilter.from_query(filter_args(request, InboxFilter))

    def read_inbox(principal: Principal, filters: InboxFilter, focus: Optional[int],
                   offset: int, now: Any):
        def read(session: Session):
            items = inbox.groups(session, filters, now)
            if focus is not None:
                items = [i for i in items if focus in i.message_ids]
            return (items[offset:offset + PER_PAGE], len(items),
                    conversations.saved_filters(session, principal.user_id, "inbox"),
                    metrics.channels(session))
        return read

    @bp.get("/review/inbox")
    @reviewers
    async def review_inbox(request: Request, principal: Principal) -> HTTPResponse:
        """审核收件箱: ?page= for the page, ?offset= for review.js's next rows
        (?fragment=1: the rows alone), ?message= for the one group of a message."""
        focus_id = ids.parse_id(request.args.get("message", ""))
        try:
            filters = inbox_filter(request)
        except FilterError as error:
            return await review_page("review_inbox.html", request, principal, 400,
                                     error=review_text.notice("bad_filter", detail=error),
                                     items=[], total=0, query={}, filters=InboxFilter(),
                                     saved=[], channels=[], next_url=None, next_offset=0,
                                     intents=decisions.known_intents(), focus=focus_id)
        number = page_number(request)
        offset = request.args.get("offset", "")
        start = 0 if offset == "0" else ids.parse_id(offset)
        start = min((number - 1) * PER_PAGE if start is None else start, MAX_PAGE * PER_PAGE)
        items, total, saved, channels = await parts.pool.read(
            read_inbox(principal, filters, focus_id, start, parts.clock.now()))
        query = filters.as_query()
        if focus_id is not None:
            query = {**query, "message": focus_id}
        more = start + len(items) < total
        next_url = (f"/console/review/inbox?{query_string(query, page=number + 1)}"
                    if more else None)
        if request.args.get("fragment") == "1":
            rows = env.get_template("review_inbox_rows.html").render(
                items=items, me=principal)
            return response.html(rows, headers={"X-More": "1" if more else "0"})
        return await review_page("review_inbox.html", request, principal, items=items,
                                 total=total, query=query, filters=filters, saved=saved,
                                 channels=channels, next_url=next_url,
                                 next_offset=start + len(items),
                                 intents=decisions.known_intents(), focus=focus_id)

    @bp.get("/api/review/inbox")
    @reviewers
    async def review_inbox_api(request: Request, principal: Principal) -> HTTPResponse:
        """The inbox as JSON (masked), with the filter's query parameters and ?page=."""
        try:
            filters = inbox_filter(request)
        except FilterError as error:
            return bad_request(request, "bad_filter", detail=error)
        now = parts.clock.now()
        found = await parts.pool.read(lambda s: inbox.inbox(
            s, now, filters, page_number(request), PER_PAGE))
        return response.json(found.as_json())

    @bp.post("/review/messages/<message_id:int>/decision")
    @reviewers
    async def review_decide(request: Request, principal: Principal,
                            message_id: int) -> HTTPResponse:
        """accept, relabel (intent), out_of_scope, skip; entities on the masked text the
        reviewer saw ({entity, start, end}), or none to keep the bot's."""
        body = body_of(request)
        ok, entities = entities_of(body.get("entities"))
        if not ok:
            return bad_request(request, "bad_request")
        action = str(body.get("action") or "")
        intent = str(body.get("intent") or "") or None
        result, error = await attempt(principal, lambda s, now: decisions.decide(
            s, message_id, principal.user_id, action, now, intent=intent, entities=entities,
            offsets="display"))
        if error is not None:
            return refused(request, error, "/console/review/inbox")
        view = decision_json(result)
        label = review_text.decision_label(view)
        return done(request, "saved", "/console/review/inbox",
                    review_text.notice("saved", what=label), message_id=message_id,
                    decision=view, label=label)

    @bp.post("/review/undo")
    @reviewers
    async def review_undo(request: Request, principal: Principal) -> HTTPResponse:
        """The keyboard's undo: the reviewer's latest decision not undone."""
        def work(session: Session, now: Any):
            undone = decisions.undo_last(session, principal.user_id, now)
            current = (decisions.current_decision(session, undone.message_id)
                       if undone.message_id is not None else None)
            return undone, current

        result, error = await attempt(principal, work)
        if error is not None:
            return refused(request, error, "/console/review/inbox")
        undone, current = result
        view = decision_json(current)
        what = review_text.decision_label(undone.as_json())
        return done(request, "undone", "/console/review/inbox",
                    review_text.notice("undone", what=what), message_id=undone.message_id,
                    undone=undone.as_json(), decision=view,
                    label=review_text.decision_label(view))

    @bp.post("/review/messages/<message_id:int>/unmask")
    @console_route()
    async def review_unmask(request: Request, principal: Principal,
                            message_id: int) -> HTTPResponse:
        """显示原文: admins with a reason; anyone else is refused by the core (audited)."""
        reason = str(body_of(request).get("reason") or "")
        raw, error = await attempt(principal, lambda s, now: inbox.unmask(
            s, message_id, reason, principal.user_id, now))
        if error is not None:
            if auth.wants_json(request):
                return refused(request, error, "/console/review/inbox")
            return await review_page("review_unmask.html", request, principal,
                                     REFUSAL_STATUS.get(error.key, 400),
                                     error=error.message, message_id=message_id, raw=None)
        if auth.wants_json(request):
            return response.json({"ok": True, "message_id": message_id, "text": raw},
                                 headers={"Cache-Control": "private, no-store"})
        answer = await review_page("review_unmask.html", request, principal,
                                   message_id=message_id, raw=raw)
        answer.headers["Cache-Control"] = "private, no-store"
        return answer

    # ------------------------------------------------------------ saved filters
    @bp.post("/review/filters")
    @reviewers
    async def review_save_filter(request: Request, principal: Principal) -> HTTPResponse:
        body = body_of(request)
        view = str(body.get("view") or "")
        back = VIEWS.get(view, VIEWS["inbox"])
        raw = body.get("query") or {}
        try:
            query = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            query = None
        if not isinstance(query, dict):
            return bad_request(request, "bad_request")
        query.pop("message", None)  # one message is no filter to keep
        saved, error = await attempt(principal, lambda s, now: conversations.save_filter(
            s, principal.user_id, str(body.get("name") or ""), query, now, view))
        if error is not None:
            return refused(request, error, back)
        return done(request, "filter_saved", f"{back}?{query_string(saved.query)}",
                    filter=saved.as_json())

    @bp.post("/review/filters/<filter_id:int>/delete")
    @reviewers
    async def review_delete_filter(request: Request, principal: Principal,
                                   filter_id: int) -> HTTPResponse:
        back = VIEWS.get(str(body_of(request).get("view") or ""), VIEWS["inbox"])
        gone = await parts.pool.write(
            lambda s: conversations.delete_filter(s, principal.user_id, filter_id))
        if not gone:
            if auth.wants_json(request):
                return bad_request(request, "filter_gone", 404)
            return response.redirect(f"{back}?notice=filter_gone", status=303)
        return done(request, "filter_deleted", back)

    # ------------------------------------------------------------ conversations
    @bp.get("/review/conversations")
    @reviewers
    async def review_conversations(request: Request, principal: Principal) -> HTTPResponse:
        """会话审核: the conversations the filter selects, what needs a look first."""
        try:
            filters = ConversationFilter.from_query(filter_args(request, ConversationFilter))
        except FilterError as error:
            filters, problem = ConversationFilter(), review_text.notice("bad_filter",
                                                                         detail=error)
        else:
            problem = None
        number = page_number(request)
        now = parts.clock.now()

        def read(session: Session):
            found = (conversations.list_conversations(session, now, filters, number,
                                                      PER_PAGE) if problem is None else None)
            return (found, conversations.saved_filters(session, principal.user_id,
                                                        "conversations"),
                    conversations.tag_counts(session), metrics.channels(session))

        found, saved, tag_counts, channels = await parts.pool.read(read)
        query = filters.as_query()
        here = f"/console/review/conversations?{query_string(query, page=number)}"
        return await review_page(
            "review_conversations.html", request, principal, 400 if problem else 200,
            error=problem, found=found, filters=filters, query=query, saved=saved,
            tag_counts=tag_counts, channels=channels, here=here, number=number,
            intents=decisions.known_intents(), reasons=messages.REASONS)

    @bp.get("/api/review/conversations")
    @reviewers
    async def review_conversations_api(request: Request,
                                       principal: Principal) -> HTTPResponse:
        try:
            filters = ConversationFilter.from_query(filter_args(request, ConversationFilter))
        except FilterError as error:
            return bad_request(request, "bad_filter", detail=error)
        now = parts.clock.now()
        found = await parts.pool.read(lambda s: conversations.list_conversations(
            s, now, filters, page_number(request), PER_PAGE))
        return response.json(found.as_json())

    async def tagging(request: Request, principal: Principal, conversation_id: int,
                      change: Callable[..., List[str]], key: str) -> HTTPResponse:
        body = body_of(request)
        back = back_to(str(body.get("back") or ""), "/console/review/conversations")
        tag = str(body.get("tag") or "")
        tags, error = await attempt(principal, lambda s, now: change(
            s, conversation_id, tag, principal.user_id, now))
        if error is not None:
            return refused(request, error, back)
        return done(request, key, back, conversation_id=conversation_id, tags=tags)

    @bp.post("/review/conversations/<conversation_id:int>/tags")
    @reviewers
    async def review_tag(request: Request, principal: Principal,
                         conversation_id: int) -> HTTPResponse:
        return await tagging(request, principal, conversation_id, conversations.add_tag,
                             "tag_added")

    @bp.post("/review/conversations/<conversation_id:int>/tags/remove")
    @reviewers
    async def review_untag(request: Request, principal: Principal,
                           conversation_id: int) -> HTTPResponse:
        return await tagging(request, principal, conversation_id,
                             conversations.remove_tag, "tag_removed")

    # ------------------------------------------------------------ stories and FAQ
    @bp.post("/review/conversations/<conversation_id:int>/story")
    @reviewers
    async def review_story(request: Request, principal: Principal,
                           conversation_id: int) -> HTTPResponse:
        """One click: a reviewed conversation becomes a Rasa test story, so a fixed
        mistake stays fixed (bot.review.stories; masked, written under
        HM_REVIEW_STORIES_DIR)."""
        back = back_to(str(body_of(request).get("back") or ""),
                       "/console/review/conversations")
        now = parts.clock.now()
        target = parts.settings.review_stories_dir

        def save(session: Session):
            try:
                return stories.save_story(session, conversation_id, now, target), None
            except stories.StoryError as error:
                return None, str(error)

        path, problem = await parts.tasks.complete(parts.pool.write(save))
        await parts.pool.write(lambda s: decisions.audit(
            s, now, principal.user_id, "review_story_saved" if path else "review_story_refused",
            f"conversation:{conversation_id}", {"file": path.name if path else None}))
        if path is None:
            if auth.wants_json(request):
                return bad_request(request, "story_refused", 409, detail=problem)
            return await review_page("review_story.html", request, principal, 409,
                                     error=review_text.notice("story_refused", detail=problem),
                                     back=back)
        message = review_text.notice("story_saved", path=path.name)
        if auth.wants_json(request):
            return response.json({"ok": True, "notice": "story_saved", "message": message,
                                  "file": path.name})
        return await review_page("review_story.html", request, principal, error=None,
                                 saved=message, back=back)

    @bp.get("/review/faq")
    @reviewers
    async def review_faq(request: Request, principal: Principal) -> HTTPResponse:
        """Managers' answers in handed-off conversations, grouped by similar questions:
        candidates for new FAQ responses (masked)."""
        found = await parts.pool.read(lambda s: stories.faq_candidates(s))
        return await review_page("review_faq.html", request, principal, candidates=found)

    # ------------------------------------------------------------ clusters
    @bp.get("/review/clusters")
    @reviewers
    async def review_clusters(request: Request, principal: Principal) -> HTTPResponse:
        """相似问题: clusters of the messages the bot did not understand. ?threshold= is
        the confidence below which a message counts as unrecognised (default: the
        fallback threshold), ?similarity= the clustering threshold, ?period= as the
        inbox, as on the command line."""
        period = request.args.get("period", "")
        if period and period not in PERIODS:
            period = ""
        values: Dict[str, Optional[float]] = {}
        for name in ("threshold", "similarity"):
            raw = request.args.get(name, "").strip()
            try:
                values[name] = float(raw) if raw else None
            except ValueError:
                values[name] = -1.0
        form = {"threshold": request.args.get("threshold", ""),
                "similarity": request.args.get("similarity", ""), "period": period,
                "default_threshold": inbox.fallback_threshold()}
        if any(v is not None and not 0 <= v <= 1 for v in values.values()):
            return await review_page("review_clusters.html", request, principal, 400,
                                     error=review_text.notice("bad_threshold"), groups=[],
                                     form=form, unrecognised=0, singles=0)
        threshold = values["threshold"]
        similarity = clusters.DEFAULT_THRESHOLD if values["similarity"] is None \
            else values["similarity"]
        now = parts.clock.now()
        filters = InboxFilter(unreviewed=False, period=period or None)
        items = await parts.pool.read(lambda s: inbox.unrecognised(s, now, threshold, filters))
        found = clusters.cluster([i.text for i in items], [i.count for i in items],
                                 similarity)
        groups = [{"cluster": c, "examples": [items[i] for i in c.indices[:clusters.MAX_EXAMPLES]]}
                  for c in found if c.size >= MIN_CLUSTER]
        form["similarity"] = similarity
        return await review_page("review_clusters.html", request, principal, groups=groups,
                                 form=form, unrecognised=len(items),
                                 singles=sum(1 for c in found if c.size < MIN_CLUSTER))

    # ------------------------------------------------------------ export
    async def export_page(request: Request, principal: Principal,
                          report: Optional[export.ExportReport], status: int = 200,
                          error: Optional[str] = None) -> HTTPResponse:
        data_dir = parts.settings.review_data_dir
        now = parts.clock.now()
        preview = await parts.pool.read(lambda s: export.export(
            s, now, principal.user_id, data_dir=data_dir, dry_run=True))
        past = await parts.pool.read(export.exports)
        return await review_page("review_export.html", request, principal, status,
                                 error=error, report=report, preview=preview, past=past,
                                 gate=gate_available(), gate_run=gate_run)

    # The gate (把关: bot.review.gate, retrain and compare) runs for minutes: one at a time
    # in this process, in its own thread; its outcome is the export's status.
    gate_run: Dict[str, Any] = {"running": False, "lines": deque(maxlen=40), "result": None,
                                "started_at": None, "by": None}

    @bp.post("/review/gate")
    @reviewers
    async def review_gate(request: Request, principal: Principal) -> HTTPResponse:
        if not gate_available():
            return bad_request(request, "gate_missing", 404)
        if gate_run["running"]:
            if auth.wants_json(request):
                return bad_request(request, "gate_running", 409)
            return response.redirect("/console/review/export?notice=gate_running", status=303)
        from bot.review.gate import GateSettings, Project, run_gate

        now = parts.clock.now()
        settings = GateSettings(project=Project(data_dir=parts.settings.review_data_dir))
        lines: deque = deque(maxlen=40)
        gate_run.update(running=True, lines=lines, result=None, started_at=now,
                        by=principal.display_name)
        await parts.pool.write(lambda s: decisions.audit(
            s, now, principal.user_id, "review_gate_started"))

        def work() -> None:
            try:
                result = run_gate(parts.pool.db, parts.clock.now(), settings,
                                  say=lines.append)
                gate_run["result"] = result.as_json()
            except Exception as error:  # noqa: BLE001 - shown on the page, and logged
                gate_run["result"] = {"outcome": "error", "reason": str(error)}
                raise
            finally:
                gate_run["running"] = False

        parts.tasks.background(asyncio.get_running_loop().run_in_executor(None, work),
                           "review gate")
        return done(request, "gate_started", "/console/review/export")

    @bp.get("/review/export")
    @reviewers
    async def review_export_preview(request: Request, principal: Principal) -> HTTPResponse:
        """导出训练数据: what an export would write now (a dry run), and the past exports."""
        return await export_page(request, principal, None)

    @bp.post("/review/export")
    @reviewers
    async def review_export(request: Request, principal: Principal) -> HTTPResponse:
        data_dir = parts.settings.review_data_dir

        def work(session: Session, now: Any) -> export.ExportReport:
            return export.export(session, now, principal.user_id, data_dir=data_dir)

        try:
            report, error = await attempt(principal, work)
        except export.ExportError as failure:
            if auth.wants_json(request):
                return bad_request(request, "export_failed", 500, detail=failure)
            return await export_page(request, principal, None, 500,
                                     review_text.notice("export_failed", detail=failure))
        if error is not None:
            return refused(request, error, "/console/review/export")
        if auth.wants_json(request):
            return response.json({"ok": True, "report": report.as_json()})
        return await export_page(request, principal, report)


def gate_available() -> bool:
    """Whether the gate (bot.review.gate) is installed; without it the export page says
    that it runs from the command line."""
    return importlib.util.find_spec("bot.review.gate") is not None
