"""Homophone slips of the pinyin keyboard in the service's own words (理陪 for 理赔,
预受权 for 预授权), put right before the message is tokenised, so the classifier and
every featuriser read the word it was trained on.

Each correction has the same length as the slip: token offsets, and with them the
entities' spans in the member's text, stay where they were. Only slips that are no
other word a member would write are listed (只付 is "only pay", 急症 "an acute
illness": neither is corrected)."""
from __future__ import annotations

import re
from typing import Dict

SLIPS: Dict[str, str] = {
    # 理赔 (claims)
    "理陪": "理赔", "里赔": "理赔", "理培": "理赔", "礼赔": "理赔", "理配": "理赔",
    # 预授权 (pre-authorisation)
    "预受权": "预授权", "预授全": "预授权", "预收权": "预授权", "预售权": "预授权",
    "予授权": "预授权", "遇授权": "预授权", "预授劝": "预授权",
    # 直付 (direct billing)
    "直附": "直付", "值付": "直付", "直负": "直付",
    # 管家, 人工 (a person)
    "管加": "管家", "转人公": "转人工", "找人公": "找人工",
    # 保单, 发票, 等待期, 取消
    "保丹": "保单", "发漂": "发票", "发飘": "发票",
    "等代期": "等待期", "等带期": "等待期", "取销": "取消",
}
assert all(len(slip) == len(right) for slip, right in SLIPS.items())

_SLIP = re.compile("|".join(sorted(map(re.escape, SLIPS), key=len, reverse=True)))


def correct(text: str) -> str:
    """`text` with the listed slips put right; always the same length."""
    return _SLIP.sub(lambda m: SLIPS[m.group(0)], text)
