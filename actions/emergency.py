"""After the 120 instruction and the claim notice (both plain responses, so they never
depend on this server): tell the member when a manager can follow up."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.availability import clock
from bot.clock import describe_wait_until, managers_open, next_manager_opening


class ActionEmergencyFollowup(Action):
    def name(self) -> Text:
        return "action_emergency_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        now = clock().now()
        if managers_open(now):
            dispatcher.utter_message(response="utter_emergency_managers_online")
        else:
            dispatcher.utter_message(
                response="utter_emergency_managers_offline",
                manager_reopen=describe_wait_until(now, next_manager_opening(now)),
            )
        return []
