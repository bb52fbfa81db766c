"""The web chat adapter's own parts (bot/gateway/channels/web.py); the channel end to
end is in test_console.py, test_gateway.py and test_browser.py."""
from __future__ import annotations

from bot.gateway.channels.web import TokenCache
from bot.gateway.types import ConversationRef


def conversation(conversation_id: int) -> ConversationRef:
    return ConversationRef(conversation_id, "web", f"m{conversation_id}", None, "bot", None,
                           0, None)


def test_a_token_is_believed_for_a_while_then_read_again():
    tokens = TokenCache(size=10, seconds=60)
    tokens.put("a", conversation(1))
    assert tokens.get("a") == conversation(1)
    tokens.seconds = -1  # its time is up: the caller reads the database again
    assert tokens.get("a") is None


def test_the_cache_holds_the_most_recently_used_tokens_only():
    tokens = TokenCache(size=2, seconds=60)
    tokens.put("a", conversation(1))
    tokens.put("b", conversation(2))
    assert tokens.get("a") is not None  # used: "b" is now the oldest
    tokens.put("c", conversation(3))
    assert (tokens.get("a"), tokens.get("b"), tokens.get("c")) == (
        conversation(1), None, conversation(3))
    tokens.drop("a")  # its conversation was purged
    assert tokens.get("a") is None
