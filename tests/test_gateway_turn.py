"""A member's turn through the router, in this process, with a real SQLite database and
the real backends (and, for the slow tests, the real Rasa and action servers): the
transactions it takes, what is stored with the answer, and what a manager's live view
sees first."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest
from sqlalchemy import event

from bot.clients import BackendsClient, BackendSettings
from bot.clock import SHANGHAI, Clock
from bot.db import Database, DatabasePool
from bot.gateway import store
from bot.gateway.handoff import Handoffs
from bot.gateway.live import Hub
from bot.gateway.members import Members
from bot.gateway.models import Conversation, Message
from bot.gateway.outbox import Outbox, conversation_topic
from bot.gateway.rasa import RasaClient
from bot.gateway.router import NOTICE_AFTER_SECONDS, Router
from bot.gateway.tasks import Tasks
from bot.gateway.types import ConversationRef, MemberMessage, Receipt
from bot.processes import free_port, local_secret
from tests.conftest import TEST_NOW
from tests.test_gateway_handoff import RecordingChannel


class Turns:
    """The router and its parts, with a count of the database transactions begun."""

    def __init__(self, db_path: Path, rasa_url: str, backends, timeout: float = 30,
                 notice_after: float = NOTICE_AFTER_SECONDS) -> None:
        self.db = Database.from_url(f"sqlite:///{db_path}")
        store.migrate(self.db)
        self.transactions = 0
        event.listen(self.db.engine, "begin", self._began)
        clock = Clock(datetime.fromisoformat(TEST_NOW).astimezone(SHANGHAI))
        self.pool = DatabasePool(self.db)
        self.hub = Hub()
        self.channel = RecordingChannel()
        self.outbox = Outbox(self.pool, clock, self.hub)
        self.outbox.register(self.channel)
        self.rasa = RasaClient(rasa_url, timeout, local_secret("HM_RASA_TOKEN"),
                               local_secret("HM_IDENTITY_SECRET").encode())
        self.tasks = Tasks()
        self.router = Router(self.pool, clock, self.rasa, self.outbox,
                             Handoffs(self.pool, clock, self.rasa, self.outbox),
                             Members(BackendsClient(BackendSettings(backends.url,
                                                                    backends.token))),
                             self.tasks, notice_after=notice_after)
        self.clock = clock

    def _began(self, connection) -> None:
        self.transactions += 1

    def conversation(self, external_id: str) -> ConversationRef:
        """A web chat conversation as its token names it (made beforehand, like a start)."""
        with self.db.writing() as session:
            row = store.get_or_create_conversation(session, "web", external_id,
                                                   self.clock.now())
            session.flush()
            return store.ref(row)

    async def say(self, conversation: ConversationRef, text: str,
                  payload: Optional[str] = None) -> Tuple[Receipt, int, List[Dict]]:
        """(the receipt, the transactions it took, what the console saw, in order)."""
        with self.hub.subscribe(conversation_topic(conversation.id)) as live:
            before = self.transactions
            receipt = await self.router.receive(MemberMessage(
                "web", conversation.external_id, text, payload=payload), conversation)
            taken = self.transactions - before
            seen = []
            while not live.empty():
                seen.append(live.get_nowait())
        return receipt, taken, [e["message"] for e in seen if e["type"] == "message"]

    def row(self, model, key):
        with self.db.reading() as session:
            return session.get(model, key)

    async def stop(self) -> None:
        await self.tasks.stop()
        await self.rasa.stop()
        await self.router.members.backends.close()
        self.pool.stop()
        self.db.dispose()


@pytest.fixture
async def rasa_down(tmp_path: Path, backends_server):
    turns = Turns(tmp_path / "gateway.sqlite3", f"http://127.0.0.1:{free_port()}",
                  backends_server)
    turns.pool.start()
    await turns.rasa.start()
    yield turns
    await turns.stop()


async def test_with_rasa_down_a_turn_is_kept_and_the_question_shows_first(
        rasa_down):
    conversation = rasa_down.conversation("demo-ready")
    receipt, taken, seen = await rasa_down.say(conversation, "你好")
    # Stored (never dropped); then the notice that it is kept, where the message went
    # (pending) and the member the backends know, together; then, in the managers'
    # hours, the system-fault handoff (queue, wait, its sentence: 3 more).
    assert taken == 2 + 3
    assert [r.author for r in receipt.replies] == ["system", "system"]
    assert [(m["author"], m["id"]) for m in seen][:2] == [
        ("member", receipt.message_id), ("system", receipt.replies[0].id)]
    assert rasa_down.row(Message, receipt.message_id).routed_to == "pending"
    assert rasa_down.row(Conversation, conversation.id).member_id is not None
    # The member is known now: the next turn asks the backends nothing (stored, the
    # earlier message looked for, kept behind it without a second notice).
    receipt, taken, _ = await rasa_down.say(conversation, "在吗")
    assert (taken, receipt.replies) == (3, [])


@pytest.mark.slow
async def test_a_bot_turn_is_two_transactions_with_what_the_bot_understood(
        tmp_path: Path, rasa_server, conversation_backends):
    turns = Turns(tmp_path / "gateway.sqlite3", rasa_server.url, conversation_backends)
    turns.pool.start()
    await turns.rasa.start()
    try:
        conversation = turns.conversation("demo-ready")
        receipt, taken, seen = await turns.say(conversation, "直付是什么意思")
        assert taken == 2
        assert receipt.replies and {r.author for r in receipt.replies} == {"bot"}
        said = turns.row(Message, receipt.message_id)
        assert (said.routed_to, said.intent) == ("bot", "ask_direct_billing")
        assert turns.row(Conversation, conversation.id).member_id is not None
        assert [m["author"] for m in seen] == ["member"] + ["bot"] * len(receipt.replies)
        assert seen[0]["intent"] == "ask_direct_billing"
    finally:
        await turns.stop()
