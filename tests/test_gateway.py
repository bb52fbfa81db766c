"""The gateway end to end over HTTP: a real gateway process and SQLite database in front
of the real Rasa and action servers and the backends. A member's message reaches the
bot with channel and member in the metadata; what the bot understood is kept; a request
for a person queues and pauses the bot, a manager takes over and hands back, and the
bot carries on; at 21:00 the member gets the out-of-hours answer and a callback ticket."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.gateway.models import CallbackTicket, Conversation
from bot.processes import local_secret
from tests.conftest import ConsoleUser, GatewayProcess, wait_for
from tests.rest import get
from tests.sse import EventStream

pytestmark = pytest.mark.slow


def tracker(rasa_url: str, member) -> dict:
    return get(f"{rasa_url}/conversations/{quote('web:' + member.external_id, safe=':')}"
               f"/tracker?token={local_secret('HM_RASA_TOKEN')}")


def row(gateway: GatewayProcess, conversation_id: int) -> Conversation:
    db = Database.from_url(gateway.db_url)
    try:
        with db.reading() as session:
            return session.get(Conversation, conversation_id)
    finally:
        db.dispose()


def authors(answer: dict) -> list:
    return [reply["author"] for reply in answer["replies"]]


class LiveView(EventStream):
    """A manager's live view of one conversation (the console's /console/events)."""

    def __init__(self, manager: ConsoleUser, conversation_id: int) -> None:
        super().__init__(manager.http.get(
            f"{manager.url}/console/events?conversation={conversation_id}", stream=True,
            timeout=(5, 60), headers={"Accept": "text/event-stream"}), "the live view")


def test_a_member_message_goes_to_the_bot_with_the_member_in_the_metadata(
        gateway_server, rasa_server):
    member = gateway_server.member("demo-ready")
    answer = member.say("你好")
    assert authors(answer) and set(authors(answer)) == {"bot"}
    events = tracker(rasa_server.url, member)["events"]
    latest = [e for e in events if e["event"] == "user"][-1]
    assert latest["metadata"]["channel"] == "web"
    assert latest["metadata"]["member"] == "demo-ready"
    assert latest["metadata"]["message_id"].startswith("web-")
    # What the bot understood is on the member's message, for the console.
    manager = gateway_server.console("wang")
    said = manager.conversation(member.conversation_id)["messages"][0]
    assert (said["text"], said["intent"], said["routed_to"]) == ("你好", "greet", "bot")
    assert 0 < said["confidence"] <= 1
    assert row(gateway_server, member.conversation_id).member_id is not None


def test_a_managers_live_view_shows_the_question_before_the_answer(gateway_server,
                                                                   rasa_server):
    member = gateway_server.member()
    view = LiveView(gateway_server.console("wang"), member.conversation_id)
    try:
        answer = member.say("直付是什么意思")
        assert authors(answer)
        shown = wait_for(lambda: len(view.messages) > len(answer["replies"]) and view.messages)
    finally:
        view.close()
    assert [(m["author"], m["id"]) for m in shown] == \
        [("member", answer["message_id"])] + [("bot", r["id"]) for r in answer["replies"]]
    assert shown[0]["intent"] == "ask_direct_billing"  # what the bot understood, with it


def test_asking_for_a_person_queues_pauses_the_bot_and_a_manager_hands_back(
        gateway_server, rasa_server):
    member = gateway_server.member("demo-noshow")
    asked = member.say("我要找人工客服")
    assert authors(asked)[-1] == "system"
    assert asked["replies"][-1]["text"].startswith("已为您转接私人健康管家")
    assert all("handoff" not in reply["text"] for reply in asked["replies"])
    assert row(gateway_server, member.conversation_id).state == "queued"
    assert tracker(rasa_server.url, member)["paused"] is True

    # While waiting the bot stays silent; the message still reaches its tracker. Just
    # told the wait, the member gets no second notice yet (acknowledgements come at most
    # every few minutes, tests/test_gateway_handoff.py), but a question about the wait
    # is always answered.
    waiting = member.say("直付医疗服务怎么申请")
    assert waiting["replies"] == []
    events = tracker(rasa_server.url, member)["events"]
    assert [e["text"] for e in events if e["event"] == "user"][-1] == "直付医疗服务怎么申请"
    how_long = member.say("还要等多久啊")
    assert [r["text"][:16] for r in how_long["replies"]] == ["您已经在等待私人健康管家了，您现"]
    # Asking again while waiting: the place in the queue again, not a second handoff.
    again = member.say("人工客服呢？我要找人工")
    assert [r["text"][:16] for r in again["replies"]] == ["您已经在等待私人健康管家了，您现"]

    wang = gateway_server.console("wang")
    queue_items = wang.get("/console/api/queue").json()["items"]
    mine = next(i for i in queue_items if i["conversation_id"] == member.conversation_id)
    assert (mine["reason"], mine["preview"]) == ("request_human", "人工客服呢？我要找人工")
    held = [m for m in wang.conversation(member.conversation_id)["messages"]
            if m["author"] == "member"]
    assert [(m["routed_to"], m["intent"]) for m in held[-3:]] == [
        ("manager", "ask_direct_billing"), ("manager", held[-2]["intent"]),
        ("manager", "request_human")]

    # The profile comes from the backends.
    page = wang.get(f"/console/conversations/{member.conversation_id}").text
    assert "王磊" in page and "爽约记录" in page and "1 次" in page

    assert wang.post(f"/console/conversations/{member.conversation_id}/claim").json()["ok"]
    assert wang.post(f"/console/conversations/{member.conversation_id}/reply",
                     {"text": "王先生您好，直付申请我来帮您办。"}).json()["ok"]
    assert member.history()[-1]["text"] == "王先生您好，直付申请我来帮您办。"
    bot_events = [e for e in tracker(rasa_server.url, member)["events"] if e["event"] == "bot"]
    assert bot_events[-1]["text"] == "王先生您好，直付申请我来帮您办。"  # context for later

    assert wang.post(f"/console/conversations/{member.conversation_id}/handback").json()["ok"]
    back, survey = member.history()[-2:]
    assert survey["text"].startswith("本次管家服务您满意吗")
    assert back["author"] == "bot" and "健康管家已经为您处理好了" in back["text"]
    assert tracker(rasa_server.url, member)["paused"] is False
    assert row(gateway_server, member.conversation_id).state == "bot"

    again = member.say("谢谢")
    assert authors(again) and set(authors(again)) == {"bot"}


def test_an_emergency_while_waiting_gets_120_first_and_the_top_of_the_queue(
        gateway_server, rasa_server):
    member = gateway_server.member()  # a guest: emergencies never depend on a policy
    member.say("转人工")
    assert row(gateway_server, member.conversation_id).state == "queued"
    answer = member.say("我爸突然胸口剧痛，喘不上气")
    assert answer["replies"][0]["author"] == "bot"
    assert "120" in answer["replies"][0]["text"]
    current = row(gateway_server, member.conversation_id)
    assert (current.state, current.priority, current.handoff_reason) == \
        ("queued", 3, "emergency")
    assert tracker(rasa_server.url, member)["paused"] is True
    # Still waiting after the emergency: what to do gets 120 again, never silence.
    what_now = member.say("我该怎么办")
    assert any("120" in reply["text"] for reply in what_now["replies"]), what_now


def test_asking_for_a_person_at_21_files_a_callback_and_the_bot_carries_on(evening_stack):
    gateway = evening_stack.gateway
    member = gateway.member("demo-noshow")
    asked = member.say("我要找人工")
    text = asked["replies"][-1]["text"]
    assert text.startswith("现在是非工作时间，私人健康管家每天08:30–20:30在线，将于明天08:30上线。")
    assert "现在可以接听" in text and "952299" in text
    db = Database.from_url(gateway.db_url)
    with db.reading() as session:
        ticket = session.execute(select(CallbackTicket).where(
            CallbackTicket.conversation_id == member.conversation_id)).scalar_one()
    db.dispose()
    assert ticket.due_at.isoformat() == "2026-11-25T08:30:00+08:00"
    assert ticket.reference in text
    assert row(gateway, member.conversation_id).state == "bot"
    again = member.say("直付怎么用")
    assert authors(again) and set(authors(again)) == {"bot"}
