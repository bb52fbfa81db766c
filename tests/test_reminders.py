"""The reminders job (bot/reminders) against real servers started here: a backends server
and a gateway with the web chat and WeChat (the simulator; no Rasa: nothing here needs
the bot), each on a database of its own. The backends' clock is TEST_NOW (Tuesday
2026-11-24 10:00); the job's clock is injected per run.

Covers: a visit tomorrow reminded exactly once however often the job runs (and after it
lost its memory), none before 10:00 or in the night, none yet for the day after
tomorrow, none for a cancelled visit; a pre-auth decision told once, as a template
message on WeChat; a WeChat member who unfollowed gets nothing, even when the backends
still list the openid, and the job neither fails nor tries again; the gateway or the
backends down: nothing lost, nothing twice, nothing personal in the logs; the command
line, once and every period."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
import requests

from bot.backends.db import Database
from bot.backends.models import Member, MemberChannel
from bot.clients import BackendSettings
from bot.clock import SHANGHAI, Clock
from bot.processes import ROOT, free_port
from bot.reminders.job import Report, Settings, run_once
from bot.wechat_simulator import WeChatSimulator
from tests.conftest import (
    TEST_NOW,
    Backends,
    GatewayProcess,
    fresh_sqlite_url,
    gateway_rows,
    start_backends,
    start_gateway,
    wait_for,
)
from tests.test_backends_api import Api

API_TOKEN = "reminders-test-gateway-api-token"
APP_ID = "wx5e1a7ed0c0de0016"
SECRET = "reminders-test-secret"
TOKEN = "reminders-test-token"
REMINDER_TEMPLATE = "TPL_visit_reminder"
DECISION_TEMPLATE = "TPL_preauth_result"
NOW = datetime.fromisoformat(TEST_NOW).timestamp()
MORNING = "2026-11-24T10:30:00"  # the job's usual run: reminders for Wednesday 11-25


@dataclass
class Stack:
    backends: Backends
    gateway: GatewayProcess
    sim: WeChatSimulator
    api: Api


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    backends = start_backends("backends-reminders", fresh_sqlite_url("backends-reminders"))
    sim = WeChatSimulator(app_id=APP_ID, app_secret=SECRET, token=TOKEN, now=NOW,
                          template_ids=(REMINDER_TEMPLATE, DECISION_TEMPLATE))
    sim.start()
    templates = {"appointment_reminder": REMINDER_TEMPLATE, "preauth_result": DECISION_TEMPLATE}
    gateway = start_gateway("gateway-reminders", f"http://127.0.0.1:{free_port()}", backends, env={
        "HM_WECHAT_TOKEN": TOKEN, "HM_WECHAT_APPID": APP_ID, "HM_WECHAT_APPSECRET": SECRET,
        "HM_WECHAT_MODE": "plaintext", "HM_WECHAT_API_BASE": sim.url,
        "HM_WECHAT_TEMPLATES": json.dumps(templates), "HM_GATEWAY_API_TOKEN": API_TOKEN})
    sim.callback_url = f"{gateway.url}/wechat"
    yield Stack(backends, gateway, sim, Api(backends))
    gateway.server.stop()
    sim.stop()
    backends.server.stop()


def settings(stack: Stack, state: Path, gateway_url: str = "", backends_url: str = "") -> Settings:
    return Settings(gateway_url or stack.gateway.url, API_TOKEN,
                    BackendSettings(backends_url or stack.backends.url, stack.backends.token, 5.0),
                    state, 5.0)


def run(stack: Stack, state: Path, when: str = MORNING, **urls: str) -> Report:
    clock = Clock(datetime.fromisoformat(when).replace(tzinfo=SHANGHAI))
    return asyncio.run(run_once(settings(stack, state, **urls), clock))


def add_member(stack: Stack, *identities: Tuple[str, str]) -> Dict[str, str]:
    """An insured member ready to book, reached through `identities`; with the policy
    number and phone digits that link another identity to them."""
    digits = f"{random.randrange(10**9):09d}"
    policy, phone = f"ZAHM7{digits}", f"1390{digits[:3]}{digits[-4:]}"
    db = Database.from_url(stack.backends.db_url)
    try:
        with db.writing() as session:
            member = Member(
                name="测试会员", id_number=f"R{uuid.uuid4().hex[:16]}", phone=phone,
                policy_number=policy, policy_start=date(2026, 1, 1),
                policy_end=date(2026, 12, 31), waiting_period_end=date(2026, 1, 31),
                direct_pay_card=None, no_show_count=0,
                created_at=datetime(2026, 1, 1, tzinfo=SHANGHAI),
                channels=[MemberChannel(channel=c, external_id=e) for c, e in identities])
            session.add(member)
            session.flush()
            return {"id": member.id, "policy_number": policy, "phone_last4": phone[-4:]}
    finally:
        db.dispose()


def book(stack: Stack, member: Dict, day: str, department: str = "ophthalmology") -> dict:
    slot = stack.api.free_slot(department_id=department, start=day)
    booked = stack.api.book(member["id"], slot["id"])
    assert booked.status_code == 201, booked.text
    return booked.json()


def notices(stack: Stack, channel: str, external_id: str) -> List[str]:
    """The notices stored in the member's conversation at the gateway."""
    return [row[0] for row in gateway_rows(stack.gateway, """
        SELECT m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE c.channel = :channel AND c.external_id = :external_id AND m.author = 'system'
        AND (m.text LIKE '就诊提醒%' OR m.text LIKE '预授权结果%') ORDER BY m.id""",
                                             channel=channel, external_id=external_id)]


def conversations(stack: Stack, external_id: str) -> list:
    return gateway_rows(stack.gateway, "SELECT id FROM conversations WHERE external_id = :e",
                        e=external_id)


def templates(stack: Stack, openid: str) -> list:
    return [e for e in stack.sim.inbox(openid) if e.get("msgtype") == "template"]


# ------------------------------------------------------------------ visits


def test_a_visit_tomorrow_is_reminded_once_however_often_the_job_runs(
        stack: Stack, tmp_path: Path) -> None:
    member = add_member(stack, ("web", "rem-web-a"))
    tomorrow = book(stack, member, "2026-11-25")
    later = book(stack, member, "2026-11-26")
    state = tmp_path / "state.json"

    first = run(stack, state)
    assert first.failed is None and first.outcomes["sent"] >= 1
    [reminder] = notices(stack, "web", "rem-web-a")
    assert reminder.startswith("就诊提醒：您明天11月25日（周三）") and tomorrow["reference"] in reminder
    assert later["reference"] not in reminder  # the day after tomorrow: not yet

    assert run(stack, state).outcomes == {}  # the job remembers what it handled
    # Without its memory, the gateway's once per kind + reference + member holds.
    forgetful = run(stack, tmp_path / "lost.json")
    assert forgetful.outcomes["duplicate"] >= 1 and "sent" not in forgetful.outcomes
    assert notices(stack, "web", "rem-web-a") == [reminder]

    # The next day, the visit of the day after (now tomorrow's) gets its reminder.
    run(stack, state, when="2026-11-25T10:30:00")
    texts = notices(stack, "web", "rem-web-a")
    assert len(texts) == 2 and later["reference"] in texts[1]


def test_no_reminder_before_ten_in_the_night_or_for_a_cancelled_visit(
        stack: Stack, tmp_path: Path) -> None:
    kept, dropped = add_member(stack, ("web", "rem-web-b")), add_member(stack, ("web", "rem-web-c"))
    visit = book(stack, kept, "2026-11-25")
    cancelled = book(stack, dropped, "2026-11-25")
    assert stack.api.post(f"/v1/appointments/{cancelled['id']}/cancel",
                          {"member_id": dropped["id"]}).status_code == 200
    state = tmp_path / "state.json"

    assert run(stack, state, when="2026-11-24T09:30:00").outcomes.get("sent", 0) == 0
    assert notices(stack, "web", "rem-web-b") == []  # 09:30: decisions only
    night = run(stack, state, when="2026-11-24T22:00:00")
    assert night.quiet
    assert notices(stack, "web", "rem-web-b") == []

    run(stack, state, when="2026-11-24T10:00:00")
    assert [visit["reference"] in t for t in notices(stack, "web", "rem-web-b")] == [True]
    assert notices(stack, "web", "rem-web-c") == [] and not conversations(stack, "rem-web-c")


# ------------------------------------------------------------------ decisions


def test_a_preauth_decision_is_told_once_as_a_template_on_wechat(
        stack: Stack, tmp_path: Path) -> None:
    member = stack.api.member("demo-preauth")
    [case] = stack.api.get(f"/v1/members/{member['id']}/preauth-cases").json()["preauth_cases"]
    stack.sim.add_member("oDEMO_preauth")  # a follower who has not written: no window
    state = tmp_path / "state.json"
    run(stack, state)
    assert templates(stack, "oDEMO_preauth") == []  # under review: nothing to tell

    decided = stack.api.post(f"/v1/preauth-cases/{case['reference']}/status",
                             {"status": "approved", "note": "化疗方案同意"})
    assert decided.status_code == 200
    report = run(stack, state)
    assert report.outcomes["sent"] == 1
    [sent] = templates(stack, "oDEMO_preauth")
    assert sent["template_id"] == DECISION_TEMPLATE
    assert sent["data"]["keyword1"]["value"] == case["reference"]
    assert sent["data"]["keyword2"]["value"] == "已通过"
    [told] = notices(stack, "wechat", "oDEMO_preauth")
    assert told.startswith("预授权结果：") and "已审核通过" in told
    assert "化疗" not in told  # neither the treatment nor the reviewer's note
    assert notices(stack, "web", "demo-preauth") == []  # one identity is enough

    assert run(stack, state).outcomes == {}
    run(stack, tmp_path / "lost.json")
    assert len(templates(stack, "oDEMO_preauth")) == 1
    assert len(notices(stack, "wechat", "oDEMO_preauth")) == 1


# ------------------------------------------------------------------ unfollow


def test_a_wechat_member_who_unfollowed_gets_nothing_and_the_job_goes_on(
        stack: Stack, tmp_path: Path) -> None:
    openid = "oREM_leaving"
    member = add_member(stack, ("wechat", openid))
    stack.sim.follow(openid)
    assert wait_for(lambda: stack.sim.inbox(openid))  # the welcome
    book(stack, member, "2026-11-25", department="dermatology")
    stack.sim.unfollow(openid)
    lookup = f"{stack.backends.url}/v1/members/lookup"
    params = {"channel": "wechat", "external_id": openid}
    assert wait_for(lambda: requests.get(lookup, params=params, headers=stack.backends.headers(),
                                         timeout=10).status_code == 404)
    shown = len(stack.sim.inbox(openid))
    state = tmp_path / "state.json"

    report = run(stack, state)  # the backends no longer list the openid
    assert report.failed is None and report.outcomes["no_channel"] >= 1
    assert len(stack.sim.inbox(openid)) == shown and not conversations(stack, openid)

    # The unlink never reached the backends (they were down as the member left): the
    # openid is listed again, and the gateway still refuses it.
    linked = stack.api.post("/v1/members/link", {"channel": "wechat", "external_id": openid,
                                                 "policy_number": member["policy_number"],
                                                 "phone_last4": member["phone_last4"]})
    assert linked.status_code == 201, linked.text
    report = run(stack, tmp_path / "lost.json")
    assert report.failed is None and report.outcomes["departed"] == 1
    assert len(stack.sim.inbox(openid)) == shown and not conversations(stack, openid)
    assert run(stack, tmp_path / "lost.json").outcomes == {}  # handled: not tried again

    # Following again makes the member reachable again.
    stack.sim.follow(openid)
    assert wait_for(lambda: conversations(stack, openid))
    again = requests.post(f"{stack.gateway.url}/api/v1/notifications", timeout=30,
                          headers={"Authorization": f"Bearer {API_TOKEN}"},
                          json={"channel": "wechat", "external_id": openid,
                                "kind": "appointment_reminder", "reference": "manual-1",
                                "text": "就诊提醒：测试"})
    assert again.status_code == 202, again.text


def test_the_gateway_refuses_a_notice_to_an_unfollowed_openid_and_stores_nothing(
        stack: Stack) -> None:
    openid = "oREM_gone"
    stack.sim.follow(openid)
    assert wait_for(lambda: conversations(stack, openid))
    stack.sim.unfollow(openid)
    assert wait_for(lambda: not conversations(stack, openid))
    answer = requests.post(f"{stack.gateway.url}/api/v1/notifications", timeout=30,
                           headers={"Authorization": f"Bearer {API_TOKEN}"},
                           json={"channel": "wechat", "external_id": openid,
                                 "kind": "preauth_result", "reference": "YS0:approved",
                                 "text": "预授权结果：测试"})
    assert answer.status_code == 410 and answer.json()["error"]["code"] == "departed"
    assert not conversations(stack, openid)
    assert not gateway_rows(stack.gateway, "SELECT id FROM channel_events WHERE "
                                           "external_id = :o", o=openid)


# ------------------------------------------------------------------ faults


def test_a_service_down_loses_nothing_and_sends_nothing_twice(
        stack: Stack, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    member = add_member(stack, ("web", "rem-web-e"))
    visit = book(stack, member, "2026-11-25", department="ent")
    state = tmp_path / "state.json"
    closed = f"http://127.0.0.1:{free_port()}"

    down = run(stack, state, backends_url=closed)
    assert down.failed == "backends" and not state.exists()
    down = run(stack, state, gateway_url=closed)
    assert down.failed == "gateway" and notices(stack, "web", "rem-web-e") == []
    assert json.loads(state.read_text())["decided_mark"] is None  # read again next run

    back = run(stack, state)
    assert back.failed is None
    [reminder] = notices(stack, "web", "rem-web-e")
    assert visit["reference"] in reminder
    assert run(stack, state).outcomes == {}
    assert notices(stack, "web", "rem-web-e") == [reminder]
    assert json.loads(state.read_text())["decided_mark"] == "2026-11-24T10:00:00+08:00"
    # Logs name kinds, references and channels, never who or what was said.
    logged = caplog.text
    assert visit["reference"] in logged and "unavailable" in logged
    for personal in ("rem-web-", "oREM_", "oDEMO_", "测试会员", "就诊提醒：", "预授权结果："):
        assert personal not in logged


# ------------------------------------------------------------------ the command line


def command_env(stack: Stack, state: Path, **extra: str) -> Dict[str, str]:
    return {**os.environ, "HM_NOW": "2026-11-24T10:45:00+08:00",
            "HM_GATEWAY_URL": stack.gateway.url, "HM_GATEWAY_API_TOKEN": API_TOKEN,
            "HM_BACKENDS_URL": stack.backends.url, "HM_BACKENDS_TOKEN": stack.backends.token,
            "HM_REMINDERS_STATE": str(state), **extra}


def test_the_command_runs_once_and_says_what_is_missing(stack: Stack, tmp_path: Path) -> None:
    member = add_member(stack, ("web", "rem-web-f"))
    book(stack, member, "2026-11-25", department="ent")
    state = tmp_path / "state.json"
    done = subprocess.run([sys.executable, "-m", "bot.reminders"], cwd=ROOT, timeout=60,
                          env=command_env(stack, state), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "notices:" in done.stderr and len(notices(stack, "web", "rem-web-f")) == 1
    assert state.stat().st_mode & 0o077 == 0  # private, like every file under var/

    unset = command_env(stack, state, HM_GATEWAY_API_TOKEN="")
    refused = subprocess.run([sys.executable, "-m", "bot.reminders"], cwd=ROOT, timeout=60,
                             env=unset, capture_output=True, text=True)
    assert refused.returncode == 2 and "HM_GATEWAY_API_TOKEN" in refused.stderr
    assert stack.backends.token not in refused.stderr + done.stderr
    assert API_TOKEN not in refused.stderr + done.stderr


def test_every_period_the_job_runs_again_and_still_reminds_once(
        stack: Stack, tmp_path: Path) -> None:
    member = add_member(stack, ("web", "rem-web-g"))
    book(stack, member, "2026-11-25", department="stomatology")
    state = tmp_path / "state.json"
    log = tmp_path / "reminders.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "bot.reminders", "--every", "1s"],
                                   cwd=ROOT, env=command_env(stack, state), stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert wait_for(lambda: log.read_text().count("notices:") >= 3, timeout=60), \
            log.read_text()
        assert process.poll() is None  # still serving its schedule
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
    assert len(notices(stack, "web", "rem-web-g")) == 1
