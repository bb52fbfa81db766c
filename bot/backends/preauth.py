"""Pre-authorisation (预授权): whether a treatment needs it, applications and their
review status."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import List, Optional, Sequence

from sqlalchemy import select

from bot.backends import directory, errors, messages, rules
from bot.backends.context import Context
from bot.backends.lifecycle import record_status, require_transition
from bot.backends.members import get_member
from bot.backends.models import PreauthCase, PreauthEvent
from bot.backends.references import PREAUTH, assign_reference
from bot.backends.rules import PreauthNeed, PreauthRule
from bot.catalog import Catalog, Treatment

# Review steps an operator may record.
CASE_TRANSITIONS = {
    "under_review": ("submitted", "more_info_needed"),
    "more_info_needed": ("submitted", "under_review"),
    "approved": ("submitted", "under_review", "more_info_needed"),
    "declined": ("submitted", "under_review", "more_info_needed"),
}
DECIDED = ("approved", "declined")


@dataclass(frozen=True)
class Assessment:
    need: PreauthNeed
    rule: Optional[PreauthRule]
    treatment: Optional[Treatment]
    reason: str

    @property
    def category(self) -> Optional[str]:
        return self.treatment.category if self.treatment else None


def _subject(treatment: Treatment) -> str:
    """What the sentence is about: 化疗 for the category's own entry, else the item."""
    if treatment.id == treatment.category:
        return messages.category_label(treatment.category) or treatment.name
    return treatment.name


def assess(catalog: Catalog, text: str, amount: Optional[Decimal]) -> Assessment:
    treatment, decision = rules.assess_treatment(text, amount, catalog)
    subject = _subject(treatment) if treatment else None
    if decision.rule is PreauthRule.PRICE:
        reason = messages.preauth_required_by_price(subject, Decimal(amount))
    elif decision.need is PreauthNeed.REQUIRED:
        reason = messages.preauth_required(subject, int(decision.rule))
    elif decision.need is PreauthNeed.NOT_REQUIRED:
        reason = messages.preauth_not_required(subject, Decimal(amount))
    elif decision.need is PreauthNeed.NEED_PRICE:
        reason = messages.preauth_need_price(subject)
    else:
        reason = messages.preauth_unknown(text)
    return Assessment(decision.need, decision.rule, treatment, reason)


def materials_missing(case: PreauthCase) -> List[str]:
    received = set(case.materials_received)
    return [code for code in rules.required_preauth_materials(case.category) if code not in received]


def late_warning(case: PreauthCase, today: date) -> Optional[str]:
    """Said while a late application (less than two working days ahead) is undecided."""
    if case.timely or case.status in DECIDED:
        return None
    return messages.preauth_late_warning(case.planned_date, today)


def _record(ctx: Context, case: PreauthCase, status: str, note: Optional[str] = None) -> None:
    record_status(case, PreauthEvent, status, ctx.now, note)
    case.status_note = note


def apply(
    ctx: Context,
    member_id: int,
    treatment_text: str,
    hospital_id: Optional[str],
    planned_date: date,
    amount: Optional[Decimal],
    materials: Sequence[str],
) -> PreauthCase:
    member = get_member(ctx.session, member_id)
    hospital = directory.get_hospital(ctx, hospital_id) if hospital_id else None
    if planned_date < ctx.today:
        raise errors.rule_violation("in_past", messages.preauth_in_past(), field="planned_date")
    treatment = ctx.catalog.find_treatment(treatment_text)
    case = PreauthCase(
        member_id=member.id,
        treatment_id=treatment.id if treatment else None,
        treatment_text=treatment_text,
        category=treatment.category if treatment else None,
        amount=amount,
        hospital_id=hospital.id if hospital else None,
        planned_date=planned_date,
        materials_received=list(dict.fromkeys(materials)),
        submitted_at=ctx.now,
        decision_due=rules.preauth_decision_due(ctx.now, ctx.calendar),
        timely=rules.preauth_application_is_timely(ctx.now, planned_date, ctx.calendar),
    )
    _record(ctx, case, "submitted")
    ctx.session.add(case)
    assign_reference(ctx.session, case, PREAUTH, ctx.now)
    return case


def find_case(ctx: Context, key: str, for_update: bool = False) -> PreauthCase:
    """By id (digits) or reference (YS...)."""
    column = PreauthCase.id if key.isdigit() else PreauthCase.reference
    value = int(key) if key.isdigit() else key.upper()
    statement = select(PreauthCase).where(column == value)
    if for_update:
        statement = statement.with_for_update()
    case = ctx.session.execute(statement).scalar_one_or_none()
    if case is None:
        raise errors.not_found(None, preauth_case=key)
    return case


def members_case(ctx: Context, key: str, member_id: int) -> PreauthCase:
    """The case, when it is this member's; otherwise not found (its existence is not
    another member's business)."""
    case = find_case(ctx, key)
    if case.member_id != member_id:
        raise errors.not_found(None, preauth_case=key)
    return case


def set_status(ctx: Context, key: str, status: str, note: Optional[str]) -> PreauthCase:
    case = find_case(ctx, key, for_update=True)
    require_transition(case.status, status, CASE_TRANSITIONS, messages.PREAUTH_STATUS_LABELS)
    _record(ctx, case, status, note)
    return case


def member_cases(ctx: Context, member_id: int) -> List[PreauthCase]:
    get_member(ctx.session, member_id)
    return ctx.session.execute(
        select(PreauthCase)
        .where(PreauthCase.member_id == member_id)
        .order_by(PreauthCase.submitted_at.desc(), PreauthCase.id.desc())
    ).scalars().all()
