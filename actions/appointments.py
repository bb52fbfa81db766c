"""A member's appointments: look them up, and cancel or reschedule one (the member picks
which when there are several; a change less than a day ahead is allowed but warned)."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import (
    AbandonAction,
    buttons,
    client,
    leaving,
    find_member,
    request_key,
    reset,
    utter_backend_down,
    utter_member_not_found,
    utter_refused,
    verified_member_id,
)
from actions.availability import clock
from actions.visits import find_visit, pick_offered, slot_as_time
from bot import timeparse, wording
from bot.catalog import load_catalog
from bot.clients import BackendRefused, BackendUnavailable

CHANGE_SLOTS = ("appointment", "offered_appointments", "change_kind", "time", "visit_slot",
                "offered_slots")
STATUS_LABELS = {"requested": "待确认", "confirmed": "已确认", "changed": "已改约"}


async def upcoming(dispatcher: CollectingDispatcher, tracker: Tracker
                   ) -> Optional[tuple]:
    """(member, upcoming appointments), or None after saying why there are none to show."""
    try:
        member = await find_member(tracker)
        if member is None:
            utter_member_not_found(dispatcher)
            return None
        return member, await client().appointments(member["id"])
    except BackendUnavailable:
        utter_backend_down(dispatcher)
        return None


def appointment_lines(appointments: List[Dict[str, Any]]) -> str:
    return wording.numbered(
        f"{wording.appointment_label(a)}（{STATUS_LABELS.get(a['status'], a['status'])}，"
        f"编号{a['reference']}）" for a in appointments)


class ActionMyAppointments(Action):
    def name(self) -> Text:
        return "action_my_appointments"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        found = await upcoming(dispatcher, tracker)
        if found is None:
            return []
        member, appointments = found
        if not appointments:
            dispatcher.utter_message(response="utter_no_appointments")
            return []
        dispatcher.utter_message(response="utter_my_appointments",
                                 appointments=appointment_lines(appointments))
        return []


class ActionStartChange(Action):
    """Before the change form: which appointments can change; one is picked at once."""

    def name(self) -> Text:
        return "action_start_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        kind = "reschedule" if intent == "reschedule_appointment" else "cancel"
        text = (tracker.latest_message or {}).get("text") or ""
        summarised = tracker.get_slot("appointment") if just_summarised(tracker) else None
        if summarised and kind == "cancel" and tracker.get_slot("change_kind") == "cancel":
            # 确认取消 at the cancel summary is the yes, not a new cancellation (no form).
            return [*await carry_out_change(dispatcher, tracker),
                    SlotSet("change_allowed", False)]
        keep_time = "time" if kind == "reschedule" and tracker.get_slot("time") else None
        events = [*reset(CHANGE_SLOTS, keep=[keep_time] if keep_time else []),
                  SlotSet("change_kind", kind)]
        found = await upcoming(dispatcher, tracker)
        if found is None:
            return [*events, SlotSet("change_allowed", False)]
        member, appointments = found
        if not appointments:
            dispatcher.utter_message(response="utter_no_appointments")
            return [*events, SlotSet("change_allowed", False)]
        events += [SlotSet("member_id", member["id"]), SlotSet("change_allowed", True)]
        if len(appointments) == 1:
            return [*events, SlotSet("appointment", appointments[0])]
        described = pick_by_description(text, appointments)
        if described is not None:    # 明天华山那个改到12月2号上午: no need to ask which
            return [*events, SlotSet("appointment", described)]
        if summarised and any(a.get("id") == summarised.get("id") for a in appointments):
            # 算了 还是取消吧 at the summary of a reschedule: the same appointment.
            return [*events, SlotSet("appointment", summarised)]
        return [*events, SlotSet("offered_appointments", appointments)]


def just_summarised(tracker: Tracker) -> bool:
    """Whether the bot's last action before the member's latest message was the change
    summary (the member is answering it)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") not in (
                "action_listen", None):
            return event.get("name") == "action_change_summary"
    return False


def asked_before(tracker: Tracker, action: Text, since: Text) -> bool:
    """Whether `action` already ran after the latest `since` (the question was asked)."""
    for event in reversed(tracker.events):
        if event.get("event") != "action":
            continue
        if event.get("name") == since:
            return False
        if event.get("name") == action:
            return True
    return False


class ActionAskChangeFormAppointment(Action):
    def name(self) -> Text:
        return "action_ask_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        offered = tracker.get_slot("offered_appointments") or []
        verb = "改约" if tracker.get_slot("change_kind") == "reschedule" else "取消"
        if asked_before(tracker, self.name(), since="action_start_change"):
            # 确认取消 without saying which: how to choose, and how to leave.
            dispatcher.utter_message(response="utter_which_appointment_again", verb=verb,
                                     count=len(offered),
                                     buttons=buttons([str(i) for i in range(1, len(offered) + 1)]))
            return []
        dispatcher.utter_message(
            response="utter_which_appointment", verb=verb,
            appointments=appointment_lines(offered),
            buttons=buttons([str(i) for i in range(1, len(offered) + 1)]))
        return []


NEW_TIME_MARK = re.compile(r"改到|改成|换到|换成|推到|挪到|改约到|推迟到|提前到")


# The appointment the member just made: 刚才约的那个, 刚刚那个, 最新的.
JUST_BOOKED = re.compile(r"刚才|刚刚|刚(?:约|订|预约|挂)|最新|最近(?:约|订)的|最后(?:约|订)的")


def pick_by_description(text: str, offered: List[Dict[str, Any]],
                        now: Optional[datetime] = None) -> Optional[Dict[str, Any]]:
    """The one offered appointment the member describes (仁济那个, 明天那个, 心内科的, 周五
    下午那个): each of hospital, department, day and half-day that the text names must
    fit; None unless exactly one appointment fits best."""
    if not text or not offered:
        return None
    # 心内科那个 改到12月3号上午: what comes before the change names the appointment.
    text = NEW_TIME_MARK.split(text)[0] or text
    catalog = load_catalog()
    said_time = timeparse.find_time(text, now or clock().now())

    def score(appointment: Dict[str, Any]) -> int:
        slot = appointment.get("slot") or {}
        points = 0
        for kind, getter in (("hospital", catalog.hospital), ("department", catalog.department)):
            entry_id = (slot.get(kind) or {}).get("id")
            try:
                terms = getter(entry_id).terms if entry_id else ()
            except KeyError:
                terms = ((slot.get(kind) or {}).get("name") or "",)
            # members name a hospital by its core: 新华那个, 龙华的 (新华医院, 龙华医院)
            terms = tuple(terms) + tuple(t[:-2] for t in terms if t.endswith("医院") and len(t) >= 4)
            if any(term and term in text for term in terms):
                points += 1
        start = appointment.get("start") or slot.get("start")
        if said_time is not None and start:
            when = wording.parse_datetime(start)
            if said_time.grain in ("day", "week") or said_time.end is not None:
                end = said_time.end or said_time.start
                points += 1 if said_time.start.date() <= when.date() <= end.date() else -1
            else:
                points += 1 if said_time.start.date() == when.date() else -1
        return points

    scores = [score(a) for a in offered]
    if JUST_BOOKED.search(text):
        # 刚才约的那个, 刚才龙华那个: the appointment made last, among those that fit.
        fitting = [i for i, points in enumerate(scores) if points == max(scores)]
        latest = max(fitting, key=lambda i: (offered[i].get("created_at") or "",
                                             offered[i].get("id") or 0))
        scores[latest] += 1
    best = max(scores)
    return offered[scores.index(best)] if best > 0 and scores.count(best) == 1 else None


class ValidateChangeForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_change_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        if tracker.get_slot("change_kind") == "reschedule":
            return ["appointment", "time"]
        return ["appointment"]

    async def extract_appointment(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("appointment") or leaving(tracker, "change_form"):
            return {}
        picked = pick_offered(tracker, "offered_appointments") or pick_by_description(
            (tracker.latest_message or {}).get("text") or "",
            tracker.get_slot("offered_appointments") or [])
        return {"appointment": picked} if picked else {}

    async def extract_time(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> Dict[Text, Any]:
        picked = None if leaving(tracker, "change_form") else pick_offered(tracker)
        return {"time": slot_as_time(picked)} if picked else {}

    async def validate_appointment(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if not isinstance(value, dict):
            return {"appointment": None}
        time = tracker.get_slot("time")
        if (tracker.get_slot("change_kind") == "reschedule" and time
                and not tracker.get_slot("visit_slot")):
            # The new time came first (我想改约到下周二上午, then 2): the form will not
            # ask for it again, so it is checked against the chosen appointment now.
            return {"appointment": value,
                    **await self._check_time(time, value, dispatcher, tracker)}
        return {"appointment": value}

    async def validate_time(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return await self._check_time(value, tracker.get_slot("appointment"), dispatcher, tracker)

    async def _check_time(self, value: Any, appointment: Any, dispatcher: CollectingDispatcher,
                          tracker: Tracker) -> Dict[Text, Any]:
        if not value or not appointment:
            return {"time": value}
        slot = appointment["slot"]
        return await find_visit(
            dispatcher, value, tracker=tracker,
            hospital_id=slot["hospital"]["id"], department_id=slot["department"]["id"],
            doctor_id=(slot.get("doctor") or {}).get("id"),
            accidental_injury=bool(appointment.get("accidental_injury")))


class ActionChangeCorrected(Action):
    """还是改到下周四上午吧 at the summary of a change: the same appointment, now moved
    (also when a cancellation was on the table); the form checks the new time."""

    def name(self) -> Text:
        return "action_change_corrected"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        if not tracker.get_slot("appointment"):
            return []
        return [SlotSet("change_kind", "reschedule")]


class ActionChangeSummary(Action):
    def name(self) -> Text:
        return "action_change_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        appointment = tracker.get_slot("appointment")
        if not appointment:
            dispatcher.utter_message(response="utter_booking_lost")
            return reset(CHANGE_SLOTS)
        confirm = buttons(["确认", "不改了"], ["/affirm", "/deny"])
        kind = "reschedule" if tracker.get_slot("change_kind") == "reschedule" else "cancel"
        warning = (appointment.get("change_warning") or {}).get(kind)
        if warning:     # said before the member confirms, not after
            dispatcher.utter_message(response="utter_late_change_warning", warning=warning)
        if kind == "reschedule":
            slot = tracker.get_slot("visit_slot") or {}
            if "start" not in slot:     # never confirm a change to no time at all
                dispatcher.utter_message(response="utter_booking_lost")
                return reset(CHANGE_SLOTS)
            dispatcher.utter_message(
                response="utter_reschedule_summary",
                appointment=wording.appointment_label(appointment),
                when=wording.visit_moment(slot["start"], tracker.get_slot("time"), slot.get("kept_back")),
                buttons=confirm)
        else:
            dispatcher.utter_message(response="utter_cancel_summary",
                                     appointment=wording.appointment_label(appointment),
                                     buttons=confirm)
        return []


CARRY_OUT = "action_change_appointment"   # one idempotency key, whichever action confirms


async def carry_out_change(dispatcher: CollectingDispatcher, tracker: Tracker
                           ) -> List[Dict[Text, Any]]:
    """The confirmed cancellation or reschedule in the slots, done at the backends."""
    appointment = tracker.get_slot("appointment")
    try:
        member_id = await verified_member_id(tracker) if appointment else None
    except BackendUnavailable:
        utter_backend_down(dispatcher)
        return []
    if not appointment or member_id is None:
        dispatcher.utter_message(response="utter_booking_lost")
        return reset(CHANGE_SLOTS)
    reschedule = tracker.get_slot("change_kind") == "reschedule"
    new_slot = tracker.get_slot("visit_slot") or {}
    if reschedule and not new_slot.get("id"):     # never move a visit to no time at all
        dispatcher.utter_message(response="utter_booking_lost")
        return reset(CHANGE_SLOTS)
    try:
        if reschedule:
            key = request_key(tracker, CARRY_OUT, appointment["id"], new_slot.get("id"))
            answer = await client().reschedule(key, appointment["id"], int(member_id),
                                               int(new_slot["id"]))
        else:
            key = request_key(tracker, CARRY_OUT, appointment["id"])
            answer = await client().cancel(key, appointment["id"], int(member_id))
    except BackendUnavailable:
        utter_backend_down(dispatcher)
        return []
    except BackendRefused as refused:
        utter_refused(dispatcher, refused)
        return reset(CHANGE_SLOTS)
    changed = answer["appointment"]
    if reschedule:
        dispatcher.utter_message(
            response="utter_reschedule_done", reference=changed["reference"],
            appointment=wording.appointment_label(changed),
            arrive_by=wording.parse_datetime(changed["arrive_by"]).strftime("%H:%M"))
    else:
        dispatcher.utter_message(response="utter_cancel_done",
                                 appointment=wording.appointment_label(changed))
    if (answer.get("late") and answer.get("warning")
            and not appointment.get("change_warning")):
        # late only now (the summary said nothing): say it after all
        dispatcher.utter_message(response="utter_late_change_warning",
                                 warning=answer["warning"])
    return reset(CHANGE_SLOTS)


class ActionChangeAppointment(Action):
    def name(self) -> Text:
        return CARRY_OUT

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        return await carry_out_change(dispatcher, tracker)


class ActionChangeAbandoned(AbandonAction):
    response = "utter_change_abandoned"
    slots = CHANGE_SLOTS

    def name(self) -> Text:
        return "action_change_abandoned"
