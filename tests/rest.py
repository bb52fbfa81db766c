"""Talking to the running servers over HTTP, as the gateway and members do."""
from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any, Dict, List, Optional

from bot.processes import Server


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


def send(server: Server, text: str, sender: Optional[str] = None,
         member: Optional[str] = None) -> List[Dict[str, Any]]:
    """One member message through Rasa's REST channel; the bot's replies, with buttons.
    `member` is the member's web-chat id, passed in the metadata as the gateway does."""
    body: Dict[str, Any] = {"sender": sender or uuid.uuid4().hex, "message": text}
    if member:
        body["metadata"] = {"channel": "web", "member": member}
    return post(f"{server.url}/webhooks/rest/webhook", body)


def chat(server: Server, text: str, sender: Optional[str] = None,
         member: Optional[str] = None) -> List[str]:
    return [reply.get("text", "") for reply in send(server, text, sender, member)]


def parse(server: Server, text: str) -> dict:
    return post(f"{server.url}/model/parse", {"text": text})


def entity_values(parsed: dict, name: str) -> list:
    return [e["value"] for e in parsed["entities"] if e["entity"] == name]


def handoffs(replies: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The handoff requests the bot made in these replies (custom payloads for the
    gateway, never shown to the member)."""
    return [r["custom"]["handoff"] for r in replies if "handoff" in (r.get("custom") or {})]
