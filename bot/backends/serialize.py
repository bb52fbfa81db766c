"""The API's JSON objects (bot/backends/openapi.yaml), built from the tables. Dates are
YYYY-MM-DD, times ISO 8601 with +08:00."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Optional, Union

from bot.backends import messages, rules
from bot.backends.availability import Availability
from bot.backends.appointments import Change
from bot.backends.linking import LinkOutcome
from bot.backends.members import policy_terms
from bot.backends.models import (
    Appointment,
    Department,
    Doctor,
    EmergencyNotification,
    Hospital,
    HospitalDepartment,
    Member,
    PreauthCase,
    Slot,
)
from bot.backends.preauth import Assessment, late_warning, materials_missing
from bot.backends.privacy import mask_name, mask_policy_number
from bot.backends.schedule import pattern_weekdays
from bot.catalog import Catalog, Treatment
from bot.clock import SHANGHAI


def when(value: Optional[datetime]) -> Optional[str]:
    return None if value is None else value.astimezone(SHANGHAI).isoformat(timespec="seconds")


def day(value: Optional[date]) -> Optional[str]:
    return None if value is None else value.isoformat()


def number(value: Optional[Decimal]) -> Union[int, float, None]:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def history(events: Iterable) -> list:
    return [{"at": when(e.at), "status": e.status, "note": e.note} for e in events]


# ------------------------------------------------------------------ people and places


def member(m: Member, today: date) -> dict:
    policy = policy_terms(m)
    return {
        "id": m.id,
        "name": m.name,
        "phone": m.phone,
        "policy_number": m.policy_number,
        "policy_start": day(m.policy_start),
        "policy_end": day(m.policy_end),
        "waiting_period_end": day(m.waiting_period_end),
        "in_waiting_period": rules.in_waiting_period(policy, today),
        "policy_active": rules.policy_active_on(policy, today),
        "direct_pay_card": m.direct_pay_card,
        "no_show_count": m.no_show_count,
        "health_manager": m.health_manager,
        "channels": [{"channel": c.channel, "external_id": c.external_id} for c in m.channels],
    }


def linked_member(m: Member, today: date) -> dict:
    """The member as a chat may show them after linking: masked (陈*, ZAHM******0001)."""
    policy = policy_terms(m)
    return {
        "id": m.id,
        "name": mask_name(m.name),
        "policy_number": mask_policy_number(m.policy_number),
        "policy_active": rules.policy_active_on(policy, today),
        "in_waiting_period": rules.in_waiting_period(policy, today),
    }


def link(outcome: LinkOutcome, channel: str, external_id: str, today: date) -> dict:
    return {
        "result": outcome.result,
        "channel": channel,
        "external_id": external_id,
        "member": linked_member(outcome.member, today),
    }


def unlink(channel: str, external_id: str, member_id: Optional[int]) -> dict:
    return {
        "channel": channel,
        "external_id": external_id,
        "unlinked": member_id is not None,
        "member_id": member_id,
    }


def hospital(h: Hospital) -> dict:
    return {
        "id": h.id,
        "name": h.name,
        "full_name": h.full_name,
        "city": h.city,
        "unit": h.unit,
        "aliases": list(h.aliases),
    }


def hospital_brief(h: Optional[Hospital]) -> Optional[dict]:
    return None if h is None else {"id": h.id, "name": h.name, "unit": h.unit, "city": h.city}


def hospital_detail(h: Hospital, offered: Iterable[HospitalDepartment]) -> dict:
    return {
        **hospital(h),
        "departments": [
            {"id": o.department.id, "name": o.department.name,
             "weekdays": pattern_weekdays(o.weekly_pattern)}
            for o in offered
        ],
    }


def department(d: Department) -> dict:
    return {"id": d.id, "name": d.name}


def doctor(d: Optional[Doctor]) -> Optional[dict]:
    if d is None:
        return None
    return {
        "id": d.id,
        "name": d.name,
        "title": d.title,
        "hospital_id": d.hospital_id,
        "department_id": d.department_id,
        "popular": d.popular,
    }


# ------------------------------------------------------------------ scheduling


def slot(s: Optional[Slot]) -> Optional[dict]:
    if s is None:
        return None
    return {
        "id": s.id,
        "hospital": hospital_brief(s.hospital),
        "department": department(s.department),
        "doctor": doctor(s.doctor),
        "start": when(s.start),
        "end": when(s.end),
        "capacity": s.capacity,
        "remaining": s.capacity - s.booked,
        "popular_expert": bool(s.doctor and s.doctor.popular),
    }


def availability(result: Availability) -> dict:
    return {
        "available": result.available,
        "slot": slot(result.slot),
        "reason": result.reason,
        "message": result.message,
        "earliest_bookable": day(result.earliest_bookable),
        "alternatives": [slot(s) for s in result.alternatives],
        "other_hospitals": [hospital(h) for h in result.other_hospitals],
    }


def appointment(a: Appointment, now: Optional[datetime] = None) -> dict:
    """An appointment; read at `now`, it also says what a change would cost now
    (`change_warning`: the warnings for cancelling and for rescheduling less than a day
    ahead, or None), so the bot can say it before the member confirms."""
    billing = a.direct_billing[-1] if a.direct_billing else None
    extra = {}
    if now is not None:
        late = a.slot.start > now and not rules.change_is_timely(now, a.slot.start)
        extra["change_warning"] = {
            "cancel": messages.late_change_notice("取消"),
            "reschedule": messages.late_change_notice("改约"),
        } if late else None
    return {**extra,
        "id": a.id,
        "reference": a.reference,
        "member_id": a.member_id,
        "status": a.status,
        "accidental_injury": a.accidental_injury,
        "late_change": a.late_change,
        "slot": slot(a.slot),
        "start": when(a.slot.start),
        "end": when(a.slot.end),
        "arrive_by": when(rules.arrive_by(a.slot.start)),
        "change_by": when(a.slot.start - rules.CHANGE_NOTICE),
        "direct_billing": None if billing is None else {
            "status": billing.status,
            "requested_at": when(billing.requested_at),
            "response_due": day(billing.response_due),
        },
        "created_at": when(a.created_at),
        "updated_at": when(a.updated_at),
        "history": history(a.events),
    }


def change(result: Change) -> dict:
    return {
        "appointment": appointment(result.appointment),
        "late": result.late,
        "warning": result.warning,
    }


# ------------------------------------------------------------------ pre-auth


def treatment(t: Optional[Treatment]) -> Optional[dict]:
    return None if t is None else {"id": t.id, "name": t.name, "category": t.category}


def _catalog_treatment(catalog: Catalog, treatment_id: Optional[str]) -> Optional[Treatment]:
    """None when not recognised, or no longer in the catalog."""
    try:
        return catalog.treatment(treatment_id) if treatment_id else None
    except KeyError:
        return None


def assessment(a: Assessment, late_warning: Optional[str] = None) -> dict:
    """`late_warning`: said before the member applies, when the planned day asked about
    is less than two working days away."""
    return {
        "late_warning": late_warning,
        "need": a.need.value,
        "rule": None if a.rule is None else int(a.rule),
        "treatment": treatment(a.treatment),
        "category": a.category,
        "category_label": messages.category_label(a.category),
        "reason": a.reason,
    }


def preauth_case(c: PreauthCase, today: date, catalog: Catalog) -> dict:
    return {
        "id": c.id,
        "reference": c.reference,
        "member_id": c.member_id,
        "treatment": treatment(_catalog_treatment(catalog, c.treatment_id)),
        "treatment_text": c.treatment_text,
        "category": c.category,
        "category_label": messages.category_label(c.category),
        "amount": number(c.amount),
        "hospital": hospital_brief(c.hospital),
        "planned_date": day(c.planned_date),
        "materials_received": list(c.materials_received),
        "materials_missing": materials_missing(c),
        "status": c.status,
        "status_label": messages.PREAUTH_STATUS_LABELS[c.status],
        "status_note": c.status_note,
        "submitted_at": when(c.submitted_at),
        "decision_due": day(c.decision_due),
        "timely": c.timely,
        "warning": late_warning(c, today),
        "history": history(c.events),
    }


def emergency(n: EmergencyNotification) -> dict:
    return {
        "id": n.id,
        "reference": n.reference,
        "member_id": n.member_id,
        "description": n.description,
        "hospital": n.hospital,
        "treatment_start": when(n.treatment_start),
        "deadline": when(n.deadline),
        "on_time": n.on_time,
        "created_at": when(n.created_at),
    }


# ------------------------------------------------------------------ notices


def _channels(found: Iterable[tuple]) -> list:
    return [{"channel": channel, "external_id": external_id} for channel, external_id in found]


def appointment_reminder(a: Appointment, channels: Iterable[tuple]) -> dict:
    """What a visit reminder needs, and no more of the member than where to reach them."""
    return {
        "reference": a.reference,
        "member_id": a.member_id,
        "status": a.status,
        "start": when(a.slot.start),
        "end": when(a.slot.end),
        "arrive_by": when(rules.arrive_by(a.slot.start)),
        "change_by": when(a.slot.start - rules.CHANGE_NOTICE),
        "hospital": hospital_brief(a.slot.hospital),
        "department": department(a.slot.department),
        "doctor": doctor(a.slot.doctor),
        "channels": _channels(channels),
    }


def preauth_decision(c: PreauthCase, decided_at: datetime, channels: Iterable[tuple]) -> dict:
    """What a decision notice needs: not the treatment, the member's words or the
    reviewer's note (health data a lock screen may show); the member asks the manager."""
    return {
        "reference": c.reference,
        "member_id": c.member_id,
        "status": c.status,
        "status_label": messages.PREAUTH_STATUS_LABELS[c.status],
        "decided_at": when(decided_at),
        "hospital": hospital_brief(c.hospital),
        "planned_date": day(c.planned_date),
        "channels": _channels(channels),
    }
