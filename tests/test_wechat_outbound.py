"""Splitting and packing texts for WeChat's customer-service API, and its reply quota."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.clock import SHANGHAI
from bot.gateway.channels.wechat.outbound import (
    TEXT_LIMIT_BYTES,
    fit_quota,
    pack,
    split_text,
    window_for,
    with_options,
)

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
HINT = "回复任意内容查看剩余内容"


def size(text: str) -> int:
    return len(text.encode("utf-8"))


@pytest.mark.parametrize("text", [
    "短消息",
    "直付" * 400,                                     # 2,400 bytes, no break at all
    ("第一段。" * 100 + "\n\n") * 3,                   # paragraphs
    "一句话。" * 300,                                  # sentences only
    "😀" * 600,                                       # 4-byte characters
    "a" * 2048, "a" * 2049, "中" * 682 + "a" * 2,      # around the limit
])
def test_every_part_fits_and_nothing_is_lost(text):
    parts = split_text(text)
    assert all(0 < size(part) <= TEXT_LIMIT_BYTES for part in parts)
    assert "".join(parts).replace("\n\n", "") == text.replace("\n\n", "")


def test_a_text_within_the_limit_stays_whole():
    text = "中" * 682 + "ab"  # 2,048 bytes exactly
    assert split_text(text) == [text]


def test_paragraph_ends_are_preferred_to_sentence_ends():
    first, second = "甲。" * 300, "乙。" * 300  # 1,800 bytes each
    assert split_text(f"{first}\n\n{second}") == [first, second]


def test_sentence_ends_are_preferred_to_cutting_a_sentence():
    sentence = "这是一句不短的话，" * 20 + "到这里结束。"  # 558 bytes
    parts = split_text(sentence * 6)
    assert len(parts) == 2 and all(part.endswith("结束。") for part in parts)


def test_utterances_share_messages_while_they_fit():
    assert pack(["你好", "有什么可以帮您？"]) == ["你好\n\n有什么可以帮您？"]
    long = "长" * 1000  # 3,000 bytes: split, and its tail shares a message with "结尾"
    packed = pack(["开头", long, "结尾"])
    assert all(size(p) <= TEXT_LIMIT_BYTES for p in packed)
    assert packed[0] == "开头" and packed[-1].endswith("长\n\n结尾") and len(packed) == 3


@pytest.mark.parametrize("action, length, quota", [
    ("message", timedelta(hours=48), 5),
    ("click", timedelta(minutes=1), 3), ("scancode", timedelta(minutes=1), 3),
    ("subscribe", timedelta(minutes=1), 3), ("scan", timedelta(minutes=1), 3),
])
def test_the_window_each_member_action_opens(action, length, quota):
    window = window_for(action, NOW)
    assert window.remaining(NOW, 0) == quota
    assert window.remaining(NOW + length - timedelta(seconds=1), quota - 1) == 1
    assert window.remaining(NOW + length, 0) == 0


def test_a_view_menu_tap_opens_no_window():
    assert window_for("view", NOW) is None


def test_what_the_quota_cannot_take_waits_and_the_member_is_told():
    messages = [f"第{i}条" for i in range(1, 8)]
    batch = fit_quota(messages, 5, HINT)
    assert len(batch.send) == 5 and batch.send[-1].endswith(HINT)
    assert batch.held == messages[5:]
    assert fit_quota(messages[:3], 5, HINT).held == []
    assert fit_quota(messages, 0, HINT).send == []


def test_a_full_last_message_makes_room_for_the_hint():
    full = "满" * 682
    batch = fit_quota(["a", full, "b"], 2, HINT)
    assert batch.send == ["a", HINT] and batch.held == [full, "b"]


@pytest.mark.parametrize("titles, lines", [
    (["预约就诊", "咨询直付"], ["1. 预约就诊", "2. 咨询直付"]),
    # The survey's buttons carry their digit for the web chat: not numbered twice.
    (["1 非常满意", "2 满意", "3 一般"], ["1. 非常满意", "2. 满意", "3. 一般"]),
    (["1. 上午", "2、下午"], ["1. 上午", "2. 下午"]),
    # A number that is not the line's own stays part of the title.
    (["2 人同行", "10点以后", "3"], ["1. 2 人同行", "2. 10点以后", "3. 3"]),
])
def test_options_are_numbered_once(titles, lines):
    assert with_options("请选择", titles, "回复数字即可选择：").split("\n") == \
        ["请选择", "回复数字即可选择："] + lines
