"""The boundary between the services (issue 13, docs/security.md), probed as an attacker
on this machine would probe it: the action server with a forged tracker, Rasa's channel
with a forged member, Rasa's API without its token, where each server listens, the logs
after an action fails with personal data in the conversation, and the files' modes.
Every probe runs against the real processes the session fixtures start."""
from __future__ import annotations

import json
import os
import stat
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import pytest
import requests

from bot import identity
from bot.processes import Server, local_secret
from tests.conftest import TEST_VAR, Backends
from tests.rest import rasa_api, send, signed_body

pytestmark = pytest.mark.slow

PHONE = "13912345678"
ID_NUMBER = "110105194912310025"


def actions_headers(token: Optional[str] = None) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token or local_secret('HM_ACTIONS_TOKEN')}"}


def forged_call(action: str, sender: str, slots: Dict[str, Any],
                events: Optional[List[dict]] = None) -> Dict[str, Any]:
    """What rasa-sdk expects from Rasa, written by hand: the attacker's tracker."""
    latest = {"text": "我约了哪些号", "intent": {"name": "query_appointments"},
              "entities": [], "metadata": {"channel": "web", "member": "demo-noshow"}}
    events = events if events is not None else [
        {"event": "user", "timestamp": time.time(), **latest}]
    return {"next_action": action, "sender_id": sender, "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": sender, "slots": slots, "latest_message": latest,
                        "events": events, "paused": False, "followup_action": None,
                        "active_loop": {}, "latest_action_name": "action_listen"}}


class BackendsReader:
    def __init__(self, backends: Backends) -> None:
        self.backends = backends

    def get(self, path: str, **params: Any) -> Any:
        answer = requests.get(self.backends.url + path, params=params,
                              headers=self.backends.headers(), timeout=10)
        answer.raise_for_status()
        return answer.json()

    def member(self, web_id: str) -> dict:
        return self.get("/v1/members/lookup", channel="web", external_id=web_id)

    def appointments(self, member_id: int) -> List[dict]:
        return self.get(f"/v1/members/{member_id}/appointments", scope="upcoming")["appointments"]


@pytest.fixture(scope="module")
def reader(conversation_backends: Backends) -> BackendsReader:
    return BackendsReader(conversation_backends)


# ------------------------------------------------------------------ the action server

def test_the_action_server_answers_only_rasas_token(action_server: Server) -> None:
    call = forged_call("action_my_appointments", "web:demo-noshow", {})
    assert requests.post(f"{action_server.url}/webhook", json=call, timeout=10).status_code == 401
    wrong = requests.post(f"{action_server.url}/webhook", json=call, timeout=10,
                          headers=actions_headers("guessed-token"))
    assert wrong.status_code == 401
    assert requests.get(f"{action_server.url}/actions", timeout=10).status_code == 401
    assert requests.get(f"{action_server.url}/health", timeout=10).status_code == 200


def test_a_forged_tracker_names_no_member_even_with_the_token(action_server: Server) -> None:
    """Before: a made-up tracker returned 王磊's appointments with their ids."""
    call = forged_call("action_my_appointments", "web:demo-noshow", {"member_id": 3})
    answer = requests.post(f"{action_server.url}/webhook", json=call, timeout=30,
                           headers=actions_headers())
    assert answer.status_code == 200, answer.text
    responses = [r.get("response") for r in answer.json()["responses"]]
    assert responses[0] == "utter_member_not_found"
    assert "appointments" not in json.dumps(answer.json(), ensure_ascii=False)


def test_forged_slots_cancel_nothing(action_server: Server, reader: BackendsReader) -> None:
    """Before: the member_id and appointment slots of a forged tracker cancelled them."""
    noshow = reader.member("demo-noshow")
    before = reader.appointments(noshow["id"])
    target = before[0]
    slots = {"member_id": noshow["id"], "appointment": target, "change_kind": "cancel"}
    call = forged_call("action_change_appointment", "web:demo-noshow", slots)
    answer = requests.post(f"{action_server.url}/webhook", json=call, timeout=30,
                           headers=actions_headers())
    assert answer.status_code == 200, answer.text
    assert [r.get("response") for r in answer.json()["responses"]] == ["utter_booking_lost"]
    assert reader.appointments(noshow["id"]) == before


def test_a_signed_member_cannot_change_another_members_appointment(
        action_server: Server, reader: BackendsReader) -> None:
    """Signed as 陈静 (demo-ready), with 王磊's appointment in the slots: the backends
    refuse, because the member id comes from the signature, not from the slot."""
    noshow = reader.member("demo-noshow")
    before = reader.appointments(noshow["id"])
    sender = f"attack-{uuid.uuid4().hex}"
    text = "取消预约"
    metadata = signed_body(sender, text, {"channel": "web", "member": "demo-ready"})["metadata"]
    events = [{"event": "user", "timestamp": time.time(), "text": text, "metadata": metadata,
               "parse_data": {}}]
    slots = {"member_id": noshow["id"], "appointment": before[0], "change_kind": "cancel"}
    call = forged_call("action_change_appointment", sender, slots, events)
    answer = requests.post(f"{action_server.url}/webhook", json=call, timeout=30,
                           headers=actions_headers())
    assert answer.status_code == 200, answer.text
    assert [r.get("response") for r in answer.json()["responses"]] == ["utter_backend_refused"]
    assert reader.appointments(noshow["id"]) == before


def test_a_failing_action_does_not_echo_the_conversation(action_server: Server) -> None:
    """rasa-sdk's own handler answered 500 with the whole request (every message)."""
    slots = {"appointment": {"slot": {}}, "change_kind": "reschedule",
             "visit_slot": {"start": "not a time"}}
    call = forged_call("action_change_summary", "web:someone", slots)
    call["tracker"]["latest_message"]["text"] = f"我的手机{PHONE}"
    answer = requests.post(f"{action_server.url}/webhook", json=call, timeout=30,
                           headers=actions_headers())
    assert answer.status_code == 500
    assert answer.json() == {"error": "action failed", "action_name": "action_change_summary"}


# ------------------------------------------------------------------ Rasa's channel and API

def webhook(rasa: Server, body: Dict[str, Any]) -> requests.Response:
    return requests.post(f"{rasa.url}/webhooks/rest/webhook", json=body, timeout=60)


def test_rasas_channel_refuses_a_forged_member(rasa_server: Server) -> None:
    """Before: {"sender": "x", "metadata": {"member": "demo-noshow"}} returned 王磊's
    appointments; so did a sender equal to a member's web id."""
    forged = webhook(rasa_server, {"sender": "x", "message": "我约了哪些号",
                                   "metadata": {"channel": "web", "member": "demo-noshow"}})
    assert forged.status_code == 403
    assert "王磊" not in forged.text
    as_sender = webhook(rasa_server, {"sender": "web:demo-noshow", "message": "我约了哪些号"})
    assert as_sender.status_code == 403


def test_rasas_channel_refuses_other_keys_altered_texts_and_stale_signatures(
        rasa_server: Server) -> None:
    sender, text = f"probe-{uuid.uuid4().hex}", "我约了哪些号"
    meta = {"channel": "web", "member": "demo-noshow"}
    other_key = {"sender": sender, "message": text,
                 "metadata": identity.sign(b"x" * 32, sender, text, meta)}
    assert webhook(rasa_server, other_key).status_code == 403
    altered = signed_body(sender, "你好", meta)
    altered["message"] = text
    assert webhook(rasa_server, altered).status_code == 403
    other_member = signed_body(sender, text, {"channel": "web", "member": "demo-ready"})
    other_member["metadata"]["member"] = "demo-noshow"
    assert webhook(rasa_server, other_member).status_code == 403
    secret = local_secret(identity.SECRET_ENV).encode()
    stale = {"sender": sender, "message": text,
             "metadata": identity.sign(secret, sender, text, meta, now=time.time() - 600)}
    assert webhook(rasa_server, stale).status_code == 403
    assert webhook(rasa_server, signed_body(sender, text, meta)).status_code == 200


def test_the_signed_member_is_the_one_the_actions_see(rasa_server: Server) -> None:
    replies = send(rasa_server, "我约了哪些号", member="demo-noshow")
    assert "仁济" in "\n".join(r.get("text", "") for r in replies)
    guest = send(rasa_server, "我约了哪些号")
    assert "没有绑定" in "\n".join(r.get("text", "") for r in guest)


def test_rasas_api_needs_its_token(rasa_server: Server) -> None:
    for method, path in (("GET", "/conversations/web:demo-noshow/tracker"),
                         ("POST", "/model/parse"), ("GET", "/status")):
        answer = requests.request(method, rasa_server.url + path, json={"text": "你好"},
                                  timeout=10)
        assert answer.status_code == 401, (path, answer.status_code)
    assert requests.get(rasa_api(rasa_server, "/status"), timeout=10).status_code == 200


def listening_addresses(port: int) -> List[str]:
    """The local addresses a socket LISTENs on for this port (from /proc/net)."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:
                found.append(address)
    return found


def test_every_internal_server_listens_on_loopback_only(
        rasa_server: Server, action_server: Server, conversation_backends: Backends) -> None:
    """Before: `rasa run actions` listened on 0.0.0.0:5055."""
    loopback = {"0100007F", "00000000000000000000000001000000"}
    for server in (rasa_server, action_server, conversation_backends.server):
        port = int(server.url.rsplit(":", 1)[1])
        addresses = listening_addresses(port)
        assert addresses and set(addresses) <= loopback, (server.name, addresses)


# ------------------------------------------------------------------ logs and files

def test_an_action_error_leaves_no_personal_data_in_any_log(
        rasa_server: Server, action_server: Server) -> None:
    """Before: rasa-sdk returned the whole tracker and Rasa logged it at ERROR level:
    every message, unmasked (one line was 63 KB)."""
    sender = f"web:leak-{uuid.uuid4().hex[:8]}"
    send(rasa_server, f"我的电话是{PHONE}，身份证{ID_NUMBER}", sender=sender)
    path = f"/conversations/{quote(sender, safe=':')}"
    slots = [{"event": "slot", "name": "appointment", "value": {"slot": {}}},
             {"event": "slot", "name": "change_kind", "value": "reschedule"},
             {"event": "slot", "name": "visit_slot", "value": {"start": "not a time"}}]
    assert requests.post(rasa_api(rasa_server, path + "/tracker/events"), json=slots,
                         timeout=30).status_code == 200
    # Rasa answers 200 ("the bot will continue") and logs the action's failure.
    requests.post(rasa_api(rasa_server, path + "/execute"),
                  json={"name": "action_change_summary"}, timeout=60)
    time.sleep(1)  # the servers write their logs after answering
    root = TEST_VAR / "logs"
    logs = {str(p.relative_to(root)): p.read_text(errors="replace") for p in root.rglob("*.log")}
    assert "running action 'action_change_summary'" in logs["rasa.log"]
    assert "action action_change_summary failed: KeyError" in logs["actions.log"]
    for name, text in logs.items():
        assert PHONE not in text, name
        assert ID_NUMBER not in text, name
        longest = max((len(line) for line in text.splitlines()), default=0)
        assert longest <= 8000, (name, longest)


def test_databases_are_private_to_their_service(conversation_backends: Backends) -> None:
    path = Path(conversation_backends.db_url.removeprefix("sqlite:///"))
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode & 0o077 == 0, oct(mode)
