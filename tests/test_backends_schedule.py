"""The reference timetable (bot/backends/schedule.py): who offers what, when clinics sit,
and the doctors."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time

import pytest

from bot.backends import schedule
from bot.catalog import load_catalog
from bot.clock import SHANGHAI, default_calendar

CATALOG = load_catalog()
CAL = default_calendar()


def offered(hospital_id: str) -> list:
    return schedule.offered_departments(CATALOG.hospital(hospital_id), CATALOG)


@pytest.mark.parametrize("hospital_id, has, lacks", [
    ("ruijin", {"dermatology", "cardiology", "gastroenterology", "oncology"}, set()),
    ("bj_children", {"pediatrics", "pediatric_surgery"}, {"obstetrics", "geriatrics"}),
    ("fd_obgyn", {"gynecology", "obstetrics"}, {"pediatrics", "cardiology"}),
    ("gz_women_children", {"gynecology", "obstetrics", "pediatrics"}, {"urology"}),
    ("fd_cancer", {"oncology", "breast_surgery", "thoracic_surgery"}, {"obstetrics", "pediatrics"}),
    ("pku_stomatology", {"stomatology"}, {"dermatology"}),
    ("zoc", {"ophthalmology"}, {"cardiology"}),
    ("fuwai", {"cardiology", "cardiac_surgery"}, {"dermatology"}),
    ("longhua", {"tcm"}, {"obstetrics"}),
])
def test_hospitals_offer_departments_that_fit_them(hospital_id, has, lacks):
    departments = set(offered(hospital_id))
    assert has <= departments and not lacks & departments


def test_general_hospitals_run_most_departments():
    general = [h for h in CATALOG.hospitals if schedule.hospital_kind(h) == "general"]
    assert len(general) > 50
    for hospital in general:
        assert len(schedule.offered_departments(hospital, CATALOG)) >= 30


@pytest.mark.parametrize("day, halves", [
    (date(2026, 11, 23), ["am", "pm"]),   # Monday
    (date(2026, 11, 28), ["am"]),         # Saturday
    (date(2026, 11, 29), []),             # Sunday
    (date(2026, 10, 1), []),              # National Day
    (date(2026, 10, 10), ["am", "pm"]),   # 调休 Saturday: Friday's timetable
    (date(2027, 2, 8), []),               # Spring Festival 2027 (override file)
])
def test_clinic_half_days(day, halves):
    assert schedule.half_days_on(schedule.department_pattern("dermatology"), day, CAL) == halves


def test_pediatrics_and_emergency_sit_on_sunday_mornings_but_not_on_holidays():
    for department in ("pediatrics", "emergency"):
        pattern = schedule.department_pattern(department)
        assert schedule.half_days_on(pattern, date(2026, 11, 29), CAL) == ["am"]
        assert schedule.half_days_on(pattern, date(2026, 10, 4), CAL) == []


def test_a_day_has_half_hour_sessions_general_clinic_first():
    sessions = schedule.day_sessions(date(2026, 11, 25), CAL, schedule.WEEKDAY_PATTERN,
                                     [(7, ("3am",))])
    general = [s for s in sessions if s.doctor_id is None]
    doctor = [s for s in sessions if s.doctor_id == 7]
    assert len(general) == 8 + 7 and {s.capacity for s in general} == {2}
    assert len(doctor) == 8 and {s.capacity for s in doctor} == {1}
    assert general[0].start == datetime(2026, 11, 25, 8, 0, tzinfo=SHANGHAI)
    assert general[-1].end == datetime(2026, 11, 25, 17, 0, tzinfo=SHANGHAI)
    assert sessions[0].doctor_id is None and sessions[1].doctor_id == 7
    assert time(12, 0) not in {s.start.time() for s in sessions}


def test_doctors_are_deterministic_with_distinct_surnames_per_department():
    assert schedule.doctors_for("ruijin", "dermatology") == schedule.doctors_for("ruijin", "dermatology")
    for hospital in CATALOG.hospitals:
        for department in schedule.offered_departments(hospital, CATALOG):
            doctors = schedule.doctors_for(hospital.id, department)
            assert 1 <= len(doctors) <= 3
            surnames = [d.name[:2] if d.name[:2] in schedule.OTHER_SURNAMES else d.name[0]
                        for d in doctors]
            assert len(set(surnames)) == len(surnames)
            clinic = set(schedule.department_pattern(department))
            for doctor in doctors:
                assert set(doctor.weekly_pattern) <= clinic
                assert doctor.title in schedule.TITLES


def test_common_surnames_appear_and_about_one_doctor_in_five_is_popular():
    doctors = [
        doctor
        for hospital in CATALOG.hospitals
        for department in schedule.offered_departments(hospital, CATALOG)
        for doctor in schedule.doctors_for(hospital.id, department)
    ]
    surnames = Counter(d.name[0] for d in doctors)
    assert all(surnames[s] > 0 for s in schedule.COMMON_SURNAMES)
    popular = sum(d.popular for d in doctors) / len(doctors)
    assert 0.15 < popular < 0.25
    assert all(d.title == "主任医师" and len(d.weekly_pattern) == 1 for d in doctors if d.popular)
    assert all(2 <= len(d.weekly_pattern) <= 3 for d in doctors if not d.popular)
