"""Seed data: the catalog's hospitals and departments, the timetable's doctors
(bot/backends/schedule.py) and four demo members whose dates are relative to the
clock (HM_NOW), so a demo works on any date; on request, many members ready to book for
the load benchmark (bot/loadtest). Idempotent: what exists is left alone."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import List, Optional, Sequence, Tuple

from sqlalchemy import insert, select

from bot.backends import rules, schedule
from bot.backends.appointments import take_place
from bot.backends.availability import ensure_day_slots
from bot.backends.context import Context
from bot.backends.db import Database
from bot.backends.members import find_by_channel
from bot.backends.models import (
    Appointment,
    AppointmentEvent,
    Department,
    DirectBillingRequest,
    Doctor,
    Hospital,
    HospitalDepartment,
    Member,
    MemberChannel,
    PreauthCase,
    PreauthEvent,
)
from bot.backends.privacy import mask_digits, mask_name
from bot.backends.references import APPOINTMENT, PREAUTH, assign_reference
from bot.catalog import Catalog
from bot.clock import SHANGHAI, WorkingCalendar

WEB = "web"
WECHAT = "wechat"
POLICY_DAYS = 365
WAITING_PERIOD_DAYS = 30
DEMO_MANAGER = "manager"


@dataclass(frozen=True)
class DemoVisit:
    hospital_id: str
    department_id: str
    days_from_today: int  # the first clinic day on or after (before, when negative)
    at: time
    final_status: str  # confirmed, or no_show for a missed visit


@dataclass(frozen=True)
class DemoMember:
    """A fictional member (names, ID numbers, phones and policy numbers are made up)."""

    web_id: str
    wechat_openid: str
    name: str
    id_number: str
    phone: str
    policy_number: str
    direct_pay_card: str
    policy_started_days_ago: int
    visits: Tuple[DemoVisit, ...] = ()
    preauth_chemotherapy: bool = False
    # Their own health manager: the console account `make run` creates (scripts/run.sh).
    health_manager: Optional[str] = DEMO_MANAGER


DEMO_MEMBERS: Tuple[DemoMember, ...] = (
    DemoMember("demo-ready", "oDEMO_ready", "陈静", "110101199003070020", "13900000001",
               "ZAHM2026000001", "ZADP880000000001", policy_started_days_ago=200),
    DemoMember("demo-waiting", "oDEMO_waiting", "林晓", "310101199205120041", "13900000002",
               "ZAHM2026000002", "ZADP880000000002", policy_started_days_ago=10),
    DemoMember("demo-noshow", "oDEMO_noshow", "王磊", "440103198711230036", "13900000003",
               "ZAHM2026000003", "ZADP880000000003", policy_started_days_ago=150,
               visits=(
                   DemoVisit("huashan", "dermatology", -20, time(9, 0), "no_show"),
                   DemoVisit("ruijin", "gastroenterology", 3, time(9, 0), "confirmed"),
                   DemoVisit("renji", "cardiology", 5, time(14, 0), "confirmed"),
               )),
    DemoMember("demo-preauth", "oDEMO_preauth", "赵敏", "330106198502280027", "13900000004",
               "ZAHM2026000004", "ZADP880000000004", policy_started_days_ago=300,
               visits=(DemoVisit("fd_cancer", "oncology", 4, time(10, 0), "confirmed"),),
               preauth_chemotherapy=True),
)


def load_member(index: int) -> DemoMember:
    """The `index`th load-test member (1, 2, ...): web id `load-00001`, WeChat openid
    `oLOAD_00001`, ready to book (policy since 200 days, waiting period over, nothing
    booked). Every number is fictional and unique to the index."""
    return DemoMember(f"load-{index:05d}", f"oLOAD_{index:05d}", "压测会员",
                      f"LT{index:016d}", f"1398{index:07d}", f"ZAHM9{index:09d}",
                      f"ZADP99{index:010d}", policy_started_days_ago=200, health_manager=None)


@dataclass
class SeedReport:
    hospitals: int = 0
    departments: int = 0
    offerings: int = 0
    doctors: int = 0
    members: List[str] = field(default_factory=list)  # masked

    def summary(self) -> str:
        members = ", ".join(self.members) or "none"
        return (f"seeded {self.hospitals} hospitals, {self.departments} departments, "
                f"{self.offerings} hospital departments, {self.doctors} doctors; "
                f"demo members added: {members}")


# ------------------------------------------------------------------ reference data


def _insert_missing(ctx: Context, model, rows: Sequence[dict], key) -> int:
    existing = set(ctx.session.execute(select(*key)).all())
    missing = [row for row in rows if tuple(row[c.key] for c in key) not in existing]
    if missing:
        ctx.session.execute(insert(model), missing)
    return len(missing)


def seed_reference_data(ctx: Context, report: SeedReport) -> None:
    catalog: Catalog = ctx.catalog
    report.hospitals = _insert_missing(ctx, Hospital, [
        {"id": h.id, "name": h.name, "full_name": h.full_name, "city": h.city, "unit": h.unit,
         "aliases": list(h.aliases)}
        for h in catalog.hospitals
    ], (Hospital.id,))
    report.departments = _insert_missing(ctx, Department, [
        {"id": d.id, "name": d.name, "aliases": list(d.aliases)} for d in catalog.departments
    ], (Department.id,))
    offerings = [(h.id, d) for h in catalog.hospitals for d in schedule.offered_departments(h, catalog)]
    report.offerings = _insert_missing(ctx, HospitalDepartment, [
        {"hospital_id": h, "department_id": d, "weekly_pattern": list(schedule.department_pattern(d))}
        for h, d in offerings
    ], (HospitalDepartment.hospital_id, HospitalDepartment.department_id))
    report.doctors = _insert_missing(ctx, Doctor, [
        {"hospital_id": spec.hospital_id, "department_id": spec.department_id, "name": spec.name,
         "title": spec.title, "popular": spec.popular, "weekly_pattern": list(spec.weekly_pattern)}
        for h, d in offerings for spec in schedule.doctors_for(h, d)
    ], (Doctor.hospital_id, Doctor.department_id, Doctor.name))


# ------------------------------------------------------------------ demo members


def _at(day: date, clock_time: time) -> datetime:
    return datetime.combine(day, clock_time, tzinfo=SHANGHAI)


def _clinic_slot(ctx: Context, visit: DemoVisit):
    """The general clinic's slot at visit.at on the nearest clinic day."""
    step = timedelta(days=1 if visit.days_from_today >= 0 else -1)
    day = ctx.today + timedelta(days=visit.days_from_today)
    for _ in range(30):
        for slot in ensure_day_slots(ctx, visit.hospital_id, visit.department_id, day):
            if slot.doctor_id is None and slot.start == _at(day, visit.at):
                return slot
        day += step
    raise RuntimeError(f"no clinic for the demo visit {visit}")


def _demo_appointment(ctx: Context, member: Member, visit: DemoVisit) -> None:
    slot = _clinic_slot(ctx, visit)
    take_place(ctx.session, slot)
    booked_at = min(ctx.now, slot.start) - timedelta(days=5)
    confirmed_at = booked_at + timedelta(hours=2)
    steps = [("requested", booked_at, None), ("confirmed", confirmed_at, "医院已确认")]
    if visit.final_status == "no_show":
        steps.append(("no_show", slot.end, "未到诊，医院记为爽约"))
    appointment = Appointment(
        member_id=member.id, slot=slot, status=steps[-1][0], accidental_injury=False,
        late_change=False, created_at=booked_at, updated_at=steps[-1][1],
        events=[AppointmentEvent(at=at, status=status, note=note) for status, at, note in steps],
        direct_billing=[DirectBillingRequest(
            status="approved", requested_at=booked_at,
            response_due=rules.direct_billing_response_due(booked_at, ctx.calendar),
        )],
    )
    ctx.session.add(appointment)
    assign_reference(ctx.session, appointment, APPOINTMENT, booked_at)


def _demo_preauth(ctx: Context, member: Member) -> None:
    """化疗 at 复旦大学附属肿瘤医院, submitted yesterday, under review."""
    submitted = ctx.now - timedelta(days=1)
    treatment = ctx.catalog.find_treatment("化疗")
    planned = ctx.calendar.add_working_days(ctx.today, 5)
    reviewing = min(submitted + timedelta(hours=2), ctx.now)
    case = PreauthCase(
        member_id=member.id, treatment_id=treatment.id, treatment_text="下周要做化疗",
        category=treatment.category, amount=None, hospital_id="fd_cancer", planned_date=planned,
        materials_received=list(rules.required_preauth_materials(treatment.category)),
        status="under_review", status_note="材料齐全，审核中", submitted_at=submitted,
        decision_due=rules.preauth_decision_due(submitted, ctx.calendar),
        timely=rules.preauth_application_is_timely(submitted, planned, ctx.calendar),
        updated_at=reviewing,
        events=[
            PreauthEvent(at=submitted, status="submitted"),
            PreauthEvent(at=reviewing, status="under_review", note="材料齐全，审核中"),
        ],
    )
    ctx.session.add(case)
    assign_reference(ctx.session, case, PREAUTH, submitted)


def seed_demo_member(ctx: Context, demo: DemoMember) -> Optional[Member]:
    """Create a demo member unless their web id is taken; returns the new member."""
    if find_by_channel(ctx.session, WEB, demo.web_id) is not None:
        return None
    start = ctx.today - timedelta(days=demo.policy_started_days_ago)
    member = Member(
        name=demo.name, id_number=demo.id_number, phone=demo.phone,
        policy_number=demo.policy_number, policy_start=start,
        policy_end=start + timedelta(days=POLICY_DAYS - 1),
        waiting_period_end=start + timedelta(days=WAITING_PERIOD_DAYS),
        direct_pay_card=demo.direct_pay_card,
        no_show_count=sum(v.final_status == "no_show" for v in demo.visits),
        health_manager=demo.health_manager,
        created_at=ctx.now - timedelta(days=demo.policy_started_days_ago),
        channels=[MemberChannel(channel=WEB, external_id=demo.web_id),
                  MemberChannel(channel=WECHAT, external_id=demo.wechat_openid)],
    )
    ctx.session.add(member)
    ctx.session.flush()
    for visit in demo.visits:
        _demo_appointment(ctx, member, visit)
    if demo.preauth_chemotherapy:
        _demo_preauth(ctx, member)
    return member


# ------------------------------------------------------------------ entry points


def is_seeded(db: Database) -> bool:
    with db.reading() as session:
        return session.execute(select(Hospital.id).limit(1)).first() is not None


def seed(db: Database, now: datetime, calendar: WorkingCalendar, catalog: Catalog) -> SeedReport:
    """Everything in one transaction."""
    report = SeedReport()
    with db.writing() as session:
        ctx = Context(session, now, calendar, catalog)
        seed_reference_data(ctx, report)
        for demo in DEMO_MEMBERS:
            member = seed_demo_member(ctx, demo)
            if member is not None:
                report.members.append(
                    f"{demo.web_id} ({mask_name(member.name)}, {mask_digits(member.phone)})"
                )
    return report


def seed_load_members(db: Database, now: datetime, calendar: WorkingCalendar,
                      catalog: Catalog, count: int) -> int:
    """Load-test members 1..`count` (`load_member`), in one transaction; those that
    exist are left alone. Returns how many were added."""
    with db.writing() as session:
        ctx = Context(session, now, calendar, catalog)
        return sum(seed_demo_member(ctx, load_member(index)) is not None
                   for index in range(1, count + 1))
