"""Booking, changes, pre-authorisation and linking a policy end to end: the trained test
model through Rasa's REST channel, the real action server, and the real backends with
their seeded demo members. The clock is frozen at Tuesday 2026-11-24 10:00
(tests/conftest.py).

Each test speaks as a demo member (or a new WeChat follower) through the metadata, as
the gateway does, with its own conversation id; tests that book use their own hospital
or day so they stay independent."""
from __future__ import annotations

import uuid
from typing import List

import pytest

from bot.processes import Server
from tests.conftest import Backends
from tests.rest import get, handoffs, post, send

pytestmark = pytest.mark.slow


class Member:
    """One member's conversation with the assistant."""

    def __init__(self, rasa: Server, member: str, channel: str = "web") -> None:
        self.rasa = rasa
        self.member = member
        self.channel = channel
        self.sender = uuid.uuid4().hex
        self.last_buttons: List[dict] = []
        self.last_text = ""

    def says(self, text: str) -> str:
        replies = send(self.rasa, text, self.sender, self.member, self.channel)
        self.last_buttons = [b for r in replies for b in r.get("buttons") or []]
        self.last_text = "\n".join(r.get("text", "") for r in replies)
        return self.last_text


class BackendsApi:
    """What the backends recorded, read over their API."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends

    def _get(self, path: str):
        return get(self.backends.url + path, self.backends.headers())

    def member(self, web_id: str) -> dict:
        return self._get(f"/v1/members/lookup?channel=web&external_id={web_id}")

    def appointments(self, member_id: int) -> list:
        return self._get(f"/v1/members/{member_id}/appointments?scope=all")["appointments"]

    def profile(self, web_id: str) -> dict:
        return self._get(f"/v1/members/{self.member(web_id)['id']}/profile")


@pytest.fixture()
def backends_api(conversation_backends: Backends) -> BackendsApi:
    return BackendsApi(conversation_backends)


@pytest.fixture()
def ready(rasa_server: Server) -> Member:
    return Member(rasa_server, "demo-ready")


def test_a_booking_said_at_once_is_summarised_confirmed_and_made_once(ready, backends_api):
    summary = ready.says("麻烦帮我约瑞金医院皮肤科，11月26号上午9点的")
    assert "请核对预约信息" in summary
    assert "瑞金医院" in summary and "皮肤科" in summary and "11月26日（周四）09:00" in summary
    done = ready.says("确认")
    assert "已为您约好" in done and "预约编号：YY" in done
    assert "电子直付卡" in done and "有效证件" in done and "08:50" in done
    again = ready.says("确认")  # a second yes books nothing more
    assert "已为您约好" not in again
    member = backends_api.member("demo-ready")
    booked = [a for a in backends_api.appointments(member["id"])
              if a["start"].startswith("2026-11-26T09:00")]
    assert len(booked) == 1


def test_a_sunday_clinic_that_does_not_exist_gets_a_correction_and_alternatives(ready):
    reply = ready.says("约瑞金皮肤科 11月29日上午")  # a Sunday
    assert "周日" in reply and "皮肤科" in reply
    assert "1." in reply  # numbered alternatives
    summary = ready.says("1")
    assert "请核对预约信息" in summary
    assert ready.says("先不约了")


def test_a_booking_step_by_step_asks_which_hospital_when_the_name_is_ambiguous(ready):
    assert "哪家医院" in ready.says("我想预约看病")
    assert "有好几家" in ready.says("人民医院")
    assert "哪个科室" in ready.says("瑞金")
    assert "哪天" in ready.says("皮肤科")
    summary = ready.says("12月1日下午")
    assert "请核对预约信息" in summary and "12月1日（周二）" in summary
    assert "（12月1日下午最早的号）" in summary      # no clock said: the half-day's earliest
    assert "先不约" in ready.says("不约了") or "不约了" in ready.says("不约了")


def test_a_rolling_window_is_searched_from_now_not_from_next_monday(ready):
    summary = ready.says("帮我约瑞金医院皮肤科 未来两周哪天都行")
    assert "请核对预约信息" in summary and "11月25日（周三）" in summary   # this week, not 11月30日
    assert "提前1个工作日" in summary and "热门专家" not in summary     # today's times: the rule
    assert ready.says("不约了")


def test_too_soon_is_explained_and_an_injury_is_exempt(rasa_server):
    member = Member(rasa_server, "demo-ready")
    reply = member.says("约华山医院骨科 今天下午3点")
    assert "提前1个工作日" in reply
    injured = Member(rasa_server, "demo-ready")
    reply = injured.says("我打球扭伤脚了，想约华山医院骨科今天下午3点")
    assert "意外伤害" in reply and "请核对预约信息" in reply


def test_a_member_in_the_waiting_period_is_told_until_when(rasa_server):
    reply = Member(rasa_server, "demo-waiting").says("帮我约瑞金皮肤科")
    assert "等待期" in reply and "月" in reply
    assert "请核对" not in reply


def test_a_question_about_the_waiting_period_gets_the_members_own_date(rasa_server):
    reply = Member(rasa_server, "demo-waiting").says("我的等待期啥时候过")
    assert "等待期" in reply and "月" in reply and "起" in reply
    reply = Member(rasa_server, "demo-ready").says("等待期什么时候结束")
    assert "等待期已经结束" in reply


def test_questions_about_deadlines_get_the_rule_not_the_request(ready):
    assert "提前1天" in ready.says("预约最晚啥时候能取消")
    own = Member(ready.rasa, "demo-preauth").says("我那个号最晚啥时候能取消")
    assert "提前1天" in own and "前取消或改期" in own          # its own deadline
    assert "2个工作日" in Member(ready.rasa, "demo-preauth").says("预授权批下来一般要几天")


def test_bookings_are_for_the_insured_person_only(ready):
    reply = ready.says("帮我妈约一下阜外医院的心内科")
    assert "被保险人本人" in reply


def test_my_appointments_and_cancelling_one_of_several(rasa_server, backends_api):
    member = Member(rasa_server, "demo-noshow")
    listing = member.says("我约了哪些号")
    assert listing.count("编号") == 2
    ask = member.says("取消预约")
    assert "要取消哪一个" in ask and "2." in ask
    confirm = member.says("2")
    assert "确定要取消" in confirm
    assert "已为您取消" in member.says("确认")
    profile = backends_api.profile("demo-noshow")
    assert sum(a["status"] == "cancelled" for a in profile["appointments"]) == 1


def test_rescheduling_the_only_appointment(rasa_server):
    member = Member(rasa_server, "demo-preauth")
    assert "改到哪天" in member.says("我想改约")
    summary = member.says("12月3日上午")
    assert "原来" in summary and "12月3日（周四）" in summary
    assert "已为您改约" in member.says("确认")


def test_leaving_a_change_to_start_a_preauth_application(rasa_server):
    member = Member(rasa_server, "demo-preauth")
    assert "改到哪天" in member.says("我想改约")
    switched = member.says("先不改了 帮我申请个预授权 化疗")
    assert "改约" not in switched and "哪家医院" in switched


def test_does_a_treatment_need_preauthorisation(ready):
    assert "需要预授权" in ready.says("化疗要预授权吗")
    assert "多少钱" in ready.says("做个核磁要预授权吗")
    assert "需要预授权" in ready.says("大概1万2")
    unknown = send(ready.rasa, "拔火罐要预授权吗", ready.sender, ready.member)
    assert "健康管家" in unknown[0]["text"]
    assert handoffs(unknown) == [{"reason": "preauth_unknown", "priority": 1}]


def test_a_preauth_application_with_its_deadline_and_too_close_warning(ready, backends_api):
    assert "什么治疗" in ready.says("我要申请预授权")
    assert "哪家医院" in ready.says("化疗")
    assert "哪天" in ready.says("复旦大学附属肿瘤医院")
    assert "都齐了" in ready.says("明天")
    summary = ready.says("1 3 4")
    assert "请核对预授权申请" in summary
    done = ready.says("确认")
    assert "预授权申请已提交" in done and "编号：YS" in done
    assert "2个工作日" in done
    assert "住院单" in done or "处方" in done  # what is still missing
    cases = backends_api.profile("demo-ready")["preauth_cases"]
    assert any(c["category"] == "chemotherapy" and c["status"] == "submitted" for c in cases)


def test_preauth_status(rasa_server):
    reply = Member(rasa_server, "demo-preauth").says("我的预授权审批到哪一步了")
    assert "审核中" in reply and "编号" in reply


def test_an_emergency_is_recorded_after_the_120_message(rasa_server, backends_api):
    member = Member(rasa_server, "demo-ready")
    replies = send(rasa_server, "我突然说话不利索 半边身子没劲", member.sender,
                   "demo-ready")
    texts = [r.get("text", "") for r in replies]
    assert "120" in texts[0]
    recorded = [t for t in texts if "紧急就医" in t and "编号" in t]
    assert recorded and texts.index(recorded[0]) > 0
    notices = backends_api.profile("demo-ready")["emergency_notifications"]
    assert notices and notices[0]["deadline"].startswith("2026-11-26T10:00")


def test_an_emergency_in_the_middle_of_a_booking_gets_120_and_ends_the_form(ready):
    assert "哪个科室" in ready.says("帮我约瑞金医院")
    reply = ready.says("等一下 我妈突然晕倒了叫不醒")
    assert reply.startswith("⚠️") and "120" in reply.split("\n")[0]
    assert "哪个科室" not in reply
    assert "请核对" not in ready.says("皮肤科")  # the booking form is gone


def test_asking_for_a_person_in_the_middle_of_a_booking_ends_the_form(ready):
    assert "哪个科室" in ready.says("我要预约华山医院")
    replies = send(ready.rasa, "转人工", ready.sender, ready.member)
    assert handoffs(replies) == [{"reason": "request_human", "priority": 1}]
    assert not any("哪个科室" in r.get("text", "") for r in replies)


def test_a_named_doctor_is_found_by_surname_and_title(ready):
    reply = ready.says("想约瑞金皮肤科陈主任的号 11月27日上午")
    assert "陈欣" in reply  # the seeded 主任医师 陈欣, a popular expert
    assert "请核对" in ready.says("1") and "热门专家" in ready.last_text


def test_a_window_partly_inside_the_experts_week_books_after_it_and_the_summary_says_why(ready):
    summary = ready.says("约瑞金皮肤科陈欣医生 11月25日到12月5日")   # his week ends 11-30
    assert "请核对" in summary and "陈欣" in summary
    assert "热门专家" in summary and "1周" in summary


def test_an_unknown_doctor_falls_back_to_the_clinic_and_says_so(ready):
    reply = ready.says("约瑞金皮肤科张主任 12月2日上午")
    assert "没有找到张主任" in reply and "特需门诊（不指定医生）" in reply


# ------------------------------------------------------------------ linking a policy


def follower(rasa: Server) -> Member:
    """A new WeChat follower: an openid the backends link to nobody yet."""
    return Member(rasa, f"oTEST_{uuid.uuid4().hex[:16]}", channel="wechat")


def test_a_new_follower_links_step_by_step_and_then_gets_personal_answers(rasa_server):
    member = follower(rasa_server)
    assert "绑定保单" in member.says("我的预约")  # unlinked: told how to link
    assert "电子保单" in member.says("绑定保单")
    assert "没认出保单号" in member.says("123")
    assert "后四位" in member.says("ZAHM2026000002")  # demo-waiting, 林晓
    assert "4位数字" in member.says("02")
    done = member.says("0002")
    assert "绑定成功" in done and "林*" in done and "ZAHM******0002" in done
    assert "ZAHM2026000002" not in done and "林晓" not in done
    assert "没有待就诊的直付预约" in member.says("我的预约")
    assert "等待期" in member.says("帮我约瑞金皮肤科")
    already = member.says("绑定保单")
    assert "已经绑定了林*的保单" in already and "后四位" not in already


def test_one_message_with_both_factors_links_at_once(rasa_server):
    member = follower(rasa_server)
    done = member.says("绑定保单 保单号ZAHM2026000003 手机尾号0003")
    assert "绑定成功" in done and "王*" in done
    assert "编号" in member.says("我约了哪些号")


def test_wrong_digits_say_the_tries_left_then_lock_with_the_call_centre(rasa_server):
    member = follower(rasa_server)
    replies = [member.says("绑定保单 ZAHM2026000001 手机尾号1111") for _ in range(6)]
    for reply, left in zip(replies, (4, 3, 2, 1)):
        assert f"还可以再试{left}次" in reply and "绑定保单" in reply
    assert "验证次数已用完" in replies[4] and "952299" in replies[4]
    assert "锁定" in replies[5] and "11月25日（周三）10:00" in replies[5]
    assert "952299" in replies[5] and "健康管家" in replies[5]
    assert not any("ZAHM2026000001" in reply for reply in replies)
    assert "锁定" in member.says("绑定保单 ZAHM2026000001 手机尾号0001")  # even the right ones


def test_saying_no_while_linking_ends_the_form(rasa_server):
    member = follower(rasa_server)
    assert "保单号" in member.says("我要绑定保单")
    assert "先不绑定" in member.says("算了 不绑了")
    assert "绑定成功" not in member.says("0002")


def test_an_emergency_while_linking_gets_120_first(rasa_server):
    member = follower(rasa_server)
    assert "保单号" in member.says("绑定保单")
    reply = member.says("等一下 我妈突然晕倒了叫不醒")
    assert reply.startswith("⚠️") and "120" in reply.split("\n")[0]
    assert "没认出保单号" not in reply and "ZA开头" not in reply
