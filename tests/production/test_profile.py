"""The production profile against real PostgreSQL, Redis and nginx (docs/operations.md):
conversations through nginx, two Rasa replicas on one shared tracker store with one lock
store, a Rasa restart, a gateway failing over, forgetting a conversation."""
from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from typing import List

import requests
from sqlalchemy import create_engine, text

from bot.processes import local_secret
from tests.production.conftest import ProductionStack, start_member
from tests.rest import signed_body


def query(stack: ProductionStack, database: str, sql: str, **params) -> List[tuple]:
    """The rows of `sql` in one of the profile's databases (its setting's name)."""
    engine = create_engine(stack.database(database))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params).all()]
    finally:
        engine.dispose()


def tracker_rows(stack: ProductionStack, sender: str) -> List[tuple]:
    """(type_name, text or action) of a conversation's events, as Rasa stored them."""
    import json

    rows = query(stack, "HM_RASA_TRACKER_DB", "SELECT type_name, action_name, data FROM "
                 "events WHERE sender_id = :s ORDER BY id", s=sender)
    return [(t, json.loads(d).get("text") if t == "user" else a) for t, a, d in rows]


def user_texts(rows: List[tuple]) -> List[str]:
    return [value for kind, value in rows if kind == "user"]


def rasa_message(base_url: str, sender: str, text_: str) -> list:
    body = signed_body(sender, text_, {"channel": "web", "member": sender})
    answer = requests.post(f"{base_url}/webhooks/rest/webhook", json=body, timeout=60)
    answer.raise_for_status()
    return answer.json()


def rasa_api(base_url: str, path: str) -> str:
    return f"{base_url}{path}?token={local_secret('HM_RASA_TOKEN')}"


def test_a_member_conversation_through_nginx_is_stored_in_postgresql_in_order(
        production_stack: ProductionStack) -> None:
    member = start_member(production_stack)
    said = ["你好", "直付是什么", "我约了哪些号", "谢谢"]
    for line in said:
        member.say(line)

    history = member.history()
    assert [m["text"] for m in history if m["author"] == "member"] == said
    # Each message is answered before the next one is stored.
    authors = [m["author"] for m in history]
    assert authors[0] == "member" and authors[-1] == "bot"
    assert all(authors[i + 1] == "bot" for i, a in enumerate(authors[:-1])
               if a == "member"), authors
    # What Rasa remembered is in its tracker store, in PostgreSQL.
    assert user_texts(tracker_rows(production_stack, "web:demo-ready")) == said


def test_two_rasa_replicas_take_one_conversation_one_message_at_a_time(
        production_stack: ProductionStack) -> None:
    """Six messages of one conversation at once, three to each replica: the Redis lock
    store lets one replica at a time handle the conversation, so every message is stored
    once, each followed by its own answer before the next is taken."""
    sender = f"lock-{uuid.uuid4().hex[:8]}"
    replicas = [production_stack.servers["rasa1"].url, production_stack.servers["rasa2"].url]
    lines = ["你好", "您好", "在吗", "哈喽", "早上好", "下午好"]
    finished: List[str] = []
    errors: List[BaseException] = []
    start = threading.Barrier(len(lines))

    def send(i: int) -> None:
        try:
            start.wait()
            rasa_message(replicas[i % 2], sender, lines[i])
            finished.append(lines[i])
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(lines))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert not errors
    rows = tracker_rows(production_stack, sender)
    # Each message once. (Not compared in order with `finished`: two answers that leave
    # Rasa a moment apart may reach their threads in either order.)
    assert sorted(user_texts(rows)) == sorted(finished) == sorted(lines)
    # No interleaving: after each user event the bot answers and listens again before
    # the next user event.
    kinds = [(kind, value) for kind, value in rows if kind in ("user", "action")]
    for i, (kind, _) in enumerate(kinds):
        if kind == "user" and i > 0:
            assert kinds[i - 1] == ("action", "action_listen"), kinds


def test_a_conversation_survives_a_rasa_restart_and_moves_between_replicas(
        production_stack: ProductionStack) -> None:
    sender = f"restart-{uuid.uuid4().hex[:8]}"
    rasa1 = production_stack.servers["rasa1"].url
    assert rasa_message(rasa1, sender, "你好")

    production_stack.stop("rasa1")
    # Meanwhile nginx sends everything to the other replica.
    assert rasa_message(production_stack.layout.rasa_url, sender, "直付是什么")
    rasa1 = production_stack.start("rasa1").url

    tracker = requests.get(rasa_api(rasa1, f"/conversations/{sender}/tracker"),
                           timeout=30).json()
    said = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert said == ["你好", "直付是什么"]
    assert rasa_message(rasa1, sender, "谢谢")
    assert user_texts(tracker_rows(production_stack, sender)) == ["你好", "直付是什么", "谢谢"]


def test_forgetting_a_conversation_deletes_it_from_the_tracker_store(
        production_stack: ProductionStack) -> None:
    """What the gateway does when a WeChat member unsubscribes (bot/gateway/rasa.py
    forget): Rasa's own SQL store would keep every row (bot/tracker_store.py)."""
    sender = f"forget-{uuid.uuid4().hex[:8]}"
    rasa = production_stack.layout.rasa_url
    rasa_message(rasa, sender, "我叫王明，电话13812345678")
    assert tracker_rows(production_stack, sender)

    answer = requests.put(rasa_api(rasa, f"/conversations/{sender}/tracker/events"),
                          json=[], timeout=30)
    assert answer.status_code == 200
    assert tracker_rows(production_stack, sender) == []
    # The conversation starts afresh when the member comes back.
    assert rasa_message(rasa, sender, "你好")
    assert user_texts(tracker_rows(production_stack, sender)) == ["你好"]


def test_when_one_gateway_stops_the_other_carries_the_member_conversation(
        production_stack: ProductionStack) -> None:
    """Both gateways serve: when the first stops, nginx sends the member to the second,
    with the same session."""
    member = start_member(production_stack, "demo-waiting")
    member.say("你好")
    production_stack.stop("gateway1")
    try:
        deadline = time.monotonic() + 10
        while True:  # nginx marks the stopped gateway down on its first refused connection
            try:
                member.say("直付是什么")
                break
            except requests.HTTPError:
                if time.monotonic() > deadline:
                    raise
        texts = [m["text"] for m in member.history() if m["author"] == "member"]
        assert texts == ["你好", "直付是什么"]
    finally:
        production_stack.start("gateway1")


# Handbook questions, each a different text, so the tracker shows each message once.
QUESTIONS = ["直付是什么", "电子直付卡在哪看", "你们几点上班", "预授权要准备什么材料",
             "就诊要带什么证件"]


def gateway_messages(stack: ProductionStack, conversation_ids: List[int]) -> List[tuple]:
    """(conversation id, external id, text, routed_to) of the members' messages."""
    return query(stack, "HM_GATEWAY_DB",
                 "SELECT c.id, c.external_id, m.text, m.routed_to FROM messages m "
                 "JOIN conversations c ON c.id = m.conversation_id "
                 "WHERE m.direction = 'in' AND c.id = ANY(:ids) ORDER BY m.id",
                 ids=list(conversation_ids))


def kept_notices(stack: ProductionStack, conversation_ids: List[int]) -> int:
    """How many times these members were told a message is kept (bot_unavailable)."""
    return query(stack, "HM_GATEWAY_DB",
                 "SELECT count(*) FROM messages WHERE author = 'system' AND "
                 "text LIKE '%无需重发%' AND conversation_id = ANY(:ids)",
                 ids=list(conversation_ids))[0][0]


def test_a_rasa_replica_killed_under_load_every_message_is_answered_once(
        production_stack: ProductionStack) -> None:
    """Six members write at once through nginx and the gateways; one Rasa replica is
    killed (SIGKILL) while it works. Every message the gateways took is answered by the
    bot in the end (a turn lost with the replica is kept and sent again, bot/gateway/
    pending.py, once the tracker shows Rasa never saw it), and each reaches Rasa once."""
    # Guests by signed links, one conversation each.
    members = [start_member(production_stack, f"kill-{uuid.uuid4().hex[:8]}")
               for _ in range(6)]
    errors: List[BaseException] = []

    def visit(member) -> None:
        try:
            for question in QUESTIONS:
                sent = member.say(question)["message_id"]
                deadline = time.monotonic() + 120
                # The next message once this one has any answer (the bot's, or that it
                # is kept): a member who waits for a reply, as on the page.
                while not any(m["id"] > sent and m["author"] != "member"
                              for m in member.history()):
                    assert time.monotonic() < deadline, "no answer in 120 s"
                    time.sleep(0.1)
        except BaseException as error:  # reported below
            errors.append(error)

    rasa1 = production_stack.servers["rasa1"].process
    ids = [m.conversation_id for m in members]
    # Frozen as the members start, so that it surely dies with turns in hand: killed
    # once a member has been told a message is kept (the gateway's notice after 4 s),
    # while the other replica answers the rest.
    os.killpg(rasa1.pid, signal.SIGSTOP)
    threads = [threading.Thread(target=visit, args=(m,)) for m in members]
    try:
        try:
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 30
            while not kept_notices(production_stack, ids):
                assert time.monotonic() < deadline, "the frozen replica caught no turn"
                time.sleep(0.2)
        finally:
            os.killpg(rasa1.pid, signal.SIGKILL)
            rasa1.wait()
        for thread in threads:
            thread.join(300)
        assert not errors, errors
        # Kept messages are sent again once Rasa has answered for a while; a turn the
        # dead replica held also waits for its lock ticket to expire (Rasa: 60 s).
        deadline = time.monotonic() + 180
        while any(routed != "bot" for *_, routed in gateway_messages(production_stack, ids)):
            assert time.monotonic() < deadline, gateway_messages(production_stack, ids)
            time.sleep(1)
        rows = gateway_messages(production_stack, ids)
        assert len(rows) == len(members) * len(QUESTIONS)
        for conversation_id, external_id, *_ in {r[:2]: r for r in rows}.values():
            # Exactly once in Rasa's tracker: none lost, none processed twice.
            assert user_texts(tracker_rows(production_stack, f"web:{external_id}")) == \
                QUESTIONS, conversation_id
    finally:
        production_stack.start("rasa1")
