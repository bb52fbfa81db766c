"""The reference timetable: which departments each network hospital runs, when their
特需 clinics sit, and the doctors who see members. Pure and deterministic (a hash of
the catalog ids, never a random generator), so every database seeded from the same
catalog holds the same schedule.

Decisions (docs/backends.md, "Schedules"):
- Clinics sit Monday-Friday 08:00-12:00 and 13:30-17:00 and Saturday 08:00-12:00;
  on Sunday only 儿科, 急诊科 and 感染科 (fever clinics) sit, in the morning; the
  health-check centre sits mornings only, Monday to Saturday.
- No clinic sits on a statutory holiday (a day off with a holiday name, including the
  weekend days inside a holiday block). A 调休 weekend working day runs the Friday
  timetable.
- The department's general 特需 clinic (no named doctor) takes 2 members per half hour,
  a named doctor 1. Doctors: 1-3 per department and hospital; about one in five is a
  popular expert (热门专家, 主任医师) who sits one half-day a week, the others two or three.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

from bot.catalog import Catalog, Hospital
from bot.clock import SHANGHAI, WorkingCalendar

HALF_DAYS: dict[str, Tuple[time, time]] = {
    "am": (time(8, 0), time(12, 0)),
    "pm": (time(13, 30), time(17, 0)),
}
SLOT_LENGTH = timedelta(minutes=30)
GENERAL_CLINIC_CAPACITY = 2
DOCTOR_CAPACITY = 1
# The ISO weekday whose timetable a 调休 weekend working day follows.
ADJUSTED_WORKING_DAY_TIMETABLE = 5

WEEKDAY_PATTERN = tuple(f"{d}{h}" for d in range(1, 6) for h in ("am", "pm")) + ("6am",)
SUNDAY_OPEN_PATTERN = WEEKDAY_PATTERN + ("7am",)
MORNINGS_PATTERN = tuple(f"{d}am" for d in range(1, 7))
SUNDAY_OPEN_DEPARTMENTS = frozenset({"pediatrics", "emergency", "infectious"})
MORNINGS_ONLY_DEPARTMENTS = frozenset({"health_check"})

# ---------------------------------------------------------------- who offers what

# Specialist hospitals, recognised by their names; general hospitals run the rest.
_KIND_KEYWORDS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("cancer", ("肿瘤",)),
    ("women_children", ("妇女儿童",)),
    ("children", ("儿童", "儿科医院")),
    ("women", ("妇产", "妇婴", "妇幼")),
    ("dental", ("口腔",)),
    ("eye_ent", ("眼耳鼻喉",)),
    ("eye", ("眼科",)),
    ("chest", ("胸科", "肺科")),
    ("tcm", ("中医",)),
)
# Specialist hospitals whose names do not say so.
_KIND_OVERRIDES = {"wch_second": "women_children", "fuwai": "heart"}

_CHILDREN = (
    "pediatrics", "pediatric_surgery", "dermatology", "ophthalmology", "ent", "stomatology",
    "allergy", "psychiatry", "rehabilitation", "nutrition", "emergency", "radiology",
    "health_check",
)
_WOMEN = (
    "gynecology", "obstetrics", "obgyn", "reproductive", "breast_surgery", "nutrition",
    "radiology", "health_check",
)
KIND_DEPARTMENTS: dict[str, Tuple[str, ...]] = {
    "children": _CHILDREN,
    "women": _WOMEN,
    "women_children": _WOMEN + tuple(d for d in _CHILDREN if d not in _WOMEN),
    "cancer": (
        "oncology", "radiology", "breast_surgery", "thyroid_surgery", "thoracic_surgery",
        "gi_surgery", "hepatobiliary_surgery", "gynecology", "hematology", "urology",
        "general_surgery", "gastroenterology", "respiratory", "ent", "pain", "nutrition",
        "tcm", "health_check",
    ),
    "dental": ("stomatology", "radiology"),
    "eye": ("ophthalmology",),
    "eye_ent": ("ophthalmology", "ent"),
    "chest": (
        "respiratory", "thoracic_surgery", "oncology", "cardiology", "cardiac_surgery",
        "radiology", "infectious", "health_check",
    ),
    "heart": (
        "cardiology", "cardiac_surgery", "vascular_surgery", "radiology", "health_check",
    ),
    "tcm": (
        "tcm", "internal_medicine", "gastroenterology", "respiratory", "cardiology",
        "dermatology", "orthopedics", "rehabilitation", "gynecology", "oncology",
        "rheumatology", "pain", "pediatrics", "anorectal", "nutrition", "health_check",
        "emergency",
    ),
}
# A general hospital runs every department except a hash-chosen part of these.
_OPTIONAL_GENERAL = frozenset({
    "andrology", "reproductive", "sports_medicine", "allergy", "pain", "plastic_surgery",
    "anorectal", "pediatric_surgery", "nutrition", "geriatrics", "vascular_surgery",
    "obstetrics", "obgyn", "infectious", "pediatrics", "general_practice", "thyroid_surgery",
    "breast_surgery",
})
_OPTIONAL_KEEP_PERCENT = 60

# ------------------------------------------------------------------------ doctors

# The surnames members will most often say first (张主任, 李医生 ...), then others.
COMMON_SURNAMES = (
    "张", "李", "王", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "林",
)
OTHER_SURNAMES = (
    "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖",
    "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任",
    "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "方", "邹", "孟", "熊", "秦", "邱", "江", "薛", "段", "雷", "侯", "龙", "陶", "贺", "顾",
    "欧阳", "司马", "上官",
)
GIVEN_NAMES = (
    "伟", "芳", "娜", "强", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "建华", "志强", "晓东", "海燕", "文", "斌", "宁", "欣", "颖", "晨", "浩",
    "凯", "琳", "雪", "慧", "倩", "鹏", "宇", "峰", "俊", "红", "玲", "萍", "燕", "辉",
    "波", "亮", "云", "青", "立新", "卫东", "国强", "建国", "春梅", "振华", "永刚", "嘉怡",
    "思远", "一鸣", "若楠", "子谦", "慕白", "书瑶", "景行",
)
TITLES = ("主任医师", "副主任医师", "主治医师")
POPULAR_PERCENT = 20


@dataclass(frozen=True)
class DoctorSpec:
    hospital_id: str
    department_id: str
    name: str
    title: str
    popular: bool
    weekly_pattern: Tuple[str, ...]


@dataclass(frozen=True)
class Session:
    """One bookable half hour of a clinic (doctor_id None: the general 特需 clinic)."""

    start: datetime
    end: datetime
    doctor_id: Optional[int]
    capacity: int


def _hash(*parts: str) -> int:
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()
    return int(digest[:12], 16)


def hospital_kind(hospital: Hospital) -> str:
    if hospital.id in _KIND_OVERRIDES:
        return _KIND_OVERRIDES[hospital.id]
    text = hospital.name + hospital.full_name
    for kind, keywords in _KIND_KEYWORDS:
        if any(word in text for word in keywords):
            return kind
    return "general"


def offered_departments(hospital: Hospital, catalog: Catalog) -> List[str]:
    """The department ids a hospital's 特需 unit runs, in catalog order."""
    kind = hospital_kind(hospital)
    if kind != "general":
        wanted = set(KIND_DEPARTMENTS[kind])
        return [d.id for d in catalog.departments if d.id in wanted]
    return [
        d.id for d in catalog.departments
        if d.id not in _OPTIONAL_GENERAL
        or _hash(hospital.id, d.id, "offered") % 100 < _OPTIONAL_KEEP_PERCENT
    ]


def department_pattern(department_id: str) -> Tuple[str, ...]:
    """The half-days ("1am" = Monday morning ... "7am") a department's clinic sits."""
    if department_id in SUNDAY_OPEN_DEPARTMENTS:
        return SUNDAY_OPEN_PATTERN
    if department_id in MORNINGS_ONLY_DEPARTMENTS:
        return MORNINGS_PATTERN
    return WEEKDAY_PATTERN


def pattern_weekdays(pattern: Iterable[str]) -> List[int]:
    """ISO weekdays (1 = Monday) on which a pattern has a clinic."""
    return sorted({int(code[0]) for code in pattern})


def _pick(options: Sequence[str], count: int, *seed: str) -> List[str]:
    """`count` distinct options, chosen by hash, in a stable order."""
    ranked = sorted(options, key=lambda option: _hash(*seed, option))
    return ranked[:count]


def doctors_for(hospital_id: str, department_id: str) -> List[DoctorSpec]:
    """The 1-3 doctors of a department at a hospital, with distinct surnames so that
    "张主任" names one doctor there."""
    count = 1 + _hash(hospital_id, department_id, "count") % 3
    clinic = [code for code in department_pattern(department_id) if not code.startswith("7")]
    doctors: List[DoctorSpec] = []
    used_surnames: set[str] = set()
    for index in range(count):
        seed = (hospital_id, department_id, str(index))
        pool = COMMON_SURNAMES if index == 0 else COMMON_SURNAMES + OTHER_SURNAMES
        surname = next(
            s for s in sorted(pool, key=lambda s: _hash(*seed, "surname", s))
            if s not in used_surnames
        )
        used_surnames.add(surname)
        given = GIVEN_NAMES[_hash(*seed, "given") % len(GIVEN_NAMES)]
        popular = _hash(*seed, "popular") % 100 < POPULAR_PERCENT
        title = TITLES[0] if popular else TITLES[_hash(*seed, "title") % len(TITLES)]
        half_days = 1 if popular else 2 + _hash(*seed, "sessions") % 2
        pattern = tuple(sorted(_pick(clinic, half_days, *seed, "pattern")))
        doctors.append(
            DoctorSpec(hospital_id, department_id, surname + given, title, popular, pattern)
        )
    return doctors


# ----------------------------------------------------------------------- the days


def timetable_weekday(day: date, calendar: WorkingCalendar) -> Optional[int]:
    """The ISO weekday whose timetable runs on `day`; None on a statutory holiday."""
    working = calendar.is_working_day(day)
    if not working and calendar.holiday_name(day) is not None:
        return None
    if working and day.isoweekday() >= 6:
        return ADJUSTED_WORKING_DAY_TIMETABLE
    return day.isoweekday()


def half_days_on(pattern: Iterable[str], day: date, calendar: WorkingCalendar) -> List[str]:
    """The half-days ("am", "pm") a pattern sits on a given date."""
    weekday = timetable_weekday(day, calendar)
    if weekday is None:
        return []
    codes = set(pattern)
    return [half for half in HALF_DAYS if f"{weekday}{half}" in codes]


def half_day_sessions(
    day: date, half: str, doctor_id: Optional[int], capacity: int
) -> Iterator[Session]:
    opens, closes = HALF_DAYS[half]
    start = datetime.combine(day, opens, tzinfo=SHANGHAI)
    end_of_clinic = datetime.combine(day, closes, tzinfo=SHANGHAI)
    while start + SLOT_LENGTH <= end_of_clinic:
        yield Session(start, start + SLOT_LENGTH, doctor_id, capacity)
        start += SLOT_LENGTH


def day_sessions(
    day: date,
    calendar: WorkingCalendar,
    department_pattern: Optional[Iterable[str]],
    doctors: Iterable[Tuple[int, Iterable[str]]],
) -> List[Session]:
    """Every session on `day`: the general clinic's (when `department_pattern` is given)
    and each (doctor id, pattern)'s, ordered by start, general clinic first."""
    sessions: List[Session] = []
    if department_pattern is not None:
        for half in half_days_on(department_pattern, day, calendar):
            sessions += half_day_sessions(day, half, None, GENERAL_CLINIC_CAPACITY)
    for doctor_id, pattern in doctors:
        for half in half_days_on(pattern, day, calendar):
            sessions += half_day_sessions(day, half, doctor_id, DOCTOR_CAPACITY)
    sessions.sort(key=lambda s: (s.start, s.doctor_id is not None, s.doctor_id or 0))
    return sessions


def days(first: date, last: date) -> Iterator[date]:
    """first .. last inclusive."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
