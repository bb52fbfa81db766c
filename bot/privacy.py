"""Personal data (个人信息) in members' free text: find it, mask it for reviewers' screens,
or replace it with fixed placeholders for exported training data.

    find("我叫陈静，手机139 0000 0001")
        # [Span(2, 4, "name", "陈静"), Span(7, 20, "phone", "13900000001")]
    mask_for_display("我叫陈静，手机139 0000 0001")   # 我叫陈*，手机139****0001
    mask_for_training("我叫陈静，手机139 0000 0001")  # 我叫张三，手机13800000000

Pure functions of the text. The one file read is the hospital catalog (bot.catalog,
loaded once and cached), so that a hospital's address is not taken for a member's.
What counts and what deliberately does not (landlines, hospital and service numbers,
our own references) is described in docs/architecture.md, "Personal data in text".
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Callable, Iterator, List, Optional, Pattern, Tuple

PHONE = "phone"
ID_NUMBER = "id_number"
POLICY_NUMBER = "policy_number"
CARD_NUMBER = "card_number"
BANK_CARD = "bank_card"
ADDRESS = "address"
NAME = "name"

# What mask_for_training writes, the same value every time so that exported sentences
# stay deduplicable. Each is a well-formed value of its kind, so that a validator reading
# training data accepts it: the ID is the example printed in GB 11643 itself (right check
# character), the bank card a 6222 number ending in its Luhn digit. find() knows these
# exact values and never reports them.
PLACEHOLDERS = {
    PHONE: "13800000000",
    ID_NUMBER: "11010519491231002X",
    POLICY_NUMBER: "ZAHM0000000000",
    CARD_NUMBER: "ZADP000000000000",
    BANK_CARD: "6222000000000000004",
    ADDRESS: "上海市某区某路1号",
    NAME: "张三",
}
# An address naming 某 (some) road or community is a placeholder, wherever it starts.
_PLACEHOLDER_ADDRESS_MARK = "某"


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str
    # normalised: digits and upper-case letters only for numbers (a phone without
    # +86), the text as written for names and addresses
    value: str


# ------------------------------------------------------------------- masking helpers
def mask_name(name: str) -> str:
    """陈静 -> 陈*, 欧阳晓明 -> 欧***."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_digits(value: str, keep_start: int = 3, keep_end: int = 4) -> str:
    """13800000001 -> 138****0001; short values are masked entirely."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_policy_number(value: str) -> str:
    """ZAHM2026000001 -> ZAHM******0001: enough for the member to recognise it."""
    return mask_digits(value, keep_start=4, keep_end=4)


# ------------------------------------------------------------------------ validation
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
# First two digits of a resident ID: the province-level region (GB/T 2260).
_ID_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


def id_check_digit(first17: str) -> str:
    """The check character of an 18-character resident ID (GB 11643): the weighted sum
    of the first 17 digits mod 11, read in "10X98765432"."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK_CHARS[total % 11]


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= 2099


def is_valid_id_number(value: str) -> bool:
    """An 18-character ID with a known province, a real birth date and the right check
    character (x or X), or an old 15-digit ID (province and YYMMDD birth date, no check
    digit). No clock: a date later this century still passes."""
    value = value.upper()
    if value[:2] not in _ID_PROVINCES:
        return False
    if len(value) == 18 and value[:17].isdigit():
        birth = (int(value[6:10]), int(value[10:12]), int(value[12:14]))
        return _is_date(*birth) and id_check_digit(value[:17]) == value[17]
    if len(value) == 15 and value.isdigit():
        return _is_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    return False


def is_plausible_id_number(value: str) -> bool:
    """An 18-character ID with a known province, a real birth date and a sequence other
    than 000, whatever its check character: a member's typo still identifies them. Only
    an ID that is not also a Luhn-valid bank card is read this way (find)."""
    value = value.upper()
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        return False
    birth = (int(value[6:10]), int(value[10:12]), int(value[12:14]))
    return value[:2] in _ID_PROVINCES and _is_date(*birth) and value[14:17] != "000"


def luhn_valid(digits: str) -> bool:
    """The Luhn check every bank card number (银行卡号) passes: from the right, double
    every second digit (minus 9 above 9); the sum ends in 0."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


# -------------------------------------------------------------------------- patterns
# Digits that belong to no longer number: not after or before a digit or a letter (our
# references are letters + digits: YY2611250007, YS…, JZ…, HF2611250001). A number after
# another and a space (ZAHM2026000002 13900000001) is found: where two finds overlap,
# the more certain kind wins (find).
_BEFORE = r"(?<![0-9A-Za-z])"
_AFTER = r"(?![0-9A-Za-z])"

# A mainland mobile number (手机号): 1[3-9] and nine digits, maybe after +86 / 0086,
# written whole, in groups of 3-4-4, 3-8 or 7-4, or with a separator between every
# digit (1 3 9 1 2 ...); one kind of separator throughout: spaces, a hyphen or dash
# (139—1234—5678), or dots in the 3-4-4 shape only (139.1234.5678; 139.12345678 reads
# as a decimal); spaces and hyphens may mix in the groups (139 1234-5678). Digits may be spelt out (一三九…, 幺 for 1, 〇/零 for 0, _SPOKEN_DIGITS).
# Landlines (021-64041990, 010-82951332) and service numbers (952299, 1010-9955, 12356,
# 4009-999-595) never have that shape; nor do dates (2026.12.15) or IP addresses
# (139.224.123.45: groups of 3-3-3-2).
_PHONE_SEPARATOR = re.compile(r" {1,3}| ?(?:[\-.]|[\u2010-\u2015\u2212]{1,2}) ?")
_PHONE = re.compile(
    r"(?<![0-9A-Za-z十百千万亿])(?:(?:\+|00)86[ \-]?)?"
    rf"(?P<number>1(?:{_PHONE_SEPARATOR.pattern})?[3-9](?:(?:{_PHONE_SEPARATOR.pattern})?[0-9]){{9}})"
    r"(?![0-9A-Za-z十百千万亿])"
)
_PHONE_GROUPS = frozenset({(11,), (3, 8), (7, 4), (3, 4, 4), (1,) * 11})
_PHONE_DOTTED_GROUPS = frozenset({(3, 4, 4), (1,) * 11})
# Digits as a phone number is read out, one character for one: 幺 is 1 when spoken.
_SPOKEN_DIGITS = str.maketrans("〇○零幺一二三四五六七八九", "0001123456789")

# A resident ID number (居民身份证号码): 18 characters (area, YYYYMMDD, three digits, check
# 0-9/X) or the old 15 digits (area, YYMMDD, three digits), whole or split by a space
# after the area and after the date. is_valid_id_number decides.
_ID_NUMBER = re.compile(
    _BEFORE + r"[1-9][0-9]{5} ?(?:[0-9]{8} ?[0-9]{3}[0-9Xx]|[0-9]{6} ?[0-9]{3})" + _AFTER
)

# This insurer's policy number (保单号): ZAHM and ten digits, any case, a space or hyphen
# allowed before each digit (ZAHM 2026 0000 01).
_POLICY_NUMBER = re.compile(r"(?<![0-9A-Za-z])ZAHM(?:[ \-]?[0-9]){10}" + _AFTER, re.IGNORECASE)

# The electronic direct-billing card number (电子直付卡号): ZADP and twelve digits.
_CARD_NUMBER = re.compile(r"(?<![0-9A-Za-z])ZADP(?:[ \-]?[0-9]){12}" + _AFTER, re.IGNORECASE)

# A bank card number (银行卡号): 16-19 digits, whole or in fours split by one kind of
# separator (the last group shorter). luhn_valid decides.
_BANK_CARD = re.compile(
    _BEFORE + r"(?:[0-9]{16,19}|[0-9]{4}(?P<sep>[ \-])[0-9]{4}(?P=sep)[0-9]{4}(?P=sep)[0-9]{4}"
    r"(?:(?P=sep)[0-9]{1,3})?)" + _AFTER
)

# A detailed address (住址): an optional region (province, city, district, town) then a
# road with a house number (宛平南路600号, 张杨路1500弄12号601室) or a residential
# compound with building / unit / room numbers (阳光小区5栋302, 王庄村12号). Place
# names are Chinese characters other than the function words that surround an address
# in a sentence (住在, 寄到, 我想问...), so a match starts where the place name starts.
# A bare region (我在上海, 浦东) has no number and is never matched.
_FUNCTION_CHARS = "在住是到址于从去往来回寄送搬查找的我你他她想要问叫和与及或了吗呢吧啊呀就也都还请帮您"
_PLACE = rf"(?:(?![{_FUNCTION_CHARS}])[\u4e00-\u9fff])"
_NUM_CHARS = "一二三四五六七八九十百零〇两"
_NUM = rf"(?:[0-9]+|[{_NUM_CHARS}]+)"
# 号 that numbers a house, not a metro line, an exit, a bed or a telephone
_HAO = r"号(?![线口床码位门窗诊])"
_REGION = (rf"(?P<region>(?:(?:北京|上海|天津|重庆)(?!市)"
           rf"|{_PLACE}{{1,6}}?(?:省|自治区|市|自治州|地区|盟|区|县|旗|镇|乡|街道)){{0,4}})")
_ROAD_WORDS = "大道|大街|路|街|巷|胡同"
_COMPOUND_WORDS = "小区|花园|新村|家园|公寓|苑|村|大厦|广场|社区|公馆|山庄|府|城|(?<![儿公物校乐])园"
_ROAD = rf"{_PLACE}{{1,8}}?(?:{_ROAD_WORDS})(?:{_NUM}弄(?:{_NUM}支弄)?)?{_NUM}{_HAO}"
_COMPOUND = (rf"{_PLACE}{{1,8}}?(?:{_COMPOUND_WORDS})"
             rf"(?:{_NUM}(?:号楼|号院|栋|幢|座|单元|期|区|组|弄|{_HAO})|[0-9]+-[0-9]+)")
_ROOM = (rf"(?:{_NUM}(?:号楼|号院|栋|幢|座|单元|楼|层|室|期|区|组|{_HAO})|-?[0-9]+-[0-9]+"
         r"|[0-9]{3,4}(?![0-9年月日号点时分元块万岁]))")
_ADDRESS = re.compile(rf"{_REGION}(?:{_ROAD}|{_COMPOUND})(?:{_ROOM})*")
# Words a match may start with that are not part of the place (我想问一下宛平南路600号).
_LEADING_FILLER = re.compile(r"(?:一下|请问|就是|这个|那个|这边|那边|一个|附近|旁边|对面|隔壁|靠近|那里|这里)+")
# Said before an address, it is the member's own even beside a hospital's name.
_OWN_ADDRESS_CUE = re.compile(r"住在|我住|家住|家在|我家|住址|家庭地址|我的地址|收货地址|收件地址|寄到|送到|老家|户籍")
# An address said with these in the same clause is a hospital's (瑞金医院在瑞金二路197号).
_HOSPITAL_WORD = re.compile(r"医院|医学中心|卫生中心|卫生院|保健院|门诊部|诊所|院区|特需部|国际医疗部")
_CLAUSE_BREAK = re.compile(r"[，,。；;！!？?\n]")

# A person's name (姓名) after words that introduce one: 2-4 characters starting with a
# common surname. Strong cues (我叫, 名字是, 姓名, 我妈叫...) always introduce a name;
# weak cues (我是, 本人, 患者...) often introduce something else (我是会员, 我是想问),
# so what follows them is checked more strictly (_name_after_cue).
_COMPOUND_SURNAMES = (
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 "
    "端木 独孤 南宫 西门 澹台 申屠 呼延 钟离 闻人 万俟 赫连 公冶 太史 濮阳 淳于 "
    "单于 仲孙 拓跋 百里 东郭 第五".split()
)
# The ~190 most common single-character surnames (with 萧/肖, 阎/闫, 傅/付), most common first.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许邓冯韩曹曾彭萧肖蔡潘田董袁于"
    "余叶蒋杜苏魏程吕丁沈任姚卢傅付钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎闫"
    "薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严赖覃洪武莫孔汤向常温康施文牛樊葛邢安齐易乔伍庞"
    "颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗"
    "谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁房滕屈饶解牟艾尤穆"
)
_RELATIVES = (r"老公|老婆|爱人|先生|太太|妻子|丈夫|媳妇|爸爸|妈妈|爸|妈|父亲|母亲|儿子|女儿|孩子"
              r"|宝宝|爷爷|奶奶|外公|外婆|姥姥|姥爷|公公|婆婆|哥哥|姐姐|弟弟|妹妹")
# _CUE, below, is what these start with: keep it in step.
_STRONG_CUE = rf"我叫|我名叫|(?:我的)?名字[是叫]|姓名[是为]?|我的?(?:{_RELATIVES})(?:的名字)?(?:叫做?|名叫)"
_WEAK_CUE = r"我是|本人是?|患者是?|病人是?|被保险?人是?|投保人是?|联系人是?"
_NAME = re.compile(
    rf"(?:(?P<strong>{_STRONG_CUE})|(?P<weak>{_WEAK_CUE}))[:： ]*"
    rf"(?P<name>(?:{'|'.join(_COMPOUND_SURNAMES)}|[{_SURNAMES}])[\u4e00-\u9fff]{{1,2}})"
)
# A surname and a title (or 家属) addresses someone, it is not a name (我是张医生介绍的).
_TITLE = re.compile(r"医生|老师|先生|女士|小姐|经理|总|阿姨|师傅|大夫|主任|护士|管家|家属")
# What ends a name when it follows the first given-name character (我叫陈静想预约), and,
# after a weak cue, what cannot be that first character (我是王想…).
_NAME_END = re.compile(
    r"想|要|的|了|是|在|和|跟|与|我|你|他|她|们|这|那|今天|明天|后天|昨天|去|来|住|打|电话|手机|身份"
    r"|保单|预约|请|帮|吗|呢|吧|啊|呀|哦|嘛|有|没|需|能|可以|会员|问|说|已|刚|现在|从|到|给|找|看"
    r"|做|也|都|就|还|又|再|先|男|女|岁|今年|" + _TITLE.pattern
)
# Words after a weak cue that start with a surname but are not names.
_NOT_NAMES = (
    "周一", "周二", "周三", "周四", "周五", "周六", "周日", "周末", "明天", "马上", "高血压", "高血糖",
    "高龄", "何时", "于是", "曾经", "夏天", "方便", "白天", "万一", "常规", "常年", "严重", "费用",
    "安排", "单位", "单身", "包括", "关于", "成人", "成年", "向您", "文件", "康复", "程序", "申请",
    "文员", "白领", "高管", "金卡", "钟点工", "武警", "孙子", "孙女", "管理", "安保", "石油", "龙头",
)
# Surnames that are also everyday words (于, 向, 高...): after a weak cue the name they
# start must end the phrase (我是高明，… / 我是高明想问…), not run on (患者于昨日入院).
_WORDLIKE_SURNAMES = "于向关包成方常万安单文白高申曾何金石钟管武孙路"
# Places (province, city, district) that start with a surname: 我是江苏的, 我是徐汇人.
_PLACE_NAMES = (
    "江苏", "江西", "安徽", "甘肃", "宁夏", "吉林", "云南", "武汉", "常州", "温州", "苏州", "宁波",
    "石家庄", "金华", "沈阳", "郑州", "成都", "包头", "徐州", "许昌", "邵阳", "岳阳", "柳州", "桂林",
    "秦皇岛", "唐山", "兰州", "连云港", "齐齐哈尔", "江门", "湛江", "徐汇", "黄浦", "杨浦", "金山",
    "石景山", "白云", "罗湖", "龙岗", "余杭", "萧山", "黄山", "黄冈", "焦作",
)
# After a weak cue a name is not followed by these (我是上海人, 我是徐汇区的).
_PLACE_SUFFIX = "人市省区县镇乡村"


# ---------------------------------------------------------------------------- finding
class _FoldTable(dict):
    """str.translate table of NFKC folds that keep one character one character, filled
    as characters are first seen (folding character by character is too slow for logs)."""

    def __missing__(self, code: int) -> str:
        folded = unicodedata.normalize("NFKC", chr(code))
        self[code] = folded if len(folded) == 1 else chr(code)
        return self[code]


_FOLD_TABLE = _FoldTable()


def _fold(text: str) -> str:
    """Full-width digits, letters and signs as ASCII (１３９ -> 139), one character for
    one, so that spans found in the result are spans of `text`."""
    return text if text.isascii() else text.translate(_FOLD_TABLE)


def _compact(raw: str) -> str:
    """139-0000 0001 -> 13900000001, zahm 2026 0000 01 -> ZAHM2026000001."""
    return re.sub(r"[^0-9A-Za-z]", "", raw).upper()


def _numbers(kind: str, pattern: Pattern[str],
             valid: Optional[Callable[[str], bool]]) -> Callable[[str], Iterator[Span]]:
    """A finder of one kind of number: each match of `pattern`, normalised, that `valid`
    accepts."""
    def finder(text: str) -> Iterator[Span]:
        for match in pattern.finditer(text):
            value = _compact(match.group())
            if valid is None or valid(value):
                yield Span(match.start(), match.end(), kind, value)
    return finder


def _phone_shaped(number: str) -> bool:
    """Groups of digits a member writes a mobile number in (_PHONE_GROUPS), one kind of
    separator between them (spaces and hyphens may mix between groups)."""
    groups = tuple(len(run) for run in re.findall(r"[0-9]+", number))
    kinds = {separator.strip() or " " for separator in re.findall(r"[^0-9]+", number)}
    if len(kinds) > 1 and not (kinds <= {" ", "-"} and len(groups) <= 3):
        return False
    if "." in kinds and groups not in _PHONE_DOTTED_GROUPS:
        return False
    return groups in _PHONE_GROUPS


def _phones(text: str) -> Iterator[Span]:
    spoken = text.translate(_SPOKEN_DIGITS)
    position = 0
    while match := _PHONE.search(spoken, position):
        if _phone_shaped(match.group("number")):
            yield Span(match.start(), match.end(), PHONE, _compact(match.group("number")))
            position = match.end()
        else:  # a shape of its own (an IP address): a phone may still start inside
            position = match.start() + 1


@lru_cache(maxsize=1)
def _hospital_terms() -> Tuple[str, ...]:
    """Every Chinese name and alias of a catalog hospital, case-folded."""
    from bot.catalog import load_catalog  # the catalog is read on first use only

    hospitals = load_catalog().hospitals
    return tuple(sorted({
        term.casefold() for hospital in hospitals for term in hospital.terms + (hospital.full_name,)
        if len(term) >= 2 and re.search(r"[\u4e00-\u9fff]", term)
    }))


def _clause(text: str, start: int, end: int) -> Tuple[str, str, str]:
    """The clause around text[start:end]: what comes before it, it, what comes after."""
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text)]
    left = max([b + 1 for b in breaks if b < start], default=0)
    right = min([b for b in breaks if b >= end], default=len(text))
    return text[left:start], text[start:end], text[end:right]


def _is_hospital_address(text: str, start: int, end: int) -> bool:
    """Said beside a hospital's name, and not introduced as the member's own."""
    before, address, after = _clause(text, start, end)
    if _OWN_ADDRESS_CUE.search(before):
        return False
    around = (before + address + after).casefold()
    return bool(_HOSPITAL_WORD.search(around)) or any(term in around for term in _hospital_terms())


def _addresses(text: str) -> Iterator[Span]:
    for match in _ADDRESS.finditer(text):
        start, end = match.span()
        filler = _LEADING_FILLER.match(text, start, end)
        if filler and _ADDRESS.fullmatch(text, filler.end(), end):
            start = filler.end()
        if not _is_hospital_address(text, start, end):
            yield Span(start, end, ADDRESS, text[start:end])


def _name_after_cue(candidate: str, following: str, weak: bool) -> Optional[str]:
    """The name that starts `candidate` (2-4 characters matched after a cue), or None;
    `following` is the text from the candidate on."""
    surname = next((s for s in _COMPOUND_SURNAMES if candidate.startswith(s)), candidate[0])
    given = candidate[len(surname):]
    cut = next((i for i in range(1, len(given)) if _NAME_END.match(given, i)), len(given))
    given = given[:cut]
    if _TITLE.match(given):
        return None
    name = surname + given
    if not weak:
        return name
    after = following[len(name):]
    runs_on = bool(re.match(r"[\u4e00-\u9fff]", after)) and not _NAME_END.match(after)
    if (_NAME_END.match(given) or following.startswith(_NOT_NAMES + _PLACE_NAMES)
            or after[:1] in tuple(_PLACE_SUFFIX)
            or (surname in _WORDLIKE_SURNAMES and runs_on)):
        return None
    return name


def _names(text: str) -> Iterator[Span]:
    for match in _NAME.finditer(text):
        start = match.start("name")
        weak = match.group("weak") is not None
        name = _name_after_cue(match.group("name"), text[start:], weak)
        if name:
            yield Span(start, start + len(name), NAME, name)


def _is_placeholder(span: Span) -> bool:
    if span.kind == ADDRESS:
        return _PLACEHOLDER_ADDRESS_MARK in span.value
    return span.value == PLACEHOLDERS[span.kind]


# What each finder needs, searched for first, so that text without it (most log lines)
# costs a scan or two: eleven digits (as few as a phone has; written or spoken) with at
# most the separators a phone allows between them; ZAHM / ZADP; a road or compound word
# (its last character) followed by a number; the first character of a name cue.
_DIGIT_CHARS = "0-9" + "".join(chr(code) for code in _SPOKEN_DIGITS)
_DIGIT_RUN = re.compile(
    rf"[{_DIGIT_CHARS}](?:[ \-.\u2010-\u2015\u2212]{{0,4}}[{_DIGIT_CHARS}]){{10}}")
_PREFIXED = re.compile(r"[Zz][Aa](?:[Hh][Mm]|[Dd][Pp])")
_PLACE_WORD_ENDS = "".join(sorted({
    word[-1] for word in re.sub(r"\(\?<!\[[^]]*\]\)", "", f"{_ROAD_WORDS}|{_COMPOUND_WORDS}").split("|")
}))
_PLACE_NUMBER = re.compile(rf"[{_PLACE_WORD_ENDS}][0-9{_NUM_CHARS}]")
# what each cue of _NAME starts with (keep in step with _STRONG_CUE and _WEAK_CUE)
_CUE = re.compile(rf"我(?:[叫名是的]|{_RELATIVES})|名字|姓名|本人|患者|病人|被保|投保人|联系人")

# Most certain first: where two finds overlap, the earlier in this list wins. An
# 18-digit ID with its right check character is an ID even if it passes Luhn; one with a
# wrong check character (a typo) is an ID unless it passes Luhn, then it is a bank card.
# Each finder runs only where what it needs is in the text.
_FINDERS: Tuple[Tuple[Pattern[str], Callable[[str], Iterator[Span]]], ...] = (
    (_PREFIXED, _numbers(POLICY_NUMBER, _POLICY_NUMBER, None)),
    (_PREFIXED, _numbers(CARD_NUMBER, _CARD_NUMBER, None)),
    (_DIGIT_RUN, _numbers(ID_NUMBER, _ID_NUMBER, is_valid_id_number)),
    (_DIGIT_RUN, _numbers(BANK_CARD, _BANK_CARD, luhn_valid)),
    (_DIGIT_RUN, _numbers(ID_NUMBER, _ID_NUMBER, is_plausible_id_number)),
    (_DIGIT_RUN, _phones),
    (_PLACE_NUMBER, _addresses),
    (_CUE, _names),
)
_NEEDS = tuple(dict.fromkeys(need for need, _ in _FINDERS))


def find(text: str) -> List[Span]:
    """The personal data in `text`, in order, never overlapping; the training
    placeholders (PLACEHOLDERS) are not reported."""
    folded = _fold(text)
    needs = {need: need.search(folded) is not None for need in _NEEDS}
    chosen: List[Span] = []
    for need, finder in _FINDERS:
        for span in finder(folded) if needs[need] else ():
            if all(span.end <= other.start or span.start >= other.end for other in chosen):
                chosen.append(span)
    return sorted((s for s in chosen if not _is_placeholder(s)), key=lambda s: s.start)


def contains_personal_data(text: str) -> bool:
    return bool(find(text))


# ---------------------------------------------------------------------------- masking
def _replace(text: str, render: Callable[[Span], str]) -> str:
    parts, last = [], 0
    for span in find(text):
        parts += [text[last:span.start], render(span)]
        last = span.end
    return "".join(parts) + text[last:]


def display_mask(span: Span) -> str:
    """What reviewers' screens show for one find (mask_for_display)."""
    if span.kind in (POLICY_NUMBER, CARD_NUMBER):
        return mask_policy_number(span.value)  # ZAHM******0001, ZADP********0001
    if span.kind == BANK_CARD:
        return "****" + span.value[-4:]
    if span.kind == ADDRESS:
        return _ADDRESS.fullmatch(span.value).group("region") + "***"  # type: ignore[union-attr]
    if span.kind == NAME:
        return mask_name(span.value)
    return mask_digits(span.value)  # phone 139****0001, ID 110***********0020


def mask_for_display(text: str) -> str:
    """For reviewers' screens: enough left to recognise a value, not to use it
    (139****0001, 110***********0020, ZAHM******0001, ****1234, 上海市徐汇区***, 陈*)."""
    return _replace(text, display_mask)


def mask_for_training(text: str) -> str:
    """For exported training data: each value replaced by its kind's placeholder
    (PLACEHOLDERS), so the sentence still reads naturally."""
    return _replace(text, lambda span: PLACEHOLDERS[span.kind])
