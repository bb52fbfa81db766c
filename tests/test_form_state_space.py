"""No action crashes on any combination of slots (issue 12, "no dead ends"): every custom
action of the action server, the forms' validations included, runs against real backends
with the slots set, unset or set otherwise in many combinations, and with the messages a
member may send at any step (a number, a description, a way out, a correction, nothing).

The combinations: for every action, each slot alone in each of its states, all slots
valid, all unset, and a fixed sample of random mixtures (the same on every run). What an
action may do is answer, ask, hand over or say it cannot; what it may not do is raise.
Real parts: the backends API on a database of its own, the domain as Rasa loads it.
Values only a broken peer could write (an appointment without its slot) are the trust
boundary's business: the action fails and the logs stay clean
(tests/security/test_trust_boundary.py)."""
from __future__ import annotations

import asyncio
import random
from typing import Any, Dict, Iterator, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions import backend
from tests.conftest import Backends, TEST_NOW, fresh_sqlite_url, start_backends
from tests.rest import member_tracker

SLOT = {"id": 7, "start": "2026-11-26T09:00:00+08:00", "end": "2026-11-26T09:30:00+08:00",
        "hospital": {"id": "ruijin", "name": "瑞金医院", "unit": "国际医疗部"},
        "department": {"id": "dermatology", "name": "皮肤科"}, "doctor": None}
APPOINTMENT = {"id": 1, "reference": "YY20261124001", "status": "booked", "member_id": 1,
               "accidental_injury": False, "slot": SLOT, "start": SLOT["start"],
               "end": SLOT["end"], "change_warning": None,
               "created_at": "2026-11-20T09:00:00+08:00"}
TIME = {"start": "2026-11-26T09:00:00+08:00", "end": None, "grain": "minute", "text": "26号上午9点"}

# Per slot: what our own actions may have written there, whole and half-written.
VALID: Dict[str, Any] = {
    "time": TIME, "visit_slot": SLOT, "appointment": APPOINTMENT,
    "offered_slots": [SLOT, {**SLOT, "id": 8, "start": "2026-11-26T10:00:00+08:00"}],
    "offered_appointments": [APPOINTMENT, {**APPOINTMENT, "id": 2, "reference": "YY2"}],
    "emergency_notice": {"reference": "JZ1", "filed_at": "2026-11-24T09:50:00+08:00"},
    "member_id": 1, "doctor_id": 3, "amount": 12000.0, "materials": ["id_card", "exam_reports"],
    "hospital": "瑞金医院", "hospital_id": "ruijin", "department": "皮肤科",
    "department_id": "dermatology", "doctor": "陈欣", "treatment": "胃镜",
    "change_kind": "reschedule", "emergency_patient": "asked", "red_flag": "chest_pain",
    "policy_number": "ZAHM2026000001", "phone_last4": "5678", "preauth_need": "required",
}
# Other values they may have written: another kind of time, a late change, an old
# episode, names the backends do not know, a member who is gone.
OTHER: Dict[str, Any] = {
    "time": {"start": "2026-11-26T13:00:00+08:00", "end": "2026-11-26T18:00:00+08:00",
             "grain": "hour", "text": "26号下午"},
    "visit_slot": {**SLOT, "doctor": {"id": 3, "name": "陈欣", "title": "主任医师"}},
    "appointment": {**APPOINTMENT, "accidental_injury": True,
                    "change_warning": {"cancel": "不足24小时", "reschedule": "不足24小时"}},
    "offered_slots": [], "offered_appointments": [],
    "emergency_notice": {"reference": "JZ1", "filed_at": "2026-11-20T09:50:00+08:00"},
    "materials": [], "change_kind": "cancel", "member_id": 999999, "amount": 0.0,
    "hospital": "不存在的医院", "department": "不存在科", "doctor": "王", "treatment": "拔火罐",
    "emergency_patient": "other", "red_flag": "self_harm",
}
MESSAGES = ["确认", "2", "算了", "改到四点吧", "明天华山那个", "", "我胸口疼得厉害",
            "帮我申请个预授权 胃镜 大概八百", "不是本人 是我爸"]
RANDOM_MIXTURES = 25


@pytest.fixture(scope="module")
def own_backends() -> Iterator[Backends]:
    backends = start_backends("state-space", fresh_sqlite_url("state-space"))
    yield backends
    backends.server.stop()


@pytest.fixture()
def actions_on(own_backends: Backends, monkeypatch) -> Iterator[None]:
    monkeypatch.setenv("HM_BACKENDS_URL", own_backends.url)
    monkeypatch.setenv("HM_BACKENDS_TOKEN", own_backends.token)
    monkeypatch.setenv("HM_NOW", TEST_NOW)
    backend.client.cache_clear()
    yield
    backend.client.cache_clear()


def _domain() -> Dict[str, Any]:
    from rasa.shared.core.domain import Domain

    return Domain.load("domain").as_dict()


DOMAIN = _domain()
SLOTS = sorted(DOMAIN["slots"])
EXECUTOR = ActionExecutor()
EXECUTOR.register_package("actions")


def states(slot: str) -> List[Any]:
    found = [None]
    if slot in VALID:
        found.append(VALID[slot])
    if slot in OTHER:
        found.append(OTHER[slot])
    if DOMAIN["slots"][slot].get("type") == "bool":
        found += [True, False]
    return found


def combinations() -> List[Dict[str, Any]]:
    """All unset, all valid, each slot alone in each state, and seeded random mixtures."""
    rows: List[Dict[str, Any]] = [{}, {s: v for s, v in VALID.items() if s in SLOTS}]
    for slot in SLOTS:
        for value in states(slot)[1:]:
            rows.append({**rows[1], slot: value})
    rng = random.Random(12)
    for _ in range(RANDOM_MIXTURES):
        rows.append({slot: rng.choice(states(slot)) for slot in SLOTS})
    return rows


COMBINATIONS = combinations()


def tracker(text: str, slots: Dict[str, Any], active_form: str = "") -> Tracker:
    latest = {"text": text, "intent": {"name": "inform", "confidence": 1.0}, "entities": [],
              "message_id": "m1",
              "metadata": {"channel": "web", "member": "demo-ready", "message_id": "m1"}}
    made = member_tracker(latest, {slot: slots.get(slot) for slot in SLOTS})
    if active_form:
        made.active_loop = {"name": active_form}
        made.slots["requested_slot"] = next(
            (s for s in DOMAIN["forms"][active_form]["required_slots"]
             if made.slots.get(s) is None), None)
    return made


def run(name: str, tracker: Tracker) -> List[Dict[str, Any]]:
    action = EXECUTOR.actions[name]
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action(dispatcher, tracker, DOMAIN))
    assert isinstance(events, list), name
    assert all(isinstance(e, dict) and e.get("event") for e in events), name
    assert all(isinstance(m, dict) for m in dispatcher.messages), name
    return events


def test_every_action_is_covered() -> None:
    assert len(EXECUTOR.actions) >= 39
    assert set(DOMAIN["forms"]) >= {"booking_form", "change_form", "preauth_form", "link_form",
                                    "emergency_patient_form"}


@pytest.mark.parametrize("name", sorted(EXECUTOR.actions))
def test_no_action_crashes_on_any_combination_of_slots(name, actions_on) -> None:
    form = name[len("validate_"):] if name.startswith("validate_") else ""
    failures = []
    for index, slots in enumerate(COMBINATIONS):
        text = MESSAGES[index % len(MESSAGES)]
        try:
            run(name, tracker(text, slots, form))
        except Exception as error:   # noqa: BLE001 - every crash is reported, with its state
            changed = {s: v for s, v in slots.items() if VALID.get(s) != v}
            failures.append(f"{type(error).__name__}: {error} | text={text!r} | {changed}")
    assert not failures, f"{len(failures)} crashes, first: {failures[:3]}"


@pytest.mark.parametrize("form", ["booking_form", "change_form", "preauth_form", "link_form",
                                  "emergency_patient_form"])
@pytest.mark.parametrize("text", MESSAGES)
def test_every_form_takes_every_message_at_every_step(form, text, actions_on) -> None:
    """Each required slot of the form in turn is the one asked for, with those before it
    filled: the validation answers whatever the member says there."""
    required = DOMAIN["forms"][form]["required_slots"]
    for step in range(len(required) + 1):
        filled = {slot: VALID.get(slot) for slot in required[:step]}
        run(f"validate_{form}", tracker(text, filled, form))
