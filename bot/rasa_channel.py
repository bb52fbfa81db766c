"""The Rasa server's only input channel (credentials.yml): Rasa's REST channel, at the
same address (/webhooks/rest/webhook), that accepts a message only when the gateway
signed it (bot.identity). An unsigned, altered or stale message is refused with 403
before it reaches the model or a tracker, so nobody but the gateway can speak as a member.

Asked with `?understanding=true` (the gateway does, bot/gateway/rasa.py), the channel
answers `{"messages": [...], "understanding": {"parse_data", "slots"}}`: the replies and
what the bot understood of the message (the latest user event's intent, ranking and
entities, and the slots that hold something), taken in this process from the tracker
the turn just saved, so the gateway needs no second call for it and Rasa no second
read of the tracker. Without the argument
the answer is Rasa's plain REST list, for every other client.

`rasa shell` uses its own command-line channel and is unaffected: its conversations are
anonymous (the actions find no signed member in them). Building this channel is also
where the Rasa process's logs get the masking formatter (bot.logmask).
"""
from __future__ import annotations

import json
import logging
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import logmask, rasa_once, rasa_tuning
from bot.identity import IdentityError, secret_from_env, verify

logger = logging.getLogger(__name__)

UNDERSTANDING_ARG = "understanding"  # the gateway's name for it too (bot/gateway/rasa.py)
# What the gateway keeps of the parse (the console, review): not the text or metadata.
PARSE_KEYS = ("intent", "entities", "intent_ranking")


# The tracker each conversation's turn last saved in this process, kept until the
# channel reads what the bot understood from it (a few hundred at most: a client that
# never asks leaves its own to be pushed out).
_SAVED: "OrderedDict[str, Any]" = OrderedDict()
SAVED_TRACKERS_KEPT = 256
_INSTALLED = "_hm_keeps_saved_trackers"


def keep_saved_trackers() -> None:
    """Remember the tracker a turn saves, so that `understanding` does not read and
    replay it again from the store. Idempotent."""
    from rasa.core.processor import MessageProcessor

    save = MessageProcessor.save_tracker
    if getattr(save, _INSTALLED, False):
        return

    async def save_tracker(self: MessageProcessor, tracker: Any) -> None:
        await save(self, tracker)
        _SAVED[tracker.sender_id] = tracker
        _SAVED.move_to_end(tracker.sender_id)
        while len(_SAVED) > SAVED_TRACKERS_KEPT:
            _SAVED.popitem(last=False)

    setattr(save_tracker, _INSTALLED, True)
    MessageProcessor.save_tracker = save_tracker


async def understanding(agent: Any, sender: str, text: str) -> Optional[Dict[str, Any]]:
    """What the bot understood of `text`, the latest message in `sender`'s conversation:
    from the tracker this turn saved, or else from this process's store; None when that
    message is not there (the turn failed)."""
    tracker = _SAVED.pop(sender, None)
    if tracker is None or not _latest_is(tracker, text):
        tracker = await agent.tracker_store.retrieve(sender) if agent is not None else None
    if tracker is None or not _latest_is(tracker, text):
        return None
    latest = tracker.latest_message
    parse = {key: latest.parse_data[key] for key in PARSE_KEYS if key in latest.parse_data}
    slots = {name: value for name, value in tracker.current_slot_values().items()
             if value not in (None, [], {}, "")}
    return {"parse_data": parse, "slots": slots}


def _latest_is(tracker: Any, text: str) -> bool:
    latest = tracker.latest_message
    return latest is not None and latest.text == text and bool(latest.parse_data.get("intent"))


class SignedRestInput(RestInput):
    """RestInput behind a signature check."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SignedRestInput":
        # Rasa builds its channels once its own logging is set up: the moment to put the
        # masking formatter on every handler of this process (bot.logmask).
        logmask.install()
        rasa_tuning.install()  # per-turn costs Rasa pays for nothing (bot/rasa_tuning.py)
        rasa_once.install()  # a message sent again is handled once (bot/rasa_once.py)
        keep_saved_trackers()  # `understanding` without reading the tracker again
        # The secret comes from the environment, never from credentials.yml (in git).
        return cls(secret_from_env())

    def refusal(self, request: Request) -> Optional[HTTPResponse]:
        """None when the gateway signed this message; otherwise the 403 to answer."""
        if request.method != "POST":
            return None  # the channel's health check
        body = request.json
        if not isinstance(body, dict):
            return response.json({"error": "a JSON object is required"}, status=400)
        sender, text = body.get("sender"), body.get("message")
        if not isinstance(sender, str) or not isinstance(text, str):
            return response.json({"error": "sender and message are required"}, status=400)
        try:
            verify(self.secret, sender, text, body.get("metadata"))
        except IdentityError as error:
            # The reason is ours (unsigned, bad signature, stale): nothing of the message.
            logger.warning("refused a message not signed by the gateway: %s", error)
            return response.json({"error": "forbidden"}, status=403)
        return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def signed_only(request: Request) -> Optional[HTTPResponse]:
            return self.refusal(request)

        @webhook.middleware("response")
        async def with_understanding(request: Request,
                                     answer: HTTPResponse) -> Optional[HTTPResponse]:
            """The replies, and what the bot understood, when the caller asks."""
            if (request.method != "POST" or answer.status != 200
                    or not bool_arg(request, UNDERSTANDING_ARG, default=False)
                    or bool_arg(request, "stream", default=False)):
                return None
            replies = json.loads(answer.body or b"[]")
            understood = await understanding(request.app.ctx.agent, request.json["sender"],
                                             request.json["message"])
            return response.json({"messages": replies, "understanding": understood})

        return webhook

    def _extract_input_channel(self, req: Request) -> Text:
        # The channel name in Rasa's tracker is this channel's, not one the caller picks.
        return self.name()
