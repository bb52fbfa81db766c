"""Two serving gateway replicas of the production profile (tests/production/conftest.py):
a member's message POSTed to one gateway is answered on the page whose event stream the
other gateway holds (the live hub relayed through Redis, bot/gateway/live.py); WeChat's
retries of one message received by both gateways give one turn and one reply."""
from __future__ import annotations

import uuid

import requests

from tests.production.conftest import LOG_DIR, ProductionStack, start_member
from tests.production.pages import PageStream


def test_a_reply_reaches_the_page_streaming_from_the_other_gateway(
        production_stack: ProductionStack) -> None:
    member = start_member(production_stack, "demo-noshow")  # its own conversation
    first, second = (f"http://127.0.0.1:{port}" for port in production_stack.layout.gateways)
    page = PageStream(second, member.token)
    try:
        posted = requests.post(f"{first}/chat/api/messages",
                               headers={"Authorization": f"Bearer {member.token}"},
                               json={"text": "直付是什么", "client_id": uuid.uuid4().hex},
                               timeout=90)
        posted.raise_for_status()
        assert page.arrived.wait(30), "the bot's reply never reached the other gateway's page"
        stored = [m for m in member.history() if m["author"] != "member"]
        assert stored and page.messages[0]["id"] == stored[0]["id"]
    finally:
        page.close()


def settled_inbox(stack: ProductionStack, openid: str, quiet: float = 1.5,
                  timeout: float = 60.0) -> list:
    """The member's WeChat inbox once nothing new arrived for `quiet` seconds (after
    something did)."""
    import time

    started = time.monotonic()
    initial = len(stack.wechat.inbox(openid))
    seen, since = initial, started
    while time.monotonic() - started < timeout:
        count = len(stack.wechat.inbox(openid))
        if count != seen:
            seen, since = count, time.monotonic()
        elif seen != initial and time.monotonic() - since >= quiet:
            break
        time.sleep(0.1)
    return [entry.get("text", {}).get("content") for entry in stack.wechat.inbox(openid)]


def gateway_rows(stack: ProductionStack, sql: str, **params) -> list:
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.database("HM_GATEWAY_DB"))
    try:
        with engine.begin() as connection:
            return list(connection.execute(text(sql), params))
    finally:
        engine.dispose()


def test_a_wechat_retry_received_by_both_gateways_gives_one_turn_and_one_reply(
        production_stack: ProductionStack) -> None:
    """WeChat's retries of one message, concurrently, spread by nginx over both
    gateways (least_conn): the database's unique constraint keeps one copy, so one
    Rasa turn and one answer, and every retry is answered."""
    sim = production_stack.wechat
    openid = f"oREPLICA_{uuid.uuid4().hex[:8]}"
    sim.add_member(openid)
    assert sim.send_text(openid, "你好").outcome == "accepted"  # opens the window
    baseline = len(settled_inbox(production_stack, openid))
    access_log = LOG_DIR / "nginx-access.log"
    logged = len(access_log.read_text().splitlines())
    storm = sim.deliver({"FromUserName": openid, "MsgType": "text",
                         "Content": "理赔需要什么材料", "MsgId": 8899001122334455667},
                        force_deliveries=6, concurrent=True)
    assert [attempt.status for attempt in storm.attempts] == [200] * 6
    replies = settled_inbox(production_stack, openid)[baseline:]
    stored = gateway_rows(production_stack, """SELECT COUNT(*) FROM messages m
        JOIN conversations c ON c.id = m.conversation_id
        WHERE c.external_id = :openid AND m.text = '理赔需要什么材料'""", openid=openid)
    assert stored[0][0] == 1
    assert replies and "理赔" in "".join(r or "" for r in replies)
    assert len(replies) == len(set(replies))  # one turn's answer, not one per retry
    # Both gateways took some of the retries (nginx's log names the upstream).
    upstreams = {line.rsplit('"', 2)[-2] for line in
                 access_log.read_text().splitlines()[logged:] if "POST /wechat" in line}
    assert upstreams == {f"127.0.0.1:{port}" for port in production_stack.layout.gateways}
