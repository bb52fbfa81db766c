"""Conversation review (bot/review, docs/review.md) on a real gateway database, SQLite
and PostgreSQL: what the bot understood is stored with its ranking, the inbox groups and
orders, filters and saved filters, decisions with undo (refused once exported),
unmasking, clustering, and the export into Rasa training data (read back with Rasa's
reader, deduplicated, conflicts listed, no personal data)."""
from __future__ import annotations

import random
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import pytest
import yaml
from sqlalchemy import select

from bot import privacy
from bot.clock import SHANGHAI
from bot.db import Database
from bot.gateway import store
from bot.gateway.models import AuditEntry, Handoff, User
from bot.gateway.rasa import Understanding
from bot.processes import ROOT, VENV_BIN
from bot.review import clusters, conversations, decisions, export, inbox
from bot.review.decisions import ReviewError
from bot.review.filters import ConversationFilter, FilterError, InboxFilter
from bot.review.text import displayed, normalise

# Tuesday 24 November 2026, 10:00 in Shanghai; the week began on Monday the 23rd.
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
ROLES = {"zhao": "reviewer", "qian": "reviewer", "boss": "admin", "wang": "manager"}


# ------------------------------------------------------------------------- fixtures
def _users(db: Database) -> Dict[str, int]:
    with db.writing() as session:
        rows = [User(username=name, display_name=name, role=role, password_hash="-",
                     active=True, created_at=NOW) for name, role in ROLES.items()]
        session.add_all(rows)
        session.flush()
        return {row.username: row.id for row in rows}


@pytest.fixture
def db(empty_database: Database) -> Database:
    """The gateway's schema through its own migrations, on SQLite and PostgreSQL."""
    store.migrate(empty_database)
    empty_database.users = _users(empty_database)  # type: ignore[attr-defined]
    return empty_database


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database.from_url(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    store.migrate(database)
    database.users = _users(database)  # type: ignore[attr-defined]
    yield database
    database.dispose()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the training data: tests never write to the real data/."""
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "nlu", target / "nlu")
    return target


def parse_data(intent: str, confidence: float, ranking: Sequence[tuple] = (),
               entities: Sequence[Dict[str, Any]] = ()) -> Dict[str, Any]:
    """Rasa's parse data as the tracker holds it (FallbackClassifier puts nlu_fallback
    first in the ranking)."""
    return {"intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [{"name": n, "confidence": c} for n, c in
                               ([(intent, confidence)] + list(ranking))],
            "entities": list(entities)}


def say(db: Database, channel: str, member: str, text: str, intent: Optional[str],
        confidence: float = 0.9, at: datetime = NOW, ranking: Sequence[tuple] = (),
        entities: Sequence[Dict[str, Any]] = (), routed_to: str = "bot",
        bot_reply: Optional[str] = None) -> int:
    """A member message through the gateway's store, and the bot's reading of it."""
    with db.writing() as session:
        inbound = store.record_member_message(session, channel, member, text, None, at)
        understanding = (Understanding.from_parse(
            parse_data(intent, confidence, ranking, entities), {}) if intent else None)
        store.mark_routed(session, inbound.message_id, routed_to, understanding)
        if bot_reply:
            store.record_replies(session, inbound.conversation.id, "bot",
                                 [{"text": bot_reply}], at)
        return inbound.message_id


def conversation_of(db: Database, message_id: int) -> int:
    from bot.gateway.models import Message

    with db.reading() as session:
        return session.get(Message, message_id).conversation_id


def hand_off(db: Database, conversation_id: int, reason: str, at: datetime = NOW) -> None:
    with db.writing() as session:
        session.add(Handoff(conversation_id=conversation_id, reason=reason, priority=1,
                            requested_at=at, within_hours=True))


def decide(db: Database, message_id: int, user: str, action: str, **kwargs):
    with db.writing() as session:
        return decisions.decide(session, message_id, db.users[user], action, NOW, **kwargs)


def audit_actions(db: Database) -> List[tuple]:
    with db.reading() as session:
        return [(e.username, e.action, e.target) for e in session.execute(
            select(AuditEntry).order_by(AuditEntry.id)).scalars()]


def inbox_page(db: Database, **filters) -> inbox.InboxPage:
    with db.reading() as session:
        return inbox.inbox(session, NOW, InboxFilter(**filters))


RUIJIN = {"entity": "hospital", "value": "瑞金医院", "start": 1, "end": 3,
          "extractor": "DIETClassifier"}
CARDIOLOGY = {"entity": "department", "value": "心内科", "start": 3, "end": 6,
              "extractor": "DIETClassifier"}
TIME = {"entity": "time", "value": {"text": "明天上午"}, "start": 6, "end": 10,
        "extractor": "TimeAmountExtractor"}


# -------------------------------------------------------------- capturing the reading
def test_the_reading_keeps_the_ranking_and_where_each_entity_is(sqlite_db: Database) -> None:
    understood = Understanding.from_parse(parse_data(
        "nlu_fallback", 0.45, [("ask_claim", 0.31), ("ask_direct_billing", 0.22),
                               ("greet", 0.1), ("thank", 0.05), ("deny", 0.04),
                               ("affirm", 0.01)],
        [RUIJIN, {"entity": "red_flag", "value": "chest_pain"}]), {})
    assert understood.intent_ranking == [
        {"name": "ask_claim", "confidence": 0.31}, {"name": "ask_direct_billing",
                                                    "confidence": 0.22},
        {"name": "greet", "confidence": 0.1}, {"name": "thank", "confidence": 0.05},
        {"name": "deny", "confidence": 0.04}]
    assert understood.entities == [
        {"entity": "hospital", "value": "瑞金医院", "start": 1, "end": 3,
         "extractor": "DIETClassifier"},
        {"entity": "red_flag", "value": "chest_pain"}]

    message_id = say(sqlite_db, "web", "m1", "约瑞金心内科明天上午", "book_appointment", 0.93,
                     ranking=[("reschedule_appointment", 0.04)],
                     entities=[RUIJIN, CARDIOLOGY, TIME])
    with sqlite_db.reading() as session:
        from bot.gateway.models import Message

        view = store.console_view(session.get(Message, message_id))
    assert view["intent_ranking"] == [{"name": "book_appointment", "confidence": 0.93},
                                      {"name": "reschedule_appointment", "confidence": 0.04}]
    assert [(e["entity"], e["value"]) for e in view["entities"]][:2] == [
        ("hospital", "瑞金医院"), ("department", "心内科")]
    assert view["entities"][0]["start"] == 1 and view["entities"][0]["end"] == 3


# ----------------------------------------------------------------------------- inbox
def test_the_inbox_groups_duplicates_and_puts_the_least_understood_first(
        sqlite_db: Database) -> None:
    db = sqlite_db
    say(db, "wechat", "o-1", "发票怎么开", "nlu_fallback", 0.45, NOW - timedelta(hours=3),
        ranking=[("ask_claim", 0.3)])
    say(db, "web", "w-2", "  发票怎么开 ", "nlu_fallback", 0.45, NOW - timedelta(hours=2))
    latest = say(db, "wechat", "o-3", "发票怎么开", "nlu_fallback", 0.45,
                 NOW - timedelta(hours=1), ranking=[("ask_claim", 0.28)])
    say(db, "web", "w-4", "约瑞金心内科明天上午", "book_appointment", 0.97,
        entities=[RUIJIN, CARDIOLOGY, TIME])
    private = say(db, "wechat", "o-5", "我叫陈静，手机139 0000 0001，约瑞金", "book_appointment",
                  0.52, entities=[{"entity": "hospital", "value": "瑞金医院", "start": 22,
                                   "end": 24, "extractor": "DIETClassifier"}])
    say(db, "web", "w-6", "ＯＫ", "affirm", 0.88)
    say(db, "web", "w-7", "ok", "affirm", 0.9)
    # not for review: the bot's own words, a message Rasa never read
    say(db, "web", "w-8", "在吗", None, routed_to="unrouted")

    page = inbox_page(db)
    assert [(i.key, i.count) for i in page.items] == [
        ("发票怎么开", 3), ("我叫张三,手机13800000000,约瑞金", 1), ("ok", 2),
        ("约瑞金心内科明天上午", 1)]
    invoice = page.items[0]
    assert invoice.message_id == latest and invoice.fallback
    assert invoice.conversation_id == conversation_of(db, latest)
    assert invoice.intent_ranking == ({"name": "ask_claim", "confidence": 0.28},)
    shown = page.items[1]
    assert shown.message_id == private
    assert shown.text == "我叫陈*，手机139****0001，约瑞金"  # masked for display
    assert [(e["entity"], shown.text[e["start"]:e["end"]]) for e in shown.entities] == [
        ("hospital", "瑞金")]
    booking = page.items[3]
    assert [(e["entity"], booking.text[e["start"]:e["end"]]) for e in booking.entities] == [
        ("hospital", "瑞金"), ("department", "心内科"), ("time", "明天上午")]
    assert page.total == 4 and page.pages == 1

    with db.reading() as session:
        second = inbox.inbox(session, NOW, InboxFilter(), page=2, per_page=3)
    assert [i.key for i in second.items] == ["约瑞金心内科明天上午"] and second.pages == 2


def test_the_inbox_filters_by_intent_confidence_channel_period_and_review(db: Database) -> None:
    invoice = say(db, "wechat", "o-1", "发票怎么开", "nlu_fallback", 0.45)
    say(db, "web", "w-2", "理赔要什么材料", "ask_claim", 0.55)
    say(db, "wechat", "o-3", "直付卡怎么用", "ask_direct_pay_card", 0.95,
        at=NOW - timedelta(days=2))  # Sunday: last week
    assert [i.key for i in inbox_page(db, intent="ask_claim").items] == ["理赔要什么材料"]
    assert [i.key for i in inbox_page(db, below=0.5).items] == ["发票怎么开"]
    assert [i.key for i in inbox_page(db, channel="wechat").items] == ["发票怎么开", "直付卡怎么用"]
    assert [i.key for i in inbox_page(db, period="this_week").items] == ["发票怎么开", "理赔要什么材料"]
    assert [i.key for i in inbox_page(db, since=NOW.date() - timedelta(days=2),
                                      until=NOW.date() - timedelta(days=2)).items] == ["直付卡怎么用"]

    decide(db, invoice, "zhao", "relabel", intent="ask_claim")
    assert "发票怎么开" not in [i.key for i in inbox_page(db).items]
    everything = inbox_page(db, unreviewed=False).items
    assert everything[0].key == "发票怎么开"
    assert everything[0].decision.action == "relabel" and everything[0].decision.intent == "ask_claim"
    # a later duplicate is already reviewed: its text has a decision
    say(db, "web", "w-9", "发票怎么开", "nlu_fallback", 0.45)
    assert "发票怎么开" not in [i.key for i in inbox_page(db).items]


def test_unmasking_needs_an_admin_and_a_reason_and_is_audited(sqlite_db: Database) -> None:
    db = sqlite_db
    message_id = say(db, "wechat", "o-1", "我的手机13900000001，保单ZAHM2026000001", "link_policy",
                     0.8)
    assert "13900000001" not in inbox_page(db).items[0].text
    for user, reason, key in (("zhao", "核对保单", "unmask_not_admin"),
                              ("wang", "核对保单", "unmask_not_admin"),
                              ("boss", "  ", "unmask_no_reason")):
        with pytest.raises(ReviewError) as refused, db.writing() as session:
            inbox.unmask(session, message_id, reason, db.users[user], NOW)
        assert refused.value.key == key
        with db.writing() as session:  # the caller records the refusal afterwards
            decisions.audit_refusal(session, NOW, db.users[user], refused.value)
    assert refused.value.message == "请填写查看原文的理由。"
    with db.writing() as session:
        raw = inbox.unmask(session, message_id, "会员来电核对保单号", db.users["boss"], NOW)
    assert raw == "我的手机13900000001，保单ZAHM2026000001"
    assert audit_actions(db) == [
        ("zhao", "unmask_refused", f"message:{message_id}"),
        ("wang", "unmask_refused", f"message:{message_id}"),
        ("boss", "unmask_refused", f"message:{message_id}"),
        ("boss", "unmask", f"message:{message_id}")]
    with db.reading() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "unmask")).scalar_one()
    assert entry.detail["reason"] == "会员来电核对保单号"


# ------------------------------------------------------------------------- decisions
def test_the_latest_decision_counts_and_undo_brings_back_the_one_before(db: Database) -> None:
    message_id = say(db, "web", "w-1", "约瑞金心内科明天上午", "book_appointment", 0.81,
                     entities=[RUIJIN, CARDIOLOGY, TIME])
    accepted = decide(db, message_id, "zhao", "accept")
    assert accepted.intent == "book_appointment"
    # the bot's entities of DIET's kinds are kept; time comes from rules, never trained
    assert [(e["entity"], e["value"]) for e in accepted.entities] == [
        ("hospital", "瑞金"), ("department", "心内科")]
    relabelled = decide(db, message_id, "zhao", "relabel", intent="reschedule_appointment",
                        entities=[])
    with db.reading() as session:
        assert decisions.current_decision(session, message_id).id == relabelled.id

    with pytest.raises(ReviewError) as refused, db.writing() as session:
        decisions.undo(session, relabelled.id, db.users["qian"], NOW)
    assert refused.value.key == "undo_not_yours"
    with db.writing() as session:
        decisions.undo_last(session, db.users["zhao"], NOW)
    with db.reading() as session:
        assert decisions.current_decision(session, message_id).id == accepted.id
        assert [d.undone_at is not None for d in decisions.history(session, message_id)] == [
            False, True]
    with db.writing() as session:  # an admin may undo anyone's
        decisions.undo(session, accepted.id, db.users["boss"], NOW)
    with db.reading() as session:
        assert decisions.current_decision(session, message_id) is None
    assert [a[1] for a in audit_actions(db)] == [
        "review_accept", "review_relabel", "review_undo", "review_undo"]


def test_refused_decisions(sqlite_db: Database) -> None:
    db = sqlite_db
    fallback = say(db, "web", "w-1", "发票怎么开", "nlu_fallback", 0.45)
    unrouted = say(db, "web", "w-2", "在吗", None, routed_to="unrouted")
    cases = [
        (fallback, "wang", "accept", {}, "not_allowed"),
        (fallback, "zhao", "accept", {}, "accept_fallback"),
        (fallback, "zhao", "relabel", {"intent": "ask_invoice"}, "unknown_intent"),
        (fallback, "zhao", "relabel", {"intent": "EXTERNAL_handback"}, "unknown_intent"),
        (fallback, "zhao", "delete", {}, "bad_action"),
        (unrouted, "zhao", "skip", {}, "not_reviewable"),
        (fallback, "zhao", "relabel", {"intent": "ask_claim", "entities": [
            {"entity": "time", "start": 0, "end": 2}]}, "bad_entity"),
        (fallback, "zhao", "relabel", {"intent": "ask_claim", "entities": [
            {"entity": "hospital", "start": 3, "end": 9}]}, "bad_entity"),
    ]
    for message_id, user, action, kwargs, key in cases:
        with pytest.raises(ReviewError) as refused:
            decide(db, message_id, user, action, **kwargs)
        assert refused.value.key == key, (action, kwargs)
    assert refused.value.message.startswith("实体标注无效")
    for action in ("out_of_scope", "skip"):
        assert decide(db, fallback, "zhao", action).intent is None


def test_a_decision_keeps_the_text_masked_and_its_entities_where_they_are(
        sqlite_db: Database) -> None:
    db = sqlite_db
    text = "我叫陈静，手机139 0000 0001，帮我约瑞金心内科"
    message_id = say(db, "wechat", "o-1", text, "nlu_fallback", 0.45)
    shown = displayed(text).text
    assert shown == "我叫陈*，手机139****0001，帮我约瑞金心内科"
    start = shown.index("瑞金")
    decision = decide(db, message_id, "zhao", "relabel", intent="book_appointment", entities=[
        {"entity": "hospital", "start": start, "end": start + 2},
        {"entity": "department", "start": start + 2, "end": start + 5},
        {"entity": "doctor", "start": 2, "end": 4}])  # inside the masked name: dropped
    assert decision.text == "我叫张三，手机13800000000，帮我约瑞金心内科"
    assert [(e["entity"], decision.text[e["start"]:e["end"]], e["value"])
            for e in decision.entities] == [("hospital", "瑞金", "瑞金"),
                                            ("department", "心内科", "心内科")]
    with db.reading() as session:  # nothing personal in the audit log either
        details = [str(e.detail) for e in session.execute(select(AuditEntry)).scalars()]
    assert not any("陈静" in d or "13900000001" in d for d in details)


# --------------------------------------------------------------------- conversations
def _conversation_set(db: Database) -> Dict[str, int]:
    """A: WeChat, fallback twice, handed off for it; B: web, understood; C: WeChat, a
    complaint handed off, low confidence; D: WeChat last week, fallback; E: web, the
    bot's fallback answer (core fallback) after a confident reading."""
    rephrase = conversations.fallback_texts()[0]
    a = say(db, "wechat", "o-a", "发票怎么开", "nlu_fallback", 0.45, NOW - timedelta(hours=2),
            bot_reply=rephrase)
    say(db, "wechat", "o-a", "开发票", "nlu_fallback", 0.45, NOW - timedelta(hours=1))
    hand_off(db, conversation_of(db, a), "fallback")
    b = say(db, "web", "w-b", "直付卡怎么用", "ask_direct_pay_card", 0.97, NOW - timedelta(hours=3))
    c = say(db, "wechat", "o-c", "你们服务太差了", "complain", 0.52, NOW - timedelta(minutes=30))
    hand_off(db, conversation_of(db, c), "complaint")
    d = say(db, "wechat", "o-d", "体检套餐有哪些", "nlu_fallback", 0.45, NOW - timedelta(days=3))
    e = say(db, "web", "w-e", "那个呢", "inform", 0.83, NOW - timedelta(hours=4),
            bot_reply=conversations.fallback_texts()[-1])
    return {name: conversation_of(db, m) for name, m in zip("abcde", (a, b, c, d, e))}


def listed(db: Database, **filters) -> List[int]:
    with db.reading() as session:
        return [i.id for i in conversations.list_conversations(
            session, NOW, ConversationFilter(**filters)).items]


def test_conversations_filter_and_sort_by_what_needs_a_look(db: Database) -> None:
    ids = _conversation_set(db)
    name = {v: k for k, v in ids.items()}
    # fallback + low confidence + handoff (6), then fallback + low (5: d, the older),
    # a complaint at 0.52 handed off (3), a fallback answer (3, older), understood (0)
    assert [name[i] for i in listed(db)] == ["a", "d", "c", "e", "b"]
    assert [name[i] for i in listed(db, fallback=True)] == ["a", "d", "e"]
    assert [name[i] for i in listed(db, fallback=False)] == ["c", "b"]
    assert [name[i] for i in listed(db, handed_off=True)] == ["a", "c"]
    assert [name[i] for i in listed(db, handed_off=False)] == ["d", "e", "b"]
    assert [name[i] for i in listed(db, handoff_reason="complaint")] == ["c"]
    assert [name[i] for i in listed(db, below=0.5)] == ["a", "d"]
    assert [name[i] for i in listed(db, intent="complain")] == ["c"]
    assert [name[i] for i in listed(db, channel="wechat", period="this_week")] == ["a", "c"]

    with db.reading() as session:
        item = conversations.list_conversations(session, NOW).items[0]
    assert (item.fallback, item.lowest_confidence, item.handoff_reasons, item.unreviewed) == (
        True, 0.45, ("fallback",), 2)

    # reviewing every text of A sends it after the unreviewed ones
    with db.reading() as session:
        texts = [i for i in inbox.inbox(session, NOW).items if i.conversation_id == ids["a"]]
    for item in texts:
        decide(db, item.message_id, "zhao", "relabel", intent="ask_claim")
    assert [name[i] for i in listed(db)] == ["d", "c", "e", "b", "a"]
    assert [name[i] for i in listed(db, reviewed=True)] == ["a"]
    assert ids["a"] not in listed(db, reviewed=False)

    # tags
    with db.writing() as session:
        conversations.add_tag(session, ids["c"], " 服务投诉 ", db.users["zhao"], NOW)
        conversations.add_tag(session, ids["c"], "服务投诉", db.users["qian"], NOW)
        tags = conversations.add_tag(session, ids["c"], "回复有误", db.users["zhao"], NOW)
    assert tags == ["回复有误", "服务投诉"]
    assert listed(db, tags=("服务投诉",)) == [ids["c"]]
    assert listed(db, tags=("服务投诉", "新意图")) == []
    with db.writing() as session:
        conversations.remove_tag(session, ids["c"], "回复有误", db.users["zhao"], NOW)
        assert conversations.tag_counts(session) == [("服务投诉", 1)]
    with pytest.raises(ReviewError), db.writing() as session:
        conversations.add_tag(session, ids["c"], "x" * 41, db.users["zhao"], NOW)


def test_saved_filters_are_one_click_and_stay_relative(db: Database) -> None:
    ids = _conversation_set(db)
    zhao, qian = db.users["zhao"], db.users["qian"]
    with db.writing() as session:
        saved = conversations.save_filter(session, zhao, "本周微信中的未理解消息", {
            "period": "this_week", "channel": "wechat", "fallback": "true"}, NOW)
        conversations.save_filter(session, zhao, "低置信度", {"below": 0.6, "unreviewed": False},
                                  NOW, view="inbox")
        conversations.save_filter(session, qian, "投诉", {"handoff_reason": "complaint"}, NOW)
    assert saved.query == {"period": "this_week", "channel": "wechat", "fallback": True}
    with db.reading() as session:
        mine = conversations.saved_filters(session, zhao)
        assert [(f.view, f.name) for f in mine] == [
            ("conversations", "本周微信中的未理解消息"), ("inbox", "低置信度")]
        one_click = conversations.list_conversations(session, NOW, mine[0].filter())
        assert mine[1].filter() == InboxFilter(unreviewed=False, below=0.6)
        # next week the same filter means next week
        later = conversations.list_conversations(session, NOW + timedelta(days=7),
                                                 mine[0].filter())
    assert [i.id for i in one_click.items] == [ids["a"]]
    assert later.items == ()

    with db.writing() as session:  # saving under the same name replaces it
        conversations.save_filter(session, zhao, "本周微信中的未理解消息",
                                  {"period": "last_7_days", "channel": "wechat"}, NOW)
        assert len(conversations.saved_filters(session, zhao)) == 2
        assert not conversations.delete_filter(session, qian, saved.id)  # not hers
        assert conversations.delete_filter(session, zhao, saved.id)
        assert [f.name for f in conversations.saved_filters(session, zhao)] == ["低置信度"]
    for query in ({"colour": "red"}, {"below": 2}, {"period": "next_year"},
                  {"since": "24/11/2026"}):
        with pytest.raises(ReviewError) as refused, db.writing() as session:
            conversations.save_filter(session, zhao, "坏的", query, NOW)
        assert refused.value.key == "bad_filter"
    with pytest.raises(FilterError):
        ConversationFilter.from_query({"tags": 3})


def test_purging_a_member_keeps_only_the_masked_decision(db: Database,
                                                          data_dir: Path) -> None:
    """WeChat unsubscribe (store.purge_member) deletes the member's messages; a decision
    on one keeps its masked text (message_id becomes NULL) and still exports; the
    conversation's tags go with it."""
    message_id = say(db, "wechat", "o-gone", "我叫陈静，发票怎么开", "nlu_fallback", 0.45)
    decision = decide(db, message_id, "zhao", "relabel", intent="ask_claim")
    with db.writing() as session:
        conversations.add_tag(session, conversation_of(db, message_id), "新意图",
                              db.users["zhao"], NOW)
        assert store.purge_member(session, "wechat", "o-gone") == 1
    with db.reading() as session:
        from bot.gateway.models import ConversationTag, ReviewDecision

        kept = session.get(ReviewDecision, decision.id)
        assert (kept.message_id, kept.text) == (None, "我叫张三，发票怎么开")
        assert session.execute(select(ConversationTag)).first() is None
    with db.writing() as session:
        report = export.export(session, NOW, data_dir=data_dir)
    assert [w.text for w in report.written] == ["我叫张三，发票怎么开"]


# -------------------------------------------------------------------------- clusters
FIXED_SET = [
    "发票怎么开", "怎么开发票", "能开发票吗", "发票怎么开？", "我要开发票", "开发票去哪里开",
    "体检套餐有哪些", "有什么体检套餐", "体检套餐多少钱", "你们的体检套餐怎么选", "体检套餐包括哪些项目",
    "怎么查看我的积分", "积分怎么用", "我的积分有多少",
    "今天天气怎么样", "你喜欢什么颜色", "哈哈哈", "周末去哪玩", "给我讲个笑话", "这个怎么弄", "在吗",
    "怎么开通会员", "你是谁", "我想问一下",
]


def test_clusters_gather_the_phrasings_of_a_missing_intent() -> None:
    found = clusters.cluster(FIXED_SET, [4, 1, 1, 1, 1, 1] + [1] * (len(FIXED_SET) - 6))
    groups = [set(FIXED_SET[i] for i in c.indices) for c in found if c.size > 1]
    assert groups == [set(FIXED_SET[:6]), set(FIXED_SET[6:11]), set(FIXED_SET[11:14])]
    invoice = found[0]
    assert invoice.count == 9 and invoice.examples[0] == "发票怎么开"
    assert invoice.representative in FIXED_SET[:6]
    assert all(c.size == 1 for c in found[3:])  # the noise stays apart

    shuffled = FIXED_SET[:]
    random.Random(7).shuffle(shuffled)
    again = clusters.cluster(shuffled)
    assert sorted(sorted(shuffled[i] for i in c.indices) for c in again) == \
        sorted(sorted(FIXED_SET[i] for i in c.indices) for c in clusters.cluster(FIXED_SET))
    assert clusters.cluster([]) == []


def test_unrecognised_messages_are_fallbacks_and_low_confidence(sqlite_db: Database) -> None:
    db = sqlite_db
    say(db, "web", "w-1", "发票怎么开", "nlu_fallback", 0.45)
    say(db, "web", "w-2", "怎么开发票", "ask_claim", 0.41)
    say(db, "web", "w-3", "理赔要什么材料", "ask_claim", 0.93)
    with db.reading() as session:
        found = inbox.unrecognised(session, NOW)
    assert sorted(i.key for i in found) == ["发票怎么开", "怎么开发票"]


# ---------------------------------------------------------------------------- export
def _reviewed(data_dir: Path) -> Dict[str, List[str]]:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    data = RasaYAMLReader().read(str(export.reviewed_path(data_dir)))
    found: Dict[str, List[str]] = {}
    for message in data.training_examples:
        found.setdefault(message.get("intent"), []).append(message.get("text"))
    return found


def test_the_export_is_rasa_training_data_appended_and_marked(db: Database,
                                                               data_dir: Path) -> None:
    booking = say(db, "web", "w-1", "约瑞金心内科明天上午", "book_appointment", 0.81,
                  entities=[RUIJIN, CARDIOLOGY, TIME])
    invoice = say(db, "wechat", "o-2", "电子发票怎么 开\n谢谢", "nlu_fallback", 0.45)
    skipped = say(db, "wechat", "o-3", "哈哈哈", "nlu_fallback", 0.45)
    decide(db, booking, "zhao", "accept")
    decide(db, invoice, "zhao", "relabel", intent="ask_claim")
    decide(db, skipped, "zhao", "out_of_scope")

    with db.reading() as session:
        dry = export.export(session, NOW, data_dir=data_dir, dry_run=True)
    assert dry.counts == {"written": 2, "duplicates": 0, "conflicts": 0, "skipped": 0}
    assert not export.reviewed_path(data_dir).exists()

    with db.writing() as session:
        report = export.export(session, NOW, db.users["zhao"], data_dir=data_dir)
    assert [(w.intent, w.example) for w in report.written] == [
        ("book_appointment", "约[瑞金](hospital)[心内科](department)明天上午"),
        ("ask_claim", "电子发票怎么 开 谢谢")]
    text = export.reviewed_path(data_dir).read_text(encoding="utf-8")
    assert 'version: "3.1"' in text and "- intent: book_appointment\n  examples: |\n" in text
    assert _reviewed(data_dir) == {"book_appointment": ["约瑞金心内科明天上午"],
                                   "ask_claim": ["电子发票怎么 开 谢谢"]}
    from rasa.shared.nlu.training_data.loading import load_data

    everything = load_data(str(data_dir / "nlu"))
    annotated = [m for m in everything.training_examples if m.get("text") == "约瑞金心内科明天上午"]
    assert [(e["entity"], e["value"]) for e in annotated[0].get("entities")] == [
        ("hospital", "瑞金"), ("department", "心内科")]
    assert everything.entity_synonyms["瑞金"] == "瑞金医院"  # the catalog's synonym applies
    assert "review_export" in [a[1] for a in audit_actions(db)]

    # exported relabels cannot be undone; nothing is exported twice
    with db.reading() as session:
        relabel = decisions.current_decision(session, invoice)
    assert relabel.export_id == report.export_id and relabel.exported_at == NOW
    with pytest.raises(ReviewError) as refused, db.writing() as session:
        decisions.undo(session, relabel.id, db.users["zhao"], NOW)
    assert refused.value.message == "这条标注已导出为训练数据，不能撤销。"
    with db.writing() as session:
        assert export.export(session, NOW, data_dir=data_dir).export_id is None

    # the next export appends to the file
    more = say(db, "web", "w-4", "协和的骨科能约吗", "book_appointment", 0.77,
               entities=[{"entity": "hospital", "value": "北京协和医院", "start": 0, "end": 2,
                          "extractor": "DIETClassifier"}])
    decide(db, more, "qian", "accept")
    with db.writing() as session:
        second = export.export(session, NOW, data_dir=data_dir)
    assert second.counts["written"] == 1 and second.export_id == report.export_id + 1
    assert _reviewed(data_dir)["book_appointment"] == ["约瑞金心内科明天上午", "协和的骨科能约吗"]


def test_the_export_skips_duplicates_and_lists_conflicts(db: Database, data_dir: Path) -> None:
    existing = say(db, "web", "w-1", "转人工", "request_human", 0.99)
    relabelled = say(db, "web", "w-2", " 电子发票可以理赔吗\n", "ask_claim", 0.6)
    conflicting = say(db, "web", "w-3", "发票丢了还能报销吗", "ask_claim", 0.7)
    ours_a = say(db, "web", "w-4", "孩子的体检套餐", "nlu_fallback", 0.45)
    ours_b = say(db, "wechat", "o-5", "孩子的体检套餐", "nlu_fallback", 0.45)
    same_a = say(db, "web", "w-6", "有没有牙科", "ask_network_hospitals", 0.6)
    same_b = say(db, "wechat", "o-7", "有没有牙科", "ask_network_hospitals", 0.62)
    decide(db, existing, "zhao", "accept")
    decide(db, relabelled, "zhao", "accept")
    decide(db, conflicting, "zhao", "relabel", intent="ask_preauth_materials")
    decide(db, ours_a, "zhao", "relabel", intent="ask_visit_rules")
    decide(db, ours_b, "qian", "relabel", intent="out_of_scope")
    first = decide(db, same_a, "zhao", "accept")
    second = decide(db, same_b, "qian", "accept")

    with db.writing() as session:
        report = export.export(session, NOW, data_dir=data_dir)
    assert [(w.intent, w.text) for w in report.written] == [("ask_network_hospitals", "有没有牙科")]
    assert [(d.text, d.intent, d.where) for d in report.duplicates] == [
        ("转人工", "request_human", "nlu/service.yml"),
        ("电子发票可以理赔吗", "ask_claim", "nlu/service.yml"),
        ("有没有牙科", "ask_network_hospitals", export.THIS_EXPORT)]
    conflicts = {c.text: c for c in report.conflicts}
    assert set(conflicts) == {"发票丢了还能报销吗", "孩子的体检套餐"}
    assert conflicts["发票丢了还能报销吗"].sides == (
        ("ask_preauth_materials", f"审核标注 #{conflicts['发票丢了还能报销吗'].decision_ids[0]}"),
        ("ask_claim", "nlu/service.yml"))
    assert conflicts["孩子的体检套餐"].intents == ("ask_visit_rules", "out_of_scope")
    assert "冲突" in report.as_text() and "nlu/service.yml" in report.as_text()
    # " 电子发票可以理赔吗\n" is the existing 电子发票可以理赔吗 once normalised
    assert report.counts == {"written": 1, "duplicates": 3, "conflicts": 2, "skipped": 0}
    assert _reviewed(data_dir) == {"ask_network_hospitals": ["有没有牙科"]}

    with db.reading() as session:
        pending = {d.id for d in decisions.pending_export(session)}
        assert {first.id, second.id} & pending == set()
        assert len(pending) == 3  # the conflicts wait for a reviewer


def test_the_export_never_holds_personal_data(db: Database, data_dir: Path) -> None:
    texts = [
        "我叫陈静，手机139 0000 0001，约瑞金心内科",
        "身份证110105199003071239 保单ZAHM2026000001 怎么理赔",
        "我是王建国，直付卡ZADP202600000123丢了",
        "银行卡6222 0202 0000 1234 562能收理赔款吗，我住上海市徐汇区宛平南路600号5栋302",
    ]
    raw_values = ["陈静", "13900000001", "139 0000 0001", "110105199003071239",
                  "ZAHM2026000001", "王建国", "ZADP202600000123", "6222 0202 0000 1234 562",
                  "宛平南路600号"]
    for n, text in enumerate(texts):
        message_id = say(db, "wechat", f"o-{n}", text, "nlu_fallback", 0.45)
        decide(db, message_id, "zhao", "relabel", intent="ask_claim")
    with db.writing() as session:
        report = export.export(session, NOW, data_dir=data_dir)
    assert report.counts["written"] == 4
    written = export.reviewed_path(data_dir).read_text(encoding="utf-8")
    for value in raw_values:
        assert value not in written
    for placeholder in ("张三", "13800000000", "11010519491231002X", "ZAHM0000000000",
                        "ZADP000000000000", "6222000000000000004", "上海市某区某路1号"):
        assert placeholder in written
    assert not any(privacy.contains_personal_data(t) for t in _reviewed(data_dir)["ask_claim"])


def test_held_out_texts_stay_out_of_training(sqlite_db: Database, data_dir: Path) -> None:
    db = sqlite_db
    held_out = yaml.safe_load((ROOT / "tests" / "nlu" / "service.yml").read_text(
        encoding="utf-8"))["nlu"][0]
    text = held_out["examples"].splitlines()[0].lstrip("- ").strip()
    message_id = say(db, "web", "w-1", text, held_out["intent"], 0.7)
    decide(db, message_id, "zhao", "accept")
    with db.writing() as session:
        report = export.export(session, NOW, data_dir=data_dir)
    assert report.counts == {"written": 0, "duplicates": 0, "conflicts": 0, "skipped": 1}
    assert "评测集" in report.skipped[0].reason and report.export_id is None


def test_the_gate_can_keep_or_set_an_export_aside(sqlite_db: Database, data_dir: Path,
                                                   tmp_path: Path) -> None:
    db = sqlite_db
    one = say(db, "web", "w-1", "发票怎么开", "nlu_fallback", 0.45)
    decide(db, one, "zhao", "relabel", intent="ask_claim")
    with db.writing() as session:
        first = export.export(session, NOW, data_dir=data_dir)
    two = say(db, "web", "w-2", "约瑞金心内科明天上午", "book_appointment", 0.81,
              entities=[RUIJIN, CARDIOLOGY])
    decide(db, two, "zhao", "accept")
    with db.writing() as session:
        second = export.export(session, NOW, data_dir=data_dir)
        export.keep(session, second.export_id, NOW, {"intent_accuracy": 0.95},
                    {"intent_accuracy": 0.951})
        rejected = export.set_aside(session, first.export_id, "intent accuracy 0.952 → 0.948\n"
                                    "emergency recall unchanged", NOW,
                                    rejected_dir=tmp_path / "rejected")
    assert rejected == tmp_path / "rejected" / f"{first.export_id}.yml"
    assert _reviewed(data_dir) == {"book_appointment": ["约瑞金心内科明天上午"]}
    aside = rejected.read_text(encoding="utf-8")
    assert "# intent accuracy 0.952 → 0.948" in aside and "- 发票怎么开" in aside
    with db.reading() as session:
        views = {v.id: v for v in export.exports(session)}
    assert views[first.export_id].status == "set_aside"
    assert views[second.export_id].status == "kept"
    assert views[second.export_id].metrics_after == {"intent_accuracy": 0.951}
    with pytest.raises(export.ExportError), db.writing() as session:
        export.set_aside(session, first.export_id, "again", NOW,
                         rejected_dir=tmp_path / "rejected")
    # set aside, the relabel is out of the training data: it may be undone again; the
    # accept the gate kept may not
    with db.reading() as session:
        relabel, accept = decisions.current_decision(session, one), \
            decisions.current_decision(session, two)
    with pytest.raises(ReviewError), db.writing() as session:
        decisions.undo(session, accept.id, db.users["zhao"], NOW)
    with db.writing() as session:
        assert decisions.undo(session, relabel.id, db.users["zhao"], NOW).undone_at == NOW


def test_the_written_file_passes_rasa_data_validate(sqlite_db: Database, tmp_path: Path) -> None:
    """`rasa data validate` on a copy of the project's domain, data and config with the
    export in it (training takes minutes; the gate retrains)."""
    db = sqlite_db
    project = tmp_path / "project"
    shutil.copytree(ROOT / "data", project / "data")
    shutil.copytree(ROOT / "domain", project / "domain")
    shutil.copy(ROOT / "config.yml", project / "config.yml")
    booking = say(db, "web", "w-1", "约瑞金心内科明天上午", "book_appointment", 0.81,
                  entities=[RUIJIN, CARDIOLOGY])
    invoice = say(db, "web", "w-2", "我叫陈静，发票怎么开", "nlu_fallback", 0.45)
    decide(db, booking, "zhao", "accept")
    decide(db, invoice, "zhao", "relabel", intent="ask_claim")
    with db.writing() as session:
        assert export.export(session, NOW, data_dir=project / "data").counts["written"] == 2
    validated = subprocess.run(
        [str(VENV_BIN / "rasa"), "data", "validate", "--domain", "domain", "--data", "data",
         "--config", "config.yml"], cwd=project, capture_output=True, text=True, timeout=300)
    assert validated.returncode == 0, validated.stdout[-3000:] + validated.stderr[-3000:]


# ------------------------------------------------------------------------------- CLI
def test_the_command_line(sqlite_db: Database, data_dir: Path, monkeypatch, capsys) -> None:
    from bot.review.__main__ import main

    db = sqlite_db
    for n, text in enumerate(["发票怎么开", "怎么开发票", "能开发票吗", "我叫陈静，发票怎么开"]):
        say(db, "web", f"w-{n}", text, "nlu_fallback", 0.45)
    decide(db, say(db, "web", "w-9", "约瑞金心内科", "book_appointment", 0.9), "zhao", "accept")
    monkeypatch.setenv("HM_GATEWAY_DB", db.url)
    monkeypatch.setenv("HM_NOW", NOW.isoformat())

    assert main(["inbox", "--limit", "10"]) == 0
    out = capsys.readouterr().out
    assert "共 4 条不同的消息" in out and "我叫陈*" in out and "陈静" not in out
    assert main(["clusters"]) == 0
    out = capsys.readouterr().out
    assert "4 条消息，4 种说法" in out
    assert main(["export", "--dry-run", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("试运行") and "写入 1 条" in out
    assert not export.reviewed_path(data_dir).exists()


def test_normalised_text() -> None:
    assert normalise("  发票　怎么开？ＯＫ\n ") == "发票 怎么开?ok"
