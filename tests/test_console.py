"""The manager console over HTTP against a real gateway process and its SQLite database:
login, sessions, CSRF, roles, audit, the queue, atomic claims, replies reaching the
member, notes, hand back, close, escaping. No Rasa behind this gateway (fast); the
conversations are put in the queue directly in the database, as a handoff would."""
from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import List

import aiohttp
import pytest
from sqlalchemy import select

from bot.clock import Clock
from bot.db import Database
from bot.gateway import queue
from bot.gateway.models import AuditEntry, Conversation, Message
from tests.conftest import TEST_NOW, GatewayProcess, WebMember


def put_in_queue(gateway: GatewayProcess, member: WebMember, reason: str = "request_human",
                 priority: int = 1, waited_minutes: float = 0) -> None:
    """As a handoff would; waiting since `waited_minutes` before the gateway's frozen
    clock (TEST_NOW), which the queue reads against the service-level targets
    (bot/gateway/sla.py). The wait is set after enqueueing: a conversation the gateway
    queued already (the bot down) keeps its queued_at."""
    from datetime import timedelta

    now = Clock.from_env({"HM_NOW": TEST_NOW}).now()
    db = Database.from_url(gateway.db_url)
    try:
        with db.writing() as session:
            queue.enqueue(session, member.conversation_id, reason, priority, now)
            if waited_minutes:
                session.get(Conversation, member.conversation_id).queued_at = \
                    now - timedelta(minutes=waited_minutes)
    finally:
        db.dispose()


def waiting_member(gateway: GatewayProcess, words: str = "我要找人工",
                   reason: str = "request_human", priority: int = 1,
                   waited_minutes: float = 0) -> WebMember:
    member = gateway.member()
    member.say(words)  # no Rasa here: kept, apologised for
    put_in_queue(gateway, member, reason, priority, waited_minutes)
    return member


def audit_actions(gateway: GatewayProcess, target: str) -> List[str]:
    db = Database.from_url(gateway.db_url)
    try:
        with db.reading() as session:
            return list(session.execute(select(AuditEntry.action).where(
                AuditEntry.target == target).order_by(AuditEntry.id)).scalars())
    finally:
        db.dispose()


def conversation_row(gateway: GatewayProcess, conversation_id: int) -> Conversation:
    db = Database.from_url(gateway.db_url)
    try:
        with db.reading() as session:
            return session.get(Conversation, conversation_id)
    finally:
        db.dispose()


# ------------------------------------------------------------------ access


@pytest.mark.parametrize("path", ["/console/", "/console/conversations/1", "/console/audit"])
def test_console_pages_without_login_redirect_to_the_login(console_gateway, path):
    import requests

    answer = requests.get(console_gateway.url + path, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/console/login?next=")


@pytest.mark.parametrize("path", ["/console/api/queue", "/console/api/conversations/1",
                                  "/console/events"])
def test_console_data_without_login_is_401(console_gateway, path):
    import requests

    answer = requests.get(console_gateway.url + path, allow_redirects=False, timeout=10)
    assert answer.status_code == 401
    assert answer.json()["message"] == "请先登录。"


@pytest.mark.parametrize("path", ["/console/conversations/1/claim", "/console/tickets/1/claim",
                                  "/console/conversations/1/reply",
                                  "/console/conversations/1/notes",
                                  "/console/conversations/1/handback",
                                  "/console/conversations/1/close", "/console/logout"])
def test_console_actions_without_login_are_401(console_gateway, path):
    import requests

    answer = requests.post(console_gateway.url + path, data={"text": "hi"},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 401


def test_a_forged_session_cookie_is_refused(console_gateway):
    import requests

    answer = requests.get(console_gateway.url + "/console/api/queue", timeout=10,
                          cookies={"hm_console": "not-a-session"})
    assert answer.status_code == 401


def test_a_wrong_password_is_refused_and_audited(console_gateway):
    user = console_gateway.console("wang", "wrong-password!")
    assert user.csrf == ""
    assert user.get("/console/api/queue").status_code == 401
    db = Database.from_url(console_gateway.db_url)
    with db.reading() as session:
        failed = session.execute(select(AuditEntry).where(
            AuditEntry.action == "login_failed", AuditEntry.username == "wang")).scalars().all()
    db.dispose()
    assert failed


def test_login_sets_an_http_only_same_site_session_cookie(console_gateway):
    from tests.conftest import ConsoleUser

    user = ConsoleUser(console_gateway.url)
    answer = user.login("wang", "test-console-password")
    assert answer.status_code == 303
    cookie = answer.headers["Set-Cookie"]
    assert "hm_console=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert user.get("/console/api/queue").status_code == 200


def test_a_login_without_the_form_token_is_refused(console_gateway):
    import requests

    answer = requests.post(console_gateway.url + "/console/login", timeout=10,
                           data={"username": "wang", "password": "test-console-password"},
                           allow_redirects=False)
    assert answer.status_code == 403
    assert "hm_console=" not in answer.headers.get("Set-Cookie", "")


def test_login_never_redirects_off_the_console(console_gateway):
    import re

    import requests

    http = requests.Session()
    page = http.get(console_gateway.url + "/console/login?next=//evil.example/", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    answer = http.post(console_gateway.url + "/console/login", allow_redirects=False,
                       timeout=10, data={"csrf_token": token, "username": "wang",
                                         "password": "test-console-password",
                                         "next": "//evil.example/"})
    assert answer.headers["Location"] == "/console/"


def test_logout_ends_the_session(console_gateway):
    user = console_gateway.console("wang")
    assert user.post("/console/logout", as_json=False).status_code == 303
    assert user.get("/console/api/queue").status_code == 401


# ------------------------------------------------------------------ CSRF and roles


def test_a_claim_with_a_wrong_csrf_token_is_refused(console_gateway):
    member = waiting_member(console_gateway)
    wang = console_gateway.console("wang")
    path = f"/console/conversations/{member.conversation_id}/claim"
    for token in ("", "forged-token"):
        answer = wang.post(path, csrf=token)
        assert answer.status_code == 403
        assert answer.json()["message"] == "页面已过期或请求无效，请刷新后重试。"
    assert conversation_row(console_gateway, member.conversation_id).state == "queued"


def test_the_csrf_token_of_another_session_does_not_work(console_gateway):
    member = waiting_member(console_gateway)
    wang, li = console_gateway.console("wang"), console_gateway.console("li")
    answer = wang.post(f"/console/conversations/{member.conversation_id}/claim", csrf=li.csrf)
    assert answer.status_code == 403


def test_a_reviewer_reads_but_cannot_claim(console_gateway):
    member = waiting_member(console_gateway)
    zhao = console_gateway.console("zhao")
    assert zhao.get(f"/console/conversations/{member.conversation_id}").status_code == 200
    answer = zhao.post(f"/console/conversations/{member.conversation_id}/claim")
    assert answer.status_code == 403
    assert answer.json()["message"] == "您的角色没有权限执行此操作。"
    assert zhao.get("/console/audit").status_code == 403


def test_only_an_admin_sees_the_audit_log(console_gateway):
    assert console_gateway.console("wang").get("/console/audit").status_code == 403
    page = console_gateway.console("boss").get("/console/audit")
    assert page.status_code == 200 and "login" in page.text


# ------------------------------------------------------------------ the queue and claims


def test_the_queue_orders_by_priority_then_waiting_time(console_gateway):
    first = waiting_member(console_gateway, "我先来的")
    emergency = waiting_member(console_gateway, "胸口痛", "emergency", 3)
    complaint = waiting_member(console_gateway, "投诉", "complaint", 2)
    items = console_gateway.console("wang").get("/console/api/queue").json()["items"]
    ids = [item["conversation_id"] for item in items]
    assert ids.index(emergency.conversation_id) < ids.index(complaint.conversation_id) \
        < ids.index(first.conversation_id)
    top = items[ids.index(emergency.conversation_id)]
    assert top["reason_label"] == "紧急情况" and top["waited"]


def test_the_lists_name_a_guest_by_channel_and_a_bound_member_by_id_the_chat_id_on_hover(
        console_gateway):
    guest, bound = waiting_member(console_gateway), waiting_member(console_gateway)
    member_id = 4242  # as the router binds a conversation to the backends' member
    db = Database.from_url(console_gateway.db_url)
    with db.writing() as session:
        session.get(Conversation, bound.conversation_id).member_id = member_id
    db.dispose()
    wang = console_gateway.console("wang")
    items = {i["conversation_id"]: i for i in wang.get("/console/api/queue").json()["items"]}
    assert items[guest.conversation_id]["member_label"] == f"网页访客 {guest.external_id[-4:]}"
    assert items[guest.conversation_id]["member"] == f"web:{guest.external_id}"
    assert items[bound.conversation_id]["member_label"] == f"网页会员 #{member_id}"
    page = wang.get("/console/").text
    assert (f'title="web:{guest.external_id}">网页访客 {guest.external_id[-4:]}</a>'
            in page)
    assert f'title="web:{bound.external_id}">网页会员 #{member_id}</a>' in page


def test_the_conversation_page_is_titled_with_the_members_name_and_masked_phone(
        console_gateway):
    member = console_gateway.member("demo-ready")  # 陈静, 13900000001
    path = f"/console/conversations/{member.conversation_id}"
    page = console_gateway.console("wang").get(path).text
    assert "<title>陈静 139****0001 · " in page
    assert '<span class="member" title="web:demo-ready">陈静 139****0001</span>' in page
    assert "13900000001" not in page
    # The backends name `manager` (run.sh's account), which this gateway does not have.
    assert '<dd id="own-manager">manager</dd>' in page
    masked = console_gateway.console("zhao").get(path).text  # a reviewer: the name masked
    assert '<span class="member" title="web:demo-ready">陈* 139****0001</span>' in masked
    guest = waiting_member(console_gateway)
    untitled = console_gateway.console("wang").get(
        f"/console/conversations/{guest.conversation_id}").text
    assert (f'<span class="member" title="web:{guest.external_id}">'
            f'网页访客 {guest.external_id[-4:]}</span>') in untitled


def test_two_managers_claiming_at_once_one_wins_the_other_is_told(console_gateway):
    member = waiting_member(console_gateway)
    path = f"/console/conversations/{member.conversation_id}/claim"
    managers = {"wang": console_gateway.console("wang"), "li": console_gateway.console("li")}
    start = threading.Barrier(2)

    def claim(name: str):
        start.wait()
        return name, managers[name].post(path)

    with ThreadPoolExecutor(2) as pool:
        results = dict(pool.map(claim, managers))
    statuses = sorted(answer.status_code for answer in results.values())
    assert statuses == [200, 409]
    winner = next(name for name, answer in results.items() if answer.status_code == 200)
    loser = results["li" if winner == "wang" else "wang"].json()
    assert loser["message"] == "该会话已被其他管家接入，请选择其他会话。"
    assert loser["owner"] == {"wang": "王芳", "li": "李雷"}[winner]
    row = conversation_row(console_gateway, member.conversation_id)
    assert row.state == "human"
    assert sorted(audit_actions(console_gateway, f"conversation:{member.conversation_id}")) \
        == ["claim", "claim_refused"]
    # The member hears from the winner, once.
    greetings = [m for m in member.history() if m["author"] == "manager"]
    assert len(greetings) == 1 and greetings[0]["author_name"] in ("王芳", "李雷")


async def read_events(response: aiohttp.ClientResponse, until, limit: float = 20.0) -> list:
    """SSE frames as dicts until `until(event)` is true."""
    seen = []

    async def read():
        data = None  # every frame's data carries its "type"
        async for raw in response.content:
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and data is not None:
                seen.append(data)
                if until(data):
                    return
                data = None

    await asyncio.wait_for(read(), limit)
    return seen


async def test_a_member_message_during_the_claim_reaches_the_transcript_and_the_manager(
        console_gateway):
    member = waiting_member(console_gateway)
    wang = console_gateway.console("wang")
    cookie = {"Cookie": f"hm_console={wang.http.cookies.get('hm_console')}"}
    url = f"{console_gateway.url}/console/events?conversation={member.conversation_id}"
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession(headers=cookie) as http:
        async with http.get(url) as stream:
            assert stream.status == 200
            await read_events(stream, lambda e: e["type"] == "ready")
            claim = loop.run_in_executor(None, wang.post,
                                         f"/console/conversations/{member.conversation_id}/claim")
            said = loop.run_in_executor(None, member.say, "我在等，麻烦快一点")
            claimed, answer = await asyncio.gather(claim, said)
            events = await read_events(stream, lambda e: e["type"] == "message" and
                                       e["message"]["text"] == "我在等，麻烦快一点")
    assert claimed.status_code == 200
    # The bot stays silent: a person has it (whose greeting may come after the message).
    assert {r["author"] for r in answer["replies"]} <= {"manager"}
    transcript = wang.conversation(member.conversation_id)["messages"]
    held = [m for m in transcript if m["text"] == "我在等，麻烦快一点"]
    assert len(held) == 1 and held[0]["routed_to"] == "manager"
    assert events[-1]["message"]["author"] == "member"


async def test_the_member_sees_the_manager_live_and_the_queue_updates_itself(console_gateway):
    member = waiting_member(console_gateway)
    wang = console_gateway.console("wang")
    cookie = {"Cookie": f"hm_console={wang.http.cookies.get('hm_console')}"}
    path = f"/console/conversations/{member.conversation_id}"
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{console_gateway.url}/chat/api/events",
                            params={"token": member.token}) as chat, \
                http.get(f"{console_gateway.url}/console/events", headers=cookie) as queue_stream:
            await read_events(chat, lambda e: e["type"] == "ready")
            await read_events(queue_stream, lambda e: e["type"] == "ready")
            await loop.run_in_executor(None, wang.post, path + "/claim")
            await read_events(queue_stream, lambda e: e["type"] == "queue")
            await loop.run_in_executor(None, lambda: wang.post(path + "/reply",
                                                               {"text": "马上为您处理"}))
            events = await read_events(chat, lambda e: e.get("message", {}).get("text")
                                       == "马上为您处理")
    texts = [e["message"]["text"] for e in events if e["type"] == "message"]
    assert texts == ["您好，我是您的私人健康管家王芳，接下来由我为您服务。", "马上为您处理"]
    assert all("intent" not in e["message"] for e in events if e["type"] == "message")


async def test_a_reply_reaches_the_page_once_by_its_stream(console_gateway):
    member = console_gateway.member()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{console_gateway.url}/chat/api/events",
                            params={"token": member.token}) as chat:
            await read_events(chat, lambda e: e["type"] == "ready")
            async with http.post(f"{console_gateway.url}/chat/api/messages",
                                 headers=member.headers,
                                 json={"text": "你好", "client_id": "once-1"}) as posted:
                answer = await posted.json()
            events = await read_events(chat, lambda e: e["type"] == "message")
            events += await read_events(chat, lambda e: e["type"] == "message")
            # Nothing more comes: the bot is away, so the turn's replies are the notice
            # that the message is kept and the offer to the managers (in their hours).
            with pytest.raises(asyncio.TimeoutError):
                await read_events(chat, lambda e: e["type"] == "message", limit=1.0)
    # The POST says the message is stored; each reply came once, by the stream.
    assert set(answer) == {"message_id", "duplicate"}
    replies = [e["message"] for e in events if e["type"] == "message"]
    assert [r["author"] for r in replies] == ["system", "system"]
    # A page that (re)connects loads what came after the last message it has: the same
    # replies, by the same ids (the page shows them once), and its own message by client id.
    everything = member.history()
    assert [(m["author"], m["id"]) for m in everything] == [
        ("member", answer["message_id"])] + [("system", r["id"]) for r in replies]
    assert everything[0]["client_id"] == "once-1" and "client_id" not in everything[1]
    assert member.history(after=answer["message_id"]) == everything[1:]
    assert member.history(after=replies[-1]["id"]) == []


async def test_a_member_stream_needs_the_member_token(console_gateway):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{console_gateway.url}/chat/api/events",
                            params={"token": "guess"}) as stream:
            assert stream.status == 401


def test_a_callback_ticket_is_claimed_once(console_gateway):
    from datetime import timedelta

    member = console_gateway.member()
    member.say("晚上好")
    db = Database.from_url(console_gateway.db_url)
    now = Clock.from_env({"HM_NOW": TEST_NOW}).now()
    with db.writing() as session:
        ticket = queue.file_callback(session, member.conversation_id, "complaint", 2,
                                     now - timedelta(hours=13), now - timedelta(hours=1, minutes=30))
    db.dispose()
    wang, li = console_gateway.console("wang"), console_gateway.console("li")
    items = wang.get("/console/api/queue").json()["items"]
    assert any(i["kind"] == "ticket" and i["id"] == ticket.id for i in items)
    assert wang.post(f"/console/tickets/{ticket.id}/claim").status_code == 200
    lost = li.post(f"/console/tickets/{ticket.id}/claim")
    assert lost.status_code == 409 and lost.json()["message"] == "该回访工单已被其他管家接手。"
    row = conversation_row(console_gateway, member.conversation_id)
    assert row.state == "human"
    assert member.history()[-1]["text"].startswith("您好，我是您的私人健康管家王芳，看到了您之前的留言")


# ------------------------------------------------------------------ working a conversation


def test_a_manager_reply_reaches_the_member_and_only_the_owner_may_reply(console_gateway):
    member = waiting_member(console_gateway)
    wang, li = console_gateway.console("wang"), console_gateway.console("li")
    path = f"/console/conversations/{member.conversation_id}"
    assert wang.post(path + "/claim").status_code == 200
    assert wang.post(path + "/reply", {"text": "您好，我来帮您查一下。"}).json()["ok"]
    last = member.history()[-1]
    assert (last["author"], last["author_name"], last["text"]) == \
        ("manager", "王芳", "您好，我来帮您查一下。")
    refused = li.post(path + "/reply", {"text": "我也来"})
    assert refused.status_code == 409 and refused.json()["notice"] == "not_owner"
    assert wang.post(path + "/reply", {"text": "   "}).status_code == 400
    assert "reply" in audit_actions(console_gateway, f"conversation:{member.conversation_id}")


def test_notes_stay_internal(console_gateway):
    member = waiting_member(console_gateway)
    wang = console_gateway.console("wang")
    path = f"/console/conversations/{member.conversation_id}"
    assert wang.post(path + "/notes", {"text": "会员情绪激动，先安抚"}).json()["ok"]
    assert [n["text"] for n in wang.conversation(member.conversation_id)["notes"]] == \
        ["会员情绪激动，先安抚"]
    assert all("安抚" not in m["text"] for m in member.history())


def test_hand_back_without_the_bot_still_tells_the_member(console_gateway):
    member = waiting_member(console_gateway)
    wang = console_gateway.console("wang")
    path = f"/console/conversations/{member.conversation_id}"
    wang.post(path + "/claim")
    wang.post(path + "/reply", {"text": "您好，已经帮您处理了。"})
    answer = wang.post(path + "/handback")
    assert answer.json()["message"] == "已交还智能助手，会员已收到通知。"
    assert conversation_row(console_gateway, member.conversation_id).state == "bot"
    assert member.history()[-2]["text"] == "健康管家已经为您处理好了，接下来由智能助手继续为您服务。"
    assert member.history()[-1]["text"].startswith("本次管家服务您满意吗")      # served: asked
    assert wang.post(path + "/handback").status_code == 409  # nothing left to hand back


def test_the_handoff_history_says_how_each_handoff_ended_in_chinese(console_gateway):
    member = waiting_member(console_gateway)
    wang = console_gateway.console("wang")
    path = f"/console/conversations/{member.conversation_id}"
    wang.post(path + "/claim")
    wang.post(path + "/reply", {"text": "好的，已经处理。"})
    wang.post(path + "/handback")
    page = wang.get(path).text
    history = page[page.index("转人工记录"):]
    assert "王芳" in history and "· 已交还智能助手" in history and "handed_back" not in history
    handoffs = wang.conversation(member.conversation_id)["handoffs"]
    assert (handoffs[0]["outcome"], handoffs[0]["outcome_label"]) == ("handed_back", "已交还智能助手")


def test_the_audit_log_names_each_action_in_chinese_with_its_code_on_hover(console_gateway):
    member = waiting_member(console_gateway)
    console_gateway.console("wang").post(f"/console/conversations/{member.conversation_id}/claim")
    console_gateway.console("li").post(f"/console/conversations/{member.conversation_id}/claim")
    page = console_gateway.console("boss").get("/console/audit").text
    assert '<td title="claim">接入会话</td>' in page
    assert '<td title="claim_refused">接入会话（被拒绝）</td>' in page


def test_hand_back_with_the_members_question_unanswered_says_so(console_gateway):
    member = waiting_member(console_gateway)
    wang = console_gateway.console("wang")
    path = f"/console/conversations/{member.conversation_id}"
    wang.post(path + "/claim")
    assert wang.post(path + "/handback").json()["ok"]
    assert member.history()[-2]["text"].startswith("您刚才的留言管家还没来得及回复")


def test_an_unanswered_emergency_needs_a_reason_to_close(console_gateway):
    member = waiting_member(console_gateway, "我爸晕倒了", "emergency", 3)
    wang = console_gateway.console("wang")
    path = f"/console/conversations/{member.conversation_id}"
    wang.post(path + "/claim")
    assert 'name="reason"' in wang.get(path).text        # the form asks for it
    refused = wang.post(path + "/close")
    assert refused.status_code == 409 and refused.json()["notice"] == "urgent_unanswered"
    assert "请先回复" in refused.json()["message"]
    assert conversation_row(console_gateway, member.conversation_id).state == "human"
    assert wang.post(path + "/close", {"reason": "已电话联系，家属已叫120"}).json()["ok"]
    notes = [n["text"] for n in wang.conversation(member.conversation_id)["notes"]]
    assert notes == ["结束会话原因：已电话联系，家属已叫120"]


def test_closing_tells_the_member_and_the_next_message_reopens_it(console_gateway):
    member = waiting_member(console_gateway)
    wang = console_gateway.console("wang")
    path = f"/console/conversations/{member.conversation_id}"
    wang.post(path + "/claim")
    assert wang.post(path + "/close", as_json=False).status_code == 303
    assert conversation_row(console_gateway, member.conversation_id).state == "closed"
    assert member.history()[-2]["text"].startswith("本次服务已结束")
    member.say("还有一个问题")
    assert conversation_row(console_gateway, member.conversation_id).state == "bot"


def test_every_action_is_audited_with_who_and_when(console_gateway):
    member = waiting_member(console_gateway)
    wang = console_gateway.console("wang")
    path = f"/console/conversations/{member.conversation_id}"
    wang.get(path)
    wang.post(path + "/claim")
    wang.post(path + "/reply", {"text": "好的"})
    wang.post(path + "/notes", {"text": "已处理"})
    wang.post(path + "/handback")
    target = f"conversation:{member.conversation_id}"
    assert audit_actions(console_gateway, target) == \
        ["view_conversation", "claim", "reply", "note", "hand_back"]
    db = Database.from_url(console_gateway.db_url)
    with db.reading() as session:
        entries = session.execute(select(AuditEntry).where(AuditEntry.target == target)).scalars()
        assert {(e.username, e.at.isoformat()) for e in entries} == {("wang", TEST_NOW)}
    db.dispose()


def test_a_member_message_shows_what_the_bot_understood_in_chinese_with_the_details_behind(
        console_gateway):
    member = console_gateway.member()
    said = member.say("下周二上午约华山医院皮肤科")
    db = Database.from_url(console_gateway.db_url)
    with db.writing() as session:  # what the router stores from Rasa's reading (no Rasa here)
        stored = session.get(Message, said["message_id"])
        stored.routed_to, stored.intent, stored.confidence = "bot", "book_appointment", 0.93
        stored.entities = [{"entity": "hospital", "value": "华山医院"},
                           {"entity": "department", "value": "皮肤科"}]
        stored.slots = {"hospital": "华山医院", "department": "皮肤科",
                        "session_started_metadata": {"channel": "web"},
                        "requested_slot": "time"}
    db.dispose()
    wang = console_gateway.console("wang")
    page = wang.get(f"/console/conversations/{member.conversation_id}").text
    assert '<p class="nlu">识别：预约挂号（93%） · 医院 华山医院 · 科室 皮肤科</p>' in page
    assert "<summary>详情</summary>" in page
    assert "<dt>意图</dt><dd>book_appointment（置信度 0.93）</dd>" in page
    assert "<dt>槽位</dt><dd>hospital=华山医院，department=皮肤科</dd>" in page
    assert "session_started_metadata" not in page and "requested_slot" not in page
    # The JSON keeps its fields as they were, and adds the details.
    shown = wang.conversation(member.conversation_id)["messages"][0]
    assert (shown["intent"], shown["confidence"]) == ("book_appointment", 0.93)
    assert shown["slots"]["requested_slot"] == "time" and len(shown["entities"]) == 2
    assert shown["understanding"] == "识别：预约挂号（93%） · 医院 华山医院 · 科室 皮肤科"
    assert [row["label"] for row in shown["understanding_details"]] == \
        ["意图", "实体", "槽位", "去向"]


# ------------------------------------------------------------------ escaping


XSS = '<script>document.title="pwned"</script><img src=x onerror="alert(1)">'


def test_member_html_is_shown_as_text_everywhere(console_gateway):
    member = waiting_member(console_gateway, XSS)
    wang = console_gateway.console("wang")
    escaped = "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;&lt;img"
    for page in (wang.get("/console/"), wang.get(f"/console/conversations/{member.conversation_id}")):
        assert page.status_code == 200
        assert escaped in page.text
        assert "<script>document" not in page.text and "<img src=x" not in page.text
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    # The data itself is kept exactly as the member wrote it.
    assert member.history()[0]["text"] == XSS
    assert wang.conversation(member.conversation_id)["messages"][0]["text"] == XSS


# ------------------------------------------------------------------ the member's side


def test_without_the_bot_a_message_is_kept_and_offered_to_the_managers(console_gateway):
    member = console_gateway.member("demo-ready")
    answer = member.say("直付怎么用")
    assert [r["author"] for r in answer["replies"]] == ["system", "system"]
    kept = answer["replies"][0]["text"]
    assert kept.startswith("抱歉，智能助手暂时无法回复。您的消息已经收到并保存")
    assert "无需重发" in kept and "再试" not in kept  # never asked to send it again
    assert "952299" in kept  # 10:00: the call centre is open
    db = Database.from_url(console_gateway.db_url)
    with db.reading() as session:
        stored = session.get(Message, answer["message_id"])
        # Kept for the bot, answered in order when it is back (bot/gateway/pending.py).
        assert (stored.text, stored.routed_to) == ("直付怎么用", "pending")
    db.dispose()


def test_a_claim_gives_the_manager_the_messages_still_kept_for_the_bot(console_gateway):
    member = console_gateway.member()
    kept = member.say("我想问下报销的事")  # no Rasa: pending, offered to the managers
    wang = console_gateway.console("wang")
    assert wang.post(f"/console/conversations/{member.conversation_id}/claim").status_code == 200
    # The bot would stay silent on it now: the manager answers it, and the retrier does
    # not send it to Rasa later as if the bot still had the member.
    transcript = wang.conversation(member.conversation_id)["messages"]
    held = [m for m in transcript if m["id"] == kept["message_id"]]
    assert [m["routed_to"] for m in held] == ["manager"]


def test_a_channel_retry_is_stored_once(console_gateway):
    member = console_gateway.member()
    first = member.say("你好", client_id="same-id")
    again = member.say("你好", client_id="same-id")
    assert again["duplicate"] and again["message_id"] == first["message_id"]
    assert [m["text"] for m in member.history() if m["author"] == "member"] == ["你好"]


def test_the_chat_refuses_an_unknown_token(console_gateway):
    import requests

    answer = requests.get(console_gateway.url + "/chat/api/history", timeout=10,
                          headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401


# ------------------------------------------------------------------ summary card


def _understood(gateway: GatewayProcess, member: WebMember, slots: dict) -> None:
    """What the bot had understood by the member's last message (as the router stores it)."""
    db = Database.from_url(gateway.db_url)
    try:
        with db.writing() as session:
            last = session.execute(select(Message).where(
                Message.conversation_id == member.conversation_id, Message.author == "member")
                .order_by(Message.id.desc())).scalars().first()
            last.slots = slots
    finally:
        db.dispose()


def test_the_summary_card_says_why_what_was_asked_and_what_the_bot_knew(console_gateway):
    member = console_gateway.member()
    member.say("帮我约华山医院皮肤科 下周三下午")
    member.say("我爸突然胸口疼 出冷汗")
    _understood(console_gateway, member, {
        "hospital": "华山医院", "department": "皮肤科",
        "time": {"start": "2026-12-02T13:00:00+08:00", "text": "下周三下午"},
        "red_flag": "chest_pain", "session_started_metadata": {"channel": "web"}})
    put_in_queue(console_gateway, member, "emergency", 3)
    wang = console_gateway.console("wang")
    data = wang.conversation(member.conversation_id)
    card = data["card"]
    assert (card["reason_label"], card["urgent"], card["emergency"]) == ("紧急情况", True, "胸痛/疑似心梗")
    assert card["question"] == "我爸突然胸口疼 出冷汗"       # the words that raised it
    assert card["facts"] == [{"label": "医院", "value": "华山医院"},
                             {"label": "科室", "value": "皮肤科"},
                             {"label": "时间", "value": "下周三下午"}]
    page = wang.get(f"/console/conversations/{member.conversation_id}").text
    assert 'id="summary-card"' in page and "胸痛/疑似心梗" in page
    # The queue row of an emergency shows the emergency, not the last words.
    member.say("好的 我等着")
    row = next(i for i in wang.get("/console/api/queue").json()["items"]
               if i["conversation_id"] == member.conversation_id)
    assert row["preview"] == "我爸突然胸口疼 出冷汗"


def test_a_reviewer_reads_the_summary_card_masked(console_gateway):
    member = waiting_member(console_gateway, "我叫王小明 电话13812345678 想约皮肤科")
    reviewer = console_gateway.console("zhao")          # a reviewer (tests/conftest.py)
    card = reviewer.conversation(member.conversation_id)["card"]
    assert "13812345678" not in card["question"] and "皮肤科" in card["question"]


# ------------------------------------------------------------------ satisfaction


def test_a_served_member_rates_the_service_and_the_console_shows_it(console_gateway):
    member = waiting_member(console_gateway)
    wang = console_gateway.console("wang")
    path = f"/console/conversations/{member.conversation_id}"
    wang.post(path + "/claim")
    wang.post(path + "/reply", {"text": "直付卡在公众号里就能看到。"})
    wang.post(path + "/close")
    survey = member.history()[-1]
    assert survey["text"].startswith("本次管家服务您满意吗")
    assert [b["payload"] for b in survey["buttons"]] == ["1", "2", "3", "4", "5"]
    thanks = member.say("4 等太久了")            # no bot needed: the gateway records it
    assert [r["text"] for r in thanks["replies"]] == [
        "感谢您的评价，我们会认真改进。如果问题还没解决，随时发“转人工”。"]
    page = wang.get("/console/satisfaction").text
    assert "王芳" in page and "4.00" in page and "等太久了" in page
    assert 'id="stats-table"' in page        # the day: served 1, answered at once, rated 4
    reviewer = console_gateway.console("zhao").get("/console/satisfaction")
    assert reviewer.status_code == 200 and "王芳" in reviewer.text


# ------------------------------------------------------------------ service levels


def test_the_queue_marks_waits_past_their_target_and_emergencies(console_gateway):
    late = waiting_member(console_gateway, waited_minutes=15)             # target 10 minutes
    urgent = waiting_member(console_gateway, "我妈晕倒了", "emergency", 3,
                            waited_minutes=1)                             # target 2 minutes
    wang = console_gateway.console("wang")
    items = {i["conversation_id"]: i for i in wang.get("/console/api/queue").json()["items"]}
    assert (items[late.conversation_id]["breach"], items[late.conversation_id]["urgent"]) == \
        (True, False)
    assert (items[urgent.conversation_id]["breach"], items[urgent.conversation_id]["urgent"]) == \
        (False, True)
    page = wang.get("/console/").text
    assert "超时" in page and 'id="urgent-banner"' in page and "有紧急会话在等待接入" in page


# ------------------------------------------------------- presence, assignment, transfer


def _user_id(gateway: GatewayProcess, username: str) -> int:
    from bot.gateway.models import User

    db = Database.from_url(gateway.db_url)
    try:
        with db.reading() as session:
            return session.execute(select(User.id).where(User.username == username)).scalar_one()
    finally:
        db.dispose()


def test_a_manager_who_is_available_is_assigned_and_can_transfer_with_a_note(console_gateway):
    wang, li = console_gateway.console("wang"), console_gateway.console("li")
    db = Database.from_url(console_gateway.db_url)
    try:
        with db.writing() as session:     # earlier tests left wang conversations: room
            from bot.gateway.models import User
            session.execute(select(User).where(User.username == "wang")).scalar_one() \
                .max_active = 1000
    finally:
        db.dispose()
    member = waiting_member(console_gateway)
    assert conversation_row(console_gateway, member.conversation_id).state == "queued"
    assert wang.post("/console/presence", {"presence": "available"}).json()["ok"]
    row = conversation_row(console_gateway, member.conversation_id)
    assert (row.state, row.owner_id) == ("human", _user_id(console_gateway, "wang"))
    page = wang.get("/console/").text
    assert 'id="team"' in page and "王芳 · 接待中 · 服务中" in page
    li_id = _user_id(console_gateway, "li")
    moved = wang.post(f"/console/conversations/{member.conversation_id}/transfer",
                      {"to": str(li_id), "note": "会员想约下周皮肤科，麻烦跟进"})
    assert moved.json()["ok"], moved.text
    assert conversation_row(console_gateway, member.conversation_id).owner_id == li_id
    assert member.history()[-1]["text"].startswith("您好，我是您的私人健康管家李雷，同事已把您的问题转给我")
    notes = [n["text"] for n in li.conversation(member.conversation_id)["notes"]]
    assert notes == ["转接给李雷：会员想约下周皮肤科，麻烦跟进"]
    assert "transfer" in audit_actions(console_gateway, f"conversation:{member.conversation_id}")
    assert wang.post(f"/console/conversations/{member.conversation_id}/transfer",
                     {"to": str(li_id)}).status_code == 409          # no longer wang's
    assert wang.post("/console/presence", {"presence": "offline"}).json()["ok"]
    db = Database.from_url(console_gateway.db_url)
    try:
        with db.writing() as session:
            session.execute(select(User).where(User.username == "wang")).scalar_one() \
                .max_active = 5
    finally:
        db.dispose()


# ------------------------------------------------------- booking on the member's behalf


def test_a_manager_books_and_cancels_for_the_member_under_the_same_rules(console_gateway):
    import re as regex

    member = console_gateway.member("demo-ready")
    member.say("我要找人工")
    put_in_queue(console_gateway, member)
    wang = console_gateway.console("wang")
    path = f"/console/conversations/{member.conversation_id}"
    wang.post(path + "/claim")
    # A look-up for the member: the backends' own availability, with the member's rules.
    page = wang.get(path + "?hospital_id=huashan&department_id=dermatology&day=2026-12-10").text
    assert 'id="availability-form"' in page
    slots = regex.findall(r'name="slot_id" value="(\d+)"', page)
    assert slots, page[page.find('id="booking"'):][:800]
    booked = wang.post(path + "/book", {"slot_id": slots[0]})
    assert booked.json()["ok"], booked.text
    told = member.history()[-1]
    assert told["author"] == "manager" and told["text"].startswith("已为您预约好✅")
    reference = regex.search(r"预约编号(\w+)", told["text"])[1]
    page = wang.get(path).text
    assert reference in page                                      # in the profile card now
    appointment = regex.search(rf"/appointments/(\d+)/cancel", page)[1]
    cancelled = wang.post(f"{path}/appointments/{appointment}/cancel")
    assert cancelled.json()["ok"], cancelled.text
    assert member.history()[-1]["text"].startswith("已为您取消预约")
    # The same rules: a time too soon (today) is refused with the backends' reason.
    today = wang.get(path + "?hospital_id=huashan&department_id=dermatology&day=2026-11-24").text
    assert "工作日" in today or "没有可约的时段" in today
    refused = wang.post(path + "/book", {"slot_id": "999999"})
    assert refused.status_code == 409 and refused.json()["notice"] == "booking_refused"
    actions = audit_actions(console_gateway, f"conversation:{member.conversation_id}")
    assert {"book", "cancel", "book_refused"} <= set(actions)
    # Only the manager serving the conversation.
    li = console_gateway.console("li")
    assert li.post(path + "/book", {"slot_id": slots[0]}).status_code == 409
    assert wang.post(path + "/close").json()["ok"]     # the demo member's chat, free again
