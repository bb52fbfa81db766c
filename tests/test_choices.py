"""Reading members' short answers: picks from a list, materials, booking cues."""
from __future__ import annotations

import pytest

from actions.visits import booking_window
from bot import wording
from bot.choices import (
    is_accidental_injury,
    is_for_someone_else,
    parse_choice,
    parse_materials,
    preauth_item,
)

CODES = wording.MATERIAL_ORDER


@pytest.mark.parametrize("text, count, index", [
    ("1", 3, 0), ("2", 3, 1), (" 3 ", 3, 2), ("２", 3, 1), ("第一个", 3, 0), ("第二个吧", 3, 1),
    ("选第三个", 3, 2), ("就第1个", 3, 0), ("选2", 3, 1), ("②", 3, 1), ("最后那个", 3, 2),
    ("最后一个", 2, 1), ("两个", 3, 1), ("第2项", 4, 1),
    # not a pick, or a number that was not offered
    ("4", 3, None), ("0", 3, None), ("1", 0, None), ("12月1日", 3, None), ("下午3点", 3, None),
    ("瑞金", 3, None), ("", 3, None), ("我要取消第二个预约和第三个", 3, None),
])
def test_a_pick_from_a_numbered_list(text, count, index):
    assert parse_choice(text, count) == index


@pytest.mark.parametrize("text, picked", [
    ("都齐了", set(CODES)), ("材料都准备好了", set(CODES)), ("全部都有", set(CODES)),
    ("还没有", set()), ("没有", set()), ("都没有", set()),
    ("1 3 4", {CODES[0], CODES[2], CODES[3]}), ("1、2、5", {CODES[0], CODES[1], CODES[4]}),
    ("有1和3", {CODES[0], CODES[2]}), ("第2项", {CODES[1]}),
    ("6", None), ("明天", None), ("身份证", None),
])
def test_materials_the_member_has(text, picked):
    result = parse_materials(text, CODES)
    assert (None if result is None else set(result)) == picked


@pytest.mark.parametrize("text, injury", [
    ("我摔伤了 想约骨科", True), ("打球扭伤脚了 能约今天的号吗", True), ("被狗咬了", True),
    ("切菜割到手了", True), ("车祸后复查", True), ("手指骨折了", True),
    ("想约皮肤科", False), ("胃疼 约消化科", False), ("体检", False),
])
def test_accidental_injury_cues(text, injury):
    assert is_accidental_injury(text) is injury


@pytest.mark.parametrize("text, other", [
    ("帮我妈约一下阜外的心内科", True), ("我妈想看心内科 帮忙约一下阜外", True),
    ("给孩子挂个儿科", True), ("孩子咳嗽一周了 想约复旦儿科的呼吸科", True),
    ("替我老公预约骨科", True),
    ("帮我约一下瑞金皮肤科", False), ("我想约华山的神经内科", False),
    ("我妈说我应该去看看皮肤科 帮我约瑞金", False),
])
def test_visits_for_someone_else(text, other):
    assert is_for_someone_else(text) is other


@pytest.mark.parametrize("value, start, end", [
    ({"start": "2026-11-27T15:00:00+08:00", "end": None, "grain": "hour"},
     "2026-11-27T15:00:00+08:00", "2026-11-27T15:30:00+08:00"),
    ({"start": "2026-11-26T09:40:00+08:00", "end": None, "grain": "minute"},
     "2026-11-26T09:30:00+08:00", "2026-11-26T10:00:00+08:00"),
    ({"start": "2026-11-25T08:00:00+08:00", "end": "2026-11-25T12:00:00+08:00", "grain": "hour"},
     "2026-11-25T08:00:00+08:00", "2026-11-25T12:00:00+08:00"),
])
def test_a_point_in_time_means_the_half_hour_slot_containing_it(value, start, end):
    got = booking_window(value)
    assert (got[0].isoformat(), got[1].isoformat()) == (start, end)


def test_wording_of_days_and_slots():
    slot = {"start": "2026-11-26T09:00:00+08:00",
            "doctor": {"name": "张伟", "title": "主任医师", "popular": True}}
    assert wording.slot_label(slot) == "11月26日（周四）09:00 张伟主任医师"
    assert wording.doctor_label(slot["doctor"]) == "张伟 主任医师（热门专家）"
    assert wording.doctor_label(None) == "特需门诊（不指定医生）"
    assert wording.numbered(["a", "b"]) == "1. a\n2. b"
    assert wording.amount_label(12000.0) == "12,000元"


@pytest.mark.parametrize("text, item", [
    ("拔火罐要预授权吗", "拔火罐"), ("做个针灸需要预授权吗", "针灸"),
    ("请问做胃镜要不要预授权", "胃镜"), ("买个助听器需要先申请预授权吗", "助听器"),
    ("我想问一下做个心脏支架手术要不要事先授权", "心脏支架手术"),
    ("哪些项目要预授权", None), ("什么情况需要预授权", None), ("我要申请预授权", None),
    ("预授权怎么弄", None), ("直付怎么用", None),
])
def test_the_item_a_preauth_question_is_about(text, item):
    assert preauth_item(text) == item
