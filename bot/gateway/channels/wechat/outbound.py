"""What WeChat's customer-service API accepts, as pure functions (sender.py sends with
them): texts of at most 2048 UTF-8 bytes (45002 beyond), as few messages as
possible, and the reply quota a member action opens.

- A member message opens 48 hours with 5 messages; a menu click (click and scan-code
  types), a follow or a QR scan opens 1 minute with 3 (api_sendcustommessage).
- Texts are split on character boundaries, preferring paragraph ends, then sentence
  ends, then any character: every part counts against the quota.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple, TypeVar

T = TypeVar("T")
TEXT_LIMIT_BYTES = 2048
PARAGRAPH_BREAK = "\n\n"
# Where a sentence may end in Chinese or mixed text; the break goes after the mark.
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…\n])")


@dataclass(frozen=True)
class Window:
    """The reply window a member action opened."""

    opened_at: datetime
    length: timedelta
    quota: int

    def closes_at(self) -> datetime:
        return self.opened_at + self.length

    def remaining(self, now: datetime, sent: int) -> int:
        """How many more messages may be sent now (0 once the window has closed)."""
        if now >= self.closes_at():
            return 0
        return max(0, self.quota - sent)


MESSAGE_WINDOW = (timedelta(hours=48), 5)
MENU_FOLLOW_SCAN_WINDOW = (timedelta(minutes=1), 3)


def window_for(action: str, at: datetime) -> Optional[Window]:
    """The window a member action opens: a message, or a click / scan-code menu tap, a
    follow or a QR scan. A VIEW menu tap and other events open none."""
    if action == "message":
        length, quota = MESSAGE_WINDOW
    elif action in ("click", "scancode", "subscribe", "scan"):
        length, quota = MENU_FOLLOW_SCAN_WINDOW
    else:
        return None
    return Window(at, length, quota)


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _hard_split(text: str, limit: int) -> List[str]:
    """At character boundaries only, each part at most `limit` bytes."""
    parts, current, size = [], [], 0
    for char in text:
        char_size = _size(char)
        if size + char_size > limit and current:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += char_size
    if current:
        parts.append("".join(current))
    return parts


def _fill(pieces: Sequence[str], limit: int, joiner: str) -> List[str]:
    """Join consecutive pieces while they fit; a piece too big on its own is returned
    alone for a finer split."""
    parts: List[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{joiner}{piece}" if current else piece
        if _size(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = piece
    if current:
        parts.append(current)
    return parts


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> List[str]:
    """`text` as parts of at most `limit` UTF-8 bytes, cut at paragraph ends where
    possible, else at sentence ends, else between characters. Nothing is lost: the
    parts joined again give the text back, apart from the paragraph breaks cut at."""
    if _size(text) <= limit:
        return [text] if text else []
    result: List[str] = []
    for paragraph_part in _fill(text.split(PARAGRAPH_BREAK), limit, PARAGRAPH_BREAK):
        if _size(paragraph_part) <= limit:
            result.append(paragraph_part)
            continue
        sentences = [s for s in _SENTENCE_END.split(paragraph_part) if s]
        for sentence_part in _fill(sentences, limit, ""):
            if _size(sentence_part) <= limit:
                result.append(sentence_part)
            else:
                result.extend(_hard_split(sentence_part, limit))
    return result


def pack(texts: Sequence[str], limit: int = TEXT_LIMIT_BYTES) -> List[str]:
    """The bot's utterances for one turn in few messages: consecutive utterances (and
    the parts of a long one) share a message, a blank line between, while they fit.
    Greedy, not optimal: a part never moves across an utterance to save a message. The
    quota counts messages, not utterances."""
    return [text for text, _ in pack_tagged([(None, text) for text in texts], limit)]


def pack_tagged(items: Sequence[Tuple[T, str]],
                limit: int = TEXT_LIMIT_BYTES) -> List[Tuple[str, List[T]]]:
    """`pack`, keeping track of which items (stored messages) each message carries."""
    packed: List[Tuple[str, List[T]]] = []
    for tag, text in items:
        for part in split_text(text, limit):
            if packed:
                joined = f"{packed[-1][0]}{PARAGRAPH_BREAK}{part}"
                if _size(joined) <= limit:
                    tags = packed[-1][1] + ([tag] if tag not in packed[-1][1] else [])
                    packed[-1] = (joined, tags)
                    continue
            packed.append((part, [tag]))
    return packed


# A line that already numbers the options ("1. 华山医院", "1、确认").
_NUMBERED = re.compile(r"^\s*1\s*[.、．)）]", re.MULTILINE)


def with_options(text: str, titles: Sequence[str], prompt: str) -> str:
    """Quick replies as numbered lines the member answers with a digit (every account
    can show them), unless the text already numbers its options."""
    if not titles or _NUMBERED.search(text):
        return text
    lines = "\n".join(_option_line(i, title) for i, title in enumerate(titles, start=1))
    return f"{text}\n{prompt}\n{lines}" if text else f"{prompt}\n{lines}"


def _option_line(number: int, title: str) -> str:
    """"2. 满意": a title that starts with its own number (the survey's buttons read
    "2 满意" on the web chat, where no line numbers them) is not numbered twice."""
    own = re.match(rf"\s*{number}(?:\s+|\s*[.、．)）]\s*)(?=\S)", title)
    return f"{number}. {title[own.end():] if own else title}"


_DIGIT = re.compile(r"^\s*([1-9])\s*[.、．]?\s*$")


def chosen_option(text: str, options: Sequence[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The quick reply a member picked by its number ("2") or its exact title (a
    msgmenu tap comes back as the option's text), or None."""
    match = _DIGIT.match(text)
    if match:
        index = int(match.group(1)) - 1
        return options[index] if index < len(options) else None
    stripped = text.strip()
    for option in options:
        if stripped and stripped == str(option.get("title", "")).strip():
            return option
    return None


@dataclass(frozen=True)
class Batch:
    """What to send now and what waits in the outbox for the member's next message."""

    send: List[str]
    held: List[str]


def append_hint(text: str, hint: str) -> str:
    """`text` with the hint as its last paragraph, when both fit in one message."""
    joined = f"{text}{PARAGRAPH_BREAK}{hint}"
    return joined if _size(joined) <= TEXT_LIMIT_BYTES else text


def fit_quota(messages: Sequence[str], remaining: int, more_hint: str) -> Batch:
    """Send what the window allows; when something must wait, the last message sent
    says so (`more_hint`, e.g. 回复任意内容查看剩余内容), which may push one more message
    into the outbox."""
    if remaining <= 0:
        return Batch([], list(messages))
    if len(messages) <= remaining:
        return Batch(list(messages), [])
    send = list(messages[:remaining])
    held = list(messages[remaining:])
    last = f"{send[-1]}{PARAGRAPH_BREAK}{more_hint}"
    if _size(last) <= TEXT_LIMIT_BYTES:
        send[-1] = last
    else:
        # No room for the hint: the last message waits and the hint takes its place.
        held.insert(0, send.pop())
        send.append(more_hint)
    return Batch(send, held)


# What a member types to get the rest (回复任意内容查看剩余内容): the held replies are
# released, and the message is not a new question for the bot.
RELEASE_WORDS = frozenset({
    "继续", "查看", "查看剩余", "剩余", "剩余内容", "更多", "还有呢", "还有吗", "下一条", "继续看",
    "好", "好的", "嗯", "ok", "。"})


def is_release_request(text: str) -> bool:
    """The member only asks for the rest: not a new question."""
    return text.strip().lower() in RELEASE_WORDS
