"""After the 120 instruction and the claim notice (both plain responses, so they never
depend on this server): record the emergency notification with its 48-hour deadline,
then hand the conversation to a manager, ahead of everyone else.

The notice is a record of one episode of emergency care: it is filed once per episode
(the `emergency_notice` slot remembers it for the conversation; later messages about the
same episode get the short variants of the two responses), with the 48 hours counted from
when treatment started when the member says so (昨晚11点进的急诊). Self-harm gets the
crisis path only: no notice, no paperwork, and a manager at once (reason crisis)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.availability import clock
from actions.backend import client, member_identity, request_key
from actions.handoff import request_handoff
from bot import choices, timeparse, wording
from bot.clients import BackendError

SELF_HARM = "self_harm"
# How far back a start of treatment the member names is believed (older ones are a
# different, past episode; the handbook's notice is due within 48 hours).
START_REACH = timedelta(days=7)
# One episode: later emergency messages within this time add nothing to the notice.
EPISODE = timedelta(hours=24)


# A clock time said with its part of the day (晚上8点) is not moved by twelve hours.
# Care already begun (a time said beside it is when treatment started); a time beside a
# symptom alone (今早起来说话不利索) is when it began, and the notice counts from now.
_CARE = re.compile(r"急诊|医院|住院|入院|就诊|就医|看(?:了)?医生|大夫|送(?:过去|到|进|去|来)?|救护车|120|"
                   r"抢救|手术|进的|去的|打(?:了)?针|输液|吊瓶|缝(?:了)?针|治疗|拍片|诊所")
_DAY_PART = re.compile(r"凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|半夜|今早|今晚|昨晚")


def treatment_start(text: str, now: datetime) -> datetime:
    """When treatment started, if the member says so (a time in the recent past beside
    care begun), else now.

    A member tells the past: a day or part of it pinned by a clock time said apart
    (今天早上…6点进的急诊 is 06:00), and a bare clock time is its latest occurrence
    (6点进的急诊 at 10:00 is this morning, not this evening)."""
    found = timeparse.find_time(text, now) if _CARE.search(text) else None
    if found is None:
        return now
    start = found.start
    if found.end is not None:
        clock = timeparse.find_time(text.replace(found.text, " ", 1), now)
        if clock is not None and clock.end is None:
            pinned = timeparse.find_time(found.text + clock.text, now)
            if pinned is not None and pinned.end is None:
                start = pinned.start
    elif start > now and start - now <= timedelta(hours=24):
        steps = (24,) if _DAY_PART.search(found.text) else (12, 24)
        earlier = [start - timedelta(hours=h) for h in steps if start - timedelta(hours=h) <= now]
        start = max(earlier) if earlier else start
    if now - START_REACH <= start <= now:
        return start
    return now


def open_episode(tracker: Tracker, now: datetime) -> Optional[Dict[str, Any]]:
    notice = tracker.get_slot("emergency_notice")
    if not isinstance(notice, dict):
        return None
    try:
        filed = datetime.fromisoformat(notice["filed_at"])
    except (KeyError, TypeError, ValueError):
        return None
    return notice if now - filed < EPISODE else None


def _again(text: str) -> str:
    """A later message of an emergency: 120 again, unless help is already there or on
    its way (then what to do meanwhile, and 120 if it gets worse)."""
    return ("utter_emergency_help_coming" if choices.help_on_the_way(text)
            else "utter_emergency_again")


class ActionEmergencyFollowup(Action):
    def name(self) -> Text:
        return "action_emergency_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        again = bool(tracker.get_slot("emergency_episode"))
        events: List[Dict[Text, Any]] = [SlotSet("emergency_episode", True)]
        if tracker.get_slot("red_flag") == SELF_HARM:
            if again:       # the crisis lines again, never the paperwork
                dispatcher.utter_message(response="utter_emergency_first")
            request_handoff(dispatcher, "crisis", summary=text)
            return [*events, SlotSet("emergency_patient", "crisis")]
        if again:
            dispatcher.utter_message(response=_again(text))
        now = clock().now()
        if open_episode(tracker, now) is None and not tracker.get_slot("emergency_patient"):
            if not again and choices.names_someone_else(text):
                # The notice is the insured person's: ask before filing it for the member
                # (the question asks for the manager too, so the request comes last).
                return [*events, SlotSet("emergency_patient", "asked"),
                        FollowupAction("emergency_patient_form")]
            notice = await record_notice(dispatcher, tracker, text, now)
            if notice is not None:
                events += [SlotSet("emergency_notice", notice),
                           SlotSet("emergency_patient", "self")]
        request_handoff(dispatcher, "emergency", summary=text)
        return events


async def record_notice(dispatcher: CollectingDispatcher, tracker: Tracker, text: str,
                        now: datetime) -> Optional[Dict[str, Any]]:
    """The notice the handbook asks for within 48 hours: this message is it. A member
    not bound to a policy is recorded by their chat identity; a conversation the
    gateway did not sign (only `rasa shell`) names nobody, so nothing is filed."""
    identity = member_identity(tracker)
    if identity is None:
        dispatcher.utter_message(response="utter_emergency_not_recorded")
        return None
    channel, external_id = identity
    try:
        member = await client().member_by_channel(channel, external_id)
        notice = await client().notify_emergency(
            request_key(tracker, "action_emergency_followup"),
            member_id=member["id"] if member else None, channel=channel,
            external_id=external_id, description=text, hospital=None,
            treatment_start=treatment_start(text, now).isoformat())
    except BackendError:
        dispatcher.utter_message(response="utter_emergency_not_recorded")
        return None
    dispatcher.utter_message(
        response="utter_emergency_recorded", reference=notice["reference"],
        deadline=wording.moment(wording.parse_datetime(notice["deadline"])))
    return {"reference": notice["reference"], "filed_at": now.isoformat()}


class ActionAskEmergencyPatient(Action):
    """The form's question (who is the patient?), then the emergency handoff, which always
    comes after everything the bot says."""

    def name(self) -> Text:
        return "action_ask_emergency_patient_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_ask_emergency_patient")
        text = next((e.get("text") or "" for e in reversed(tracker.events)
                     if e.get("event") == "user"), "")
        request_handoff(dispatcher, "emergency", summary=text)
        return []


class ValidateEmergencyPatientForm(FormValidationAction):
    """Who the patient is, asked once when an emergency message names someone else. Any
    answer ends the question: one that says neither is taken as "not known yet"; a new
    emergency message gets the 120 line again and ends it too."""

    def name(self) -> Text:
        return "validate_emergency_patient_form"

    async def validate_emergency_patient_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        who = choices.emergency_patient(str(value or ""))
        if who is None and intent == "report_emergency":
            dispatcher.utter_message(response=_again(str(value or "")))
        return {"emergency_patient_answer": str(value or "")[:200],
                "emergency_patient": who or "unknown"}


class ActionEmergencyPatientNoted(Action):
    """After the answer: the notice for the insured person, or why there is none."""

    def name(self) -> Text:
        return "action_emergency_patient_noted"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        who = tracker.get_slot("emergency_patient")
        if who == "self":
            now = clock().now()
            first = _first_emergency_text(tracker)
            notice = await record_notice(dispatcher, tracker, first, now)
            return [SlotSet("emergency_notice", notice)] if notice else []
        dispatcher.utter_message(response="utter_emergency_patient_other" if who == "other"
                                 else "utter_emergency_patient_unknown")
        return []


def _first_emergency_text(tracker: Tracker) -> str:
    """The message that started the episode (its description and any start time), with
    the answer that named the patient."""
    texts = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
    intents = [((e.get("parse_data") or {}).get("intent") or {}).get("name")
               for e in tracker.events if e.get("event") == "user"]
    started = next((t for t, i in zip(reversed(texts), reversed(intents))
                    if i == "report_emergency"), "")
    answer = texts[-1] if texts else ""
    return f"{started} {answer}".strip()


class ActionEmergencyVisit(Action):
    """An emergency visit told after the fact (昨晚11点进的急诊 帮我报备): the handbook's
    notice within 48 hours of the start of treatment, for the insured person, once per
    episode. No 120 line: the emergency is being cared for."""

    def name(self) -> Text:
        return "action_emergency_visit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        now = clock().now()
        filed = open_episode(tracker, now)
        if filed is not None:
            dispatcher.utter_message(response="utter_emergency_visit_already",
                                     reference=filed["reference"])
            return []
        events: List[Dict[Text, Any]] = [SlotSet("emergency_episode", True)]
        if choices.names_someone_else(text) and choices.emergency_patient(text) != "self":
            return [*events, SlotSet("emergency_patient", "asked"),
                    FollowupAction("emergency_patient_form")]
        notice = await record_notice(dispatcher, tracker, text, now)
        dispatcher.utter_message(response="utter_emergency_visit_paperwork")
        if notice is not None:
            events += [SlotSet("emergency_notice", notice), SlotSet("emergency_patient", "self")]
        return events
