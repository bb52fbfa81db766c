"""When the backends are down, too slow or broken, the actions apologise, offer a person
and never confirm anything. Real HTTP: a closed port, a server that never answers, a
server that fails."""
from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import backend
from actions.booking import ActionBookAppointment, ActionStartBooking
from actions.emergency import ActionEmergencyFollowup
from actions.visits import find_visit
from bot.processes import free_port
from tests.rest import member_tracker

SLOT = {"id": 7, "start": "2026-11-26T09:00:00+08:00",
        "hospital": {"id": "ruijin", "name": "瑞金医院", "unit": "国际医疗部"},
        "department": {"id": "dermatology", "name": "皮肤科"}, "doctor": None}


def tracker(text: str = "确认", intent: str = "affirm", message_id: str = "m1",
            **slots) -> Tracker:
    latest = {"text": text, "intent": {"name": intent}, "entities": [], "message_id": message_id,
              "metadata": {"channel": "web", "member": "demo-ready", "message_id": message_id}}
    return member_tracker(latest, slots)


def responses(dispatcher: CollectingDispatcher) -> List[str]:
    return [message.get("response") for message in dispatcher.messages]


def handoff_reasons(dispatcher: CollectingDispatcher) -> List[str]:
    return [m["custom"]["handoff"]["reason"] for m in dispatcher.messages
            if "handoff" in (m.get("custom") or {})]


@pytest.fixture()
def backends_at(monkeypatch):
    """Point the actions' client at `url` (with a short timeout) for one test."""
    def point(url: str) -> None:
        monkeypatch.setenv("HM_BACKENDS_URL", url)
        monkeypatch.setenv("HM_BACKENDS_TOKEN", "test-token")
        monkeypatch.setenv("HM_BACKENDS_TIMEOUT", "0.5")
        backend.client.cache_clear()
    yield point
    backend.client.cache_clear()


@pytest.fixture()
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


@pytest.fixture()
def failing_server() -> Iterator[str]:
    class Failing(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            self.send_response(500)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<h1>Internal Server Error</h1>")

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(params=["closed", "silent", "failing"])
def broken_backends(request, backends_at, silent_server, failing_server) -> str:
    url = {"closed": f"http://127.0.0.1:{free_port()}", "silent": silent_server,
           "failing": failing_server}[request.param]
    backends_at(url)
    return request.param


async def test_booking_is_never_confirmed_when_the_backends_fail(broken_backends):
    dispatcher = CollectingDispatcher()
    started = time.monotonic()
    events = await ActionBookAppointment().run(
        dispatcher, tracker(member_id=1, visit_slot=SLOT, accidental_injury=False), {})
    assert time.monotonic() - started < 3  # the timeout holds
    said = responses(dispatcher)
    assert said[0] == "utter_backend_unavailable"
    assert handoff_reasons(dispatcher) == ["backend_failure"]  # a person takes over
    assert "utter_booking_done" not in said
    assert events == []  # the answers are kept: "确认" again retries with the same key


async def test_a_booking_request_says_the_backends_are_down(broken_backends):
    dispatcher = CollectingDispatcher()
    events = await ActionStartBooking().run(
        dispatcher, tracker("帮我约瑞金皮肤科", "book_appointment"), {})
    assert responses(dispatcher)[0] == "utter_backend_unavailable"
    assert {"event": "slot", "name": "booking_allowed", "value": False,
            "timestamp": None} in events


async def test_checking_a_time_does_not_pretend_it_is_free(broken_backends):
    dispatcher = CollectingDispatcher()
    result = await find_visit(
        dispatcher, {"start": "2026-11-26T09:00:00+08:00", "end": None},
        tracker=tracker(), hospital_id="ruijin", department_id="dermatology")
    assert result == {"time": None}
    assert responses(dispatcher)[0] == "utter_backend_unavailable"


async def test_an_emergency_still_gets_its_follow_up(broken_backends):
    dispatcher = CollectingDispatcher()
    await ActionEmergencyFollowup().run(
        dispatcher, tracker("我突然胸口疼得厉害 出冷汗", "report_emergency"), {})
    assert responses(dispatcher)[0] == "utter_emergency_not_recorded"
    assert handoff_reasons(dispatcher) == ["emergency"]


# ------------------------------------------------------------------ a restart mid-booking


async def test_a_backends_restart_between_two_confirmations_books_exactly_once(
        tmp_path, monkeypatch):
    """The member says 确认 while the backends restart: told honestly that nothing was
    booked, the form kept. 确认 again once they are back books once, on the client's
    kept-alive connection pool (its connection died with the old process), and the same
    message delivered twice (a WeChat retry, a message sent again after a Rasa crash)
    books nothing more."""
    from bot.processes import start_server
    from tests.conftest import TEST_BACKENDS_TOKEN, TEST_NOW, TEST_VAR

    port = free_port()
    env = {"HM_NOW": TEST_NOW, "HM_BACKENDS_TOKEN": TEST_BACKENDS_TOKEN,
           "HM_BACKENDS_DB": f"sqlite:///{tmp_path / 'restart.sqlite3'}",
           "HM_BACKENDS_PORT": str(port)}

    def start():
        return start_server("backends-restart", ["python", "-m", "bot.backends", "serve"],
                            port, "/health", TEST_VAR / "logs", env, timeout=60)

    monkeypatch.setenv("HM_BACKENDS_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HM_BACKENDS_TOKEN", TEST_BACKENDS_TOKEN)
    backend.client.cache_clear()
    server = start()
    try:
        client = backend.client()
        member = await client.member_by_channel("web", "demo-ready")
        found = await client.availability(
            hospital_id="ruijin", department_id="dermatology", member_id=member["id"],
            start="2026-11-26T00:00:00+08:00", end="2026-11-26T23:59:59+08:00")
        slot = found["slot"] or found["alternatives"][0]
        form = {"visit_slot": slot}

        server.stop()  # the backends restart as the member confirms
        dispatcher = CollectingDispatcher()
        events = await ActionBookAppointment().run(dispatcher, tracker(**form), {})
        assert responses(dispatcher)[0] == "utter_backend_unavailable"  # nothing pretended
        assert handoff_reasons(dispatcher) == ["backend_failure"]  # a person is offered
        assert events == []  # the form's answers kept for the next 确认

        server = start()
        confirmed = tracker(message_id="m2", **form)
        for _ in range(2):  # the second: the same message delivered again
            dispatcher = CollectingDispatcher()
            await ActionBookAppointment().run(dispatcher, confirmed, {})
            assert responses(dispatcher)[0] == "utter_booking_done"
        booked = await client.appointments(member["id"])
        assert [a["slot"]["id"] for a in booked].count(slot["id"]) == 1
    finally:
        await backend.client().close()
        backend.client.cache_clear()
        server.stop()
