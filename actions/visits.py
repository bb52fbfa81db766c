"""Finding a bookable visit for what the member asked (hospital, department, doctor,
a Chinese time expression), shared by booking and rescheduling."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Dict, List, Mapping, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.backend import (
    buttons, client, utter_backend_down, utter_refused, verified_member_id,
)
from bot import wording
from bot.choices import parse_choice
from bot.clients import BackendRefused, BackendUnavailable
from bot.clock import SHANGHAI

SLOT_MINUTES = 30
ALTERNATIVES = 4


def booking_window(value: Mapping[str, Any]) -> Tuple[datetime, datetime]:
    """The window in which a slot's start must fall: a day or half day as said; a point
    in time ("下午3点", "9点半") means the half-hour slot that contains it."""
    start = datetime.fromisoformat(value["start"]).astimezone(SHANGHAI)
    if value.get("end"):
        return start, datetime.fromisoformat(value["end"]).astimezone(SHANGHAI)
    floor = start.replace(minute=start.minute - start.minute % SLOT_MINUTES, second=0,
                          microsecond=0)
    return floor, floor + timedelta(minutes=SLOT_MINUTES)


# Words that name a day (明天, 周三, 12号, 下个月 ...); a time said without one, at a
# summary or after a proposed visit, keeps the day already on the table.
_NAMES_A_DAY = re.compile(r"今|明|后天|昨|前天|周|星期|礼拜|号|日|月|年|天|节|元旦|春节|国庆|[0-9]+[./-][0-9]+")


def keep_the_day(time_value: Mapping[str, Any], proposed: Optional[Mapping[str, Any]]
                 ) -> Mapping[str, Any]:
    """改到四点吧 at the summary of a visit on 12月3日 means 12月3日 16:00, not today: a time
    of day said alone moves to the day of the visit already proposed."""
    if (not proposed or not proposed.get("start") or not time_value.get("start")
            or _NAMES_A_DAY.search(str(time_value.get("text") or ""))):
        return time_value
    day = datetime.fromisoformat(proposed["start"]).astimezone(SHANGHAI).date()
    start = datetime.fromisoformat(time_value["start"]).astimezone(SHANGHAI)
    shift = timedelta(days=(day - start.date()).days)
    if not shift:
        return time_value
    end = time_value.get("end")
    return {**time_value, "start": (start + shift).isoformat(),
            "end": (datetime.fromisoformat(end) + shift).isoformat() if end else None}


# A correction that names the old value too (医院换成华山吧 瑞金太远了, 不去瑞金了 换华山):
# the value after a change verb, or the one not refused, is the new one.
_CHANGE_TO = re.compile(r"(?:换成|改成|改到|换到|改去|换去|换|改|还是|就)$")
_REFUSED_AFTER = re.compile(r"^(?:医院|科|的)?(?:太远|太贵|太难约|不要|不去|不行|不好|算了|排不上|约不上)")
_REFUSED_BEFORE = re.compile(r"(?:不要|不去|别约|不约|不想去)$")


def corrected_value(tracker: Tracker, entity: Text, value: Any) -> Any:
    """The new value among several the latest message names for `entity`; `value` (the
    last, as Rasa takes it) when there is only one or nothing tells them apart."""
    latest = tracker.latest_message or {}
    text = latest.get("text") or ""
    found = sorted((e for e in latest.get("entities") or []
                    if e.get("entity") == entity and isinstance(e.get("start"), int)),
                   key=lambda e: e["start"])
    if len(found) < 2:
        return value
    for e in found:
        if _CHANGE_TO.search(text[max(0, e["start"] - 3):e["start"]]):
            return e.get("value")
    kept = [e for e in found if not _REFUSED_AFTER.search(text[e["end"]:e["end"] + 4])
            and not _REFUSED_BEFORE.search(text[max(0, e["start"] - 3):e["start"]])]
    return kept[-1].get("value") if len(kept) == 1 else value


def slot_as_time(slot: Mapping[str, Any]) -> Dict[str, Any]:
    """A picked slot written back into the `time` slot's format."""
    return {"start": slot["start"], "end": None, "grain": "minute",
            "text": wording.slot_label(slot)}


def pick_offered(tracker: Tracker, offered_slot: Text = "offered_slots") -> Optional[Dict]:
    """The offered option the member's latest message picks ("2", "第一个"), if any."""
    offered = tracker.get_slot(offered_slot) or []
    index = parse_choice((tracker.latest_message or {}).get("text") or "", len(offered))
    return offered[index] if index is not None else None


async def find_visit(
    dispatcher: CollectingDispatcher,
    time_value: Any,
    *,
    tracker: Tracker,
    hospital_id: str,
    department_id: str,
    doctor_id: Optional[int] = None,
    accidental_injury: bool = False,
) -> Dict[Text, Any]:
    """Slot values after checking the asked time with the backends: the slot when it
    can be booked, otherwise the reason said and the alternatives offered."""
    if not isinstance(time_value, Mapping) or not time_value.get("start"):
        dispatcher.utter_message(response="utter_ask_time_again")
        return {"time": None}
    time_value = keep_the_day(time_value, tracker.get_slot("visit_slot"))
    start, end = booking_window(time_value)
    try:
        member_id = await verified_member_id(tracker)
        answer = await client().availability(
            member_id=member_id, hospital_id=hospital_id, department_id=department_id,
            doctor_id=doctor_id, start=start.isoformat(), end=end.isoformat(),
            accidental_injury=accidental_injury, limit=ALTERNATIVES,
        )
    except BackendUnavailable:
        utter_backend_down(dispatcher)
        return {"time": None}
    except BackendRefused as refused:
        utter_refused(dispatcher, refused)
        return {"time": None}
    if answer.get("available") and answer.get("slot"):
        slot = dict(answer["slot"])
        if answer.get("message"):
            slot["kept_back"] = answer["message"]    # why not the window's first times
        return {"time": time_value, "visit_slot": slot, "offered_slots": None}
    return offer_alternatives(dispatcher, answer)


def offer_alternatives(dispatcher: CollectingDispatcher, answer: Mapping[str, Any]
                       ) -> Dict[Text, Any]:
    # The backends rank by nearness to the asked time; members read a list in time order.
    alternatives: List[Dict[str, Any]] = sorted(answer.get("alternatives") or [],
                                                key=lambda slot: slot["start"])
    reason = answer.get("message") or ""
    if alternatives:
        labels = [wording.slot_label(slot) for slot in alternatives]
        dispatcher.utter_message(
            response="utter_visit_alternatives", reason=reason,
            options=wording.numbered(labels),
            buttons=buttons(labels, [str(i) for i in range(1, len(labels) + 1)]),
        )
    else:
        others = [hospital["name"] for hospital in answer.get("other_hospitals") or []]
        if others:
            dispatcher.utter_message(response="utter_visit_other_hospitals", reason=reason,
                                     hospitals="、".join(others[:5]))
        else:
            dispatcher.utter_message(response="utter_visit_none", reason=reason)
    return {"time": None, "visit_slot": None, "offered_slots": alternatives or None}


async def resolve_hospital(dispatcher: CollectingDispatcher, value: Any) -> Dict[Text, Any]:
    """The network hospital the member's words name: one → its canonical name and id;
    several (人民医院) → ask which; none → say so."""
    if not value:
        return {"hospital": None, "hospital_id": None}
    try:
        found = await client().hospitals(str(value))
    except BackendUnavailable:
        utter_backend_down(dispatcher)
        return {"hospital": None, "hospital_id": None}
    except BackendRefused as refused:
        utter_refused(dispatcher, refused)
        return {"hospital": None, "hospital_id": None}
    if len(found) == 1:
        return {"hospital": found[0]["name"], "hospital_id": found[0]["id"]}
    if not found:
        dispatcher.utter_message(response="utter_hospital_not_in_network", hospital=str(value))
    else:
        names = [hospital["name"] for hospital in found[:6]]
        dispatcher.utter_message(response="utter_which_hospital", hospital=str(value),
                                 options=wording.numbered(names), buttons=buttons(names))
    return {"hospital": None, "hospital_id": None}


TIME_PROMPTS = {"booking_form": "utter_ask_visit_time", "change_form": "utter_ask_new_time",
                "preauth_form": "utter_ask_planned_date"}


class ActionAskTime(Action):
    """Asks for the time in any form, except right after numbered alternatives were
    offered: that message already asked."""

    def name(self) -> Text:
        return "action_ask_time"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        form = (tracker.active_loop or {}).get("name")
        if form != "preauth_form" and tracker.get_slot("offered_slots"):
            return []
        dispatcher.utter_message(response=TIME_PROMPTS.get(form, "utter_ask_visit_time"))
        return []
