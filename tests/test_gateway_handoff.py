"""The handoff service with a real SQLite database and the clock injected: queue and
honest wait within 08:30–20:30, callback tickets and the call centre outside them,
escalation, one open ticket per conversation, claims, hand back. Rasa is unreachable
here (a closed port): the gateway's own state must carry every decision."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import List, Tuple

import pytest
from sqlalchemy import select

from bot.clients import BackendsClient, BackendSettings
from bot.clock import SHANGHAI, Clock
from bot.db import Database, DatabasePool
from bot.gateway import queue, satisfaction, store
from bot.gateway.channels.base import ChannelAdapter
from bot.gateway.handoff import Actor, HandoffRequest, Handoffs, split_replies
from bot.gateway.live import Hub
from bot.gateway.members import Members
from bot.gateway.models import CallbackTicket, Conversation, Handoff, Note, Survey, User
from bot.gateway.outbox import Outbox
from bot.gateway.rasa import RasaClient
from bot.gateway.store import migrate
from bot.gateway.types import ConversationRef, OutgoingMessage
from bot.processes import free_port


class RecordingChannel(ChannelAdapter):
    """Delivers into a list: what the member would read, in order."""

    def __init__(self) -> None:
        self.sent: List[Tuple[int, OutgoingMessage]] = []

    @classmethod
    def name(cls) -> str:
        return "web"

    def blueprint(self, inbox):  # pragma: no cover - not served here
        raise NotImplementedError

    async def send(self, conversation, messages) -> None:
        self.sent.extend((conversation.id, m) for m in messages)

    def texts(self, conversation_id: int) -> List[str]:
        return [m.text for cid, m in self.sent if cid == conversation_id]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


class Parts:
    def __init__(self, db_path: Path, now: str) -> None:
        self.db = Database.from_url(f"sqlite:///{db_path}")
        migrate(self.db)
        self.clock = Clock(at(now))
        self.pool = DatabasePool(self.db)
        self.channel = RecordingChannel()
        self.outbox = Outbox(self.pool, self.clock, Hub())
        self.outbox.register(self.channel)
        self.rasa = RasaClient(f"http://127.0.0.1:{free_port()}", timeout=2)
        self.handoffs = Handoffs(self.pool, self.clock, self.rasa, self.outbox)

    def at(self, now: str) -> None:
        self.clock = Clock(at(now))
        self.outbox.clock = self.handoffs.clock = self.clock

    def conversation(self, external_id: str) -> ConversationRef:
        with self.db.writing() as session:
            row = store.get_or_create_conversation(session, "web", external_id, self.clock.now())
            session.flush()
            return store.ref(row)

    def manager(self, username: str) -> Actor:
        with self.db.writing() as session:
            user = User(username=username, display_name=f"管家{username}", role="manager",
                        password_hash="x", active=True, created_at=self.clock.now())
            session.add(user)
            session.flush()
            return Actor(user.id, username, user.display_name)

    def row(self, model, key):
        with self.db.reading() as session:
            return session.get(model, key)


@pytest.fixture
async def parts(tmp_path: Path):
    made = []

    async def make(now: str) -> Parts:
        p = Parts(tmp_path / f"gateway-{len(made)}.sqlite3", now)
        p.pool.start()
        await p.rasa.start()
        made.append(p)
        return p

    yield make
    for p in made:
        await p.rasa.stop()
        p.pool.stop()


REQUEST_HUMAN = HandoffRequest("request_human", 1)
EMERGENCY = HandoffRequest("emergency", 3)


async def test_within_hours_the_member_joins_the_queue_and_is_told_their_place(parts):
    p = await parts("2026-11-24T10:00:00")
    first, second = p.conversation("a"), p.conversation("b")
    await p.handoffs.request(first, REQUEST_HUMAN)
    await p.handoffs.request(second, REQUEST_HUMAN)
    assert p.channel.texts(first.id) == [
        "已为您转接私人健康管家，管家会在这里直接回复您。您现在排在第一位，管家会尽快回复您。"]
    assert p.channel.texts(second.id) == [
        "已为您转接私人健康管家，管家会在这里直接回复您。您前面还有1位会员在等待，管家会尽快回复您。"]
    assert p.row(Conversation, second.id).state == "queued"
    handoff = p.row(Handoff, 2)
    assert (handoff.reason, handoff.within_hours, handoff.outcome) == ("request_human", True, None)


async def test_the_expected_wait_comes_from_recent_claims(parts):
    p = await parts("2026-11-24T10:00:00")
    manager = p.manager("wang")
    # Three claims in the last hour: about 20 minutes per place.
    for minutes_ago, external_id in ((50, "old1"), (30, "old2"), (10, "old3")):
        p.at((datetime(2026, 11, 24, 10) - timedelta(minutes=minutes_ago + 5)).isoformat())
        earlier = p.conversation(external_id)
        await p.handoffs.request(earlier, REQUEST_HUMAN)
        p.at((datetime(2026, 11, 24, 10) - timedelta(minutes=minutes_ago)).isoformat())
        await p.handoffs.claim(earlier.id, manager)
    p.at("2026-11-24T10:00:00")
    ahead, me = p.conversation("ahead"), p.conversation("me")
    await p.handoffs.request(ahead, REQUEST_HUMAN)
    await p.handoffs.request(me, REQUEST_HUMAN)
    assert p.channel.texts(me.id)[-1].endswith("您前面还有1位会员在等待，预计等待约45分钟。")


async def test_a_wait_running_past_closing_says_tomorrow_morning(parts):
    p = await parts("2026-11-24T20:00:00")
    manager = p.manager("wang")
    p.at("2026-11-24T19:20:00")
    earlier = p.conversation("earlier")
    await p.handoffs.request(earlier, REQUEST_HUMAN)
    p.at("2026-11-24T19:50:00")
    await p.handoffs.claim(earlier.id, manager)  # one claim in the hour: 60 min a place
    p.at("2026-11-24T20:00:00")
    late = p.conversation("late")
    await p.handoffs.request(late, REQUEST_HUMAN)
    assert p.channel.texts(late.id)[-1] == (
        "已为您转接私人健康管家，管家会在这里直接回复您。您现在排在第一位，预计等待约60分钟。"
        "管家今天服务到20:30，如果今天来不及回复，明天08:30后会优先联系您。")


@pytest.mark.parametrize("now, call_centre", [
    ("2026-11-24T21:00:00", "如需尽快处理，可以致电众安客服热线952299 / 1010-9955（每天08:00–22:00，现在可以接听）。"),
    ("2026-11-24T23:30:00", "众安客服热线952299 / 1010-9955将于明天08:00开始接听。"),
    ("2026-11-25T07:00:00", "众安客服热线952299 / 1010-9955将于今天08:00开始接听。"),
    ("2026-11-25T08:10:00", "如需尽快处理，可以致电众安客服热线952299 / 1010-9955（每天08:00–22:00，现在可以接听）。"),
])
async def test_out_of_hours_files_a_callback_and_offers_the_call_centre_when_open(
        parts, now, call_centre):
    p = await parts(now)
    conversation = p.conversation("night")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    with p.db.reading() as session:
        ticket = session.execute(select(CallbackTicket)).scalar_one()
    due = at("2026-11-25T08:30:00")
    assert (ticket.due_at, ticket.status, ticket.reason) == (due, "open", "request_human")
    back = "明天08:30" if now.startswith("2026-11-24") else "今天08:30"
    assert p.channel.texts(conversation.id) == [
        f"现在是非工作时间，私人健康管家每天08:30–20:30在线，将于{back}上线。"
        f"已为您登记回访（编号{ticket.reference}），管家上线后会优先联系您。{call_centre}"]
    assert ticket.reference == f"HF261125{ticket.id:04d}"
    # The bot keeps the conversation overnight: nothing paused, nothing queued.
    assert p.row(Conversation, conversation.id).state == "bot"
    assert p.row(Handoff, ticket.handoff_id).within_hours is False


async def test_an_emergency_out_of_hours_repeats_that_120_comes_first(parts):
    p = await parts("2026-11-24T23:00:00")
    conversation = p.conversation("night-emergency")
    await p.handoffs.request(conversation, EMERGENCY)
    assert p.channel.texts(conversation.id)[-1].endswith(
        "急救优先：请先拨打120或去最近的医院急诊，安顿好后再联系我们。")
    with p.db.reading() as session:
        assert session.execute(select(CallbackTicket.priority)).scalar_one() == 3


async def test_asking_twice_at_night_keeps_one_ticket_and_raises_its_priority(parts):
    p = await parts("2026-11-24T22:00:00")
    conversation = p.conversation("twice")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    await p.handoffs.request(conversation, HandoffRequest("complaint", 2))
    with p.db.reading() as session:
        tickets = session.execute(select(CallbackTicket)).scalars().all()
    assert [(t.priority, t.reason) for t in tickets] == [(2, "complaint")]
    first, second = p.channel.texts(conversation.id)
    assert first == second  # the same ticket number both times


async def test_a_morning_request_supersedes_the_overnight_ticket(parts):
    p = await parts("2026-11-24T22:00:00")
    conversation = p.conversation("overnight")
    await p.handoffs.request(conversation, HandoffRequest("complaint", 2))
    p.at("2026-11-25T09:00:00")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    with p.db.reading() as session:
        assert session.execute(select(CallbackTicket.status)).scalar_one() == "done"
        outcomes = session.execute(select(Handoff.outcome).order_by(Handoff.id)).scalars().all()
        items = queue.waiting(session)
    assert outcomes == ["superseded", None]
    assert [(i.kind, i.priority) for i in items] == [("conversation", 2)]


async def test_an_emergency_while_waiting_moves_the_member_to_the_top(parts):
    p = await parts("2026-11-24T10:00:00")
    first, second = p.conversation("first"), p.conversation("second")
    await p.handoffs.request(first, REQUEST_HUMAN)
    await p.handoffs.request(second, REQUEST_HUMAN)
    await p.handoffs.request(second, EMERGENCY)
    with p.db.reading() as session:
        items = queue.waiting(session)
    assert [(i.conversation_id, i.reason) for i in items] == [
        (second.id, "emergency"), (first.id, "request_human")]
    assert p.channel.texts(second.id)[-1] == "您已经在等待私人健康管家了，您现在排在第一位，管家会尽快回复您。"


async def test_a_request_while_a_manager_has_it_says_nothing_more(parts):
    p = await parts("2026-11-24T20:40:00")  # past 20:30, but a manager is still on it
    manager = p.manager("wang")
    p.at("2026-11-24T20:00:00")
    conversation = p.conversation("late-chat")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    await p.handoffs.claim(conversation.id, manager)
    p.at("2026-11-24T20:40:00")
    before = len(p.channel.sent)
    assert await p.handoffs.request(conversation, EMERGENCY) == []
    assert len(p.channel.sent) == before
    with p.db.reading() as session:
        assert session.execute(select(CallbackTicket)).first() is None
        assert session.get(Conversation, conversation.id).priority == 3


async def test_claim_is_atomic_and_hand_back_returns_the_conversation_to_the_bot(parts):
    p = await parts("2026-11-24T10:00:00")
    wang, li = p.manager("wang"), p.manager("li")
    conversation = p.conversation("claimed")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    await p.handoffs.claim(conversation.id, wang)
    with pytest.raises(queue.QueueConflict) as lost:
        await p.handoffs.claim(conversation.id, li)
    assert (lost.value.key, lost.value.owner) == ("claim_lost", "管家wang")
    with pytest.raises(queue.QueueConflict):
        await p.handoffs.reply(conversation.id, li, "我来")
    await p.handoffs.reply(conversation.id, wang, "您好")
    await p.handoffs.hand_back(conversation.id, wang)
    row = p.row(Conversation, conversation.id)
    assert (row.state, row.owner_id, row.priority) == ("bot", None, 0)
    handoff = p.row(Handoff, 1)
    assert (handoff.claimed_by, handoff.outcome) == (wang.id, "handed_back")
    assert p.channel.texts(conversation.id)[-4:] == [
        "您好，我是您的私人健康管家，接下来由我为您服务。", "您好",
        "健康管家已经为您处理好了，接下来由智能助手继续为您服务。",
        "本次管家服务您满意吗？数字后面还可以附上您的意见，如「4 等太久了」。"]


def test_the_bot_payload_is_never_shown_and_the_most_urgent_request_wins():
    replies = [
        {"recipient_id": "web:x", "text": "⚠️请立即拨打120"},
        {"recipient_id": "web:x", "custom": {"handoff": {"reason": "fallback", "priority": 1}}},
        {"recipient_id": "web:x", "text": "选一个", "buttons": [{"title": "是", "payload": "/affirm"}]},
        {"recipient_id": "web:x", "custom": {"handoff": {"reason": "emergency", "priority": 3}}},
        {"recipient_id": "web:x", "custom": {"something": "else"}},
    ]
    texts, handoff = split_replies(replies)
    assert texts == [{"text": "⚠️请立即拨打120", "buttons": []},
                     {"text": "选一个", "buttons": [{"title": "是", "payload": "/affirm"}]}]
    assert handoff == HandoffRequest("emergency", 3)


def test_an_unknown_reason_is_still_a_request_for_a_person():
    assert HandoffRequest.from_custom({"handoff": {"reason": "??", "priority": "x"}}) == \
        HandoffRequest("request_human", 1)


# ---------------------------------------------------------------- never a silent queue


async def test_a_queued_member_is_acknowledged_at_most_every_few_minutes(parts):
    p = await parts("2026-11-24T10:00:00")
    conversation = p.conversation("waiting")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    told = len(p.channel.texts(conversation.id))
    p.at("2026-11-24T10:01:00")          # just told the wait: no second notice yet
    assert await p.handoffs.while_queued(conversation, "我想问下直付的事") == []
    p.at("2026-11-24T10:04:00")
    [ack] = await p.handoffs.while_queued(conversation, "就是上次那个发票")
    assert ack.text == "收到，管家接入后会看到您的全部留言。您现在排在第一位，管家会尽快回复您。"
    p.at("2026-11-24T10:05:00")
    assert await p.handoffs.while_queued(conversation, "还有个问题") == []
    assert len(p.channel.texts(conversation.id)) == told + 1


@pytest.mark.parametrize("question", ["还要等多久啊", "人呢", "怎么还没人回我", "我前面还有几个人"])
async def test_a_question_about_the_wait_is_always_answered(parts, question):
    p = await parts("2026-11-24T10:00:00")
    conversation = p.conversation("asking")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    [answer] = await p.handoffs.while_queued(conversation, question)
    assert answer.text == "您已经在等待私人健康管家了，您现在排在第一位，管家会尽快回复您。"


async def test_after_an_emergency_what_to_do_gets_120_and_the_open_phone_line(parts):
    p = await parts("2026-11-24T10:00:00")
    conversation = p.conversation("emergency")
    await p.handoffs.request(conversation, EMERGENCY)
    [queued] = p.channel.texts(conversation.id)
    assert "立即拨打120" in queued and "952299" in queued     # no estimate: not to wait
    p.at("2026-11-24T10:00:30")
    [answer] = await p.handoffs.while_queued(conversation, "我该怎么办")
    assert answer.text.startswith("如果情况紧急或加重，请立即拨打120，不要等管家回复。")
    assert "952299" in answer.text and "排在第一位" in answer.text
    p.at("2026-11-24T10:01:00")
    assert await p.handoffs.while_queued(conversation, "好的") == []     # no flood


async def test_after_a_crisis_the_waiting_member_gets_the_crisis_lines_not_120_paperwork(parts):
    p = await parts("2026-11-24T10:00:00")
    conversation = p.conversation("crisis")
    await p.handoffs.request(conversation, HandoffRequest("crisis", 3))
    [answer] = await p.handoffs.while_queued(conversation, "我不知道该怎么办")
    assert "12356" in answer.text and "952299" not in answer.text


async def test_a_short_wait_for_an_emergency_does_not_repeat_120_at_queueing(parts):
    p = await parts("2026-11-24T10:00:00")
    manager = p.manager("li")
    earlier = p.conversation("earlier")
    await p.handoffs.request(earlier, REQUEST_HUMAN)
    p.at("2026-11-24T10:03:00")
    await p.handoffs.claim(earlier.id, manager)      # one claim in the hour: ~60 min a place
    for minute in range(1, 12):                      # eleven more claims: ~5 min a place
        other = p.conversation(f"other-{minute}")
        await p.handoffs.request(other, REQUEST_HUMAN)
        await p.handoffs.claim(other.id, manager)
    conversation = p.conversation("emergency-now")
    await p.handoffs.request(conversation, EMERGENCY)
    [queued] = p.channel.texts(conversation.id)
    assert "预计5分钟内回复" in queued and "120" not in queued


# ------------------------------------------------- no silent close, no false "handled"


def _member_says(p: Parts, conversation: ConversationRef, text: str) -> None:
    with p.db.writing() as session:
        store.record_member_message(session, "web", conversation.external_id, text, None,
                                    p.clock.now())


async def test_an_emergency_cannot_be_closed_or_handed_back_without_a_reply_or_a_reason(parts):
    p = await parts("2026-11-24T10:00:00")
    manager = p.manager("zhao")
    conversation = p.conversation("emergency-close")
    _member_says(p, conversation, "我妈突然晕倒了")
    await p.handoffs.request(conversation, EMERGENCY)
    await p.handoffs.claim(conversation.id, manager)
    for release in (p.handoffs.close, p.handoffs.hand_back):
        with pytest.raises(queue.QueueConflict) as refused:
            await release(conversation.id, manager)
        assert refused.value.key == "urgent_unanswered"
    assert p.row(Conversation, conversation.id).state == "human"
    await p.handoffs.close(conversation.id, manager, "已电话联系，会员已到医院急诊")
    assert p.row(Conversation, conversation.id).state == "closed"
    with p.db.reading() as session:
        [note] = session.execute(select(Note)).scalars()
        assert note.text == "结束会话原因：已电话联系，会员已到医院急诊"


async def test_an_answered_emergency_closes_without_a_reason(parts):
    p = await parts("2026-11-24T10:00:00")
    manager = p.manager("qian")
    conversation = p.conversation("emergency-answered")
    await p.handoffs.request(conversation, EMERGENCY)
    await p.handoffs.claim(conversation.id, manager)
    await p.handoffs.reply(conversation.id, manager, "请先拨打120，我这边马上联系您")
    await p.handoffs.close(conversation.id, manager)
    assert p.row(Conversation, conversation.id).state == "closed"


async def test_hand_back_tells_the_truth_when_the_last_message_was_not_answered(parts):
    p = await parts("2026-11-24T10:00:00")
    manager = p.manager("sun")
    conversation = p.conversation("unanswered")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    await p.handoffs.claim(conversation.id, manager)
    await p.handoffs.reply(conversation.id, manager, "您好，请问有什么可以帮您")
    _member_says(p, conversation, "我想问下直付卡丢了怎么办")
    await p.handoffs.hand_back(conversation.id, manager)
    last = p.channel.texts(conversation.id)[-2]      # then the satisfaction survey
    assert last.startswith("您刚才的留言管家还没来得及回复") and "处理好了" not in last


async def test_a_thank_you_after_the_last_reply_needs_no_answer(parts):
    p = await parts("2026-11-24T10:00:00")
    manager = p.manager("zhou")
    conversation = p.conversation("thanks")
    _member_says(p, conversation, "直付卡丢了怎么补")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    await p.handoffs.claim(conversation.id, manager)
    await p.handoffs.reply(conversation.id, manager, "已经为您补发了电子直付卡")
    _member_says(p, conversation, "好的 谢谢👍")
    await p.handoffs.hand_back(conversation.id, manager)
    assert "处理好了" in p.channel.texts(conversation.id)[-2]


# ----------------------------------------------- nobody claims: told, a callback filed


async def test_a_member_nobody_claims_is_told_and_gets_a_callback_once(parts):
    p = await parts("2026-11-24T10:00:00")
    conversation = p.conversation("unclaimed")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    p.at("2026-11-24T10:19:00")
    assert await p.handoffs.sweep_unclaimed() == 0
    p.at("2026-11-24T10:21:00")
    assert await p.handoffs.sweep_unclaimed() == 1
    told = p.channel.texts(conversation.id)[-1]
    with p.db.reading() as session:
        [ticket] = session.execute(select(CallbackTicket)).scalars()
    assert told.startswith("抱歉，您已经等了21分钟，管家们还在忙，暂时没能接入。")
    assert ticket.reference in told and "不会断开" in told and "952299" in told
    assert p.row(Conversation, conversation.id).state == "queued"     # still claimable
    p.at("2026-11-24T10:40:00")
    assert await p.handoffs.sweep_unclaimed() == 0                       # once per handoff
    manager = p.manager("wu")
    await p.handoffs.claim(conversation.id, manager)
    assert p.row(CallbackTicket, ticket.id).status == "claimed"          # served by the claim
    await p.handoffs.reply(conversation.id, manager, "久等了")
    await p.handoffs.hand_back(conversation.id, manager)
    assert p.row(CallbackTicket, ticket.id).status == "done"


async def test_an_unclaimed_emergency_is_told_sooner_with_120_first(parts):
    p = await parts("2026-11-24T10:00:00")
    conversation = p.conversation("unclaimed-emergency")
    await p.handoffs.request(conversation, EMERGENCY)
    p.at("2026-11-24T10:06:00")
    assert await p.handoffs.sweep_unclaimed() == 1
    told = p.channel.texts(conversation.id)[-1]
    assert told.startswith("如果情况紧急或加重，请立即拨打120") and "952299" in told


async def test_still_waiting_at_closing_is_called_back_in_the_morning(parts):
    p = await parts("2026-11-24T20:20:00")
    conversation = p.conversation("late")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    p.at("2026-11-24T20:45:00")
    assert await p.handoffs.sweep_unclaimed() == 1
    with p.db.reading() as session:
        [ticket] = session.execute(select(CallbackTicket)).scalars()
    assert ticket.due_at.isoformat() == "2026-11-25T08:30:00+08:00"
    assert "管家将于明天08:30上线" in p.channel.texts(conversation.id)[-1]


async def test_the_bots_summary_is_kept_on_the_handoff_else_the_members_last_words(parts):
    p = await parts("2026-11-24T10:00:00")
    asked = p.conversation("health")
    request = HandoffRequest.from_custom({"handoff": {"reason": "health", "priority": 1,
                                                      "summary": " 体检说甲状腺结节3类 严重吗 "}})
    assert request == HandoffRequest("health", 1, "体检说甲状腺结节3类 严重吗")
    await p.handoffs.request(asked, request)
    plain = p.conversation("plain")
    _member_says(p, plain, "我要找人工")
    await p.handoffs.request(plain, REQUEST_HUMAN)
    with p.db.reading() as session:
        assert [h.summary for h in queue.handoffs_of(session, asked.id)] == ["体检说甲状腺结节3类 严重吗"]
        assert [h.summary for h in queue.handoffs_of(session, plain.id)] == ["我要找人工"]



# ---------------------------------------------------------------- satisfaction (满意度)


def _sent(p: Parts, conversation: ConversationRef) -> List[OutgoingMessage]:
    return [m for cid, m in p.channel.sent if cid == conversation.id]


async def _served(p: Parts, name: str) -> Tuple[ConversationRef, Actor]:
    manager = p.manager(name)
    conversation = p.conversation(f"served-{name}")
    _member_says(p, conversation, "直付卡怎么用")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    await p.handoffs.claim(conversation.id, manager)
    await p.handoffs.reply(conversation.id, manager, "出示电子直付卡就可以")
    return conversation, manager


async def test_a_served_member_is_asked_once_with_five_numbered_choices(parts):
    p = await parts("2026-11-24T10:00:00")
    conversation, manager = await _served(p, "he")
    await p.handoffs.close(conversation.id, manager)
    survey = _sent(p, conversation)[-1]
    assert survey.text.startswith("本次管家服务您满意吗")
    assert [(b["title"], b["payload"]) for b in survey.buttons] == [
        ("1 非常满意", "1"), ("2 满意", "2"), ("3 一般", "3"), ("4 不满意", "4"),
        ("5 非常不满意", "5")]
    with p.db.reading() as session:
        [asked] = session.execute(select(Survey)).scalars()
        assert (asked.manager_id, asked.rating) == (manager.id, None)


async def test_nobody_served_no_survey(parts):
    p = await parts("2026-11-24T10:00:00")
    manager = p.manager("lu")
    conversation = p.conversation("never-claimed")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    await p.handoffs.close(conversation.id, manager)      # closed while waiting
    with p.db.reading() as session:
        assert session.execute(select(Survey)).first() is None


@pytest.mark.parametrize("text, rating, comment", [
    ("1", 1, None), ("4 等太久了", 4, "等太久了"), ("② 回复有点慢", 2, "回复有点慢"),
    ("非常满意 谢谢", 1, "谢谢"), ("五", 5, None)])
def test_ratings_are_read_with_their_comment(text, rating, comment):
    assert satisfaction.parse_rating(text) == (rating, comment or "")


@pytest.mark.parametrize("text", ["12月3号上午", "1个问题", "一下", "满意吗", "我想问下直付", ""])
def test_other_messages_are_no_rating(text):
    assert satisfaction.parse_rating(text) is None


async def test_the_first_message_answers_the_survey_or_lets_it_lapse(parts):
    p = await parts("2026-11-24T10:00:00")
    conversation, manager = await _served(p, "ma")
    await p.handoffs.hand_back(conversation.id, manager)
    now = p.clock.now()
    with p.db.writing() as session:
        assert satisfaction.answer(session, conversation.id, "3 一般 回复有点慢", now) == 3
    with p.db.writing() as session:   # answered: a later "2" is a choice, not a rating
        assert satisfaction.answer(session, conversation.id, "2", now) is None
    other, manager2 = await _served(p, "niu")
    await p.handoffs.hand_back(other.id, manager2)
    with p.db.writing() as session:   # went on with something else: lapsed
        assert satisfaction.answer(session, other.id, "我还想约个号", now) is None
        assert satisfaction.answer(session, other.id, "1", now) is None
    with p.db.reading() as session:
        scores = {s.manager: s for s in satisfaction.by_manager(session, now - timedelta(days=30))}
    assert (scores["管家ma"].asked, scores["管家ma"].answered, scores["管家ma"].average) == (1, 1, 3.0)
    assert scores["管家ma"].comments == ["一般 回复有点慢"]
    assert (scores["管家niu"].asked, scores["管家niu"].answered) == (1, 0)


# ------------------------------------------------------------------------ inactivity


async def test_a_quiet_conversation_returns_to_the_bot_and_the_member_is_told(parts):
    p = await parts("2026-11-24T10:00:00")
    conversation, manager = await _served(p, "yang")
    p.at("2026-11-24T10:29:00")
    assert await p.handoffs.sweep_quiet() == 0
    p.at("2026-11-24T10:31:00")
    assert await p.handoffs.sweep_quiet() == 1
    assert p.row(Conversation, conversation.id).state == "bot"
    told, survey = p.channel.texts(conversation.id)[-2:]
    assert told.startswith("这段时间没有新的消息") and survey.startswith("本次管家服务您满意吗")
    assert await p.handoffs.sweep_quiet() == 0


async def test_a_quiet_conversation_with_a_question_open_stays_with_the_manager(parts):
    p = await parts("2026-11-24T10:00:00")
    conversation, manager = await _served(p, "xu")
    _member_says(p, conversation, "那住院也能直付吗")
    p.at("2026-11-24T11:00:00")
    assert await p.handoffs.sweep_quiet() == 0
    assert p.row(Conversation, conversation.id).state == "human"


async def test_a_quiet_emergency_is_never_returned_by_itself(parts):
    p = await parts("2026-11-24T10:00:00")
    manager = p.manager("tang")
    conversation = p.conversation("quiet-emergency")
    await p.handoffs.request(conversation, EMERGENCY)
    await p.handoffs.claim(conversation.id, manager)
    await p.handoffs.reply(conversation.id, manager, "请立即拨打120")
    p.at("2026-11-24T12:00:00")
    assert await p.handoffs.sweep_quiet() == 0


async def test_each_managers_day_counts_first_responses_and_resolutions_in_service_minutes(
        parts):
    from bot.console import stats

    p = await parts("2026-11-24T10:00:00")
    manager = p.manager("kong")
    usual, urgent = p.conversation("usual"), p.conversation("urgent")
    await p.handoffs.request(usual, REQUEST_HUMAN)
    await p.handoffs.request(urgent, EMERGENCY)
    await p.handoffs.claim(urgent.id, manager)
    await p.handoffs.claim(usual.id, manager)
    p.at("2026-11-24T10:03:00")
    await p.handoffs.reply(usual.id, manager, "您好")           # 3 minutes: within 10
    p.at("2026-11-24T10:05:00")
    await p.handoffs.reply(urgent.id, manager, "请先拨打120")   # 5 minutes: over 2
    await p.handoffs.close(usual.id, manager)                # resolved in 5: within 120
    p.at("2026-11-24T11:30:00")
    await p.handoffs.close(urgent.id, manager)               # 90 minutes: over 60
    with p.db.reading() as session:
        [row] = stats.by_day(session, at("2026-11-01T00:00:00"))
    assert (row.manager, row.served, row.first_response_median, row.first_response_breaches,
            row.resolved, row.resolution_median, row.resolution_breaches
            ) == ("管家kong", 2, 4.0, 1, 2, 47.5, 1)


async def test_a_managers_own_list_shows_how_long_the_member_has_waited_for_a_reply(parts):
    from bot.console import views

    p = await parts("2026-11-24T10:00:00")
    conversation, manager = await _served(p, "fang")
    _member_says(p, conversation, "那住院也能直付吗")
    p.at("2026-11-24T10:06:00")
    with p.db.reading() as session:
        waiting = views.awaiting_view(session, p.row(Conversation, conversation.id), p.clock.now())
    assert waiting == {"awaiting": "会员等待回复6分钟", "reply_breach": True, "overdue": None}
    await p.handoffs.reply(conversation.id, manager, "可以的")
    with p.db.reading() as session:
        answered = views.awaiting_view(session, p.row(Conversation, conversation.id), p.clock.now())
    assert answered == {"awaiting": None, "reply_breach": False, "overdue": None}
    p.at("2026-11-24T12:10:00")                               # open past the 2 hours
    with p.db.reading() as session:
        late = views.awaiting_view(session, p.row(Conversation, conversation.id), p.clock.now())
    assert late["overdue"] == "处理超时（已2小时10分钟）"


# ------------------------------------------------------- presence, assignment, transfer


async def test_a_present_manager_takes_a_waiting_member_at_once(parts):
    p = await parts("2026-11-24T10:00:00")
    wang = p.manager("wang")
    conversation = p.conversation("assigned")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    assert p.row(Conversation, conversation.id).state == "queued"      # nobody present
    await p.handoffs.set_presence(wang, "available")
    row = p.row(Conversation, conversation.id)
    assert (row.state, row.owner_id) == ("human", wang.id)
    assert p.channel.texts(conversation.id)[-1].startswith("您好，我是您的私人健康管家")


async def test_emergencies_first_then_the_least_busy_and_nobody_over_the_cap(parts):
    p = await parts("2026-11-24T10:00:00")
    zhang, li = p.manager("zhang"), p.manager("lin")
    with p.db.writing() as session:
        for user in (session.get(User, zhang.id), session.get(User, li.id)):
            user.max_active = 1
    usual, urgent, third = (p.conversation(n) for n in ("usual-1", "urgent-1", "third-1"))
    await p.handoffs.request(usual, REQUEST_HUMAN)
    await p.handoffs.request(urgent, EMERGENCY)
    await p.handoffs.request(third, REQUEST_HUMAN)
    await p.handoffs.set_presence(zhang, "available")        # takes the emergency
    assert p.row(Conversation, urgent.id).owner_id == zhang.id
    await p.handoffs.set_presence(li, "available")           # then the longest waiting
    assert p.row(Conversation, usual.id).owner_id == li.id
    assert p.row(Conversation, third.id).state == "queued"    # both full: stays claimable
    await p.handoffs.reply(usual.id, li, "好的")
    await p.handoffs.close(usual.id, li)                      # room again: the next one
    assert p.row(Conversation, third.id).owner_id == li.id


async def test_the_members_own_manager_comes_first(parts):
    p = await parts("2026-11-24T10:00:00")
    own, other = p.manager("own"), p.manager("other")
    conversation = p.conversation("returning")
    with p.db.writing() as session:
        session.get(Conversation, conversation.id).member_id = 42
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    await p.handoffs.claim(conversation.id, own)              # served once by "own"
    await p.handoffs.reply(conversation.id, own, "好的")
    await p.handoffs.hand_back(conversation.id, own)
    await p.handoffs.set_presence(other, "available")
    await p.handoffs.set_presence(own, "available")
    again = p.conversation("returning-wechat")                # the same member, elsewhere
    with p.db.writing() as session:
        session.get(Conversation, again.id).member_id = 42
    await p.handoffs.request(again, REQUEST_HUMAN)
    assert p.row(Conversation, again.id).owner_id == own.id


async def test_the_manager_the_backends_name_comes_before_whoever_served_last(
        parts, backends_server):
    from tests.test_backends_api import add_members

    p = await parts("2026-11-24T10:00:00")
    last, named = p.manager("served-last"), p.manager("named-own")
    [member_id] = add_members(backends_server.db_url, 1)
    client = BackendsClient(BackendSettings(backends_server.url, backends_server.token, 5))
    down = BackendsClient(BackendSettings(f"http://127.0.0.1:{free_port()}", "x", 1))
    p.handoffs.members = Members(client)
    try:
        await client.name_health_manager(f"own-{member_id}", member_id, "named-own")
        first = p.conversation(f"member-{member_id}")
        with p.db.writing() as session:
            session.get(Conversation, first.id).member_id = member_id
        await p.handoffs.request(first, REQUEST_HUMAN)
        await p.handoffs.claim(first.id, last)               # the named one was away
        await p.handoffs.reply(first.id, last, "好的")
        await p.handoffs.hand_back(first.id, last)
        for manager in (last, named):
            await p.handoffs.set_presence(manager, "available")
        await p.handoffs.request(first, REQUEST_HUMAN)
        assert p.row(Conversation, first.id).owner_id == named.id
        assert p.row(Conversation, first.id).own_manager == "named-own"
        # The backends down: the manager they named last still counts.
        await p.handoffs.reply(first.id, named, "好的")
        await p.handoffs.hand_back(first.id, named)
        p.handoffs.members = Members(down)
        await p.handoffs.request(first, REQUEST_HUMAN)
        row = p.row(Conversation, first.id)
        assert (row.owner_id, row.own_manager) == (named.id, "named-own")
    finally:
        await client.close()
        await down.close()


async def test_on_a_break_or_offline_nothing_is_assigned(parts):
    p = await parts("2026-11-24T10:00:00")
    manager = p.manager("rest")
    await p.handoffs.set_presence(manager, "break")
    conversation = p.conversation("waiting-for-someone")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    assert p.row(Conversation, conversation.id).state == "queued"
    with pytest.raises(queue.QueueConflict):
        await p.handoffs.set_presence(manager, "sleeping")


async def test_a_transfer_goes_to_a_colleague_with_a_note_and_the_member_is_told(parts):
    p = await parts("2026-11-24T10:00:00")
    first, colleague = p.manager("first"), p.manager("second")
    conversation = p.conversation("transferred")
    await p.handoffs.request(conversation, REQUEST_HUMAN)
    await p.handoffs.claim(conversation.id, first)
    await p.handoffs.transfer(conversation.id, first, colleague.id, "会员问住院直付，请跟进")
    row = p.row(Conversation, conversation.id)
    assert (row.state, row.owner_id) == ("human", colleague.id)
    assert "同事已把您的问题转给我" in p.channel.texts(conversation.id)[-1]
    with p.db.reading() as session:
        [note] = session.execute(select(Note)).scalars()
    assert note.text == "转接给管家second：会员问住院直付，请跟进"
    with pytest.raises(queue.QueueConflict) as refused:       # no longer first's
        await p.handoffs.transfer(conversation.id, first, first.id)
    assert refused.value.key == "not_owner"
