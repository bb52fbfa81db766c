"""Table tests for bot.amounts.find_amount: RMB amounts and the numbers that are not money."""
from __future__ import annotations

from decimal import Decimal
from typing import Optional

import pytest

from bot.amounts import Amount, find_amount

POSITIVES = [
    # (text, value, matched text, approximate)
    ("8,000元", "8000", "8,000元", False),
    ("8000块", "8000", "8000块", False),
    ("八千块", "8000", "八千块", False),
    ("一万二", "12000", "一万二", False),
    ("1.2万", "12000", "1.2万", False),
    ("两万五", "25000", "两万五", False),
    ("3万块钱", "30000", "3万块钱", False),
    ("8k", "8000", "8k", False),
    ("8K", "8000", "8K", False),
    ("5千", "5000", "5千", False),
    ("大概九千多", "9000", "九千多", True),
    ("¥12000", "12000", "¥12000", False),
    ("￥12,000.50", "12000.5", "￥12,000.50", False),
    ("人民币8000元", "8000", "人民币8000元", False),
    ("十万", "100000", "十万", False),
    ("一万零五百", "10500", "一万零五百", False),
    ("三千五", "3500", "三千五", False),
    ("1万2", "12000", "1万2", False),
    ("医疗费大概8000", "8000", "8000", True),
    ("这次住院花了8000", "8000", "8000", False),
    ("费用8000左右", "8000", "8000", True),
    ("花了 8000 元", "8000", "8000 元", False),
    ("我35岁，保额50万", "500000", "50万", False),
    ("下午3点半，挂号费50", "50", "50", False),
    ("12月5号交了3000元", "3000", "3000元", False),
    ("住院押金交了3千", "3000", "3千", False),
    ("一万多块", "10000", "一万多块", True),
    # a pre-authorisation question is about a price (the RMB 8,000 rule)
    ("PET-CT大概一万二要预授权吗", "12000", "一万二", True),
    ("化疗一次两万要授权吗", "20000", "两万", False),
    ("自付部分1.5万左右", "15000", "1.5万", True),
    ("费用3w", "30000", "3w", False),
    ("3000到5000元", "3000", "3000到5000元", True),
    ("3000-5000元", "3000", "3000-5000元", True),
    ("手术费多少钱？大概两万", "20000", "两万", True),
]


@pytest.mark.parametrize("text,value,span,approximate", POSITIVES, ids=[p[0] for p in POSITIVES])
def test_amounts(text: str, value: str, span: str, approximate: bool) -> None:
    found = find_amount(text)
    assert found == Amount(Decimal(value), span, approximate)
    assert span in text


NEGATIVES = [
    "走了一万二步",
    "预授权要提前2个工作日吗",
    "12月5号要预授权吗",
    "13812345678要授权吗",
    "8000",               # a bare number: no money signal (see assume_money)
    "12月5号",            # date
    "三点",               # time
    "明天下午三点",
    "13812345678",        # phone number
    "打13812345678问一下费用",
    "保单号：123456789",  # policy number
    "保单号P20231234的费用",
    "2个工作日",          # count of days
    "费用2个工作日内到账",
    "50mg",               # dose
    "每次吃50mg，药费",
    "35岁",               # age
    "第3次",              # ordinal
    "PD-1要预授权吗",
    "三千多家医院都能报销",
    "走了5千步",
    "千万别乱花钱",
    "万一要花钱呢",
    "两块蛋糕",
    "我们一块去吧",
    "元旦放假",
    "血压140/90，费用呢",
    "一下",
    "八百",               # Chinese numerals alone: no money signal either
    "住了十五天院",
    "",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_not_money(text: str) -> None:
    assert find_amount(text) is None


@pytest.mark.parametrize("text,value", [("8000", "8000"), ("大概8000吧", "8000"), ("1.5", "1.5"),
                                        ("八百", "800"), ("差不多八百吧", "800"), ("一百五", "150")])
def test_assume_money_accepts_plain_numbers(text: str, value: str) -> None:
    found = find_amount(text, assume_money=True)
    assert found is not None and found.value == Decimal(value)


@pytest.mark.parametrize("text", ["13812345678", "12月5号", "2个工作日", "第3次", "三", "三百次"])
def test_assume_money_still_rejects_non_money(text: str) -> None:
    assert find_amount(text, assume_money=True) is None


def test_value_is_decimal_and_integral_when_whole() -> None:
    found = find_amount("1.2万")
    assert found is not None and isinstance(found.value, Decimal)
    assert found.value == int(found.value) and str(found.value) == "12000"
