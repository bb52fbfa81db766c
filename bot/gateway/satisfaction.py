"""满意度: when a manager's part of a conversation ends (hand back or close), the member is
asked once for one digit (1 非常满意 … 5 非常不满意) and may add a comment in the same
message (4 等太久了). Buttons on the web chat, numbered lines on WeChat; the member's next
message answers it only if it is a rating, anything else goes on as usual and the survey
lapses (answered_at set, no rating). Results per manager for the console (bot/console/views.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.gateway.models import Handoff, Survey, User

# A survey left unanswered this long is no longer waiting for its digit.
ANSWER_WITHIN = timedelta(hours=24)
MAX_COMMENT = 500
# 1 best ... 5 worst, as the member reads them (bot/gateway/messages.py asks).
RATINGS = {1: "非常满意", 2: "满意", 3: "一般", 4: "不满意", 5: "非常不满意"}
_WORDS = {"非常满意": 1, "很满意": 1, "满意": 2, "一般": 3, "还行": 3, "不满意": 4,
          "非常不满意": 5, "很不满意": 5}
_DIGITS = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "１": 1, "２": 2, "３": 3, "４": 4, "５": 5,
           "①": 1, "②": 2, "③": 3, "④": 4, "⑤": 5, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_RATING = re.compile(r"^\s*(?:(?P<digit>[1-5１-５①-⑤])|(?P<cn>[一二三四五])(?=(?:分|星)?\s*$)|"
                     r"(?P<word>非常不满意|很不满意|不满意|非常满意|很满意|满意|一般|还行))"
                     r"(?:分|星)?(?=$|[\s,，.。:：、!！~～])[\s,，.。:：、!！~～]*(?P<comment>.*)$", re.S)


def parse_rating(text: str) -> Optional[Tuple[int, str]]:
    """(rating, comment) when the message answers the survey (3, 3 一般, ② 回复有点慢,
    非常满意 谢谢), else None."""
    found = _RATING.match(text or "")
    if found is None:
        return None
    digit = found.group("digit") or found.group("cn")
    rating = _DIGITS[digit] if digit else _WORDS[found.group("word")]
    return rating, found.group("comment").strip()[:MAX_COMMENT]


def ask(session: Session, handoff: Optional[Handoff], now: datetime) -> bool:
    """A survey for a handoff a manager served (claimed); False when there is nothing
    to ask (nobody served it, or it was asked already)."""
    if handoff is None or handoff.claimed_by is None:
        return False
    if session.execute(select(Survey.id).where(Survey.handoff_id == handoff.id)).first():
        return False
    session.add(Survey(conversation_id=handoff.conversation_id, handoff_id=handoff.id,
                       manager_id=handoff.claimed_by, asked_at=now))
    session.flush()
    return True


def waiting(session: Session, conversation_id: int, now: datetime) -> bool:
    """Whether a survey of this conversation waits for its answer (a read: most
    messages have none, and are not held up by a write)."""
    return session.execute(
        select(Survey.id).where(Survey.conversation_id == conversation_id,
                                Survey.answered_at.is_(None),
                                Survey.asked_at >= now - ANSWER_WITHIN).limit(1)
    ).first() is not None


def answer(session: Session, conversation_id: int, text: str, now: datetime
           ) -> Optional[int]:
    """The member's first message after the survey: the rating when it is one (recorded),
    else None (the message goes on as usual and the survey lapses unanswered)."""
    waiting = session.execute(
        select(Survey).where(Survey.conversation_id == conversation_id,
                             Survey.answered_at.is_(None),
                             Survey.asked_at >= now - ANSWER_WITHIN)
        .order_by(Survey.id.desc()).limit(1)).scalar_one_or_none()
    if waiting is None:
        return None
    parsed = parse_rating(text)
    if parsed is None:
        # The member went on with something else: the survey lapses, so a later "2"
        # (a choice the bot offered) is never taken for a rating.
        waiting.answered_at = now
        return None
    waiting.rating, comment = parsed
    waiting.comment = comment or None
    waiting.answered_at = now
    return waiting.rating


@dataclass(frozen=True)
class ManagerScore:
    manager: str
    asked: int
    answered: int
    average: Optional[float]     # 1 best ... 5 worst
    satisfied: Optional[float]   # share of answers 1 or 2
    comments: List[str]


def by_manager(session: Session, since: datetime) -> List[ManagerScore]:
    """Per manager since `since`: surveys asked and answered, the average, the share
    satisfied, the latest comments."""
    rows = session.execute(
        select(User.display_name, Survey.rating, Survey.comment, Survey.answered_at)
        .join(User, User.id == Survey.manager_id)
        .where(Survey.asked_at >= since).order_by(Survey.id.desc())).all()
    grouped: Dict[str, List[tuple]] = {}
    for row in rows:
        grouped.setdefault(row.display_name, []).append(row)
    scores = []
    for manager, answers in sorted(grouped.items()):
        rated = [r.rating for r in answers if r.rating is not None]
        scores.append(ManagerScore(
            manager, len(answers), len(rated),
            round(sum(rated) / len(rated), 2) if rated else None,
            round(sum(1 for r in rated if r <= 2) / len(rated), 3) if rated else None,
            [r.comment for r in answers if r.comment][:5]))
    return scores


def answered_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Survey)
                           .where(Survey.rating.isnot(None))).scalar_one()
