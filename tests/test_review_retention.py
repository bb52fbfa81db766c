"""Retention (bot/review/retention.py) on SQLite and PostgreSQL: conversations whose last
message is older than the retention period go with every row hanging off them, recent
ones stay, review decisions of purged messages stay with their masked text, a dry run
changes nothing; the command line."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Dict, Iterator

import pytest
from sqlalchemy import func, select

from bot.clock import SHANGHAI
from bot.db import Database
from bot.gateway import store
from bot.gateway.channels.wechat.models import Delivery, ReplyWindow
from bot.gateway.models import (
    CallbackTicket,
    Conversation,
    ConversationTag,
    Handoff,
    Media,
    Message,
    Note,
    ReviewDecision,
    User,
    WebChatToken,
)
from bot.gateway.rasa import Understanding
from bot.review import decisions, retention

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
OLD = NOW - timedelta(days=400)
RECENT = NOW - timedelta(days=30)
HANGING = (Message, Media, Delivery, ReplyWindow, Note, Handoff, CallbackTicket, WebChatToken,
           ConversationTag)


@pytest.fixture
def db(empty_database: Database) -> Iterator[Database]:
    store.migrate(empty_database)
    yield empty_database


def conversation(db: Database, external_id: str, at: datetime, reviewer: int) -> Dict[str, int]:
    """A conversation with a row in every table that hangs off it, and a reviewed message."""
    with db.writing() as session:
        inbound = store.record_member_message(session, "wechat", external_id,
                                              "我叫陈静，电话13812345678，直付怎么用", None, at)
        cid = inbound.conversation.id
        store.mark_routed(session, inbound.message_id, "bot", Understanding.from_parse(
            {"intent": {"name": "ask_direct_billing", "confidence": 0.9}, "entities": []}, {}))
        store.record_replies(session, cid, "bot", [{"text": "直付就是……"}], at)
        handoff = Handoff(conversation_id=cid, reason="request_human", priority=1,
                          requested_at=at, within_hours=True)
        session.add(handoff)
        session.flush()
        session.add_all([
            Media(conversation_id=cid, message_id=inbound.message_id, channel="wechat",
                  media_id=f"m-{external_id}", kind="image", state="stored", created_at=at),
            Delivery(conversation_id=cid, message_ids=[inbound.message_id], text="x",
                     state="sent", attempts=1, created_at=at),
            ReplyWindow(conversation_id=cid, action="message", opened_at=at, closes_at=at,
                        quota=5, used=1),
            Note(conversation_id=cid, user_id=reviewer, text="会员陈静", created_at=at),
            CallbackTicket(conversation_id=cid, handoff_id=handoff.id, reason="request_human",
                           priority=1, created_at=at, due_at=at, status="open"),
            WebChatToken(token_hash=f"h-{external_id}", conversation_id=cid, created_at=at),
            ConversationTag(conversation_id=cid, tag="新意图", user_id=reviewer, created_at=at),
        ])
        decision = decisions.decide(session, inbound.message_id, reviewer, "accept", NOW)
        return {"conversation": cid, "message": inbound.message_id, "decision": decision.id}


@pytest.fixture
def two(db: Database) -> Dict[str, Dict[str, int]]:
    with db.writing() as session:
        reviewer = User(username="zhao", display_name="赵审", role="reviewer",
                        password_hash="-", active=True, created_at=NOW)
        session.add(reviewer)
        session.flush()
        reviewer_id = reviewer.id
    return {"old": conversation(db, "o-old", OLD, reviewer_id),
            "recent": conversation(db, "o-recent", RECENT, reviewer_id)}


def rows(db: Database, conversation_id: int) -> Dict[str, int]:
    with db.reading() as session:
        return {model.__tablename__: session.execute(
            select(func.count()).select_from(model).where(
                model.conversation_id == conversation_id)).scalar_one()
            for model in HANGING}


def test_old_conversations_go_with_their_rows_and_recent_ones_stay(db, two) -> None:
    assert all(n >= 1 for n in rows(db, two["old"]["conversation"]).values())
    with db.writing() as session:
        report = retention.purge(session, NOW, days=365)
    assert (report.conversations, report.messages, report.decisions_kept) == (1, 2, 1)
    assert set(rows(db, two["old"]["conversation"]).values()) == {0}
    assert all(n >= 1 for n in rows(db, two["recent"]["conversation"]).values())
    with db.reading() as session:
        assert session.get(Conversation, two["old"]["conversation"]) is None
        assert session.get(Conversation, two["recent"]["conversation"]) is not None
        kept = session.get(ReviewDecision, two["old"]["decision"])
        assert kept.message_id is None
        assert kept.text.endswith("直付怎么用")
        assert "13812345678" not in kept.text and "陈静" not in kept.text
        assert session.get(ReviewDecision, two["recent"]["decision"]).message_id == \
            two["recent"]["message"]
    # counts only: nothing of the member in the report
    assert "陈静" not in report.as_text() and "1381" not in str(report.as_json())


def test_a_dry_run_changes_nothing(db, two) -> None:
    before = rows(db, two["old"]["conversation"])
    with db.writing() as session:
        report = retention.purge(session, NOW, days=365, dry_run=True)
    assert (report.conversations, report.messages, report.dry_run) == (1, 2, True)
    assert rows(db, two["old"]["conversation"]) == before
    with db.writing() as session:  # a shorter period reaches the recent one too
        assert retention.purge(session, NOW, days=7, dry_run=True).conversations == 2


def test_the_setting_and_the_schedule() -> None:
    assert retention.RetentionSettings.from_env({}).days == 365
    assert retention.RetentionSettings.from_env({"HM_RETENTION_DAYS": "90"}).days == 90
    for bad in ("0", "-3", "一年", "1.5"):
        with pytest.raises(retention.RetentionError):
            retention.RetentionSettings.from_env({"HM_RETENTION_DAYS": bad})
    assert retention.parse_every("24h") == 86400
    assert retention.parse_every("30m") == 1800
    assert retention.parse_every("1d") == 86400
    with pytest.raises(retention.RetentionError):
        retention.parse_every("daily")


def test_the_command_line(tmp_path, monkeypatch, capsys) -> None:
    from bot.review.__main__ import main

    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    database = Database.from_url(url)
    store.migrate(database)
    with database.writing() as session:
        reviewer = User(username="zhao", display_name="赵审", role="reviewer",
                        password_hash="-", active=True, created_at=NOW)
        session.add(reviewer)
        session.flush()
        reviewer_id = reviewer.id
    conversation(database, "o-old", OLD, reviewer_id)
    database.dispose()
    monkeypatch.setenv("HM_GATEWAY_DB", url)
    monkeypatch.setenv("HM_NOW", NOW.isoformat())
    monkeypatch.setenv("HM_RETENTION_DAYS", "365")
    assert main(["purge", "--dry-run"]) == 0
    assert "试运行" in capsys.readouterr().out
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "会话 1 个" in out and "保留其中已审核的脱敏标注 1 条" in out
    assert main(["purge", "--every", "soon"]) == 2


def test_the_scheduled_purge_runs_each_period_and_logs_counts_only(tmp_path) -> None:
    """`purge --every` (the retention program `make run` supervises): migrates a fresh database
    itself, purges, logs the counts, and again after the period."""
    import os
    import subprocess
    import time

    from bot.processes import ROOT, VENV_BIN

    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    log = tmp_path / "retention.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(VENV_BIN / "python"), "-m", "bot.review", "purge", "--every", "1s"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "HM_GATEWAY_DB": url, "HM_NOW": NOW.isoformat()})
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count("retention 365 days") < 2:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(10)
    assert "'conversations': 0" in log.read_text()
