"""Linking this chat identity to the member's policy (绑定保单): check that nothing is
linked yet, ask the policy number and the last four digits of the phone on the policy,
and let the backends check them. The backends count the tries, lock after too many and
answer with masked names; nothing here repeats a full policy number."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import (
    NOT_AN_ANSWER,
    AbandonAction,
    client,
    entities_in_latest,
    find_member,
    latest_intent,
    member_identity,
    request_key,
    reset,
    utter_backend_down,
    utter_member_not_found,
    utter_refused,
)
from bot import wording
from bot.clients import BackendRefused, BackendUnavailable
from bot.privacy import mask_name, mask_policy_number
from bot.nlu.identifiers import find_phone_last4, find_policy_number

LINK_SLOTS = ("policy_number", "phone_last4")
# The custom payload that tells the gateway of a new link (bot/gateway/router.py).
MEMBER_LINKED = "member_linked"
# Said when the backends give no time (they always do): the window is 24 hours.
DEFAULT_RETRY_AFTER = "24小时"


def retry_label(details: Mapping[str, Any]) -> str:
    """When the member may try again: 11月25日（周三）10:05."""
    retry_after = details.get("retry_after")
    if not retry_after:
        return DEFAULT_RETRY_AFTER
    return wording.moment(wording.parse_datetime(retry_after))


def utter_link_refused(dispatcher: CollectingDispatcher, refused: BackendRefused) -> None:
    """Mismatch (with the tries left) or locked; anything else in the backends' words."""
    if refused.code == "link_mismatch":
        remaining = int(refused.details.get("remaining_attempts") or 0)
        if remaining > 0:
            dispatcher.utter_message(response="utter_link_mismatch", remaining=remaining)
        else:
            dispatcher.utter_message(response="utter_link_mismatch_last",
                                     retry_after=retry_label(refused.details))
    elif refused.code == "link_locked":
        dispatcher.utter_message(response="utter_link_locked",
                                 retry_after=retry_label(refused.details))
    else:
        utter_refused(dispatcher, refused)


class ActionStartLink(Action):
    """Before the form: an identity already linked is told so (masked) and the form does
    not start. Keeps what this message already said (绑定保单 ZAHM… 尾号0003)."""

    def name(self) -> Text:
        return "action_start_link"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        try:
            member = await find_member(tracker)
        except BackendUnavailable:
            utter_backend_down(dispatcher)
            return [SlotSet("link_allowed", False), *reset(LINK_SLOTS)]
        if member is not None:
            dispatcher.utter_message(response="utter_link_already",
                                     name=mask_name(member["name"]),
                                     policy_number=mask_policy_number(member["policy_number"]))
            return [SlotSet("link_allowed", False), *reset(LINK_SLOTS)]
        said = entities_in_latest(tracker)
        return [*reset(LINK_SLOTS, keep=said), SlotSet("link_allowed", True)]


class ValidateLinkForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_link_form"

    async def extract_policy_number(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        return _reply_to("policy_number", tracker)

    async def extract_phone_last4(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        """A bare "0003" answers "后四位是多少?" (the NLU cannot know it was asked)."""
        return _reply_to("phone_last4", tracker)

    def validate_policy_number(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        found = find_policy_number(str(value or ""))
        if found is None:
            dispatcher.utter_message(response="utter_link_policy_number_unclear")
            return {"policy_number": None}
        return {"policy_number": found.value}

    def validate_phone_last4(self, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        found = find_phone_last4(str(value or ""), bare=True)
        if found is None:
            dispatcher.utter_message(response="utter_link_phone_last4_unclear")
            return {"phone_last4": None}
        return {"phone_last4": found.value}


def _reply_to(slot: Text, tracker: Tracker) -> Dict[Text, Any]:
    """The member's words as the answer to the question just asked, to be checked by
    the slot's validation; not when the NLU already found a policy number or phone
    tail in them, nor when the message is clearly something else (an emergency, 找人工,
    不绑了: the form is left and the rules answer)."""
    if tracker.get_slot("requested_slot") != slot:
        return {}
    if entities_in_latest(tracker) & set(LINK_SLOTS) or latest_intent(tracker) in NOT_AN_ANSWER:
        return {}
    text = ((tracker.latest_message or {}).get("text") or "").strip()
    return {slot: text} if text else {}


class ActionLinkPolicy(Action):
    """The one write: the backends check the policy number and the phone tail."""

    def name(self) -> Text:
        return "action_link_policy"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        policy_number = tracker.get_slot("policy_number")
        phone_last4 = tracker.get_slot("phone_last4")
        if not policy_number or not phone_last4:
            dispatcher.utter_message(response="utter_booking_lost")
            return reset(LINK_SLOTS)
        identity = member_identity(tracker)
        if identity is None:  # only a conversation the gateway did not sign
            utter_member_not_found(dispatcher)
            return reset(LINK_SLOTS)
        channel, external_id = identity
        key = request_key(tracker, self.name(), channel, external_id, policy_number, phone_last4)
        try:
            answer = await client().link_member(key, channel, external_id, policy_number,
                                                phone_last4)
        except BackendUnavailable:
            utter_backend_down(dispatcher)
            return reset(LINK_SLOTS)
        except BackendRefused as refused:
            utter_link_refused(dispatcher, refused)
            return reset(LINK_SLOTS)
        member = answer["member"]  # masked by the backends
        already = answer["result"] == "already_linked"
        dispatcher.utter_message(response="utter_link_already" if already else "utter_link_done",
                                 name=member["name"],
                                 policy_number=member["policy_number"])
        # Never shown: tells the gateway this chat identity now belongs to a member, so
        # the console shows the profile from the next message on.
        dispatcher.utter_message(json_message={MEMBER_LINKED: {"member_id": member["id"]}})
        return reset(LINK_SLOTS)


class ActionLinkAbandoned(AbandonAction):
    response = "utter_link_abandoned"
    slots = LINK_SLOTS

    def name(self) -> Text:
        return "action_link_abandoned"
