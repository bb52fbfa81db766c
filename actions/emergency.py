"""After the 120 instruction and the claim notice (both plain responses, so they never
depend on this server): record the emergency notification with its 48-hour deadline,
then hand the conversation to a manager, ahead of everyone else."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.availability import clock
from actions.backend import client, member_identity, request_key
from actions.handoff import request_handoff
from bot import wording
from bot.clients import BackendError


class ActionEmergencyFollowup(Action):
    def name(self) -> Text:
        return "action_emergency_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        await self._record(dispatcher, tracker, clock().now())
        request_handoff(dispatcher, "emergency")
        return []

    async def _record(self, dispatcher: CollectingDispatcher, tracker: Tracker, now) -> None:
        """The notice the handbook asks for within 48 hours: this message is it. A member
        not bound to a policy is recorded by their chat identity; a conversation the
        gateway did not sign (only `rasa shell`) names nobody, so nothing is filed."""
        identity = member_identity(tracker)
        if identity is None:
            dispatcher.utter_message(response="utter_emergency_not_recorded")
            return
        channel, external_id = identity
        text = (tracker.latest_message or {}).get("text") or ""
        try:
            member = await client().member_by_channel(channel, external_id)
            notice = await client().notify_emergency(
                request_key(tracker, self.name()),
                member_id=member["id"] if member else None, channel=channel,
                external_id=external_id, description=text, hospital=None,
                treatment_start=now.isoformat())
        except BackendError:
            dispatcher.utter_message(response="utter_emergency_not_recorded")
            return
        dispatcher.utter_message(
            response="utter_emergency_recorded", reference=notice["reference"],
            deadline=wording.moment(wording.parse_datetime(notice["deadline"])))
