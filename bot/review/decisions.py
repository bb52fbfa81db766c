"""Review decisions (审核结论) on member messages: accept the bot's intent, relabel it,
out of scope, skip; undo until exported. Synchronous functions of a session (the caller
owns the transaction, as in bot/gateway/store.py); every decision is audited.

Only the latest decision of a message that is not undone counts. A decision stores the
member text masked for training (bot.privacy.mask_for_training) and its entities on that
masked text, so it survives the message being purged. A refusal raises ReviewError; the
caller rolls back and records it with audit_refusal in its own transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.gateway.models import (
    REVIEW_ACTIONS,
    AuditEntry,
    Message,
    ReviewDecision,
    ReviewExport,
    User,
)
from bot.gateway.rasa import FALLBACK_INTENT
from bot.processes import ROOT
from bot.review import text as review_text

DOMAIN_DIR = ROOT / "domain"
# Who may decide and undo: reviewers and admins (managers serve members).
REVIEW_ROLES = ("reviewer", "admin")
# The entities DIET learns from examples (docs/nlu.md): time, amount, red flags and
# identifiers come from rules and are never annotated in training data.
TRAINED_ENTITIES = ("hospital", "department", "treatment", "doctor")
EXPORTED_ACTIONS = ("accept", "relabel")

# What a refusal tells the reviewer.
REFUSALS = {
    "not_found": "找不到这条消息。",
    "not_reviewable": "只能审核会员发来、已经智能助手解析的消息。",
    "not_allowed": "只有审核员和管理员可以标注。",
    "bad_action": "标注类型无效。",
    "accept_fallback": "智能助手没有识别这条消息，无法采纳，请改标意图。",
    "unknown_intent": "没有这个意图，请从列表中选择。",
    "bad_entity": "实体标注无效：请在消息文字中选择，类型限医院、科室、治疗、医生，且不能重叠。",
    "decision_not_found": "找不到这条标注。",
    "already_undone": "这条标注已经撤销。",
    "undo_not_yours": "只能撤销自己的标注（管理员除外）。",
    "undo_exported": "这条标注已导出为训练数据，不能撤销。",
    "nothing_to_undo": "没有可撤销的标注。",
    "unmask_not_admin": "查看原文需要管理员权限。",
    "unmask_no_reason": "请填写查看原文的理由。",
    "bad_tag": "标签需为1到40个字。",
    "bad_filter": "筛选条件无效。",
    "bad_filter_name": "筛选名称需为1到100个字。",
}


class ReviewError(Exception):
    """A review action refused: `key` for code, `message` (Chinese) for the reviewer,
    `action` and `target` for the audit entry of the refusal."""

    def __init__(self, key: str, action: str, target: Optional[str] = None,
                 detail: Optional[Dict[str, Any]] = None, message: Optional[str] = None) -> None:
        self.key = key
        self.action = action
        self.target = target
        self.detail = detail or {}
        self.message = message or REFUSALS.get(key, key)
        super().__init__(self.message)


@dataclass(frozen=True)
class DecisionView:
    """A decision as the inbox and the console show it."""

    id: int
    message_id: Optional[int]
    action: str
    intent: Optional[str]
    entities: Tuple[Dict[str, Any], ...]
    text: str  # masked for training
    user_id: int
    reviewer: str
    created_at: datetime
    undone_at: Optional[datetime]
    exported_at: Optional[datetime]
    export_id: Optional[int]

    @property
    def counts(self) -> bool:
        return self.undone_at is None

    def as_json(self) -> Dict[str, Any]:
        return {
            "id": self.id, "message_id": self.message_id, "action": self.action,
            "intent": self.intent, "entities": list(self.entities), "text": self.text,
            "user_id": self.user_id, "reviewer": self.reviewer,
            "created_at": self.created_at.isoformat(),
            "undone_at": self.undone_at.isoformat() if self.undone_at else None,
            "exported_at": self.exported_at.isoformat() if self.exported_at else None,
            "export_id": self.export_id,
        }

    @classmethod
    def of(cls, d: ReviewDecision) -> "DecisionView":
        return cls(d.id, d.message_id, d.action, d.intent, tuple(d.entities or ()), d.text,
                   d.user_id, d.user.display_name if d.user else "", d.created_at,
                   d.undone_at, d.exported_at, d.export_id)


# ---------------------------------------------------------------------------- domain
def domain_parts(domain_dir: Path = DOMAIN_DIR) -> Tuple[Tuple[str, ...], Dict[str, list]]:
    """The intents and the responses declared in domain/*.yml."""
    intents: List[str] = []
    responses: Dict[str, list] = {}
    for path in sorted(domain_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for intent in data.get("intents") or []:
            name = next(iter(intent)) if isinstance(intent, dict) else intent
            if name not in intents:
                intents.append(name)
        responses.update(data.get("responses") or {})
    return tuple(intents), responses


@lru_cache(maxsize=4)
def known_intents(domain_dir: Path = DOMAIN_DIR) -> Tuple[str, ...]:
    """The intents a reviewer may pick: the domain's, without the EXTERNAL_ ones the
    gateway triggers itself."""
    intents, _ = domain_parts(domain_dir)
    return tuple(i for i in intents if not i.startswith("EXTERNAL_"))


# ----------------------------------------------------------------------------- audit
def audit(session: Session, now: datetime, user_id: Optional[int], action: str,
          target: Optional[str] = None, detail: Optional[Dict[str, Any]] = None,
          username: Optional[str] = None) -> None:
    """An audit_log entry, as the console writes them (bot.console.accounts.audit, which
    takes the console's Principal): who, what, target, when. Never member text."""
    if user_id is not None and username is None:
        user = session.get(User, user_id)
        username = user.username if user else None
    session.add(AuditEntry(user_id=user_id, username=username, action=action,
                           target=target, detail=detail, at=now))


def audit_refusal(session: Session, now: datetime, user_id: Optional[int],
                  error: ReviewError) -> None:
    """Record a refused attempt (`<action>_refused`), in the caller's next transaction."""
    audit(session, now, user_id, f"{error.action}_refused", error.target,
          {"reason": error.key, **error.detail})


def require_role(session: Session, user_id: Optional[int], roles: Sequence[str],
                 action: str, target: Optional[str], key: str = "not_allowed") -> User:
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.active or user.role not in roles:
        raise ReviewError(key, action, target)
    return user


# -------------------------------------------------------------------------- deciding
def reviewable(message: Optional[Message]) -> bool:
    """A member's own message that the bot parsed."""
    return (message is not None and message.direction == "in" and message.author == "member"
            and message.intent is not None)


def _trained_entities(entities: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The bot's entities worth keeping as annotations: DIET's kind, with a span."""
    return [e for e in entities if e.get("entity") in TRAINED_ENTITIES
            and isinstance(e.get("start"), int) and isinstance(e.get("end"), int)]


def _checked_entities(entities: Sequence[Dict[str, Any]], text_length: int,
                      target: str, action: str) -> List[Dict[str, Any]]:
    checked = []
    for entity in entities:
        start, end = entity.get("start"), entity.get("end")
        if (entity.get("entity") not in TRAINED_ENTITIES or not isinstance(start, int)
                or not isinstance(end, int) or not 0 <= start < end <= text_length):
            raise ReviewError("bad_entity", action, target, {"entity": entity.get("entity")})
        checked.append({"entity": entity["entity"], "start": start, "end": end})
    checked.sort(key=lambda e: (e["start"], e["end"]))
    if any(a["end"] > b["start"] for a, b in zip(checked, checked[1:])):
        raise ReviewError("bad_entity", action, target, {"overlap": True})
    return checked


def decide(session: Session, message_id: int, user_id: int, action: str, now: datetime,
           intent: Optional[str] = None, entities: Optional[Sequence[Dict[str, Any]]] = None,
           offsets: str = "display", domain_dir: Path = DOMAIN_DIR) -> DecisionView:
    """Record a reviewer's decision on a member message.

    accept: the bot's intent was right (a fallback cannot be accepted). relabel: the
    right intent is `intent` (one of known_intents). out_of_scope: no intent fits (never
    exported; to train the out_of_scope intent, relabel to it). skip: not now.
    `entities` ({entity, start, end}) are offsets on the text the reviewer saw:
    offsets="display" (the inbox's masked text, the default) or "raw"; None keeps the
    bot's own entities of DIET's kinds. They are stored on the text masked for training;
    an entity inside personal data is dropped."""
    if offsets not in ("display", "raw"):
        raise ValueError(f"offsets must be 'display' or 'raw', not {offsets!r}")
    target = f"message:{message_id}"
    audit_action = f"review_{action}" if action in REVIEW_ACTIONS else "review"
    require_role(session, user_id, REVIEW_ROLES, audit_action, target)
    if action not in REVIEW_ACTIONS:
        raise ReviewError("bad_action", audit_action, target, {"action": str(action)[:40]})
    message = session.get(Message, message_id)
    if message is None:
        raise ReviewError("not_found", audit_action, target)
    if not reviewable(message):
        raise ReviewError("not_reviewable", audit_action, target)

    if action == "accept":
        if message.intent == FALLBACK_INTENT or (intent and intent != message.intent):
            raise ReviewError("accept_fallback" if message.intent == FALLBACK_INTENT
                              else "unknown_intent", audit_action, target)
        intent = message.intent
    elif action == "relabel":
        if intent not in known_intents(domain_dir):
            raise ReviewError("unknown_intent", audit_action, target,
                              {"intent": str(intent)[:100]})
    else:
        intent, entities = None, []

    training = review_text.for_training(message.text)
    if entities is None:
        stored = review_text.carry_entities(_trained_entities(message.entities or []),
                                            training, keep_unplaced=False)
    else:
        seen = (review_text.displayed(message.text) if offsets == "display"
                else review_text.unmasked(message.text))
        stored = []
        for entity in _checked_entities(entities, len(seen.text), target, audit_action):
            raw = seen.to_raw(entity["start"], entity["end"])
            span = training.from_raw(*raw) if raw is not None else None
            if span is not None:  # None: inside personal data, masked away
                stored.append({**entity, "start": span[0], "end": span[1]})
    stored = [{"entity": e["entity"], "value": training.text[e["start"]:e["end"]],
               "start": e["start"], "end": e["end"]} for e in stored]

    decision = ReviewDecision(message_id=message.id, text=training.text, user_id=user_id,
                              action=action, intent=intent, entities=stored or None,
                              created_at=now)
    session.add(decision)
    session.flush()
    audit(session, now, user_id, f"review_{action}", target, {
        "decision": decision.id, "intent": intent, "predicted": message.intent,
        "entities": len(stored)})
    return DecisionView.of(decision)


def _undoable(session: Session, decision: ReviewDecision, target: str) -> None:
    if decision.undone_at is not None:
        raise ReviewError("already_undone", "review_undo", target)
    if decision.exported_at is not None:
        export = session.get(ReviewExport, decision.export_id) if decision.export_id else None
        # An export the gate set aside is out of the training data again.
        if export is None or export.status != "set_aside":
            raise ReviewError("undo_exported", "review_undo", target,
                              {"export": decision.export_id})


def undo(session: Session, decision_id: int, user_id: int, now: datetime) -> DecisionView:
    """Undo a decision (one's own; an admin's any) unless it went into training data.
    The message's previous decision, if any and not undone, counts again."""
    target = f"decision:{decision_id}"
    user = require_role(session, user_id, REVIEW_ROLES, "review_undo", target)
    decision = session.get(ReviewDecision, decision_id)
    if decision is None:
        raise ReviewError("decision_not_found", "review_undo", target)
    if decision.user_id != user_id and user.role != "admin":
        raise ReviewError("undo_not_yours", "review_undo", target)
    _undoable(session, decision, target)
    decision.undone_at, decision.undone_by = now, user_id
    audit(session, now, user_id, "review_undo", target,
          {"message": decision.message_id, "action": decision.action})
    return DecisionView.of(decision)


def undo_last(session: Session, user_id: int, now: datetime) -> DecisionView:
    """The keyboard's undo: the user's latest decision that is not undone."""
    latest = session.execute(
        select(ReviewDecision.id).where(ReviewDecision.user_id == user_id,
                                        ReviewDecision.undone_at.is_(None))
        .order_by(ReviewDecision.id.desc()).limit(1)).scalar_one_or_none()
    if latest is None:
        require_role(session, user_id, REVIEW_ROLES, "review_undo", None)
        raise ReviewError("nothing_to_undo", "review_undo")
    return undo(session, latest, user_id, now)


# --------------------------------------------------------------------------- reading
def current_decisions(session: Session,
                      message_ids: Optional[Iterable[int]] = None) -> Dict[int, DecisionView]:
    """message id -> the decision that counts (the latest not undone); all messages with
    one when `message_ids` is None."""
    query = select(ReviewDecision).where(ReviewDecision.undone_at.is_(None),
                                         ReviewDecision.message_id.isnot(None))
    if message_ids is not None:
        wanted = list(set(message_ids))
        if not wanted:
            return {}
        # in chunks: SQLite limits the number of bound parameters
        rows: List[ReviewDecision] = []
        for i in range(0, len(wanted), 500):
            rows += session.execute(query.where(
                ReviewDecision.message_id.in_(wanted[i:i + 500]))).scalars().all()
    else:
        rows = list(session.execute(query).scalars())
    found: Dict[int, DecisionView] = {}
    for row in sorted(rows, key=lambda r: r.id):
        found[row.message_id] = DecisionView.of(row)
    return found


def current_decision(session: Session, message_id: int) -> Optional[DecisionView]:
    return current_decisions(session, [message_id]).get(message_id)


def history(session: Session, message_id: int) -> List[DecisionView]:
    """Every decision on a message, undone ones too, oldest first."""
    return [DecisionView.of(d) for d in session.execute(
        select(ReviewDecision).where(ReviewDecision.message_id == message_id)
        .order_by(ReviewDecision.id)).scalars()]


def pending_export(session: Session, lock: bool = False) -> List[ReviewDecision]:
    """The decisions export writes: each message's current decision when it is accept
    or relabel and not exported yet; decisions whose message was purged count alone.
    lock: hold the rows (PostgreSQL: FOR UPDATE) so two exports cannot take the same
    decisions (SQLite's writers queue anyway)."""
    query = select(ReviewDecision).where(ReviewDecision.undone_at.is_(None))
    if lock:
        query = query.with_for_update()
    rows = session.execute(query.order_by(ReviewDecision.id)).scalars().all()
    latest: Dict[Any, ReviewDecision] = {}
    for row in rows:
        latest[row.message_id if row.message_id is not None else ("purged", row.id)] = row
    return [d for d in sorted(latest.values(), key=lambda r: r.id)
            if d.action in EXPORTED_ACTIONS and d.exported_at is None]
