"""The custom NLU components on hand-built messages: no model, no server."""
from __future__ import annotations

from datetime import datetime

from rasa.shared.nlu.training_data.message import Message

from bot.clock import SHANGHAI, Clock
from bot.nlu.components import RedFlagOverride, TimeAmountExtractor


def message(text: str, intent: str | None = None, confidence: float = 0.9) -> Message:
    data = {"text": text}
    if intent:
        data["intent"] = {"name": intent, "confidence": confidence}
        data["intent_ranking"] = [{"name": intent, "confidence": confidence},
                                  {"name": "report_emergency", "confidence": 0.01}]
    return Message(data=data)


def entities(msg: Message, name: str) -> list:
    return [e for e in msg.get("entities", []) if e["entity"] == name]


def test_red_flag_replaces_any_prediction_and_heads_the_ranking():
    [msg] = RedFlagOverride().process([message("我妈喝了农药", "nlu_fallback", 0.5)])
    assert msg.get("intent") == {"name": "report_emergency", "confidence": 1.0}
    ranking = msg.get("intent_ranking")
    assert ranking[0]["name"] == "report_emergency"
    assert [r["name"] for r in ranking].count("report_emergency") == 1
    [flag] = entities(msg, "red_flag")
    assert flag["value"] == "poisoning" and msg.get("text")[flag["start"]:flag["end"]] == "喝了农药"


def test_self_harm_is_tagged_for_the_crisis_reply():
    [msg] = RedFlagOverride().process([message("活着没意思 不想活了", "out_of_scope")])
    assert entities(msg, "red_flag")[0]["value"] == "self_harm"


def test_classifier_emergency_without_a_rule_match_still_updates_the_slot():
    [msg] = RedFlagOverride().process([message("快来帮帮我爸", "report_emergency")])
    assert entities(msg, "red_flag")[0]["value"] == "unspecified"


def test_ordinary_messages_pass_untouched():
    [msg] = RedFlagOverride().process([message("卒中筛查能直付吗", "ask_direct_billing")])
    assert msg.get("intent")["name"] == "ask_direct_billing"
    assert entities(msg, "red_flag") == []


def test_time_and_amount_entities_follow_the_injected_clock():
    clock = Clock(datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI))
    [msg] = TimeAmountExtractor(clock).process([message("1月5号上午做胃镜 大概两千块")])
    [when] = entities(msg, "time")
    assert when["value"]["start"].startswith("2027-01-05T08:00")
    assert entities(msg, "amount")[0]["value"] == 2000
