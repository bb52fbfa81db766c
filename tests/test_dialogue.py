"""The trained assistant end to end: data validation, test stories, the held-out NLU
set, and conversations through the REST channel with the real action server."""
from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from bot.evaluate import run_nlu_test, summarize
from bot.processes import ROOT, VENV_BIN, Server
from tests.conftest import TEST_VAR
from tests.rest import chat, entity_values, handoffs, parse, send

pytestmark = pytest.mark.slow

# The small test model trains with fewer epochs than production; `make evaluate`
# holds the production model to the 0.95 target.
SMALL_MODEL_MIN_ACCURACY = 0.90


def rasa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "rasa"), *args], cwd=ROOT, capture_output=True, text=True
    )


UNUSED_RESPONSE = re.compile(r"The utterance '(utter_\w+)' is not used in any story or rule")
# Rasa's own fallback action speaks this one.
SPOKEN_BY_RASA = {"utter_default"}


def form_prompts() -> set:
    """utter_ask_<form>_<slot>: Rasa's forms speak these when they request a slot."""
    prompts = set()
    for path in (ROOT / "domain").glob("*.yml"):
        forms = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("forms") or {}
        for form, spec in forms.items():
            prompts |= {f"utter_ask_{form}_{slot}" for slot in spec["required_slots"]}
    return prompts


def test_training_data_and_domain_validate_cleanly():
    """Rasa 3.6 cannot see responses spoken by custom actions and warns about them (it
    does not fail on it); every other warning fails the test."""
    result = rasa("data", "validate", "--domain", "domain", "--fail-on-warnings")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    actions_source = "".join(p.read_text() for p in (ROOT / "actions").glob("*.py"))
    unexplained = [
        name for name in UNUSED_RESPONSE.findall(output)
        if name not in SPOKEN_BY_RASA | form_prompts() and f'"{name}"' not in actions_source
    ]
    assert unexplained == []
    # EXTERNAL_ intents are sent by the gateway (trigger_intent), never typed by members.
    other = [line for line in output.splitlines()
             if "UserWarning" in line and "is not used in any story or rule" not in line
             and not re.search(r"The intent 'EXTERNAL_\w+' is listed in the domain file", line)]
    assert other == []


def test_every_test_story_passes(test_model: Path):
    out = TEST_VAR / "core-results"
    result = rasa("test", "core", "--stories", "tests/stories", "--model", str(test_model),
                  "--out", str(out), "--fail-on-prediction-errors", "--no-plot")
    failed = out / "failed_test_stories.yml"
    detail = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + detail


def test_held_out_set_catches_every_emergency(test_model: Path):
    out = TEST_VAR / "nlu-results"
    run_nlu_test(test_model, out)
    summary = summarize(out)
    assert summary.emergency_recall == 1.0, summary
    assert summary.intent_accuracy >= SMALL_MODEL_MIN_ACCURACY, summary


@pytest.mark.parametrize("text", [
    "我爸突然说话不利索 半边身子没劲",
    "急！老婆晕倒了叫不醒",
    "我妈喝了农药",
    "孩子吃了一整瓶药",
    "胸口疼得厉害 出冷汗",
])
def test_emergency_in_lay_words_gets_120_first(rasa_server: Server, text: str):
    replies = chat(rasa_server, text)
    assert "120" in replies[0]
    assert any("48小时" in r for r in replies[1:])


def test_self_harm_gets_crisis_lines_first(rasa_server: Server):
    replies = chat(rasa_server, "我真的不想活了")
    assert "120" in replies[0] and "12356" in replies[0]


def test_red_flag_wins_in_the_middle_of_another_request(rasa_server: Server):
    replies = chat(rasa_server, "预约的事先放一放 我妈刚才吐血了好多")
    assert "120" in replies[0]


@pytest.mark.parametrize("text", ["牙疼死了 想约口腔科", "卒中筛查能直付吗", "去年心梗住院的费用怎么报销"])
def test_alarming_words_without_an_emergency_get_no_120(rasa_server: Server, text: str):
    replies = chat(rasa_server, text)
    assert replies and not any("120" in r for r in replies), replies


def test_service_hours_say_a_manager_is_online_at_ten(rasa_server: Server):
    replies = chat(rasa_server, "管家几点上班")
    assert any("08:30–20:30" in r for r in replies)
    assert "现在管家在线" in replies[-1]


def test_second_misunderstanding_in_a_row_hands_over_to_a_manager(rasa_server: Server):
    sender = uuid.uuid4().hex
    first = send(rasa_server, "/nlu_fallback", sender)
    second = send(rasa_server, "/nlu_fallback", sender)
    assert "换个说法" in first[0]["text"] and not handoffs(first)
    assert "真人健康管家" in second[0]["text"]
    assert handoffs(second) == [{"reason": "fallback", "priority": 1}]


@pytest.mark.parametrize("text, reason, priority", [
    ("帮我转人工", "request_human", 1),
    ("我要投诉你们 服务太差了", "complaint", 2),
    ("我妈喝了农药", "emergency", 3),
])
def test_the_bot_asks_the_gateway_for_a_person_and_says_why(rasa_server: Server, text,
                                                               reason, priority):
    replies = send(rasa_server, text)
    assert [(h["reason"], h["priority"]) for h in handoffs(replies)] == [(reason, priority)]
    assert "handoff" in (replies[-1].get("custom") or {})  # after everything the bot said


def test_a_hand_back_is_acknowledged(rasa_server: Server):
    replies = send(rasa_server, "/EXTERNAL_handback")
    assert "健康管家已经为您处理好了" in replies[0]["text"]


def test_parse_resolves_time_against_the_clock_and_canonical_entities(rasa_server: Server):
    parsed = parse(rasa_server, "明天下午三点约瑞金皮肤科")
    [when] = entity_values(parsed, "time")
    assert when["start"].startswith("2026-11-25T15:00")
    assert entity_values(parsed, "hospital") == ["瑞金医院"]
    assert entity_values(parsed, "department") == ["皮肤科"]


def test_parse_reads_amounts_in_chinese(rasa_server: Server):
    parsed = parse(rasa_server, "PET-CT大概一万二要预授权吗")
    assert entity_values(parsed, "amount") == [12000]
