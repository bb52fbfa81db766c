"""A member message the gateway sends again is handled at most once by Rasa.

The gateway keeps a message Rasa did not answer (down, frozen, a replica killed) and
sends it again later (bot/gateway/pending.py), after asking the tracker whether Rasa
saw it. Between that question and the new send another gateway replica may do the same,
or the first call may still be running in a Rasa that was frozen: the message would be
processed twice (a form step taken twice, two answers). So a message sent again carries
`resend` in its metadata, and here, inside the conversation's lock (Rasa's
Agent.handle_message holds it around MessageProcessor.handle_message, across replicas
with the lock store), a message whose id the tracker already holds is not processed
again: the bot's replies to it are sent once more instead, from the tracker. A first
send is never looked up, so the usual turn pays nothing.

Installed once per Rasa process with the channel (bot/rasa_channel.py).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

logger = logging.getLogger(__name__)

RESEND = "resend"  # metadata: this message was sent before (bot/gateway/router.py)
MESSAGE_ID = "message_id"
_INSTALLED = "_hm_once"


def replies_to(events: List[Any], message_id: str) -> Optional[List[Dict[str, Any]]]:
    """The bot's messages after the user event holding `message_id` (up to the next user
    event), as an output channel is given them; None when no user event holds it."""
    from rasa.shared.core.events import BotUttered, UserUttered

    start = None
    for index, event in enumerate(events):
        if isinstance(event, UserUttered) and (event.metadata or {}).get(MESSAGE_ID) == \
                message_id:
            start = index
    if start is None:
        return None
    replies = []
    for event in events[start + 1:]:
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            data = {key: value for key, value in (event.data or {}).items()
                    if value is not None}
            replies.append({"text": event.text, **data})
    return replies


def install() -> None:
    """Idempotent: a second call changes nothing."""
    from rasa.core.processor import MessageProcessor

    handle = MessageProcessor.handle_message
    if getattr(handle, _INSTALLED, False):
        return

    async def handle_message(self: MessageProcessor, message: Any):
        metadata = message.metadata or {}
        message_id = metadata.get(MESSAGE_ID)
        if metadata.get(RESEND) and message_id:
            tracker = await self.tracker_store.retrieve(message.sender_id)
            replies = replies_to(list(tracker.events), str(message_id)) if tracker else None
            if replies is not None:
                logger.info("a message sent again was handled before: its replies again")
                for reply in replies:
                    await message.output_channel.send_response(message.sender_id, reply)
                return getattr(message.output_channel, "messages", None)
        return await handle(self, message)

    setattr(handle_message, _INSTALLED, True)
    MessageProcessor.handle_message = handle_message
