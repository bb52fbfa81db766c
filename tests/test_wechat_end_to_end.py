"""WeChat end to end: a simulated WeChat (bot/wechat_simulator: its own crypto, the
documented windows, quotas and errors) posts members' messages to a real gateway in safe
mode, in front of the real Rasa, action server and backends; the bot's and the managers'
replies come back through the simulator's customer-service API.

Covers: follow and welcome, a bot answer, a retry storm giving one Rasa turn and one
reply, the 5-message quota with the outbox and its release, a handoff answered by a
manager, 满意度 after hand back answered with a digit, busy answers retried, 45047 held,
45009 stopping with an operator alert, a timeout never resent, photos downloaded for the
managers, numbered quick replies, service notices as template messages, unfollow purging
everything, and (on a stack of its own, since it moves WeChat's clock) the 48-hour window
and the token expiring."""
from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Iterator, List

import pytest
import requests
from sqlalchemy import create_engine, text

from bot.wechat_simulator import WeChatSimulator
from bot.processes import local_secret
from tests.conftest import (
    TEST_NOW,
    Backends,
    GatewayProcess,
    start_gateway,
    wait_for,
)

TOKEN = "e2e-wechat-token"
APP_ID = "wx5e2e0000000000aa"
SECRET = "e2e-app-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
API_TOKEN = "e2e-gateway-api-token"
REMINDER_TEMPLATE = "TPL_appointment_reminder_01"
NOW = datetime.fromisoformat(TEST_NOW).timestamp()
# A real PNG: 1×1 pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101004b8f2c6b0000000049454e44ae426082")


def start_stack(name: str, rasa_url: str, backends: Backends, **overrides) -> tuple:
    sim = WeChatSimulator(app_id=APP_ID, app_secret=SECRET, token=TOKEN, mode="safe",
                          encoding_aes_key=AES_KEY, now=NOW,
                          template_ids=(REMINDER_TEMPLATE,))
    sim.start()
    env = {"HM_WECHAT_TOKEN": TOKEN, "HM_WECHAT_APPID": APP_ID, "HM_WECHAT_MODE": "safe",
           "HM_WECHAT_AES_KEY": AES_KEY, "HM_WECHAT_APPSECRET": SECRET,
           "HM_WECHAT_API_BASE": sim.url, "HM_WECHAT_API_TIMEOUT": "1",
           "HM_WECHAT_RETRY_BACKOFF": "0.05", "HM_WECHAT_TYPING_AFTER": "0",
           "HM_WECHAT_TEMPLATES": f'{{"appointment_reminder": "{REMINDER_TEMPLATE}"}}',
           "HM_GATEWAY_API_TOKEN": API_TOKEN, **overrides}
    gateway = start_gateway(name, rasa_url, backends, env=env)
    sim.callback_url = f"{gateway.url}/wechat"
    return sim, gateway


@pytest.fixture(scope="module")
def stack(rasa_server, conversation_backends: Backends) -> Iterator[tuple]:
    sim, gateway = start_stack("gateway-wechat-e2e", rasa_server.url, conversation_backends)
    yield sim, gateway
    gateway.server.stop()
    sim.stop()


def rows(gateway: GatewayProcess, sql: str, **params) -> list:
    engine = create_engine(gateway.db_url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(sql), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def texts(sim: WeChatSimulator, openid: str) -> List[str]:
    return [entry["text"]["content"] for entry in sim.inbox(openid)
            if entry.get("msgtype") == "text"]



def settle(sim: WeChatSimulator, openid: str, quiet: float = 0.8, timeout: float = 30.0,
           first: float = 10.0) -> list:
    """The inbox once nothing new has arrived for `quiet` seconds, after something new
    arrived (or `first` seconds passed with nothing): a loaded machine may take longer
    than `quiet` to answer at all."""
    started = time.monotonic()
    deadline = started + timeout
    initial = len(sim.inbox(openid))
    seen, since = initial, started
    while time.monotonic() < deadline:
        count = len(sim.inbox(openid))
        if count != seen:
            seen, since = count, time.monotonic()
        elif (seen != initial or time.monotonic() - started >= first) \
                and time.monotonic() - since >= quiet:
            break
        time.sleep(0.05)
    return texts(sim, openid)


def delivery_states(gateway: GatewayProcess, openid: str) -> list:
    return [tuple(r) for r in rows(gateway, """
        SELECT m.delivery_state, m.delivery_error FROM messages m
        JOIN conversations c ON c.id = m.conversation_id
        WHERE c.external_id = :openid AND m.direction = 'out' ORDER BY m.id""",
                                          openid=openid)]


def conversation_id(gateway: GatewayProcess, openid: str) -> int:
    return rows(gateway, "SELECT id FROM conversations WHERE external_id = :o", o=openid)[0][0]


def claimed_by_wang(sim: WeChatSimulator, gateway: GatewayProcess, openid: str,
                    asks: str = "我要找人工客服") -> tuple:
    """A new follower asks for a person and 王芳 claims the conversation: (her console
    session, the conversation's console path, what the member read before the claim)."""
    sim.add_member(openid)
    sim.send_text(openid, asks)
    said = settle(sim, openid)
    wang = gateway.console("wang")
    path = f"/console/conversations/{conversation_id(gateway, openid)}"
    assert wang.post(path + "/claim").json()["ok"]
    return wang, path, said


def calls(sim: WeChatSimulator, path: str) -> list:
    return [c for c in sim.calls if c.path.endswith(path)]


# ------------------------------------------------------------------ the bot

def test_a_follower_is_welcomed_and_the_bot_answers_through_the_api(stack) -> None:
    sim, gateway = stack
    sim.follow("oE2E_follow")
    welcome = wait_for(lambda: texts(sim, "oE2E_follow"))
    assert welcome and "欢迎关注" in welcome[0] and "绑定保单" in welcome[0]

    assert sim.send_text("oE2E_follow", "直付是什么意思").outcome == "accepted"
    answers = wait_for(lambda: texts(sim, "oE2E_follow")[1:])
    assert answers and "直付" in "".join(answers)
    states = wait_for(lambda: all(s == "sent" for s, _ in delivery_states(
        gateway, "oE2E_follow")) and delivery_states(gateway, "oE2E_follow"))
    assert states and {s for s, _ in states} == {"sent"}
    # Every reply fitted WeChat's rules: nothing came back 45002 (length) or 45008.
    assert all(c.errcode == 0 for c in calls(sim, "message/custom/send"))
    # The typing indicator was asked for while the bot worked.
    assert calls(sim, "message/custom/typing")


def test_a_retry_storm_gives_one_rasa_turn_and_one_reply(stack, rasa_server) -> None:
    sim, gateway = stack
    sim.add_member("oE2E_storm")
    first = sim.send_text("oE2E_storm", "你好")  # a first message, so the storm is the second
    assert first.outcome == "accepted"
    baseline = len(settle(sim, "oE2E_storm"))
    storm = sim.deliver({"ToUserName": "gh_5e1a7ed0c0de", "FromUserName": "oE2E_storm",
                         "CreateTime": int(sim.now()), "MsgType": "text",
                         "Content": "理赔需要什么材料", "MsgId": 7788990011223344556},
                        force_deliveries=4, concurrent=True)
    assert [a.status for a in storm.attempts] == [200] * 4
    after = settle(sim, "oE2E_storm")
    stored = rows(gateway, """SELECT COUNT(*) FROM messages m JOIN conversations c
        ON c.id = m.conversation_id WHERE c.external_id = 'oE2E_storm'
        AND m.text = '理赔需要什么材料'""")
    assert stored[0][0] == 1
    tracker = requests.get(f"{rasa_server.url}/conversations/wechat:oE2E_storm/tracker",
                           params={"token": local_secret("HM_RASA_TOKEN")}, timeout=10).json()
    turns = [e for e in tracker["events"] if e.get("event") == "user"
             and e.get("text") == "理赔需要什么材料"]
    assert len(turns) == 1
    replies_to_storm = after[baseline:]
    assert replies_to_storm and "理赔" in "".join(replies_to_storm)
    # One turn's answer, not four: sent once per reply.
    assert len(replies_to_storm) == len(set(replies_to_storm))


def test_a_digit_answers_the_numbered_quick_replies(stack) -> None:
    sim, gateway = stack
    openid = "oDEMO_ready"  # a seeded member whose openid is linked to her policy
    sim.add_member(openid)
    sim.send_text(openid, "明天上午")  # information with no request: "what for?"
    offered = settle(sim, openid)
    assert offered and "1. 预约就诊" in offered[-1] and "回复数字" in offered[-1]
    sim.send_text(openid, "1")
    answer = settle(sim, openid)[len(offered):]
    assert answer and any("医院" in t for t in answer)
    understood = rows(gateway, """SELECT m.intent FROM messages m JOIN conversations c
        ON c.id = m.conversation_id WHERE c.external_id = :o AND m.text = '1'""", o=openid)
    assert understood[0][0] == "book_appointment"


# ------------------------------------------------------------------ managers and the quota

def test_the_quota_keeps_the_rest_in_the_outbox_until_the_member_writes(stack) -> None:
    sim, gateway = stack
    openid = "oE2E_quota"
    wang, path, handoff = claimed_by_wang(sim, gateway, openid)
    assert any("管家" in t for t in handoff)
    for n in range(1, 8):
        assert wang.post(path + "/reply", {"text": f"第{n}条说明"}).json()["ok"]
    shown = settle(sim, openid)
    window = sim.window(openid)
    assert window["used"] == window["quota"] == 5
    # The last message the window allows says how to get what follows.
    assert len(shown) == 5 and "回复任意内容" in shown[-1]
    held = [s for s, _ in delivery_states(gateway, openid) if s == "held"]
    assert held
    # The manager sees which replies wait.
    transcript = wang.conversation(conversation_id(gateway, openid))["messages"]
    assert any(m.get("delivery_state") == "held" for m in transcript)
    assert not any(c.errcode == 45047 for c in calls(sim, "message/custom/send"))

    sim.send_text(openid, "继续")
    released = settle(sim, openid)[len(shown):]
    assert "第7条说明" in "".join(released)
    assert [s for s, _ in delivery_states(gateway, openid) if s == "held"] == []
    routed = rows(gateway, """SELECT m.routed_to FROM messages m JOIN conversations c
        ON c.id = m.conversation_id WHERE c.external_id = :o AND m.text = '继续'""", o=openid)
    assert routed[0][0] == "outbox"


def test_after_hand_back_the_member_rates_the_manager_with_a_digit(stack) -> None:
    """满意度 on WeChat: once the manager hands back, the survey comes as numbered lines;
    the member's digit is the gateway's to record and thank for (never a bot turn), and
    the rating is the manager's in the console's statistics."""
    sim, gateway = stack
    openid = "oE2E_rating"
    wang, path, _ = claimed_by_wang(sim, gateway, openid)
    cid = conversation_id(gateway, openid)
    sim.send_text(openid, "直付卡在哪里看")          # to the manager; a new reply window
    assert wang.post(path + "/reply", {"text": "在公众号菜单“我的保单”里就能看到。"}).json()["ok"]
    before = len(settle(sim, openid))
    assert wang.post(path + "/handback").json()["ok"]
    said = settle(sim, openid)[before:]
    survey = [t for t in said if "本次管家服务您满意吗" in t]
    assert survey and survey[-1].endswith(
        "回复数字即可选择：\n1. 非常满意\n2. 满意\n3. 一般\n4. 不满意\n5. 非常不满意"), said

    assert sim.send_text(openid, "2").outcome == "accepted"
    assert settle(sim, openid)[before + len(said):] == ["感谢您的评价！有需要随时找我们。"]
    assert [tuple(r) for r in rows(gateway, """SELECT s.rating, s.comment, u.display_name
        FROM surveys s JOIN users u ON u.id = s.manager_id WHERE s.conversation_id = :c""",
                                   c=cid)] == [(2, None, "王芳")]
    assert [tuple(r) for r in rows(gateway, """SELECT routed_to FROM messages
        WHERE conversation_id = :c AND direction = 'in' AND text = '2'""", c=cid)] == \
        [("survey",)]
    page = wang.get("/console/satisfaction").text
    table = page[page.index('id="satisfaction-table"'):]
    # 王芳: asked 1, answered 1, average 2.00.
    assert re.findall(r"<td>王芳</td><td>(\d+)</td><td>(\d+)</td>\s*<td>([^<]+)</td>",
                      table) == [("1", "1", "2.00")]


def test_busy_answers_are_retried_and_45047_holds(stack) -> None:
    sim, gateway = stack
    openid = "oE2E_busy"
    sim.add_member(openid)
    sim.fail_next("custom/send", errcode=-1, times=2)
    sim.send_text(openid, "直付卡怎么用")
    answer = settle(sim, openid)
    assert answer and len(answer) == len(set(answer))
    assert [c.errcode for c in calls(sim, "message/custom/send")
            if (c.body or {}).get("touser") == openid][:3] == [-1, -1, 0]

    sim.fail_next("custom/send", errcode=45047)
    sim.send_text(openid, "网络医院有哪些")
    wait_for(lambda: any(s == "held" for s, _ in delivery_states(gateway, openid)))
    assert any(e and "待发送" in e for s, e in delivery_states(gateway, openid) if s == "held")
    before = len(texts(sim, openid))
    sim.send_text(openid, "继续")
    assert len(settle(sim, openid)) > before
    assert not any(s == "held" for s, _ in delivery_states(gateway, openid))


def test_a_timeout_after_sending_is_never_resent(stack) -> None:
    sim, gateway = stack
    openid = "oE2E_timeout"
    sim.add_member(openid)
    sim.delay_next("custom/send", 1.5)  # past HM_WECHAT_API_TIMEOUT=1, after delivering
    sim.send_text(openid, "理赔怎么申请")
    wait_for(lambda: any(s == "uncertain" for s, _ in delivery_states(gateway, openid)))
    sent = [c for c in calls(sim, "message/custom/send") if (c.body or {}).get("touser") == openid]
    first = sent[0].body["text"]["content"]
    assert sum(1 for c in sent if c.body["text"]["content"] == first) == 1
    assert any(e and "可能" in e for s, e in delivery_states(gateway, openid) if s == "uncertain")


def test_the_daily_quota_stops_sending_and_alerts_an_operator(stack) -> None:
    sim, gateway = stack
    openid = "oE2E_daily"
    sim.add_member(openid)
    sim.fail_next("custom/send", errcode=45009)
    sim.send_text(openid, "服务时间是几点")
    alert = wait_for(lambda: rows(gateway, "SELECT id, detail FROM operator_alerts WHERE "
                                           "kind = 'daily_quota' AND resolved_at IS NULL"))
    assert alert and "45009" in alert[0][1]
    assert wait_for(lambda: any(s == "held" for s, _ in delivery_states(gateway, openid)))
    # Until an operator resolves it (or the day ends), nothing more goes out.
    count = len(calls(sim, "message/custom/send"))
    sim.send_text(openid, "继续")
    time.sleep(1.0)
    assert len(calls(sim, "message/custom/send")) == count
    rows(gateway, "UPDATE operator_alerts SET resolved_at = created_at WHERE kind = 'daily_quota'")
    sim.send_text(openid, "继续")
    assert wait_for(lambda: not any(s == "held" for s, _ in delivery_states(gateway, openid)))


# ------------------------------------------------------------------ media, notices, unfollow

def test_a_photo_is_downloaded_for_the_managers(stack) -> None:
    sim, gateway = stack
    openid = "oE2E_photo"
    sim.add_member(openid)
    sim.send_image(openid, data=PNG, content_type="image/png")
    stored = wait_for(lambda: rows(gateway, """SELECT md.state, md.content_type, md.data,
        m.text FROM media md JOIN messages m ON m.id = md.message_id
        JOIN conversations c ON c.id = md.conversation_id WHERE c.external_id = :o
        AND md.state = 'stored'""", o=openid))
    assert stored and stored[0][1] == "image/png" and bytes(stored[0][2]) == PNG
    assert stored[0][3].startswith("[图片]")
    assert any("图片" in t for t in settle(sim, openid))


def test_a_notice_outside_the_window_goes_as_a_template_once(stack) -> None:
    sim, gateway = stack
    openid = "oE2E_notice"
    sim.add_member(openid)  # a follower who has not written: no window
    notice = {"channel": "wechat", "external_id": openid, "kind": "appointment_reminder",
              "reference": "APT-20261125-0001",
              "text": "就诊提醒：您明天09:00在华山医院皮肤科有预约，请携带身份证。",
              "template_data": {"thing1": "华山医院皮肤科", "time2": "2026-11-25 09:00"}}
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    answer = requests.post(f"{gateway.url}/api/v1/notifications", json=notice,
                           headers=headers, timeout=30)
    assert answer.status_code == 202 and answer.json()["delivery_state"] == "sent"
    again = requests.post(f"{gateway.url}/api/v1/notifications", json=notice,
                          headers=headers, timeout=30)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    templates = [e for e in sim.inbox(openid) if e.get("msgtype") == "template"]
    assert len(templates) == 1 and templates[0]["template_id"] == REMINDER_TEMPLATE
    assert templates[0]["data"]["thing1"]["value"] == "华山医院皮肤科"
    assert requests.post(f"{gateway.url}/api/v1/notifications", json=notice,
                         timeout=30).status_code == 401
    unconfigured = dict(notice, kind="preauth_result", reference="PA-1")
    answer = requests.post(f"{gateway.url}/api/v1/notifications", json=unconfigured,
                           headers=headers, timeout=30)
    assert answer.json()["delivery_state"] == "undeliverable"
    assert "模板" in answer.json()["delivery_error"]
    bad = requests.post(f"{gateway.url}/api/v1/notifications", headers=headers, timeout=30,
                        json=dict(notice, kind="marketing"))
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "kind"


def test_a_follower_links_the_policy_and_an_unfollow_purges_everything(
        stack, rasa_server, conversation_backends: Backends) -> None:
    sim, gateway = stack
    openid = "oE2E_leaving"
    sim.follow(openid)
    settle(sim, openid)
    for text_ in ("绑定保单", "ZAHM2026000002", "0002"):
        sim.send_text(openid, text_)
        said = settle(sim, openid)
    assert "绑定成功" in said[-1] or "已绑定" in said[-1]
    assert "ZAHM2026000002" not in "".join(said)  # never echoed in full
    # The gateway learnt the link from the action: the console shows the profile now.
    assert rows(gateway, "SELECT member_id FROM conversations WHERE external_id = :o",
                o=openid)[0][0] is not None
    lookup = f"{conversation_backends.url}/v1/members/lookup"
    auth = {"Authorization": f"Bearer {conversation_backends.token}"}
    params = {"channel": "wechat", "external_id": openid}
    assert requests.get(lookup, params=params, headers=auth, timeout=10).status_code == 200

    sim.unfollow(openid)
    assert wait_for(lambda: not rows(gateway, "SELECT id FROM conversations WHERE "
                                              "external_id = :o", o=openid))

    def forgotten():
        tracker = requests.get(f"{rasa_server.url}/conversations/wechat:{openid}/tracker",
                               params={"token": local_secret("HM_RASA_TOKEN")}, timeout=10).json()
        return not [e for e in tracker["events"] if e.get("event") == "user"]
    assert wait_for(forgotten)
    assert wait_for(lambda: requests.get(lookup, params=params, headers=auth,
                                         timeout=10).status_code == 404)


# ------------------------------------------------------------------ WeChat's clock moves

def test_after_48_hours_replies_are_undeliverable_and_the_token_is_fetched_again(
        rasa_server, conversation_backends: Backends) -> None:
    sim, gateway = start_stack("gateway-wechat-48h", rasa_server.url, conversation_backends)
    try:
        openid = "oE2E_late"
        wang, _, _ = claimed_by_wang(sim, gateway, openid, "我要人工")
        cid = conversation_id(gateway, openid)
        settle(sim, openid)
        tokens = len(calls(sim, "stable_token"))
        assert tokens == 1
        sim.advance(48 * 3600 + 60)  # the window and the 2-hour token have both passed
        assert wang.post(f"/console/conversations/{cid}/reply",
                         {"text": "抱歉回复晚了"}).json()["ok"]
        states = wait_for(lambda: [s for s in delivery_states(gateway, openid)
                                   if s[0] == "undeliverable"])
        assert states and "48小时" in states[-1][1]
        # 42001 on the expired token: fetched again once, the call retried once.
        assert len(calls(sim, "stable_token")) == 2
        assert [c.errcode for c in calls(sim, "message/custom/send")][-2:] == [42001, 45015]
        view = wang.conversation(cid)["messages"][-1]
        assert view["delivery_state"] == "undeliverable" and "48小时" in view["delivery_error"]
    finally:
        gateway.server.stop()
        sim.stop()
