"""Finding a bookable slot: slots are created on demand from the timetable
(bot/backends/schedule.py), then checked against the handbook's rules
(bot/backends/rules.py) and the places left."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Dict, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.backends import directory, errors, messages, rules, schedule
from bot.backends.context import Context, NeedsWrite
from bot.backends.members import get_member, policy_terms
from bot.backends.models import Department, Doctor, Hospital, HospitalDepartment, Slot
from bot.backends.rules import BookingBlock, PolicyTerms
from bot.clock import SHANGHAI

ALTERNATIVES_WINDOW = timedelta(days=14)
# The days either side of the asked time read first for the alternatives (_alternatives).
NEAR_WINDOW = timedelta(days=3)
# When no session in the asked range may be booked, the reason said is the first of
# these that applies to any of them: the member's own situation first, then lead times.
REASON_PRIORITY = (
    BookingBlock.POLICY_INACTIVE,
    BookingBlock.WAITING_PERIOD,
    BookingBlock.TOO_SOON,
    BookingBlock.POPULAR_EXPERT_LEAD,
    BookingBlock.BEYOND_HORIZON,
    BookingBlock.IN_PAST,
)
DEPARTMENT_NOT_OFFERED = "department_not_offered"
DOCTOR_NOT_FOUND = "doctor_not_found"
NO_CLINIC_THAT_DAY = "no_clinic_that_day"
OUTSIDE_CLINIC_HOURS = "outside_clinic_hours"
FULLY_BOOKED = "fully_booked"
# Reasons another hospital could help with.
_HOSPITAL_REASONS = {DOCTOR_NOT_FOUND, NO_CLINIC_THAT_DAY, OUTSIDE_CLINIC_HOURS, FULLY_BOOKED}


@dataclass(frozen=True)
class AvailabilityQuery:
    hospital_id: str
    department_id: str
    start: datetime
    end: datetime
    member_id: Optional[int] = None
    doctor_id: Optional[int] = None
    accidental_injury: bool = False
    limit: int = 5


@dataclass
class Availability:
    earliest_bookable: date
    slot: Optional[Slot] = None
    reason: Optional[str] = None
    message: Optional[str] = None
    alternatives: List[Slot] = field(default_factory=list)
    other_hospitals: List[Hospital] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.slot is not None


# ------------------------------------------------------------------ slot rows


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def _insert_ignoring_duplicates(session: Session):
    dialect = session.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]
    return insert(Slot.__table__).on_conflict_do_nothing()


def materialise_slots(
    ctx: Context, offering: HospitalDepartment, doctors: Sequence[Doctor], first: date, last: date
) -> None:
    """Create the missing slot rows of a department (general clinic and doctors) for
    first..last. Idempotent; the unique constraints settle a race between two requests.
    In a read-only context, NeedsWrite when rows are missing (none are, once a day has
    been asked for); a read that finds none missing is remembered (Context.slot_days).
    A write is not: its rows exist only once it commits."""
    days = list(schedule.days(first, last))
    wanted_days = [(offering.hospital_id, offering.department_id, day) for day in days]
    if all(key in ctx.slot_days for key in wanted_days):
        return
    expected = [
        session
        for day in days
        for session in schedule.day_sessions(
            day, ctx.calendar, offering.weekly_pattern, [(d.id, d.weekly_pattern) for d in doctors]
        )
    ]
    if not expected:
        return
    existing = set(ctx.session.execute(
        select(Slot.doctor_id, Slot.start).where(
            Slot.hospital_id == offering.hospital_id,
            Slot.department_id == offering.department_id,
            Slot.start >= _start_of(first),
            Slot.start < _start_of(last + timedelta(days=1)),
        )
    ).all())
    missing = [
        {
            "hospital_id": offering.hospital_id,
            "department_id": offering.department_id,
            "doctor_id": s.doctor_id,
            "start": s.start,
            "end": s.end,
            "capacity": s.capacity,
            "booked": 0,
        }
        for s in expected
        if (s.doctor_id, s.start) not in existing
    ]
    if missing and not ctx.writable:
        raise NeedsWrite()
    if missing:
        ctx.session.execute(_insert_ignoring_duplicates(ctx.session), missing)
    elif not ctx.writable:
        ctx.slot_days.update(wanted_days)


def slot_block(ctx: Context, slot: Slot, accidental_injury: bool,
               policy: Optional[PolicyTerms]) -> Optional[BookingBlock]:
    """The rule that forbids booking this slot now, or None."""
    popular = bool(slot.doctor and slot.doctor.popular)
    return rules.booking_block(ctx.now, ctx.calendar, slot.start, popular, accidental_injury, policy)


# ------------------------------------------------------------------ the search


class _Search:
    """One availability question: the department (or one doctor) at a hospital."""

    def __init__(self, ctx: Context, query: AvailabilityQuery) -> None:
        self.ctx = ctx
        self.query = query
        self.hospital = directory.get_hospital(ctx, query.hospital_id)
        self.department = ctx.session.get(Department, query.department_id)
        if self.department is None:
            raise errors.not_found("department_id", department_id=query.department_id)
        self.policy = (
            policy_terms(get_member(ctx.session, query.member_id))
            if query.member_id is not None else None
        )
        self.offering = ctx.session.get(HospitalDepartment, (self.hospital.id, self.department.id))
        self.doctors = (
            directory.department_doctors(ctx, self.hospital.id, self.department.id)
            if self.offering else []
        )
        self.doctor = next((d for d in self.doctors if d.id == query.doctor_id), None)
        self.popular: Dict[Optional[int], bool] = {d.id: d.popular for d in self.doctors}
        self.popular[None] = False
        self.range_days: List[date] = []
        # the lead-time rule that kept back the window's first times, when a later slot is found
        self.kept_back: Optional[BookingBlock] = None

    # -- the timetable

    def _owner_sessions(self, day: date) -> List[schedule.Session]:
        if self.doctor is not None:
            return schedule.day_sessions(
                day, self.ctx.calendar, None, [(self.doctor.id, self.doctor.weekly_pattern)]
            )
        return schedule.day_sessions(
            day, self.ctx.calendar, self.offering.weekly_pattern,
            [(d.id, d.weekly_pattern) for d in self.doctors],
        )

    def _block(self, start: datetime, doctor_id: Optional[int]) -> Optional[BookingBlock]:
        return rules.booking_block(
            self.ctx.now, self.ctx.calendar, start, self.popular[doctor_id],
            self.query.accidental_injury, self.policy,
        )

    def earliest_bookable(self) -> date:
        popular = bool(self.doctor and self.doctor.popular)
        return rules.earliest_bookable(
            self.ctx.now, self.ctx.calendar, popular, self.query.accidental_injury, self.policy
        )

    # -- the answer

    def run(self) -> Availability:
        result = Availability(earliest_bookable=self.earliest_bookable())
        if self.offering is None:
            result.reason = DEPARTMENT_NOT_OFFERED
        elif self.query.doctor_id is not None and self.doctor is None:
            result.reason = DOCTOR_NOT_FOUND
        else:
            result.reason = self._find_in_range(result)
        if self.offering is not None:
            result.alternatives = self._alternatives(exclude=result.slot)
        if result.slot is None and (
            result.reason == DEPARTMENT_NOT_OFFERED
            or (result.reason in _HOSPITAL_REASONS and not result.alternatives)
        ):
            result.other_hospitals = directory.hospitals_offering(
                self.ctx, self.department.id, self.hospital.city, exclude=self.hospital.id
            )
        if result.reason is not None:
            result.message = self._message(result.reason, result.earliest_bookable)
        elif result.slot is not None and self.kept_back is not None:
            result.message = self._message(self.kept_back.value, result.earliest_bookable)
        return result

    def _days_in_range(self) -> List[date]:
        last_day = (self.query.end - timedelta(microseconds=1)).date()
        first = max(self.query.start.date(), self.ctx.today)
        last = min(last_day, rules.last_bookable_day(self.ctx.now) + timedelta(days=1))
        return list(schedule.days(first, last))

    def _find_in_range(self, result: Availability) -> Optional[str]:
        """Sets result.slot and returns None, or returns why there is none."""
        query = self.query
        if query.end <= self.ctx.now:
            return BookingBlock.IN_PAST.value
        if query.start.date() > rules.last_bookable_day(self.ctx.now):
            return BookingBlock.BEYOND_HORIZON.value
        self.range_days = self._days_in_range()
        sessions = [
            s for day in self.range_days for s in self._owner_sessions(day)
            if query.start <= s.start < query.end
        ]
        if not sessions:
            has_clinic = any(self._owner_sessions(day) for day in self.range_days)
            return OUTSIDE_CLINIC_HOURS if has_clinic else NO_CLINIC_THAT_DAY
        blocks = [self._block(s.start, s.doctor_id) for s in sessions]
        allowed = [s for s, block in zip(sessions, blocks) if block is None]
        if not allowed:
            return next(reason.value for reason in REASON_PRIORITY if reason in blocks)
        free = self._free_slots(allowed[0].start.date(), allowed[-1].start.date(),
                                query.start, query.end, only_doctor=self.doctor)
        if not free:
            return FULLY_BOOKED
        result.slot = free[0]
        # Earlier times in the window that a lead-time rule kept back (下周 with a popular
        # expert, 这周 from today): the answer says why the slot is not the first asked.
        # A popular expert's week counts only when the member asked for that expert: with
        # no doctor named, another doctor's slot was free and the expert's rule is no reason.
        kept_back = {block for s, block in zip(sessions, blocks)
                     if block in _LEAD_BLOCKS and s.start < result.slot.start
                     and (self.doctor is not None or block is not BookingBlock.POPULAR_EXPERT_LEAD)}
        self.kept_back = next((b for b in _LEAD_BLOCKS if b in kept_back), None)
        return None

    def _free_slots(self, first: date, last: date, start: datetime, end: datetime,
                    only_doctor: Optional[Doctor] = None) -> List[Slot]:
        """Slots in [start, end) with a place left that the rules allow, by start."""
        materialise_slots(self.ctx, self.offering, self.doctors, first, last)
        statement = select(Slot).where(
            Slot.hospital_id == self.hospital.id,
            Slot.department_id == self.department.id,
            Slot.start >= start,
            Slot.start < end,
            Slot.booked < Slot.capacity,
        )
        if only_doctor is not None:
            statement = statement.where(Slot.doctor_id == only_doctor.id)
        slots = self.ctx.session.execute(statement).scalars().all()
        free = [s for s in slots if self._block(s.start, s.doctor_id) is None]
        free.sort(key=lambda s: (s.start, s.doctor_id is not None, s.doctor_id or 0))
        return free

    def _alternatives(self, exclude: Optional[Slot]) -> List[Slot]:
        """Free slots of this department near the asked time (the same doctor first),
        within two weeks of it or of the first bookable day.

        The few days around the asked time are read first: when they alone fill the
        list (each closer than the near window's edge, the wanted doctor's, and no
        more than two a day), the whole window cannot change it: it is ranked by
        distance from that time and filled in rank order. A busy department's month
        of slot rows is then not loaded for five of them."""
        anchor = max(self.query.start, self.ctx.now)
        first = max(self.ctx.today, anchor.date() - ALTERNATIVES_WINDOW)
        last = min(
            rules.last_bookable_day(self.ctx.now),
            max(anchor.date(), self.earliest_bookable()) + ALTERNATIVES_WINDOW,
        )
        if last < first:
            return []
        near_first = max(first, anchor.date() - NEAR_WINDOW)
        near_last = min(last, anchor.date() + NEAR_WINDOW)
        if near_first <= near_last and (near_first, near_last) != (first, last):
            near = self._ranked_alternatives(near_first, near_last, anchor, exclude)
            reach = min(anchor - _start_of(near_first),
                        _start_of(near_last + timedelta(days=1)) - anchor)
            per_day = Counter(s.start.date() for s in near)
            if (len(near) == self.query.limit
                    and max(per_day.values(), default=0) <= ALTERNATIVES_PER_DAY
                    and all(abs(s.start - anchor) < reach and self._is_wanted_doctor(s)
                            for s in near)):
                return near
        return self._ranked_alternatives(first, last, anchor, exclude)

    def _is_wanted_doctor(self, slot: Slot) -> bool:
        return self.doctor is None or slot.doctor_id == self.doctor.id

    def _ranked_alternatives(self, first: date, last: date, anchor: datetime,
                             exclude: Optional[Slot]) -> List[Slot]:
        free = self._free_slots(first, last, _start_of(first), _start_of(last + timedelta(days=1)))
        wanted_doctor = self.doctor.id if self.doctor else None

        def rank(slot: Slot):
            other_doctor = wanted_doctor is not None and slot.doctor_id != wanted_doctor
            return (other_doctor, abs(slot.start - anchor), slot.doctor_id is not None,
                    slot.doctor_id or 0)

        ranked = sorted((s for s in free if s is not exclude), key=rank)
        if wanted_doctor is None:
            # Any doctor will do: offer distinct times (the general clinic ranks first).
            ranked = _distinct_times(ranked)
        return _spread_over_days(ranked, self.query.limit)

    def _message(self, reason: str, earliest: date) -> str:
        today = self.ctx.today
        hospital, department = self.hospital.name, self.department.name
        doctor = self.doctor.name if self.doctor else None
        if reason == DEPARTMENT_NOT_OFFERED:
            return messages.department_not_offered(hospital, department)
        if reason == DOCTOR_NOT_FOUND:
            return messages.doctor_not_found(hospital, department)
        if reason == NO_CLINIC_THAT_DAY:
            day = self.range_days[0] if len(self.range_days) == 1 else None
            holiday = self.ctx.calendar.holiday_name(day) if day else None
            return messages.no_clinic_that_day(hospital, department, day, today, holiday, doctor)
        if reason == OUTSIDE_CLINIC_HOURS:
            day = next(d for d in self.range_days if self._owner_sessions(d))
            return messages.outside_clinic_hours(hospital, department, self._hours(day))
        if reason == FULLY_BOOKED:
            return messages.fully_booked(hospital, department, doctor)
        return block_message(BookingBlock(reason), self.ctx.now, earliest, self.policy, doctor)

    def _hours(self, day: date) -> List[str]:
        """The clinic hours on `day`: ["08:00–12:00", "13:30–17:00"]."""
        pattern = self.doctor.weekly_pattern if self.doctor else self.offering.weekly_pattern
        hours = []
        for half in schedule.half_days_on(pattern, day, self.ctx.calendar):
            opens, closes = schedule.HALF_DAYS[half]
            hours.append(f"{opens:%H:%M}–{closes:%H:%M}")
        return hours


# The rules that keep back the first times of a window (the expert first: its week is what
# a member who named the expert needs to hear).
_LEAD_BLOCKS = (BookingBlock.POPULAR_EXPERT_LEAD, BookingBlock.TOO_SOON)

ALTERNATIVES_PER_DAY = 2


def _spread_over_days(ranked: List[Slot], limit: int) -> List[Slot]:
    """The best-ranked slots, at most two a day while other days have some: a member
    offered four times on one morning has fewer real choices than two days of two."""
    chosen: List[Slot] = []
    per_day: dict = {}
    for slot in ranked:
        day = slot.start.date()
        if per_day.get(day, 0) < ALTERNATIVES_PER_DAY:
            chosen.append(slot)
            per_day[day] = per_day.get(day, 0) + 1
    rest = [slot for slot in ranked if slot not in chosen]
    return (chosen + rest)[:limit]


def _distinct_times(slots: List[Slot]) -> List[Slot]:
    """The first slot of each start time, in order."""
    seen: set = set()
    distinct = []
    for slot in slots:
        if slot.start not in seen:
            seen.add(slot.start)
            distinct.append(slot)
    return distinct


def block_message(block: BookingBlock, now: datetime, earliest: date,
                  policy: Optional[PolicyTerms], doctor: Optional[str] = None) -> str:
    """The sentence explaining a rule that forbids a booking."""
    today = now.date()
    if block is BookingBlock.IN_PAST:
        return messages.in_past()
    if block is BookingBlock.POLICY_INACTIVE:
        return messages.policy_inactive(policy.start, policy.end)
    if block is BookingBlock.WAITING_PERIOD:
        return messages.waiting_period(policy.waiting_period_end, today)
    if block is BookingBlock.BEYOND_HORIZON:
        return messages.beyond_horizon(
            rules.last_bookable_day(now), today, rules.BOOKING_HORIZON.days
        )
    if block is BookingBlock.POPULAR_EXPERT_LEAD:
        return messages.popular_expert_lead(earliest, today, doctor)
    return messages.too_soon(earliest, today)


def check_availability(ctx: Context, query: AvailabilityQuery) -> Availability:
    return _Search(ctx, query).run()


def ensure_day_slots(ctx: Context, hospital_id: str, department_id: str, day: date) -> List[Slot]:
    """The slot rows of a department on one day, created if needed (used by the seed)."""
    offering = ctx.session.get(HospitalDepartment, (hospital_id, department_id))
    doctors = directory.department_doctors(ctx, hospital_id, department_id)
    materialise_slots(ctx, offering, doctors, day, day)
    return ctx.session.execute(
        select(Slot)
        .where(Slot.hospital_id == hospital_id, Slot.department_id == department_id,
               Slot.start >= _start_of(day), Slot.start < _start_of(day + timedelta(days=1)))
        .order_by(Slot.start, Slot.id)
    ).scalars().all()

