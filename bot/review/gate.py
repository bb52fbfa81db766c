"""The gate (训练数据闸门): export the reviewed examples, validate, train a model without
and one with them, evaluate both on the held-out set and the test stories, and keep the
export only when nothing got worse; otherwise set it aside with the reason.

Fair comparison: both models are trained from the same config with its fixed random
seeds, in a temporary working copy of the project (data/, domain/, config, tests/nlu,
tests/stories), never in data/ itself. Rasa's training cache is shared by the two
trainings, so the "after" model reuses the dialogue policies of the "before" one (an
NLU export changes no story). The export itself writes data/nlu/reviewed.yml (the core's
export); whatever goes wrong after it, the gate sets it aside, which takes its lines out
again: data/ is back as it was.

`compare` and `side_by_side` are pure; `run_gate` is the shell (subprocesses, database).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import yaml

from bot.db import Database
from bot.evaluate import run_nlu_test, summarize
from bot.processes import ROOT, VENV_BIN
from bot.review import export as exporting

logger = logging.getLogger(__name__)

GATE_DIR = ROOT / "var" / "review" / "gate"  # models and reports kept with --keep-models
# The figures that must not fall, with their labels for the table and the reason.
COMPARED = (
    ("intent_accuracy", "意图准确率"),
    ("intent_macro_f1", "意图宏平均 F1"),
    ("emergency_recall", "急症召回率"),
)
# Exit codes of the command line.
KEPT, SET_ASIDE, ERROR = 0, 1, 2


class GateError(Exception):
    """A step of the gate failed (the message, in Chinese, says which)."""


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Project:
    """Where the gate reads its inputs: the training data it exports into, the domain,
    the config, the held-out set and the test stories. Defaults: this repository."""

    data_dir: Path = exporting.DATA_DIR
    domain_dir: Path = ROOT / "domain"
    config: Path = ROOT / "config.yml"
    held_out_dir: Path = ROOT / "tests" / "nlu"
    stories_dir: Path = ROOT / "tests" / "stories"


@dataclass(frozen=True)
class GateSettings:
    project: Project = field(default_factory=Project)
    # Epochs per component name (DIETClassifier) replacing the config's: the
    # tests train tiny models. None: the config as it is (production).
    epochs: Optional[Mapping[str, int]] = None
    # How far a figure may fall and still count as "not worse". 0 in production; the
    # tests' tiny models may need a little (docs/review.md).
    tolerance: float = 0.0
    story_tolerance: int = 0
    keep_models: bool = False
    gate_dir: Path = GATE_DIR
    rejected_dir: Path = exporting.REJECTED_DIR
    dry_run: bool = False
    workers: int = 2  # evaluations run side by side (each is one core)
    # Rasa's training cache; None: one inside the temporary workspace.
    cache_dir: Optional[Path] = None


# ---------------------------------------------------------------------------- metrics
@dataclass(frozen=True)
class Metrics:
    intent_accuracy: float
    intent_macro_f1: float
    emergency_recall: float
    entity_f1: Optional[float]
    examples: int
    stories_failed: int
    stories_total: int

    def as_json(self) -> Dict[str, Any]:
        return asdict(self)


def compare(before: Metrics, after: Metrics, tolerance: float = 0.0,
            story_tolerance: int = 0) -> List[str]:
    """What got worse, one Chinese sentence each (empty: nothing did)."""
    worse = []
    for name, label in COMPARED:
        b, a = getattr(before, name), getattr(after, name)
        if a < b - tolerance:
            worse.append(f"{label}从 {b:.3f} 降到 {a:.3f}（下降 {b - a:.3f}）")
    if after.stories_failed > before.stories_failed + story_tolerance:
        worse.append(f"测试故事失败从 {before.stories_failed} 个增加到 {after.stories_failed} 个"
                     f"（多 {after.stories_failed - before.stories_failed} 个）")
    return worse


def _pad(text: str, width: int, right: bool = False) -> str:
    """Pad to a display width: a Chinese character takes two columns."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    space = " " * max(0, width - used)
    return space + text if right else text + space


def side_by_side(before: Metrics, after: Metrics) -> str:
    """The plain-text table of before and after."""
    def rate(value: Optional[float]) -> str:
        return "—" if value is None else f"{value:.3f}"

    rows = [(label, rate(getattr(before, name)), rate(getattr(after, name)),
             getattr(after, name) - getattr(before, name)) for name, label in COMPARED]
    rows.append(("实体 F1（不参与判断）", rate(before.entity_f1), rate(after.entity_f1),
                 None if before.entity_f1 is None or after.entity_f1 is None
                 else after.entity_f1 - before.entity_f1))
    rows.append(("测试故事失败数", f"{before.stories_failed}/{before.stories_total}",
                 f"{after.stories_failed}/{after.stories_total}",
                 after.stories_failed - before.stories_failed))
    lines = [_pad("指标", 24) + _pad("导出前", 10, True) + _pad("导出后", 10, True)
             + _pad("变化", 10, True)]
    for label, b, a, change in rows:
        delta = "—" if change is None else (f"{change:+d}" if isinstance(change, int)
                                            else f"{change:+.3f}")
        lines.append(_pad(label, 24) + _pad(b, 10, True) + _pad(a, 10, True)
                     + _pad(delta, 10, True))
    return "\n".join(lines)


# -------------------------------------------------------------------------- the result
@dataclass(frozen=True)
class GateResult:
    outcome: str  # nothing, kept, set_aside, error (dry run: would_keep, would_set_aside)
    export_id: Optional[int]
    reason: Optional[str] = None
    before: Optional[Metrics] = None
    after: Optional[Metrics] = None
    report: Optional[exporting.ExportReport] = None
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return {"set_aside": SET_ASIDE, "would_set_aside": SET_ASIDE,
                "error": ERROR}.get(self.outcome, KEPT)

    def as_json(self) -> Dict[str, Any]:
        return {"outcome": self.outcome, "export_id": self.export_id, "reason": self.reason,
                "before": self.before.as_json() if self.before else None,
                "after": self.after.as_json() if self.after else None,
                "seconds": round(self.seconds, 1)}


# ------------------------------------------------------------------------- workspace
def _env(cache_dir: Path) -> Dict[str, str]:
    """The project's custom components import from the repository; the cache is shared
    by both trainings; no telemetry from a batch job."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else ""),
            "RASA_CACHE_DIRECTORY": str(cache_dir), "RASA_TELEMETRY_ENABLED": "false",
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def _config_text(config: Path, epochs: Optional[Mapping[str, int]]) -> str:
    text = config.read_text(encoding="utf-8")
    if not epochs:
        return text
    parsed = yaml.safe_load(text)
    for part in parsed.get("pipeline", []) + parsed.get("policies", []):
        if part.get("name") in epochs:
            part["epochs"] = int(epochs[part["name"]])
    return yaml.safe_dump(parsed, allow_unicode=True, sort_keys=False)


def copy_project(project: Project, target: Path, epochs: Optional[Mapping[str, int]]) -> Path:
    """A working copy of everything training and testing read: target/{data, domain,
    config.yml, tests/nlu, tests/stories}. The config's relative paths (data/dictionary)
    resolve inside it."""
    shutil.copytree(project.data_dir, target / "data")
    shutil.copytree(project.domain_dir, target / "domain")
    (target / "config.yml").write_text(_config_text(project.config, epochs), encoding="utf-8")
    shutil.copytree(project.held_out_dir, target / "tests" / "nlu")
    if project.stories_dir.exists():
        shutil.copytree(project.stories_dir, target / "tests" / "stories")
    else:
        (target / "tests" / "stories").mkdir(parents=True)
    return target


def _rasa(args: List[str], cwd: Path, env: Dict[str, str], what: str) -> str:
    result = subprocess.run([str(VENV_BIN / "rasa"), *args], cwd=cwd, env=env,
                            capture_output=True, text=True)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        tail = "\n".join(line for line in output.splitlines()[-15:])
        raise GateError(f"{what}失败（rasa {args[0]} 返回 {result.returncode}）：\n{tail}")
    return output


def validate(workspace: Path, env: Dict[str, str]) -> None:
    _rasa(["data", "validate", "--domain", "domain", "--data", "data", "--config",
           "config.yml"], workspace, env, "训练数据校验（rasa data validate）")


def train(workspace: Path, out: Path, name: str, env: Dict[str, str]) -> Path:
    _rasa(["train", "--domain", "domain", "--data", "data", "--config", "config.yml",
           "--out", str(out), "--fixed-model-name", name, "--quiet"],
          workspace, env, f"训练（{name}）")
    return out / f"{name}.tar.gz"


def story_failures(workspace: Path, model: Path, out: Path, env: Dict[str, str]
                   ) -> Tuple[int, int]:
    """(failed, total) test stories, as tests/test_dialogue.py runs them (without
    --fail-on-prediction-errors: a failure is a figure here, not an error)."""
    stories = workspace / "tests" / "stories"
    if not any(stories.glob("*.yml")):
        return 0, 0
    _rasa(["test", "core", "--stories", "tests/stories", "--model", str(model), "--out",
           str(out), "--no-plot"], workspace, env, "测试故事（rasa test core）")
    report = json.loads((out / "story_report.json").read_text(encoding="utf-8"))
    accuracy = report["conversation_accuracy"]
    return int(accuracy["total"]) - int(accuracy["correct"]), int(accuracy["total"])


def evaluate(workspace: Path, model: Path, out: Path, env: Dict[str, str],
             pool: ThreadPoolExecutor) -> "Callable[[], Metrics]":
    """Start the held-out NLU evaluation (bot.evaluate) and the test stories of one
    model; the returned function waits for both."""
    nlu = pool.submit(run_nlu_test, model, out / "nlu", workspace / "tests" / "nlu")
    stories = pool.submit(story_failures, workspace, model, out / "stories", env)

    def result() -> Metrics:
        nlu.result()
        summary = summarize(out / "nlu")
        failed, total = stories.result()
        return Metrics(summary.intent_accuracy, summary.intent_macro_f1,
                       summary.emergency_recall, summary.entity_f1, summary.examples,
                       failed, total)
    return result


# ------------------------------------------------------------------------------ gate
def _tidy(path: Path, existed: bool) -> None:
    """set_aside leaves reviewed.yml with no examples when it took the only ones out: if
    the file was not there before the export, it goes, so data/ is exactly as before."""
    if existed or not path.exists():
        return
    content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not content.get("nlu"):
        path.unlink()


def _decide(db: Database, now: datetime, export_id: int, worse: List[str],
            before: Optional[Metrics], after: Optional[Metrics],
            settings: GateSettings, existed: bool = True) -> str:
    metrics_before = before.as_json() if before else None
    metrics_after = after.as_json() if after else None
    if not worse:
        with db.writing() as session:
            exporting.keep(session, export_id, now, metrics_before, metrics_after)
        return "kept"
    with db.writing() as session:
        exporting.set_aside(session, export_id, "；".join(worse), now, metrics_before,
                            metrics_after, rejected_dir=settings.rejected_dir)
    _tidy(exporting.reviewed_path(settings.project.data_dir), existed)
    return "set_aside"


def _export_into(db: Database, now: datetime, settings: GateSettings, workspace: Path
                 ) -> exporting.ExportReport:
    """The export: into the project's data (committed), or, for a dry run, into the
    working copy only, in a transaction rolled back (the database is left as it was)."""
    project = settings.project
    if not settings.dry_run:
        with db.writing() as session:
            return exporting.export(session, now, data_dir=project.data_dir,
                                    held_out_dir=project.held_out_dir)
    session = db.writer()
    try:
        return exporting.export(session, now, data_dir=workspace / "data",
                                held_out_dir=project.held_out_dir)
    finally:
        session.rollback()
        session.close()


def run_gate(db: Database, now: datetime, settings: GateSettings = GateSettings(),
             say: Callable[[str], None] = print,
             monotonic: Callable[[], float] = time.monotonic) -> GateResult:
    """Export, validate, train before and after, evaluate, keep or set aside (see the
    module's docstring). Progress and the table go to `say` (Chinese)."""
    started = monotonic()
    project = settings.project
    with db.reading() as session:
        undecided = [e.id for e in exporting.exports(session, limit=100)
                     if e.status == "written"]
    if undecided:
        say("注意：导出 " + "、".join(f"#{i}" for i in undecided) + " 还没有闸门结论，"
            "它们的样例已在训练数据中，算作“导出前”。")
    scratch = Path(tempfile.mkdtemp(prefix="hm-gate-"))
    export_id: Optional[int] = None
    pending: Optional[int] = None  # an export written and not judged yet
    existed = exporting.reviewed_path(project.data_dir).exists()
    try:
        before_ws = copy_project(project, scratch / "before", settings.epochs)
        after_ws = scratch / "after"
        if settings.dry_run:
            copy_project(project, after_ws, settings.epochs)
        report = _export_into(db, now, settings, after_ws)
        say(report.as_text())
        if not report.written:
            if report.export_id is not None:  # duplicates only: data unchanged
                with db.writing() as session:
                    exporting.keep(session, report.export_id, now)
                say(f"没有新的样例写入训练数据，导出 #{report.export_id} 直接保留。")
            else:
                say("没有新的标注可导出，闸门不需要训练。")
            return GateResult("nothing", report.export_id, report=report,
                              seconds=monotonic() - started)
        export_id = report.export_id
        pending = None if settings.dry_run else export_id
        if not settings.dry_run:
            copy_project(project, after_ws, settings.epochs)
        env = _env(settings.cache_dir or scratch / "cache")
        say("校验训练数据（rasa data validate）…")
        try:
            validate(after_ws, env)
        except GateError as invalid:
            if settings.dry_run:
                say(f"试运行：会被搁置：{invalid}")
                return GateResult("would_set_aside", None, str(invalid), report=report,
                                  seconds=monotonic() - started)
            _decide(db, now, export_id, [str(invalid)], None, None, settings, existed)
            pending = None
            say(f"导出 #{export_id} 已搁置，样例移出训练数据：{invalid}")
            return GateResult("set_aside", export_id, str(invalid), report=report,
                              seconds=monotonic() - started)
        models = scratch / "models"
        say(f"训练导出前的模型…（已用 {monotonic() - started:.0f} 秒）")
        before_model = train(before_ws, models, "before", env)
        say(f"训练导出后的模型…（已用 {monotonic() - started:.0f} 秒）")
        after_model = train(after_ws, models, "after", env)
        say(f"在评测集和测试故事上评估两个模型…（已用 {monotonic() - started:.0f} 秒）")
        with ThreadPoolExecutor(max_workers=max(1, settings.workers)) as pool:
            wait_before = evaluate(before_ws, before_model, scratch / "reports" / "before",
                                   env, pool)
            wait_after = evaluate(after_ws, after_model, scratch / "reports" / "after",
                                  env, pool)
            before, after = wait_before(), wait_after()
        say(side_by_side(before, after))
        worse = compare(before, after, settings.tolerance, settings.story_tolerance)
        if settings.keep_models:
            kept = settings.gate_dir / (str(export_id) if export_id else "dry-run")
            if kept.exists():
                shutil.rmtree(kept)
            shutil.copytree(models, kept / "models")
            shutil.copytree(scratch / "reports", kept / "reports")
            say(f"模型和评测报告保存在 {kept}")
        seconds = monotonic() - started
        if settings.dry_run:
            outcome = "would_set_aside" if worse else "would_keep"
            say(("试运行：会被搁置：" + "；".join(worse)) if worse else "试运行：没有变差，会保留。")
            return GateResult(outcome, None, "；".join(worse) or None, before, after, report,
                              seconds)
        assert export_id is not None
        outcome = _decide(db, now, export_id, worse, before, after, settings, existed)
        pending = None
        if outcome == "kept":
            say(f"没有指标变差，保留导出 #{export_id}。（用时 {seconds:.0f} 秒）")
        else:
            say(f"导出 #{export_id} 已搁置，样例移出训练数据：" + "；".join(worse)
                + f"（用时 {seconds:.0f} 秒）")
        return GateResult(outcome, export_id, "；".join(worse) or None, before, after, report,
                          seconds)
    except BaseException as error:  # Ctrl-C too: data/ must not keep an unjudged export
        reason = str(error) if isinstance(error, (GateError, exporting.ExportError)) \
            else f"闸门出错：{type(error).__name__}: {error}"
        if pending is not None:
            try:
                with db.writing() as session:
                    exporting.set_aside(session, pending, reason, now,
                                        rejected_dir=settings.rejected_dir)
                _tidy(exporting.reviewed_path(project.data_dir), existed)
                say(f"导出 #{pending} 已搁置，训练数据恢复原样。")
            except Exception:  # noqa: BLE001 - report the first error, log this one
                logger.exception("the gate could not set export %s aside", pending)
                say(f"导出 #{pending} 未能搁置，请检查 "
                    f"{exporting.reviewed_path(project.data_dir)}。")
        say(reason)
        if not isinstance(error, Exception):
            raise
        return GateResult("error", export_id, reason, seconds=monotonic() - started)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
