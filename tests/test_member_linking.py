"""Linking a chat identity to a member's policy (bot/backends/linking.py): the limits as
pure functions, POST /v1/members/link and /unlink over HTTP against real servers
(SQLite; PostgreSQL for the race), and the link form's actions (actions/link.py) against
the same server. The clock is frozen at TEST_NOW, 2026-11-24 10:00."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any, Iterator, Optional

import jsonschema
import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import backend as action_backend
from actions.link import ActionLinkPolicy, ActionStartLink, ValidateLinkForm
from bot.backends import linking
from bot.backends.app import OPENAPI_PATH
from bot.backends.db import Database
from bot.backends.models import LinkAttempt, Member
from bot.clock import SHANGHAI
from bot.processes import free_port
from tests.conftest import Backends, start_backends
from tests.test_backends_api import Api, assert_error
from tests.rest import member_tracker
from tests.test_backends_app import _json_schema

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
DEMO_WAITING = {"policy_number": "ZAHM2026000002", "phone_last4": "0002"}  # 林晓


# ------------------------------------------------------------------ pure rules


def test_a_failure_counts_for_24_hours_exactly() -> None:
    failures = [NOW - timedelta(hours=23, minutes=59)] * 5
    assert linking.allowance(failures, NOW, 5).locked
    assert linking.allowance(failures, NOW + timedelta(minutes=1), 5).remaining == 5


def test_a_lock_lasts_until_the_oldest_counted_failure_leaves_the_window() -> None:
    failures = [NOW - timedelta(hours=h) for h in (30, 20, 10, 5, 2, 1)]
    locked = linking.allowance(failures, NOW, 5)
    assert locked.locked and locked.retry_after == NOW + timedelta(hours=4)
    assert linking.allowance(failures[:-1], NOW, 5).remaining == 1


def test_the_retry_time_is_rounded_up_to_the_minute_members_are_told() -> None:
    failures = [NOW + timedelta(seconds=1)] * 5
    later = NOW + timedelta(seconds=1)
    assert linking.allowance(failures, later, 5).retry_after == NOW + timedelta(days=1, minutes=1)


def test_both_limits_apply_the_tighter_wins() -> None:
    assert linking.link_allowance([NOW] * 2, [NOW] * 8, NOW).remaining == 2
    by_policy = linking.link_allowance([], [NOW - timedelta(hours=1)] * 10, NOW)
    assert by_policy.locked and by_policy.retry_after == NOW + timedelta(hours=23)
    both = linking.link_allowance([NOW] * 5, [NOW - timedelta(hours=1)] * 10, NOW)
    assert both.retry_after == NOW + timedelta(hours=24)


@pytest.mark.parametrize("phone, last4, matches", [
    ("13900000002", "0002", True),
    ("+86 139-0000-0002", "0002", True),
    ("13900000002", "2000", False),
    ("", "0000", False),
])
def test_the_phone_tail_is_the_last_four_digits(phone, last4, matches) -> None:
    assert linking.phone_tail_matches(phone, last4) is matches


def test_policy_numbers_are_normalised_and_hashed() -> None:
    assert linking.normalise_policy_number(" zahm 2026-0000 02 ") == "ZAHM2026000002"
    hashed = linking.policy_hash("zahm2026000002")
    assert hashed == linking.policy_hash("ZAHM2026000002") and len(hashed) == 64
    assert "2026000002" not in hashed


# ------------------------------------------------------------------ over HTTP


class LinkApi(Api):
    def link(self, external_id: str, channel: str = "wechat", key: Optional[str] = "new",
             **factors: Any):
        return self.post("/v1/members/link", {"channel": channel, "external_id": external_id,
                                              **factors}, key=key)

    def unlink(self, external_id: str, channel: str = "wechat"):
        return self.post("/v1/members/unlink", {"channel": channel, "external_id": external_id})

    def lookup(self, external_id: str, channel: str = "wechat"):
        return self.get("/v1/members/lookup", channel=channel, external_id=external_id)


@pytest.fixture(scope="module")
def api(backends_server: Backends) -> LinkApi:
    return LinkApi(backends_server)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_api(request) -> LinkApi:
    fixture = "backends_server" if request.param == "sqlite" else "backends_server_postgres"
    return LinkApi(request.getfixturevalue(fixture))


def openid() -> str:
    return f"oTEST_{uuid.uuid4().hex[:16]}"


def unknown_policy() -> str:
    return f"ZAHM9{uuid.uuid4().int % 10**9:09d}"


def add_member(db_url: str, phone: str = "13900005678", policy_end: date = date(2027, 6, 30)
               ) -> dict:
    """A member of their own (the per-policy limit must not lock the demo members)."""
    tag = uuid.uuid4().hex[:10].upper()
    db = Database.from_url(db_url)
    try:
        with db.writing() as session:
            member = Member(
                name="欧阳晓明", id_number=f"L{tag}", phone=phone, policy_number=f"ZAHM{tag}",
                policy_start=policy_end - timedelta(days=364), policy_end=policy_end,
                waiting_period_end=policy_end - timedelta(days=334), direct_pay_card=None,
                no_show_count=0, created_at=NOW - timedelta(days=30),
            )
            session.add(member)
            session.flush()
            return {"id": member.id, "policy_number": member.policy_number,
                    "phone_last4": phone[-4:]}
    finally:
        db.dispose()


def factors(member: dict, phone_last4: Optional[str] = None) -> dict:
    return {"policy_number": member["policy_number"],
            "phone_last4": phone_last4 or member["phone_last4"]}


@pytest.fixture(scope="module")
def conforms() -> Iterator:
    document = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
    components = _json_schema(document["components"])

    def check(schema_name: str, instance: Any) -> None:
        schema = {"$ref": f"#/components/schemas/{schema_name}", "components": components}
        jsonschema.Draft7Validator(schema).validate(instance)
    yield check


def test_a_new_follower_links_with_the_policy_number_and_phone_tail(api: LinkApi,
                                                                      conforms) -> None:
    follower = openid()
    assert_error(api.lookup(follower), 404, "member_not_found")
    response = api.link(follower, policy_number="zahm 2026 0000 02", phone_last4="0002")
    assert response.status_code == 201, response.text
    body = response.json()
    conforms("LinkResult", body)
    assert body["result"] == "linked"
    assert (body["channel"], body["external_id"]) == ("wechat", follower)
    assert body["member"] == {"id": api.member("demo-waiting")["id"], "name": "林*",
                              "policy_number": "ZAHM******0002", "policy_active": True,
                              "in_waiting_period": True}
    for personal in ("林晓", "ZAHM2026000002", "13900000002", "oDEMO_waiting", "demo-waiting"):
        assert personal not in response.text  # masked, and no other identity of hers
    assert api.lookup(follower).json()["name"] == "林晓"


def test_a_retried_link_replays_and_a_new_request_says_already_linked(api: LinkApi) -> None:
    follower, key = openid(), uuid.uuid4().hex
    first = api.link(follower, key=key, **DEMO_WAITING)
    retry = api.link(follower, key=key, **DEMO_WAITING)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry.headers.get("Idempotent-Replay") == "true"
    again = api.link(follower, **DEMO_WAITING)
    assert again.status_code == 200 and again.json()["result"] == "already_linked"


def test_a_mismatch_is_one_generic_answer_with_the_tries_left(api: LinkApi) -> None:
    member = add_member(api.backends.db_url)
    ended = add_member(api.backends.db_url, policy_end=date(2026, 11, 23))
    wrong_digits = api.link(openid(), **factors(member, "9999"))
    unknown = api.link(openid(), policy_number=unknown_policy(), phone_last4="0002")
    not_in_force = api.link(openid(), **factors(ended))
    errors = [assert_error(r, 422, "link_mismatch") for r in (wrong_digits, unknown, not_in_force)]
    assert all(e == errors[0] for e in errors)  # nothing tells which part was wrong
    assert errors[0]["field"] is None
    assert errors[0]["details"] == {"remaining_attempts": 4, "retry_after": None}
    assert "还可以再试4次" in errors[0]["message"]


def test_five_failures_lock_the_identity_for_24_hours(api: LinkApi) -> None:
    member, follower = add_member(api.backends.db_url), openid()
    remaining = [api.link(follower, **factors(member, "0000")).json()["error"]["details"]
                 ["remaining_attempts"] for _ in range(5)]
    assert remaining == [4, 3, 2, 1, 0]
    right = api.link(follower, **factors(member))  # even the right digits: locked
    error = assert_error(right, 429, "link_locked")
    assert error["details"]["retry_after"] == "2026-11-25T10:00:00+08:00"
    assert "952299" in error["message"] and "11月25日（周三）10:00" in error["message"]
    assert_error(api.lookup(follower), 404, "member_not_found")
    # Another identity may still try this policy (it has 5 of its 10 failures left).
    assert api.link(openid(), **factors(member)).status_code == 201


def test_the_last_failure_says_the_tries_are_used_up_and_whom_to_call(api: LinkApi) -> None:
    member, follower = add_member(api.backends.db_url), openid()
    for _ in range(4):
        api.link(follower, **factors(member, "0000"))
    last = assert_error(api.link(follower, **factors(member, "0000")), 422, "link_mismatch")
    assert last["details"] == {"remaining_attempts": 0,
                               "retry_after": "2026-11-25T10:00:00+08:00"}
    assert "验证次数已用完" in last["message"] and "952299" in last["message"]


def test_ten_failures_at_one_policy_lock_it_for_everyone(api: LinkApi) -> None:
    member = add_member(api.backends.db_url)
    for _ in range(10):
        assert_error(api.link(openid(), **factors(member, "1111")), 422, "link_mismatch")
    assert_error(api.link(openid(), **factors(member)), 429, "link_locked")


def test_a_lock_ends_24_hours_after_the_failures(api: LinkApi) -> None:
    member, follower = add_member(api.backends.db_url), openid()
    for _ in range(5):
        api.link(follower, **factors(member, "0000"))
    assert_error(api.link(follower, **factors(member)), 429, "link_locked")
    later = start_backends("backends-linking-later", api.backends.db_url,
                           now="2026-11-25T10:00:00+08:00")
    try:
        response = LinkApi(later).link(follower, **factors(member))
        assert response.status_code == 201, response.text
    finally:
        later.server.stop()


def test_a_linked_identity_moves_only_with_the_other_members_factors(api: LinkApi) -> None:
    member, follower = add_member(api.backends.db_url), openid()
    assert api.link(follower, **DEMO_WAITING).status_code == 201
    assert_error(api.link(follower, **factors(member, "0000")), 422, "link_mismatch")
    assert api.lookup(follower).json()["policy_number"] == "ZAHM2026000002"
    moved = api.link(follower, **factors(member))
    assert moved.status_code == 200 and moved.json()["result"] == "relinked"
    assert api.lookup(follower).json()["id"] == member["id"]


def test_unlinking_is_idempotent(api: LinkApi, conforms) -> None:
    follower = openid()
    assert api.link(follower, **DEMO_WAITING).status_code == 201
    first = api.unlink(follower)
    assert first.status_code == 200
    conforms("UnlinkResult", first.json())
    assert first.json() == {"channel": "wechat", "external_id": follower, "unlinked": True,
                            "member_id": api.member("demo-waiting")["id"]}
    assert_error(api.lookup(follower), 404, "member_not_found")
    again = api.unlink(follower)
    assert again.status_code == 200 and again.json()["unlinked"] is False
    assert again.json()["member_id"] is None
    assert api.member("demo-waiting")["name"] == "林晓"  # her other identities stay


@pytest.mark.parametrize("body, field", [
    ({"policy_number": "ZAHM2026000002", "phone_last4": "002"}, "phone_last4"),
    ({"policy_number": "ZAHM2026000002", "phone_last4": 2}, "phone_last4"),
    ({"policy_number": "ZAHM2026000002", "phone_last4": "０００２"}, "phone_last4"),
    ({"policy_number": "我的保单", "phone_last4": "0002"}, "policy_number"),
    ({"phone_last4": "0002"}, "policy_number"),
])
def test_malformed_factors_are_refused_before_anything_is_counted(api: LinkApi, body,
                                                                 field) -> None:
    follower = openid()
    assert_error(api.link(follower, **body), 400, "invalid_request", field)
    first_failure = api.link(follower, policy_number=unknown_policy(), phone_last4="0000")
    assert first_failure.json()["error"]["details"]["remaining_attempts"] == 4


def test_tries_are_stored_with_a_hash_of_the_policy_number(api: LinkApi) -> None:
    follower, policy_number = openid(), unknown_policy()
    api.link(follower, policy_number=policy_number, phone_last4="0000")
    db = Database.from_url(api.backends.db_url)
    try:
        with db.reading() as session:
            [attempt] = session.execute(
                select(LinkAttempt).where(LinkAttempt.external_id == follower)).scalars()
            assert attempt.policy_hash == linking.policy_hash(policy_number)
            assert attempt.matched is False and attempt.attempted_at == NOW
            stored = repr([getattr(attempt, c.key) for c in LinkAttempt.__table__.columns])
            assert policy_number[4:] not in stored
    finally:
        db.dispose()


def test_parallel_tries_cannot_pass_the_limit_together(any_api: LinkApi) -> None:
    member, follower = add_member(any_api.backends.db_url), openid()
    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(lambda _: any_api.link(follower, **factors(member, "0000")),
                                  range(12)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [422] * 5 + [429] * 7, [r.text for r in responses]
    remaining = sorted(r.json()["error"]["details"]["remaining_attempts"]
                       for r in responses if r.status_code == 422)
    assert remaining == [0, 1, 2, 3, 4]


# ------------------------------------------------------------------ the link form's actions


def tracker(text: str, intent: str = "inform", entities: tuple = (), **slots) -> Tracker:
    latest = {"text": text, "intent": {"name": intent}, "message_id": uuid.uuid4().hex,
              "entities": [{"entity": name} for name in entities],
              "metadata": {"channel": "wechat", "member": slots.pop("member", openid())}}
    return member_tracker(latest, slots)


def said(dispatcher: CollectingDispatcher) -> list:
    return [m.get("response") for m in dispatcher.messages]


@pytest.fixture()
def actions_backends(monkeypatch):
    """Point the actions' client at `backends` (or at a closed port) for one test."""
    def point(backends: Optional[Backends]) -> None:
        monkeypatch.setenv("HM_BACKENDS_URL", backends.url if backends else
                           f"http://127.0.0.1:{free_port()}")
        monkeypatch.setenv("HM_BACKENDS_TOKEN", backends.token if backends else "unused")
        action_backend.client.cache_clear()
    yield point
    action_backend.client.cache_clear()


@pytest.mark.parametrize("requested, text, intent, expected", [
    ("policy_number", "zahm 2026 0000 02", "inform", {"policy_number": "zahm 2026 0000 02"}),
    ("phone_last4", "0002", "inform", {"phone_last4": "0002"}),
    ("phone_last4", "0002", "link_policy", {"phone_last4": "0002"}),
    ("policy_number", "我妈突然晕倒了", "report_emergency", {}),  # the rules answer it
    ("policy_number", "算了", "deny", {}),
    ("phone_last4", "找人工", "request_human", {}),
])
async def test_the_form_takes_a_reply_as_the_answer_unless_it_is_something_else(
        requested, text, intent, expected):
    form = ValidateLinkForm()
    latest = tracker(text, intent, requested_slot=requested)
    extract = getattr(form, f"extract_{requested}")
    assert await extract(CollectingDispatcher(), latest, {}) == expected


@pytest.mark.parametrize("slot, value, expected, response", [
    ("policy_number", "ZAHM 2026 0000 02", "ZAHM2026000002", None),
    ("policy_number", "123", None, "utter_link_policy_number_unclear"),
    ("phone_last4", "0002", "0002", None),
    ("phone_last4", "尾号0002", "0002", None),
    ("phone_last4", "02", None, "utter_link_phone_last4_unclear"),
])
def test_answers_are_normalised_or_asked_again(slot, value, expected, response):
    dispatcher = CollectingDispatcher()
    result = getattr(ValidateLinkForm(), f"validate_{slot}")(value, dispatcher, tracker(value), {})
    assert result == {slot: expected}
    assert said(dispatcher) == ([response] if response else [])


async def test_the_link_action_says_the_tries_left_then_links_masked(api: LinkApi,
                                                                      actions_backends):
    actions_backends(api.backends)
    member = add_member(api.backends.db_url)
    follower = openid()
    dispatcher = CollectingDispatcher()
    await ActionLinkPolicy().run(dispatcher, tracker(
        "0000", member=follower, policy_number=member["policy_number"], phone_last4="0000"), {})
    [mismatch] = dispatcher.messages
    assert (mismatch["response"], mismatch["remaining"]) == ("utter_link_mismatch", 4)
    dispatcher = CollectingDispatcher()
    events = await ActionLinkPolicy().run(dispatcher, tracker(
        "5678", member=follower, policy_number=member["policy_number"], phone_last4="5678"), {})
    done, linked = dispatcher.messages
    assert done["response"] == "utter_link_done"
    # Never shown: tells the gateway whose conversation this is now.
    assert linked["custom"] == {"member_linked": {"member_id": member["id"]}}
    number = member["policy_number"]  # ZAHM + 10 characters
    assert (done["name"], done["policy_number"]) == ("欧***", f"{number[:4]}******{number[-4:]}")
    assert {e["name"]: e["value"] for e in events} == {"policy_number": None, "phone_last4": None}
    dispatcher = CollectingDispatcher()
    events = await ActionStartLink().run(dispatcher, tracker("绑定保单", "link_policy",
                                                             member=follower), {})
    assert said(dispatcher) == ["utter_link_already"]
    assert dispatcher.messages[0]["name"] == "欧***"
    assert {"event": "slot", "name": "link_allowed", "value": False, "timestamp": None} in events


async def test_linking_with_the_backends_down_says_so_and_hands_over(actions_backends):
    actions_backends(None)
    dispatcher = CollectingDispatcher()
    await ActionLinkPolicy().run(dispatcher, tracker(
        "0002", policy_number="ZAHM2026000002", phone_last4="0002"), {})
    assert said(dispatcher)[0] == "utter_backend_unavailable"
    assert dispatcher.messages[-1]["custom"]["handoff"]["reason"] == "backend_failure"
    dispatcher = CollectingDispatcher()
    events = await ActionStartLink().run(dispatcher, tracker("绑定保单", "link_policy"), {})
    assert said(dispatcher)[0] == "utter_backend_unavailable"
    assert {"event": "slot", "name": "link_allowed", "value": False, "timestamp": None} in events
