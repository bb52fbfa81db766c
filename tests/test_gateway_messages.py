"""The gateway's and the console's sentences and labels (bot/gateway/messages.py): pure
functions of plain values, tested by table."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.gateway import messages

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("display_name, joined, calls_back", [
    ("王芳", "您好，我是您的私人健康管家王芳，接下来由我为您服务。",
     "您好，我是您的私人健康管家王芳，看到了您之前的留言，现在由我为您服务。"),
    # The default account of scripts/run.sh: never 健康管家健康管家.
    ("健康管家", "您好，我是您的私人健康管家，接下来由我为您服务。",
     "您好，我是您的私人健康管家，看到了您之前的留言，现在由我为您服务。"),
    ("管家wang", "您好，我是您的私人健康管家，接下来由我为您服务。",
     "您好，我是您的私人健康管家，看到了您之前的留言，现在由我为您服务。"),
    ("", "您好，我是您的私人健康管家，接下来由我为您服务。",
     "您好，我是您的私人健康管家，看到了您之前的留言，现在由我为您服务。"),
    (None, "您好，我是您的私人健康管家，接下来由我为您服务。",
     "您好，我是您的私人健康管家，看到了您之前的留言，现在由我为您服务。"),
])
def test_the_managers_greeting_reads_naturally_whatever_the_display_name(
        display_name, joined, calls_back):
    assert messages.manager_joined(display_name) == joined
    assert messages.manager_calls_back(display_name) == calls_back


# ------------------------------------------------------------------ what the bot understood

def domain_names(key: str) -> set:
    """Every name listed under `key` (intents, entities) in domain/*.yml."""
    names = set()
    for path in (ROOT / "domain").glob("*.yml"):
        names.update(yaml.safe_load(path.read_text(encoding="utf-8")).get(key) or [])
    return names


def test_every_intent_and_entity_of_the_domain_has_a_chinese_label():
    assert domain_names("intents") - set(messages.INTENTS) == set()
    assert domain_names("entities") - set(messages.ENTITIES) == set()
    assert "nlu_fallback" in messages.INTENTS  # Rasa's FallbackClassifier writes it


def test_the_line_names_the_intent_and_entities_in_chinese():
    line = messages.understanding(
        "book_appointment", 0.934,
        [{"entity": "hospital", "value": "华山医院"}, {"entity": "department", "value": "皮肤科"}],
        "bot")
    assert line == "识别：预约挂号（93%） · 医院 华山医院 · 科室 皮肤科"


@pytest.mark.parametrize("intent, confidence, entities, routed_to, line", [
    # A time's words, not its dict.
    ("book_appointment", 0.874, [{"entity": "time", "value": {"text": "下周二上午",
                                                              "start": "2026-12-01T08:00"}}],
     "bot", "识别：预约挂号（87%） · 时间 下周二上午"),
    ("nlu_fallback", 0.3, [], "bot", "识别：未能理解（30%）"),
    # Names the console has no label for yet are shown as they are.
    ("new_intent", 0.5, [{"entity": "new_entity", "value": "x"}], "bot",
     "识别：new_intent（50%） · new_entity x"),
    ("greet", None, [], "bot", "识别：问候"),
    # Where a message went is said when it is not the bot's ordinary answer.
    ("request_human", 0.99, [], "manager", "识别：要求人工（99%） · 转给管家（智能助手暂停）"),
    (None, None, [], "unrouted", "未经智能助手解析 · 智能助手不可用，消息已保存"),
    (None, None, [], None, "未经智能助手解析"),
])
def test_the_line_for_each_kind_of_reading(intent, confidence, entities, routed_to, line):
    assert messages.understanding(intent, confidence, entities, routed_to) == line


def test_the_details_hold_the_raw_reading_without_bookkeeping_slots():
    slots = {
        "hospital": "华山医院",
        "time": {"text": "下周二上午", "start": "2026-12-01T08:00"},
        "materials": ["身份证", "住院单"],
        "booking_allowed": True,
        "session_started_metadata": {"channel": "web", "member": "demo-ready"},
        "requested_slot": "department",
        "appointment": {"id": 7, "reference": "AP-7", "status": "confirmed"},
        "offered_slots": [{"id": 1, "start": "2026-12-01T08:00"}],
    }
    details = messages.understanding_details(
        "book_appointment", 0.934, [{"entity": "hospital", "value": "华山医院"}], slots, "bot")
    assert details == [
        {"label": "意图", "text": "book_appointment（置信度 0.93）"},
        {"label": "实体", "text": "hospital=华山医院"},
        {"label": "槽位", "text": "hospital=华山医院，time=下周二上午，materials=身份证、住院单，"
                                 "booking_allowed=True"},
        {"label": "去向", "text": "智能助手已回复"},
    ]
    assert messages.understanding_details(None, None, [], {}, None) == []


def test_understood_gives_the_line_and_its_details_together():
    both = messages.understood("greet", 0.9, [], {"requested_slot": "x"}, "bot")
    assert both == {"understanding": "识别：问候（90%）",
                    "understanding_details": [{"label": "意图", "text": "greet（置信度 0.90）"},
                                              {"label": "去向", "text": "智能助手已回复"}]}


# ------------------------------------------------------------------ labels for managers

@pytest.mark.parametrize("action, label", [
    ("claim", "接入会话"),
    ("claim_refused", "接入会话（被拒绝）"),
    ("unlock_account_refused", "解除锁定（被拒绝）"),
    ("review_story_refused", "存为测试对话（未保存）"),
    ("view_conversation", "查看会话"),
    ("something_new", "something_new"),
    ("something_new_refused", "something_new_refused"),
])
def test_audit_actions_in_words(action, label):
    assert messages.audit_action_label(action) == label


def test_every_handoff_outcome_has_a_label():
    from bot.gateway.models import HANDOFF_OUTCOMES

    assert set(HANDOFF_OUTCOMES) == set(messages.OUTCOMES)


@pytest.mark.parametrize("channel, external_id, member_id, label", [
    ("wechat", "oDEMO_ready", 12, "微信会员 #12"),
    ("web", "demo-ready", 1, "网页会员 #1"),
    ("web", "guest-3b1cce1b123d", None, "网页访客 123d"),
    # Openids of one official account share their first characters: the last tell apart.
    ("wechat", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", None, "微信访客 fL2M"),
    ("sms", "abc", None, "sms访客 abc"),
])
def test_a_chat_identity_is_named_by_channel_and_member_or_a_short_id(
        channel, external_id, member_id, label):
    assert messages.member_label(channel, external_id, member_id) == label
