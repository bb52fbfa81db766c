"""Health messages that are not emergencies (bot/triage.py, docs/emergencies.md).

The bot never diagnoses or advises on treatment: a health manager (a clinician) answers.
In managers' hours the conversation is handed to one; outside them the gateway files a
callback for 08:30 and offers the call centre while it is open. Every answer carries one
safety line fitted to what was said (when to call 120)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.availability import clock, utter_who_is_available
from actions.handoff import request_handoff
from bot import triage
from bot.clock import managers_open


def _text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


SAFETY_LINES = {"general": "utter_safety_general", "chest": "utter_safety_chest",
                "head": "utter_safety_head", "child": "utter_safety_child",
                "pregnancy": "utter_safety_pregnancy", "mind": "utter_safety_mind"}


def _safety_line(dispatcher: CollectingDispatcher, text: str) -> None:
    dispatcher.utter_message(response=SAFETY_LINES[triage.safety_topic(text)])
    now = clock().now()
    if not managers_open(now):
        # Out of hours the gateway files the callback; the member hears now who can
        # answer when (the managers from 08:30, the call centre while it is open).
        utter_who_is_available(dispatcher, now)


class _HealthAnswer(Action, ABC):
    """The answer, one safety line, and a manager (the gateway: the queue in hours, the
    08:30 callback outside them). Abstract, so rasa-sdk registers only the concrete
    subclasses."""

    response = ""
    reason = ""

    @abstractmethod
    def name(self) -> Text:
        ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        text = _text(tracker)
        dispatcher.utter_message(response=self.response)
        _safety_line(dispatcher, text)
        request_handoff(dispatcher, self.reason, summary=text)
        return []


class ActionHealthQuestion(_HealthAnswer):
    response, reason = "utter_health_question", "health"

    def name(self) -> Text:
        return "action_health_question"


class ActionSeeDoctorToday(_HealthAnswer):
    response, reason = "utter_see_doctor_today", "urgent_care"

    def name(self) -> Text:
        return "action_see_doctor_today"
