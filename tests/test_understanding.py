"""Issue 12 through Rasa's REST channel (the suite's trained model, the real action server
and backends, Tuesday 2026-11-24 10:00) and through the gateway: health questions reach a
manager, the three triage levels, one emergency notice per episode for the insured
person, the crisis path, whole requests, leaving, warnings before the yes, answers to the
point, the welcome. Phrases written for these tests, not taken from the held-out sets."""
from __future__ import annotations

from datetime import datetime

import pytest

from bot.clock import SHANGHAI
from tests.conftest import gateway_rows
from tests.rest import handoffs, send
from tests.test_conversations import BackendsApi, Member

pytestmark = pytest.mark.slow


def reasons(replies) -> list:
    return [h["reason"] for h in handoffs(replies)]


@pytest.fixture()
def backends_api(conversation_backends) -> BackendsApi:
    return BackendsApi(conversation_backends)


def notices(backends_api: BackendsApi, web_id: str) -> int:
    member = backends_api.member(web_id)
    return len(backends_api._get(f"/v1/members/{member['id']}/emergency-notifications")[
        "emergency_notifications"])


# ------------------------------------------------------------------ the three levels


def test_a_health_question_goes_to_a_manager_with_a_safety_line(rasa_server):
    member = Member(rasa_server, "demo-ready")
    replies = send(rasa_server, "我妈降压药吃了五六年了 最近早上起来头有点晕 要不要换药",
                   member.sender, member.member)
    text = "\n".join(r.get("text") or "" for r in replies)
    assert "120" in text and "请立即拨打120急救电话" not in text
    assert "健康管家" in text
    assert reasons(replies) == ["health"]
    assert handoffs(replies)[0]["summary"].startswith("我妈降压药")


def test_a_same_day_case_is_told_to_go_today_not_120(rasa_server):
    member = Member(rasa_server, "demo-ready")
    replies = send(rasa_server, "下楼梯把脚崴了 脚踝肿起来了 还能走", member.sender, member.member)
    text = "\n".join(r.get("text") or "" for r in replies)
    assert "今天" in text and "请立即拨打120急救电话" not in text
    assert reasons(replies) == ["urgent_care"]


def test_an_emergency_now_gets_120_first_and_one_notice_per_episode(rasa_server, backends_api):
    member = Member(rasa_server, "demo-noshow")
    before = notices(backends_api, "demo-noshow")
    first = send(rasa_server, "我突然胸口压着疼 左胳膊发麻 一直出冷汗", member.sender, member.member)
    assert "120" in first[0]["text"]
    assert reasons(first) == ["emergency"]
    assert notices(backends_api, "demo-noshow") == before + 1
    again = send(rasa_server, "救护车已经叫了 还没到", member.sender, member.member)
    text = "\n".join(r.get("text") or "" for r in again)
    assert "120" in text and "原始发票" not in text          # the short follow-up only
    assert "保持电话畅通" in text and "如果还没有打120" not in text   # heard: help is coming
    assert notices(backends_api, "demo-noshow") == before + 1  # still one notice


def test_a_relatives_emergency_asks_who_the_patient_is_before_any_notice(rasa_server,
                                                                          backends_api):
    member = Member(rasa_server, "demo-preauth")
    before = notices(backends_api, "demo-preauth")
    first = member.says("我老公突然说不出话 嘴也歪了")
    assert "120" in first and "被保险人本人" in first
    assert notices(backends_api, "demo-preauth") == before
    member.says("是我老公 他没买你们的保险")
    assert notices(backends_api, "demo-preauth") == before


def test_self_harm_gets_the_crisis_path_only(rasa_server, backends_api):
    member = Member(rasa_server, "demo-waiting")
    before = notices(backends_api, "demo-waiting")
    replies = send(rasa_server, "活着太累了 不想活了", member.sender, member.member)
    text = "\n".join(r.get("text") or "" for r in replies)
    assert "12356" in text and "发票" not in text and "48小时" not in text
    assert reasons(replies) == ["crisis"]
    later = send(rasa_server, "朋友已经帮我打了120", member.sender, member.member)
    assert "发票" not in "\n".join(r.get("text") or "" for r in later)
    assert notices(backends_api, "demo-waiting") == before


def test_a_past_event_is_a_question_not_an_emergency(rasa_server):
    replies = send(rasa_server, "我爸前年脑梗过 现在说话还有点慢 平时要注意什么")
    assert "请立即拨打120急救电话" not in (replies[0].get("text") or "")


# ------------------------------------------------------------------ whole requests


def test_a_whole_booking_request_reaches_the_summary_in_one_go(rasa_server):
    member = Member(rasa_server, "demo-ready")
    summary = member.says("帮我约12月9号下午两点 华山医院 皮肤科")
    assert "请核对预约信息" in summary and "华山医院" in summary and "12月9日" in summary
    assert "好的" in member.says("算了 不约了") or "不约" in member.last_text


def test_rescheduling_with_the_time_first_does_not_crash(rasa_server):
    member = Member(rasa_server, "demo-noshow")
    first = member.says("我想把预约改到12月8号上午")
    assert first.strip()
    second = member.says("2")
    assert second.strip()          # an answer, whatever the slot of that morning


APPOINTMENTS = [
    {"id": 1, "start": "2026-11-27T09:00:00+08:00",
     "slot": {"hospital": {"id": "ruijin", "name": "瑞金医院"},
              "department": {"id": "gastroenterology", "name": "消化内科"}}},
    {"id": 2, "start": "2026-11-30T14:00:00+08:00",
     "slot": {"hospital": {"id": "renji", "name": "仁济医院"},
              "department": {"id": "cardiology", "name": "心内科"}}},
]


@pytest.mark.parametrize("text, picked", [
    ("仁济那个", 2), ("瑞金的", 1), ("心内科的", 2), ("周五那个", 1), ("下周一下午那个", 2),
    ("心内科那个 改到12月3号上午", 2), ("明天那个", None), ("都取消", None), ("2", None),
    ("仁济那个号", 2), ("瑞金那个", 1),       # a hospital by its core name
])
def test_an_appointment_is_picked_by_description(text, picked):
    from actions.appointments import pick_by_description

    now = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
    found = pick_by_description(text, APPOINTMENTS, now)
    assert (found or {}).get("id") == picked


def test_a_new_time_at_the_change_summary_corrects_the_change(rasa_server):
    member = Member(rasa_server, "demo-preauth")
    assert "改到哪天" in member.says("我想改约")
    assert "原来" in member.says("12月3日上午")
    corrected = member.says("还是改到12月4号上午吧")
    assert corrected.strip() and "改到哪天" not in corrected and "哪一个" not in corrected
    assert "12月4日" in corrected


def test_the_appointment_just_made_is_picked_among_several_that_fit():
    from actions.appointments import pick_by_description

    now = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
    renji = APPOINTMENTS[1]["slot"]
    two_at_renji = [
        {**APPOINTMENTS[1], "id": 3, "created_at": "2026-11-20T09:00:00+08:00"},
        {**APPOINTMENTS[1], "id": 4, "start": "2026-12-02T09:00:00+08:00", "slot": renji,
         "created_at": "2026-11-24T09:58:00+08:00"},
    ]
    assert pick_by_description("仁济那个", two_at_renji, now) is None       # two fit: ask
    assert pick_by_description("刚才仁济那个", two_at_renji, now)["id"] == 4
    assert pick_by_description("刚约的那个", two_at_renji, now)["id"] == 4


def test_the_late_change_warning_comes_before_the_yes(rasa_server):
    member = Member(rasa_server, "demo-ready")
    assert "请核对预约信息" in member.says("我打球扭伤脚了 想约华山医院骨科今天下午3点")
    assert "已为您约好" in member.says("确认")
    summary = member.says("今天华山骨科那个帮我取消")
    assert "不足24小时" in summary and "确定要取消" in summary
    done = member.says("确认")
    assert "已取消" in done or "取消" in done
    assert "不足24小时" not in done        # said once, before the yes


def test_a_question_at_the_summary_is_answered_and_the_yes_still_books(rasa_server):
    member = Member(rasa_server, "demo-ready")
    assert "请核对预约信息" in member.says("帮我约12月10号下午两点 华山医院 皮肤科")
    answered = member.says("预授权审批要多久")
    assert "2个工作日" in answered and "请核对预约信息" in answered     # the summary again
    assert "已为您约好" in member.says("确认")
    assert "确定要取消" in member.says("12月10号华山皮肤科那个帮我取消")
    assert "取消" in member.says("确认")


def test_a_question_in_the_middle_of_a_form_is_answered_and_the_form_goes_on(rasa_server):
    member = Member(rasa_server, "demo-preauth")
    assert "哪家医院" in member.says("我想约个号") or "医院" in member.last_text
    answered = member.says("理赔怎么申请")
    assert "理赔" in answered and "医院" in answered.split("理赔")[-1]   # then asked again


def test_a_question_about_a_visit_gets_its_point(rasa_server):
    member = Member(rasa_server, "demo-noshow")
    reply = member.says("看病那天要提前多久到医院")
    assert "5–10分钟" in reply and "直付卡" not in reply and "就诊须知" in reply
    late = member.says("我可能要迟到 怎么办")
    assert "提前1天" in late and "1次爽约记录" in late


def test_a_pinyin_slip_in_the_services_words_is_understood(rasa_server):
    assert "理赔说明" in send(rasa_server, "理陪怎么弄")[0]["text"]


def test_the_welcome_offers_numbered_choices(rasa_server):
    replies = send(rasa_server, "在吗")
    assert "智能健康管家助手" in replies[0]["text"]
    assert [b["title"] for b in replies[0]["buttons"]][-1] == "找健康管家"


# ------------------------------------------------------------------ through the gateway


def test_a_health_question_through_the_gateway_queues_for_a_manager(gateway_server):
    member = gateway_server.member()
    answer = member.say("体检报告写肝功能转氨酶偏高 要紧吗")
    texts = [r["text"] for r in answer["replies"]]
    assert any("健康管家" in t for t in texts)
    (reason,) = gateway_rows(gateway_server,
                             "SELECT reason FROM handoffs WHERE conversation_id = :c",
                             c=member.conversation_id)[0]
    assert reason == "health"
