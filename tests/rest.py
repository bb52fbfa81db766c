"""Talking to the running servers over HTTP, as the gateway and members do."""
from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any, Dict, List, Optional

from bot import identity
from bot.processes import Server, local_secret


def post(url: str, body: dict, headers: Optional[Dict[str, str]] = None) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def get(url: str, headers: Optional[Dict[str, str]] = None) -> Any:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def signed_body(sender: str, text: str, metadata: Dict[str, Any]) -> Dict[str, Any]:
    """A message for Rasa's channel as the gateway sends it: signed (bot/identity.py)."""
    secret = local_secret(identity.SECRET_ENV).encode()
    return {"sender": sender, "message": text,
            "metadata": identity.sign(secret, sender, text, metadata)}


def member_tracker(latest: Dict[str, Any], slots: Dict[str, Any],
                   sender: str = "conversation-1") -> Any:
    """A tracker as Rasa hands it to the actions: the latest message is a user event the
    gateway signed, so the actions find its member (actions/backend.py)."""
    from rasa_sdk import Tracker

    metadata = signed_body(sender, latest.get("text") or "", latest.get("metadata") or {}
                           )["metadata"]
    latest = {**latest, "metadata": metadata}
    event = {"event": "user", "text": latest.get("text"), "metadata": metadata}
    return Tracker(sender, slots, latest, [event], False, None, None, "action_listen")


def rasa_api(server: Server, path: str) -> str:
    """A URL of Rasa's HTTP API, with the token it requires."""
    separator = "&" if "?" in path else "?"
    return f"{server.url}{path}{separator}token={local_secret('HM_RASA_TOKEN')}"


def send(server: Server, text: str, sender: Optional[str] = None,
         member: Optional[str] = None, channel: str = "web") -> List[Dict[str, Any]]:
    """One member message through Rasa's REST channel; the bot's replies, with buttons.
    `member` is the member's id on the channel, signed in the metadata as the gateway
    does; without one the conversation id stands for it (a guest)."""
    sender = sender or uuid.uuid4().hex
    metadata = {"channel": channel, "member": member or sender}
    return post(f"{server.url}/webhooks/rest/webhook", signed_body(sender, text, metadata))


def chat(server: Server, text: str, sender: Optional[str] = None,
         member: Optional[str] = None) -> List[str]:
    return [reply.get("text", "") for reply in send(server, text, sender, member)]


def parse(server: Server, text: str) -> dict:
    return post(rasa_api(server, "/model/parse"), {"text": text})


def entity_values(parsed: dict, name: str) -> list:
    return [e["value"] for e in parsed["entities"] if e["entity"] == name]


def handoffs(replies: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The handoff requests the bot made in these replies (custom payloads for the
    gateway, never shown to the member)."""
    return [r["custom"]["handoff"] for r in replies if "handoff" in (r.get("custom") or {})]
