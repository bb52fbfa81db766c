"""The held-out conversation set (tests/conversations/README.md) keeps its shape, every
expectation is one the runner knows, and none of its messages is in the training data or
in the held-out triage set."""
from __future__ import annotations

from collections import Counter

from bot import conversation_eval
from tests.test_triage_heldout import _normal, held_out, trained_messages

ITEMS = {"health_question", "triage_emergency", "triage_today", "triage_question",
         "emergency_episode", "self_harm", "whole_request", "doctor", "price", "no_dead_end",
         "warning_before_yes", "to_the_point", "welcome", "bad_input"}
MEMBERS = {"demo-ready", "demo-waiting", "demo-noshow", "demo-preauth", "guest"}
ASKS = {"hospital", "department", "time", "doctor", "treatment", "amount", "patient",
        "appointment", "confirm", "nothing", "materials"}
HANDOFFS = {"health", "emergency", "crisis", "request_human", "complaint", "urgent_care", "none"}


def test_the_set_has_at_least_150_conversations_each_well_formed() -> None:
    conversations = conversation_eval.load_set()
    assert len(conversations) >= 150
    ids = Counter(c["id"] for c in conversations)
    assert not [i for i, n in ids.items() if n > 1]
    for c in conversations:
        assert set(c["covers"]) <= ITEMS, c["id"]
        assert c.get("member", "guest") in MEMBERS, c["id"]
        assert c.get("time", "day") in conversation_eval.TIMES, c["id"]
        assert c.get("channel", "web") in ("web", "wechat"), c["id"]
        assert c["turns"], c["id"]
        for turn in c["turns"]:
            assert str(turn["say"]).strip(), c["id"]
            expect = turn.get("expect") or {}
            assert set(expect) <= conversation_eval.EXPECTATION_KEYS, (c["id"], expect)
            assert expect.get("asks", "nothing") in ASKS, c["id"]
            assert expect.get("handoff", "none") in HANDOFFS, c["id"]


def test_every_item_of_the_issue_is_covered() -> None:
    covered = Counter(item for c in conversation_eval.load_set() for item in c["covers"])
    assert set(covered) == ITEMS
    assert min(covered.values()) >= 4


def test_no_held_out_conversation_message_is_in_the_training_data() -> None:
    trained = trained_messages()
    said = {_normal(str(t["say"])) for c in conversation_eval.load_set() for t in c["turns"]}
    # Short answers (确认, 2, 算了) are what every member says; only messages that carry a
    # request or a health matter must be new.
    copied = [s for s in said if len(s) > 6 and s in trained]
    assert not copied, copied[:5]
    triage = {_normal(t) for texts in held_out().values() for t in texts}
    assert not [s for s in said if len(s) > 6 and s in triage]
