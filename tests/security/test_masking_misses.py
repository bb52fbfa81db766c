"""Personal data that once stayed in clear on the review pages and passed the export's
check (issue 13): IDs with a wrong check character, phones written with dots, dashes or a
space between every digit, phones spelt in Chinese numerals; and the numbers and words
that only look like them, which must stay as written."""
from __future__ import annotations

import pytest

from bot.privacy import (
    ADDRESS,
    BANK_CARD,
    CARD_NUMBER,
    ID_NUMBER,
    NAME,
    PHONE,
    POLICY_NUMBER,
    PLACEHOLDERS,
    contains_personal_data,
    find,
    is_plausible_id_number,
    is_valid_id_number,
    luhn_valid,
    mask_for_display,
    mask_for_training,
)

FOUND = [
    # (text, kind, normalised value, the text the span covers, display mask of the text)
    # an ID with a wrong check character: real province, real birth date
    ("身份证110105199003070026", ID_NUMBER, "110105199003070026", "110105199003070026",
     "身份证110***********0026"),
    ("我的身份证号是31010419850612123X", ID_NUMBER, "31010419850612123X", "31010419850612123X",
     "我的身份证号是310***********123X"),
    ("证件 310104 19850612 1231 麻烦核对", ID_NUMBER, "310104198506121231",
     "310104 19850612 1231", "证件 310***********1231 麻烦核对"),
    # phones, as members write them
    ("手机139.1234.5678", PHONE, "13912345678", "139.1234.5678", "手机139****5678"),
    ("电话 1 3 9 1 2 3 4 5 6 7 8 谢谢", PHONE, "13912345678", "1 3 9 1 2 3 4 5 6 7 8",
     "电话 139****5678 谢谢"),
    ("打139 1234 5678", PHONE, "13912345678", "139 1234 5678", "打139****5678"),
    ("139—1234—5678", PHONE, "13912345678", "139—1234—5678", "139****5678"),
    ("139——1234——5678", PHONE, "13912345678", "139——1234——5678", "139****5678"),
    ("手机139 - 1234 - 5678", PHONE, "13912345678", "139 - 1234 - 5678", "手机139****5678"),
    ("139－1234－5678", PHONE, "13912345678", "139－1234－5678", "139****5678"),
    ("手机１３９１２３４５６７８", PHONE, "13912345678", "１３９１２３４５６７８", "手机139****5678"),
    ("１３９　１２３４　５６７８", PHONE, "13912345678", "１３９　１２３４　５６７８", "139****5678"),
    ("号码139 12345678", PHONE, "13912345678", "139 12345678", "号码139****5678"),
    ("139 1234-5678", PHONE, "13912345678", "139 1234-5678", "139****5678"),
    ("+86 139.1234.5678", PHONE, "13912345678", "+86 139.1234.5678", "139****5678"),
    # phones spelt in Chinese numerals
    ("我手机一三九一二三四五六七八", PHONE, "13912345678", "一三九一二三四五六七八",
     "我手机139****5678"),
    ("幺三九幺二三四五六七八", PHONE, "13912345678", "幺三九幺二三四五六七八", "139****5678"),
    ("电话一三八〇〇〇〇一二三四", PHONE, "13800001234", "一三八〇〇〇〇一二三四", "电话138****1234"),
    ("电话一三八零零零零一二三四", PHONE, "13800001234", "一三八零零零零一二三四", "电话138****1234"),
    ("一三九 一二三四 五六七八", PHONE, "13912345678", "一三九 一二三四 五六七八", "139****5678"),
    ("一 三 九 一 二 三 四 五 六 七 八", PHONE, "13912345678", "一 三 九 一 二 三 四 五 六 七 八",
     "139****5678"),
    ("139一二三四5678", PHONE, "13912345678", "139一二三四5678", "139****5678"),
]

NOT_FOUND = [
    # dates, amounts, decimals, versions, times
    "2026.12.15复查",
    "12.15可以吗",
    "这次花了3000.00元",
    "版本13.5",
    "体温37.5，血糖13.9",
    "14:30到医院",
    "2026-12-15 14:30:00",
    # hospitals, hotlines, service numbers
    "中山医院的电话是021-64041990",
    "客服热线952299",
    "请拨打4009-999-595",
    "400-820-8820是客服吗",
    "1010-9955",
    "010 8295 1332",
    # Chinese number words in ordinary text
    "我一三五上班",
    "三九天别受凉",
    "一二三四五六七八九十",
    "一五一十地说清楚",
    "二〇二六年十二月十五日",
    "我约了十二月一日",
    # a phone's last digits, our own references
    "手机尾号5678",
    "尾号五六七八",
    "预约号YY20261201001",
    "YS20261201002",
    "JZ20261201003",
    "HF20261201004",
    "YY13912345678",
    # 11 digits that are no mobile
    "12345678901",
    "10086123456",
    "一二三四五六七八九〇一",
    # groups no one writes a phone in: an IP address, a decimal
    "服务器139.224.123.45",
    "139.12345678",
    "1391234.5678",
    "139.1234 5678",
    "1 3 9 1-2-3-4 5 6 7 8",
    # 18 digits with an impossible date or province
    "订单号123456789012345678",
    "510107196602290031",  # 1966-02-29
    "110105199013070026",  # month 13
    "990105199003070025",  # no province 99
    "110105180003070026",  # born 1800
    "110105199003070006",  # sequence 000
]

PLACEHOLDER_PHONE = PLACEHOLDERS[PHONE]
PLACEHOLDER_ID = PLACEHOLDERS[ID_NUMBER]


@pytest.mark.parametrize("text,kind,value,covered,display", FOUND)
def test_the_miss_is_found(text: str, kind: str, value: str, covered: str, display: str) -> None:
    spans = find(text)
    assert [(s.kind, s.value) for s in spans] == [(kind, value)]
    assert text[spans[0].start:spans[0].end] == covered
    assert contains_personal_data(text)


@pytest.mark.parametrize("text,kind,value,covered,display", FOUND)
def test_the_display_mask_keeps_its_style(text: str, kind: str, value: str, covered: str,
                                          display: str) -> None:
    assert mask_for_display(text) == display
    assert mask_for_display(display) == display
    assert not contains_personal_data(display)


@pytest.mark.parametrize("text,kind,value,covered,display", FOUND)
def test_the_training_mask_writes_the_placeholder_once(text: str, kind: str, value: str,
                                                       covered: str, display: str) -> None:
    placeholder = PLACEHOLDERS[kind]
    masked = mask_for_training(text)
    assert masked == text.replace(covered, placeholder)
    assert mask_for_training(masked) == masked
    assert not contains_personal_data(masked)


@pytest.mark.parametrize("text", NOT_FOUND)
def test_the_near_miss_stays_as_written(text: str) -> None:
    assert find(text) == []
    assert mask_for_display(text) == text
    assert mask_for_training(text) == text


@pytest.mark.parametrize("value,strict,plausible", [
    ("110105199003070025", True, True),
    ("110105199003070026", False, True),  # check character wrong
    ("11010519900307002X", False, True),
    ("110105199003070006", False, False),  # sequence 000
    ("110105199002300026", False, False),  # 30 February
    ("000105199003070026", False, False),  # no province 00
    ("110105491231002", True, False),  # the old 15 digits have no check to get wrong
])
def test_a_typo_in_the_check_character_is_still_an_id(value: str, strict: bool,
                                                      plausible: bool) -> None:
    assert is_valid_id_number(value) is strict
    assert is_plausible_id_number(value) is plausible


def test_a_luhn_valid_card_wins_over_an_id_whose_check_fails() -> None:
    # real province (62), real date (1990-03-07), wrong ID check character, Luhn-valid
    card = next(f"62010519900307{n:03d}{c}" for n in range(1, 1000) for c in "0123456789"
                if luhn_valid(f"62010519900307{n:03d}{c}")
                and not is_valid_id_number(f"62010519900307{n:03d}{c}"))
    assert [(s.kind, s.value) for s in find(f"卡号{card}")] == [(BANK_CARD, card)]


def test_an_id_with_the_right_check_character_wins_over_luhn() -> None:
    both = next(f"62010519900307{n:03d}" + c for n in range(1, 1000) for c in "0123456789"
                if luhn_valid(f"62010519900307{n:03d}{c}")
                and is_valid_id_number(f"62010519900307{n:03d}{c}"))
    assert [(s.kind, s.value) for s in find(both)] == [(ID_NUMBER, both)]


@pytest.mark.parametrize("text,kind,covered", [
    # find() runs each finder only where what it needs is in the text: these pin that
    # every cue, number and place still reaches its finder
    ("我的名字叫王芳", NAME, "王芳"),
    ("我爸爸叫王建国", NAME, "王建国"),
    ("病人是王芳", NAME, "王芳"),
    ("被保险人是李建国", NAME, "李建国"),
    ("被保人李建国", NAME, "李建国"),
    ("投保人王芳", NAME, "王芳"),
    ("联系人是赵磊", NAME, "赵磊"),
    ("我名叫赵磊", NAME, "赵磊"),
    ("我住在阳光小区五栋", ADDRESS, "阳光小区五栋"),
    ("寄到人民大道200号", ADDRESS, "人民大道200号"),
    ("家住南京西路1266弄3号", ADDRESS, "南京西路1266弄3号"),
    ("保单ZAHM2026000001", POLICY_NUMBER, "ZAHM2026000001"),
    ("ZaDp202600000001", CARD_NUMBER, "ZaDp202600000001"),
])
def test_each_cue_number_and_place_reaches_its_finder(text: str, kind: str, covered: str) -> None:
    spans = find(text)
    assert [(s.kind, text[s.start:s.end]) for s in spans] == [(kind, covered)]


def test_a_sentence_with_every_miss_masks_them_all() -> None:
    text = "我叫陈静，身份证110105199003070026，手机139.1234.5678，备用一三八〇〇〇〇一二三四"
    assert mask_for_display(text) == "我叫陈*，身份证110***********0026，手机139****5678，备用138****1234"
    assert mask_for_training(text) == (
        f"我叫张三，身份证{PLACEHOLDER_ID}，手机{PLACEHOLDER_PHONE}，备用{PLACEHOLDER_PHONE}")
