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
