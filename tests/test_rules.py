"""Table tests for the handbook's scheduling and pre-authorisation rules (bot/backends/rules.py),
on the real calendar: National Day 2026 (10-01..10-07 off, Saturday 10-10 worked) and the
2026 -> 2027 boundary (2027-01-01 off, from the override file)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.backends.rules import (
    ALWAYS_PREAUTH,
    assess_treatment,
    PREAUTH_PRICE_THRESHOLD,
    PreauthNeed,
    PreauthRule,
    change_is_timely,
    direct_billing_response_due,
    earliest_visit,
    emergency_notice_deadline,
    needs_preauth,
    preauth_application_is_timely,
    preauth_decision_due,
)
from bot.catalog import TREATMENT_CATEGORIES, load_catalog
from bot.clock import SHANGHAI, default_calendar

CAL = default_calendar()


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.mark.parametrize("category, rule", sorted(ALWAYS_PREAUTH.items()))
def test_listed_categories_always_need_preauth_whatever_the_price(category, rule):
    for amount in (None, Decimal("100"), Decimal("50000")):
        decision = needs_preauth(category, amount)
        assert decision.need is PreauthNeed.REQUIRED and decision.rule is rule


@pytest.mark.parametrize("amount, need", [
    (None, PreauthNeed.NEED_PRICE),
    (Decimal("7999.99"), PreauthNeed.NOT_REQUIRED),
    (PREAUTH_PRICE_THRESHOLD, PreauthNeed.REQUIRED),
    (Decimal("8000.01"), PreauthNeed.REQUIRED),
    (Decimal("12000"), PreauthNeed.REQUIRED),
])
@pytest.mark.parametrize("category", ["examination", "other"])
def test_single_items_need_preauth_from_8000_yuan(category, amount, need):
    decision = needs_preauth(category, amount)
    assert decision.need is need
    assert decision.rule == (PreauthRule.PRICE if need is PreauthNeed.REQUIRED else None)


@pytest.mark.parametrize("amount, need", [
    (None, PreauthNeed.UNKNOWN),
    (Decimal("500"), PreauthNeed.UNKNOWN),
    (Decimal("9000"), PreauthNeed.REQUIRED),
])
def test_unknown_items_are_not_guessed_below_the_price_rule(amount, need):
    assert needs_preauth(None, amount).need is need


def test_every_catalog_treatment_gets_an_answer_or_a_price_question():
    for treatment in load_catalog().treatments:
        assert treatment.category in TREATMENT_CATEGORIES
        assert needs_preauth(treatment.category, None).need is not PreauthNeed.UNKNOWN


@pytest.mark.parametrize("now, expert, injury, earliest", [
    (at(2026, 11, 24), False, False, date(2026, 11, 25)),          # Tuesday -> Wednesday
    (at(2026, 11, 27), False, False, date(2026, 11, 28)),          # Friday morning -> Saturday
    (at(2026, 11, 27, 21), False, False, date(2026, 12, 1)),       # Friday night -> after Monday
    (at(2026, 11, 28), False, False, date(2026, 12, 1)),           # Saturday -> after Monday
    (at(2026, 11, 24, 20, 29), False, False, date(2026, 11, 25)),  # managers still on duty
    (at(2026, 11, 24, 20, 30), False, False, date(2026, 11, 26)),  # off duty: handled Wednesday
    (at(2026, 9, 30), False, False, date(2026, 10, 1)),            # before National Day
    (at(2026, 9, 30, 21), False, False, date(2026, 10, 9)),        # handled 10-08
    (at(2026, 10, 10), False, False, date(2026, 10, 11)),          # 调休 Saturday is a working day
    (at(2026, 12, 31, 21), False, False, date(2027, 1, 5)),        # 2027-01-01 off, then weekend
    (at(2026, 11, 24), True, False, date(2026, 12, 1)),            # popular expert: a week
    (at(2026, 11, 28, 21), False, True, date(2026, 11, 28)),       # accidental injury: exempt
])
def test_earliest_visit_follows_working_days_and_the_exemptions(now, expert, injury, earliest):
    assert earliest_visit(now, CAL, popular_expert=expert, accidental_injury=injury) == earliest


@pytest.mark.parametrize("now, timely", [
    (at(2026, 11, 24, 10, 0), True),
    (at(2026, 11, 24, 10, 1), False),
    (at(2026, 11, 25, 9, 0), False),
])
def test_changes_less_than_a_day_ahead_are_late(now, timely):
    assert change_is_timely(now, at(2026, 11, 25, 10, 0)) is timely


@pytest.mark.parametrize("now, treatment_day, timely", [
    (at(2026, 11, 23), date(2026, 11, 25), True),        # Monday, Tuesday
    (at(2026, 11, 23), date(2026, 11, 24), False),
    (at(2026, 11, 23, 21), date(2026, 11, 25), False),   # handled Tuesday: one day only
    (at(2026, 11, 27), date(2026, 11, 30), False),       # Friday only
    (at(2026, 11, 27), date(2026, 12, 1), True),         # Friday and Monday
    (at(2026, 9, 29), date(2026, 10, 8), True),          # 09-29, 09-30
    (at(2026, 9, 30), date(2026, 10, 8), False),         # the holiday week does not count
    (at(2026, 11, 25), date(2026, 11, 25), False),
])
def test_preauth_applications_need_two_working_days(now, treatment_day, timely):
    assert preauth_application_is_timely(now, treatment_day, CAL) is timely


@pytest.mark.parametrize("submitted, due", [
    (at(2026, 11, 23), date(2026, 11, 25)),
    (at(2026, 11, 27), date(2026, 12, 1)),
    (at(2026, 9, 30), date(2026, 10, 9)),
    (at(2026, 10, 10), date(2026, 10, 13)),
])
def test_preauth_decision_is_due_within_two_working_days(submitted, due):
    assert preauth_decision_due(submitted, CAL) == due


@pytest.mark.parametrize("requested, due", [
    (at(2026, 11, 27), date(2026, 11, 30)),
    (at(2026, 12, 31), date(2027, 1, 4)),
])
def test_direct_billing_is_answered_within_one_working_day(requested, due):
    assert direct_billing_response_due(requested, CAL) == due


def test_emergency_notice_is_due_48_hours_after_treatment_starts():
    start = at(2026, 11, 28, 23, 15)
    assert emergency_notice_deadline(start) == start + timedelta(hours=48)


@pytest.mark.parametrize("text, amount, category, need", [
    ("下个月要化疗", None, "chemotherapy", PreauthNeed.REQUIRED),
    ("PD-1要预授权吗", None, "immunotherapy", PreauthNeed.REQUIRED),
    ("我爸要血透", None, "dialysis", PreauthNeed.REQUIRED),
    ("租个制氧机", None, "durable_equipment", PreauthNeed.REQUIRED),
    ("下周住院做手术", None, "inpatient", PreauthNeed.REQUIRED),
    ("做个PET-CT", None, "examination", PreauthNeed.NEED_PRICE),
    ("做个PET-CT", Decimal("9000"), "examination", PreauthNeed.REQUIRED),
    ("做个核磁", Decimal("1500"), "examination", PreauthNeed.NOT_REQUIRED),
    ("针灸理疗", None, "other", PreauthNeed.NEED_PRICE),
    ("想去植发", None, None, PreauthNeed.UNKNOWN),
])
def test_free_text_treatments_map_to_the_handbook_rules(text, amount, category, need):
    treatment, decision = assess_treatment(text, amount, load_catalog())
    assert (treatment.category if treatment else None) == category
    assert decision.need is need
