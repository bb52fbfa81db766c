"""A simulated working day of the handoff service (issue 15), with the injectable clock
and a real SQLite database (Rasa unreachable: the gateway's own state decides): members
arrive all day, one with an emergency; managers come, take breaks and leave; the minute's
sweep assigns, tells the unclaimed and returns quiet conversations. Every member gets a
manager's answer or a callback, and nothing is said twice."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.gateway.handoff import HandoffRequest
from bot.gateway.models import CallbackTicket, Conversation, Survey
from tests.test_gateway_handoff import Parts, _member_says, at, parts  # noqa: F401 (fixture)

REQUEST = HandoffRequest("request_human", 1)
EMERGENCY = HandoffRequest("emergency", 3)


async def test_a_working_day_every_member_gets_an_answer_or_a_callback(parts):
    p: Parts = await parts("2026-11-24T07:50:00")
    wang, li = p.manager("wang"), p.manager("li")
    members = {}

    async def arrive(name: str, words: str, request: HandoffRequest = REQUEST) -> None:
        conversation = p.conversation(name)
        members[name] = conversation
        _member_says(p, conversation, words)
        await p.handoffs.request(conversation, request)

    async def minute(until: str) -> None:
        """The gateway's sweep each minute up to `until`; managers answer what they own
        (a reply, then close) three minutes after it was assigned."""
        while p.clock.now() < at(until):
            p.at((p.clock.now() + timedelta(minutes=1)).isoformat())
            await p.handoffs.sweep()
            with p.db.reading() as session:
                owned = session.execute(select(Conversation).where(
                    Conversation.state == "human")).scalars().all()
                due = [(c.id, c.owner_id) for c in owned
                       if c.claimed_at <= p.clock.now() - timedelta(minutes=3)]
            for conversation_id, owner in due:
                manager = wang if owner == wang.id else li
                await p.handoffs.reply(conversation_id, manager, "您好，已为您处理。")
                await p.handoffs.close(conversation_id, manager)

    await arrive("early-bird", "我要找人工")                       # 07:50: a callback
    await minute("2026-11-24T08:30:00")
    await p.handoffs.set_presence(wang, "available")
    for i in range(6):                                             # 08:31 - 09:21
        await arrive(f"morning-{i}", f"直付卡问题{i}")
        await minute((p.clock.now() + timedelta(minutes=10)).isoformat())
    await p.handoffs.set_presence(li, "available")
    await arrive("emergency", "我爸突然胸口疼", EMERGENCY)
    for i in range(8):                                             # a rush: 8 in 8 minutes
        await arrive(f"rush-{i}", f"预授权问题{i}")
        await minute((p.clock.now() + timedelta(minutes=1)).isoformat())
    await p.handoffs.set_presence(wang, "break")
    await p.handoffs.set_presence(li, "offline")                  # nobody: the rest wait
    await arrive("lunch", "有人吗")
    await minute("2026-11-24T12:00:00")
    await p.handoffs.set_presence(wang, "available")
    await minute("2026-11-24T13:00:00")
    await arrive("late", "我要投诉")
    await p.handoffs.set_presence(wang, "offline")
    await minute("2026-11-24T21:00:00")                            # past closing

    with p.db.reading() as session:
        tickets = {t.conversation_id for t in session.execute(select(CallbackTicket)).scalars()}
        surveys = Counter(s.handoff_id for s in session.execute(select(Survey)).scalars())
    assert max(surveys.values()) == 1                              # asked once per handoff
    for name, conversation in members.items():
        said = p.channel.texts(conversation.id)
        answered = "您好，已为您处理。" in said
        assert answered or conversation.id in tickets, (name, said)
        # Nothing twice: each notice at most once (acknowledgements aside).
        repeated = [text for text, n in Counter(said).items() if n > 1]
        assert not repeated, (name, repeated)
    emergency = p.channel.texts(members["emergency"].id)
    assert any(text.startswith("您好，我是您的私人健康管家") for text in emergency)
    # the emergency was taken before the rush that followed it
    assert "您好，已为您处理。" in emergency
    assert members["early-bird"].id in tickets           # before 08:30: called back
    lunch = p.channel.texts(members["lunch"].id)             # nobody present: told, called back
    assert members["lunch"].id in tickets and any(t.startswith("抱歉，您已经等了") for t in lunch)
