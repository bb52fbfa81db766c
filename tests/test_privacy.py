"""Table tests for bot.privacy: the personal data found in members' words, the numbers and
words that only look like it, and the two masks (reviewers' screens, training data)."""
from __future__ import annotations

import pytest

from bot import privacy
from bot.backends import privacy as backends_privacy
from bot.privacy import (
    ADDRESS,
    BANK_CARD,
    CARD_NUMBER,
    ID_NUMBER,
    NAME,
    PHONE,
    PLACEHOLDERS,
    POLICY_NUMBER,
    contains_personal_data,
    find,
    id_check_digit,
    is_valid_id_number,
    luhn_valid,
    mask_for_display,
    mask_for_training,
)

POSITIVES = [
    # (text, kind, normalised value, the text the span covers)
    ("我的手机是13900000001", PHONE, "13900000001", "13900000001"),
    ("电话139 0000 0001，白天都在", PHONE, "13900000001", "139 0000 0001"),
    ("139-0000-0001打这个就行", PHONE, "13900000001", "139-0000-0001"),
    ("+86 139 0000 0001", PHONE, "13900000001", "+86 139 0000 0001"),
    ("联系方式+8615800000002", PHONE, "15800000002", "+8615800000002"),
    ("手机１８６１２３４５６７８", PHONE, "18612345678", "１８６１２３４５６７８"),
    ("身份证号110105199003070025", ID_NUMBER, "110105199003070025", "110105199003070025"),
    ("我妈的身份证是33010619751103108X", ID_NUMBER, "33010619751103108X", "33010619751103108X"),
    ("证件号42010219751103106x", ID_NUMBER, "42010219751103106X", "42010219751103106x"),
    ("身份证 310104 19850612 1230", ID_NUMBER, "310104198506121230", "310104 19850612 1230"),
    ("老身份证号110105491231002", ID_NUMBER, "110105491231002", "110105491231002"),
    # a wrong check character (a typo) with a real province and birth date is still an ID
    ("身份证110105199003070026", ID_NUMBER, "110105199003070026", "110105199003070026"),
    ("保单号ZAHM2026000001", POLICY_NUMBER, "ZAHM2026000001", "ZAHM2026000001"),
    ("zahm2026000002 0002", POLICY_NUMBER, "ZAHM2026000002", "zahm2026000002"),
    ("我的保单是ZAHM 2026 0000 03", POLICY_NUMBER, "ZAHM2026000003", "ZAHM 2026 0000 03"),
    ("直付卡号ZADP202600000001", CARD_NUMBER, "ZADP202600000001", "ZADP202600000001"),
    ("zadp 2026 0000 0002", CARD_NUMBER, "ZADP202600000002", "zadp 2026 0000 0002"),
    ("退款打到6222021234567890128", BANK_CARD, "6222021234567890128", "6222021234567890128"),
    ("卡号6217 0012 3456 7890 122", BANK_CARD, "6217001234567890122", "6217 0012 3456 7890 122"),
    ("银行卡6259-6500-4283-5139", BANK_CARD, "6259650042835139", "6259-6500-4283-5139"),
    # 18 digits that are no ID (no such birth date) but pass Luhn: a card
    ("工行卡622588012345678904", BANK_CARD, "622588012345678904", "622588012345678904"),
    ("17位的卡62284804025648900", BANK_CARD, "62284804025648900", "62284804025648900"),
    ("上海市徐汇区宛平南路600号", ADDRESS, "上海市徐汇区宛平南路600号", "上海市徐汇区宛平南路600号"),
    ("北京朝阳区建国路88号3号楼2单元501", ADDRESS, "北京朝阳区建国路88号3号楼2单元501",
     "北京朝阳区建国路88号3号楼2单元501"),
    ("我住在阳光小区5栋302", ADDRESS, "阳光小区5栋302", "阳光小区5栋302"),
    ("我家在浦东新区张杨路1500弄12号601室", ADDRESS, "浦东新区张杨路1500弄12号601室",
     "浦东新区张杨路1500弄12号601室"),
    ("药寄到杭州市西湖区文三路90号就行", ADDRESS, "杭州市西湖区文三路90号", "杭州市西湖区文三路90号"),
    ("老家是河南省周口市太康县王庄村12号", ADDRESS, "河南省周口市太康县王庄村12号",
     "河南省周口市太康县王庄村12号"),
    ("我想问一下宛平南路600号怎么走", ADDRESS, "宛平南路600号", "宛平南路600号"),
    # beside a hospital's name, but said to be the member's own
    ("我住在瑞金医院旁边的永嘉路10号", ADDRESS, "永嘉路10号", "永嘉路10号"),
    ("我叫陈静", NAME, "陈静", "陈静"),
    ("我是王芳，想问一下预授权", NAME, "王芳", "王芳"),
    ("本人李建国，保单在我名下", NAME, "李建国", "李建国"),
    ("名字是欧阳晓明", NAME, "欧阳晓明", "欧阳晓明"),
    ("姓名：张伟", NAME, "张伟", "张伟"),
    ("患者刘德明，男，65岁", NAME, "刘德明", "刘德明"),
    ("我老公叫赵磊", NAME, "赵磊", "赵磊"),
    ("我妈叫王秀英，今年70了", NAME, "王秀英", "王秀英"),
    ("我女儿叫司马悦", NAME, "司马悦", "司马悦"),
    ("我叫陈静想预约下周的专家号", NAME, "陈静", "陈静"),
    ("我叫李想问一下", NAME, "李想", "李想"),
    ("我是陈静的家属", NAME, "陈静", "陈静"),
    ("我是于谦，想约专家号", NAME, "于谦", "于谦"),
]

NEAR_MISSES = [
    # dates, times, amounts
    "我想约2026-11-24的专家号",
    "20261124上午可以吗",
    "11月24日下午3点",
    "2026年11月的账单",
    "14:30到医院",
    "我25号去复查",
    "这次花了8000元",
    "自费12,000块",
    "预授权金额￥30000",
    # our own references
    "预约号YY2611250007",
    "预授权YS2611240003到哪一步了",
    "回访单HF2611250001",
    "急诊通知JZ2611240001",
    # numbers the bot quotes: hospitals, the call centre, emergency and crisis lines
    "中山医院的电话是021-64041990",
    "客服热线952299",
    "1010-9955是你们的电话吗",
    "紧急情况请拨打120或110",
    "心理援助热线12356",
    "北京心理危机干预中心24小时热线010-82951332",
    # ages, counts, measurements, tails
    "我妈今年65岁",
    "做了3次化疗",
    "血压140/90，体重65公斤",
    "手机尾号0001",
    "保单号后四位是0001",
    # IDs that fail: birth date (1966 had no 29 February), anything at all
    "510107196602290031",
    "订单号123456789012345678",
    # places without a number, hospitals' addresses
    "我在上海",
    "我在浦东，想找附近的医院",
    "瑞金医院在瑞金二路197号吗",
    "上海市第六人民医院在宜山路600号",
    "协和国际部在帅府园1号吗",
    "地铁2号线到人民广场2号口",
    # 我是 / 本人 / 患者 followed by no name
    "我是会员",
    "我是想问一下预授权",
    "我是本人",
    "我是第一次用",
    "我是不是要先申请预授权",
    "我是上海的",
    "我是江苏人",
    "我是徐汇区的",
    "我是周一预约的",
    "我是高血压患者",
    "我是张医生介绍来的",
    "患者本人已经出院了",
    "我叫了救护车",
    "我是文员",
    "我是金卡会员",
    "患者于昨日入院",
    "本人申请预授权",
    # numbers or places in a shape of their own
    "幼儿园3号楼",
    "我在万达广场3楼",
    "请问人民广场3号口怎么走",
]

SENTENCES = [
    # (text, for display, for training)
    ("我叫陈静，手机139 0000 0001，保单号ZAHM2026000001",
     "我叫陈*，手机139****0001，保单号ZAHM******0001",
     "我叫张三，手机13800000000，保单号ZAHM0000000000"),
    ("本人欧阳晓明，身份证110105199003070025，住在北京朝阳区建国路88号3号楼2单元501",
     "本人欧***，身份证110***********0025，住在北京朝阳区***",
     "本人张三，身份证11010519491231002X，住在上海市某区某路1号"),
    ("直付卡ZADP202600000001，退款请打到6222 0212 3456 7890 128",
     "直付卡ZADP********0001，退款请打到****0128",
     "直付卡ZADP000000000000，退款请打到6222000000000000004"),
    ("我妈叫王秀英，11月24日在瑞金医院复查，花了8000元，客服电话952299",
     "我妈叫王**，11月24日在瑞金医院复查，花了8000元，客服电话952299",
     "我妈叫张三，11月24日在瑞金医院复查，花了8000元，客服电话952299"),
    ("上海市徐汇区宛平南路600号，电话+86 186 1234 5678",
     "上海市徐汇区***，电话186****5678",
     "上海市某区某路1号，电话13800000000"),
    # numbers one after another, as members answer the linking questions
    ("ZAHM2026000002 13900000001 110105199003070025",
     "ZAHM******0002 139****0001 110***********0025",
     "ZAHM0000000000 13800000000 11010519491231002X"),
]

EVERY_TEXT = [row[0] for row in POSITIVES] + NEAR_MISSES + [row[0] for row in SENTENCES]


@pytest.mark.parametrize("text,kind,value,covered", POSITIVES)
def test_find_reports_the_personal_data(text: str, kind: str, value: str, covered: str) -> None:
    spans = find(text)
    assert [(s.kind, s.value) for s in spans] == [(kind, value)]
    assert text[spans[0].start:spans[0].end] == covered
    assert contains_personal_data(text)


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_come_back_unchanged(text: str) -> None:
    assert find(text) == []
    assert not contains_personal_data(text)
    assert mask_for_display(text) == text
    assert mask_for_training(text) == text


@pytest.mark.parametrize("text,display,training", SENTENCES)
def test_the_two_masks_of_a_whole_sentence(text: str, display: str, training: str) -> None:
    assert mask_for_display(text) == display
    assert mask_for_training(text) == training


@pytest.mark.parametrize("text", EVERY_TEXT)
def test_masking_masked_text_changes_nothing_more(text: str) -> None:
    assert mask_for_display(mask_for_display(text)) == mask_for_display(text)
    assert mask_for_training(mask_for_training(text)) == mask_for_training(text)


@pytest.mark.parametrize("text", EVERY_TEXT)
def test_masked_text_holds_no_personal_data(text: str) -> None:
    assert find(mask_for_display(text)) == []
    assert find(mask_for_training(text)) == []


@pytest.mark.parametrize("kind", sorted(PLACEHOLDERS))
def test_each_placeholder_is_well_formed_and_never_reported(kind: str) -> None:
    placeholder = PLACEHOLDERS[kind]
    if kind == ID_NUMBER:
        assert is_valid_id_number(placeholder)
    if kind == BANK_CARD:
        assert luhn_valid(placeholder)
    assert find(f"我的是{placeholder}。") == []


@pytest.mark.parametrize("text,display", [
    ("13900000001", "139****0001"),
    ("110105199003070025", "110***********0025"),
    ("ZAHM2026000001", "ZAHM******0001"),
    ("ZADP202600000001", "ZADP********0001"),
    ("6259650042835139", "****5139"),
    ("上海市徐汇区宛平南路600号", "上海市徐汇区***"),
    ("我叫陈静", "我叫陈*"),
])
def test_display_keeps_a_little_of_each_kind(text: str, display: str) -> None:
    assert mask_for_display(text) == display


@pytest.mark.parametrize("first17,check", [
    ("11010519900307002", "5"),
    ("31010419850612123", "0"),
    ("33010619751103108", "X"),
    ("11010519491231002", "X"),  # the example printed in GB 11643
])
def test_id_check_digit(first17: str, check: str) -> None:
    assert id_check_digit(first17) == check


@pytest.mark.parametrize("value,valid", [
    ("110105199003070025", True),
    ("33010619751103108x", True),
    ("110105491231002", True),  # 15 digits: 1949-12-31
    ("110105199003070026", False),  # check digit
    ("510107196602290031", False),  # 1966-02-29
    ("990105199003070025", False),  # no province 99
    ("110105991331002", False),  # month 13
    ("11010519900307002", False),  # 17 characters
])
def test_is_valid_id_number(value: str, valid: bool) -> None:
    assert is_valid_id_number(value) is valid


@pytest.mark.parametrize("digits,valid", [
    ("6222021234567890128", True),
    ("6259650042835139", True),
    ("4111111111111111", True),
    ("6222021234567890129", False),
    ("6222000000000000000", False),
    ("6259 6500 4283 5139", False),  # digits only
])
def test_luhn_valid(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


def test_spans_are_in_order_and_do_not_overlap() -> None:
    text = "我是王芳，13900000001，ZAHM2026000001，住在阳光小区5栋302，卡号6259650042835139"
    spans = find(text)
    assert [s.kind for s in spans] == [NAME, PHONE, POLICY_NUMBER, ADDRESS, BANK_CARD]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def test_the_backends_mask_with_the_same_functions_as_before() -> None:
    assert backends_privacy.mask_name is privacy.mask_name
    assert backends_privacy.mask_digits is privacy.mask_digits
    assert backends_privacy.mask_name("陈静") == "陈*"
    assert backends_privacy.mask_name("欧阳晓明") == "欧***"
    assert backends_privacy.mask_name("") == ""
    assert backends_privacy.mask_digits("13800000001") == "138****0001"
    assert backends_privacy.mask_digits("1234567") == "*******"
    assert backends_privacy.mask_policy_number("ZAHM2026000001") == "ZAHM******0001"
