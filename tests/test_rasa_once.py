"""A message the gateway sends again is handled at most once by Rasa (bot/rasa_once.py):
the replies to a message id from the tracker's events, and the processor's answer to a
resend it has seen, from a real tracker store and a real output channel."""
from __future__ import annotations

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_once


def conversation() -> list:
    return [
        ActionExecuted("action_listen"),
        UserUttered("直付是什么", metadata={"message_id": "gw-1"}),
        BotUttered("直付医疗服务：……", {"buttons": [{"title": "预约", "payload": "/book"}]}),
        BotUttered("还有什么可以帮您？"),
        ActionExecuted("action_listen"),
        UserUttered("谢谢", metadata={"message_id": "gw-2"}),
        BotUttered("不客气"),
    ]


def test_the_replies_to_a_message_are_the_bot_events_up_to_the_next_user_event():
    replies = rasa_once.replies_to(conversation(), "gw-1")
    assert replies == [
        {"text": "直付医疗服务：……", "buttons": [{"title": "预约", "payload": "/book"}]},
        {"text": "还有什么可以帮您？"}]
    assert rasa_once.replies_to(conversation(), "gw-2") == [{"text": "不客气"}]
    assert rasa_once.replies_to(conversation(), "gw-3") is None  # never seen: process it


class Processor:
    """The part of Rasa's MessageProcessor the patch uses, with a real tracker store;
    its own handling counts the calls."""

    def __init__(self, store: InMemoryTrackerStore) -> None:
        self.tracker_store = store
        self.handled = 0


async def test_a_resend_of_a_handled_message_gets_its_replies_and_is_not_handled_again(
        monkeypatch):
    from rasa.core.processor import MessageProcessor

    async def handle(self, message):  # Rasa's own: would process the message
        self.handled += 1
        return []

    monkeypatch.setattr(MessageProcessor, "handle_message", handle)
    rasa_once.install()
    store = InMemoryTrackerStore(Domain.empty())
    await store.save(DialogueStateTracker.from_events("web:m1", conversation()))
    processor = Processor(store)

    def message(message_id: str, resend: bool) -> UserMessage:
        metadata = {"message_id": message_id, **({"resend": True} if resend else {})}
        return UserMessage("直付是什么", CollectingOutputChannel(), "web:m1",
                           metadata=metadata)

    replayed = await MessageProcessor.handle_message(processor, message("gw-1", True))
    assert [r["text"] for r in replayed] == ["直付医疗服务：……", "还有什么可以帮您？"]
    assert replayed[0]["buttons"] == [{"title": "预约", "payload": "/book"}]
    assert processor.handled == 0
    # Sent again but never handled, or sent the first time: Rasa handles it.
    await MessageProcessor.handle_message(processor, message("gw-9", True))
    await MessageProcessor.handle_message(processor, message("gw-1", False))
    assert processor.handled == 2
