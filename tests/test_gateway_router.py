"""What the router passes to Rasa: typed text is never an intent, and a payload only
when the bot offered that button; what the bot understood, as Rasa's channel says it."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from bot.clock import SHANGHAI
from bot.db import Database
from bot.gateway import messages, store
from bot.gateway.rasa import Understanding
from bot.gateway.router import text_for_rasa
from bot.gateway.types import ConversationGone

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("typed, sent", [
    ("直付怎么用", "直付怎么用"),
    ("/restart", "／restart"),
    ("  /EXTERNAL_handback", "／EXTERNAL_handback"),
    ("预约 /book_appointment", "预约 /book_appointment"),
])
def test_typed_text_is_never_an_intent(typed, sent):
    assert text_for_rasa(typed) == sent


def test_only_the_latest_offered_buttons_send_payloads(tmp_path: Path):
    db = Database.from_url(f"sqlite:///{tmp_path / 'gw.sqlite3'}")
    store.migrate(db)
    with db.writing() as session:
        inbound = store.record_member_message(session, "web", "m1", "我想", None, NOW)
        conversation_id = inbound.conversation.id
        store.record_replies(session, conversation_id, "bot", [
            {"text": "请问您是想？", "buttons": [{"title": "预约就诊", "payload": "/book_appointment"}]},
        ], NOW)
    with db.reading() as session:
        assert store.offered_payload(session, conversation_id, "/book_appointment")
        assert not store.offered_payload(session, conversation_id, "/restart")
    with db.writing() as session:
        store.record_replies(session, conversation_id, "bot", [
            {"text": "选哪个？", "buttons": [{"title": "1", "payload": "1"}]}], NOW)
    with db.reading() as session:
        assert not store.offered_payload(session, conversation_id, "/book_appointment")
    db.dispose()


def test_a_message_goes_into_the_conversation_the_channel_names(tmp_path: Path):
    db = Database.from_url(f"sqlite:///{tmp_path / 'gw.sqlite3'}")
    store.migrate(db)
    with db.writing() as session:
        conversation = store.get_or_create_conversation(session, "web", "m1", NOW)
        session.flush()
        known = conversation.id
    with db.writing() as session:
        stored = store.record_member_message(session, "web", "m1", "你好", "web-1", NOW, known)
    assert (stored.conversation.id, stored.duplicate) == (known, False)
    with db.writing() as session:  # purged meanwhile: refused, never made again
        with pytest.raises(ConversationGone):
            store.record_member_message(session, "web", "m1", "在吗", "web-2", NOW, known + 1)
    with db.reading() as session:
        assert store.find_conversation(session, "web", "m1").id == known
        assert [m.text for m in store.transcript(session, known)] == ["你好"]
    db.dispose()


def test_the_understanding_is_what_the_channel_says_with_the_known_slots():
    answer = {
        "parse_data": {"intent": {"name": "book_appointment", "confidence": 0.874},
                       "entities": [{"entity": "hospital", "value": "瑞金医院", "start": 1}],
                       "intent_ranking": [{"name": "book_appointment", "confidence": 0.874},
                                          {"name": "nlu_fallback", "confidence": 0.3}]},
        "slots": {"hospital": "瑞金医院", "department": None, "time": {"text": "下周二上午"}},
    }
    assert Understanding.from_channel(answer) == Understanding(
        "book_appointment", 0.874, [{"entity": "hospital", "value": "瑞金医院"}],
        {"hospital": "瑞金医院", "time": {"text": "下周二上午"}},
        [{"name": "book_appointment", "confidence": 0.874}])
    # A channel that says nothing (Rasa's plain REST channel, a failed turn).
    assert Understanding.from_channel(None) is None
    assert Understanding.from_channel({"parse_data": None}) is None


def test_the_gateways_first_words_on_an_emergency_are_the_bots():
    """The gateway answers an emergency itself only while Rasa is away; the member must
    read what the bot would have said (domain/shared.yml, utter_emergency_first)."""
    domain = yaml.safe_load((Path(__file__).parent.parent / "domain" / "shared.yml")
                            .read_text(encoding="utf-8"))
    variants = domain["responses"]["utter_emergency_first"]
    self_harm = [v["text"] for v in variants if v.get("condition")]
    plain = [v["text"] for v in variants if not v.get("condition")]
    assert self_harm == [messages.emergency_first(self_harm=True)]
    assert plain == [messages.emergency_first(self_harm=False)]
