"""Table tests for bot.timeparse: booking semantics, general semantics and the Duckling corpus score."""
from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

import pytest

from bot.timeparse import TimeValue, cn_to_int, find_time, parse, resolve_booking_time
from tests.conftest import SHARED_DIR

SH = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = SHARED_DIR / "time_corpus"

MON_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)      # Monday morning
MON_2330 = datetime(2026, 11, 23, 23, 30, tzinfo=SH)   # late Monday evening
SUN_2130 = datetime(2026, 11, 29, 21, 30, tzinfo=SH)   # Sunday night
NOV_30 = datetime(2026, 11, 30, 10, 0, tzinfo=SH)      # last day of the month (a Monday)
DEC_20 = datetime(2026, 12, 20, 10, 0, tzinfo=SH)      # December Sunday


def show(value: Optional[TimeValue]) -> Optional[str]:
    """Compact wall-clock form: 'YYYY-MM-DD HH:MM[ .. YYYY-MM-DD HH:MM] grain'."""
    if value is None:
        return None
    out = value.start.strftime("%Y-%m-%d %H:%M")
    if value.end is not None:
        out += " .. " + value.end.strftime("%Y-%m-%d %H:%M")
    return f"{out} {value.grain}"


# ----------------------------------------------------------------------------- booking

BOOKING_CASES = [
    # (now, text, expected) -- Monday 2026-11-23 10:00
    (MON_10, "明天下午三点", "2026-11-24 15:00 hour"),
    (MON_10, "下周一上午", "2026-11-30 08:00 .. 2026-11-30 12:00 hour"),
    (MON_10, "后天", "2026-11-25 00:00 .. 2026-11-26 00:00 day"),
    (MON_10, "12月5号", "2026-12-05 00:00 .. 2026-12-06 00:00 day"),
    (MON_10, "下个月3号", "2026-12-03 00:00 .. 2026-12-04 00:00 day"),
    (MON_10, "周五下午", "2026-11-27 13:00 .. 2026-11-27 18:00 hour"),
    (MON_10, "明早九点", "2026-11-24 09:00 hour"),
    (MON_10, "三点", "2026-11-23 15:00 hour"),
    (MON_10, "月底", "2026-11-26 00:00 .. 2026-12-01 00:00 day"),
    (MON_10, "下周三上午九点半", "2026-12-02 09:30 minute"),
    (MON_10, "今晚8点", "2026-11-23 20:00 hour"),
    (MON_10, "大后天", "2026-11-26 00:00 .. 2026-11-27 00:00 day"),
    (MON_10, "这周末", "2026-11-28 00:00 .. 2026-11-30 00:00 day"),
    (MON_10, "十二月五号", "2026-12-05 00:00 .. 2026-12-06 00:00 day"),
    (MON_10, "2027年1月4日", "2027-01-04 00:00 .. 2027-01-05 00:00 day"),
    (MON_10, "1/5", "2027-01-05 00:00 .. 2027-01-06 00:00 day"),
    (MON_10, "星期天上午10:30", "2026-11-29 10:30 minute"),
    (MON_10, "周五", "2026-11-27 00:00 .. 2026-11-28 00:00 day"),
    (MON_10, "周一", "2026-11-30 00:00 .. 2026-12-01 00:00 day"),  # bare weekday = next one
    (MON_10, "下下周一", "2026-12-07 00:00 .. 2026-12-08 00:00 day"),
    (MON_10, "这个周六上午", "2026-11-28 08:00 .. 2026-11-28 12:00 hour"),
    (MON_10, "今天", "2026-11-23 10:00 .. 2026-11-24 00:00 day"),
    (MON_10, "今天下午", "2026-11-23 13:00 .. 2026-11-23 18:00 hour"),
    (MON_10, "这周一", "2026-11-23 10:00 .. 2026-11-24 00:00 day"),
    (MON_10, "九点", "2026-11-24 09:00 hour"),            # 09:00 today has passed
    (MON_10, "上午九点", "2026-11-24 09:00 hour"),
    (MON_10, "十一点", "2026-11-23 11:00 hour"),          # bare 7-11 is morning
    (MON_10, "十二点", "2026-11-23 12:00 hour"),
    (MON_10, "6点", "2026-11-23 18:00 hour"),             # bare 1-6 is afternoon
    (MON_10, "凌晨三点", "2026-11-24 03:00 hour"),
    (MON_10, "早上8点", "2026-11-24 08:00 hour"),
    (MON_10, "晚上7点半", "2026-11-23 19:30 minute"),
    (MON_10, "中午", "2026-11-23 11:00 .. 2026-11-23 13:00 hour"),
    (MON_10, "早上", "2026-11-24 07:00 .. 2026-11-24 10:00 hour"),
    (MON_10, "下午三点一刻", "2026-11-23 15:15 minute"),
    (MON_10, "下午3点45分", "2026-11-23 15:45 minute"),
    (MON_10, "两点零五", "2026-11-23 14:05 minute"),
    (MON_10, "一点可以吗", "2026-11-23 13:00 hour"),
    (MON_10, "三天后下午两点", "2026-11-26 14:00 hour"),
    (MON_10, "下午三点到五点", "2026-11-23 15:00 .. 2026-11-23 17:00 hour"),
    (MON_10, "周一到周三", "2026-11-30 00:00 .. 2026-12-03 00:00 day"),
    (MON_10, "下周", "2026-11-30 00:00 .. 2026-12-07 00:00 week"),
    (MON_10, "下个月", "2026-12-01 00:00 .. 2027-01-01 00:00 month"),
    (MON_10, "十月第一个星期一", "2027-10-04 00:00 .. 2027-10-05 00:00 day"),
    (MON_10, "国庆节", "2027-10-01 00:00 .. 2027-10-02 00:00 day"),
    (MON_10, "元旦", "2027-01-01 00:00 .. 2027-01-02 00:00 day"),
    # inside sentences, typos, English and traditional characters
    (MON_10, "帮我约明天下午三点瑞金的皮肤科", "2026-11-24 15:00 hour"),
    (MON_10, "下礼拜二上午可以吗", "2026-12-01 08:00 .. 2026-12-01 12:00 hour"),
    (MON_10, "明天下午3点可以吗", "2026-11-24 15:00 hour"),
    (MON_10, "下周一am", "2026-11-30 08:00 .. 2026-11-30 12:00 hour"),
    (MON_10, "周三 3pm 行吗", "2026-11-25 15:00 hour"),
    (MON_10, "明天 下午 3:30", "2026-11-24 15:30 minute"),
    (MON_10, "下周1下午", "2026-11-30 13:00 .. 2026-11-30 18:00 hour"),
    (MON_10, "明天下午三點", "2026-11-24 15:00 hour"),
    (MON_10, "12月5号（周六）下午2点半可以吗", "2026-12-05 14:30 minute"),
    (MON_10, "我下周一不行，周二下午三点可以", "2026-11-24 15:00 hour"),  # the most specific one
    # a rolling window from now: the next N days, weeks or months
    (MON_10, "未来两周", "2026-11-23 10:00 .. 2026-12-07 00:00 week"),
    (MON_10, "接下来三天有号吗", "2026-11-23 10:00 .. 2026-11-26 00:00 day"),
    (MON_10, "这两周能约上吗", "2026-11-23 10:00 .. 2026-12-07 00:00 week"),
    (MON_10, "最近两周哪天都行", "2026-11-23 10:00 .. 2026-12-07 00:00 week"),
    (MON_10, "这两天", "2026-11-23 10:00 .. 2026-11-25 00:00 day"),
    (MON_10, "一周内有没有号", "2026-11-23 10:00 .. 2026-11-30 00:00 week"),
    (MON_10, "两周之内的消化科", "2026-11-23 10:00 .. 2026-12-07 00:00 week"),
    (MON_10, "一个月内", "2026-11-23 10:00 .. 2026-12-23 00:00 month"),
    (MON_10, "下两周", "2026-11-30 00:00 .. 2026-12-14 00:00 week"),  # Duckling: whole weeks
    (MON_10, "24小时内能改吗", None),   # the handbook's limit, not a time
    (MON_10, "今天上午九点", None),   # explicit day, already over
    (MON_10, "昨天", None),
    (MON_10, "上周二", None),
    (MON_10, "现在", None),           # no appointment time
    # December: dates roll into next year
    (DEC_20, "1月5号", "2027-01-05 00:00 .. 2027-01-06 00:00 day"),
    (DEC_20, "12月5号", "2027-12-05 00:00 .. 2027-12-06 00:00 day"),
    (DEC_20, "月底", "2026-12-27 00:00 .. 2027-01-01 00:00 day"),
    (DEC_20, "下个月3号", "2027-01-03 00:00 .. 2027-01-04 00:00 day"),
    (DEC_20, "周五", "2026-12-25 00:00 .. 2026-12-26 00:00 day"),
    (DEC_20, "这周末", "2026-12-20 10:00 .. 2026-12-21 00:00 day"),
    (DEC_20, "十二月", "2026-12-20 10:00 .. 2027-01-01 00:00 month"),
    # month end
    (NOV_30, "月底", "2026-11-30 10:00 .. 2026-12-01 00:00 day"),
    (NOV_30, "3号", "2026-12-03 00:00 .. 2026-12-04 00:00 day"),
    (NOV_30, "31号", "2026-12-31 00:00 .. 2027-01-01 00:00 day"),
    (NOV_30, "月初", "2026-12-01 00:00 .. 2026-12-11 00:00 day"),
    (NOV_30, "下个月3号", "2026-12-03 00:00 .. 2026-12-04 00:00 day"),
    # Sunday night
    (SUN_2130, "周一", "2026-11-30 00:00 .. 2026-12-01 00:00 day"),
    (SUN_2130, "这周末", "2026-11-29 21:30 .. 2026-11-30 00:00 day"),
    (SUN_2130, "下周", "2026-11-30 00:00 .. 2026-12-07 00:00 week"),
    (SUN_2130, "明早九点", "2026-11-30 09:00 hour"),
    (SUN_2130, "今晚", "2026-11-29 21:30 .. 2026-11-29 22:00 hour"),
    (SUN_2130, "三点", "2026-11-30 15:00 hour"),
    (SUN_2130, "今天下午", None),
    # 23:30, late today
    (MON_2330, "今晚", None),
    (MON_2330, "三点", "2026-11-24 15:00 hour"),
    (MON_2330, "今天", "2026-11-23 23:30 .. 2026-11-24 00:00 day"),
    (MON_2330, "明天", "2026-11-24 00:00 .. 2026-11-25 00:00 day"),
    (MON_2330, "十二点", "2026-11-24 12:00 hour"),
    (MON_2330, "周二上午", "2026-11-24 08:00 .. 2026-11-24 12:00 hour"),  # tomorrow
]


@pytest.mark.parametrize("now,text,expected", BOOKING_CASES, ids=[f"{c[1]}@{c[0]:%m%d%H%M}" for c in BOOKING_CASES])
def test_resolve_booking_time(now: datetime, text: str, expected: Optional[str]) -> None:
    assert show(resolve_booking_time(text, now)) == expected


@pytest.mark.parametrize("text,span", [
    ("帮我约明天下午三点瑞金的皮肤科", "明天下午三点"),
    ("下礼拜二上午可以吗", "下礼拜二上午"),
    ("12月5号（周六）下午2点半可以吗", "12月5号（周六）下午2点半"),
    ("那就下午三点到五点之间吧", "下午三点到五点"),
    ("明天下午三點", "明天下午三點"),
])
def test_text_is_the_original_substring(text: str, span: str) -> None:
    value = resolve_booking_time(text, MON_10)
    assert value is not None and value.text == span and span in text


# ----------------------------------------------------------------------------- general

GENERAL_CASES = [
    (MON_10, "三点", "2026-11-23 15:00 hour"),          # next 3 o'clock
    (MON_10, "九点", "2026-11-23 21:00 hour"),          # next 9 o'clock (Duckling), not 09:00
    (MON_10, "明天三点", "2026-11-24 03:00 hour"),      # a given day takes the morning reading
    (MON_10, "这周一", "2026-11-23 00:00 day"),         # mainland: this week's Monday
    (MON_10, "下周三", "2026-12-02 00:00 day"),         # mainland: next week's Wednesday
    (MON_10, "上周二", "2026-11-17 00:00 day"),
    (MON_10, "今天上午九点", "2026-11-23 09:00 hour"),  # taken literally, even though past
    (MON_10, "周五下午", "2026-11-27 12:00 .. 2026-11-27 19:00 hour"),
    (MON_10, "这周末", "2026-11-27 18:00 .. 2026-11-30 00:00 hour"),
    (MON_10, "周一早上", "2026-11-30 04:00 .. 2026-11-30 12:00 hour"),
    (MON_10, "两小时后", "2026-11-23 12:00 minute"),
    (MON_10, "三天后", "2026-11-26 00:00 day"),
    (MON_10, "下三天", "2026-11-24 00:00 .. 2026-11-27 00:00 day"),
    (MON_10, "上两周", "2026-11-09 00:00 .. 2026-11-23 00:00 week"),
    (MON_10, "现在", "2026-11-23 10:00 second"),
    (MON_10, "这周", "2026-11-23 00:00 week"),
    (MON_10, "今年", "2026-01-01 00:00 year"),
    (MON_10, "明年九月", "2027-09-01 00:00 month"),
    (MON_10, "2015-03-03", "2015-03-03 00:00 day"),
    (MON_10, "二零一五年三月三号", "2015-03-03 00:00 day"),
    (MON_10, "周日, 11月22号", "2026-11-22 00:00 day"),  # the weekday pins the year
    (MON_10, "4pm CET", "2026-11-23 23:00 hour"),       # 16:00 CET = 23:00 in Shanghai
    (MON_10, "春节", "2027-02-06 00:00 day"),           # lunar new year 2027
    (MON_10, "中秋节", "2027-09-15 00:00 day"),
    (MON_10, "清明", "2027-04-05 00:00 day"),
    (MON_10, "下个月廿號", "2026-12-20 00:00 day"),
    (MON_10, "这两天头疼 昨天吃了药", "2026-11-22 00:00 day"),  # 这两天 is the past here
]


@pytest.mark.parametrize("now,text,expected", GENERAL_CASES, ids=[c[1] for c in GENERAL_CASES])
def test_find_time(now: datetime, text: str, expected: Optional[str]) -> None:
    assert show(find_time(text, now)) == expected


NEGATIVES = [
    "我想约皮肤科", "PD-1要预授权吗", "13812345678", "8000块", "1.2万", "两万五", "2个工作日",
    "50mg", "第3次", "能早一点吗", "晚一点可以吗", "便宜一点", "3号楼", "每周一次", "一周一次",
    "我35岁", "保单号P20231234", "", "你好", "48小时内要报案吗", "三天内科",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_no_time(text: str) -> None:
    assert find_time(text, MON_10) is None
    assert resolve_booking_time(text, MON_10) is None


# ----------------------------------------------------------------------------- values


def test_results_are_aware_in_the_zone_of_now() -> None:
    value = resolve_booking_time("明天下午三点", MON_10)
    assert value is not None and value.start.tzinfo is SH
    assert value.start.utcoffset() == timedelta(hours=8)
    utc_now = MON_10.astimezone(ZoneInfo("UTC"))
    in_utc = find_time("明天下午三点", utc_now)  # same instant, but wall-clock time of UTC
    assert in_utc is not None and in_utc.start.tzinfo is utc_now.tzinfo


def test_to_dict_round_trip() -> None:
    value = resolve_booking_time("周五下午", MON_10)
    assert value is not None
    data = value.to_dict()
    assert data == {"start": "2026-11-27T13:00:00+08:00", "end": "2026-11-27T18:00:00+08:00",
                    "grain": "hour", "text": "周五下午"}
    back = TimeValue.from_dict(data)
    assert back.start == value.start and back.end == value.end and back.grain == "hour"
    instant = resolve_booking_time("明天下午三点", MON_10)
    assert instant is not None and instant.to_dict()["end"] is None
    assert TimeValue.from_dict(instant.to_dict()).end is None


def test_parse_adapter_shapes() -> None:
    assert parse("明天", MON_10) == datetime(2026, 11, 24, tzinfo=SH)
    assert parse("周五下午", MON_10) == (datetime(2026, 11, 27, 12, tzinfo=SH), datetime(2026, 11, 27, 19, tzinfo=SH))
    assert parse("我想约皮肤科", MON_10) is None


@pytest.mark.parametrize("text,value", [
    ("十五", 15), ("二十一", 21), ("廿三", 23), ("卅一", 31), ("两", 2), ("二零一五", 2015),
    ("一百零五", 105), ("十", 10), ("12", 12), ("一万", 10000),
])
def test_cn_to_int(text: str, value: int) -> None:
    assert cn_to_int(text) == value


# ----------------------------------------------------------------------------- corpus


def test_duckling_corpus_mainland_booking_accuracy() -> None:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"{CORPUS_DIR} is absent: the shared Duckling time corpus is not on this machine")
    proc = subprocess.run(
        [sys.executable, str(CORPUS_DIR / "time_eval.py"), "--parser", "bot.timeparse:parse", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    match = re.search(r"mainland_booking_acc=([0-9.]+)", proc.stdout)
    assert match, proc.stdout
    assert float(match.group(1)) >= 0.95, proc.stdout
