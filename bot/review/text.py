"""Member text as review handles it: the key that groups duplicates, and the masked
renderings (bot.privacy) with entity offsets carried from the raw text onto them.

    normalise("  发票 怎么开？ＯＫ ")      # "发票 怎么开?ok"
    review_key("我叫陈静，发票怎么开")       # "我叫张三,发票怎么开"
    shown = displayed("我叫陈静，想约瑞金医院")   # shown.text == "我叫陈*，想约瑞金医院"
    shown.from_raw(7, 11)                      # (7, 11): 瑞金医院, outside any personal data
    shown.from_raw(2, 4)                       # None: 陈静 is personal data, masked
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from bot import privacy

_SPACES = re.compile(r"\s+")
# Full-width ASCII (U+FF01-U+FF5E) to half-width, the ideographic space to a space.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_HALF_WIDTH[0x3000] = 0x20


def normalise(text: str) -> str:
    """The grouping key of a member text: stripped, full-width letters, digits and signs
    made half-width, whitespace collapsed, Latin lower-cased. Two messages with the same
    key are one example for review and for training."""
    return _SPACES.sub(" ", text.translate(_HALF_WIDTH)).strip().lower()


def review_key(raw: str) -> str:
    """The key that groups member messages for review: the normalised text masked for
    training, so 我叫陈静… and 我叫王芳… are one example (as they are once exported), and
    the key itself holds no personal data."""
    return normalise(privacy.mask_for_training(raw))


def as_example(text: str) -> "Rendering":
    """A text as one line of training data: stripped, whitespace (line breaks too)
    collapsed to one space; offsets inside the words carry over."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    plain, position = [], 0
    for start, end in words:
        plain.append((start, end, position))
        position += end - start + 1
    return Rendering(" ".join(text[s:e] for s, e in words), tuple(plain))


@dataclass(frozen=True)
class Rendering:
    """A member text as rendered for someone (masked for display or for training), with
    the stretches outside personal data located in it: (raw start, raw end, start here).
    Those stretches are the raw text unchanged, so offsets inside them carry over."""

    text: str
    plain: Tuple[Tuple[int, int, int], ...]

    def from_raw(self, start: int, end: int) -> Optional[Tuple[int, int]]:
        """The raw span [start, end) in this rendering; None when it touches personal
        data (masked, so it is not here any more)."""
        for raw_start, raw_end, at in self.plain:
            if raw_start <= start and end <= raw_end:
                return at + start - raw_start, at + end - raw_start
        return None

    def to_raw(self, start: int, end: int) -> Optional[Tuple[int, int]]:
        """A span of this rendering in the raw text; None when it touches a mask."""
        for raw_start, raw_end, at in self.plain:
            if at <= start and end <= at + raw_end - raw_start:
                return raw_start + start - at, raw_start + end - at
        return None


def _align(raw: str, spans: Sequence[privacy.Span], masked: str) -> Tuple[Tuple[int, int, int], ...]:
    """Where the stretches of `raw` between personal data sit in `masked`. The first and
    the last stretch are anchored at the ends; one in between is the next occurrence
    after at least one masked character (a mask is never empty). If anything does not
    line up (bot.privacy changed its ways), no stretch is located: offsets are dropped,
    never misplaced."""
    bounds = [0] + [edge for s in spans for edge in (s.start, s.end)] + [len(raw)]
    stretches = list(zip(bounds[::2], bounds[1::2]))
    located, position = [], 0
    for index, (start, end) in enumerate(stretches):
        piece = raw[start:end]
        if index == 0:
            at = 0 if masked.startswith(piece) else -1
        elif index == len(stretches) - 1:
            at = len(masked) - len(piece) if masked.endswith(piece) else -1
            at = at if at >= position + 1 else -1
        else:
            at = masked.find(piece, position + 1)
        if at < 0:
            return ()
        if piece:
            located.append((start, end, at))
        position = at + len(piece)
    return tuple(located)


def _render(raw: str, mask: Callable[[str], str]) -> Rendering:
    masked = mask(raw)
    spans = privacy.find(raw)
    if not spans:
        return Rendering(raw, ((0, len(raw), 0),) if raw else ())
    return Rendering(masked, _align(raw, spans, masked))


def displayed(raw: str) -> Rendering:
    """What reviewers see (bot.privacy.mask_for_display)."""
    return _render(raw, privacy.mask_for_display)


def for_training(raw: str) -> Rendering:
    """What training data holds (bot.privacy.mask_for_training)."""
    return _render(raw, privacy.mask_for_training)


def unmasked(raw: str) -> Rendering:
    return Rendering(raw, ((0, len(raw), 0),) if raw else ())


def carry_entities(entities: Iterable[Dict[str, Any]], rendering: Rendering,
                   keep_unplaced: bool = True) -> List[Dict[str, Any]]:
    """Entities with raw offsets moved onto `rendering`. One inside personal data is
    dropped; one without offsets is kept as it is (keep_unplaced) or dropped."""
    carried = []
    for entity in entities:
        start, end = entity.get("start"), entity.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            if keep_unplaced:
                carried.append(dict(entity))
            continue
        span = rendering.from_raw(start, end)
        if span is not None:
            carried.append({**entity, "start": span[0], "end": span[1]})
    return carried
