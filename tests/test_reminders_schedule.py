"""The reminders job's pure parts: when notices go out, what makes a notice the same one,
where it is sent first (bot/reminders/schedule.py), and what members read
(bot/reminders/messages.py), by table."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import pytest

from bot.clock import SHANGHAI
from bot.gateway.notifications import MAX_FIELD, MAX_TEXT
from bot.reminders import messages, schedule


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


VISIT = {
    "reference": "YY2611240007", "member_id": 3, "status": "confirmed",
    "start": "2026-11-25T14:00:00+08:00", "end": "2026-11-25T14:30:00+08:00",
    "arrive_by": "2026-11-25T13:50:00+08:00", "change_by": "2026-11-24T14:00:00+08:00",
    "hospital": {"id": "ruijin", "name": "瑞金医院", "unit": "特需医疗中心", "city": "上海"},
    "department": {"id": "dermatology", "name": "皮肤科"},
    "doctor": {"id": 7, "name": "江燕", "title": "主任医师", "hospital_id": "ruijin",
               "department_id": "dermatology", "popular": False},
    "channels": [{"channel": "web", "external_id": "demo-x"},
                 {"channel": "wechat", "external_id": "oX"}],
}
DECISION = {
    "reference": "YS2611230001", "member_id": 4, "status": "approved", "status_label": "已通过",
    "decided_at": "2026-11-24T10:00:00+08:00",
    "hospital": {"id": "fd_cancer", "name": "复旦大学附属肿瘤医院", "unit": "特需", "city": "上海"},
    "planned_date": "2026-11-28", "channels": [],
}


@pytest.mark.parametrize("now, notify, day", [
    ("2026-11-24T07:59:59", False, None),   # the night: nobody is woken
    ("2026-11-24T08:00:00", True, None),    # decisions from 08:00
    ("2026-11-24T09:59:59", True, None),    # reminders not yet
    ("2026-11-24T10:00:00", True, date(2026, 11, 25)),
    ("2026-11-24T20:59:59", True, date(2026, 11, 25)),
    ("2026-11-24T21:00:00", False, None),
    ("2026-12-31T15:00:00", True, date(2027, 1, 1)),
])
def test_notices_go_out_by_day_and_reminders_from_ten_the_day_before(
        now: str, notify: bool, day: Optional[date]) -> None:
    assert schedule.may_notify(at(now)) is notify
    assert schedule.reminder_day(at(now)) == day


def test_decisions_are_read_from_the_last_read_with_an_overlap_or_a_day_back() -> None:
    now = at("2026-11-24T10:30:00")
    assert schedule.decided_since(None, now) == at("2026-11-23T10:20:00")
    assert schedule.decided_since(at("2026-11-24T10:15:00"), now) == at("2026-11-24T10:05:00")


def test_a_visit_moved_to_another_time_is_another_reminder_and_a_decision_is_one() -> None:
    moved = {**VISIT, "start": "2026-11-25T15:00:00+08:00"}
    assert schedule.key(schedule.REMINDER, VISIT) != schedule.key(schedule.REMINDER, moved)
    assert schedule.reference(schedule.REMINDER, VISIT) == "YY2611240007@2026-11-25T14:00:00+08:00"
    assert schedule.reference(schedule.DECISION, DECISION) == "YS2611230001:approved"


def test_wechat_is_tried_first_then_the_web_chat_then_the_rest_in_their_order() -> None:
    listed = [{"channel": "web", "external_id": "w"}, {"channel": "app", "external_id": "a"},
              {"channel": "wechat", "external_id": "o1"}, {"channel": "wechat", "external_id": "o2"}]
    assert schedule.identities(listed) == [("wechat", "o1"), ("wechat", "o2"), ("web", "w"),
                                           ("app", "a")]
    assert schedule.identities([]) == []


def test_the_reminder_says_when_where_what_to_bring_and_how_to_change_it_in_time() -> None:
    text = messages.appointment_reminder(VISIT, at("2026-11-24T10:00:00"))
    assert text.startswith("就诊提醒：您明天11月25日（周三）14:00在瑞金医院皮肤科（江燕 主任医师）有预约")
    assert "YY2611240007" in text and "请在13:50前到达" in text
    assert "电子直付卡" in text and "有效证件" in text
    assert "如需取消或改约，请在今天14:00前回复「取消预约」或「改约」" in text


def test_past_the_change_deadline_the_reminder_asks_to_say_so_as_soon_as_possible() -> None:
    general_clinic = {**VISIT, "doctor": None, "start": "2026-11-25T09:00:00+08:00",
                      "arrive_by": "2026-11-25T08:50:00+08:00",
                      "change_by": "2026-11-24T09:00:00+08:00"}
    text = messages.appointment_reminder(general_clinic, at("2026-11-24T10:00:00"))
    assert "09:00在瑞金医院皮肤科有预约" in text  # no doctor named for the general clinic
    assert "请尽快回复「取消预约」或「改约」" in text and "前回复" not in text


@pytest.mark.parametrize("status, said, unsaid", [
    ("approved", ["已审核通过", "不代表全额赔付", "转人工"], ["未通过"]),
    ("declined", ["未通过审核", "转人工", "952299"], ["已审核通过"]),
])
def test_a_decision_names_the_case_not_the_treatment(status: str, said: list,
                                                     unsaid: list) -> None:
    text = messages.preauth_result({**DECISION, "status": status}, at("2026-11-24T10:00:00"))
    assert text.startswith("预授权结果：您的预授权申请（编号YS2611230001，"
                           "计划11月28日（周六）在复旦大学附属肿瘤医院治疗）")
    assert all(s in text for s in said) and not any(s in text for s in unsaid)


def test_a_case_planned_next_year_says_the_year_and_one_without_a_hospital_none() -> None:
    text = messages.preauth_result({**DECISION, "planned_date": "2027-01-05", "hospital": None},
                                   at("2026-12-30T10:00:00"))
    assert "计划2027年1月5日（周二）治疗）" in text


@pytest.mark.parametrize("kind, item", [(schedule.REMINDER, VISIT),
                                        (schedule.DECISION, DECISION)])
def test_notices_fit_the_gateway_and_wechat_without_markdown(kind: str, item: dict) -> None:
    text = messages.notice_text(kind, item, at("2026-11-24T10:00:00"))
    assert len(text) <= MAX_TEXT and "|" not in text and "**" not in text and "#" not in text
    data = messages.template_data(kind, item)
    assert data and all(isinstance(v, str) and 0 < len(v) <= MAX_FIELD for v in data.values())
