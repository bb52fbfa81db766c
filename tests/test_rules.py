"""Table tests for the handbook's scheduling and pre-authorisation rules (bot/backends/rules.py),
on the real calendar: National Day 2026 (10-01..10-07 off, Saturday 10-10 worked), the
Spring Festival 2026 (02-15..02-23 off, Saturdays 02-14 and 02-28 worked), Labour Day 2026
(Saturday 05-09 worked), Mid-Autumn 2026 (Sunday 09-20 worked) and 2027 from the calendar
override file (2027-01-01, the Spring Festival 02-05..02-08, 09-15 and 10-01..10-03 off)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.backends.rules import (
    ALWAYS_PREAUTH,
    PREAUTH_MATERIALS,
    PREAUTH_PRICE_THRESHOLD,
    BookingBlock,
    PolicyTerms,
    PreauthNeed,
    PreauthRule,
    acts_for_self,
    arrive_by,
    assess_treatment,
    booking_block,
    change_is_timely,
    direct_billing_response_due,
    earliest_bookable,
    earliest_visit,
    emergency_notice_deadline,
    emergency_notice_is_timely,
    has_started,
    in_waiting_period,
    last_bookable_day,
    needs_preauth,
    policy_active_on,
    preauth_application_is_timely,
    preauth_decision_due,
    required_preauth_materials,
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



# ------------------------------------------------------------ holidays and 调休 days


@pytest.mark.parametrize("now, earliest", [
    (at(2026, 2, 13, 21), date(2026, 2, 15)),   # handled on the 调休 Saturday 02-14
    (at(2026, 2, 14, 10), date(2026, 2, 15)),   # the 调休 Saturday itself is a working day
    (at(2026, 2, 14, 21), date(2026, 2, 25)),   # then the Spring Festival: handled 02-24
    (at(2026, 2, 17, 10), date(2026, 2, 25)),   # asked during the holiday
    (at(2026, 2, 28, 10), date(2026, 3, 1)),    # 调休 Saturday after the festival
    (at(2026, 5, 8, 21), date(2026, 5, 10)),    # Friday night, handled on 调休 Saturday 05-09
    (at(2026, 9, 20, 10), date(2026, 9, 21)),   # 调休 Sunday before Mid-Autumn
    (at(2026, 9, 24, 21), date(2026, 9, 29)),   # Mid-Autumn 09-25..27 off, handled Monday
    (at(2027, 2, 4, 21), date(2027, 2, 10)),    # override: 02-05 and 02-08 off, handled 02-09
    (at(2027, 9, 14, 21), date(2027, 9, 17)),   # override: 中秋 09-15 off
    (at(2027, 9, 30, 21), date(2027, 10, 5)),   # override: 国庆 10-01, weekend, handled 10-04
])
def test_earliest_visit_across_holidays_and_adjusted_working_days(now, earliest):
    assert earliest_visit(now, CAL) == earliest


@pytest.mark.parametrize("now, treatment_day, timely", [
    (at(2026, 2, 12), date(2026, 2, 25), True),       # 02-12, 02-13, 02-14 (调休), 02-24
    (at(2026, 2, 13, 21), date(2026, 2, 24), False),  # only the 调休 Saturday 02-14
    (at(2026, 2, 13, 21), date(2026, 2, 25), True),   # 02-14 and 02-24
    (at(2026, 5, 8), date(2026, 5, 11), True),        # Friday and the 调休 Saturday
    (at(2027, 2, 3), date(2027, 2, 9), True),         # override year: 02-03, 02-04
    (at(2027, 2, 4), date(2027, 2, 9), False),        # 02-04 only; the festival does not count
])
def test_preauth_timeliness_across_holidays(now, treatment_day, timely):
    assert preauth_application_is_timely(now, treatment_day, CAL) is timely


@pytest.mark.parametrize("submitted, decision, billing", [
    (at(2026, 2, 13), date(2026, 2, 24), date(2026, 2, 14)),
    (at(2027, 2, 4), date(2027, 2, 10), date(2027, 2, 9)),
    (at(2027, 9, 30), date(2027, 10, 5), date(2027, 10, 4)),
])
def test_response_deadlines_skip_holidays_and_count_adjusted_days(submitted, decision, billing):
    assert preauth_decision_due(submitted, CAL) == decision
    assert direct_billing_response_due(submitted, CAL) == billing


# ------------------------------------------------------------ the 8,000 boundary


@pytest.mark.parametrize("category", [None, "examination", "other"])
@pytest.mark.parametrize("amount, required", [
    (Decimal("7999.99"), False),
    (Decimal("8000"), True),
    (Decimal("8000.00"), True),
    (Decimal("8000.01"), True),
])
def test_the_8000_yuan_boundary_is_inclusive(category, amount, required):
    decision = needs_preauth(category, amount)
    assert (decision.need is PreauthNeed.REQUIRED) is required
    assert decision.rule == (PreauthRule.PRICE if required else None)


@pytest.mark.parametrize("amount, need", [
    (Decimal("7999.99"), PreauthNeed.NOT_REQUIRED),
    (Decimal("8000"), PreauthNeed.REQUIRED),
    (Decimal("8000.01"), PreauthNeed.REQUIRED),
])
def test_the_8000_yuan_boundary_from_free_text(amount, need):
    _treatment, decision = assess_treatment("做个核磁", amount, load_catalog())
    assert decision.need is need


# --------------------------------------------- every category and members' words


@pytest.mark.parametrize("category, rule", [
    ("inpatient", PreauthRule.INPATIENT),
    ("chemotherapy", PreauthRule.LISTED_TREATMENT),
    ("radiotherapy", PreauthRule.LISTED_TREATMENT),
    ("targeted", PreauthRule.LISTED_TREATMENT),
    ("endocrine", PreauthRule.LISTED_TREATMENT),
    ("immunotherapy", PreauthRule.LISTED_TREATMENT),
    ("dialysis", PreauthRule.LISTED_TREATMENT),
    ("anti_rejection", PreauthRule.LISTED_TREATMENT),
    ("ga_outpatient_surgery", PreauthRule.LISTED_TREATMENT),
    ("durable_equipment", PreauthRule.DURABLE_EQUIPMENT),
    ("specified_drug", PreauthRule.SPECIFIED_DRUG),
    ("examination", None),
    ("other", None),
])
def test_each_catalog_category_maps_to_the_handbook_list(category, rule):
    assert ALWAYS_PREAUTH.get(category) == rule
    assert set(TREATMENT_CATEGORIES) == set(ALWAYS_PREAUTH) | {"examination", "other"}


@pytest.mark.parametrize("text, category, rule", [
    ("医生让我下周开始化疗", "chemotherapy", PreauthRule.LISTED_TREATMENT),
    ("下个月放疗", "radiotherapy", PreauthRule.LISTED_TREATMENT),
    ("一直在吃靶向药", "targeted", PreauthRule.LISTED_TREATMENT),
    ("靶向治疗", "targeted", PreauthRule.LISTED_TREATMENT),
    ("乳腺癌术后内分泌治疗", "endocrine", PreauthRule.LISTED_TREATMENT),
    ("肺癌免疫治疗", "immunotherapy", PreauthRule.LISTED_TREATMENT),
    ("打PD-1", "immunotherapy", PreauthRule.LISTED_TREATMENT),
    ("打K药", "immunotherapy", PreauthRule.LISTED_TREATMENT),
    ("O药要预授权吗", "immunotherapy", PreauthRule.LISTED_TREATMENT),
    ("我爸每周血透", "dialysis", PreauthRule.LISTED_TREATMENT),
    ("在家做腹透", "dialysis", PreauthRule.LISTED_TREATMENT),
    ("长期吃抗排异药", "anti_rejection", PreauthRule.LISTED_TREATMENT),
    ("要做全麻门诊手术", "ga_outpatient_surgery", PreauthRule.LISTED_TREATMENT),
    ("要做全麻的门诊手术", "ga_outpatient_surgery", PreauthRule.LISTED_TREATMENT),
    ("下周住院", "inpatient", PreauthRule.INPATIENT),
    ("买个轮椅", "durable_equipment", PreauthRule.DURABLE_EQUIPMENT),
    ("租家用呼吸机", "durable_equipment", PreauthRule.DURABLE_EQUIPMENT),
    ("买台制氧机", "durable_equipment", PreauthRule.DURABLE_EQUIPMENT),
    ("特定药品能报吗", "specified_drug", PreauthRule.SPECIFIED_DRUG),
    ("用赫赛汀", "specified_drug", PreauthRule.SPECIFIED_DRUG),
])
def test_members_words_for_every_listed_item_need_preauth(text, category, rule):
    treatment, decision = assess_treatment(text, None, load_catalog())
    assert treatment is not None and treatment.category == category
    assert decision.need is PreauthNeed.REQUIRED and decision.rule is rule


def test_materials_follow_the_handbook_and_the_admission_slip_is_for_inpatients():
    assert PREAUTH_MATERIALS == (
        "id_card", "admission_slip", "exam_reports", "outpatient_records", "prescription"
    )
    assert "admission_slip" in required_preauth_materials("inpatient")
    for category in ("chemotherapy", "examination", None):
        assert required_preauth_materials(category) == (
            "id_card", "exam_reports", "outpatient_records", "prescription"
        )


# ------------------------------------------------------------ booking eligibility

# Bought 2026-11-14: a 30-day waiting period, a one-year policy.
NEW_POLICY = PolicyTerms(date(2026, 11, 14), date(2027, 11, 13), date(2026, 12, 14))
ENDING_POLICY = PolicyTerms(date(2025, 12, 1), date(2026, 11, 30), date(2025, 12, 31))
LATER_POLICY = PolicyTerms(date(2026, 12, 1), date(2027, 11, 30), date(2026, 12, 31))
NOW = at(2026, 11, 24)


@pytest.mark.parametrize("policy, day, active, waiting", [
    (NEW_POLICY, date(2026, 11, 13), False, True),
    (NEW_POLICY, date(2026, 11, 14), True, True),
    (NEW_POLICY, date(2026, 12, 13), True, True),
    (NEW_POLICY, date(2026, 12, 14), True, False),   # waiting_period_end: the first day after
    (NEW_POLICY, date(2027, 11, 13), True, False),   # the last day of cover
    (NEW_POLICY, date(2027, 11, 14), False, False),
])
def test_policy_dates(policy, day, active, waiting):
    assert policy_active_on(policy, day) is active
    assert in_waiting_period(policy, day) is waiting


@pytest.mark.parametrize("visit, popular, injury, policy, block", [
    (at(2026, 11, 24, 9), False, False, None, BookingBlock.IN_PAST),
    (at(2026, 11, 24, 10), False, True, None, BookingBlock.IN_PAST),      # starts now
    (at(2026, 11, 24, 14), False, False, None, BookingBlock.TOO_SOON),
    (at(2026, 11, 24, 14), False, True, None, None),                      # accidental injury
    (at(2026, 11, 25, 8), False, False, None, None),
    (at(2026, 11, 30, 9), True, False, None, BookingBlock.POPULAR_EXPERT_LEAD),
    (at(2026, 12, 1, 9), True, False, None, None),                        # a week ahead
    (at(2026, 12, 24, 16), False, False, None, None),                     # today + 30 days
    (at(2026, 12, 25, 8), False, False, None, BookingBlock.BEYOND_HORIZON),
    (at(2026, 12, 13, 9), False, False, NEW_POLICY, BookingBlock.WAITING_PERIOD),
    (at(2026, 11, 24, 14), False, True, NEW_POLICY, BookingBlock.WAITING_PERIOD),
    (at(2026, 12, 14, 9), False, False, NEW_POLICY, None),
    (at(2026, 11, 30, 9), False, False, ENDING_POLICY, None),
    (at(2026, 12, 1, 9), False, False, ENDING_POLICY, BookingBlock.POLICY_INACTIVE),
    (at(2026, 11, 30, 9), False, False, LATER_POLICY, BookingBlock.POLICY_INACTIVE),
])
def test_booking_block_names_the_first_rule_that_forbids_a_visit(visit, popular, injury, policy, block):
    assert booking_block(NOW, CAL, visit, popular, injury, policy) is block


@pytest.mark.parametrize("popular, injury, policy, earliest", [
    (False, False, None, date(2026, 11, 25)),
    (True, False, None, date(2026, 12, 1)),
    (False, True, None, date(2026, 11, 24)),
    (False, False, NEW_POLICY, date(2026, 12, 14)),
    (False, False, LATER_POLICY, date(2026, 12, 31)),
    (False, False, ENDING_POLICY, date(2026, 11, 25)),
])
def test_earliest_bookable_day_adds_the_members_policy(popular, injury, policy, earliest):
    assert earliest_bookable(NOW, CAL, popular, injury, policy) == earliest


def test_the_booking_horizon_is_thirty_days():
    assert last_bookable_day(NOW) == date(2026, 12, 24)


def test_the_service_is_for_the_insured_person_only():
    assert acts_for_self(7, 7) is True
    assert acts_for_self(7, 8) is False


def test_arrival_and_start_times():
    visit = at(2026, 11, 26, 9, 0)
    assert arrive_by(visit) == at(2026, 11, 26, 8, 50)
    assert has_started(visit, visit) and not has_started(visit - timedelta(seconds=1), visit)


@pytest.mark.parametrize("delay, timely", [
    (timedelta(hours=47, minutes=59), True),
    (timedelta(hours=48), True),
    (timedelta(hours=48, minutes=1), False),
])
def test_emergency_notice_within_48_hours(delay, timely):
    start = at(2026, 11, 28, 23, 15)
    assert emergency_notice_is_timely(start + delay, start) is timely
