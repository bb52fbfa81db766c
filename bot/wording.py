"""Turns backend records (slots, appointments, pre-auth cases) into the short Chinese
phrases that the named responses in domain/ put into sentences. Whole sentences live in
the domain; here only the pieces that depend on data."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable, Mapping, Sequence

from bot.clock import SHANGHAI

WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

MATERIALS = {
    "id_card": "被保险人身份证正反面",
    "admission_slip": "住院单（涉及住院时）",
    "exam_reports": "检查报告",
    "outpatient_records": "门诊病历",
    "prescription": "医生处方清单明细",
}
MATERIAL_ORDER: Sequence[str] = tuple(MATERIALS)


def parse_date(value: str) -> date:
    return date.fromisoformat(value[:10])


def parse_datetime(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(SHANGHAI)


def day(d: date) -> str:
    """11月26日（周四）"""
    return f"{d.month}月{d.day}日（{WEEKDAYS_ZH[d.weekday()]}）"


def moment(when: datetime) -> str:
    """11月26日（周四）09:00"""
    local = when.astimezone(SHANGHAI)
    return f"{day(local.date())}{local:%H:%M}"


def visit_moment(start: str, asked: Mapping[str, Any] | None, kept_back: str | None = None) -> str:
    """When a visit found for the member's words is: 12月8日（周二）08:00, and when they
    named a half-day or a day with no clock (下周二上午), that it is its earliest visit:
    12月8日（周二）08:00（下周二上午最早的号）; when a rule kept back the window's first
    times, the backends' reason instead (陈欣医生是热门专家，按规定需至少提前1周预约…)."""
    when = moment(parse_datetime(start))
    if kept_back:
        return f"{when}（{kept_back.rstrip('。')}）"
    said = str((asked or {}).get("text") or "").strip()
    if asked and asked.get("end") and said and len(said) <= 12:
        return f"{when}（{said}最早的号）"
    return when


def hospital_label(hospital: Mapping[str, Any]) -> str:
    """瑞金医院 国际医疗部"""
    unit = hospital.get("unit")
    return f"{hospital['name']} {unit}" if unit else str(hospital["name"])


def doctor_label(doctor: Mapping[str, Any] | None) -> str:
    """张伟 主任医师（热门专家）, or the 特需 clinic when no doctor was chosen."""
    if not doctor:
        return "特需门诊（不指定医生）"
    text = f"{doctor['name']} {doctor.get('title') or ''}".strip()
    return text + ("（热门专家）" if doctor.get("popular") else "")


def slot_label(slot: Mapping[str, Any]) -> str:
    """11月26日（周四）09:00 张伟主任医师 — what a member picks from a list."""
    text = moment(parse_datetime(slot["start"]))
    if slot.get("doctor"):
        text += f" {slot['doctor']['name']}{slot['doctor'].get('title') or ''}"
    return text


def appointment_label(appointment: Mapping[str, Any]) -> str:
    """11月26日（周四）09:00 瑞金医院 皮肤科"""
    slot = appointment["slot"]
    return (f"{moment(parse_datetime(appointment['start']))} "
            f"{slot['hospital']['name']} {slot['department']['name']}")


def numbered(lines: Iterable[str]) -> str:
    """1. …\n2. … (WeChat shows no lists or tables: plain numbered lines)."""
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1))


def materials_list(codes: Iterable[str]) -> str:
    """In the order the checklist shows them."""
    order = {code: i for i, code in enumerate(MATERIAL_ORDER)}
    ordered = sorted(codes, key=lambda code: order.get(code, len(order)))
    return "、".join(MATERIALS.get(code, code) for code in ordered)


def amount_label(amount: float | None) -> str:
    if amount is None:
        return "未提供"
    return f"{amount:,.0f}元" if float(amount).is_integer() else f"{amount:,.2f}元"
