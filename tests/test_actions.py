"""The custom actions' own logic, without servers."""
from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.availability import utter_who_is_available
from actions.fallback import consecutive_misses
from bot.clock import SHANGHAI


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize("now, response, extra", [
    (at(10), "utter_hours_managers_open", {}),
    (at(8, 30), "utter_hours_managers_open", {}),
    (at(8, 29), "utter_hours_call_center_only", {"manager_reopen": "今天08:30"}),
    (at(20, 30), "utter_hours_call_center_only", {"manager_reopen": "明天08:30"}),
    (at(21, 59), "utter_hours_call_center_only", {"manager_reopen": "明天08:30"}),
    (at(22), "utter_hours_all_closed",
     {"manager_reopen": "明天08:30", "call_center_reopen": "明天08:00"}),
    (at(3), "utter_hours_all_closed",
     {"manager_reopen": "今天08:30", "call_center_reopen": "今天08:00"}),
])
def test_who_is_available_follows_both_timetables(now, response, extra):
    dispatcher = CollectingDispatcher()
    utter_who_is_available(dispatcher, now)
    [message] = dispatcher.messages
    assert message["response"] == response
    for key, value in extra.items():
        assert message[key] == value


def user(intent: str) -> dict:
    return {"event": "user", "parse_data": {"intent": {"name": intent}}}


@pytest.mark.parametrize("events, expected", [
    ([user("greet"), user("nlu_fallback")], 1),
    ([user("nlu_fallback"), {"event": "action"}, user("nlu_fallback")], 2),
    ([user("nlu_fallback"), user("greet"), user("nlu_fallback")], 1),
    ([user("greet")], 0),
    ([], 0),
])
def test_consecutive_misses_count_only_the_latest_run(events, expected):
    assert consecutive_misses(events) == expected


# ------------------------------------------------------------------ the emergency's start
@pytest.mark.parametrize("text, expected", [
    ("昨晚11点进的急诊", "2026-12-02T23:00"),
    ("今天早上我爸胸口疼 6点进的急诊", "2026-12-03T06:00"),     # the day part pinned by the clock
    ("6点进的急诊", "2026-12-03T06:00"),                         # its latest occurrence, not 18:00
    ("晚上8点送过去的", "2026-12-02T20:00"),                     # 晚上 keeps it in the evening
    ("两小时前进的急诊", "2026-12-03T08:00"),
    ("我爸胸口疼得厉害", "2026-12-03T10:00"),                    # no time said: now
    ("下周三", "2026-12-03T10:00"),                              # the future is not a start
    ("上个月住的院", "2026-12-03T10:00"),                        # beyond a week: another episode
    ("俺娘今早起来说话不利索", "2026-12-03T10:00"),               # when it began, not treatment
    ("早上6点开始胸口疼 现在还疼", "2026-12-03T10:00"),
])
def test_treatment_starts_when_the_member_says(text: str, expected: str) -> None:
    from actions.emergency import treatment_start

    now = datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)
    assert treatment_start(text, now).isoformat()[:16] == expected


# ------------------------------------------------------------------ a time said alone
@pytest.mark.parametrize("text, start", [
    ("改到四点吧", "2026-12-03T16:00"),       # the proposed visit's day, at four
    ("9点半", "2026-12-03T09:30"),
    ("下午", "2026-12-03T13:00"),
    ("明天四点", "2026-11-25T16:00"),         # a day said is kept
    ("12月5号下午3点", "2026-12-05T15:00"),
])
def test_a_time_said_alone_keeps_the_day_on_the_table(text, start):
    from actions.visits import keep_the_day
    from bot.timeparse import resolve_booking_time

    now = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
    value = resolve_booking_time(text, now).to_dict()
    moved = keep_the_day(value, {"start": "2026-12-03T09:00:00+08:00"})
    assert moved["start"][:16] == start
    assert keep_the_day(value, None) == value


def test_asking_which_appointment_again_says_how_to_choose_and_how_to_leave():
    from rasa_sdk import Tracker

    from actions.appointments import ActionAskChangeFormAppointment

    offered = [{"id": 1, "start": "2026-11-27T09:00:00+08:00", "reference": "YY1", "status": "booked",
                "slot": {"hospital": {"name": "瑞金医院"}, "department": {"name": "消化内科"},
                         "start": "2026-11-27T09:00:00+08:00"}},
               {"id": 2, "start": "2026-11-30T14:00:00+08:00", "reference": "YY2", "status": "booked",
                "slot": {"hospital": {"name": "仁济医院"}, "department": {"name": "心内科"},
                         "start": "2026-11-30T14:00:00+08:00"}}]

    def asked(events):
        tracker = Tracker("s", {"offered_appointments": offered, "change_kind": "cancel"},
                          {"text": "确认取消", "intent": {"name": "affirm"}}, events, False,
                          None, {"name": "change_form"}, "action_listen")
        dispatcher = CollectingDispatcher()
        asyncio.run(ActionAskChangeFormAppointment().run(dispatcher, tracker, {}))
        return dispatcher.messages[0]["response"]

    start = {"event": "action", "name": "action_start_change"}
    ask = {"event": "action", "name": "action_ask_appointment"}
    assert asked([start]) == "utter_which_appointment"
    assert asked([start, ask, {"event": "user", "text": "确认取消"}]) == "utter_which_appointment_again"
    assert asked([ask, start]) == "utter_which_appointment"      # a new change starts afresh


@pytest.mark.parametrize("text, spans, new", [
    ("医院换成华山吧 瑞金太远了", [("华山", 4), ("瑞金", 8)], "华山"),
    ("不去瑞金了 换华山", [("瑞金", 2), ("华山", 7)], "华山"),
    ("瑞金太远了 华山吧", [("瑞金", 0), ("华山", 6)], "华山"),
    ("华山和瑞金都行", [("华山", 0), ("瑞金", 3)], "瑞金"),       # nothing tells them apart: the last
])
def test_a_correction_naming_the_old_value_too_takes_the_new_one(text, spans, new):
    from rasa_sdk import Tracker

    from actions.visits import corrected_value

    entities = [{"entity": "hospital", "value": v, "start": s, "end": s + len(v)} for v, s in spans]
    tracker = Tracker("s", {}, {"text": text, "entities": entities}, [], False, None, None,
                      "action_listen")
    assert corrected_value(tracker, "hospital", spans[-1][0]) == new
