"""Faults around the gateway (issue 14), against real processes: Rasa frozen (a server
that accepts and never answers, or the real Rasa stopped with SIGSTOP and resumed with
SIGCONT) or down; what the member hears, that the message is kept and answered once
when Rasa is back, and that an emergency is still answered by the gateway itself."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, List

import pytest

from bot.gateway import messages
from bot.gateway.models import Conversation, Message
from bot.gateway.pending import PENDING, Retrier
from bot.gateway.types import MemberMessage
from bot.processes import free_port, local_secret
from bot.rasa_server import command as rasa_command
from tests.conftest import TEST_NOW
from tests.test_gateway_turn import Turns

KEPT = "无需重发"  # what the notice promises (messages.bot_unavailable)


class Silent:
    """A real TCP server that accepts connections and never answers: a frozen Rasa."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()


@asynccontextmanager
async def faulty_turns(tmp_path: Path, rasa_url: str, backends, timeout: float,
                       notice_after: float = 4.0) -> AsyncIterator[Turns]:
    """The router of test_gateway_turn, with a shorter client timeout, running."""
    turns = Turns(tmp_path / "gateway.sqlite3", rasa_url, backends, timeout, notice_after)
    turns.pool.start()
    await turns.rasa.start()
    try:
        yield turns
    finally:
        await turns.stop()


async def kept_greeting(turns: Turns):
    """A member says 你好 to a Rasa that does not answer: kept, and told so."""
    receipt, _, _ = await turns.say(turns.conversation("demo-ready"), "你好")
    assert turns.row(Message, receipt.message_id).routed_to == PENDING
    assert KEPT in receipt.replies[0].text
    return receipt


async def wait_until(check, timeout: float = 60.0, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(every)
    raise AssertionError("not in time")


@pytest.fixture
async def frozen(tmp_path: Path, backends_server):
    silent = Silent()
    async with faulty_turns(tmp_path, silent.url, backends_server, timeout=8) as turns:
        yield turns
    silent.close()


async def test_a_frozen_rasa_the_member_hears_within_5_s_that_the_message_is_kept(frozen):
    conversation = frozen.conversation("demo-ready")  # TEST_NOW: managers' hours
    started = time.monotonic()
    turn = asyncio.ensure_future(frozen.router.receive(
        MemberMessage("web", conversation.external_id, "我想预约明天的专家号"), conversation))
    texts = await wait_until(lambda: frozen.channel.texts(conversation.id), timeout=6)
    assert time.monotonic() - started < 5
    assert KEPT in texts[0] and "请稍后再试" not in texts[0]
    receipt = await turn  # the call went on up to the client's timeout
    assert frozen.row(Message, receipt.message_id).routed_to == PENDING
    # Offered to a manager in hours, as a system fault (系统故障).
    row = frozen.row(Conversation, conversation.id)
    assert (row.state, row.handoff_reason) == ("queued", "backend_failure")
    told = len(frozen.channel.texts(conversation.id))
    # Once per episode: the next message is kept without a second notice.
    await frozen.router.receive(MemberMessage("web", conversation.external_id, "在吗"),
                                conversation)
    assert len(frozen.channel.texts(conversation.id)) == told


async def test_an_emergency_while_rasa_is_away_gets_the_120_instruction_at_once(frozen):
    conversation = frozen.conversation("demo-ready")
    frozen.router.rasa_away = True  # an earlier call failed
    started = time.monotonic()
    turn = asyncio.ensure_future(frozen.router.receive(
        MemberMessage("web", conversation.external_id, "我爸突然晕倒了叫不醒"), conversation))
    texts = await wait_until(lambda: frozen.channel.texts(conversation.id), timeout=2)
    assert time.monotonic() - started < 1
    assert texts[0] == messages.EMERGENCY_FIRST
    await turn
    row = frozen.row(Conversation, conversation.id)
    assert (row.state, row.handoff_reason) == ("queued", "emergency")


async def test_self_harm_while_rasa_is_away_gets_the_crisis_lines_not_only_120(frozen):
    conversation = frozen.conversation("demo-ready")
    frozen.router.rasa_away = True
    turn = asyncio.ensure_future(frozen.router.receive(
        MemberMessage("web", conversation.external_id, "活着太累了 不想活了"), conversation))
    texts = await wait_until(lambda: frozen.channel.texts(conversation.id), timeout=2)
    assert texts[0] == messages.SELF_HARM_FIRST  # as the bot would: 12356 and 120
    await turn
    assert frozen.row(Conversation, conversation.id).state == "queued"  # a manager at once


async def test_rasa_down_the_message_is_pending_and_the_member_not_asked_to_resend(
        tmp_path: Path, backends_server):
    async with faulty_turns(tmp_path, f"http://127.0.0.1:{free_port()}", backends_server,
                            5) as turns:
        receipt = await kept_greeting(turns)
        retrier = Retrier(turns.pool, turns.rasa.healthy, turns.router.retry)
        assert await retrier.round() == 0  # Rasa still away: nothing sent, nothing lost
        assert turns.row(Message, receipt.message_id).routed_to == PENDING


def bot_texts(turns: Turns, conversation_id: int) -> List[str]:
    return [m.text for cid, m in turns.channel.sent
            if cid == conversation_id and m.author == "bot"]


@pytest.mark.slow
async def test_rasa_stopped_then_resumed_the_kept_message_is_answered_once(
        tmp_path: Path, rasa_server, conversation_backends):
    async with faulty_turns(tmp_path, rasa_server.url, conversation_backends, timeout=6,
                            notice_after=2.0) as turns:
        await answered_once_after_a_freeze(turns, rasa_server)


async def answered_once_after_a_freeze(turns: Turns, rasa_server) -> None:
    retrier = Retrier(turns.pool, turns.rasa.healthy, turns.router.retry, every=0.5)
    retrier.start()
    group = os.getpgid(rasa_server.process.pid)
    try:
        conversation = turns.conversation(f"fault-{free_port()}")
        os.killpg(group, signal.SIGSTOP)
        try:
            receipt = await turns.router.receive(
                MemberMessage("web", conversation.external_id, "你好"), conversation)
            assert KEPT in turns.channel.texts(conversation.id)[0]
            assert turns.row(Message, receipt.message_id).routed_to == PENDING
        finally:
            os.killpg(group, signal.SIGCONT)
        await wait_until(lambda: turns.row(Message, receipt.message_id).routed_to == "bot")
        answers = bot_texts(turns, conversation.id)
        assert answers
        # Rasa has the message once, whether it processed the first call late or not.
        tracker = await turns.rasa._call("GET", f"/conversations/{conversation.rasa_sender}"
                                         "/tracker")
        ids = [(e.get("metadata") or {}).get("message_id") for e in tracker["events"]
               if e.get("event") == "user"]
        assert ids == [f"gw-{receipt.message_id}"]
        await asyncio.sleep(1.5)  # a retrier round or two more: nothing sent again
        assert bot_texts(turns, conversation.id) == answers
        # The system-fault handoff no manager took is withdrawn: the bot has it again.
        assert turns.row(Conversation, conversation.id).state == "bot"
    finally:
        await retrier.stop()


# ------------------------------------------------- the embedded default's tracker store

def start_rasa_on(model: Path, action_url: str, log_dir: Path, tracker_db: str):
    """The real Rasa with the project's own tracker store section (endpoints.yml) on
    `tracker_db`, and the test action server."""
    import yaml

    from bot.processes import ROOT, action_endpoint, start_server

    project = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    log_dir.mkdir(parents=True, exist_ok=True)
    endpoints = log_dir / "endpoints.yml"
    endpoints.write_text(action_endpoint(action_url)
                         + yaml.safe_dump({"tracker_store": project["tracker_store"]}))
    token = local_secret("HM_RASA_TOKEN")
    port = free_port()
    return start_server(
        "rasa", rasa_command(port, model, endpoints),
        port, f"/status?token={token}", log_dir,
        {"HM_NOW": TEST_NOW, "HM_RASA_TRACKER_DB": tracker_db}, timeout=240)


@pytest.mark.slow
def test_a_booking_form_goes_on_after_rasa_is_killed_and_started_again(
        tmp_path: Path, test_model: Path, action_server, conversation_backends):
    from tests.rest import get, send

    tracker_db = f"sqlite:///{tmp_path / 'rasa-tracker.sqlite3'}"
    sender = f"web:fault-{free_port()}"
    rasa = start_rasa_on(test_model, action_server.url, tmp_path / "first", tracker_db)
    try:
        asked = send(rasa, "我要预约华山医院", sender, "demo-ready")
        assert any("哪个科室" in r.get("text", "") for r in asked)
    finally:
        os.killpg(rasa.process.pid, signal.SIGKILL)  # no goodbye: a crash
        rasa.process.wait()
    rasa = start_rasa_on(test_model, action_server.url, tmp_path / "second", tracker_db)
    try:
        token = local_secret("HM_RASA_TOKEN")
        tracker = get(f"{rasa.url}/conversations/{sender}/tracker?token={token}")
        assert (tracker["active_loop"] or {}).get("name") == "booking_form"
        assert tracker["slots"]["hospital"] == "华山医院"
        # The member goes on where they were: the form asks the next thing, not the
        # hospital or the department again.
        reply = "\n".join(r.get("text", "") for r in send(rasa, "皮肤科", sender,
                                                           "demo-ready"))
        assert "哪家医院" not in reply and "哪个科室" not in reply, reply
    finally:
        rasa.stop()


async def test_rasa_answering_200_with_nothing_is_a_failed_turn_and_the_message_is_kept(
        tmp_path: Path, backends_server):
    """Rasa whose lock store is down answers 200 and no messages (docs/operations.md):
    a real HTTP server answering just that."""
    from aiohttp import web

    async def webhook(request):
        return web.json_response({"messages": [], "understanding": None})

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with faulty_turns(tmp_path, f"http://127.0.0.1:{port}", backends_server,
                                5) as turns:
            await kept_greeting(turns)
    finally:
        await runner.cleanup()
