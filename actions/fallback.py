"""The bot did not understand: ask to rephrase once; a second miss in a row offers a
health manager instead of a third guess."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import request_handoff

FALLBACK_INTENT = "nlu_fallback"


def consecutive_misses(events: List[Dict[Text, Any]]) -> int:
    """How many of the latest user messages in a row the bot failed to understand."""
    misses = 0
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        if (event.get("parse_data") or {}).get("intent", {}).get("name") != FALLBACK_INTENT:
            break
        misses += 1
    return misses


class ActionNluFallback(Action):
    def name(self) -> Text:
        return "action_nlu_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if consecutive_misses(tracker.events) < 2:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        dispatcher.utter_message(response="utter_fallback_offer_manager")
        request_handoff(dispatcher, "fallback")
        return []
