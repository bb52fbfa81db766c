"""GET /v1/notices (bot/backends/notices.py), what the reminders job asks for, over HTTP
against a real backends server on a SQLite file of its own (its bookings and decisions
stay out of the shared server's tests). Clock at TEST_NOW, Tuesday 2026-11-24 10:00."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.conftest import fresh_sqlite_url, start_backends
from tests.test_backends_api import Api, assert_error
from tests.test_backends_app import conforms, document  # noqa: F401 (fixtures)

PERSONAL = ("name", "phone", "policy_number", "id_number", "treatment", "treatment_text",
            "status_note", "amount", "history")


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    backends = start_backends("backends-notices", fresh_sqlite_url("backends-notices"))
    yield Api(backends)
    backends.server.stop()


def notices(api: Api, **params) -> dict:
    response = api.get("/v1/notices", **params)
    assert response.status_code == 200, response.text
    return response.json()


def references(items: list) -> list:
    return [item["reference"] for item in items]


def test_a_service_reads_the_visits_of_a_day_with_where_to_reach_the_member(
        api: Api, conforms) -> None:
    noshow = api.member("demo-noshow")
    due = notices(api, appointments_on="2026-11-27")
    conforms("NoticesDue", due)
    assert due["as_of"] == "2026-11-24T10:00:00+08:00" and due["preauth_decisions"] == []
    [visit] = [v for v in due["appointment_reminders"] if v["member_id"] == noshow["id"]]
    assert visit["status"] == "confirmed" and visit["start"] == "2026-11-27T09:00:00+08:00"
    assert visit["arrive_by"] == "2026-11-27T08:50:00+08:00"
    assert visit["change_by"] == "2026-11-26T09:00:00+08:00"
    assert visit["hospital"]["name"] == "瑞金医院" and visit["department"]["name"] == "消化内科"
    assert visit["channels"] == [{"channel": "web", "external_id": "demo-noshow"},
                                 {"channel": "wechat", "external_id": "oDEMO_noshow"}]
    assert not set(PERSONAL) & set(visit)
    # The other visit (from 5 days on) is not that day's.
    assert all(v["start"].startswith("2026-11-27") for v in due["appointment_reminders"])


def test_only_visits_still_booked_are_listed(api: Api) -> None:
    ready = api.member("demo-ready")
    kept = api.book(ready["id"], api.free_slot(department_id="ophthalmology")["id"]).json()
    cancelled = api.book(ready["id"], api.free_slot(
        department_id="dermatology", start="2026-11-25T13:30:00+08:00",
        end="2026-11-25T17:00:00+08:00")["id"]).json()
    assert api.post(f"/v1/appointments/{cancelled['id']}/cancel",
                    {"member_id": ready["id"]}).status_code == 200
    tomorrow = references(notices(api, appointments_on="2026-11-25")["appointment_reminders"])
    assert kept["reference"] in tomorrow and cancelled["reference"] not in tomorrow
    assert api.post(f"/v1/appointments/{kept['id']}/status",
                    {"status": "attended"}).status_code == 200
    tomorrow = references(notices(api, appointments_on="2026-11-25")["appointment_reminders"])
    assert kept["reference"] not in tomorrow
    assert notices(api, appointments_on="2026-11-26")["appointment_reminders"] == []


def test_a_decision_is_listed_from_the_time_it_was_made(api: Api, conforms) -> None:
    member = api.member("demo-preauth")
    [case] = api.get(f"/v1/members/{member['id']}/preauth-cases").json()["preauth_cases"]
    assert case["status"] == "under_review"
    assert notices(api, decided_since="2026-11-01")["preauth_decisions"] == []  # undecided
    assert api.post(f"/v1/preauth-cases/{case['reference']}/status",
                    {"status": "approved", "note": "同意，化疗方案见病历"}).status_code == 200
    due = notices(api, decided_since="2026-11-24T09:45:00+08:00")
    conforms("NoticesDue", due)
    [decision] = due["preauth_decisions"]
    assert decision["reference"] == case["reference"] and decision["member_id"] == member["id"]
    assert decision["status"] == "approved" and decision["status_label"] == "已通过"
    assert decision["decided_at"] == "2026-11-24T10:00:00+08:00"
    assert decision["planned_date"] == case["planned_date"]
    assert decision["hospital"]["id"] == "fd_cancer"
    assert {"channel": "wechat", "external_id": "oDEMO_preauth"} in decision["channels"]
    assert not set(PERSONAL) & set(decision)  # not the treatment, not the reviewer's note
    # Since a moment after the decision (a naive time is Shanghai's): nothing.
    assert notices(api, decided_since="2026-11-24T10:00:01")["preauth_decisions"] == []


def test_a_declined_case_is_a_decision_and_a_request_for_material_is_not(api: Api) -> None:
    ready = api.member("demo-ready")
    declined = api.post("/v1/preauth-cases", {"member_id": ready["id"], "treatment": "放疗",
                                              "planned_date": "2026-12-07"}).json()
    waiting = api.post("/v1/preauth-cases", {"member_id": ready["id"], "treatment": "化疗",
                                             "planned_date": "2026-12-08"}).json()
    api.post(f"/v1/preauth-cases/{declined['id']}/status", {"status": "declined"})
    api.post(f"/v1/preauth-cases/{waiting['id']}/status", {"status": "more_info_needed"})
    decided = notices(api, decided_since="2026-11-24")["preauth_decisions"]
    assert declined["reference"] in references(decided)
    assert waiting["reference"] not in references(decided)
    assert next(d for d in decided if d["reference"] == declined["reference"])[
        "status_label"] == "未通过"


def test_an_unlinked_identity_is_not_listed(api: Api) -> None:
    member = api.member("demo-noshow")
    assert api.post("/v1/members/unlink", {"channel": "wechat",
                                          "external_id": "oDEMO_noshow"}).status_code == 200
    due = notices(api, appointments_on="2026-11-27")["appointment_reminders"]
    [visit] = [v for v in due if v["member_id"] == member["id"]]
    assert visit["channels"] == [{"channel": "web", "external_id": "demo-noshow"}]


def test_the_read_needs_a_question_well_formed_and_the_token(api: Api) -> None:
    assert_error(api.get("/v1/notices"), 400, "invalid_request", field="appointments_on")
    assert_error(api.get("/v1/notices", appointments_on="下周三"), 400, "invalid_request",
                 field="appointments_on")
    assert_error(api.get("/v1/notices", decided_since="昨天"), 400, "invalid_request",
                 field="decided_since")
    assert api.get("/v1/notices", token="wrong", appointments_on="2026-11-25").status_code == 401
