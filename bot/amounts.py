"""Find RMB money amounts (8000元, 一万二, 1.2万, ¥12000, 8k) in Chinese member messages.

When a number counts as money (the first number in the text that passes wins):
- strong: a currency mark before it (¥ ￥ RMB CNY 人民币) or a currency word after it
  (元 元钱 圆 块 块钱 RMB CNY), or a k/K after Arabic digits (8k = 8000);
- medium: a 万/千/亿 (or w/W after digits) inside the number: money when the text also has a
  money word (钱 费 价 付 花 报销 赔 保额 额度 预算 预授权 ...) or consists of nothing but the amount
  ("一万二", "大概九千多");
- plain Arabic number, or Chinese numerals with 十/百 (八百, 一百五): money only next to a
  money word ("医疗费8000", "药费八百") or when the caller asked for money (assume_money);
- a plain Chinese digit (三) is money only with a currency mark or word.
Numbers glued to letters, digits or '-' (PD-1, 50mg, P2023...), ordinals (第3次), phone-like runs
of 8+ digits, numbers after 号/码 (policy numbers) and numbers followed by a non-money unit
(月 号 日 点 天 岁 次 个 ...) are never money. "多/余/来" after a number and 大概/约/左右 around it
mark the amount approximate; its value is the number itself (九千多 -> 9000).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Optional


@dataclass(frozen=True)
class Amount:
    """An amount of money in yuan and the text it was read from."""

    value: Decimal
    text: str
    approximate: bool = False


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}

_CHAR_MAP = str.maketrans({
    **{chr(0xFF10 + i): str(i) for i in range(10)},
    "．": ".", "＄": "$", "萬": "万", "億": "亿", "兩": "两", "塊": "块", "錢": "钱",
    "費": "费", "價": "价", "賠": "赔", "額": "额", "預": "预", "幣": "币",
})

_NUMBER_RUN = re.compile(
    r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:[零〇一二两三四五六七八九十百千万亿0-9.]*[十百千万亿])?[0-9零〇一二两三四五六七八九]?"
    r"|[零〇一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿]*"
)
_PREFIX = re.compile(r"(?:[¥￥]|RMB|rmb|CNY|人民币)\s*$")
_AFTER = re.compile(r"(?P<more>多|余|来)?(?P<kw>[kKwW](?![a-zA-Z]))?(?P<more2>多)?\s*"
                    r"(?P<cur>块钱|元钱|块|元|圆|RMB|rmb|CNY|人民币)?")
# What may follow a number that carries no currency word: the end, punctuation, approximators,
# particles and the like -- not a unit (三千多家医院, 5千步).
_FOLLOW_OK = re.compile(r"$|[\s,，。.!！?？;；、)）~\-—]|左右|上下|要|需|得|用|花|的话|以上|以下|以内|的|吗|吧|呢|啊|呀|了|就|够|能|可以"
                        r"|都|也|还|是|不|到|至|么|哦|嘛")
# Units that make a number something other than money.
_NOT_MONEY_AFTER = re.compile(r"[月号日年点时分秒天周岁次个人位名家所件项条张份盒片粒支针瓶袋斤克米度楼床室层栋期级型例步字遍回趟倍%‰:：/]"
                              r"|[a-zA-Z]")
_MONEY_WORDS = re.compile(r"钱|费|价|付|花|报销|赔|保额|额度|免赔|预算|金额|账单|收费|缴|交了|贵|便宜|工资|收入|押金|垫|结算|自费|报了|退|预授权|授权")
_APPROX_BEFORE = re.compile(r"(?:大概|大约|约|差不多|将近|接近|估计|预计|大致|少说)\s*$")
_APPROX_AFTER = re.compile(r"左右|上下")
_FILLER = re.compile(r"[\s,，。.!！?？~、]|大概|大约|约|差不多|将近|接近|估计|预计|大致|左右|上下|多|余|来|吧|吗|呢|啊|呀|了|的|是|就|只|才|总共|一共|共|差不多")


def _to_decimal(run: str) -> Optional[Decimal]:
    """Parse 8,000 / 1.2万 / 1万2 / 一万二 / 两万五 / 一万零五百 / 十万 / 三千五 into a Decimal."""
    s = run.replace(",", "")
    total = Decimal(0)
    section = Decimal(0)
    num: Optional[Decimal] = None
    num_is_digit = False  # the pending number is one Chinese/Arabic digit (for 一万二 shorthand)
    last_unit = 0
    zero_gap = False
    i = 0
    while i < len(s):
        ch = s[i]
        if ch.isdigit() or ch == ".":
            j = i
            while j < len(s) and (s[j].isdigit() or s[j] == "."):
                j += 1
            if num is not None:
                return None
            try:
                num = Decimal(s[i:j])
            except InvalidOperation:
                return None
            num_is_digit = j - i == 1
            i = j
            continue
        if ch in _CN_DIGITS:
            if _CN_DIGITS[ch] == 0:
                zero_gap = True
                num = None
            else:
                if num is not None:
                    return None  # 二三 is not a number here
                num, num_is_digit = Decimal(_CN_DIGITS[ch]), True
        elif ch in _SMALL_UNITS:
            section += (num if num is not None else 1) * _SMALL_UNITS[ch]
            num, last_unit, zero_gap = None, _SMALL_UNITS[ch], False
        elif ch in _BIG_UNITS:
            unit = _BIG_UNITS[ch]
            part = section + (num or 0)
            total = (total + part) * unit if unit > 10_000 else total + part * unit
            section, num, last_unit, zero_gap = Decimal(0), None, unit, False
        else:
            return None
        i += 1
    if num is not None:
        if last_unit >= 100 and num_is_digit and not zero_gap:
            num *= last_unit // 10  # 一万二 = 12000, 三千五 = 3500, 一百五 = 150
        section += num
    value = total + section
    return value


def _clean(value: Decimal) -> Decimal:
    integral = value.to_integral_value()
    return integral if value == integral else value.normalize()


def find_amount(text: str, *, assume_money: bool = False) -> Optional[Amount]:
    """The first money amount in `text` (see the module docstring for what counts as money).

    assume_money=True is for replies to "how much?": a plain number then counts as well.
    """
    if not text:
        return None
    s = text.translate(_CHAR_MAP)
    has_money_word = _MONEY_WORDS.search(s) is not None
    pending: Optional[tuple[int, int, Decimal]] = None  # a range start "3000到" waiting for its end
    for m in _NUMBER_RUN.finditer(s):
        cand = _candidate(s, m, has_money_word, assume_money)
        if cand is None:
            pending = None
            continue
        start, tail_end, value, is_money, approximate = cand
        if not is_money:
            pending = (start, tail_end, value) if _RANGE_TO.match(s, tail_end) else None
            continue
        if pending is not None and _RANGE_TO.fullmatch(s, pending[1], start):
            # "3000到5000元": the currency word covers both ends; report the lower one, approximate.
            return Amount(_clean(pending[2]), text[pending[0]:tail_end], True)
        return Amount(_clean(value), text[start:tail_end], approximate)
    return None


_RANGE_TO = re.compile(r"\s*(?:到|至|-|~|—)\s*")
_RANGE_NEXT = re.compile(r"\s*(?:到|至|-|~|—)\s*[0-9零〇一二两三四五六七八九十]")


def _candidate(s: str, m: "re.Match[str]", has_money_word: bool, assume_money: bool):
    """(start, end, value, is_money, approximate) for one number run, or None if it is no amount."""
    run = m.group(0)
    start, end = m.start(), m.end()
    before = s[start - 1] if start > 0 else ""
    range_dash = before == "-" and start > 1 and s[start - 2].isdigit()  # 3000-5000元
    if before and before.isascii() and (before.isalnum() or before in "-_#./") and not range_dash:
        return None  # PD-1, A123, 3.5.1, #12
    if before in ("第", "号", "码") or re.search(r"号[:：]\s*$", s[:start]):
        return None  # ordinals, policy and ID numbers
    if "," not in run and len(re.sub(r"\D", "", run)) >= 8:
        return None  # phone, policy and ID numbers
    if run[0] in "零〇" and len(run) > 1:
        return None
    value = _to_decimal(run)
    if value is None or value <= 0:
        return None
    arabic_only = run.replace(",", "").replace(".", "").isdigit()

    after = _AFTER.match(s, end)  # always matches: every part is optional
    kw = after.group("kw") if arabic_only else None  # 8k, 3w; never after Chinese numerals
    more = bool(after.group("more") or (kw and after.group("more2")))
    bare_end = max(end, after.end("more"), after.end("kw") if kw else -1, after.end("more2") if kw else -1)
    cur = after.group("cur") if (kw or not after.group("kw")) else None
    if cur == "元" and s.startswith("旦", after.end()):
        return None  # 元旦
    if cur == "块" and _FOLLOW_OK.match(s, after.end()) is None:
        cur = None  # 两块蛋糕, 一块去
    tail_end = after.end() if cur else bare_end
    if kw:
        value *= 1000 if kw in "kK" else 10_000

    prefix = _PREFIX.search(s[:start])
    first = prefix.start() if prefix else start
    approximate = (more or _APPROX_BEFORE.search(s[:start]) is not None
                   or _APPROX_AFTER.match(s, tail_end) is not None or _RANGE_NEXT.match(s, tail_end) is not None)
    if cur or prefix is not None or (kw is not None and kw in "kK"):
        return first, tail_end, value, True, approximate

    follow = s[tail_end:]
    if _NOT_MONEY_AFTER.match(follow) or not _FOLLOW_OK.match(follow):
        return None  # 12月, 三点, 2个, 5千步
    if any(u in run for u in "万千亿") or kw is not None:
        standalone = _FILLER.sub("", s[:start] + s[tail_end:]) == ""
        is_money = has_money_word or standalone or assume_money
    elif arabic_only or any(u in run for u in "十百"):
        is_money = has_money_word or assume_money   # 医药费八百; 八百 after 多少钱
    else:
        is_money = False  # a plain Chinese digit (三) needs a currency word
    return first, tail_end, value, is_money, approximate


__all__ = ["Amount", "find_amount"]
