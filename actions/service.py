"""Service hours, with whether someone is there now."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.availability import clock, utter_who_is_available


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
