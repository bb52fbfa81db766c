"""Reviewed conversations as test stories and managers' replies as FAQ candidates
(bot/review/stories.py): a stored conversation becomes a story Rasa's own reader loads
with the project's domain, masked, with the reviewed intent; a bot text that names no
action is refused with the reason; FAQ candidates group similar questions and carry the
managers' answers."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
import yaml

from bot.clock import SHANGHAI
from bot.db import Database
from bot.gateway import store
from bot.gateway.models import Handoff, User
from bot.gateway.rasa import Understanding
from bot.processes import ROOT
from bot.review import decisions, stories
from bot.review.stories import StoryError

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)


def response_text(name: str) -> str:
    for path in (ROOT / "domain").glob("*.yml"):
        found = (yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {})
        if name in found:
            return found[name][0]["text"]
    raise KeyError(name)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.from_url(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    store.migrate(database)
    with database.writing() as session:
        session.add_all([User(username=n, display_name=n, role=r, password_hash="-",
                              active=True, created_at=NOW)
                         for n, r in (("zhao", "reviewer"), ("wang", "manager"))])
    yield database
    database.dispose()


def user_id(db: Database, name: str) -> int:
    with db.reading() as session:
        return session.query(User).filter_by(username=name).one().id


def turn(db: Database, member: str, text: str, intent: str, replies: List[str],
         confidence: float = 0.9, entities=(), routed_to: str = "bot",
         buttons: Optional[list] = None) -> int:
    with db.writing() as session:
        inbound = store.record_member_message(session, "web", member, text, None, NOW)
        store.mark_routed(session, inbound.message_id, routed_to, Understanding.from_parse(
            {"intent": {"name": intent, "confidence": confidence},
             "entities": list(entities)}, {}))
        store.record_replies(session, inbound.conversation.id, "bot",
                             [{"text": r, "buttons": buttons} for r in replies], NOW)
        return inbound.message_id


def conversation_of(db: Database, message_id: int) -> int:
    from bot.gateway.models import Message

    with db.reading() as session:
        return session.get(Message, message_id).conversation_id


def read_story(path: Path):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import (
        YAMLStoryReader,
    )

    domain = Domain.load(str(ROOT / "domain"))
    return YAMLStoryReader(domain).read_from_file(str(path))


def test_a_reviewed_conversation_becomes_a_story_rasa_reads(db: Database,
                                                            tmp_path: Path) -> None:
    first = turn(db, "w-1", "你好", "greet", [response_text("utter_welcome")])
    cid = conversation_of(db, first)
    wrong = turn(db, "w-1", "我叫陈静，电话13812345678，直付到底咋用", "nlu_fallback",
                 [response_text("utter_direct_billing")], confidence=0.4)
    with db.writing() as session:  # the reviewer corrects what the bot understood
        decisions.decide(session, wrong, user_id(db, "zhao"), "relabel", NOW,
                         intent="ask_direct_billing")
    turn(db, "w-1", "你是机器人吗", "bot_challenge", [response_text("utter_iamabot")])
    with db.reading() as session:
        path = stories.save_story(session, cid, NOW, stories_dir=tmp_path / "stories")
    assert path == tmp_path / "stories" / f"reviewed_{cid}.yml"
    text = path.read_text(encoding="utf-8")
    assert "陈静" not in text and "13812345678" not in text
    steps = read_story(path)[0].events
    users = [(e.text, e.intent.get("name")) for e in steps if e.type_name == "user"]
    actions = [e.action_name for e in steps if e.type_name == "action"]
    assert [intent for _, intent in users] == ["greet", "ask_direct_billing", "bot_challenge"]
    assert users[1][0].endswith("直付到底咋用") and "陈静" not in users[1][0]
    assert actions == ["utter_welcome", "utter_direct_billing", "utter_iamabot"]


def test_entities_and_button_presses_are_kept(db: Database, tmp_path: Path) -> None:
    hospital = {"entity": "hospital", "value": "北京协和医院", "start": 0, "end": 2,
                "extractor": "DIETClassifier"}
    first = turn(db, "w-2", "协和能直付吗", "ask_direct_billing",
                 [response_text("utter_direct_billing")], entities=[hospital],
                 buttons=[{"title": "好的", "payload": "/affirm"}])
    turn(db, "w-2", "好的", "affirm", [response_text("utter_ok")], confidence=1.0)
    with db.reading() as session:
        path = stories.save_story(session, conversation_of(db, first), NOW,
                                  stories_dir=tmp_path)
    assert "[协和](hospital)能直付吗" in path.read_text(encoding="utf-8")
    events = read_story(path)[0].events
    user = [e for e in events if e.type_name == "user"]
    assert user[0].entities[0]["entity"] == "hospital"
    assert user[1].text is None and user[1].intent["name"] == "affirm"


def test_a_bot_text_that_names_no_action_is_refused(db: Database, tmp_path: Path) -> None:
    unknown = turn(db, "w-3", "你好", "greet", ["这句话不在领域文件里"])
    custom = turn(db, "w-4", "管家在吗", "ask_service_hours",
                  [response_text("utter_hours_managers_open")])
    with db.reading() as session:
        with pytest.raises(StoryError, match="对应不到领域文件"):
            stories.save_story(session, conversation_of(db, unknown), NOW, stories_dir=tmp_path)
        with pytest.raises(StoryError, match="由自定义动作发出"):
            stories.story_for(session, conversation_of(db, custom), NOW)
    assert not list(tmp_path.glob("reviewed_*.yml"))


def test_actions_come_from_rasas_tracker_when_given(db: Database) -> None:
    custom = turn(db, "w-5", "管家在吗", "ask_service_hours",
                  [response_text("utter_hours_managers_open")])
    tracker = {"events": [
        {"event": "action", "name": "action_session_start"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "管家在吗"},
        {"event": "action", "name": "action_service_hours"},
        {"event": "bot", "text": response_text("utter_hours_managers_open")},
        {"event": "action", "name": "action_listen"}]}
    with db.reading() as session:
        text = stories.story_for(session, conversation_of(db, custom), NOW, tracker=tracker)
    assert "- action: action_service_hours" in text


def test_unreviewed_fallbacks_are_refused(db: Database) -> None:
    lost = turn(db, "w-6", "嗯嗯那个", "nlu_fallback", [response_text("utter_welcome")],
                confidence=0.3)
    with db.reading() as session, pytest.raises(StoryError, match="请先审核"):
        stories.story_for(session, conversation_of(db, lost), NOW)


def test_faq_candidates_group_questions_with_the_managers_answers(db: Database) -> None:
    wang = user_id(db, "wang")
    asked = [("w-7", "发票怎么开", "发票在众安健康公众号「我的—发票」里申请，3个工作日内发到邮箱。"),
             ("w-8", "怎么开发票呀", "您好陈静女士，发票在公众号「我的—发票」申请。"),
             ("w-9", "我叫王芳，能开发票吗", "发票在众安健康公众号「我的—发票」里申请，3个工作日内发到邮箱。"),
             ("w-10", "体检套餐有哪些", "体检套餐有基础版和尊享版，详见附件。")]
    for member, question, answer in asked:
        message = turn(db, member, question, "request_human", [], routed_to="manager")
        cid = conversation_of(db, message)
        with db.writing() as session:
            session.add(Handoff(conversation_id=cid, reason="request_human", priority=1,
                                requested_at=NOW, within_hours=True))
            store.record_replies(session, cid, "manager", [{"text": answer}], NOW, wang)
    # a conversation never handed off is not a source
    turn(db, "w-11", "发票怎么开啊", "ask_claim", [response_text("utter_claim")])
    with db.reading() as session:
        found = stories.faq_candidates(session)
    assert [len(f.questions) for f in found] == [3, 1]
    invoice = found[0]
    assert invoice.questions[:2] == ("发票怎么开", "怎么开发票呀") or len(invoice.questions) == 3
    assert all("王芳" not in q for q in invoice.questions)
    assert invoice.answers[0] == asked[0][2]  # the most frequent answer first
    assert all("陈静" not in a for a in invoice.answers)
    assert (invoice.count, invoice.conversations) == (3, 3)
    assert found[1].answers == (asked[3][2],)


def test_the_command_line(tmp_path: Path, monkeypatch, capsys) -> None:
    from bot.review.__main__ import main

    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    database = Database.from_url(url)
    store.migrate(database)
    with database.writing() as session:
        session.add(User(username="wang", display_name="王芳", role="manager",
                         password_hash="-", active=True, created_at=NOW))
    good = conversation_of(database, turn(database, "w-1", "你好", "greet",
                                          [response_text("utter_welcome")]))
    bad = conversation_of(database, turn(database, "w-2", "你好", "greet", ["不在领域里的话"]))
    asked = turn(database, "w-3", "发票怎么开", "request_human", [], routed_to="manager")
    with database.writing() as session:
        cid = conversation_of(database, asked)
        session.add(Handoff(conversation_id=cid, reason="request_human", priority=1,
                            requested_at=NOW, within_hours=True))
        store.record_replies(session, cid, "manager", [{"text": "在公众号里申请发票。"}], NOW,
                             user_id(database, "wang"))
    database.dispose()
    monkeypatch.setenv("HM_GATEWAY_DB", url)
    monkeypatch.setenv("HM_NOW", NOW.isoformat())
    assert main(["story", str(good), "--dir", str(tmp_path / "stories")]) == 0
    assert (tmp_path / "stories" / f"reviewed_{good}.yml").exists()
    assert main(["story", str(bad), "--dir", str(tmp_path / "stories")]) == 1
    assert "未保存" in capsys.readouterr().err
    assert main(["faq"]) == 0
    out = capsys.readouterr().out
    assert "问：发票怎么开" in out and "答：在公众号里申请发票。" in out
