"""Appointments (预约): booking, cancelling, rescheduling and the operator's status
changes, each inside the caller's transaction. A place is taken with one conditional
UPDATE (booked < capacity), so two members can never hold the last place."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import List, Optional

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bot.backends import errors, messages, rules
from bot.backends.availability import block_message, slot_block
from bot.backends.context import Context
from bot.backends.lifecycle import record_status, require_transition
from bot.backends.members import get_member, policy_terms
from bot.backends.models import (
    ACTIVE_APPOINTMENT_STATUSES,
    Appointment,
    AppointmentEvent,
    DirectBillingRequest,
    Member,
    Slot,
)
from bot.backends.references import APPOINTMENT, assign_reference
from bot.clock import SHANGHAI

# Status changes an operator (hospital liaison, manager console) may record.
OPERATOR_TRANSITIONS = {
    "confirmed": ("requested", "changed"),
    "attended": ACTIVE_APPOINTMENT_STATUSES,
    "no_show": ACTIVE_APPOINTMENT_STATUSES,
}


@dataclass
class Change:
    """The result of a member's cancellation or change."""

    appointment: Appointment
    late: bool  # less than a day before the visit
    warning: Optional[str]


# ------------------------------------------------------------------ places


def take_place(session: Session, slot: Slot) -> None:
    result = session.execute(
        update(Slot)
        .where(Slot.id == slot.id, Slot.booked < Slot.capacity)
        .values(booked=Slot.booked + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise errors.conflict("slot_full", field="slot_id", slot_id=slot.id)
    session.expire(slot, ["booked"])


def release_place(session: Session, slot: Slot) -> None:
    session.execute(
        update(Slot)
        .where(Slot.id == slot.id, Slot.booked > 0)
        .values(booked=Slot.booked - 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(slot, ["booked"])


# ------------------------------------------------------------------ checks


def _get_slot(ctx: Context, slot_id: int) -> Slot:
    slot = ctx.session.get(Slot, slot_id)
    if slot is None:
        raise errors.not_found("slot_id", slot_id=slot_id)
    return slot


def _check_bookable(ctx: Context, member: Member, slot: Slot, accidental_injury: bool) -> None:
    policy = policy_terms(member)
    block = slot_block(ctx, slot, accidental_injury, policy)
    if block is None:
        return
    popular = bool(slot.doctor and slot.doctor.popular)
    earliest = rules.earliest_bookable(ctx.now, ctx.calendar, popular, accidental_injury, policy)
    doctor = slot.doctor.name if slot.doctor else None
    raise errors.rule_violation(
        block.value, block_message(block, ctx.now, earliest, policy, doctor),
        field="slot_id", earliest_bookable=earliest.isoformat(),
    )


def _check_not_duplicate(ctx: Context, member_id: int, slot: Slot,
                         exclude_id: Optional[int] = None) -> None:
    """One active appointment per slot, and per department and day."""
    day_start = datetime.combine(slot.start.date(), time.min, tzinfo=SHANGHAI)
    statement = (
        select(Appointment.reference)
        .join(Slot, Appointment.slot_id == Slot.id)
        .where(
            Appointment.member_id == member_id,
            Appointment.status.in_(ACTIVE_APPOINTMENT_STATUSES),
            or_(
                Appointment.slot_id == slot.id,
                and_(
                    Slot.department_id == slot.department_id,
                    Slot.start >= day_start,
                    Slot.start < day_start + timedelta(days=1),
                ),
            ),
        )
    )
    if exclude_id is not None:
        statement = statement.where(Appointment.id != exclude_id)
    existing = ctx.session.execute(statement.limit(1)).scalar_one_or_none()
    if existing is not None:
        raise errors.conflict("duplicate_appointment", field="slot_id", reference=existing)


def _get_appointment(ctx: Context, appointment_id: int) -> Appointment:
    appointment = ctx.session.execute(
        select(Appointment).where(Appointment.id == appointment_id).with_for_update()
    ).scalar_one_or_none()
    if appointment is None:
        raise errors.not_found(None, appointment_id=appointment_id)
    return appointment


def _members_active_appointment(ctx: Context, appointment_id: int, member_id: int):
    member = get_member(ctx.session, member_id, for_update=True)
    appointment = _get_appointment(ctx, appointment_id)
    if not rules.acts_for_self(member.id, appointment.member_id):
        raise errors.forbidden("not_your_appointment", field="member_id")
    if appointment.status not in ACTIVE_APPOINTMENT_STATUSES:
        raise errors.conflict("not_active", status=appointment.status)
    if rules.has_started(ctx.now, appointment.slot.start):
        raise errors.rule_violation("in_past", messages.visit_started())
    return member, appointment


# ------------------------------------------------------------------ history


def _record(ctx: Context, appointment: Appointment, status: str, note: Optional[str] = None) -> None:
    record_status(appointment, AppointmentEvent, status, ctx.now, note)


def _request_direct_billing(ctx: Context, appointment: Appointment) -> None:
    appointment.direct_billing.append(DirectBillingRequest(
        status="pending",
        requested_at=ctx.now,
        response_due=rules.direct_billing_response_due(ctx.now, ctx.calendar),
    ))


# ------------------------------------------------------------------ operations


def book(ctx: Context, member_id: int, slot_id: int, accidental_injury: bool = False) -> Appointment:
    member = get_member(ctx.session, member_id, for_update=True)
    slot = _get_slot(ctx, slot_id)
    _check_bookable(ctx, member, slot, accidental_injury)
    _check_not_duplicate(ctx, member.id, slot)
    take_place(ctx.session, slot)
    appointment = Appointment(
        member_id=member.id, slot=slot, accidental_injury=accidental_injury,
        late_change=False, created_at=ctx.now,
    )
    _record(ctx, appointment, "requested")
    _request_direct_billing(ctx, appointment)
    ctx.session.add(appointment)
    assign_reference(ctx.session, appointment, APPOINTMENT, ctx.now)
    return appointment


def cancel(ctx: Context, appointment_id: int, member_id: int) -> Change:
    _member, appointment = _members_active_appointment(ctx, appointment_id, member_id)
    late = not rules.change_is_timely(ctx.now, appointment.slot.start)
    release_place(ctx.session, appointment.slot)
    appointment.late_change = appointment.late_change or late
    _record(ctx, appointment, "cancelled")
    return Change(appointment, late, messages.late_change_warning("取消") if late else None)


def reschedule(ctx: Context, appointment_id: int, member_id: int, slot_id: int) -> Change:
    member, appointment = _members_active_appointment(ctx, appointment_id, member_id)
    new_slot = _get_slot(ctx, slot_id)
    if new_slot.id == appointment.slot_id:
        raise errors.conflict("duplicate_appointment", messages.same_slot(), field="slot_id")
    _check_bookable(ctx, member, new_slot, appointment.accidental_injury)
    _check_not_duplicate(ctx, member.id, new_slot, exclude_id=appointment.id)
    old_slot = appointment.slot
    late = not rules.change_is_timely(ctx.now, old_slot.start)
    take_place(ctx.session, new_slot)
    release_place(ctx.session, old_slot)
    appointment.slot = new_slot
    appointment.late_change = appointment.late_change or late
    _record(ctx, appointment, "changed",
            messages.rescheduled_note(old_slot.start, new_slot.start, ctx.today))
    # The new visit gets its own direct-billing answer.
    _request_direct_billing(ctx, appointment)
    return Change(appointment, late, messages.late_change_warning("改约") if late else None)


def set_status(ctx: Context, appointment_id: int, status: str, note: Optional[str]) -> Appointment:
    appointment = _get_appointment(ctx, appointment_id)
    require_transition(appointment.status, status, OPERATOR_TRANSITIONS,
                       messages.APPOINTMENT_STATUS_LABELS)
    _record(ctx, appointment, status, note)
    if status == "no_show":
        ctx.session.execute(
            update(Member)
            .where(Member.id == appointment.member_id)
            .values(no_show_count=Member.no_show_count + 1)
            .execution_options(synchronize_session=False)
        )
        ctx.session.expire(appointment.member, ["no_show_count"])
    return appointment


def member_appointments(ctx: Context, member_id: int, scope: str = "upcoming") -> List[Appointment]:
    """upcoming: still active and not yet started, soonest first; all: newest first."""
    get_member(ctx.session, member_id)
    statement = select(Appointment).where(Appointment.member_id == member_id)
    if scope == "upcoming":
        statement = (
            statement.join(Slot, Appointment.slot_id == Slot.id)
            .where(Appointment.status.in_(ACTIVE_APPOINTMENT_STATUSES), Slot.start > ctx.now)
            .order_by(Slot.start, Appointment.id)
        )
    else:
        statement = statement.order_by(Appointment.created_at.desc(), Appointment.id.desc())
    return ctx.session.execute(statement).scalars().all()
