"""The handbook's scheduling and pre-authorisation rules as pure functions of plain values
and an explicit `now` (the functional core; databases, HTTP and Rasa call these).

Every rule lives here once. Where the handbook is terse, the reading chosen:
- A member's request is handled on its *processing day*: today when today is a working
  day and the managers are still on duty (before 20:30), otherwise the next working day.
- "至少提前一个工作日预约": the visit is after the processing day (a request on Friday
  morning may be for Saturday; one on Friday at 21:00 for Tuesday at the earliest when
  Monday is the next working day). Accidental injuries are exempt.
- "热门专家需要至少提前一周": the visit is at least 7 calendar days after today.
- "至少提前一天取消": at least 24 hours before the appointment time. A later change is
  still allowed, with the no-show warning (the handbook warns; it does not forbid).
- "至少提前2个工作日" (pre-auth application): at least two working days from the
  processing day (inclusive) to the treatment day (exclusive).
- "2个工作日内" (pre-auth decision) and "申请后1个工作日内响应" (direct billing): due by
  the end of the Nth working day after the request date, the request date not counted.
- Direct billing needs "已过产品等待期" and a policy in force: both are checked on the
  visit date. `waiting_period_end` is the first day after the waiting period.
- "限您本人尊享使用": a member acts on their own appointments and cases only.
- Bookings open 30 calendar days ahead (today + 30 is the last bookable day): the
  reference service's choice, the handbook sets no horizon.
- "请尽量提前至少5-10分钟到达": members are asked to arrive 10 minutes early.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Optional

from bot.catalog import Catalog, Treatment
from bot.clock import MANAGER_HOURS, WorkingCalendar

PREAUTH_PRICE_THRESHOLD = Decimal("8000")
POPULAR_EXPERT_LEAD = timedelta(days=7)
CHANGE_NOTICE = timedelta(days=1)
PREAUTH_APPLICATION_WORKING_DAYS = 2
PREAUTH_DECISION_WORKING_DAYS = 2
DIRECT_BILLING_RESPONSE_WORKING_DAYS = 1
EMERGENCY_NOTICE = timedelta(hours=48)
BOOKING_HORIZON = timedelta(days=30)
ARRIVE_EARLY = timedelta(minutes=10)
# After the managers go off duty a request is handled the next working day.
DAILY_CUTOFF: time = MANAGER_HOURS[1]


class PreauthRule(int, Enum):
    """The handbook's numbered list of what needs pre-authorisation (需要预授权的项目)."""

    INPATIENT = 1
    LISTED_TREATMENT = 2
    DURABLE_EQUIPMENT = 3
    SPECIFIED_DRUG = 4
    PRICE = 5


# Catalog treatment categories (bot/catalog.py) that always need pre-authorisation.
ALWAYS_PREAUTH = {
    "inpatient": PreauthRule.INPATIENT,
    "chemotherapy": PreauthRule.LISTED_TREATMENT,
    "radiotherapy": PreauthRule.LISTED_TREATMENT,
    "targeted": PreauthRule.LISTED_TREATMENT,
    "endocrine": PreauthRule.LISTED_TREATMENT,
    "immunotherapy": PreauthRule.LISTED_TREATMENT,
    "dialysis": PreauthRule.LISTED_TREATMENT,
    "anti_rejection": PreauthRule.LISTED_TREATMENT,
    "ga_outpatient_surgery": PreauthRule.LISTED_TREATMENT,
    "durable_equipment": PreauthRule.DURABLE_EQUIPMENT,
    "specified_drug": PreauthRule.SPECIFIED_DRUG,
}
# Categories whose need depends on the single item's price.
PRICE_DEPENDENT = {"examination", "other"}


class PreauthNeed(str, Enum):
    REQUIRED = "required"
    NOT_REQUIRED = "not_required"
    NEED_PRICE = "need_price"  # ask "大概多少钱" rather than guess
    UNKNOWN = "unknown"  # not a known item: say so and offer a manager


@dataclass(frozen=True)
class PreauthDecision:
    need: PreauthNeed
    rule: Optional[PreauthRule] = None


def needs_preauth(category: Optional[str], amount: Optional[Decimal]) -> PreauthDecision:
    """Whether a treatment of this catalog category and single-item price (RMB) needs
    pre-authorisation, and by which of the handbook's five rules."""
    if category in ALWAYS_PREAUTH:
        return PreauthDecision(PreauthNeed.REQUIRED, ALWAYS_PREAUTH[category])
    if category not in PRICE_DEPENDENT:
        if amount is not None and Decimal(amount) >= PREAUTH_PRICE_THRESHOLD:
            return PreauthDecision(PreauthNeed.REQUIRED, PreauthRule.PRICE)
        return PreauthDecision(PreauthNeed.UNKNOWN)
    if amount is None:
        return PreauthDecision(PreauthNeed.NEED_PRICE)
    if Decimal(amount) >= PREAUTH_PRICE_THRESHOLD:
        return PreauthDecision(PreauthNeed.REQUIRED, PreauthRule.PRICE)
    return PreauthDecision(PreauthNeed.NOT_REQUIRED)


def assess_treatment(
    text: str, amount: Optional[Decimal], catalog: Catalog
) -> tuple[Optional[Treatment], PreauthDecision]:
    """Pre-authorisation for a treatment described in free text (化疗, PD-1, 核磁, 轮椅 ...):
    the catalog names the item and its category, needs_preauth decides."""
    treatment = catalog.find_treatment(text)
    return treatment, needs_preauth(treatment.category if treatment else None, amount)


def processing_day(now: datetime, calendar: WorkingCalendar) -> date:
    """The working day on which a request made at `now` is handled."""
    today = now.date()
    if calendar.is_working_day(today) and now.time() < DAILY_CUTOFF:
        return today
    return calendar.next_working_day(today)


def earliest_visit(
    now: datetime,
    calendar: WorkingCalendar,
    popular_expert: bool = False,
    accidental_injury: bool = False,
) -> date:
    """The first day a visit requested at `now` may be booked for."""
    if accidental_injury:
        return now.date()
    earliest = processing_day(now, calendar) + timedelta(days=1)
    if popular_expert:
        earliest = max(earliest, now.date() + POPULAR_EXPERT_LEAD)
    return earliest


def change_is_timely(now: datetime, visit_start: datetime) -> bool:
    """Cancelling or changing at least one day (24 h) ahead avoids the no-show risk."""
    return visit_start - now >= CHANGE_NOTICE


def preauth_application_is_timely(
    now: datetime, treatment_day: date, calendar: WorkingCalendar
) -> bool:
    """At least two working days between the application and the treatment day."""
    start = processing_day(now, calendar)
    if start >= treatment_day:
        return False
    # working_days_between counts (a, b]; we want [start, treatment_day).
    working = calendar.working_days_between(start - timedelta(days=1),
                                            treatment_day - timedelta(days=1))
    return working >= PREAUTH_APPLICATION_WORKING_DAYS


def decision_due(requested: datetime, calendar: WorkingCalendar, working_days: int) -> date:
    """The last day of a response promised within `working_days` working days."""
    return calendar.add_working_days(requested.date(), working_days)


def preauth_decision_due(submitted: datetime, calendar: WorkingCalendar) -> date:
    return decision_due(submitted, calendar, PREAUTH_DECISION_WORKING_DAYS)


def direct_billing_response_due(requested: datetime, calendar: WorkingCalendar) -> date:
    return decision_due(requested, calendar, DIRECT_BILLING_RESPONSE_WORKING_DAYS)


def emergency_notice_deadline(treatment_start: datetime) -> datetime:
    """Without pre-authorisation, notify within 48 hours of the start of treatment."""
    return treatment_start + EMERGENCY_NOTICE


# ------------------------------------------------------------------ pre-auth materials

# The handbook's material list (所需资料), in its order; codes are the API's.
PREAUTH_MATERIALS: tuple[str, ...] = (
    "id_card",             # 被保险人身份证正、反面
    "admission_slip",      # 住院单（涉及住院）
    "exam_reports",        # 检查报告
    "outpatient_records",  # 门诊病历
    "prescription",        # 医生处方清单明细
)
INPATIENT_ONLY_MATERIALS = frozenset({"admission_slip"})


def required_preauth_materials(category: Optional[str]) -> tuple[str, ...]:
    """What a pre-authorisation application must include; the admission slip only for
    inpatient treatment."""
    return tuple(
        code for code in PREAUTH_MATERIALS
        if code not in INPATIENT_ONLY_MATERIALS or category == "inpatient"
    )


# ------------------------------------------------------------- booking eligibility


@dataclass(frozen=True)
class PolicyTerms:
    """The dates of a member's policy that decide whether a visit can be direct-billed."""

    start: date
    end: date  # the last day of cover
    waiting_period_end: date  # the first day after the waiting period (等待期)


def policy_active_on(policy: PolicyTerms, day: date) -> bool:
    return policy.start <= day <= policy.end


def in_waiting_period(policy: PolicyTerms, day: date) -> bool:
    return day < policy.waiting_period_end


def acts_for_self(requester_member_id: int, owner_member_id: int) -> bool:
    """The service is for the insured person only (限您本人尊享使用)."""
    return requester_member_id == owner_member_id


def last_bookable_day(now: datetime) -> date:
    return now.date() + BOOKING_HORIZON


def has_started(now: datetime, visit_start: datetime) -> bool:
    """A visit whose time has come can no longer be booked, cancelled or changed."""
    return visit_start <= now


def arrive_by(visit_start: datetime) -> datetime:
    return visit_start - ARRIVE_EARLY


class BookingBlock(str, Enum):
    """Why a visit time cannot be booked (the API's reason codes)."""

    IN_PAST = "in_past"
    POLICY_INACTIVE = "policy_inactive"
    WAITING_PERIOD = "waiting_period"
    BEYOND_HORIZON = "beyond_horizon"
    POPULAR_EXPERT_LEAD = "popular_expert_lead"
    TOO_SOON = "too_soon"


def booking_block(
    now: datetime,
    calendar: WorkingCalendar,
    visit_start: datetime,
    popular_expert: bool = False,
    accidental_injury: bool = False,
    policy: Optional[PolicyTerms] = None,
) -> Optional[BookingBlock]:
    """The first rule that forbids booking a visit at `visit_start`, or None when it may
    be booked. `policy` is None when the member is not known yet."""
    if has_started(now, visit_start):
        return BookingBlock.IN_PAST
    day = visit_start.date()
    if policy is not None:
        if not policy_active_on(policy, day):
            return BookingBlock.POLICY_INACTIVE
        if in_waiting_period(policy, day):
            return BookingBlock.WAITING_PERIOD
    if day > last_bookable_day(now):
        return BookingBlock.BEYOND_HORIZON
    if day < earliest_visit(now, calendar, popular_expert, accidental_injury):
        return BookingBlock.POPULAR_EXPERT_LEAD if popular_expert else BookingBlock.TOO_SOON
    return None


def earliest_bookable(
    now: datetime,
    calendar: WorkingCalendar,
    popular_expert: bool = False,
    accidental_injury: bool = False,
    policy: Optional[PolicyTerms] = None,
) -> date:
    """The first day the lead-time rules and, when known, the member's policy allow."""
    day = earliest_visit(now, calendar, popular_expert, accidental_injury)
    if policy is not None:
        day = max(day, policy.start, policy.waiting_period_end)
    return day


def emergency_notice_is_timely(notified_at: datetime, treatment_start: datetime) -> bool:
    return notified_at <= emergency_notice_deadline(treatment_start)
