"""Reading a member's short answers in a conversation: which of the listed options
("2", "第二个", "最后那个"), which pre-auth materials they have ("1 3 4", "都齐了"), and
cues in a booking request (an accidental injury, a visit for someone else).

Pure functions of the text; the actions decide what to do with the answer."""
from __future__ import annotations

import re
import unicodedata
from typing import FrozenSet, Optional, Sequence

_CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                   "八": 8, "九": 9, "十": 10}
_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(10)}  # ① .. ⑩

# "2" / "2." / "选2" / "第2个" / "第二个" / "就第二个吧" / "②"
_ORDINAL = re.compile(
    r"^(?:就|要|选|选择|我选|我要)?(?:第)?([0-9]{1,2}|[一二两三四五六七八九十])"
    r"(?:个|号|项|条|种)?(?:吧|的|那个|这个)?[。.!！]?$"
)
_LAST = re.compile(r"^(?:就|要|选)?(?:最后(?:一个|那个|这个)?|最后面那个)(?:吧)?$")


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def _number(token: str) -> Optional[int]:
    if token.isdigit():
        return int(token)
    return _CHINESE_DIGITS.get(token)


def parse_choice(text: str, count: int) -> Optional[int]:
    """The 0-based index of the option a member picked from `count` listed ones, or
    None when the text is not a pick (or picks a number that was not offered)."""
    s = _norm(text)
    if not s or count <= 0:
        return None
    if s in _CIRCLED:
        n = _CIRCLED[s]
    elif _LAST.match(s):
        n = count
    else:
        m = _ORDINAL.match(s)
        if not m:
            return None
        n = _number(m.group(1))
    if n is None or not 1 <= n <= count:
        return None
    return n - 1


_ALL_MATERIALS = re.compile(r"(都|全|全部|所有)(的)?(材料)?(都)?(齐|有|备好|准备好|准备齐|带)")
_NO_MATERIALS = re.compile(r"^(都)?(还)?(没有|没|无|都没有|一个都没有|还没准备|还没)(准备)?(好)?$")


def parse_materials(text: str, codes: Sequence[str]) -> Optional[FrozenSet[str]]:
    """Which of the numbered materials (`codes`, listed 1..n to the member) they have:
    "1 3 4" / "1、3、4" / "都齐了" / "还没有". None when the text says neither."""
    s = _norm(text)
    if not s:
        return None
    if _ALL_MATERIALS.search(s) or s in {"齐了", "都齐了", "全齐", "全部"}:
        return frozenset(codes)
    if _NO_MATERIALS.match(s):
        return frozenset()
    spaced = unicodedata.normalize("NFKC", text)
    tokens = []
    for token in re.findall(r"[0-9]+|[一二三四五六七八九十]", spaced):
        # "134" typed without separators means 1, 3 and 4 when there is no item 134
        if token.isdigit() and int(token) > len(codes):
            tokens.extend(token)
        else:
            tokens.append(token)
    rest = re.sub(r"[0-9一二三四五六七八九十,，、和及与.。;；第项个有还]", "", s)
    if not tokens or rest not in {"", "都有", "有了", "已有", "齐了", "备好了", "准备好了"}:
        return None
    picked = set()
    for token in tokens:
        n = _number(token)
        if n is None or not 1 <= n <= len(codes):
            return None
        picked.add(codes[n - 1])
    return frozenset(picked)


# Handbook: "因意外伤害就诊除外" (no lead time). Words members use for an injury that
# happened to them, not illnesses.
_INJURY = re.compile(
    r"意外|受伤|摔(?:伤|倒|了|跤|断)|扭(?:伤|到|了)|崴(?:脚|了|到)|骨折|撞(?:伤|到|了)|"
    r"磕(?:伤|破|到)|碰伤|擦伤|割(?:伤|破|到)|划(?:伤|破)|切到手|烫伤|烧伤|砸(?:伤|到)|"
    r"车祸|被(?:狗|猫)(?:咬|抓)|咬伤|外伤|运动伤|拉伤"
)


def is_accidental_injury(text: str) -> bool:
    return bool(_INJURY.search(_norm(text)))


# The service is for the insured person only ("限您本人尊享使用"): a relative is served
# through their own policy and identity.
_SOMEONE_ELSE = re.compile(
    r"(?:帮|给|替|为|陪)(?:我)?(?:妈|爸|老妈|老爸|妈妈|爸爸|母亲|父亲|老婆|老公|爱人|妻子|丈夫|"
    r"孩子|儿子|女儿|宝宝|小孩|婆婆|公公|岳母|岳父|奶奶|爷爷|外婆|外公|姥姥|姥爷|家人|朋友|同事)|"
    r"我(?:妈|爸|老妈|老爸|妈妈|爸爸|母亲|父亲|老婆|老公|爱人|孩子|儿子|女儿|宝宝|婆婆|公公|岳母|"
    r"岳父|奶奶|爷爷|外婆|外公|家人|朋友)(?:想|要|需要|得|的)?(?:看|约|挂|预约|去)|"
    r"^(?:孩子|小孩|宝宝|儿子|女儿)"
)


def is_for_someone_else(text: str) -> bool:
    return bool(_SOMEONE_ELSE.search(_norm(text)))


# "拔火罐要预授权吗" → "拔火罐": what is left of a pre-auth question once the question
# words go. Generic words ("哪些项目", "什么") leave nothing: the member asked for the list.
_PREAUTH_QUESTION = re.compile(
    r"(?:请问|想问一下|想问|问一下|咨询一下|那个|我|要|想|准备|打算|需要|"
    r"(?:去|做|用|打|吃|开|买|租|配|上)(?:个|一个|一次|了)?)*"
    r"(?P<item>.+?)"
    r"(?:的话)?(?:是不是|是否|用不用|要不要|需不需要|需要|要|得|必须)?(?:先)?(?:申请|办|做|走)?"
    r"(?:预授权|事先授权|预先授权|事前授权)(?:吗|么|嘛|不|没|呢)?[?？。!！]*$"
)
_GENERIC_ITEMS = re.compile(r"^(?:哪些|什么|啥|哪种|哪类|哪个|所有|那些|这些)?(?:项目|治疗|检查|情况|东西|药)?$|"
                            r"哪些|什么|啥|申请|怎么|如何")


def preauth_item(text: str) -> Optional[str]:
    """The item a pre-authorisation question is about, or None when it names none."""
    s = _norm(text)
    m = _PREAUTH_QUESTION.match(s)
    if not m:
        return None
    item = m.group("item").strip("，,、 ")
    if not item or _GENERIC_ITEMS.search(item):
        return None
    return item
