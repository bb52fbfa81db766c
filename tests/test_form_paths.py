"""Every form through the trained model and the REST channel, in every order of its
details and with every way out at every step (issue 12, "no dead ends"): the member may
give the details in any order, leave (算了, 不用了), ask for a person, report an emergency,
or ask a question and come back, at any point, and always gets an answer that fits.

The crash-freedom of every action on every combination of slots is
tests/test_form_state_space.py; this is the member's side of the same promise."""
from __future__ import annotations

from itertools import permutations
from typing import Callable, Dict, List

import pytest

from tests.test_conversations import Member

pytestmark = pytest.mark.slow

BOOKING_ASKS = {"hospital": "哪家医院", "department": "哪个科室", "time": "哪天"}
BOOKING_DETAILS = {"hospital": "华山医院", "department": "皮肤科", "time": "12月9号下午两点"}
BOOKING_SUMMARY = "请核对预约信息"
PREAUTH_STEPS = [("化疗", "哪家医院"), ("复旦大学附属肿瘤医院", "哪天"), ("下周一", "都齐了"),
                 ("都齐了", "请核对预授权申请")]


def leaves(reply: str) -> bool:
    return bool(reply.strip()) and not any(ask in reply for ask in (*BOOKING_ASKS.values(),
                                                                  "哪一个", "改到哪天",
                                                                  "什么治疗"))


# Each way out: what the member says, and what the reply must show.
EXITS: Dict[str, Callable[[str], bool]] = {
    "算了": leaves,
    "不用了": leaves,
    "找人工": lambda reply: "管家" in reply,
    "我爸胸口疼得厉害 一直出冷汗": lambda reply: "120" in reply,
}


@pytest.mark.parametrize("order", list(permutations(BOOKING_DETAILS)),
                         ids=lambda order: "-".join(order))
def test_a_booking_takes_its_details_in_any_order(rasa_server, order):
    member = Member(rasa_server, "demo-ready")
    reply = member.says("我要预约")
    assert BOOKING_ASKS["hospital"] in reply, reply
    for slot in order:
        assert BOOKING_SUMMARY not in reply, reply
        reply = member.says(BOOKING_DETAILS[slot])
    assert BOOKING_SUMMARY in reply and "华山医院" in reply and "12月9日" in reply


def _booking_until(member: Member, step: int) -> str:
    reply = member.says("我要预约")
    for slot in list(BOOKING_DETAILS)[:step]:
        reply = member.says(BOOKING_DETAILS[slot])
    return reply


@pytest.mark.parametrize("step", range(len(BOOKING_DETAILS) + 1),
                         ids=["asked hospital", "asked department", "asked time", "at summary"])
@pytest.mark.parametrize("exit_text", list(EXITS))
def test_every_way_out_of_a_booking_at_every_step(rasa_server, step, exit_text):
    member = Member(rasa_server, "demo-ready")
    _booking_until(member, step)
    reply = member.says(exit_text)
    assert EXITS[exit_text](reply), reply


@pytest.mark.parametrize("step", range(len(BOOKING_DETAILS)),
                         ids=["asked hospital", "asked department", "asked time"])
def test_a_question_in_the_middle_of_a_booking_is_answered_and_the_booking_goes_on(
        rasa_server, step):
    member = Member(rasa_server, "demo-ready")
    _booking_until(member, step)
    answer = member.says("看病要带什么证件")
    assert "证件" in answer
    reply = ""
    for slot in list(BOOKING_DETAILS)[step:]:
        reply = member.says(BOOKING_DETAILS[slot])
    assert BOOKING_SUMMARY in reply


def _book(member: Member, text: str) -> None:
    reply = member.says(text)
    if BOOKING_SUMMARY not in reply:       # taken: the first alternative offered
        reply = member.says("1")
    assert BOOKING_SUMMARY in reply, reply
    assert "已为您约好" in member.says("确认")


@pytest.fixture(scope="module")
def several(rasa_server) -> str:
    """A member with at least two upcoming visits, whatever other modules did to the
    demo members: the change form asks which one."""
    member = Member(rasa_server, "demo-ready")
    _book(member, "帮我约12月16号上午九点 华山医院 眼科")
    _book(Member(rasa_server, "demo-ready"), "帮我约12月17号下午两点 瑞金医院 皮肤科")
    return "demo-ready"


@pytest.mark.parametrize("first", ["appointment", "time"])
def test_a_change_takes_the_appointment_and_the_time_in_either_order(rasa_server, several,
                                                                     first):
    member = Member(rasa_server, several)              # several appointments: it asks which
    if first == "appointment":
        assert "哪一个" in member.says("我想改约")
        assert "改到哪天" in member.says("1")
        summary = member.says("12月8号上午")
    else:
        assert "哪一个" in member.says("我想把预约改到12月8号上午")
        summary = member.says("1")
    assert summary.strip() and "哪一个" not in summary


@pytest.mark.parametrize("step", ["asked which", "asked when"])
@pytest.mark.parametrize("exit_text", list(EXITS))
def test_every_way_out_of_a_change_at_every_step(rasa_server, several, step, exit_text):
    member = Member(rasa_server, several)
    assert "哪一个" in member.says("我想改约")
    if step == "asked when":
        assert "改到哪天" in member.says("1")
    reply = member.says(exit_text)
    assert EXITS[exit_text](reply), reply


@pytest.mark.parametrize("step", range(len(PREAUTH_STEPS) + 1))
@pytest.mark.parametrize("exit_text", list(EXITS))
def test_every_way_out_of_a_preauth_application_at_every_step(rasa_server, step, exit_text):
    member = Member(rasa_server, "demo-ready")
    assert "什么治疗" in member.says("我要申请预授权")
    for text, expected in PREAUTH_STEPS[:step]:
        assert expected in member.says(text)
    reply = member.says(exit_text)
    assert EXITS[exit_text](reply), reply


def test_a_preauth_application_takes_details_given_ahead_of_the_question(rasa_server):
    member = Member(rasa_server, "demo-ready")
    reply = member.says("帮我申请预授权 下周一在复旦大学附属肿瘤医院做化疗")
    assert "都齐了" in reply or "请核对预授权申请" in reply, reply
    replies: List[str] = [member.says("都齐了")]
    assert "请核对预授权申请" in replies[-1]


@pytest.mark.parametrize("leaving", ["先不改了 帮我申请个预授权 化疗",
                                     "先不改了 帮我申请个预授权 下周一复旦大学附属肿瘤医院化疗 材料都有"])
def test_leaving_the_choice_of_appointment_to_start_a_preauth_application(rasa_server, several,
                                                                           leaving):
    member = Member(rasa_server, several)
    assert "哪一个" in member.says("我想改约")
    switched = member.says(leaving)
    assert "哪一个" not in switched and "改约" not in switched
    assert "预授权" in switched or "哪家医院" in switched        # the application has begun


@pytest.mark.parametrize("yes", ["确认取消", "对 取消吧", "取消掉吧"])
def test_saying_cancel_at_the_cancel_summary_is_the_yes(rasa_server, several, yes):
    member = Member(rasa_server, several)
    _book(member, "帮我约12月18号上午十点 龙华医院 中医科")
    summary = member.says("龙华那个帮我取消")
    assert "确定要取消这个预约吗" in summary and "龙华医院" in summary, summary
    done = member.says(yes)
    assert "已为您取消" in done and "龙华医院" in done, done
    assert "龙华医院" not in member.says("我的预约")


def test_cancel_said_at_a_reschedule_summary_cancels_the_same_visit_after_a_yes(rasa_server,
                                                                               several):
    member = Member(rasa_server, several)
    _book(member, "帮我约12月18号下午三点 新华医院 皮肤科")
    summary = member.says("新华那个改到12月21号上午")
    assert "改为" in summary and "新华医院" in summary, summary
    cancel = member.says("算了 还是直接取消吧")
    assert "确定要取消这个预约吗" in cancel and "新华医院" in cancel, cancel
    assert "已为您取消" in member.says("确认")


@pytest.mark.parametrize("correction", ["改到十点吧 九点来不及", "十点吧", "还是上午十点"])
def test_a_time_alone_at_the_booking_summary_keeps_the_day(rasa_server, correction):
    member = Member(rasa_server, "demo-ready")
    summary = member.says("瑞金医院 内分泌科 12月10号上午九点 帮我约一下")
    assert BOOKING_SUMMARY in summary and "12月10日" in summary, summary
    corrected = member.says(correction)
    assert BOOKING_SUMMARY in corrected and "12月10日" in corrected and "10:00" in corrected, \
        corrected
