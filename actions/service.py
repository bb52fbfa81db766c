"""Service hours, with whether someone is there now; questions about a visit."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.availability import clock, utter_who_is_available
from actions.appointments import pick_by_description
from actions.backend import client, find_member
from bot import wording
from bot.choices import visit_question_topic
from bot.clients import BackendRefused, BackendUnavailable

# One sentence of the visit rules per point a question asks (bot.choices.visit_question_topic).
VISIT_POINTS = {"arrive": "utter_visit_arrive", "documents": "utter_visit_documents",
                "forgot_id": "utter_visit_forgot_id", "late": "utter_visit_late",
                "lead_time": "utter_visit_lead_time", "injury": "utter_visit_injury",
                "cancel_deadline": "utter_visit_cancel_deadline"}
# Asking for the whole of it: 就诊须知, 注意事项, 规定 ...
FULL_RULES = re.compile(r"须知|注意事项|所有|全部|完整|规定有哪些|流程")


class ActionServiceHours(Action):
    """The opening hours and phone numbers, then whether someone is there now."""

    def name(self) -> Text:
        return "action_service_hours"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_service_hours")
        utter_who_is_available(dispatcher, clock().now())
        return []


class ActionVisitRules(Action):
    """A question about a visit gets the sentence that answers it, with the full rules
    offered on request; a general question gets them all. A member with missed visits
    asking about being late or missing one is told their count."""

    def name(self) -> Text:
        return "action_visit_rules"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        topic = visit_question_topic(text)
        if topic is None or FULL_RULES.search(text):
            dispatcher.utter_message(response="utter_visit_rules")
            return []
        if topic == "waiting_period":
            await self._waiting_period(dispatcher, tracker)
            return []
        dispatcher.utter_message(response=VISIT_POINTS[topic])
        if topic in ("late", "cancel_deadline"):
            member = await self._member(tracker)
            if member and topic == "cancel_deadline":
                await self._deadline_of_the_described(dispatcher, member, text)
            if member and member.get("no_show_count"):
                dispatcher.utter_message(response="utter_visit_your_no_shows",
                                         count=member["no_show_count"])
        dispatcher.utter_message(response="utter_visit_rules_offer")
        return []

    @staticmethod
    async def _deadline_of_the_described(dispatcher: CollectingDispatcher,
                                         member: Dict[str, Any], text: str) -> None:
        """下周一仁济那个号 最晚啥时候能取消: that appointment's own deadline, as the
        backends keep it (`change_by`: 24 hours before the visit)."""
        try:
            appointments = await client().appointments(member["id"])
        except (BackendUnavailable, BackendRefused):
            return
        described = pick_by_description(text, appointments) if len(appointments) > 1 else (
            appointments[0] if appointments else None)
        if not described or not described.get("change_by"):
            return
        dispatcher.utter_message(response="utter_visit_cancel_by",
                                 appointment=wording.appointment_label(described),
                                 deadline=wording.moment(wording.parse_datetime(described["change_by"])))

    @staticmethod
    async def _member(tracker: Tracker) -> Any:
        try:
            return await find_member(tracker)
        except (BackendUnavailable, BackendRefused):
            return None

    async def _waiting_period(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """When this member's waiting period ends (the backends keep the first day after
        it), or the rule alone for a member the assistant does not know."""
        member = await self._member(tracker)
        end = member.get("waiting_period_end") if member else None
        if not end:
            dispatcher.utter_message(response="utter_waiting_period_rule")
            return
        day = wording.day(wording.parse_date(end))
        if member.get("in_waiting_period"):
            dispatcher.utter_message(response="utter_waiting_period_until", day=day)
        else:
            dispatcher.utter_message(response="utter_waiting_period_over", day=day)
