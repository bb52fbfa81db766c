"""Booking a direct-billing appointment: check the member may book, fill the booking
form (hospital, department, optional doctor, time) against the backends, confirm the
summary, book, and say what to bring."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.availability import clock
from actions.backend import (
    AbandonAction,
    buttons,
    client,
    leaving,
    entities_in_latest,
    find_member,
    request_key,
    reset,
    utter_backend_down,
    utter_member_not_found,
    utter_refused,
    verified_member_id,
)
from actions.visits import corrected_value, find_visit, pick_offered, resolve_hospital, slot_as_time
from bot import wording
from bot.catalog import load_catalog
from bot.choices import is_accidental_injury, is_for_someone_else, names_a_visit
from bot.clients import BackendRefused, BackendUnavailable

BOOKING_SLOTS = ("hospital", "hospital_id", "department", "department_id", "doctor",
                 "doctor_id", "time", "visit_slot", "offered_slots", "accidental_injury")
# Entity-filled slots a new request keeps when the member said them in that request.
FROM_ENTITIES = {"hospital": "hospital", "department": "department", "doctor": "doctor",
                 "time": "time"}
DEPARTMENT_WINDOW = timedelta(days=14)


async def member_may_book(dispatcher: CollectingDispatcher, tracker: Tracker
                          ) -> Optional[Dict[str, Any]]:
    """The member when they may book now; otherwise say why not and return None."""
    text = (tracker.latest_message or {}).get("text") or ""
    try:
        member = await find_member(tracker)
    except BackendUnavailable:
        utter_backend_down(dispatcher)
        return None
    if member is None:
        utter_member_not_found(dispatcher)
        return None
    if is_for_someone_else(text):
        dispatcher.utter_message(response="utter_insured_person_only")
        return None
    if not member.get("policy_active"):
        dispatcher.utter_message(response="utter_policy_inactive")
        return None
    # In the waiting period the member may still book a day after it ends: the start
    # says when it ends (utter_member_facts), and the backends check the day itself.
    return member


def utter_member_facts(dispatcher: CollectingDispatcher, member: Dict[str, Any],
                       injury: bool) -> None:
    """What this member should know before choosing a time: when their waiting period
    ends (an accidental injury is not held to it), and their missed visits."""
    end = member.get("waiting_period_end")
    if member.get("in_waiting_period") and end and not injury:
        dispatcher.utter_message(response="utter_booking_in_waiting_period",
                                 day=wording.day(wording.parse_date(end)))
    if member.get("no_show_count"):
        dispatcher.utter_message(response="utter_booking_after_no_show",
                                 count=member["no_show_count"])


# A doctor is being named: a title, or 医生 after a name.
DOCTOR_WORDS = re.compile(r"医生|大夫|主任|教授|专家|副主任|姓")
TITLE_AFTER = r"(?:医生|大夫|主任|教授|副主任|老师)"


def recent_member_text(tracker: Tracker, turns: int = 6) -> str:
    """What the member wrote in their last few messages (a booking is said over several)."""
    texts = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
    return " ".join(texts[-turns:])


class ActionRouteInform(Action):
    """Details said with no request and no form open (瑞金内分泌 蒋医生 下周一下午): a visit
    named this way is a booking; anything else is asked what it is for."""

    def name(self) -> Text:
        return "action_route_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        if names_a_visit(frozenset(entities_in_latest(tracker))):
            return [FollowupAction("action_start_booking")]
        dispatcher.utter_message(response="utter_ask_what_for")
        return []


class ActionStartBooking(Action):
    """Before the form: may this member book? Keeps what this message already said and
    forgets what an earlier booking left behind."""

    def name(self) -> Text:
        return "action_start_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        member = await member_may_book(dispatcher, tracker)
        if member is None:
            return [SlotSet("booking_allowed", False), *reset(BOOKING_SLOTS)]
        said = entities_in_latest(tracker)
        keep = {slot for slot, entity in FROM_ENTITIES.items() if entity in said}
        injury = is_accidental_injury((tracker.latest_message or {}).get("text") or "")
        if injury:
            dispatcher.utter_message(response="utter_injury_booking_note")
        utter_member_facts(dispatcher, member, injury)
        return [*reset(BOOKING_SLOTS, keep=keep), SlotSet("member_id", member["id"]),
                SlotSet("accidental_injury", injury), SlotSet("booking_allowed", True)]


class ValidateBookingForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_booking_form"

    async def extract_time(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> Dict[Text, Any]:
        """A pick from the offered alternatives ("2", "第一个") is a time too."""
        picked = None if leaving(tracker, "booking_form") else pick_offered(tracker)
        return {"time": slot_as_time(picked)} if picked else {}

    async def validate_hospital(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        value = corrected_value(tracker, "hospital", value)
        result = await resolve_hospital(dispatcher, value)
        department = tracker.get_slot("department")
        changed = result["hospital_id"] and result["hospital_id"] != tracker.get_slot("hospital_id")
        if changed and department and "department" not in tracker.slots_to_validate():
            # Another hospital: what was already said is checked again there.
            tracker.slots.update({**result, "visit_slot": None})
            result.update(await self.validate_department(department, dispatcher, tracker,
                                                         domain))
        return {"visit_slot": None, **result} if changed else result

    async def validate_department(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if not value:
            return {"department": None}
        department = load_catalog().department_by_alias(str(value))
        if department is None:
            dispatcher.utter_message(response="utter_department_unknown", department=str(value))
            return {"department": None, "department_id": None}
        if department.id == tracker.get_slot("department_id") and tracker.get_slot("visit_slot"):
            # The same department again (Rasa validates the slots already filled when the
            # form comes back after the summary): the proposed visit stands, so a time said
            # alone (改到四点吧) keeps its day.
            return {"department": department.name, "department_id": department.id}
        result: Dict[Text, Any] = {"department": department.name,
                                   "department_id": department.id, "visit_slot": None}
        hospital_id = tracker.get_slot("hospital_id")
        if not hospital_id:
            return result  # checked against the hospital once the member names it
        now = clock().now()
        try:
            answer = await client().availability(
                hospital_id=hospital_id, department_id=department.id,
                start=now.isoformat(), end=(now + DEPARTMENT_WINDOW).isoformat(), limit=1)
        except BackendUnavailable:
            utter_backend_down(dispatcher)
            return {"department": None, "department_id": None}
        if answer.get("reason") == "department_not_offered":
            others = [h["name"] for h in answer.get("other_hospitals") or []][:5]
            dispatcher.utter_message(
                response="utter_department_not_offered", reason=answer.get("message") or "",
                hospitals="、".join(others) or "暂无", buttons=buttons(others))
            return {"department": None, "department_id": None}
        pending_time = tracker.get_slot("time")
        if pending_time and "time" not in tracker.slots_to_validate():
            # A time said before the hospital and department were known.
            tracker.slots.update(result)
            result.update(await self.validate_time(pending_time, dispatcher, tracker, domain))
        return result

    async def validate_time(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        hospital_id = tracker.get_slot("hospital_id")
        department_id = tracker.get_slot("department_id")
        if not value or not (hospital_id and department_id):
            return {"time": value}  # checked once hospital and department are known
        doctor = await self._doctor(dispatcher, tracker, hospital_id, department_id)
        result = await find_visit(
            dispatcher, value, tracker=tracker,
            hospital_id=hospital_id, department_id=department_id,
            doctor_id=doctor.get("doctor_id"),
            accidental_injury=bool(tracker.get_slot("accidental_injury")))
        return {**doctor, **result}

    async def _doctor(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                      hospital_id: str, department_id: str) -> Dict[Text, Any]:
        """The named doctor, if any, against the department's doctors: a full name the
        member wrote (陈欣医生, even when the classifier kept only 欣医生), then the
        classifier's span (张主任 → the one 张 there), then a surname with a title."""
        name = tracker.get_slot("doctor")
        said = recent_member_text(tracker)
        if not name and not DOCTOR_WORDS.search(said):
            return {"doctor_id": None}
        try:
            doctors = await client().doctors(hospital_id, department_id, None)
            by_span = (await client().doctors(hospital_id, department_id, str(name))
                       if name else [])
        except BackendUnavailable:
            return {"doctor_id": None}
        found = ([d for d in doctors if d["name"] in said] or by_span
                 or [d for d in doctors
                     if re.search(f"(?:{re.escape(d['name'][0])}{TITLE_AFTER}|姓{re.escape(d['name'][0])})",
                                  said)])
        if not found:
            if name:
                dispatcher.utter_message(response="utter_doctor_not_found", doctor=str(name))
            return {"doctor": None, "doctor_id": None}
        return {"doctor": found[0]["name"], "doctor_id": found[0]["id"]}


class ActionBookingSummary(Action):
    def name(self) -> Text:
        return "action_booking_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        slot = tracker.get_slot("visit_slot") or {}
        if not slot:
            dispatcher.utter_message(response="utter_ask_time_again")
            return []
        dispatcher.utter_message(
            response="utter_booking_summary",
            hospital=wording.hospital_label(slot["hospital"]),
            department=slot["department"]["name"],
            doctor=wording.doctor_label(slot.get("doctor")),
            when=wording.visit_moment(slot["start"], tracker.get_slot("time"), slot.get("kept_back")),
            buttons=buttons(["确认预约", "先不约了"], ["/affirm", "/deny"]),
        )
        return []


class ActionBookAppointment(Action):
    def name(self) -> Text:
        return "action_book_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        slot = tracker.get_slot("visit_slot") or {}
        try:
            member_id = await verified_member_id(tracker) if slot else None
        except BackendUnavailable:
            utter_backend_down(dispatcher)
            return []
        if not slot or member_id is None:
            dispatcher.utter_message(response="utter_booking_lost")
            return reset(BOOKING_SLOTS)
        injury = bool(tracker.get_slot("accidental_injury"))
        key = request_key(tracker, self.name(), member_id, slot["id"])
        try:
            appointment = await client().book(key, int(member_id), int(slot["id"]), injury)
        except BackendUnavailable:
            utter_backend_down(dispatcher)
            return []  # keep the form's answers: "确认" again retries with the same key
        except BackendRefused as refused:
            utter_refused(dispatcher, refused)
            dispatcher.utter_message(response="utter_booking_try_again")
            return reset(BOOKING_SLOTS)
        dispatcher.utter_message(
            response="utter_booking_done",
            reference=appointment["reference"],
            hospital=wording.hospital_label(appointment["slot"]["hospital"]),
            department=appointment["slot"]["department"]["name"],
            doctor=wording.doctor_label(appointment["slot"].get("doctor")),
            when=wording.moment(wording.parse_datetime(appointment["start"])),
            arrive_by=wording.parse_datetime(appointment["arrive_by"]).strftime("%H:%M"),
            response_due=wording.day(wording.parse_date(
                appointment["direct_billing"]["response_due"])),
        )
        dispatcher.utter_message(response="utter_what_to_bring")
        if injury:
            dispatcher.utter_message(response="utter_injury_claim_note")
        return reset(BOOKING_SLOTS)


class ActionBookingAbandoned(AbandonAction):
    response = "utter_booking_abandoned"
    slots = BOOKING_SLOTS

    def name(self) -> Text:
        return "action_booking_abandoned"
