"""Rasa's only channel (bot/rasa_channel.py) on the real Rasa server: a plain REST client
gets Rasa's list of replies; the gateway, asking `?understanding=true`, gets the replies
and what the bot understood in the same answer; a message the gateway did not sign is
refused either way. (Its signature checks are in tests/security/test_trust_boundary.py.)"""
from __future__ import annotations

import uuid

import pytest
import requests

from bot.processes import Server
from tests.rest import signed_body

pytestmark = pytest.mark.slow


def webhook(rasa: Server, body: dict, understanding: bool) -> requests.Response:
    params = {"understanding": "true"} if understanding else {}
    return requests.post(f"{rasa.url}/webhooks/rest/webhook", json=body, params=params,
                         timeout=60)


def message(text: str, sender: str) -> dict:
    return signed_body(sender, text, {"channel": "web", "member": sender})


def test_a_plain_rest_client_gets_the_list_of_replies(rasa_server: Server) -> None:
    answer = webhook(rasa_server, message("直付是什么意思", uuid.uuid4().hex), False)
    assert answer.status_code == 200
    replies = answer.json()
    assert isinstance(replies, list) and replies and all("text" in r for r in replies)


def test_the_gateway_gets_the_replies_and_what_the_bot_understood(rasa_server: Server) -> None:
    sender = uuid.uuid4().hex
    first = webhook(rasa_server, message("直付是什么意思", sender), True).json()
    assert first["messages"] and all("text" in r for r in first["messages"])
    parse = first["understanding"]["parse_data"]
    assert parse["intent"]["name"] == "ask_direct_billing"
    assert 0 < parse["intent"]["confidence"] <= 1
    assert parse["intent_ranking"][0]["name"] == "ask_direct_billing"
    assert set(parse) <= {"intent", "entities", "intent_ranking"}  # not the text or metadata
    # The latest message's reading, and only the slots that hold something.
    later = webhook(rasa_server, message("帮我约瑞金医院皮肤科", sender), True).json()
    understood = later["understanding"]
    assert understood["parse_data"]["intent"]["name"] == "book_appointment"
    assert {e["entity"] for e in understood["parse_data"]["entities"]} >= {"hospital"}
    assert understood["slots"] and None not in understood["slots"].values()


def test_an_unsigned_message_is_refused_with_or_without_the_understanding(
        rasa_server: Server) -> None:
    unsigned = {"sender": uuid.uuid4().hex, "message": "我约了哪些号",
                "metadata": {"channel": "web", "member": "demo-noshow"}}
    for understanding in (False, True):
        refused = webhook(rasa_server, unsigned, understanding)
        assert refused.status_code == 403
        assert "understanding" not in refused.text


def test_what_the_bot_understood_comes_from_the_tracker_the_turn_saved() -> None:
    """No second read of the tracker per turn: the one the turn saved is used, once."""
    import asyncio
    from types import SimpleNamespace

    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_channel import keep_saved_trackers, understanding

    keep_saved_trackers()
    keep_saved_trackers()  # idempotent
    domain = Domain.from_yaml("slots:\n  hospital:\n    type: text\n    mappings: []\n")
    store = InMemoryTrackerStore(domain)
    sender = uuid.uuid4().hex
    parse = {"intent": {"name": "book_appointment", "confidence": 0.9}, "entities": [],
             "text": "约瑞金", "metadata": {"member": "x"}}
    tracker = DialogueStateTracker.from_events(sender, [
        UserUttered("约瑞金", parse["intent"], [], parse), SlotSet("hospital", "瑞金医院")],
        domain.slots)

    async def turn():
        await MessageProcessor.save_tracker(SimpleNamespace(tracker_store=store), tracker)
        no_store = None  # the saved tracker answers; nothing is read
        first = await understanding(no_store, sender, "约瑞金")
        again = await understanding(no_store, sender, "约瑞金")  # kept once only
        other = await understanding(SimpleNamespace(tracker_store=store), sender, "别的话")
        from_store = await understanding(SimpleNamespace(tracker_store=store), sender, "约瑞金")
        return first, again, other, from_store

    first, again, other, from_store = asyncio.run(turn())
    assert first == {"parse_data": {"intent": parse["intent"], "entities": []},
                     "slots": {"hospital": "瑞金医院"}}
    assert again is None and other is None
    assert from_store == first
