"""The same channel message or event stored by two gateway replicas at once, on one
PostgreSQL database (bot/gateway/store.py: record_member_message, record_channel_event):
the unique constraint decides, the second replica's copy is recognised as the retry it
is instead of failing."""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Dict

from bot.clock import SHANGHAI
from bot.db import Database
from bot.gateway import store
from tests.conftest import throwaway_postgres_database

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)


def test_two_replicas_storing_one_wechat_message_at_once_keep_one_copy() -> None:
    with throwaway_postgres_database() as url:
        db = Database.from_url(url)
        try:
            store.migrate(db)
            with db.writing() as session:  # the member's conversation exists already
                store.get_or_create_conversation(session, "wechat", "oDEDUP", NOW)
            second: Dict[str, store.StoredMessage] = {}
            first_session = db.writer()
            with first_session.begin():
                first = store.record_member_message(first_session, "wechat", "oDEDUP",
                                                    "理赔需要什么材料", "msg:7788", NOW)

                def other_replica() -> None:  # waits on the first one's uncommitted row
                    with db.writing() as session:
                        second["stored"] = store.record_member_message(
                            session, "wechat", "oDEDUP", "理赔需要什么材料", "msg:7788", NOW)
                thread = threading.Thread(target=other_replica)
                thread.start()
                thread.join(0.5)
                assert thread.is_alive()  # blocked by the unique index, as in production
            first_session.close()
            thread.join(10)
            assert not first.duplicate
            assert second["stored"].duplicate and second["stored"].message_id == first.message_id
            with db.reading() as session:
                conversation = store.find_conversation(session, "wechat", "oDEDUP")
                assert len(store.transcript(session, conversation.id)) == 1
        finally:
            db.dispose()


def test_two_replicas_recording_one_wechat_event_at_once_keep_one() -> None:
    with throwaway_postgres_database() as url:
        db = Database.from_url(url)
        try:
            store.migrate(db)
            kept: Dict[str, bool] = {}

            def record(session) -> bool:
                return store.record_channel_event(session, "wechat", "event:oDEDUP:1:subscribe",
                                                  "oDEDUP", "subscribe", None, None, NOW)
            first_session = db.writer()
            with first_session.begin():
                assert record(first_session)

                def other_replica() -> None:
                    with db.writing() as session:
                        kept["second"] = record(session)
                thread = threading.Thread(target=other_replica)
                thread.start()
                thread.join(0.5)
                assert thread.is_alive()
            first_session.close()
            thread.join(10)
            assert kept["second"] is False
        finally:
            db.dispose()
