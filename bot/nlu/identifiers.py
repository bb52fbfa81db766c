"""Policy numbers (保单号) and phone tails (手机尾号) in members' words, found by rules:
the NLU's IdentifierExtractor and the link form's answers both use these functions.

A policy number is ZA followed by letters and digits (ZAHM2026000001); members type it
in lower case, with spaces or hyphens, or in full-width characters, and it comes back
normalised (upper case, nothing between the characters). A phone tail is four digits
said next to 手机/电话/尾号/后四位, four digits right after a policy number
(ZAHM2026000002 0002), or the last four of a full mobile number; a bare four-digit
reply counts only where the caller knows it was asked for (`bare=True`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional, Tuple

# ZA, then 8-24 letters or digits that may be separated by one space or hyphen each;
# at least six digits, so that English words (zany, zambia) never match.
_POLICY = re.compile(r"(?<![A-Za-z0-9])ZA(?:[ \-]?[A-Z0-9]){8,24}(?![A-Za-z0-9])", re.IGNORECASE)
_MIN_POLICY_DIGITS = 6
_MIN_POLICY_LENGTH = 10
# "ZAHM2026000002 0002": a last group of four digits after a whole policy number is the
# phone tail said with it, not more of the number.
_TRAILING_GROUP = re.compile(r"[ \-]([0-9]{4})$")
_TAIL_AFTER_POLICY = re.compile(r"[\s,，、;；/]*([0-9]{4})(?![0-9])")

_CUE = r"(?:手机号?码?|电话号?码?|尾号|后四位|后4位|末四位|末4位|最后四位|最后4位)"
# cue ... 1234 (up to eight characters between, none of them digits)
_TAIL_AFTER_CUE = re.compile(_CUE + r"[^0-9]{0,8}?(?<![0-9])([0-9]{4})(?![0-9])")
# 1234 是我手机尾号
_TAIL_BEFORE_CUE = re.compile(r"(?<![0-9])([0-9]{4})(?![0-9])[^0-9]{0,6}?" + _CUE)
# a mainland mobile number: its last four digits
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9](?:[ \-]?[0-9]){8}(?![0-9])")
_BARE_TAIL = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class Found:
    value: str  # normalised
    text: str  # as the member wrote it
    start: int
    end: int


def _narrow(text: str) -> str:
    # NFKC may change a string's length (ligatures): map character by character so
    # the spans found in the result are the spans of the original.
    return "".join(
        folded if len(folded := unicodedata.normalize("NFKC", ch)) == 1 else ch
        for ch in text
    )


def normalise_policy_number(text: str) -> str:
    """zahm 2026-0000 01 -> ZAHM2026000001."""
    return re.sub(r"[\s\-]", "", _narrow(text)).upper()


def _is_policy_number(raw: str) -> bool:
    value = normalise_policy_number(raw)
    digits = sum(ch.isdigit() for ch in value)
    return len(value) >= _MIN_POLICY_LENGTH and digits >= _MIN_POLICY_DIGITS


def _policy_span(narrow: str) -> Optional[Tuple[int, int]]:
    for match in _POLICY.finditer(narrow):
        raw, start = match.group(), match.start()
        trailing = _TRAILING_GROUP.search(raw)
        if trailing and _is_policy_number(raw[:trailing.start()]):
            return start, start + trailing.start()
        if _is_policy_number(raw):
            return match.span()
    return None


def find_policy_number(text: str) -> Optional[Found]:
    """The first policy number in `text`, normalised."""
    span = _policy_span(_narrow(text))
    if span is None:
        return None
    start, end = span
    return Found(normalise_policy_number(_narrow(text)[start:end]), text[start:end], start, end)


def find_phone_last4(text: str, bare: bool = False) -> Optional[Found]:
    """The last four digits of the member's phone: after or before a cue word, right
    after a policy number, or the end of a full mobile number; with `bare`, also a reply
    that is just four digits."""
    narrow = _narrow(text)
    policy = _policy_span(narrow)
    for match in (_TAIL_AFTER_CUE.search(narrow), _TAIL_BEFORE_CUE.search(narrow),
                  _TAIL_AFTER_POLICY.match(narrow, policy[1]) if policy else None):
        if match:
            return Found(match.group(1), text[match.start(1):match.end(1)],
                         match.start(1), match.end(1))
    mobile = _MOBILE.search(narrow)
    if mobile:
        digits = re.sub(r"[ \-]", "", mobile.group())
        return Found(digits[-4:], text[mobile.start():mobile.end()], mobile.start(),
                     mobile.end())
    if bare:
        stripped = narrow.strip().rstrip("。.!！")
        offset = narrow.find(stripped) if stripped else 0
        if _BARE_TAIL.fullmatch(stripped):
            return Found(stripped, text[offset:offset + 4], offset, offset + 4)
    return None
