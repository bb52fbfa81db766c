"""The manager console's trust boundary (issue 13) against real gateway processes: what a
reviewer reads of a conversation (masked on the page, in the JSON and on the live
stream) and that every view is audited; ids no database row can have; login
throttling per account and per address, the lockout an admin lifts; and logins that
never keep members waiting while a password is hashed."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import sqlite3
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Iterator, List, Optional

import aiohttp
import pytest
import requests
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot import privacy
from bot.clock import Clock
from bot.console import accounts, throttle
from bot.db import Database
from bot.gateway.models import AuditEntry, Conversation, LoginFailure, Message, User
from bot.gateway.store import migrate
from bot.processes import free_port
from tests.conftest import CONSOLE_PASSWORD, TEST_NOW, GatewayProcess, start_gateway
from tests.test_console import read_events, waiting_member

NOW = Clock.from_env({"HM_NOW": TEST_NOW}).now()
MEMBER_TEXT = "我叫陈静，电话13912345678，身份证110105194912310025"
# The same person's data as a reviewer may not read it, and what they read instead.
IN_CLEAR = ("陈静", "13912345678", "110105194912310025")
POLICY = "ZAHM2026000001"


# ------------------------------------------------------------------ helpers

def in_db(gateway: GatewayProcess, work):
    db = Database.from_url(gateway.db_url)
    try:
        with db.writing() as session:
            found = work(session)
            session.flush()
            session.expunge_all()
            return found
    finally:
        db.dispose()


def views_of(gateway: GatewayProcess, username: str, conversation_id: int) -> List[AuditEntry]:
    return in_db(gateway, lambda s: list(s.execute(
        select(AuditEntry).join(User, User.id == AuditEntry.user_id)
        .where(User.username == username, AuditEntry.action == "view_conversation",
               AuditEntry.target == f"conversation:{conversation_id}")
        .order_by(AuditEntry.id)).scalars()))


def readable(answer: requests.Response) -> str:
    """What a person reads of an answer (JSON escapes Chinese as \\uXXXX)."""
    if answer.headers.get("content-type", "").startswith("application/json"):
        return json.dumps(answer.json(), ensure_ascii=False)
    return answer.text


def shows_nothing_in_clear(text: str) -> bool:
    return not any(value in text for value in IN_CLEAR) and POLICY not in text


@pytest.fixture(scope="module")
def personal(console_gateway) -> int:
    """A conversation whose member gave their name, mobile and ID number (and a policy
    number the NLU extracted), with a manager's note and reply repeating the mobile."""
    def write(session):
        wang = session.execute(select(User).where(User.username == "wang")).scalar_one()
        c = Conversation(channel="web", external_id=f"pii-{uuid.uuid4().hex[:10]}",
                         state="bot", priority=0, created_at=NOW, last_message_at=NOW)
        session.add(c)
        session.flush()
        session.add(Message(
            conversation_id=c.id, direction="in", author="member", text=MEMBER_TEXT,
            routed_to="bot", created_at=NOW, intent="link_policy", confidence=0.9,
            entities=[{"entity": "policy_number", "value": POLICY, "start": 0, "end": 14}],
            slots={"policy_number": POLICY}))
        session.add(Message(conversation_id=c.id, direction="out", author="manager",
                            user_id=wang.id, text="陈女士您好，已记下电话13912345678。",
                            created_at=NOW))
        accounts.add_note(session, c.id, wang.id, "会员电话13912345678，身份证110105194912310025",
                          NOW)
        return c.id

    return in_db(console_gateway, write)


# ------------------------------------------------------------------ what a reviewer reads

def test_the_member_text_holds_a_name_a_phone_and_an_id_number():
    kinds = {span.kind for span in privacy.find(MEMBER_TEXT)}
    assert {privacy.NAME, privacy.PHONE, privacy.ID_NUMBER} <= kinds


def test_a_reviewer_reads_the_conversation_api_masked_a_manager_in_clear(console_gateway,
                                                                        personal):
    seen = console_gateway.console("zhao").get(f"/console/api/conversations/{personal}")
    assert seen.status_code == 200
    assert shows_nothing_in_clear(readable(seen))
    data = seen.json()
    member = data["messages"][0]
    assert member["text"] == privacy.mask_for_display(MEMBER_TEXT)
    assert "139****5678" in member["text"] and "陈*" in member["text"]
    assert member["entities"][0]["value"] == "ZAHM******0001"
    assert member["slots"]["policy_number"] == "ZAHM******0001"
    assert "ZAHM******0001" in member["understanding"]
    assert "139****5678" in data["messages"][1]["text"]
    assert "139****5678" in data["notes"][0]["text"]

    clear = console_gateway.console("wang").get(f"/console/api/conversations/{personal}")
    assert all(value in readable(clear) for value in IN_CLEAR) and POLICY in readable(clear)
    assert clear.json()["messages"][0]["text"] == MEMBER_TEXT


def test_a_reviewer_reads_the_conversation_page_masked_a_manager_in_clear(console_gateway,
                                                                         personal):
    page = console_gateway.console("zhao").get(f"/console/conversations/{personal}")
    assert page.status_code == 200
    assert shows_nothing_in_clear(page.text)
    assert "139****5678" in page.text
    for role in ("wang", "boss"):
        clear = console_gateway.console(role).get(f"/console/conversations/{personal}").text
        assert all(value in clear for value in IN_CLEAR)


def test_a_reviewer_reads_the_understanding_details_masked_a_manager_in_clear(
        console_gateway):
    """The 详情 behind the understanding line holds entity and slot values by name: the
    member's own words in a slot are masked like the line; Rasa's metadata never shows."""
    said = "是我本人，我叫陈静，电话13912345678"

    def write(session):
        c = Conversation(channel="web", external_id=f"pii-{uuid.uuid4().hex[:10]}",
                         state="bot", priority=0, created_at=NOW, last_message_at=NOW)
        session.add(c)
        session.flush()
        session.add(Message(
            conversation_id=c.id, direction="in", author="member", text="绑定保单",
            routed_to="bot", created_at=NOW, intent="link_policy", confidence=0.91,
            entities=[{"entity": "policy_number", "value": POLICY}],
            slots={"policy_number": POLICY, "emergency_patient_answer": said,
                   "session_started_metadata": {"channel": "web", "phone": "13912345678"}}))
        return c.id

    conversation_id = in_db(console_gateway, write)
    path = f"/console/api/conversations/{conversation_id}"
    masked = console_gateway.console("zhao").get(path).json()["messages"][0]
    details = {row["label"]: row["text"] for row in masked["understanding_details"]}
    assert details["意图"] == "link_policy（置信度 0.91）"
    assert details["实体"] == "policy_number=ZAHM******0001"
    assert details["槽位"] == ("policy_number=ZAHM******0001，emergency_patient_answer="
                              + privacy.mask_for_display(said))
    assert masked["understanding"] == "识别：绑定保单（91%） · 保单号 ZAHM******0001"
    page = console_gateway.console("zhao").get(f"/console/conversations/{conversation_id}").text
    assert shows_nothing_in_clear(page) and "<summary>详情</summary>" in page

    clear = console_gateway.console("wang").get(path).json()["messages"][0]
    shown = {row["label"]: row["text"] for row in clear["understanding_details"]}
    assert shown["槽位"] == f"policy_number={POLICY}，emergency_patient_answer={said}"
    assert "session_started_metadata" not in json.dumps(clear["understanding_details"])


def test_a_reviewer_reads_the_member_profile_masked_a_manager_in_clear(console_gateway):
    member = console_gateway.member("demo-ready")  # 陈静, ZAHM2026000001, ZADP880000000001
    path = f"/console/conversations/{member.conversation_id}"
    masked = console_gateway.console("zhao").get(path).text
    profile = masked[masked.index("会员资料"):masked.index("内部备注")]
    assert "陈*" in profile and "ZAHM******0001" in profile and "ZADP********0001" in profile
    assert not any(value in profile for value in ("陈静", "ZAHM2026000001", "ZADP880000000001"))
    clear = console_gateway.console("wang").get(path).text
    assert all(value in clear for value in ("陈静", "ZAHM2026000001", "ZADP880000000001"))


def test_every_view_of_a_conversation_is_audited_with_who_and_how(console_gateway, personal):
    zhao = console_gateway.console("zhao")
    before = len(views_of(console_gateway, "zhao", personal))
    zhao.get(f"/console/conversations/{personal}")
    zhao.get(f"/console/api/conversations/{personal}")
    added = views_of(console_gateway, "zhao", personal)[before:]
    assert [(e.detail["via"], e.detail["masked"]) for e in added] == \
        [("page", True), ("api", True)]
    assert {e.at.isoformat() for e in added} == {TEST_NOW}
    audit_page = console_gateway.console("boss").get("/console/audit").text
    assert f"conversation:{personal}" in audit_page and "view_conversation" in audit_page


def test_polling_after_a_view_writes_no_audit_row_and_stays_masked(console_gateway, personal):
    zhao = console_gateway.console("zhao")
    first = zhao.conversation(personal)["messages"][0]["id"]
    counted = len(views_of(console_gateway, "zhao", personal))
    for _ in range(3):
        newer = zhao.get(f"/console/api/conversations/{personal}?after={first}")
        assert newer.status_code == 200 and shows_nothing_in_clear(readable(newer))
        assert "139****5678" in newer.json()["messages"][0]["text"]
    assert len(views_of(console_gateway, "zhao", personal)) == counted


def test_an_incremental_read_without_an_earlier_view_is_audited(console_gateway, personal):
    username = f"rev-{uuid.uuid4().hex[:8]}"
    in_db(console_gateway, lambda s: accounts.create_user(s, username, CONSOLE_PASSWORD,
                                                          "reviewer", "临时审核", NOW))
    reviewer = console_gateway.console(username)
    assert reviewer.get(f"/console/api/conversations/{personal}?after=1").status_code == 200
    assert [e.detail["via"] for e in views_of(console_gateway, username, personal)] == ["api"]


async def test_the_live_stream_is_masked_for_a_reviewer_and_audited_once(console_gateway):
    member = waiting_member(console_gateway)
    wang, zhao = console_gateway.console("wang"), console_gateway.console("zhao")
    path = f"/console/conversations/{member.conversation_id}"
    url = f"{console_gateway.url}/console/events?conversation={member.conversation_id}"
    loop = asyncio.get_running_loop()

    def cookie(user):
        return {"Cookie": f"hm_console={user.http.cookies.get('hm_console')}"}

    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers=cookie(zhao)) as masked, \
                http.get(url, headers=cookie(wang)) as clear:
            assert masked.status == 200
            await read_events(masked, lambda e: e["type"] == "ready")
            await read_events(clear, lambda e: e["type"] == "ready")
            await loop.run_in_executor(None, wang.post, path + "/claim")
            await loop.run_in_executor(None, member.say, MEMBER_TEXT)
            await loop.run_in_executor(None, lambda: wang.post(
                path + "/reply", {"text": "陈女士您好，电话13912345678已记下"}))
            await loop.run_in_executor(None, lambda: wang.post(
                path + "/notes", {"text": "身份证110105194912310025"}))
            as_reviewer = await read_events(masked, lambda e: e["type"] == "note")
            as_manager = await read_events(clear, lambda e: e["type"] == "note")
    reviewer_text = str(as_reviewer)
    assert shows_nothing_in_clear(reviewer_text)
    texts = [e["message"]["text"] for e in as_reviewer if e["type"] == "message"]
    assert privacy.mask_for_display(MEMBER_TEXT) in texts
    assert "陈女士您好，电话139****5678已记下" in texts
    assert as_reviewer[-1]["note"]["text"] == privacy.mask_for_display("身份证110105194912310025")
    manager_text = str(as_manager)
    assert all(value in manager_text for value in IN_CLEAR)
    live = [e for e in views_of(console_gateway, "zhao", member.conversation_id)
            if e.detail["via"] == "live"]
    assert len(live) == 1 and live[0].detail["masked"] is True


def test_the_queue_preview_is_masked_for_a_reviewer(console_gateway):
    waiting_member(console_gateway, words=MEMBER_TEXT)
    as_reviewer = readable(console_gateway.console("zhao").get("/console/api/queue"))
    assert shows_nothing_in_clear(as_reviewer) and "139****5678" in as_reviewer
    assert "13912345678" in readable(console_gateway.console("wang").get("/console/api/queue"))


def test_a_live_stream_of_a_conversation_that_does_not_exist_is_404(console_gateway):
    answer = console_gateway.console("zhao").get("/console/events?conversation=999999999")
    assert answer.status_code == 404


# ------------------------------------------------------------------ ids no row can have

HUGE = (2 ** 63, 10 ** 30, 0, -1)
ID_ROUTES = (
    ("GET", "/console/media/{}"),
    ("GET", "/console/api/conversations/{}"),
    ("GET", "/console/conversations/{}"),
    ("POST", "/console/conversations/{}/claim"),
    ("POST", "/console/conversations/{}/reply"),
    ("POST", "/console/conversations/{}/notes"),
    ("POST", "/console/conversations/{}/handback"),
    ("POST", "/console/conversations/{}/close"),
    ("POST", "/console/tickets/{}/claim"),
    ("POST", "/console/alerts/{}/resolve"),
    ("POST", "/console/accounts/{}/unlock"),
    ("POST", "/console/review/messages/{}/decision"),
    ("POST", "/console/review/messages/{}/unmask"),
    ("POST", "/console/review/filters/{}/delete"),
    ("POST", "/console/review/conversations/{}/tags"),
    ("POST", "/console/review/conversations/{}/tags/remove"),
    ("POST", "/console/review/conversations/{}/story"),
    ("GET", "/console/events?conversation={}"),
)


@pytest.fixture(scope="module")
def boss(console_gateway):
    return console_gateway.console("boss")


@pytest.mark.parametrize("method,route", ID_ROUTES, ids=[r for _, r in ID_ROUTES])
def test_an_id_no_row_can_have_is_404_on_every_route(boss, method, route):
    for number in HUGE:
        path = route.format(number)
        if method == "GET":
            answer = boss.get(path, headers={"Accept": "application/json"})
        else:
            answer = boss.post(path, {"text": "你好", "reason": "核对", "tag": "新意图",
                                      "action": "accept"})
        assert answer.status_code == 404, (path, answer.status_code, answer.text[:200])
        assert "Traceback" not in answer.text


def test_the_largest_id_is_looked_up_and_simply_not_found(boss):
    largest = 2 ** 63 - 1
    for path in (f"/console/api/conversations/{largest}", f"/console/media/{largest}",
                 f"/console/conversations/{largest}"):
        assert boss.get(path).status_code == 404


@pytest.mark.parametrize("after", [str(2 ** 63), str(10 ** 30), "-1", "abc", "1.5"])
def test_an_after_that_names_no_message_is_400(boss, personal, after):
    answer = boss.get(f"/console/api/conversations/{personal}?after={after}")
    assert answer.status_code == 400
    assert answer.json()["message"] == "参数 after 无效：应为 0 或消息编号。"


def test_a_huge_page_number_on_the_review_lists_is_no_error(boss):
    for path in ("/console/review/conversations?page=", "/console/api/review/conversations?page=",
                 "/console/api/review/inbox?page=", "/console/review/inbox?offset="):
        for number in (2 ** 63, 10 ** 30):
            assert boss.get(f"{path}{number}").status_code == 200, path


# ------------------------------------------------------------------ login limits (pure)

LIMITS = throttle.LoginLimits()


def seconds_ago(*seconds: float) -> List[datetime]:
    return [NOW - timedelta(seconds=s) for s in seconds]


@pytest.mark.parametrize("failures,wait", [
    (seconds_ago(), 0.0),
    (seconds_ago(1, 1, 1, 1), 0.0),                 # four: free
    (seconds_ago(0, 1, 1, 1, 1), 1.0),              # the fifth: wait 1 s after it
    (seconds_ago(0, 0, 1, 1, 1, 1), 2.0),           # the sixth: 2 s
    (seconds_ago(3, 9, 9, 9, 9, 9, 9), 1.0),        # the seventh, 3 s ago: 4 s, 1 left
    (seconds_ago(0, 1, 1, 1, 16 * 60), 0.0),        # one of the five is past the window
])
def test_an_account_waits_twice_as_long_after_each_failure_past_five(failures, wait):
    assert throttle.wait_seconds(failures, LIMITS.account_free, LIMITS, NOW) == wait


def test_ten_failures_lock_whatever_the_times_and_a_lock_on_record_locks():
    assert throttle.verdict(seconds_ago(*[3600] * 10), [], False, LIMITS, NOW).locked
    assert not throttle.verdict(seconds_ago(*[3600] * 9), [], False, LIMITS, NOW).locked
    assert throttle.verdict([], [], True, LIMITS, NOW).locked


def test_an_address_waits_after_twenty_failures():
    assert throttle.verdict([], seconds_ago(*[1] * 19), False, LIMITS, NOW).may_try
    assert throttle.verdict([], seconds_ago(*[0] * 20), False, LIMITS, NOW).wait == 1.0


def test_the_delay_never_passes_the_window():
    waited = throttle.wait_seconds(seconds_ago(*[0] * 60), 5, LIMITS, NOW)
    assert waited == LIMITS.window.total_seconds()


# ------------------------------------------------------------------ login limits (stored)

def test_failures_lock_an_account_and_a_lift_or_a_success_clears_them_on_each_engine(
        empty_database):
    """The stored half on SQLite and PostgreSQL: ten failures lock (one lock row), a lock
    is lifted once, a success clears the account's failures but not the address's."""
    migrate(empty_database)
    limits, address = throttle.LoginLimits(), "192.0.2.1"

    def state(username: str = "wang") -> accounts.LoginState:
        with empty_database.reading() as session:
            return accounts.login_state(session, username, address, limits, NOW)

    with empty_database.writing() as session:
        user_id = accounts.create_user(session, "wang", CONSOLE_PASSWORD, "manager", "王芳",
                                       NOW).id
    locked = []
    for number in range(limits.lockout):
        with empty_database.writing() as session:
            locked.append(accounts.login_failed(session, "wang", address, user_id, limits,
                                                NOW - timedelta(hours=1)))
    assert locked == [False] * 9 + [True]
    assert state().verdict.locked and state().account_id == user_id
    assert not state("nobody").verdict.locked
    with empty_database.writing() as session:
        assert [lock["user_id"] for lock in accounts.account_locks(session)] == [user_id]
        assert accounts.lift_lock(session, user_id, NOW, limits) == "wang"
        assert accounts.lift_lock(session, user_id, NOW, limits) is None
    assert state().verdict.may_try
    with empty_database.writing() as session:
        for _ in range(3):
            accounts.login_failed(session, "wang", address, user_id, limits, NOW)
        accounts.login_succeeded(session, user_id, NOW, 12, limits)
    with empty_database.reading() as session:
        counted = session.execute(select(LoginFailure.cleared).where(
            LoginFailure.address == address, LoginFailure.at > NOW - limits.window)).scalars()
        assert sorted(counted) == [True, True, True]
    assert state().verdict.may_try


# ------------------------------------------------------------------ login limits (served)

DELAY = 0.25  # the first delay of the login gateway, doubling; small for a quick test


@pytest.fixture(scope="module")
def login_gateway(backends_server) -> Iterator[GatewayProcess]:
    """A gateway of its own (failures would throttle the shared one) on the real clock,
    behind a "proxy" (127.0.0.1 trusted): each test logs in from addresses of its own."""
    gateway = start_gateway("gateway-login", f"http://127.0.0.1:{free_port()}",
                            backends_server, env={
                                "HM_NOW": "", "HM_TRUSTED_PROXIES": "127.0.0.1",
                                "HM_CHAT_START_RATE": "off",
                                "HM_CONSOLE_LOGIN_DELAY_SECONDS": str(DELAY)})
    yield gateway
    gateway.server.stop()


def new_account(gateway: GatewayProcess, role: str = "manager") -> str:
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    in_db(gateway, lambda s: accounts.create_user(s, username, CONSOLE_PASSWORD, role,
                                                  "测试" + username[-4:], NOW))
    return username


def new_address() -> str:
    return f"198.51.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


def log_in(gateway: GatewayProcess, username: str, password: str,
           address: Optional[str] = None) -> requests.Response:
    http = requests.Session()
    headers = {"X-Forwarded-For": address} if address else {}
    form = http.get(f"{gateway.url}/console/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
    return http.post(f"{gateway.url}/console/login", allow_redirects=False, timeout=30,
                     headers=headers, data={"csrf_token": token, "username": username,
                                            "password": password, "next": "/console/"})


def test_thirty_wrong_passwords_are_throttled_then_lock_the_account_until_an_admin_lifts_it(
        login_gateway):
    username, address = new_account(login_gateway), new_address()
    answers, throttled = [], []
    for _ in range(400):  # 30 wrong passwords, each sent once its wait is over
        answer = log_in(login_gateway, username, "wrong-password!", address)
        if answer.status_code == 429:
            throttled.append(answer)
            time.sleep(0.05)
            continue
        answers.append(answer.status_code)
        if len(answers) == 30:
            break
    assert answers == [401] * 9 + [423] * 21
    assert throttled
    assert re.search(r"尝试次数过多，请\d+秒后再试。", throttled[0].text)
    assert int(throttled[0].headers["Retry-After"]) >= 1

    refused = log_in(login_gateway, username, CONSOLE_PASSWORD, new_address())
    assert refused.status_code == 423
    assert "该账号因多次密码错误已被锁定，请联系管理员解锁。" in refused.text

    boss = login_gateway.console("boss")
    listed = boss.get("/console/accounts/locks").text
    assert username in listed and "解除锁定" in listed
    user_id = in_db(login_gateway, lambda s: s.execute(
        select(User.id).where(User.username == username)).scalar_one())
    assert boss.post(f"/console/accounts/{user_id}/unlock", csrf="forged").status_code == 403
    assert login_gateway.console("wang").post(
        f"/console/accounts/{user_id}/unlock").status_code == 403
    lifted = boss.post(f"/console/accounts/{user_id}/unlock")
    assert lifted.status_code == 200 and lifted.json()["message"] == "已解除锁定，该账号可以重新登录。"
    assert boss.post(f"/console/accounts/{user_id}/unlock").status_code == 409

    assert log_in(login_gateway, username, CONSOLE_PASSWORD, address).status_code == 303
    audit = in_db(login_gateway, lambda s: list(s.execute(select(AuditEntry).where(
        AuditEntry.target == f"user:{user_id}").order_by(AuditEntry.id)).scalars()))
    assert [(e.action, e.username) for e in audit] == [
        ("account_locked", username), ("unlock_account", "boss"),
        ("unlock_account_refused", "boss"), ("login", username)]
    # the success cleared the account's failures: a slip is an ordinary wrong password
    assert log_in(login_gateway, username, "wrong-password!", new_address()).status_code == 401


def test_an_address_is_throttled_across_usernames(login_gateway):
    address = new_address()
    for number in range(20):
        assert log_in(login_gateway, f"nobody-{number}-{uuid.uuid4().hex[:6]}",
                      "wrong-password!", address).status_code == 401
    refused = log_in(login_gateway, "wang", CONSOLE_PASSWORD, address)
    assert refused.status_code == 429
    assert "秒后再试" in refused.text
    assert log_in(login_gateway, "wang", CONSOLE_PASSWORD, new_address()).status_code == 303


def test_a_burst_of_parallel_tries_gets_no_more_guesses_than_the_lockout(login_gateway):
    """Thirty wrong passwords at once, from thirty addresses, twice: the failures are
    read before a check and written after it, so without one check at a time per
    username every try of a burst would read the same count."""
    username = new_account(login_gateway)

    def burst() -> List[int]:
        with ThreadPoolExecutor(30) as pool:
            return list(pool.map(lambda _: log_in(login_gateway, username, "wrong-password!",
                                                  new_address()).status_code, range(30)))

    answers = burst() + burst()
    assert set(answers) <= {401, 423, 429}
    failures = in_db(login_gateway, lambda s: len(s.execute(select(LoginFailure.id).where(
        LoginFailure.username == username)).all()))
    assert failures <= LIMITS.lockout


def test_one_check_at_a_time_per_username_and_a_few_per_address():
    running = throttle.InFlight(per_account=1, per_address=2)
    assert running.enter("wang", "10.0.0.1")
    assert not running.enter("wang", "10.0.0.2")  # the same username
    assert running.enter("li", "10.0.0.1")
    assert not running.enter("zhao", "10.0.0.1")  # a third at the same address
    running.leave("wang", "10.0.0.1")
    assert running.enter("wang", "10.0.0.2") and running.enter("zhao", "10.0.0.1")


def test_the_forwarded_address_is_not_believed_without_a_trusted_proxy(console_gateway):
    username = f"nobody-{uuid.uuid4().hex[:8]}"
    assert log_in(console_gateway, username, "wrong-password!", "203.0.113.77").status_code == 401
    rows = in_db(console_gateway, lambda s: list(s.execute(select(LoginFailure.address).where(
        LoginFailure.username == username)).scalars()))
    assert rows == ["127.0.0.1"]


def test_wrong_logins_in_parallel_do_not_hold_up_members_starting_a_chat(login_gateway):
    """Sixteen wrong logins at once while members start web chats: the starts stay
    quick. A guard on the whole path; the lock itself is pinned down by the next test
    (on two cores the median alone did not tell the old locking apart)."""
    stop = time.monotonic() + 60

    def wrong_logins(worker: int) -> None:
        address = new_address()
        for attempt in range(3):
            if time.monotonic() > stop:
                return
            log_in(login_gateway, f"nobody-{worker}-{attempt}-{uuid.uuid4().hex[:4]}",
                   "wrong-password!", address)

    timings = []
    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(wrong_logins, worker) for worker in range(16)]
        time.sleep(0.05)
        while not all(f.done() for f in futures) or len(timings) < 10:
            started = time.perf_counter()
            answer = requests.post(f"{login_gateway.url}/chat/api/start",
                                   json={"member": None}, timeout=30)
            timings.append(time.perf_counter() - started)
            assert answer.status_code == 200
            if len(timings) >= 40:
                break
        for future in futures:
            future.result()
    assert statistics.median(timings) < 0.150, timings


def slow_hash(password: str, p: int = 32) -> str:
    """A stored hash that takes seconds to check (scrypt's p multiplies the work)."""
    salt = b"slow-salt-16byte"
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2 ** 14, r=8, p=p, dklen=32)
    encode = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
    return f"scrypt${2 ** 14}$8${p}${encode(salt)}${encode(key)}"


def test_no_write_transaction_is_open_while_a_password_is_checked(login_gateway):
    """While the gateway spends seconds checking one password, another writer takes
    SQLite's write lock at once and a member starts a web chat: the check runs with no
    transaction open (it once ran inside BEGIN IMMEDIATE)."""
    username = new_account(login_gateway)

    def slow(session):
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        user.password_hash = slow_hash(CONSOLE_PASSWORD)

    in_db(login_gateway, slow)
    path = make_url(login_gateway.db_url).database
    with ThreadPoolExecutor(1) as pool:
        login = pool.submit(log_in, login_gateway, username, CONSOLE_PASSWORD, new_address())
        time.sleep(0.5)  # the request is in; the check takes about two seconds
        writer = sqlite3.connect(path, timeout=1.0, isolation_level=None)
        try:
            started = time.perf_counter()
            writer.execute("BEGIN IMMEDIATE")
            lock_wait = time.perf_counter() - started
            writer.execute("ROLLBACK")
        finally:
            writer.close()
        started = time.perf_counter()
        chat = requests.post(f"{login_gateway.url}/chat/api/start", json={"member": None},
                             timeout=30)
        chat_time = time.perf_counter() - started
        still_checking = not login.done()
        answer = login.result()
    assert still_checking
    assert lock_wait < 0.3 and chat.status_code == 200 and chat_time < 0.5
    assert answer.status_code == 303
