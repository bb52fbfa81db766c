"""The Rasa server's only input channel (credentials.yml): Rasa's REST channel, at the
same address (/webhooks/rest/webhook), that accepts a message only when the gateway
signed it (bot.identity). An unsigned, altered or stale message is refused with 403
before it reaches the model or a tracker, so nobody but the gateway can speak as a member.

`rasa shell` uses its own command-line channel and is unaffected: its conversations are
anonymous (the actions find no signed member in them). Building this channel is also
where the Rasa process's logs get the masking formatter (bot.logmask).
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import logmask, rasa_tuning
from bot.identity import IdentityError, secret_from_env, verify

logger = logging.getLogger(__name__)


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

        return webhook

    def _extract_input_channel(self, req: Request) -> Text:
        # The channel name in Rasa's tracker is this channel's, not one the caller picks.
        return self.name()
