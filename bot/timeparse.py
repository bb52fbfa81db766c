"""Rule grammar that finds and resolves Chinese date/time expressions (general and booking semantics)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Callable, Optional

# ============================================================================ public value


@dataclass(frozen=True)
class TimeValue:
    """A resolved time: an instant at `grain` (end None) or a half-open interval [start, end)."""

    start: datetime
    end: Optional[datetime]
    grain: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: ISO 8601 strings with the UTC offset."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end is not None else None,
            "grain": self.grain,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TimeValue":
        """Inverse of to_dict."""
        end = data.get("end")
        return cls(
            start=datetime.fromisoformat(data["start"]),
            end=datetime.fromisoformat(end) if end else None,
            grain=str(data["grain"]),
            text=str(data.get("text", "")),
        )


# ============================================================================ conventions

# Day parts: (start hour, end hour), end exclusive, 24 = midnight after.
# General semantics follow Duckling (morning 04-12, afternoon 12-19, evening 18-24) so the
# corpus scorer and other generic consumers see the usual conventions.
GENERAL_DAY_PARTS: dict[str, tuple[int, int]] = {
    "dawn": (0, 6),      # 凌晨
    "early": (4, 12),    # 早上/早晨/清晨/今早/明早
    "am": (4, 12),       # 上午, am
    "noon": (12, 14),    # 中午/正午/午间
    "pm": (12, 19),      # 下午/午后, pm
    "dusk": (17, 19),    # 傍晚/黄昏
    "night": (18, 24),   # 晚上/晚间/夜里/今晚
    "late": (22, 24),    # 深夜
    "day": (6, 18),      # 白天
}

# Booking semantics: the hours a member plausibly means when asking for an appointment.
BOOKING_DAY_PARTS: dict[str, tuple[int, int]] = {
    "dawn": (0, 6),
    "early": (7, 10),
    "am": (8, 12),
    "noon": (11, 13),
    "pm": (13, 18),
    "dusk": (17, 19),
    "night": (18, 22),
    "late": (22, 24),
    "day": (8, 18),
}

_PART_WORDS: dict[str, str] = {
    "凌晨": "dawn",
    "清晨": "early", "早上": "early", "早晨": "early", "早间": "early", "早": "early", "晨": "early",
    "上午": "am", "am": "am",
    "中午": "noon", "正午": "noon", "午间": "noon",
    "下午": "pm", "午后": "pm", "pm": "pm",
    "傍晚": "dusk", "黄昏": "dusk",
    "晚上": "night", "晚间": "night", "夜里": "night", "夜间": "night", "夜晚": "night",
    "晚": "night", "夜": "night",
    "深夜": "late",
    "白天": "day",
}

# Month periods as (first day, last day or None = month end); 月底 = the last five days.
_MONTH_PERIODS: dict[str, tuple[int, Optional[int]]] = {
    "初": (1, 10), "上旬": (1, 10), "中": (11, 20), "中旬": (11, 20), "下旬": (21, None),
}
_MONTH_END_DAYS = 5
# Year periods as (first month, last month).
_YEAR_PERIODS: dict[str, tuple[int, int]] = {"初": (1, 1), "中": (6, 7), "底": (12, 12), "末": (12, 12)}

# Fixed-date holidays (Gregorian), observed in mainland China or widely referred to there.
_FIXED_HOLIDAYS: tuple[tuple[str, int, int], ...] = (
    (r"元旦节?|阳历新年|公历新年", 1, 1),
    (r"(?:西方)?情人节", 2, 14),
    (r"(?:三八)?(?:国际)?妇女节|三八节", 3, 8),
    (r"植树节", 3, 12),
    (r"(?:国际)?消费者权益日", 3, 15),
    (r"愚人节", 4, 1),
    (r"(?:五一)?(?:国际)?劳动节|五一(?=假期|长假|小长假|黄金周|期间|放假)", 5, 1),
    (r"(?:五四)?青年节", 5, 4),
    (r"(?:六一)?(?:国际)?儿童节", 6, 1),
    (r"建党节", 7, 1),
    (r"(?:八一)?建军节", 8, 1),
    (r"教师节", 9, 10),
    (r"国庆节?|国庆日|十一(?=假期|长假|小长假|黄金周|期间|放假)", 10, 1),
    (r"万圣节", 10, 31),
    (r"双十一|双11", 11, 11),
    (r"平安夜", 12, 24),
    (r"圣诞节?", 12, 25),
)

# Lunar-calendar festivals as (lunar month, lunar day); 除夕 is the day before 春节.
_LUNAR_HOLIDAYS: tuple[tuple[str, int, int], ...] = (
    (r"春节|农历新年|大年初一|正月初一|新春", 1, 1),
    (r"除夕|大年三十|年三十|大年夜", 0, 0),
    (r"元宵节?|正月十五", 1, 15),
    (r"端午节?", 5, 5),
    (r"七夕节?", 7, 7),
    (r"中元节", 7, 15),
    (r"中秋节?", 8, 15),
    (r"重阳节?", 9, 9),
    (r"腊八节?", 12, 8),
)

# ============================================================================ numerals

_CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def cn_to_int(text: str) -> Optional[int]:
    """Chinese or Arabic numeral -> int: 十五, 二十一, 廿三, 两, 二零一五, 一百零五, 12."""
    s = text.strip()
    if not s:
        return None
    if s.isascii() and s.isdigit():
        return int(s)
    # Digit-by-digit years and codes (二零一五) have no unit characters.
    if len(s) > 1 and all(c in _CN_DIGITS or c.isdigit() for c in s):
        return int("".join(str(_CN_DIGITS.get(c, c)) for c in s))
    total, section, num = 0, 0, None
    for ch in s:
        if ch in _CN_DIGITS:
            num = _CN_DIGITS[ch]
        elif ch.isdigit():
            num = int(ch)
        elif ch == "廿":
            section += 20
        elif ch == "卅":
            section += 30
        elif ch in _CN_UNITS:
            section += (1 if num is None else num) * _CN_UNITS[ch]
            num = None
        elif ch == "万":
            total += (section + (num or 0)) * 10000
            section, num = 0, None
        else:
            return None
    return total + section + (num or 0)


# ============================================================================ normalisation

# One character in, one character out, so match offsets stay valid in the original text.
_CHAR_MAP = str.maketrans({
    "個": "个", "號": "号", "週": "周", "禮": "礼", "後": "后", "點": "点", "時": "时",
    "這": "这", "鐘": "钟", "兩": "两", "晝": "昼", "節": "节", "慶": "庆", "誕": "诞",
    "聖": "圣", "國": "国", "勞": "劳", "動": "动", "兒": "儿", "婦": "妇", "軍": "军",
    "現": "现", "當": "当", "陽": "阳", "萬": "万", "來": "来", "間": "间", "頭": "头",
    "過": "过", "曆": "历", "農": "农", "臘": "腊", "陰": "阴", "幾": "几",
    "：": ":", "／": "/", "－": "-", "　": " ", "．": ".", "（": "(", "）": ")",
    **{chr(0xFF10 + i): str(i) for i in range(10)},
    **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
    **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
})
# Same-length dialect words (Cantonese) mapped to their Mandarin equivalents.
_WORD_MAP: tuple[tuple[str, str], ...] = (
    ("聽日", "明日"), ("尋日", "昨日"), ("琴日", "昨日"), ("宜家", "现在"), ("而家", "现在"),
    ("依家", "现在"), ("今个", "这个"), ("晏昼", "下午"),
)


def _normalize(text: str) -> str:
    out = text.translate(_CHAR_MAP)
    for src, dst in _WORD_MAP:
        if src in out:
            out = out.replace(src, dst)
    return out


# ============================================================================ grammar

_NUM_HOUR = r"[0-9]{1,2}|[零〇两一二三四五六七八九十]{1,3}"
_NUM_DAY = r"3[01]|[12][0-9]|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|廿[一二三四五六七八九]?|卅一?|[一二三四五六七八九]"
_NUM_MONTH = r"1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]"
_NUM_COUNT = r"[0-9]{1,3}|[零〇一二两三四五六七八九十百]{1,4}"
_WD = r"[一二三四五六日天1-7]"
_WEEKWORD = r"(?:星期|礼拜|周)"
# 这/本/下/上 and friends before 周/月; a trailing 一/个 (下一个星期, 这个月) is optional.
_WEEK_MOD = r"这个|这一|这|本|今|下下个?|下一?个?|上上个?|上一?个?"
_MONTH_MOD = r"这个|这|本|下下个?|下个?|上上个?|上个?"
_MINUTE = (r"[0-5][0-9]|[零〇][0-9一二三四五六七八九]|[一二三四五]?十[一二三四五六七八九]?"
           r"|[0-9](?=分)|[一二三四五六七八九](?=分)")
_UNIT = r"秒钟?|分钟|小时|钟头|钟|天|日|周|星期|礼拜|月|年"

_WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
                  "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_UNIT_NAMES = {"秒": "second", "秒钟": "second", "分钟": "minute", "小时": "hour", "钟头": "hour",
               "钟": "hour", "天": "day", "日": "day", "周": "week", "星期": "week",
               "礼拜": "week", "月": "month", "年": "year"}
_REL_DAYS = {"大前天": -3, "前天": -2, "昨天": -1, "今天": 0, "明天": 1, "后天": 2, "大后天": 3,
             "大前日": -3, "前日": -2, "昨日": -1, "今日": 0, "明日": 1, "后日": 2, "大后日": 3,
             "今儿": 0, "明儿": 1, "昨儿": -1, "后儿": 2, "今": 0, "明": 1, "昨": -1}
_REL_YEARS = {"大前年": -3, "前年": -2, "去年": -1, "上年": -1, "上一年": -1, "今年": 0, "本年": 0,
              "这年": 0, "这一年": 0, "明年": 1, "来年": 1, "下年": 1, "下一年": 1, "后年": 2,
              "大后年": 3}


def _week_offset(mod: Optional[str]) -> Optional[int]:
    """这/本 -> 0, 下 -> 1, 下下 -> 2, 上 -> -1, 上上 -> -2, none -> None (bare)."""
    if not mod:
        return None
    core = mod.replace("个", "").replace("一", "")
    if core.startswith("下下"):
        return 2
    if core.startswith("上上"):
        return -2
    if core.startswith("下"):
        return 1
    if core.startswith("上"):
        return -1
    return 0


# Each handler gets the match and the normalized text and returns the fields the token sets,
# or None to reject the match (a rejected atom never blocks a shorter one at the same place).
Handler = Callable[["re.Match[str]", str], Optional[dict]]
_ATOMS: list[tuple[str, "re.Pattern[str]", Handler]] = []


def _atom(name: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _ATOMS.append((name, re.compile(pattern), fn))
        return fn
    return register


@_atom("now", r"现在|此时|此刻|当前")
def _h_now(m, s):
    return {"now": True}


@_atom("relday", r"大前天|大后天|前天|昨天|今天|明天|后天|大前日|大后日|前日|昨日|今日|明日|后日|"
                 r"(?:今儿|明儿|昨儿|后儿)个?")
def _h_relday(m, s):
    return {"day_rel": _REL_DAYS[m.group(0).rstrip("个")]}


@_atom("relpart", r"(?P<d>今|明|昨)(?P<p>早上|早晨|晚上|夜里|早|晨|晚|夜)(?![饭餐点])")
def _h_relpart(m, s):
    # 今晚 / 明早: a day and a part of it in one word.
    return {"day_rel": _REL_DAYS[m.group("d")], "part": _PART_WORDS[m.group("p")]}


@_atom("weekday", rf"(?P<mod>{_WEEK_MOD})?{_WEEKWORD}(?P<wd>{_WD})(?![次遍回趟倍])")
def _h_weekday(m, s):
    return {"weekday": _WEEKDAY_INDEX[m.group("wd")], "week_rel": _week_offset(m.group("mod"))}


@_atom("weekend", rf"(?P<mod>{_WEEK_MOD})?(?:周末|礼拜末|星期末)")
def _h_weekend(m, s):
    return {"weekend": True, "week_rel": _week_offset(m.group("mod"))}


@_atom("week", rf"(?P<mod>{_WEEK_MOD}){_WEEKWORD}(?!年|期|边|围|岁|转|刊|报)")
def _h_week(m, s):
    if m.group("mod") == "今":
        return None
    return {"week": True, "week_rel": _week_offset(m.group("mod"))}


@_atom("nth_weekday", rf"第(?P<n>[一二三四五1-5])个?{_WEEKWORD}(?P<wd>{_WD})|最后一个?{_WEEKWORD}(?P<wd2>{_WD})")
def _h_nth_weekday(m, s):
    if m.group("wd2"):
        return {"nth": (-1, _WEEKDAY_INDEX[m.group("wd2")])}
    return {"nth": (cn_to_int(m.group("n")), _WEEKDAY_INDEX[m.group("wd")])}


@_atom("year", r"(?<![0-9])(?P<y>[0-9]{4}|[零〇○一二三四五六七八九]{4})年(?P<p>初|底|末)?(?!代|级|龄|限|费|薪|金|度)")
def _h_year(m, s):
    f: dict = {"year": cn_to_int(m.group("y"))}
    if m.group("p"):
        f["yperiod"] = m.group("p")
    return f


@_atom("relyear", r"(?P<y>大前年|大后年|前年|去年|上一?年|今年|本年|这一?年|明年|来年|下一?年|后年)(?P<p>初|底|末)?(?!代|级|龄|限|费|薪|金|度)")
def _h_relyear(m, s):
    f: dict = {"year_rel": _REL_YEARS[m.group("y")]}
    if m.group("p"):
        f["yperiod"] = m.group("p")
    return f


@_atom("yperiod", r"(?<![0-9一二三四五六七八九十])年(?P<p>初|中|底|末)")
def _h_yperiod(m, s):
    return {"yperiod": m.group("p")}


@_atom("month", rf"(?<![0-9])(?P<m>{_NUM_MONTH})月份?(?P<p>初|中旬|上旬|下旬|中|底|末)?")
def _h_month(m, s):
    # Chinese digits right before (十三月, 二十月) mean this is not a month name.
    if m.start() > 0 and s[m.start() - 1] in "零〇一二两三四五六七八九十":
        return None
    f: dict = {"month": cn_to_int(m.group("m"))}
    if m.group("p"):
        f["mperiod"] = m.group("p")
    return f


@_atom("relmonth", rf"(?P<mod>{_MONTH_MOD})?月(?P<p>初|中旬|上旬|下旬|中|底|末)?")
def _h_relmonth(m, s):
    mod, period = m.group("mod"), m.group("p")
    if not mod and not period:
        return None  # a bare 月 is no time
    if not mod:
        return {"mperiod": period}  # 月底 alone: this month's, or the next one's once it is over
    offset = {"这": 0, "本": 0, "下": 1, "下下": 2, "上": -1, "上上": -2}[mod.replace("个", "")]
    f: dict = {"month_rel": offset}
    if period:
        f["mperiod"] = period
    return f


@_atom("day", rf"(?<![0-9第])(?P<d>{_NUM_DAY})(?P<suf>号|日)(?![楼线门诊窗床房室厅馆口机位院])")
def _h_day(m, s):
    if m.start() > 0 and s[m.start() - 1] in "零〇一二两三四五六七八九十廿卅":
        return None
    # A bare "N日" is only a date next to a month (2个工作日 and 3日内 are not); "N号" stands alone.
    return {"day": cn_to_int(m.group("d")), "day_needs_month": m.group("suf") == "日"}


@_atom("ymd", r"(?<![0-9.])(?P<y>[12][0-9]{3})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})(?![0-9])")
def _h_ymd(m, s):
    return {"year": int(m.group("y")), "month": int(m.group("m")), "day": int(m.group("d"))}


@_atom("mdy", r"(?<![0-9/.:-])(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})(?:/(?P<y>[0-9]{4}|[0-9]{2}))?(?![0-9/])")
def _h_mdy(m, s):
    # 1/5 is month/day in Chinese text; a year after it follows the US order (3/3/2015).
    f: dict = {"month": int(m.group("m")), "day": int(m.group("d"))}
    if m.group("y"):
        y = int(m.group("y"))
        f["year"] = y if y >= 100 else (2000 + y if y < 50 else 1900 + y)
    return f


@_atom("clock", rf"(?P<pre>早|晚)?(?P<h>{_NUM_HOUR})(?P<unit>点钟|点|时)"
                rf"(?:(?P<half>半)|(?P<q>一刻|三刻)|[踏搭](?P<zhalf>半)|[踏搭](?P<zi>[一二三四五六七八九十]{{1,2}}|[0-9]{{1,2}})"
                rf"|(?P<zi2>[一二三四五六七八九十]{{1,2}})个字|(?P<mi>{_MINUTE})分?)?"
                rf"(?!钟头|[0-9零〇一二两三四五六七八九十万千百亿元块%倍米克升毫个:])")
def _h_clock(m, s):
    if m.start() > 0 and s[m.start() - 1].isdigit():
        return None
    h_text = m.group("h")
    hour = cn_to_int(h_text)
    if hour is None or hour > 24:
        return None
    minute, has_minute = 0, True
    if m.group("half") or m.group("zhalf"):
        minute = 30
    elif m.group("q"):
        minute = 15 if m.group("q") == "一刻" else 45
    elif m.group("zi") or m.group("zi2"):
        minute = 5 * (cn_to_int(m.group("zi") or m.group("zi2")) or 0)  # Cantonese 字 = 5 minutes
    elif m.group("mi"):
        minute = cn_to_int(m.group("mi")) or 0
    else:
        has_minute = False
    if minute > 59:
        return None
    if h_text == "一" and not has_minute and m.group("unit") != "点钟":
        # 一点 is usually "a little" (早一点, 便宜一点, 一点儿), not one o'clock.
        before = s[m.start() - 1] if m.start() > 0 else ""
        after = s[m.end()] if m.end() < len(s) else ""
        if m.group("pre") or (before and before in "早晚快慢多少好有大小高低贵宜些再稍提前后往长短近远轻重") \
                or (after and after in "儿点也都"):
            return None
    f: dict = {"hour": hour, "minute": minute, "minute_given": has_minute}
    if m.group("pre"):
        f["part"] = _PART_WORDS[m.group("pre")]
    return f


@_atom("clock_colon", r"(?<![0-9:.])(?P<h>[01]?[0-9]|2[0-4]):(?P<mi>[0-5][0-9])(?::(?P<sec>[0-5][0-9]))?(?![0-9])"
                      r"(?:\s?(?P<ap>[aApP]\.?[mM]\.?|[aApP])(?![a-zA-Z]))?")
def _h_clock_colon(m, s):
    hour, minute = int(m.group("h")), int(m.group("mi"))
    if hour == 24 and minute:
        return None
    f: dict = {"hour": hour, "minute": minute, "minute_given": True,
               "h24": m.group("h").startswith("0") or hour > 12}
    if m.group("ap"):
        f["ampm"] = m.group("ap")[0].lower()
    return f


@_atom("clock_ampm", r"(?<![0-9.:])(?P<h>1[0-2]|0?[1-9])\s?(?P<ap>[aApP]\.?[mM]\.?|[aApP])(?![a-zA-Z])")
def _h_clock_ampm(m, s):
    return {"hour": int(m.group("h")), "minute": 0, "minute_given": False, "ampm": m.group("ap")[0].lower()}


@_atom("ampm", r"(?<![a-zA-Z])(?P<ap>[aA]\.?[mM]\.?|[pP]\.?[mM]\.?)(?![a-zA-Z0-9])")
def _h_ampm(m, s):
    return {"part": "am" if m.group("ap")[0] in "aA" else "pm"}


@_atom("part", r"凌晨|清晨|早上|早晨|早间|上午|中午|正午|午间|下午|午后|傍晚|黄昏|晚上|晚间|夜里|夜间|夜晚|深夜|白天")
def _h_part(m, s):
    return {"part": _PART_WORDS[m.group(0)]}


# 未来两周, 接下来三天, 这两天, 最近两周, 两周内, 一个月之内: a rolling window from today. Only
# booking reads it (the next N days from now); in a health message 这两天/最近两周 are the past.
@_atom("window", rf"(?:(?P<dir>未来的?|接下来的?|今后|往后|最近|近|这)(?P<n>{_NUM_COUNT})(?P<ge>个)?(?P<u>{_UNIT})"
                 rf"(?:之内|以内|内)?|(?P<n2>{_NUM_COUNT})(?P<ge2>个)?(?P<u2>{_UNIT})(?:之内|以内|内))"
                 r"(?!科|容|部|镜|服|衣|外)")
def _h_window(m, s):
    n = cn_to_int(m.group("n") or m.group("n2"))
    unit = _UNIT_NAMES[m.group("u") or m.group("u2")]
    ge = m.group("ge") or m.group("ge2")
    if not n or unit in ("second", "minute", "hour") or (unit == "month" and not ge):
        return None  # 这3月 is March; 24小时内 and 48小时内 are the handbook's limits, not times
    return {"window": (n, unit)}


@_atom("span", rf"(?P<dir>上|前|下|后|过去的?)(?P<n>{_NUM_COUNT})(?P<ge>个)?(?P<u>{_UNIT})")
def _h_span(m, s):
    n, unit = cn_to_int(m.group("n")), m.group("u")
    if not n or (unit == "钟" and not m.group("ge")):
        return None
    direction = -1 if m.group("dir")[0] in "上前过" else 1
    return {"span": (direction, n, _UNIT_NAMES[unit])}


@_atom("offset", rf"(?P<n>{_NUM_COUNT}|半)(?P<ge>个)?(?P<half>半)?(?P<u>{_UNIT})(?P<half2>半)?"
                 rf"(?P<dir>之后|以后|过后|后|之前|以前|前)")
def _h_offset(m, s):
    unit = m.group("u")
    if unit in ("月", "钟") and not m.group("ge"):
        return None  # 3月前 is "before March", 两钟 is not Mandarin
    n = 0.5 if m.group("n") == "半" else cn_to_int(m.group("n"))
    if n is None:
        return None
    if m.group("half") or m.group("half2"):
        n += 0.5
    sign = -1 if m.group("dir")[-1] == "前" else 1
    return {"offset": (sign, n, _UNIT_NAMES[unit])}


_ZONE_OFFSETS = {"北京时间": 8, "东八区": 8, "UTC": 0, "GMT": 0, "CET": 1, "CEST": 2}


@_atom("zone", r"(?<![A-Za-z])(?P<z>北京时间|东八区|UTC|GMT|CEST|CET)(?P<off>[+-](?:1[0-4]|0?[0-9]))?(?![A-Za-z])")
def _h_zone(m, s):
    return {"tz": _ZONE_OFFSETS[m.group("z")] + (int(m.group("off")) if m.group("off") else 0)}


def _holiday_handler(kind: str, month: int, day: int) -> Handler:
    return lambda m, s: {"holiday": (kind, month, day)}


for _pattern, _month, _day in _FIXED_HOLIDAYS:
    _ATOMS.append(("holiday", re.compile(_pattern), _holiday_handler("fixed", _month, _day)))
for _pattern, _month, _day in _LUNAR_HOLIDAYS:
    _ATOMS.append(("holiday", re.compile(_pattern), _holiday_handler("lunar", _month, _day)))
_ATOMS.append(("holiday", re.compile(r"清明节?"), _holiday_handler("qingming", 0, 0)))

# ============================================================================ tokens and groups


@dataclass
class _Token:
    start: int
    end: int
    fields: dict


def _tokenize(s: str) -> list[_Token]:
    """Leftmost-longest scan over all atoms."""
    tokens: list[_Token] = []
    pos, n = 0, len(s)
    while pos < n:
        best: Optional[_Token] = None
        for _name, pattern, handler in _ATOMS:
            m = pattern.match(s, pos)
            if m is None or m.end() == pos:
                continue
            if best is not None and m.end() <= best.end:
                continue
            fields = handler(m, s)
            if fields is not None:
                best = _Token(pos, m.end(), fields)
        if best is None:
            pos += 1
        else:
            tokens.append(best)
            pos = best.end
    return tokens


# Which "slot" each field fills; two tokens that fill the same slot belong to different expressions.
_SLOTS = {
    "year": "year", "year_rel": "year", "yperiod": "yperiod",
    "month": "month", "month_rel": "month", "mperiod": "mperiod",
    "day": "day", "day_needs_month": "day", "day_rel": "dayref", "holiday": "dayref",
    "weekday": "week", "weekend": "week", "week": "week", "week_rel": "week", "nth": "nth",
    "part": "part", "hour": "clock", "minute": "clock", "minute_given": "clock", "h24": "clock",
    "ampm": "clock", "tz": "tz",
}
_ALONE = {"now", "span", "offset", "window"}
_GAP = re.compile(r"[\s的,，()]{0,3}")


def _slots(fields: dict) -> set[str]:
    return {_SLOTS.get(k, k) for k in fields}


def _group(tokens: list[_Token], s: str) -> list[list[_Token]]:
    """Adjacent tokens that fill different slots form one expression (明天 + 下午 + 三点)."""
    groups: list[list[_Token]] = []
    current: list[_Token] = []
    used: set[str] = set()
    for tok in tokens:
        slots = _slots(tok.fields)
        adjacent = bool(current) and _GAP.fullmatch(s, current[-1].end, tok.start) is not None
        joinable = adjacent and not (slots & used) and not (slots & _ALONE) and not (used & _ALONE)
        # An offset in days may carry a time of day ("三天后下午三点"), one in weeks a weekday
        # too ("两周后的周三"); other offsets stand alone.
        if adjacent and not joinable and "offset" in used and not (slots & used):
            unit = current[0].fields["offset"][2]
            weekday_ok = unit == "week" and ("week" in used or (
                "weekday" in tok.fields and tok.fields.get("week_rel") is None))
            allowed = {"part", "clock"} | ({"week"} if weekday_ok else set())
            if unit in ("day", "week", "month", "year") and used <= {"offset"} | allowed and slots <= allowed:
                joinable = True
        if joinable:
            current.append(tok)
            used |= slots
        else:
            if current:
                groups.append(current)
            current, used = [tok], set(slots)
    if current:
        groups.append(current)
    return groups


def _merge(group: list[_Token]) -> dict:
    fields: dict = {}
    for tok in group:
        fields.update(tok.fields)
    # "两周后的周三": that weekday in the week N weeks from now.
    if "offset" in fields and "weekday" in fields and fields.get("week_rel") is None:
        sign, n, _unit = fields.pop("offset")
        fields["week_rel"] = int(sign * n)
    # A bare "5日" without a month is not a date (工作日, 3日内 ...).
    if fields.get("day_needs_month") and "month" not in fields and "month_rel" not in fields:
        fields.pop("day", None)
        fields.pop("day_needs_month", None)
    return fields


_DATE_SLOTS = {"year", "month", "day", "dayref", "week", "nth", "mperiod", "yperiod"}


def _specificity(fields: dict) -> float:
    if "now" in fields:
        return 0.5
    score = 0.0
    if _slots(fields) & (_DATE_SLOTS | {"span", "offset", "window"}):
        score += 1
    if "part" in fields:
        score += 1
    if "hour" in fields:
        score += 1.5
    return score


@dataclass
class _Expr:
    fields: dict
    start: int
    end: int
    until: Optional[dict] = None  # the far end of a range ("三点到五点"), fields filled in


_RANGE_GAP = re.compile(r"\s*(?:到|至|-|~|—|～)\s*")


def _range_end_fields(a: dict, b: dict) -> Optional[dict]:
    """The far end of "A到B" with what B leaves out taken from A (下午三点到五点, 5号到8号)."""
    if _slots(a) & _ALONE or _slots(b) & _ALONE:
        return None
    out = dict(b)
    b_slots = _slots(b)
    if not b_slots & _DATE_SLOTS:
        out.update({k: v for k, v in a.items() if _SLOTS.get(k) in _DATE_SLOTS})
    else:
        if "day" in b and "month" not in b and "month_rel" not in b:
            out.update({k: v for k, v in a.items() if _SLOTS.get(k) in ("month", "year")})
            out.pop("day_needs_month", None)
        if "month" in b and "year" not in b_slots:
            out.update({k: v for k, v in a.items() if _SLOTS.get(k) == "year"})
        if "weekday" in b and b.get("week_rel") is None and a.get("week_rel") is not None:
            out["week_rel"] = a["week_rel"]
    if "hour" in b and "part" not in b and "part" in a and "ampm" not in b:
        out["part"] = a["part"]
    return out


def _expressions(text: str) -> list[_Expr]:
    s = _normalize(text)
    out: list[_Expr] = []
    for group in _group(_tokenize(s), s):
        fields = _merge(group)
        if not fields or _specificity(fields) <= 0:
            continue
        prev = out[-1] if out else None
        if (prev is not None and prev.until is None
                and _RANGE_GAP.fullmatch(s, prev.end, group[0].start) is not None):
            until = _range_end_fields(prev.fields, fields)
            if until is not None:
                out[-1] = _Expr(prev.fields, prev.start, group[-1].end, until)
                continue
        out.append(_Expr(fields, group[0].start, group[-1].end))
    return out


@lru_cache(maxsize=512)
def _best_expression(text: str, booking: bool) -> Optional[_Expr]:
    best: Optional[_Expr] = None
    for expr in _expressions(text):
        if booking and "now" in expr.fields:
            continue  # 现在/当前 name no appointment time (and 当前 is mostly "current ...")
        if not booking and "window" in expr.fields:
            continue  # 两周内, 这两天: a rule's limit or the recent past, not a time of their own
        if best is None or _specificity(expr.fields) > _specificity(best.fields):
            best = expr
    return best


# ============================================================================ calendar helpers


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    idx = y * 12 + (m - 1) + k
    return idx // 12, idx % 12 + 1


def _month_start(y: int, m: int) -> datetime:
    return datetime(y, m, 1)


def _month_end(y: int, m: int) -> datetime:
    ny, nm = _add_months(y, m, 1)
    return datetime(ny, nm, 1)


def _safe_date(y: int, m: int, d: int) -> Optional[date]:
    if not (1 <= m <= 12) or not (1 <= d <= calendar.monthrange(y, m)[1]) or not (1 <= y <= 9999):
        return None
    return date(y, m, d)


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _day_span(d: date) -> tuple[datetime, datetime, str]:
    start = datetime(d.year, d.month, d.day)
    return start, start + timedelta(days=1), "day"


def _nth_weekday(y: int, m: int, nth: int, wd: int) -> Optional[date]:
    days = [date(y, m, d) for d in range(1, calendar.monthrange(y, m)[1] + 1)
            if date(y, m, d).weekday() == wd]
    if nth == -1:
        return days[-1]
    return days[nth - 1] if 1 <= nth <= len(days) else None


def _qingming(y: int) -> date:
    # Solar-term approximation valid for 1900-2099 (寿星通式): day = Y*0.2422 + C - L.
    yy = y % 100
    c = 5.59 if y < 2000 else 4.81
    return date(y, 4, int(yy * 0.2422 + c) - yy // 4)


def _lunar_to_solar(y: int, m: int, d: int) -> Optional[date]:
    """Lunar y/m/d -> Gregorian date via jionlp's table (imported only for lunar festivals)."""
    try:
        from jionlp.gadget.lunar_solar_date import LunarSolarDate  # heavy; lazy on purpose
    except ImportError:  # pragma: no cover - jionlp is a declared dependency
        return None
    conv = LunarSolarDate()
    try:
        if (m, d) == (0, 0):  # 除夕: the eve of the next lunar new year
            return (conv.to_solar_date(y + 1, 1, 1) - timedelta(days=1)).date()
        return conv.to_solar_date(y, m, d).date()
    except (ValueError, IndexError):
        return None


def _holiday_date(kind: str, m: int, d: int, year: int) -> Optional[date]:
    if kind == "fixed":
        return _safe_date(year, m, d)
    if kind == "qingming":
        return _qingming(year)
    return _lunar_to_solar(year, m, d)


# ============================================================================ resolution

# A date candidate: (start, end, grain, rollable). Booking semantics may skip a past candidate
# and take the next one; general semantics always take the first.
_Cand = tuple[datetime, datetime, str]


def _date_candidates(f: dict, today: date, booking: bool) -> Optional[list[_Cand]]:
    """The date part of an expression, as candidate intervals; None when it names no date."""
    y0 = today.year
    year = f.get("year")
    if year is None and "year_rel" in f:
        year = y0 + f["year_rel"]

    if "offset" in f:
        sign, n, unit = f["offset"]
        if unit in ("day", "week"):
            days = n * (7 if unit == "week" else 1)
            return [_day_span(today + timedelta(days=int(round(sign * days))))]
        months = int(round(sign * n * (12 if unit == "year" else 1)))
        ny, nm = _add_months(y0, today.month, months)
        d = _safe_date(ny, nm, min(today.day, calendar.monthrange(ny, nm)[1]))
        return [_day_span(d)] if d else []

    if "holiday" in f:
        kind, hm, hd = f["holiday"]
        years = [year] if year is not None else [y0 - 1, y0, y0 + 1, y0 + 2]
        out = []
        for y in years:
            d = _holiday_date(kind, hm, hd, y)
            if d is not None and (year is not None or d >= today):
                out.append(_day_span(d))
        return out

    if "day_rel" in f:
        return [_day_span(today + timedelta(days=f["day_rel"]))]

    month = f.get("month")
    if "month_rel" in f:
        ry, month = _add_months(y0, today.month, f["month_rel"])
        year = year if year is not None else ry

    if "nth" in f:
        nth, wd = f["nth"]
        if month is None:
            month, year = today.month, year if year is not None else y0
        years = [year] if year is not None else [y0, y0 + 1]
        out = []
        for y in years:
            d = _nth_weekday(y, month, nth, wd)
            if d is not None and (year is not None or d >= today):
                out.append(_day_span(d))
        return out

    if "day" in f:
        day = f["day"]
        if month is not None:
            if year is not None:
                d = _safe_date(year, month, day)
                return [_day_span(d)] if d else []
            if "weekday" in f and f.get("week_rel") is None and not booking:
                # "周日, 二月十号": the weekday picks the year (nearest first).
                for y in (y0, y0 + 1, y0 - 1, y0 + 2, y0 - 2, y0 + 3, y0 - 3):
                    d = _safe_date(y, month, day)
                    if d is not None and d.weekday() == f["weekday"]:
                        return [_day_span(d)]
            # Month-day without a year: the next occurrence (this year, else next year).
            out = []
            for y in (y0, y0 + 1, y0 + 2, y0 + 3, y0 + 4):
                d = _safe_date(y, month, day)
                if d is not None and d >= today:
                    out.append(_day_span(d))
            return out
        # Day of month alone: this month if not past, else the following months.
        out = []
        for k in range(0, 13):
            ny, nm = _add_months(y0, today.month, k)
            d = _safe_date(ny, nm, day)
            if d is not None and d >= today:
                if "weekday" in f and d.weekday() != f["weekday"] and not booking:
                    continue
                out.append(_day_span(d))
        return out

    if month is not None:
        if year is not None:
            years = [year]
        else:
            years = [y0 if month >= today.month else y0 + 1]
            years.append(years[0] + 1)
        out = []
        for y in years:
            if "mperiod" in f:
                out.append(_month_period(y, month, f["mperiod"]))
            else:
                out.append((_month_start(y, month), _month_end(y, month), "month"))
        return out

    if "mperiod" in f:  # 月底 etc. with no month: this month, then the next ones
        out = []
        for k in range(0, 3):
            ny, nm = _add_months(y0, today.month, k)
            out.append(_month_period(ny, nm, f["mperiod"]))
        return out

    if "weekday" in f:
        wd, rel = f["weekday"], f.get("week_rel")
        if rel is None:
            # A bare weekday is the next one after today (Duckling; also the booking reading).
            ahead = (wd - today.weekday() - 1) % 7 + 1
            first = today + timedelta(days=ahead)
            return [_day_span(first + timedelta(days=7 * k)) for k in range(2)]
        d = _monday(today) + timedelta(days=7 * rel + wd)
        out = [_day_span(d)]
        if booking and rel == 0:
            # Many speakers say 这周一 for "the coming Monday"; booking rolls a past one forward.
            out.append(_day_span(d + timedelta(days=7)))
        return out

    if "weekend" in f:
        rel = f.get("week_rel") or 0
        # This weekend, then the next one for booking when this one is over.
        weeks = (0, 1) if rel == 0 else (0,)
        out = []
        for k in weeks:
            sat = _monday(today) + timedelta(days=7 * (rel + k) + 5)
            start = datetime(sat.year, sat.month, sat.day)
            if booking:
                out.append((start, start + timedelta(days=2), "day"))
            else:  # Duckling's weekend: Friday 18:00 to Monday 00:00
                out.append((start - timedelta(hours=6), start + timedelta(days=2), "hour"))
        return out

    if "week" in f:
        mon = _monday(today) + timedelta(days=7 * (f.get("week_rel") or 0))
        start = datetime(mon.year, mon.month, mon.day)
        return [(start, start + timedelta(days=7), "week")]

    if year is not None:
        if "yperiod" in f:
            first, last = _YEAR_PERIODS[f["yperiod"]]
            ey, em = _add_months(year, last, 1)
            return [(datetime(year, first, 1), datetime(ey, em, 1), "month")]
        return [(datetime(year, 1, 1), datetime(year + 1, 1, 1), "year")]

    if "yperiod" in f:
        first, last = _YEAR_PERIODS[f["yperiod"]]
        out = []
        for y in (y0, y0 + 1):
            ey, em = _add_months(y, last, 1)
            out.append((datetime(y, first, 1), datetime(ey, em, 1), "month"))
        return out
    return None


def _month_period(y: int, m: int, period: str) -> _Cand:
    last = calendar.monthrange(y, m)[1]
    if period in ("底", "末"):
        first_day, last_day = last - _MONTH_END_DAYS + 1, last
    else:
        first_day, end_day = _MONTH_PERIODS[period]
        last_day = last if end_day is None else end_day
    start = datetime(y, m, first_day)
    return start, datetime(y, m, last_day) + timedelta(days=1), "day"


def _hour_options(f: dict, booking: bool) -> list[int]:
    """Candidate 24h hours (may be >= 24 for after midnight), in order of preference."""
    h = f["hour"]
    part = f.get("part")
    ampm = f.get("ampm")
    if ampm == "p" or (part in ("pm", "dusk") and h != 12) or (part == "pm" and h == 12):
        return [h + 12 if h < 12 else h]
    if part in ("night", "late"):
        if 1 <= h <= 4:
            return [h + 24]  # 晚上一点 is after midnight
        return [h + 12 if h < 12 else 24]
    if part == "noon":
        return [h + 12 if 1 <= h <= 4 else h]
    if ampm == "a" or part in ("dawn", "early", "am"):
        return [0 if h == 12 and (ampm == "a" or part == "dawn") else h]
    if f.get("h24") or h == 0 or h > 12:
        return [h]
    if booking:
        # Appointments happen in the daytime: bare 1-6 点 is afternoon, 7-11 morning, 12 noon.
        return [h + 12 if 1 <= h <= 6 else h]
    # General: a bare 1-12 is either half of the day; the caller picks the next one.
    return [h, h + 12] if h < 12 else [12, 24]


def _with_time(f: dict, day: date, booking: bool) -> list[tuple[datetime, Optional[datetime], str]]:
    """Apply the clock or day part of an expression to a day; several readings when ambiguous."""
    base = datetime(day.year, day.month, day.day)
    if "hour" in f:
        grain = "minute" if f.get("minute_given") else "hour"
        return [(base + timedelta(hours=h, minutes=f.get("minute", 0)), None, grain)
                for h in _hour_options(f, booking)]
    table = BOOKING_DAY_PARTS if booking else GENERAL_DAY_PARTS
    lo, hi = table[f["part"]]
    return [(base + timedelta(hours=lo), base + timedelta(hours=hi), "hour")]


def _span_interval(direction: int, n: int, unit: str, now: datetime) -> tuple[datetime, datetime, str]:
    """上/下 N units: the N whole units before the current one, or after it (Duckling)."""
    if unit in ("second", "minute", "hour", "day"):
        step = {"second": timedelta(seconds=1), "minute": timedelta(minutes=1),
                "hour": timedelta(hours=1), "day": timedelta(days=1)}[unit]
        cur = {"second": now.replace(microsecond=0),
               "minute": now.replace(second=0, microsecond=0),
               "hour": now.replace(minute=0, second=0, microsecond=0),
               "day": now.replace(hour=0, minute=0, second=0, microsecond=0)}[unit]
        if direction > 0:
            return cur + step, cur + step * (n + 1), unit
        return cur - step * n, cur, unit
    if unit == "week":
        mon = _monday(now.date())
        cur = datetime(mon.year, mon.month, mon.day)
        if direction > 0:
            return cur + timedelta(days=7), cur + timedelta(days=7 * (n + 1)), unit
        return cur - timedelta(days=7 * n), cur, unit
    per = 12 if unit == "year" else 1
    y, m = now.year, (1 if unit == "year" else now.month)
    if direction > 0:
        a, b = _add_months(y, m, per), _add_months(y, m, per * (n + 1))
    else:
        a, b = _add_months(y, m, -per * n), (y, m)
    return datetime(a[0], a[1], 1), datetime(b[0], b[1], 1), unit


def _window_interval(n: int, unit: str, now: datetime) -> tuple[datetime, datetime, str]:
    """The next N days, weeks, months or years counted from today: [today, today + N)."""
    today = datetime(now.year, now.month, now.day)
    if unit in ("day", "week"):
        return today, today + timedelta(days=n * (7 if unit == "week" else 1)), unit
    y, m = _add_months(now.year, now.month, n * (12 if unit == "year" else 1))
    end = _safe_date(y, m, now.day) or (_month_end(y, m) - timedelta(days=1)).date()
    return today, datetime(end.year, end.month, end.day), unit


def _resolve(f: dict, now: datetime, booking: bool) -> Optional[tuple[datetime, Optional[datetime], str]]:
    """Resolve merged fields against a naive wall-clock `now`."""
    if "now" in f:
        return now.replace(microsecond=0), None, "second"
    if "span" in f:
        return _span_interval(*f["span"], now)
    if "window" in f:
        return _window_interval(*f["window"], now)
    if "offset" in f and f["offset"][2] in ("second", "minute", "hour"):
        sign, n, unit = f["offset"]
        seconds = {"second": 1, "minute": 60, "hour": 3600}[unit] * n * sign
        t = now + timedelta(seconds=seconds)
        if unit == "second":
            return t.replace(microsecond=0), None, "second"
        return t.replace(second=0, microsecond=0), None, "minute"

    today = now.date()
    cands = _date_candidates(f, today, booking)
    timed = "hour" in f or "part" in f
    if cands is None:
        if not timed:
            return None
        # A time of day with no day: the next time it happens (today, else tomorrow).
        for day in (today, today + timedelta(days=1)):
            for reading in _with_time(f, day, booking):
                if not _is_past(reading, now):
                    return reading
        return None
    if not cands:
        return None

    results = []
    for start, end, grain in cands:
        if timed:
            # A weekend's times of day are Saturday's; otherwise the interval's first day.
            day = (start + timedelta(hours=6)).date() if "weekend" in f and not booking else start.date()
            readings = _with_time(f, day, booking)
            # Ambiguous 1-12 with a day given: general semantics take the morning reading.
            results.append(readings[0])
        elif booking or not _is_whole_unit(start, end, grain):
            results.append((start, end, grain))
        else:
            # One whole day/week/month/year: an instant at that grain in general semantics.
            results.append((start, None, grain))
    if not booking:
        return results[0]
    for res in results:
        if not _is_past(res, now):
            return res
    return None


def _is_whole_unit(start: datetime, end: datetime, grain: str) -> bool:
    if grain == "day":
        return end - start == timedelta(days=1)
    if grain == "week":
        return end - start == timedelta(days=7)
    if grain == "month":
        return _month_end(start.year, start.month) == end
    if grain == "year":
        return end == datetime(start.year + 1, 1, 1)
    return False


def _is_past(res: tuple[datetime, Optional[datetime], str], now: datetime) -> bool:
    start, end, _grain = res
    return end <= now if end is not None else start < now.replace(second=0, microsecond=0)


_Res = tuple[datetime, Optional[datetime], str]


def _unit_end(start: datetime, grain: str) -> datetime:
    """Exclusive end of the grain unit that starts at `start` (an instant for hour/minute)."""
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    if grain == "month":
        return _month_end(start.year, start.month)
    if grain == "year":
        return datetime(start.year + 1, 1, 1)
    return start


def _resolve_expr(expr: _Expr, now: datetime, booking: bool) -> Optional[_Res]:
    """Resolve an expression, a range "A到B" as [start of A, end of B)."""
    first = _resolve(expr.fields, now, booking)
    if first is None or expr.until is None:
        return first
    a_start = first[0]
    far_fields = expr.until
    if not _slots(far_fields) & _DATE_SLOTS and ("hour" in far_fields or "part" in far_fields):
        # A bare far end is a time on the near end's day, or the next day past midnight.
        day = a_start.date()
        readings = _with_time(far_fields, day, booking) + _with_time(far_fields, day + timedelta(days=1), booking)
        far = next((r for r in readings if (r[1] or r[0]) > a_start), None)
    else:
        far = _resolve(far_fields, now, booking)
    if far is None:
        return first
    far_end = far[1] if far[1] is not None else _unit_end(far[0], far[2])
    if far_end <= a_start and _slots(far_fields) & _DATE_SLOTS:
        # "周一到周三": a bare far end is the next occurrence counted from the near end.
        far = _resolve(far_fields, a_start - timedelta(days=1), booking)
        if far is not None:
            far_end = far[1] if far[1] is not None else _unit_end(far[0], far[2])
    if far is None or far_end <= a_start:
        return first
    return a_start, far_end, first[2]


def _localize(res: _Res, zone, out_tz) -> _Res:
    """Attach the zone the expression was resolved in, then express it in `now`'s zone."""
    start, end, grain = res
    if zone is None:
        return start, end, grain
    start = start.replace(tzinfo=zone)
    end = end.replace(tzinfo=zone) if end is not None else None
    if out_tz is not None and zone is not out_tz:
        start = start.astimezone(out_tz)
        end = end.astimezone(out_tz) if end is not None else None
    return start, end, grain


def _zone_now(expr: _Expr, now: datetime) -> tuple[datetime, Any]:
    """`now` on the wall clock of the zone the expression names (4pm CET), else of now's own zone."""
    if "tz" in expr.fields and now.tzinfo is not None:
        zone = timezone(timedelta(hours=expr.fields["tz"]))
        return now.astimezone(zone).replace(tzinfo=None), zone
    return now.replace(tzinfo=None), now.tzinfo


# ============================================================================ public API


def find_time(text: str, now: datetime) -> Optional[TimeValue]:
    """The most specific time expression in `text` (first on ties), with general (Duckling-like)
    semantics: bare weekdays/dates are the next occurrence, bare clock times the next time they
    happen, explicit days ("今天三点") are taken literally even when past."""
    if not text:
        return None
    expr = _best_expression(text, False)
    if expr is None:
        return None
    wall_now, zone = _zone_now(expr, now)
    res = _resolve_expr(expr, wall_now, booking=False)
    if res is None:
        return None
    start, end, grain = _localize(res, zone, now.tzinfo)
    return TimeValue(start, end, grain, text[expr.start:expr.end])


def resolve_booking_time(text: str, now: datetime) -> Optional[TimeValue]:
    """The time a member asks to book, never in the past.

    - A bare weekday/date/day-of-month/month/holiday that has passed rolls to its next occurrence;
      a time of day with no day given that has passed today means tomorrow; 这周X that has
      passed means next week's X.
    - Bare 1-6 点 is afternoon (三点 -> 15:00), 7-11 点 morning, 12 点 noon; 上午/早上/凌晨 etc. win.
    - Day parts are intervals (BOOKING_DAY_PARTS); days, weeks, months and weekends (Sat+Sun) are
      intervals too, their start moved up to `now` (next whole minute) when they have begun.
    - An explicitly anchored time that is already over (昨天, 今天上午九点 at 10:00, 上周) gives None.
    """
    if not text:
        return None
    expr = _best_expression(text, True)
    if expr is None:
        return None
    wall_now, zone = _zone_now(expr, now)
    res = _resolve_expr(expr, wall_now, booking=True)
    if res is None or _is_past(res, wall_now):
        return None
    start, end, grain = res
    if end is not None and start < wall_now:
        # Already begun: the bookable part starts at the next whole minute.
        ceil = wall_now.replace(second=0, microsecond=0)
        if ceil < wall_now:
            ceil += timedelta(minutes=1)
        res = (ceil, end, grain)
    start, end, grain = _localize(res, zone, now.tzinfo)
    return TimeValue(start, end, grain, text[expr.start:expr.end])


def parse(text: str, now: datetime):
    """Adapter for the corpus scorer: a datetime, a (start, end) pair, or None."""
    value = find_time(text, now)
    if value is None:
        return None
    if value.end is not None:
        return value.start, value.end
    return value.start


__all__ = ["TimeValue", "find_time", "resolve_booking_time", "parse", "cn_to_int",
           "GENERAL_DAY_PARTS", "BOOKING_DAY_PARTS"]
