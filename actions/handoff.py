"""Asking the gateway to hand the conversation to a health manager.

The bot does not decide how a handoff goes (queue, expected wait, out of hours, callback
ticket): the gateway does, because it knows the queue. The bot only says why, as a
custom payload after its own replies; the gateway never shows the payload to the member.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

# Higher is more urgent: the console's queue orders by priority, then by waiting time.
PRIORITIES = {
    "emergency": 3,
    "crisis": 3,
    "urgent_care": 2,
    "complaint": 2,
    "request_human": 1,
    "fallback": 1,
    "preauth_unknown": 1,
    "backend_failure": 1,
    "health": 1,
}

# What the managers' console shows of the member's words at most (the whole message is in
# the conversation anyway).
SUMMARY_LIMIT = 200


def request_handoff(dispatcher: CollectingDispatcher, reason: str, summary: str = "") -> None:
    body: Dict[str, Any] = {"reason": reason, "priority": PRIORITIES[reason]}
    if summary:
        body["summary"] = summary[:SUMMARY_LIMIT]
    dispatcher.utter_message(json_message={"handoff": body})


class ActionRequestHuman(Action):
    """A member asks for a person."""

    def name(self) -> Text:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_request_human_received")
        request_handoff(dispatcher, "request_human")
        return []


class ActionComplaintHandoff(Action):
    """A complaint goes to a person, ahead of ordinary requests."""

    def name(self) -> Text:
        return "action_complaint_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_complaint_received")
        request_handoff(dispatcher, "complaint")
        return []
