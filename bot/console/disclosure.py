"""What a console user may read of a conversation, decided in one place (`sight`):
managers and admins, who act on conversations, read members' words as written;
reviewers read everything masked (bot.privacy.mask_for_display): the transcript on the
page, in the JSON and in live events, the understanding line and its 详情 with their
entity and slot values, the internal notes, the queue's previews and the member's
profile. Unmasking one message stays the admins' review action with a reason
(bot.review.inbox.unmask)."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, Optional

from bot import privacy
from bot.console.accounts import Principal
from bot.gateway import messages

# Values the NLU extracts whose kind says what they are (domain/link.yml); any other
# text value is masked for what bot.privacy finds in it.
VALUE_MASKS: Dict[str, Callable[[str], str]] = {
    "policy_number": privacy.mask_policy_number,
    "phone_last4": lambda value: "*" * len(value),
}
# The member's profile from the backends: the fields that identify the member.
PROFILE_MASKS: Dict[str, Callable[[str], str]] = {
    "name": privacy.mask_name,
    "phone": privacy.mask_digits,
    "policy_number": privacy.mask_policy_number,
    "direct_pay_card": privacy.mask_policy_number,
}


def masked_value(name: str, value: Any) -> Any:
    """An entity's or slot's value as a reviewer reads it (strings inside dicts and
    lists too: a time slot carries its words)."""
    if isinstance(value, str):
        return VALUE_MASKS.get(name, privacy.mask_for_display)(value)
    if isinstance(value, dict):
        return {key: masked_value(key, inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [masked_value(name, inner) for inner in value]
    return value


def _text(value: Optional[str]) -> Optional[str]:
    return privacy.mask_for_display(value) if value else value


@dataclass(frozen=True)
class Sight:
    """How one principal reads conversations: as written, or masked."""

    masked: bool

    def message(self, view: Dict[str, Any]) -> Dict[str, Any]:
        """A message view (store.console_view, maybe with delivery label and media)."""
        if not self.masked:
            return view
        entities = [{**e, "value": masked_value(str(e.get("entity")), e.get("value"))}
                    if isinstance(e, dict) else e for e in view.get("entities") or []]
        slots = {name: masked_value(name, value)
                 for name, value in (view.get("slots") or {}).items()}
        shown = {**view, "text": _text(view.get("text"))}
        if "entities" in view:
            shown["entities"] = entities
        if "slots" in view:
            shown["slots"] = slots
        if view.get("understanding") is not None:  # the line and its 详情, masked values
            shown.update(messages.understood(view.get("intent"), view.get("confidence"),
                                             entities, slots, view.get("routed_to")))
        return shown

    def note(self, view: Dict[str, Any]) -> Dict[str, Any]:
        return {**view, "text": _text(view.get("text"))} if self.masked else view

    def conversation(self, data: Dict[str, Any]) -> Dict[str, Any]:
        """views.conversation_page's data."""
        if not self.masked:
            return data
        card = data.get("card")
        if card is not None:      # the member's words and the form's answers
            card = {**card, "question": _text(card.get("question")),
                    "facts": [{**fact, "value": _text(fact.get("value"))}
                              for fact in card.get("facts") or []]}
        return {**data, "messages": [self.message(m) for m in data["messages"]],
                "notes": [self.note(n) for n in data["notes"]], "card": card}

    def queue(self, data: Dict[str, Any]) -> Dict[str, Any]:
        """views.queue_page's data: the previews are the member's last words."""
        if not self.masked:
            return data
        return {**data, "items": [{**item, "preview": _text(item.get("preview"))}
                                  for item in data["items"]]}

    def profile(self, profile: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
        """views.profile_view's data."""
        if not self.masked or profile is None:
            return profile
        member = {key: PROFILE_MASKS[key](value) if key in PROFILE_MASKS and value else value
                  for key, value in (profile.get("member") or {}).items()}
        cases = [{**case, "treatment_text": _text(case.get("treatment_text"))}
                 for case in profile.get("preauth_cases") or []]
        return {**profile, "member": member, "preauth_cases": cases}

    def event(self, event: Dict[str, Any]) -> Dict[str, Any]:
        """A live event of a conversation's topic (bot.gateway.live)."""
        if not self.masked:
            return event
        if event.get("type") == "message" and isinstance(event.get("message"), dict):
            return {**event, "message": self.message(event["message"])}
        if event.get("type") == "note" and isinstance(event.get("note"), dict):
            return {**event, "note": self.note(event["note"])}
        return event


AS_WRITTEN = Sight(masked=False)
MASKED = Sight(masked=True)


def sight(principal: Principal) -> Sight:
    """The rule: whoever acts on conversations (managers, admins) reads them as written;
    everyone else (reviewers) reads them masked."""
    return AS_WRITTEN if principal.can_act else MASKED


class _SeenQueue:
    """A live subscriber's queue whose events pass through a Sight."""

    def __init__(self, queue: Any, seen: Sight) -> None:
        self._queue, self._seen = queue, seen

    async def get(self) -> Dict[str, Any]:
        return self._seen.event(await self._queue.get())


class SeenHub:
    """The live hub (bot.gateway.live.Hub) as one principal's stream reads it: what
    bot.gateway.live.stream subscribes to, so the stream itself stays the same."""

    def __init__(self, hub: Any, seen: Sight) -> None:
        self._hub, self._seen = hub, seen

    @contextmanager
    def subscribe(self, *topics: str) -> Iterator[Any]:
        with self._hub.subscribe(*topics) as queue:
            yield queue if not self._seen.masked else _SeenQueue(queue, self._seen)
