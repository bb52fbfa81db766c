"""The gateway's client for the Rasa server: the REST channel for member messages (our
channel, bot/rasa_channel.py, answers with what the bot understood as well as its
replies), and the HTTP API for pausing, resuming, context while paused, hand back and
forgetting. One aiohttp session, an explicit timeout on every call; any failure is
RasaUnavailable, which the router turns into an apology (the message is kept)."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import aiohttp

from bot import identity

logger = logging.getLogger(__name__)

HANDBACK_INTENT = "EXTERNAL_handback"
FALLBACK_INTENT = "nlu_fallback"  # Rasa's FallbackClassifier: the bot did not understand
RANKING_SIZE = 5  # intents kept of the classifier's ranking
# Asks our REST channel for what the bot understood with the replies (bot/rasa_channel.py).
UNDERSTANDING_ARG = "understanding"


class RasaUnavailable(Exception):
    """Rasa is down, too slow, or answered with an error."""


def _entity(e: Dict[str, Any]) -> Dict[str, Any]:
    """An entity as stored: type and value (what the console shows), and where it is in
    the text and which component found it when Rasa says (what review needs)."""
    entity = {"entity": e.get("entity"), "value": e.get("value")}
    if isinstance(e.get("start"), int) and isinstance(e.get("end"), int):
        entity["start"], entity["end"] = e["start"], e["end"]
    if e.get("extractor"):
        entity["extractor"] = e["extractor"]
    return entity


def _ranking(parse_data: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The classifier's top intents. nlu_fallback is left out: the message's intent
    already says the fallback fired, the ranking says what the classifier thought."""
    ranking = [
        {"name": r.get("name"), "confidence": float(r.get("confidence") or 0.0)}
        for r in parse_data.get("intent_ranking") or []
        if r.get("name") and r.get("name") != FALLBACK_INTENT
    ]
    return ranking[:RANKING_SIZE]


@dataclass(frozen=True)
class Understanding:
    """What the bot understood of one member message, for the console and review."""

    intent: Optional[str]
    confidence: Optional[float]
    entities: List[Dict[str, Any]]
    slots: Dict[str, Any]
    intent_ranking: List[Dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_parse(cls, parse_data: Dict[str, Any], slots: Dict[str, Any]) -> "Understanding":
        intent = parse_data.get("intent") or {}
        entities = [_entity(e) for e in parse_data.get("entities") or []]
        # Only the slots that hold something: the console shows what the bot knows.
        known = {k: v for k, v in (slots or {}).items() if v not in (None, [], {}, "")}
        confidence = intent.get("confidence")
        return cls(intent.get("name"), None if confidence is None else float(confidence),
                   entities, known, _ranking(parse_data))

    @classmethod
    def from_channel(cls, answer: Any) -> Optional["Understanding"]:
        """What our REST channel says the bot understood ({"parse_data", "slots"}:
        bot/rasa_channel.py), or None when it says nothing."""
        if not isinstance(answer, dict) or not isinstance(answer.get("parse_data"), dict):
            return None
        slots = answer.get("slots")
        return cls.from_parse(answer["parse_data"], slots if isinstance(slots, dict) else {})


@dataclass(frozen=True)
class Turn:
    """The bot's answer to one member message: its replies (the REST channel's list) and
    what it understood (None when Rasa's channel did not say)."""

    replies: List[Dict[str, Any]]
    understanding: Optional[Understanding]


class RasaClient:
    def __init__(self, url: str, timeout: float, token: Optional[str] = None,
                 identity_secret: Optional[bytes] = None) -> None:
        self.url = url.rstrip("/")
        # Signs who the member is on each message (bot/identity.py): Rasa's channel
        # refuses what the gateway did not sign, the actions trust only what it signed.
        self._secret = identity_secret
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        # Rasa's HTTP API token (`rasa run --auth-token`); the channel checks signatures.
        self._params = {"token": token} if token else {}
        self._session: Optional[aiohttp.ClientSession] = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=self.timeout)

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, method: str, path: str, body: Any = None,
                    params: Optional[Dict[str, str]] = None) -> Any:
        if self._session is None:
            raise RuntimeError("RasaClient.start() was not awaited")
        try:
            async with self._session.request(method, self.url + path, json=body,
                                             params={**self._params, **(params or {})}
                                             ) as response:
                if response.status >= 400:
                    detail = (await response.text())[:300]
                    raise RasaUnavailable(f"{method} {path}: HTTP {response.status} {detail}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as error:
            logger.warning("rasa %s %s failed: %r", method, path, error)
            raise RasaUnavailable(f"{method} {path}: {error!r}") from error

    def _conversation(self, sender: str) -> str:
        # Rasa takes the id as the raw path (it does not decode %3A): keep ":" as it is.
        return f"/conversations/{quote(sender, safe=':@')}"

    async def send(self, sender: str, text: str, metadata: Dict[str, Any]) -> Turn:
        """One member message through the REST channel, in one call: the bot's replies
        and what it understood (`?understanding=true`, bot/rasa_channel.py; a plain
        REST channel answers the list alone, and the understanding is None)."""
        answer = await self._call("POST", "/webhooks/rest/webhook",
                                  {"sender": sender, "message": text,
                                   "metadata": self._signed(sender, text, metadata)},
                                  {UNDERSTANDING_ARG: "true"})
        if isinstance(answer, list):
            return Turn(answer, None)
        if not isinstance(answer, dict) or not isinstance(answer.get("messages"), list):
            raise RasaUnavailable(f"REST channel answered {type(answer).__name__}, not "
                                  "the replies")
        understood = Understanding.from_channel(answer.get("understanding"))
        if not answer["messages"] and understood is None:
            # Our channel found no such message in the tracker and the bot said nothing:
            # the turn failed inside Rasa (its lock store down answers 200 and nothing).
            raise RasaUnavailable("REST channel answered no replies and no turn")
        return Turn(answer["messages"], understood)

    def _signed(self, sender: str, text: str, metadata: Dict[str, Any]) -> Dict[str, Any]:
        if self._secret is None:
            return metadata
        return identity.sign(self._secret, sender, text, metadata)

    async def healthy(self) -> bool:
        """Whether Rasa answers at all (its version, no token needed): the retrier's
        check before it sends the messages kept while Rasa was away."""
        try:
            answer = await self._call("GET", "/version")
        except RasaUnavailable:
            return False
        return isinstance(answer, dict)

    async def answered(self, sender: str, message_id: str) -> Optional[Turn]:
        """The bot's answer to the member message `message_id` when Rasa did receive it
        (the gateway lost the answer: a timeout, a restart): from the tracker, the user
        event holding that id in its metadata and the bot's events after it. None when
        Rasa never saw the message, so it may be sent again without being done twice."""
        tracker = await self._call("GET", self._conversation(sender) + "/tracker")
        events = list((tracker or {}).get("events") or [])
        start = None
        for index, event in enumerate(events):
            if (event.get("event") == "user"
                    and (event.get("metadata") or {}).get("message_id") == message_id):
                start = index
        if start is None:
            return None
        replies: List[Dict[str, Any]] = []
        for event in events[start + 1:]:
            if event.get("event") == "user":
                break
            if event.get("event") == "bot":
                data = event.get("data") or {}
                replies.append({"text": event.get("text"), "buttons": data.get("buttons"),
                                "custom": data.get("custom")})
        parse = events[start].get("parse_data") or {}
        understood = (Understanding.from_parse(parse, tracker.get("slots") or {})
                      if parse.get("intent") else None)
        return Turn(replies, understood)

    async def parse(self, text: str) -> Dict[str, Any]:
        return await self._call("POST", "/model/parse", {"text": text})

    async def append(self, sender: str, events: List[Dict[str, Any]]) -> Dict[str, Any]:
        """Append events (no prediction); the tracker after them. A member's message
        appended while a manager has the conversation is signed like any other."""
        events = [self._signed_event(sender, event) for event in events]
        return await self._call("POST", self._conversation(sender) + "/tracker/events", events)

    def _signed_event(self, sender: str, event: Dict[str, Any]) -> Dict[str, Any]:
        if event.get("event") != "user" or not isinstance(event.get("metadata"), dict):
            return event
        return {**event, "metadata": self._signed(sender, str(event.get("text") or ""),
                                                  event["metadata"])}

    async def forget(self, sender: str) -> None:
        """Replace the conversation's events with none: what the bot remembered of a
        member who must be forgotten (WeChat unsubscribe) is gone."""
        await self._call("PUT", self._conversation(sender) + "/tracker/events", [])

    async def pause(self, sender: str) -> None:
        await self.append(sender, [{"event": "pause"}])

    async def resume(self, sender: str) -> None:
        await self.append(sender, [{"event": "resume"}])

    async def hand_back(self, sender: str) -> List[Dict[str, Any]]:
        """Resume, then tell the bot a manager handled it; the bot's messages."""
        await self.resume(sender)
        answer = await self._call("POST", self._conversation(sender) + "/trigger_intent",
                                  {"name": HANDBACK_INTENT, "entities": {}})
        return list((answer or {}).get("messages") or [])
