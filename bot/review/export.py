"""Export review decisions into training data (导出训练数据): accepted and relabelled
examples not exported yet are appended to data/nlu/reviewed.yml in Rasa's YAML format,
which training picks up with the rest of data/. Synchronous functions of a session.

- Every text is masked for training (bot.privacy.mask_for_training); an example in which
  personal data is still found is not written.
- Deduplicated against all existing training data (data/nlu/*.yml, read with Rasa's own
  reader) and within the export, by normalised text. A duplicate is not written again
  but its decision counts as exported.
- Conflicts (the same normalised text with different intents, within the export or
  against existing data) are listed and not written; their decisions stay pending until
  a reviewer undoes or changes them, or the existing data is corrected.
- A text of the held-out evaluation set (tests/nlu) is never written: the gate measures
  on it and it must stay unseen.
- Each export is a review_exports row with the lines it wrote, so the gate (built on
  keep / set_aside) can keep it or take it out of the file again.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import privacy
from bot.gateway.models import ReviewDecision, ReviewExport
from bot.processes import ROOT
from bot.review import decisions
from bot.review.text import as_example, carry_entities, for_training, normalise

logger = logging.getLogger(__name__)

DATA_DIR = ROOT / "data"
HELD_OUT_DIR = ROOT / "tests" / "nlu"
REVIEWED = Path("nlu") / "reviewed.yml"  # under the data directory
REJECTED_DIR = ROOT / "var" / "review" / "rejected"
THIS_EXPORT = "本次导出"
HEADER = (
    "# Examples from conversation review (python -m bot.review export, docs/review.md):\n"
    "# masked for training (bot.privacy), deduplicated against data/nlu. Written by the\n"
    "# export only; an example to take out goes through the gate's set-aside.\n"
)


class ExportError(Exception):
    """An export or an outcome that cannot be done (the message, in Chinese, says why)."""


# ---------------------------------------------------------------------------- report
@dataclass(frozen=True)
class Written:
    decision_id: int
    intent: str
    example: str  # the line as written, with [value](entity) annotations
    text: str  # the plain text


@dataclass(frozen=True)
class Duplicate:
    decision_id: int
    intent: str
    text: str
    where: str  # a data file (nlu/service.yml) or 本次导出


@dataclass(frozen=True)
class Conflict:
    """One text with different intents: ours (the decisions) and the others, each with
    where it comes from (审核标注 #12, nlu/service.yml)."""

    text: str
    decision_ids: Tuple[int, ...]
    sides: Tuple[Tuple[str, str], ...]  # (intent, where)

    @property
    def intents(self) -> Tuple[str, ...]:
        return tuple(sorted({intent for intent, _ in self.sides}))


@dataclass(frozen=True)
class Skipped:
    decision_id: int
    text: str
    reason: str


@dataclass(frozen=True)
class ExportReport:
    export_id: Optional[int]  # None for a dry run or when there was nothing to export
    path: str
    dry_run: bool
    written: Tuple[Written, ...] = ()
    duplicates: Tuple[Duplicate, ...] = ()
    conflicts: Tuple[Conflict, ...] = ()
    skipped: Tuple[Skipped, ...] = ()

    @property
    def counts(self) -> Dict[str, int]:
        return {"written": len(self.written), "duplicates": len(self.duplicates),
                "conflicts": len(self.conflicts), "skipped": len(self.skipped)}

    def as_json(self) -> Dict[str, Any]:
        return {
            "export_id": self.export_id, "path": self.path, "dry_run": self.dry_run,
            "counts": self.counts,
            "written": [vars(w) for w in self.written],
            "duplicates": [vars(d) for d in self.duplicates],
            "conflicts": [{"text": c.text, "decision_ids": list(c.decision_ids),
                           "sides": [{"intent": i, "where": w} for i, w in c.sides]}
                          for c in self.conflicts],
            "skipped": [vars(s) for s in self.skipped],
        }

    def as_text(self) -> str:
        """The report for reviewers (Chinese)."""
        head = "试运行，未写入文件" if self.dry_run else (
            f"导出 #{self.export_id}，写入 {self.path}" if self.export_id else "没有可导出的标注")
        lines = [head, "写入 {written} 条，重复 {duplicates} 条，冲突 {conflicts} 条，"
                       "未写入 {skipped} 条".format(**self.counts)]
        if self.written:
            lines.append("写入：")
            lines += [f"  {w.intent}: {w.example}" for w in self.written]
        if self.duplicates:
            lines.append("重复（已有相同样例，不再写入）：")
            lines += [f"  {d.text}（{d.intent}，见 {d.where}）" for d in self.duplicates]
        if self.conflicts:
            lines.append("冲突（同一句话标了不同意图，未写入，请处理）：")
            lines += ["  " + c.text + "：" + " ≠ ".join(f"{i}（{w}）" for i, w in c.sides)
                      for c in self.conflicts]
        if self.skipped:
            lines.append("未写入：")
            lines += [f"  #{s.decision_id} {s.text}：{s.reason}" for s in self.skipped]
        return "\n".join(lines)


# ------------------------------------------------------------------ existing data
def _examples_of(path: Path) -> List[Tuple[str, str]]:
    """(plain text, intent) of every example in one Rasa training-data file."""
    from rasa.shared.nlu.training_data.loading import load_data  # slow import, on use

    data = load_data(str(path))
    return [(m.get("text"), m.get("intent")) for m in data.training_examples
            if m.get("text") and m.get("intent")]


def existing_examples(directory: Path, relative_to: Optional[Path] = None
                      ) -> Dict[str, Dict[str, List[str]]]:
    """normalised text -> intent -> the files (relative) that have it, for every YAML
    training-data file under `directory`."""
    found: Dict[str, Dict[str, List[str]]] = {}
    if not directory.exists():
        return found
    base = relative_to or directory
    for path in sorted(p for p in directory.rglob("*") if p.suffix in (".yml", ".yaml")):
        where = str(path.relative_to(base)) if path.is_relative_to(base) else str(path)
        for text, intent in _examples_of(path):
            files = found.setdefault(normalise(text), {}).setdefault(intent, [])
            if where not in files:
                files.append(where)
    return found


# ------------------------------------------------------------------ example lines
def annotate(text: str, entities: Sequence[Dict[str, Any]]) -> str:
    """A training line: the text with [value](entity) around each entity."""
    parts, last = [], 0
    for entity in sorted(entities, key=lambda e: e["start"]):
        parts += [text[last:entity["start"]],
                  f"[{text[entity['start']:entity['end']]}]({entity['entity']})"]
        last = entity["end"]
    return "".join(parts) + text[last:]


def _reads_back(line: str, intent: str, text: str, entities: Sequence[Dict[str, Any]]) -> bool:
    """Whether Rasa reads the line as exactly this text and these entities (a member
    text with its own [..](..) would not)."""
    from rasa.shared.nlu.training_data.entities_parser import parse_training_example

    try:
        message = parse_training_example(line, intent)
    except Exception:  # noqa: BLE001 - any failure to parse means: do not write it
        return False
    read = sorted((e["start"], e["end"], e["entity"]) for e in message.get("entities") or [])
    wanted = sorted((e["start"], e["end"], e["entity"]) for e in entities)
    return message.get("text") == text and read == wanted


@dataclass
class _Candidate:
    decision_id: int
    intent: str
    text: str
    example: str
    key: str = field(init=False)

    def __post_init__(self) -> None:
        self.key = normalise(self.text)


def _candidate(d: ReviewDecision) -> Tuple[Optional[_Candidate], Optional[str]]:
    """The example a decision makes, or why it cannot be written."""
    training = for_training(d.text)  # the stored text is masked already; again, to be sure
    entities = carry_entities(d.entities or [], training, keep_unplaced=False)
    line = as_example(training.text)
    entities = carry_entities(entities, line, keep_unplaced=False)
    text = line.text
    if not text:
        return None, "文字为空"
    if privacy.contains_personal_data(text):
        return None, "仍含个人信息"
    entities = [e for e in entities if e.get("entity") in decisions.TRAINED_ENTITIES]
    example = annotate(text, entities)
    if not _reads_back(example, d.intent, text, entities):
        return None, "无法写成训练样例（文字含 [..](..) 等标注符号）"
    return _Candidate(d.id, d.intent, text, example), None


# ------------------------------------------------------------------- the YAML file
def _read_reviewed(path: Path) -> List[Tuple[str, List[str]]]:
    """The intent blocks of reviewed.yml, in order: (intent, example lines)."""
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    blocks: List[Tuple[str, List[str]]] = []
    for item in data.get("nlu") or []:
        if not isinstance(item, dict) or set(item) != {"intent", "examples"}:
            raise ExportError(f"{path} 只能包含导出写入的意图样例，请检查手工修改。")
        lines = [line.strip()[2:] for line in str(item["examples"]).splitlines()
                 if line.strip().startswith("- ")]
        blocks.append((item["intent"], lines))
    return blocks


def _render_reviewed(blocks: Sequence[Tuple[str, List[str]]]) -> str:
    body = "".join(
        f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {line}\n" for line in lines)
        for intent, lines in blocks if lines)
    return HEADER + 'version: "3.1"\n' + ("nlu:\n" + body if body else "nlu: []\n")


def _write_checked(path: Path, blocks: Sequence[Tuple[str, List[str]]]) -> None:
    """Write the file atomically, then read it with Rasa's reader; put the old content
    back if it does not read as the examples written."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    path.parent.mkdir(parents=True, exist_ok=True)
    before = path.read_text(encoding="utf-8") if path.exists() else None
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(_render_reviewed(blocks), encoding="utf-8")
    os.replace(temporary, path)
    try:
        read = RasaYAMLReader().read(str(path))
        expected = sum(len(lines) for _, lines in blocks)
        if len(read.training_examples) != expected:
            raise ExportError(f"Rasa 读到 {len(read.training_examples)} 条样例，应为 {expected} 条")
    except Exception as error:
        if before is None:
            path.unlink()
        else:
            path.write_text(before, encoding="utf-8")
        raise ExportError(f"写入的文件未能通过 Rasa 读取检查，已恢复原文件：{error}") from error


def _append(path: Path, new: Sequence[_Candidate]) -> None:
    blocks = _read_reviewed(path)
    index = {intent: lines for intent, lines in blocks}
    for candidate in new:
        if candidate.intent not in index:
            index[candidate.intent] = []
            blocks.append((candidate.intent, index[candidate.intent]))
        index[candidate.intent].append(candidate.example)
    _write_checked(path, blocks)


# ---------------------------------------------------------------------------- export
def _sort(candidates: List[_Candidate], existing: Dict[str, Dict[str, List[str]]],
          held_out: Dict[str, Dict[str, List[str]]]):
    """Written, duplicates, conflicts and held-out skips, in decision order."""
    written: List[_Candidate] = []
    duplicates: List[Duplicate] = []
    conflicts: List[Conflict] = []
    skipped: List[Skipped] = []
    by_key: Dict[str, List[_Candidate]] = {}
    for c in candidates:
        if c.key in held_out:
            skipped.append(Skipped(c.decision_id, c.text, "与评测集（tests/nlu）中的样例相同，"
                                                          "写入会让评测失真"))
            continue
        by_key.setdefault(c.key, []).append(c)
    for key, group in by_key.items():
        before = existing.get(key)
        if before is not None:
            agree = [c for c in group if c.intent in before]
            differ = [c for c in group if c.intent not in before]
            duplicates += [Duplicate(c.decision_id, c.intent, c.text,
                                     "、".join(before[c.intent])) for c in agree]
            if differ:
                conflicts.append(Conflict(
                    differ[0].text, tuple(c.decision_id for c in differ),
                    tuple((c.intent, f"审核标注 #{c.decision_id}") for c in differ)
                    + tuple((intent, "、".join(files)) for intent, files in before.items())))
            continue
        if len({c.intent for c in group}) > 1:
            conflicts.append(Conflict(
                group[0].text, tuple(c.decision_id for c in group),
                tuple((c.intent, f"审核标注 #{c.decision_id}") for c in group)))
            continue
        written.append(group[0])
        duplicates += [Duplicate(c.decision_id, c.intent, c.text, THIS_EXPORT)
                       for c in group[1:]]
    return written, duplicates, conflicts, skipped


def reviewed_path(data_dir: Path = DATA_DIR) -> Path:
    return data_dir / REVIEWED


def export(session: Session, now: datetime, user_id: Optional[int] = None,
           data_dir: Path = DATA_DIR, held_out_dir: Path = HELD_OUT_DIR,
           dry_run: bool = False) -> ExportReport:
    """Export the pending accept and relabel decisions into data_dir/nlu/reviewed.yml
    (see the module's docstring); marks the written and duplicate ones exported with the
    new export's id. A dry run only reports. `user_id` None: the command line."""
    if user_id is not None:
        decisions.require_role(session, user_id, decisions.REVIEW_ROLES, "review_export",
                               None)
    path = reviewed_path(data_dir)
    pending = decisions.pending_export(session, lock=not dry_run)
    candidates, skipped = [], []
    for d in pending:
        candidate, why = _candidate(d)
        if candidate is None:
            skipped.append(Skipped(d.id, privacy.mask_for_training(d.text)[:80], why or ""))
        else:
            candidates.append(candidate)
    if not pending:
        return ExportReport(None, str(path), dry_run)
    existing = existing_examples(data_dir / "nlu", relative_to=data_dir)
    held_out = existing_examples(held_out_dir, relative_to=held_out_dir.parent)
    written, duplicates, conflicts, held = _sort(candidates, existing, held_out)
    skipped += held
    report = dict(written=tuple(Written(c.decision_id, c.intent, c.example, c.text)
                                for c in written),
                  duplicates=tuple(duplicates), conflicts=tuple(conflicts),
                  skipped=tuple(sorted(skipped, key=lambda s: s.decision_id)))
    if dry_run or not (written or duplicates):
        return ExportReport(None, str(path), dry_run, **report)

    if written:
        _append(path, written)
    row = ReviewExport(created_at=now, user_id=user_id, path=str(path), status="written",
                       counts={}, examples=[{"decision_id": c.decision_id, "intent": c.intent,
                                             "example": c.example} for c in written])
    session.add(row)
    session.flush()
    result = ExportReport(row.id, str(path), False, **report)
    row.counts = result.counts
    done = {c.decision_id for c in written} | {d.decision_id for d in duplicates}
    for d in pending:
        if d.id in done:
            d.exported_at, d.export_id = now, row.id
    decisions.audit(session, now, user_id, "review_export", f"export:{row.id}",
                    result.counts, username=None if user_id is not None else "cli")
    return result


# --------------------------------------------------------------------------- the gate
@dataclass(frozen=True)
class ExportView:
    id: int
    created_at: datetime
    user_id: Optional[int]
    path: str
    counts: Dict[str, int]
    status: str
    reason: Optional[str]
    metrics_before: Optional[Dict[str, Any]]
    metrics_after: Optional[Dict[str, Any]]
    decided_at: Optional[datetime]

    @classmethod
    def of(cls, row: ReviewExport) -> "ExportView":
        return cls(row.id, row.created_at, row.user_id, row.path, dict(row.counts or {}),
                   row.status, row.reason, row.metrics_before, row.metrics_after,
                   row.decided_at)

    def as_json(self) -> Dict[str, Any]:
        return {**vars(self), "created_at": self.created_at.isoformat(),
                "decided_at": self.decided_at.isoformat() if self.decided_at else None}


def exports(session: Session, limit: int = 20) -> List[ExportView]:
    """The latest exports, newest first."""
    return [ExportView.of(r) for r in session.execute(
        select(ReviewExport).order_by(ReviewExport.id.desc()).limit(limit)).scalars()]


def _export(session: Session, export_id: int) -> ReviewExport:
    row = session.get(ReviewExport, export_id)
    if row is None:
        raise ExportError(f"没有导出 #{export_id}。")
    return row


def keep(session: Session, export_id: int, now: datetime,
         metrics_before: Optional[Dict[str, Any]] = None,
         metrics_after: Optional[Dict[str, Any]] = None,
         user_id: Optional[int] = None) -> ExportView:
    """The gate found nothing worse: the export stays in the training data."""
    row = _export(session, export_id)
    if row.status != "written":
        raise ExportError(f"导出 #{export_id} 已有结论（{row.status}）。")
    row.status, row.decided_at = "kept", now
    row.metrics_before, row.metrics_after = metrics_before, metrics_after
    decisions.audit(session, now, user_id, "review_export_kept", f"export:{export_id}",
                    None, username=None if user_id is not None else "gate")
    return ExportView.of(row)


def set_aside(session: Session, export_id: int, reason: str, now: datetime,
              metrics_before: Optional[Dict[str, Any]] = None,
              metrics_after: Optional[Dict[str, Any]] = None,
              user_id: Optional[int] = None, rejected_dir: Path = REJECTED_DIR) -> Path:
    """Take an export's lines out of its file and keep them in
    rejected_dir/<export id>.yml with the reason (the gate found something worse, or an
    admin decided). Its decisions may be undone again. The path of the set-aside file."""
    row = _export(session, export_id)
    if row.status == "set_aside":
        raise ExportError(f"导出 #{export_id} 已被搁置。")
    reason = (reason or "").strip() or "未说明原因"
    path = Path(row.path)
    blocks = _read_reviewed(path)
    for example in row.examples or []:
        for intent, lines in blocks:
            if intent == example["intent"] and example["example"] in lines:
                lines.remove(example["example"])
                break
    if path.exists():
        _write_checked(path, blocks)
    rejected_dir.mkdir(parents=True, exist_ok=True)
    rejected = rejected_dir / f"{export_id}.yml"
    aside: Dict[str, List[str]] = {}
    for example in row.examples or []:
        aside.setdefault(example["intent"], []).append(example["example"])
    note = "".join(f"# {line}\n" for line in reason.splitlines())
    rejected.write_text(f"# 导出 #{export_id} 于 {now:%Y-%m-%d %H:%M} 搁置，原因：\n{note}"
                        + _render_reviewed(list(aside.items()))[len(HEADER):],
                        encoding="utf-8")
    row.status, row.reason, row.decided_at = "set_aside", reason, now
    row.metrics_before, row.metrics_after = metrics_before, metrics_after
    decisions.audit(session, now, user_id, "review_export_set_aside", f"export:{export_id}",
                    {"reason": reason[:200]},
                    username=None if user_id is not None else "gate")
    return rejected
