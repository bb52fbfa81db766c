"""The backends API (bot/backends) over HTTP against real server processes: SQLite by
default, PostgreSQL for the race and idempotency tests. The clock is frozen at TEST_NOW,
Tuesday 2026-11-24 10:00 in Shanghai, so the earliest ordinary visit is Wednesday."""
from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any, List, Optional

import pytest
import requests

from bot.backends.db import Database
from bot.backends.models import Member, MemberChannel
from bot.clock import SHANGHAI
from tests.conftest import Backends, fresh_sqlite_url, start_backends

TIMEOUT = 10
CHINESE = re.compile(r"[\u4e00-\u9fff]")


class Api:
    """A thin client: every POST gets a fresh Idempotency-Key unless one is given."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends

    def get(self, path: str, token: Optional[str] = None, **params: Any) -> requests.Response:
        headers = self.backends.headers()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.get(self.backends.url + path, params=params, headers=headers, timeout=TIMEOUT)

    def post(self, path: str, body: Any = None, key: Optional[str] = "new",
             data: Optional[bytes] = None) -> requests.Response:
        headers = self.backends.headers(uuid.uuid4().hex if key == "new" else key)
        if data is not None:
            return requests.post(self.backends.url + path, data=data, headers=headers, timeout=TIMEOUT)
        return requests.post(self.backends.url + path, json=body, headers=headers, timeout=TIMEOUT)

    def member(self, external_id: str) -> dict:
        response = self.get("/v1/members/lookup", channel="web", external_id=external_id)
        assert response.status_code == 200, response.text
        return response.json()

    def availability(self, **params: Any) -> dict:
        response = self.get("/v1/availability", **params)
        assert response.status_code == 200, response.text
        return response.json()

    def free_slot(self, hospital_id: str = "ruijin", department_id: str = "dermatology",
                  start: str = "2026-11-25", end: Optional[str] = None, **params: Any) -> dict:
        result = self.availability(hospital_id=hospital_id, department_id=department_id,
                                   start=start, end=end or start, **params)
        assert result["available"], result
        return result["slot"]

    def book(self, member_id: int, slot_id: int, **extra: Any) -> requests.Response:
        return self.post("/v1/appointments", {"member_id": member_id, "slot_id": slot_id, **extra})


def assert_error(response: requests.Response, status: int, code: str,
                 field: Optional[str] = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert CHINESE.search(error["message"]), error
    assert "Traceback" not in response.text
    if field is not None:
        assert error["field"] == field
    return error


def add_members(db_url: str, count: int) -> List[int]:
    """Insured members for tests that need many (the seed has four)."""
    db = Database.from_url(db_url)
    try:
        with db.writing() as session:
            members = []
            for _ in range(count):
                tag = uuid.uuid4().hex[:12]
                member = Member(
                    name="测试会员", id_number=f"T{tag}", phone="13900009999",
                    policy_number=f"TEST{tag}", policy_start=date(2026, 1, 1),
                    policy_end=date(2026, 12, 31), waiting_period_end=date(2026, 1, 31),
                    direct_pay_card=None, no_show_count=0,
                    created_at=datetime(2026, 1, 1, tzinfo=SHANGHAI),
                    channels=[MemberChannel(channel="web", external_id=f"test-{tag}")],
                )
                session.add(member)
                members.append(member)
            session.flush()
            return [m.id for m in members]
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def api(backends_server: Backends) -> Api:
    return Api(backends_server)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_api(request) -> Api:
    fixture = "backends_server" if request.param == "sqlite" else "backends_server_postgres"
    return Api(request.getfixturevalue(fixture))


@pytest.fixture(scope="module")
def ready(api: Api) -> dict:
    return api.member("demo-ready")


# ------------------------------------------------------------------ auth and errors


def test_health_and_openapi_need_no_token(api: Api) -> None:
    assert requests.get(api.backends.url + "/health", timeout=TIMEOUT).json() == {"status": "ok"}
    document = requests.get(api.backends.url + "/openapi.yaml", timeout=TIMEOUT)
    assert document.status_code == 200 and document.text.startswith("openapi: 3.0")


@pytest.mark.parametrize("token", ["", "wrong-token", "test-backends-token-and-more"])
def test_v1_routes_refuse_a_missing_or_wrong_token(api: Api, token: str) -> None:
    response = api.get("/v1/members/lookup", token=token, channel="web", external_id="demo-ready")
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_missing_field_is_named_in_chinese(api: Api) -> None:
    error = assert_error(api.post("/v1/appointments", {"slot_id": 1}), 400, "invalid_request",
                         field="member_id")
    assert "member_id" in error["message"]


@pytest.mark.parametrize("body, field", [
    ({"member_id": "one", "slot_id": 1}, "member_id"),
    ({"member_id": 1, "slot_id": 1.5}, "slot_id"),
    ({"member_id": 1, "slot_id": 1, "accidental_injury": "yes"}, "accidental_injury"),
])
def test_wrong_types_are_rejected_with_the_field(api: Api, body: dict, field: str) -> None:
    assert_error(api.post("/v1/appointments", body), 400, "invalid_request", field=field)


def test_malformed_json_is_an_invalid_request(api: Api) -> None:
    assert_error(api.post("/v1/appointments", data=b"{not json"), 400, "invalid_request")


def test_posts_need_an_idempotency_key(api: Api, ready: dict) -> None:
    response = api.post("/v1/appointments", {"member_id": ready["id"], "slot_id": 1}, key=None)
    assert_error(response, 400, "idempotency_key_required", field="Idempotency-Key")
    assert_error(api.post("/v1/appointments", {}, key="x" * 201), 400, "idempotency_key_required")


def test_query_values_are_validated(api: Api) -> None:
    response = api.get("/v1/availability", hospital_id="ruijin", department_id="dermatology",
                       start="next tuesday", end="2026-11-26")
    assert_error(response, 400, "invalid_request", field="start")
    response = api.get("/v1/availability", hospital_id="ruijin", department_id="dermatology",
                       start="2026-11-26T12:00:00+08:00", end="2026-11-26T09:00:00+08:00")
    assert_error(response, 400, "invalid_request", field="end")


def test_unknown_things_are_not_found(api: Api) -> None:
    assert_error(api.get("/v1/members/999999"), 404, "member_not_found")
    assert_error(api.get("/v1/members/lookup", channel="web", external_id="nobody"), 404,
                 "member_not_found")
    assert_error(api.get("/v1/hospitals/nowhere"), 404, "not_found")
    assert_error(api.get("/v1/no-such-route"), 404, "not_found")
    assert_error(api.get("/v1/availability", hospital_id="nowhere", department_id="dermatology",
                         start="2026-11-26", end="2026-11-26"), 404, "not_found", field="hospital_id")


# ------------------------------------------------------------------ demo members


def test_demo_ready_member_can_book_and_has_nothing_yet(api: Api, ready: dict) -> None:
    assert ready["name"] == "陈静"
    assert ready["in_waiting_period"] is False and ready["policy_active"] is True
    assert ready["direct_pay_card"] and ready["no_show_count"] == 0
    assert {"channel": "wechat", "external_id": "oDEMO_ready"} in ready["channels"]
    by_openid = api.get("/v1/members/lookup", channel="wechat", external_id="oDEMO_ready").json()
    assert by_openid["id"] == ready["id"]


def test_demo_waiting_member_is_in_the_waiting_period_for_20_more_days(api: Api) -> None:
    member = api.member("demo-waiting")
    assert member["name"] == "林晓" and member["in_waiting_period"] is True
    assert member["policy_start"] == "2026-11-14"
    assert member["waiting_period_end"] == "2026-12-14"


def test_demo_noshow_member_has_a_no_show_and_two_upcoming_visits(api: Api) -> None:
    member = api.member("demo-noshow")
    assert member["name"] == "王磊" and member["no_show_count"] == 1
    upcoming = api.get(f"/v1/members/{member['id']}/appointments").json()["appointments"]
    assert [a["status"] for a in upcoming] == ["confirmed", "confirmed"]
    assert len({a["slot"]["hospital"]["id"] for a in upcoming}) == 2
    assert len({a["start"][:10] for a in upcoming}) == 2
    assert upcoming[0]["start"] < upcoming[1]["start"]
    everything = api.get(f"/v1/members/{member['id']}/appointments", scope="all").json()
    assert "no_show" in [a["status"] for a in everything["appointments"]]


def test_demo_preauth_member_has_a_chemotherapy_case_under_review(api: Api) -> None:
    member = api.member("demo-preauth")
    profile = api.get(f"/v1/members/{member['id']}/profile").json()
    assert profile["member"]["name"] == "赵敏"
    [case] = profile["preauth_cases"]
    assert case["status"] == "under_review" and case["status_label"] == "审核中"
    assert case["category"] == "chemotherapy" and case["category_label"] == "化疗"
    assert case["hospital"]["id"] == "fd_cancer"
    assert case["submitted_at"].startswith("2026-11-23")
    assert case["decision_due"] == "2026-11-25"  # Monday + 2 working days
    assert case["materials_missing"] == []
    assert [a["status"] for a in profile["appointments"]] == ["confirmed"]
    assert re.fullmatch(r"YS\d{10}", case["reference"])


# ------------------------------------------------------------------ directory


def test_hospitals_resolve_names_aliases_and_ambiguous_words(api: Api) -> None:
    assert [h["id"] for h in api.get("/v1/hospitals", q="瑞金").json()["hospitals"]] == ["ruijin"]
    many = api.get("/v1/hospitals", q="人民医院").json()["hospitals"]
    assert len(many) > 5
    shanghai = api.get("/v1/hospitals", q="人民医院", city="上海").json()["hospitals"]
    assert shanghai and all(h["city"] == "上海" for h in shanghai) and len(shanghai) < len(many)
    assert len(api.get("/v1/hospitals").json()["hospitals"]) == 96


def test_ruijin_runs_dermatology_but_not_on_sunday(api: Api) -> None:
    hospital = api.get("/v1/hospitals/ruijin").json()
    assert hospital["full_name"] == "上海交通大学医学院附属瑞金医院"
    dermatology = next(d for d in hospital["departments"] if d["id"] == "dermatology")
    assert dermatology == {"id": "dermatology", "name": "皮肤科", "weekdays": [1, 2, 3, 4, 5, 6]}


@pytest.mark.parametrize("title", ["主任", "医生", "教授", "大夫"])
def test_doctors_are_found_by_surname_and_title(api: Api, title: str) -> None:
    everyone = api.get("/v1/doctors", hospital_id="ruijin", department_id="dermatology").json()
    doctor = everyone["doctors"][0]
    found = api.get("/v1/doctors", hospital_id="ruijin", department_id="dermatology",
                    name=doctor["name"][0] + title).json()["doctors"]
    assert found == [doctor]
    assert api.get("/v1/doctors", hospital_id="ruijin", department_id="dermatology",
                   name=doctor["name"]).json()["doctors"] == [doctor]


# ------------------------------------------------------------------ availability


def test_sunday_dermatology_at_ruijin_says_so_and_offers_other_times(api: Api) -> None:
    result = api.availability(hospital_id="ruijin", department_id="dermatology",
                              start="2026-11-29T09:00:00+08:00", end="2026-11-29T12:00:00+08:00")
    assert result["available"] is False and result["slot"] is None
    assert result["reason"] == "no_clinic_that_day"
    assert result["message"] == "瑞金医院周日没有皮肤科门诊。"
    assert len(result["alternatives"]) == 5
    for slot in result["alternatives"]:
        assert slot["hospital"]["id"] == "ruijin" and slot["department"]["id"] == "dermatology"
        assert "2026-11-25" <= slot["start"][:10] <= "2026-12-13" and slot["remaining"] > 0
    assert len({s["start"] for s in result["alternatives"]}) == 5
    days = [s["start"][:10] for s in result["alternatives"]]
    assert max(days.count(day) for day in days) <= 2  # spread over several days


def test_a_department_the_hospital_lacks_points_to_others_in_the_city(api: Api) -> None:
    result = api.availability(hospital_id="pku_stomatology", department_id="dermatology",
                              start="2026-11-26", end="2026-11-26")
    assert result["reason"] == "department_not_offered" and "皮肤科" in result["message"]
    others = result["other_hospitals"]
    assert others and all(h["city"] == "北京" for h in others)
    assert "pku_stomatology" not in [h["id"] for h in others]


def test_visits_need_one_working_day_of_notice(api: Api) -> None:
    result = api.availability(hospital_id="ruijin", department_id="dermatology",
                              start="2026-11-24T13:00:00+08:00", end="2026-11-24T17:00:00+08:00")
    assert result["reason"] == "too_soon" and result["earliest_bookable"] == "2026-11-25"
    assert result["message"] == "按规定需至少提前1个工作日预约，最早可约11月25日（周三）。"
    assert result["alternatives"][0]["start"] == "2026-11-25T08:00:00+08:00"


def test_a_window_that_starts_inside_the_experts_week_gets_its_first_slot_after_and_says_why(api: Api) -> None:
    doctors = api.get("/v1/doctors", hospital_id="ruijin", department_id="dermatology").json()
    expert = next(d for d in doctors["doctors"] if d["popular"])
    result = api.availability(hospital_id="ruijin", department_id="dermatology",
                              doctor_id=expert["id"], start="2026-11-24", end="2026-12-08")
    assert result["available"] and result["slot"]["start"] >= "2026-12-01"
    assert result["reason"] is None
    assert expert["name"] in result["message"] and "1周" in result["message"]
    plain = api.availability(hospital_id="ruijin", department_id="dermatology",
                             start="2026-11-26", end="2026-11-27")
    assert plain["available"] and plain["message"] is None      # nothing kept back
    # No doctor named: the expert's week is no reason; today's times kept back are.
    any_doctor = api.availability(hospital_id="ruijin", department_id="dermatology",
                                  start="2026-11-24", end="2026-12-08")
    assert any_doctor["slot"]["start"].startswith("2026-11-25")
    assert any_doctor["message"] == "按规定需至少提前1个工作日预约，最早可约11月25日（周三）。"


def test_accidental_injuries_may_be_seen_today(api: Api) -> None:
    result = api.availability(hospital_id="ruijin", department_id="dermatology",
                              start="2026-11-24T13:00:00+08:00", end="2026-11-24T17:00:00+08:00",
                              accidental_injury="true")
    assert result["available"] and result["slot"]["start"] == "2026-11-24T13:30:00+08:00"
    assert result["earliest_bookable"] == "2026-11-24"


def test_popular_experts_need_a_week(api: Api) -> None:
    doctors = api.get("/v1/doctors", hospital_id="ruijin", department_id="dermatology").json()
    expert = next(d for d in doctors["doctors"] if d["popular"])
    result = api.availability(hospital_id="ruijin", department_id="dermatology",
                              doctor_id=expert["id"], start="2026-11-24", end="2026-11-30")
    assert result["reason"] == "popular_expert_lead"
    assert result["earliest_bookable"] == "2026-12-01"
    assert expert["name"] in result["message"] and "1周" in result["message"]
    first = result["alternatives"][0]
    assert first["doctor"]["id"] == expert["id"] and first["popular_expert"] is True
    assert first["start"] >= "2026-12-01"


def test_the_waiting_period_is_checked_for_a_known_member(api: Api) -> None:
    waiting = api.member("demo-waiting")
    result = api.availability(member_id=waiting["id"], hospital_id="ruijin",
                              department_id="dermatology", start="2026-11-26", end="2026-11-27")
    assert result["reason"] == "waiting_period" and "12月14日" in result["message"]
    assert result["earliest_bookable"] == "2026-12-14"
    assert all(s["start"] >= "2026-12-14" for s in result["alternatives"])


@pytest.mark.parametrize("start, end, reason", [
    ("2026-11-25T12:00:00+08:00", "2026-11-25T13:30:00+08:00", "outside_clinic_hours"),
    ("2026-11-20", "2026-11-21", "in_past"),
    ("2027-01-10", "2027-01-10", "beyond_horizon"),
])
def test_other_reasons_are_named(api: Api, start: str, end: str, reason: str) -> None:
    result = api.availability(hospital_id="ruijin", department_id="dermatology", start=start, end=end)
    assert result["reason"] == reason and CHINESE.search(result["message"])


@pytest.fixture(scope="module")
def holiday_api() -> Api:
    """A second server whose clock is the eve of National Day 2026, after the managers
    leave: the request is handled on 10-08, the first working day after the holiday."""
    backends = start_backends("backends-holiday", fresh_sqlite_url("backends-holiday"),
                              now="2026-09-30T21:00:00+08:00")
    yield Api(backends)
    backends.server.stop()


def test_lead_time_skips_the_national_day_holiday(holiday_api: Api) -> None:
    result = holiday_api.availability(hospital_id="ruijin", department_id="dermatology",
                                      start="2026-10-08", end="2026-10-08")
    assert result["reason"] == "too_soon" and result["earliest_bookable"] == "2026-10-09"
    assert "10月9日（周五）" in result["message"]
    closed = holiday_api.availability(hospital_id="ruijin", department_id="dermatology",
                                      start="2026-10-02", end="2026-10-02")
    assert closed["reason"] == "no_clinic_that_day" and "国庆节" in closed["message"]


def test_an_adjusted_working_saturday_runs_a_weekday_timetable(holiday_api: Api) -> None:
    afternoon = holiday_api.availability(hospital_id="ruijin", department_id="dermatology",
                                         start="2026-10-10T13:30:00+08:00",
                                         end="2026-10-10T17:00:00+08:00")
    assert afternoon["available"] and afternoon["slot"]["start"] == "2026-10-10T13:30:00+08:00"


# ------------------------------------------------------------------ booking


def test_booking_takes_a_place_and_asks_for_direct_billing(api: Api, ready: dict) -> None:
    slot = api.free_slot(start="2026-11-26T15:00:00+08:00", end="2026-11-26T17:00:00+08:00")
    response = api.book(ready["id"], slot["id"])
    assert response.status_code == 201, response.text
    appointment = response.json()
    assert re.fullmatch(r"YY\d{10}", appointment["reference"])
    assert appointment["status"] == "requested" and appointment["member_id"] == ready["id"]
    assert appointment["start"] == slot["start"] == "2026-11-26T15:00:00+08:00"
    assert appointment["arrive_by"] == "2026-11-26T14:50:00+08:00"
    assert appointment["slot"]["remaining"] == slot["remaining"] - 1
    assert appointment["direct_billing"] == {
        "status": "pending", "requested_at": "2026-11-24T10:00:00+08:00", "response_due": "2026-11-25",
    }
    assert [h["status"] for h in appointment["history"]] == ["requested"]
    again = api.book(ready["id"], slot["id"])
    assert_error(again, 409, "duplicate_appointment", field="slot_id")
    same_day = api.free_slot(start="2026-11-26T09:00:00+08:00", end="2026-11-26T12:00:00+08:00")
    assert_error(api.book(ready["id"], same_day["id"]), 409, "duplicate_appointment")


def test_booking_checks_the_rules_again(api: Api, ready: dict) -> None:
    today = api.free_slot(start="2026-11-24T14:00:00+08:00", end="2026-11-24T17:00:00+08:00",
                          accidental_injury="true", department_id="ophthalmology")
    error = assert_error(api.book(ready["id"], today["id"]), 422, "too_soon", field="slot_id")
    assert error["details"]["earliest_bookable"] == "2026-11-25"
    waiting = api.member("demo-waiting")
    later = api.free_slot(start="2026-12-01", department_id="ophthalmology")
    error = assert_error(api.book(waiting["id"], later["id"]), 422, "waiting_period")
    assert "12月14日" in error["message"]
    assert_error(api.book(ready["id"], 99999999), 404, "not_found", field="slot_id")
    assert_error(api.book(99999999, later["id"]), 404, "member_not_found", field="member_id")


def test_a_popular_expert_slot_cannot_be_booked_within_a_week(api: Api, ready: dict) -> None:
    doctors = api.get("/v1/doctors", hospital_id="ruijin", department_id="dermatology").json()
    expert = next(d for d in doctors["doctors"] if d["popular"])
    soon = api.availability(hospital_id="ruijin", department_id="dermatology",
                            doctor_id=expert["id"], start="2026-11-24", end="2026-11-30",
                            accidental_injury="true")["slot"]
    assert soon["popular_expert"] is True
    assert_error(api.book(ready["id"], soon["id"]), 422, "popular_expert_lead")


def test_cancelling_a_day_ahead_is_timely_and_frees_the_place(api: Api, ready: dict) -> None:
    slot = api.free_slot(department_id="ophthalmology", start="2026-11-27")
    appointment = api.book(ready["id"], slot["id"]).json()
    response = api.post(f"/v1/appointments/{appointment['id']}/cancel", {"member_id": ready["id"]})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["late"] is False and result["warning"] is None
    assert result["appointment"]["status"] == "cancelled"
    assert result["appointment"]["slot"]["remaining"] == slot["remaining"]
    again = api.post(f"/v1/appointments/{appointment['id']}/cancel", {"member_id": ready["id"]})
    assert_error(again, 409, "not_active")


def test_a_late_cancellation_is_allowed_with_the_no_show_warning(api: Api, ready: dict) -> None:
    slot = api.free_slot(department_id="ent", start="2026-11-24T15:00:00+08:00",
                         end="2026-11-24T17:00:00+08:00", accidental_injury="true")
    booked = api.book(ready["id"], slot["id"], accidental_injury=True)
    assert booked.status_code == 201, booked.text
    appointment = booked.json()
    result = api.post(f"/v1/appointments/{appointment['id']}/cancel", {"member_id": ready["id"]}).json()
    assert result["late"] is True and result["appointment"]["late_change"] is True
    for words in ("爽约", "后续预约和直付", "挂号费/诊查费", "自行承担"):
        assert words in result["warning"]


def test_the_appointment_list_says_the_late_change_warning_before_any_change(
        api: Api, ready: dict) -> None:
    """Warnings before the yes (issue 12): a visit less than 24 hours away carries the
    warnings a change would get; one further away carries none."""
    soon = api.free_slot(department_id="dermatology", hospital_id="huashan",
                         start="2026-11-24T15:00:00+08:00", end="2026-11-24T17:00:00+08:00",
                         accidental_injury="true")
    later = api.free_slot(department_id="urology", start="2026-11-27")
    soon_id = api.book(ready["id"], soon["id"], accidental_injury=True).json()["id"]
    later_id = api.book(ready["id"], later["id"]).json()["id"]
    listed = {a["id"]: a for a in api.get(f"/v1/members/{ready['id']}/appointments").json()[
        "appointments"]}
    warning = listed[soon_id]["change_warning"]
    assert "现在取消" in warning["cancel"] and "现在改约" in warning["reschedule"]
    assert "不足24小时" in warning["cancel"]
    assert "爽约" in warning["cancel"]
    assert listed[later_id]["change_warning"] is None
    later_start = datetime.fromisoformat(listed[later_id]["start"])
    assert datetime.fromisoformat(listed[later_id]["change_by"]) == later_start - timedelta(days=1)
    for appointment_id in (soon_id, later_id):
        api.post(f"/v1/appointments/{appointment_id}/cancel", {"member_id": ready["id"]})


def test_only_the_member_may_change_their_appointment(api: Api, ready: dict) -> None:
    other = api.member("demo-noshow")
    upcoming = api.get(f"/v1/members/{other['id']}/appointments").json()["appointments"][0]
    response = api.post(f"/v1/appointments/{upcoming['id']}/cancel", {"member_id": ready["id"]})
    assert_error(response, 403, "not_your_appointment")


def test_rescheduling_moves_the_place_in_one_step(api: Api) -> None:
    member = api.member("demo-noshow")
    first = api.get(f"/v1/members/{member['id']}/appointments").json()["appointments"][0]
    old_slot = first["slot"]
    new_slot = api.free_slot(hospital_id=old_slot["hospital"]["id"],
                             department_id=old_slot["department"]["id"], start="2026-12-03")
    response = api.post(f"/v1/appointments/{first['id']}/reschedule",
                        {"member_id": member["id"], "slot_id": new_slot["id"]})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["late"] is False and result["warning"] is None
    moved = result["appointment"]
    assert moved["status"] == "changed" and moved["slot"]["id"] == new_slot["id"]
    assert moved["slot"]["remaining"] == new_slot["remaining"] - 1
    assert "改约" in moved["history"][-1]["note"]
    assert moved["direct_billing"]["status"] == "pending"
    old_now = api.availability(hospital_id=old_slot["hospital"]["id"],
                               department_id=old_slot["department"]["id"],
                               start=old_slot["start"], end=old_slot["end"])
    assert old_now["slot"]["id"] == old_slot["id"]
    assert old_now["slot"]["remaining"] == old_slot["remaining"] + 1


def test_operator_status_changes_follow_the_lifecycle(api: Api, ready: dict) -> None:
    slot = api.free_slot(department_id="stomatology", start="2026-11-30")
    appointment = api.book(ready["id"], slot["id"]).json()
    path = f"/v1/appointments/{appointment['id']}/status"
    confirmed = api.post(path, {"status": "confirmed", "note": "医院已确认"})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert_error(api.post(path, {"status": "confirmed"}), 409, "invalid_transition", field="status")
    assert_error(api.post(path, {"status": "cancelled"}), 400, "invalid_request", field="status")
    before = api.member("demo-ready")["no_show_count"]
    missed = api.post(path, {"status": "no_show", "note": "未到诊"}).json()
    assert [h["status"] for h in missed["history"]] == ["requested", "confirmed", "no_show"]
    assert api.member("demo-ready")["no_show_count"] == before + 1
    assert_error(api.post(path, {"status": "attended"}), 409, "invalid_transition")


# ------------------------------------------------------------------ idempotency and races


def test_a_retried_booking_replays_the_answer_and_books_once(any_api: Api) -> None:
    [member_id] = add_members(any_api.backends.db_url, 1)
    slot = any_api.free_slot(department_id="neurology", start="2026-12-02")
    key = uuid.uuid4().hex
    first = any_api.post("/v1/appointments", {"member_id": member_id, "slot_id": slot["id"]}, key=key)
    retry = any_api.post("/v1/appointments", {"slot_id": slot["id"], "member_id": member_id}, key=key)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers.get("Idempotent-Replay") == "true"
    assert "Idempotent-Replay" not in first.headers
    booked = any_api.get(f"/v1/members/{member_id}/appointments").json()["appointments"]
    assert len(booked) == 1
    reused = any_api.post("/v1/appointments", {"member_id": member_id, "slot_id": slot["id"] + 1}, key=key)
    assert_error(reused, 409, "idempotency_key_reused")


def test_a_stored_error_is_replayed_too(any_api: Api) -> None:
    key = uuid.uuid4().hex
    body = {"member_id": 99999999, "slot_id": 1}
    first = any_api.post("/v1/appointments", body, key=key)
    retry = any_api.post("/v1/appointments", body, key=key)
    assert_error(first, 404, "member_not_found")
    assert retry.status_code == 404 and retry.json() == first.json()
    assert retry.headers.get("Idempotent-Replay") == "true"


def _doctor_slot(api: Api, department_id: str, start: str) -> dict:
    """A slot of a named doctor (capacity 1) at 华山医院 on or after `start`."""
    doctors = api.get("/v1/doctors", hospital_id="huashan", department_id=department_id).json()
    doctor = next(d for d in doctors["doctors"] if not d["popular"])
    return api.free_slot(hospital_id="huashan", department_id=department_id,
                         doctor_id=doctor["id"], start=start, end="2026-12-20")


def test_eight_members_racing_for_the_last_place_get_one_booking(any_api: Api) -> None:
    members = add_members(any_api.backends.db_url, 8)
    slot = _doctor_slot(any_api, "cardiology", "2026-12-01")
    assert slot["capacity"] == 1 and slot["remaining"] == 1
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda m: any_api.book(m, slot["id"]), members))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 7, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "slot_full"
    after = any_api.availability(hospital_id="huashan", department_id="cardiology",
                                 doctor_id=slot["doctor"]["id"], start=slot["start"], end=slot["end"])
    assert after["reason"] == "fully_booked"
    holders = [m for m in members
               if any_api.get(f"/v1/members/{m}/appointments").json()["appointments"]]
    assert len(holders) == 1


def test_concurrent_retries_with_one_key_write_once(any_api: Api) -> None:
    [member_id] = add_members(any_api.backends.db_url, 1)
    slot = any_api.free_slot(hospital_id="huashan", department_id="orthopedics", start="2026-12-02")
    key = uuid.uuid4().hex
    body = {"member_id": member_id, "slot_id": slot["id"]}
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: any_api.post("/v1/appointments", body, key=key), range(6)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replay") == "true" for r in responses) == 5
    booked = any_api.get(f"/v1/members/{member_id}/appointments").json()["appointments"]
    assert len(booked) == 1 and booked[0]["slot"]["remaining"] == slot["remaining"] - 1


# ------------------------------------------------------------------ pre-auth


@pytest.mark.parametrize("text, amount, need, rule, category", [
    ("下周化疗", None, "required", 2, "chemotherapy"),
    ("打PD-1", None, "required", 2, "immunotherapy"),
    ("租个制氧机", None, "required", 3, "durable_equipment"),
    ("要住院", None, "required", 1, "inpatient"),
    ("做个PET-CT", None, "need_price", None, "examination"),
    ("做个PET-CT", "7999.99", "not_required", None, "examination"),
    ("做个PET-CT", "8000", "required", 5, "examination"),
    ("想去植发", None, "unknown", None, None),
])
def test_assess_says_whether_preauth_is_needed_and_why(api: Api, text, amount, need, rule, category) -> None:
    params = {"text": text} if amount is None else {"text": text, "amount": amount}
    result = api.get("/v1/preauth/assess", **params).json()
    assert (result["need"], result["rule"], result["category"]) == (need, rule, category)
    assert CHINESE.search(result["reason"])
    if rule is not None:
        assert f"第{rule}类" in result["reason"]


def test_assess_quotes_the_handbook(api: Api) -> None:
    chemo = api.get("/v1/preauth/assess", text="化疗").json()
    assert chemo["category_label"] == "化疗"
    assert chemo["reason"].startswith("化疗属于需要预授权的项目（第2类：化学治疗、放射治疗")
    price = api.get("/v1/preauth/assess", text="做核磁").json()
    assert "大概多少钱？单项满8000元需要预授权。" in price["reason"]
    unknown = api.get("/v1/preauth/assess", text="植发").json()
    assert "健康管家" in unknown["reason"]


def test_assess_warns_before_a_late_application(api: Api) -> None:
    """Tuesday 10:00: Wednesday leaves one working day (Tuesday), Thursday two."""
    late = api.get("/v1/preauth/assess", text="化疗", planned_date="2026-11-25").json()
    assert "不足2个工作日" in late["late_warning"]
    timely = api.get("/v1/preauth/assess", text="化疗", planned_date="2026-11-26").json()
    assert timely["late_warning"] is None
    assert api.get("/v1/preauth/assess", text="化疗").json()["late_warning"] is None
    assert api.get("/v1/preauth/assess", text="化疗", planned_date="下周").status_code == 400


def test_applying_for_preauth_lists_what_is_missing(api: Api, ready: dict) -> None:
    response = api.post("/v1/preauth-cases", {
        "member_id": ready["id"], "treatment": "下周一做化疗", "hospital_id": "fd_cancer",
        "planned_date": "2026-11-30", "amount": 12000, "materials": ["id_card", "exam_reports"],
    })
    assert response.status_code == 201, response.text
    case = response.json()
    assert re.fullmatch(r"YS\d{10}", case["reference"])
    assert case["status"] == "submitted" and case["status_label"] == "已提交"
    assert case["treatment"] == {"id": "chemotherapy", "name": "化学治疗", "category": "chemotherapy"}
    assert case["amount"] == 12000 and case["hospital"]["name"] == "复旦大学附属肿瘤医院"
    assert case["materials_missing"] == ["outpatient_records", "prescription"]
    assert case["timely"] is True and case["warning"] is None
    assert case["decision_due"] == "2026-11-26"
    assert api.get(f"/v1/preauth-cases/{case['reference']}", member_id=ready["id"]).json() == case
    # Another member's case does not exist for them, whoever asks.
    refused = api.get(f"/v1/preauth-cases/{case['reference']}", member_id=ready["id"] + 1)
    assert refused.status_code == 404
    assert api.get(f"/v1/preauth-cases/{case['reference']}").status_code == 400
    listed = api.get(f"/v1/members/{ready['id']}/preauth-cases").json()["preauth_cases"]
    assert listed[0]["id"] == case["id"]


def test_inpatient_cases_need_the_admission_slip(api: Api, ready: dict) -> None:
    case = api.post("/v1/preauth-cases", {
        "member_id": ready["id"], "treatment": "住院做关节置换", "hospital_id": None,
        "planned_date": "2026-12-10", "amount": None, "materials": [],
    }).json()
    assert case["category"] == "inpatient" and "admission_slip" in case["materials_missing"]


def test_a_late_preauth_application_is_taken_with_a_warning(api: Api, ready: dict) -> None:
    case = api.post("/v1/preauth-cases", {
        "member_id": ready["id"], "treatment": "血透", "planned_date": "2026-11-25",
        "materials": ["id_card"],
    }).json()
    assert case["timely"] is False and "2个工作日" in case["warning"]


def test_preauth_applications_are_validated(api: Api, ready: dict) -> None:
    past = api.post("/v1/preauth-cases", {"member_id": ready["id"], "treatment": "化疗",
                                          "planned_date": "2026-11-20"})
    assert_error(past, 422, "in_past", field="planned_date")
    unknown = api.post("/v1/preauth-cases", {"member_id": ready["id"], "treatment": "化疗",
                                             "planned_date": "2026-12-01", "materials": ["selfie"]})
    error = assert_error(unknown, 400, "invalid_request", field="materials")
    assert error["details"]["unknown"] == ["selfie"]


def test_preauth_review_follows_its_lifecycle(api: Api, ready: dict) -> None:
    case = api.post("/v1/preauth-cases", {"member_id": ready["id"], "treatment": "放疗",
                                          "planned_date": "2026-12-07"}).json()
    path = f"/v1/preauth-cases/{case['id']}/status"
    assert api.post(path, {"status": "under_review"}).json()["status_label"] == "审核中"
    approved = api.post(path, {"status": "approved", "note": "同意，按合同约定赔付"}).json()
    assert approved["status"] == "approved" and approved["status_note"] == "同意，按合同约定赔付"
    assert [h["status"] for h in approved["history"]] == ["submitted", "under_review", "approved"]
    assert_error(api.post(path, {"status": "under_review"}), 409, "invalid_transition")


# ------------------------------------------------------------------ emergencies


def test_emergency_notifications_get_the_48_hour_deadline(api: Api, ready: dict) -> None:
    timely = api.post("/v1/emergency-notifications", {
        "member_id": ready["id"], "description": "夜里胸痛去了急诊", "hospital": "仁济医院",
        "treatment_start": "2026-11-23T22:00:00+08:00",
    })
    assert timely.status_code == 201, timely.text
    notice = timely.json()
    assert notice["deadline"] == "2026-11-25T22:00:00+08:00" and notice["on_time"] is True
    late = api.post("/v1/emergency-notifications", {
        "member_id": ready["id"], "description": "上周五骨折住院",
        "treatment_start": "2026-11-20T09:00:00+08:00",
    }).json()
    assert late["on_time"] is False
    listed = api.get(f"/v1/members/{ready['id']}/emergency-notifications").json()
    assert [n["id"] for n in listed["emergency_notifications"][:2]] == [late["id"], notice["id"]]


def test_an_emergency_is_recorded_even_for_an_unknown_member(api: Api) -> None:
    response = api.post("/v1/emergency-notifications", {
        "member_id": None, "channel": "wechat", "external_id": "oUNKNOWN", "description": "车祸",
    })
    assert response.status_code == 201, response.text
    notice = response.json()
    assert notice["member_id"] is None and notice["treatment_start"] == "2026-11-24T10:00:00+08:00"
    assert notice["deadline"] == "2026-11-26T10:00:00+08:00" and notice["on_time"] is True


def test_a_members_own_health_manager_is_named_changed_and_cleared(api: Api) -> None:
    [member_id] = add_members(api.backends.db_url, 1)
    assert api.get(f"/v1/members/{member_id}").json()["health_manager"] is None
    named = api.post(f"/v1/members/{member_id}/health-manager", {"health_manager": "wang"})
    assert named.status_code == 200, named.text
    assert named.json()["health_manager"] == "wang"
    api.post(f"/v1/members/{member_id}/health-manager", {"health_manager": "li"})
    assert api.get(f"/v1/members/{member_id}").json()["health_manager"] == "li"
    cleared = api.post(f"/v1/members/{member_id}/health-manager", {"health_manager": None})
    assert cleared.json()["health_manager"] is None
    assert_error(api.post(f"/v1/members/{member_id}/health-manager",
                          {"health_manager": "王 芳"}), 400, "invalid_request",
                 field="health_manager")
    assert_error(api.post("/v1/members/999999/health-manager", {"health_manager": "wang"}),
                 404, "member_not_found")


def test_the_demo_members_own_manager_is_the_demo_console_account(api: Api) -> None:
    assert api.member("demo-ready")["health_manager"] == "manager"
