"""What every action that talks to the backends shares: the client, who the member is,
the idempotency key of the member's request, and the honest apology when the backends
cannot help."""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.availability import clock, utter_who_is_available
from actions.handoff import request_handoff
from bot.clients import BackendRefused, BackendSettings, BackendsClient, idempotency_key
from bot.identity import IdentityError, secret_from_env, verified_identity

logger = logging.getLogger(__name__)

# A form takes a free-text reply as the answer to its question unless the message is
# clearly something else: leaving the form, an emergency, or a question with its own rule.
NOT_AN_ANSWER = frozenset({
    "deny", "request_human", "report_emergency", "complain", "goodbye", "thank", "greet",
    "bot_challenge", "ask_visit_rules", "ask_direct_pay_card", "ask_preauth_materials",
    "ask_service_hours", "check_preauth_status", "book_appointment", "cancel_appointment",
    "reschedule_appointment", "query_appointments",
})
# Requests that leave one form for another (data/rules/switching.yml): that form takes
# nothing from them, so it is rejected and the switching rule runs.
LEAVES_FORM = {"booking_form": frozenset({"apply_preauth"}),
               "change_form": frozenset({"apply_preauth"}),
               "preauth_form": frozenset({"book_appointment"})}


def leaving(tracker: Tracker, form: Text) -> bool:
    return latest_intent(tracker) in LEAVES_FORM.get(form, frozenset())


@lru_cache(maxsize=1)
def client() -> BackendsClient:
    return BackendsClient(BackendSettings.from_env())


@lru_cache(maxsize=1)
def identity_secret() -> Optional[bytes]:
    try:
        return secret_from_env()
    except IdentityError as error:
        # The server still runs (emergency advice never depends on it); nobody is
        # recognised as a member until the secret is set.
        logger.error("%s: no member can be recognised", error)
        return None


def member_identity(tracker: Tracker) -> Optional[Tuple[str, str]]:
    """(channel, the member's id on it) as the gateway signed it in this conversation
    (bot.identity); None when no message of it carries the gateway's signature. Never
    read from a slot or from unsigned metadata: whoever reaches this server cannot name
    a member (docs/security.md)."""
    secret = identity_secret()
    if secret is None:
        return None
    identity = verified_identity(secret, tracker.sender_id, tracker.events)
    return None if identity is None else (identity.channel, identity.external_id)


async def find_member(tracker: Tracker) -> Optional[Dict[str, Any]]:
    """The member behind the conversation's signed identity, or None."""
    identity = member_identity(tracker)
    if identity is None:
        return None
    return await client().member_by_channel(*identity)


async def verified_member_id(tracker: Tracker) -> Optional[int]:
    """The member id for a backends call, looked up again from the signed identity: the
    `member_id` slot only remembers it for the wording, it is never trusted for a call."""
    member = await find_member(tracker)
    return None if member is None else int(member["id"])


def request_key(tracker: Tracker, action: str, *parts: Any) -> str:
    """Same member message, same action, same choice: same key. A message the channel
    delivers twice (WeChat retries) carries the same message id in the metadata."""
    latest = tracker.latest_message or {}
    metadata = latest.get("metadata") or {}
    message_id = metadata.get("message_id") or latest.get("message_id") or ""
    return idempotency_key(tracker.sender_id, message_id, action, *parts)


def utter_backend_down(dispatcher: CollectingDispatcher) -> None:
    """Nothing was done: say so, and hand the member to a person who can help."""
    dispatcher.utter_message(response="utter_backend_unavailable")
    request_handoff(dispatcher, "backend_failure")


def utter_refused(dispatcher: CollectingDispatcher, refused: BackendRefused) -> None:
    """The backends' own explanation (already member-facing Chinese)."""
    dispatcher.utter_message(response="utter_backend_refused", reason=refused.message)


def utter_member_not_found(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(response="utter_member_not_found")
    utter_who_is_available(dispatcher, clock().now())


def reset(slots: Iterable[Text], keep: Iterable[Text] = ()) -> List[Dict[Text, Any]]:
    kept = set(keep)
    return [SlotSet(slot, None) for slot in slots if slot not in kept]


def entities_in_latest(tracker: Tracker) -> set:
    return {entity.get("entity") for entity in (tracker.latest_message or {}).get("entities", [])}


def latest_intent(tracker: Tracker) -> Optional[Text]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def buttons(titles: Iterable[str], payloads: Optional[Iterable[str]] = None) -> List[Dict[str, str]]:
    titles = list(titles)
    payloads = list(payloads) if payloads is not None else titles
    return [{"title": title, "payload": payload} for title, payload in zip(titles, payloads)]


class AbandonAction(Action, ABC):
    """The member said no to a summary (or left a form): say so and forget the answers.
    Abstract, so rasa-sdk registers only the concrete subclasses."""

    response: Text
    slots: Iterable[Text]

    @abstractmethod
    def name(self) -> Text:
        ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response=self.response)
        return reset(self.slots)
