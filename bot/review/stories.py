"""Reviewed conversations as Rasa test stories (测试故事), so a fixed mistake stays
fixed, and managers' replies as candidate answers for new FAQ responses (常见问题候选).

A story is built from what the gateway stored: each member message (masked for
training, with the reviewed intent where a decision counts, else the predicted one, and
its entities) and the bot's actions. The gateway keeps the bot's texts, not action
names: they come from Rasa's tracker when it is given (`tracker`, the events of
RasaClient.tracker), else each bot text is matched against the domain's responses
(templates with {slot} as a pattern). A response that no story or rule of data/ names
as an action is spoken by a custom action (action_*), whose name the text cannot tell:
such a conversation is refused with the reason. The story stops where the
conversation left the bot (a message held for a manager).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import privacy
from bot.gateway.models import Conversation, Handoff, Message
from bot.processes import ROOT
from bot.review import clusters
from bot.review.decisions import TRAINED_ENTITIES, current_decisions
from bot.review.export import DATA_DIR, annotate
from bot.review.text import as_example, carry_entities, for_training, review_key

DOMAIN_DIR = ROOT / "domain"
STORIES_DIR = ROOT / "tests" / "stories"
FALLBACK = "nlu_fallback"
_PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$", re.S)
_SLOT = re.compile(r"\{(\w+)\}")
# Managers address members by name (陈静女士, 王先生), which bot.privacy's cues (我叫,
# 我是 ...) do not see: the two characters before an honorific are masked too (a
# character too many at worst: 您好陈女士 -> 您**女士).
_ADDRESSED = re.compile(r"[\u4e00-\u9fff]{1,2}(?=女士|先生|小姐|阿姨|叔叔)")


class StoryError(Exception):
    """A conversation that cannot become a test story (the message, in Chinese, says why)."""


# ------------------------------------------------------------------ the domain's texts
@dataclass(frozen=True)
class Response:
    name: str
    pattern: "re.Pattern[str]"
    literal: int  # characters outside {slots}: the more, the more specific the match


def _yaml_files(directory: Path) -> Iterable[Dict[str, Any]]:
    paths = [directory] if directory.is_file() else sorted(directory.rglob("*.yml"))
    for path in paths:
        yield yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def domain_responses(domain_dir: Path = DOMAIN_DIR) -> List[Response]:
    """Every text variation of every response, as a pattern over the whole text."""
    found = []
    for part in _yaml_files(domain_dir):
        for name, variations in (part.get("responses") or {}).items():
            for variation in variations or []:
                text = (variation or {}).get("text")
                if not text:
                    continue
                pieces = _SLOT.split(text.strip())
                literal = pieces[0::2]
                pattern = "(?:.+?)".join(re.escape(p) for p in literal)
                found.append(Response(name, re.compile(pattern, re.S),
                                      sum(len(p) for p in literal)))
    return found


def story_actions(data_dir: Path = DATA_DIR) -> set:
    """The action names the stories and rules of data/ use."""
    names = set()
    for part in _yaml_files(data_dir):
        for flow in (part.get("stories") or []) + (part.get("rules") or []):
            for step in flow.get("steps") or []:
                if isinstance(step, dict) and step.get("action"):
                    names.add(step["action"])
    return names


def response_for(text: str, responses: Sequence[Response]) -> Optional[str]:
    """The response name whose text this is: an exact text first, then the template
    with the most literal text. A template that is only slots ("{warning}") matches
    any text, so it says nothing and is left out."""
    text = text.strip()
    matches = [r for r in responses if r.literal and r.pattern.fullmatch(text)]
    if not matches:
        return None
    return max(matches, key=lambda r: r.literal).name


# ------------------------------------------------------------------------ the story
@dataclass(frozen=True)
class _Step:
    kind: str  # user, intent, action, active_loop
    value: Any
    intent: Optional[str] = None
    entities: Tuple[Tuple[str, str], ...] = ()


def _user_step(message: Message, decision) -> _Step:
    if decision is not None and decision.action == "out_of_scope":
        raise StoryError(f"消息 #{message.id} 标为「没有合适的意图」，不能写成测试故事。")
    if decision is not None and decision.action in ("accept", "relabel"):
        intent, raw, entities = decision.intent, decision.text, list(decision.entities)
    else:
        intent, raw = message.intent, message.text
        entities = [e for e in message.entities or [] if e.get("entity") in TRAINED_ENTITIES]
    if not intent or intent == FALLBACK:
        raise StoryError(f"消息 #{message.id} 机器人没有理解，也没有审核结论，请先审核。")
    training = for_training(raw)
    entities = carry_entities(entities, training, keep_unplaced=False)
    line = as_example(training.text)
    entities = [e for e in carry_entities(entities, line, keep_unplaced=False)
                if e.get("entity") in TRAINED_ENTITIES]
    if privacy.contains_personal_data(line.text):
        raise StoryError(f"消息 #{message.id} 脱敏后仍含个人信息，不能写入。")
    return _Step("user", annotate(line.text, entities), intent)


def _button_step(message: Message, payload: str) -> Optional[_Step]:
    """A button press: the payload's intent and entities (the title is not what NLU
    would read)."""
    match = _PAYLOAD.match(payload.strip())
    if not match:
        return None
    entities: List[Tuple[str, str]] = []
    if match[2]:
        try:
            values = json.loads(match[2])
        except ValueError:
            values = {}
        for name, value in (values.items() if isinstance(values, dict) else []):
            if isinstance(value, (str, int, float)) and not privacy.contains_personal_data(
                    str(value)):
                entities.append((str(name), str(value)))
    return _Step("intent", match[1], match[1], tuple(entities))


def _tracker_turns(tracker: Dict[str, Any]) -> List[List[_Step]]:
    """The bot's steps after each user event of Rasa's tracker (action names and form
    activations, action_listen left out)."""
    turns: List[List[_Step]] = []
    for event in tracker.get("events") or []:
        kind = event.get("event")
        if kind == "user":
            turns.append([])
        elif not turns:
            continue
        elif kind == "action" and event.get("name") not in (None, "action_listen"):
            turns[-1].append(_Step("action", event["name"]))
        elif kind == "active_loop":
            turns[-1].append(_Step("active_loop", event.get("name")))
    return turns


def _render(conversation_id: int, steps: Sequence[_Step], now: datetime) -> str:
    lines = ['version: "3.1"',
             f"# Saved from reviewed conversation {conversation_id} on {now:%Y-%m-%d}",
             "# (python -m bot.review story; texts masked for training).",
             "stories:", f"- story: reviewed conversation {conversation_id}", "  steps:"]
    for step in steps:
        if step.kind == "user":
            lines += ["  - user: |", f"      {step.value}", f"    intent: {step.intent}"]
        elif step.kind == "intent":
            lines.append(f"  - intent: {step.value}")
            if step.entities:
                lines.append("    entities:")
                lines += [f"    - {name}: {json.dumps(value, ensure_ascii=False)}"
                          for name, value in step.entities]
        elif step.kind == "action":
            lines.append(f"  - action: {step.value}")
        else:
            lines.append(f"  - active_loop: {step.value if step.value else 'null'}")
    return "\n".join(lines) + "\n"


def story_for(session: Session, conversation_id: int, now: datetime,
              tracker: Optional[Dict[str, Any]] = None, domain_dir: Path = DOMAIN_DIR,
              data_dir: Path = DATA_DIR) -> str:
    """The conversation as a Rasa test story (YAML, tests/stories format); StoryError
    with the reason when it cannot be one."""
    if session.get(Conversation, conversation_id) is None:
        raise StoryError(f"没有会话 #{conversation_id}。")
    messages = list(session.execute(select(Message).where(
        Message.conversation_id == conversation_id).order_by(Message.id)).scalars())
    decisions = current_decisions(session, [m.id for m in messages if m.author == "member"])
    responses = domain_responses(domain_dir) if tracker is None else []
    known_actions = story_actions(data_dir) if tracker is None else set()
    steps: List[_Step] = []
    turns: List[List[_Step]] = []  # the bot's steps after each member message
    buttons: Dict[str, str] = {}  # the last bot message's buttons: title -> payload
    for message in messages:
        if message.author == "member":
            if message.routed_to != "bot":
                break  # held for a manager: the bot's part ends here
            pressed = buttons.get(message.text.strip())
            step = _button_step(message, pressed) if pressed else None
            steps.append(step or _user_step(message, decisions.get(message.id)))
            turns.append([])
            buttons = {}
        elif message.author == "bot" and turns:
            buttons = {b.get("title", "").strip(): b.get("payload", "")
                       for b in message.buttons or [] if b.get("payload")}
            if tracker is not None:
                continue
            name = response_for(message.text, responses)
            if name is None:
                raise StoryError(f"机器人回复（消息 #{message.id}）对应不到领域文件中的任何回复，"
                                 "无法确定动作名。")
            if name not in known_actions:
                raise StoryError(f"机器人回复（消息 #{message.id}）是 {name}，由自定义动作发出"
                                 "（data/ 的故事和规则里没有它），只看文字无法确定动作名；"
                                 "请在 Rasa 还记得这段对话时用 --rasa 取对话记录。")
            turns[-1].append(_Step("action", name))
    if not turns:
        raise StoryError(f"会话 #{conversation_id} 没有机器人处理过的会员消息。")
    if tracker is not None:
        tracked = _tracker_turns(tracker)
        if len(tracked) < len(turns):
            raise StoryError(f"Rasa 的对话记录只有 {len(tracked)} 条会员消息，网关存了 "
                             f"{len(turns)} 条，对不上。")
        turns = tracked[:len(turns)]
    story: List[_Step] = []
    for user, actions in zip(steps, turns):
        story.append(user)
        story += actions
    while story and story[-1].kind in ("user", "intent"):
        story.pop()  # a test story ends with the bot's answer
    if not any(s.kind == "action" for s in story):
        raise StoryError(f"会话 #{conversation_id} 里机器人没有回答过。")
    return _render(conversation_id, story, now)


def save_story(session: Session, conversation_id: int, now: datetime,
               stories_dir: Path = STORIES_DIR, **kwargs: Any) -> Path:
    """Write the story to stories_dir/reviewed_<id>.yml (replacing an earlier save)."""
    text = story_for(session, conversation_id, now, **kwargs)
    stories_dir.mkdir(parents=True, exist_ok=True)
    path = stories_dir / f"reviewed_{conversation_id}.yml"
    path.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------- FAQ candidates
@dataclass(frozen=True)
class FaqCandidate:
    questions: Tuple[str, ...]  # masked for training, most frequent first
    answers: Tuple[str, ...]  # managers' replies, masked for display, most frequent first
    count: int  # questions answered by a manager
    conversations: int

    def as_json(self) -> Dict[str, Any]:
        return {"questions": list(self.questions), "answers": list(self.answers),
                "count": self.count, "conversations": self.conversations}


def mask_answer(text: str) -> str:
    """A manager's reply as a candidate answer: masked for display, names addressed with
    an honorific too."""
    return _ADDRESSED.sub("**", privacy.mask_for_display(text.strip()))


def _answered(session: Session, since: Optional[datetime]
              ) -> List[Tuple[str, str, int]]:
    """(member question, manager answer, conversation) in handed-off conversations: a
    manager's reply (consecutive ones joined) with the latest member message before it."""
    handed_off = select(Handoff.conversation_id).distinct()
    query = select(Message).where(Message.conversation_id.in_(handed_off))
    if since is not None:
        query = query.where(Message.created_at >= since)
    pairs: List[Tuple[str, str, int]] = []
    question: Dict[int, Optional[str]] = {}
    answer: Dict[int, List[str]] = {}

    def close(conversation_id: int) -> None:
        asked, said = question.get(conversation_id), answer.pop(conversation_id, [])
        if asked and said:
            pairs.append((asked, "\n".join(said), conversation_id))
            question[conversation_id] = None  # one answer per question

    for m in session.execute(query.order_by(Message.conversation_id, Message.id)).scalars():
        if m.author == "member":
            close(m.conversation_id)
            question[m.conversation_id] = m.text
        elif m.author == "manager" and question.get(m.conversation_id):
            answer.setdefault(m.conversation_id, []).append(m.text)
    for conversation_id in list(answer):
        close(conversation_id)
    return pairs


def faq_candidates(session: Session, since: Optional[datetime] = None,
                   threshold: float = clusters.DEFAULT_THRESHOLD, min_size: int = 1,
                   most_answers: int = 5) -> List[FaqCandidate]:
    """Managers' answers grouped by similar member questions (bot.review.clusters), the
    most asked first: candidates for new FAQ responses."""
    by_key: Dict[str, Dict[str, Any]] = {}
    for asked, said, conversation_id in _answered(session, since):
        key = review_key(asked)
        group = by_key.setdefault(key, {"text": as_example(
            privacy.mask_for_training(asked)).text, "count": 0, "answers": {},
            "conversations": set()})
        group["count"] += 1
        answer = mask_answer(said)
        group["answers"][answer] = group["answers"].get(answer, 0) + 1
        group["conversations"].add(conversation_id)
    groups = list(by_key.values())
    found = []
    for c in clusters.cluster([g["text"] for g in groups], [g["count"] for g in groups],
                              threshold=threshold):
        members = [groups[i] for i in c.indices]
        if sum(len(set(g["answers"])) for g in members) == 0 or len(members) < min_size:
            continue
        answers: Dict[str, int] = {}
        for g in members:
            for text, n in g["answers"].items():
                answers[text] = answers.get(text, 0) + n
        ranked = sorted(answers, key=lambda a: (-answers[a], a))[:most_answers]
        found.append(FaqCandidate(
            tuple(g["text"] for g in sorted(members, key=lambda g: (-g["count"], g["text"]))),
            tuple(ranked), c.count,
            len(set().union(*(g["conversations"] for g in members)))))
    return sorted(found, key=lambda f: (-f.count, f.questions[0]))
