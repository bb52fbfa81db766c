"""The gate (bot/review/gate.py) on a temporary copy of the project: an export that
teaches the bot something wrong is set aside with the reason and the training data is
left exactly as before; a harmless one is kept. Real trainings with tiny models (a few
epochs), the real held-out evaluation and test stories on a part of each."""
from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest
import yaml

from bot.clock import SHANGHAI
from bot.db import Database
from bot.gateway import store
from bot.gateway.models import ReviewExport, User
from bot.gateway.rasa import Understanding
from bot.processes import ROOT
from bot.review import decisions
from bot.review.gate import GateSettings, Metrics, Project, compare, run_gate, side_by_side

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
# Tiny models: the gate's logic is under test, not the last point of accuracy. Seeds are
# fixed in config.yml, so before and after differ by the data only.
EPOCHS = {"DIETClassifier": 5}
# A tiny model moves by a message or two when harmless data is added; production uses 0.
TOLERANCE = 0.02
HELD_OUT_PARTS = ("service.yml", "emergency.yml")
STORIES = 3

KEPT_INTENTS = ("greet", "thank", "goodbye")
HARMLESS = [("你好呀管家", "greet"), ("谢谢你啦管家", "thank")]


def wrong_batch() -> List[Tuple[str, str]]:
    """A reviewer's bulk mistake: every service question of the training data (直付, the
    direct-pay card, claims, visit rules, hours ...), with a question mark added (so a
    new text), relabelled as greet. So broad that the held-out accuracy falls well past
    the tolerance even in a five-epoch model, however the rules around the classifier
    change: a gate that lets it through is wrong, not unlucky."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "data" / "nlu" / "service.yml"))
    texts = [m.get("text") for m in data.intent_examples
             if m.get("intent") not in KEPT_INTENTS and not m.get("entities")]
    return [(text.rstrip("？?") + "？", "greet") for text in texts]


def _tree(root: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    """Rasa's training cache, shared by the tests: the same "before" trains once."""
    return tmp_path_factory.mktemp("rasa-cache")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A copy of data/, domain/, config.yml, a part of tests/nlu and of the test stories."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "domain", root / "domain")
    shutil.copy(ROOT / "config.yml", root / "config.yml")
    (root / "tests" / "nlu").mkdir(parents=True)
    for name in HELD_OUT_PARTS:
        shutil.copy(ROOT / "tests" / "nlu" / name, root / "tests" / "nlu" / name)
    stories = yaml.safe_load((ROOT / "tests" / "stories" / "test_stories.yml")
                             .read_text(encoding="utf-8"))
    stories["stories"] = stories["stories"][:STORIES]
    (root / "tests" / "stories").mkdir()
    (root / "tests" / "stories" / "test_stories.yml").write_text(
        yaml.safe_dump(stories, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return Project(data_dir=root / "data", domain_dir=root / "domain",
                   config=root / "config.yml", held_out_dir=root / "tests" / "nlu",
                   stories_dir=root / "tests" / "stories")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.from_url(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    store.migrate(database)
    yield database
    database.dispose()


def reviewed(db: Database, examples: List[Tuple[str, str]]) -> None:
    """Member messages the bot read as something else, relabelled by a reviewer."""
    with db.writing() as session:
        reviewer = User(username="zhao", display_name="赵审", role="reviewer",
                        password_hash="-", active=True, created_at=NOW)
        session.add(reviewer)
        session.flush()
        for n, (text, intent) in enumerate(examples):
            inbound = store.record_member_message(session, "web", f"w-{n}", text, None, NOW)
            store.mark_routed(session, inbound.message_id, "bot", Understanding.from_parse(
                {"intent": {"name": "nlu_fallback", "confidence": 0.4},
                 "intent_ranking": [{"name": "ask_claim", "confidence": 0.4}],
                 "entities": []}, {}))
            decisions.decide(session, inbound.message_id, reviewer.id, "relabel", NOW,
                             intent=intent)


def settings(project: Project, cache_dir: Path, tmp_path: Path) -> GateSettings:
    return GateSettings(project=project, epochs=EPOCHS, tolerance=TOLERANCE,
                        rejected_dir=tmp_path / "rejected", cache_dir=cache_dir)


@pytest.mark.slow
def test_the_gate_sets_aside_an_export_that_lowers_accuracy(
        db: Database, project: Project, cache_dir: Path, tmp_path: Path) -> None:
    before = _tree(project.data_dir)
    reviewed(db, wrong_batch())
    said: List[str] = []
    result = run_gate(db, NOW, settings(project, cache_dir, tmp_path), say=said.append)
    print("\n".join(said), f"\n{result.seconds:.0f} s")
    assert result.outcome == "set_aside", "\n".join(said)
    assert result.exit_code == 1
    assert result.after.intent_accuracy < result.before.intent_accuracy - TOLERANCE
    assert "意图准确率从" in result.reason
    assert _tree(project.data_dir) == before  # reviewed.yml gone again, nothing else touched
    with db.reading() as session:
        row = session.get(ReviewExport, result.export_id)
        assert row.status == "set_aside" and row.reason == result.reason
        assert row.metrics_before["intent_accuracy"] == result.before.intent_accuracy
        assert row.metrics_after["intent_accuracy"] == result.after.intent_accuracy
    assert (tmp_path / "rejected" / f"{result.export_id}.yml").exists()
    assert "导出前" in "\n".join(said) and "意图准确率" in "\n".join(said)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("HM_FULL_GATE_TESTS") != "1",
                    reason="trains two more models (4-5 min); HM_FULL_GATE_TESTS=1 runs it. "
                           "The suite keeps the refusal test, which the issue requires.")
def test_the_gate_keeps_a_harmless_export(db: Database, project: Project, cache_dir: Path,
                                          tmp_path: Path) -> None:
    reviewed(db, HARMLESS)
    said: List[str] = []
    result = run_gate(db, NOW, settings(project, cache_dir, tmp_path), say=said.append)
    print("\n".join(said), f"\n{result.seconds:.0f} s")
    assert result.outcome == "kept", "\n".join(said)
    assert result.exit_code == 0
    written = (project.data_dir / "nlu" / "reviewed.yml").read_text(encoding="utf-8")
    assert "你好呀管家" in written and "谢谢你啦管家" in written
    with db.reading() as session:
        assert session.get(ReviewExport, result.export_id).status == "kept"
    # nothing new: says so and stops, without training
    again = run_gate(db, NOW, settings(project, cache_dir, tmp_path), say=said.append)
    assert (again.outcome, again.export_id, again.exit_code) == ("nothing", None, 0)


@pytest.mark.slow
def test_a_failing_step_sets_the_export_aside_and_restores_the_data(
        db: Database, project: Project, tmp_path: Path) -> None:
    """A config that cannot train: the error is reported (exit 2) and data/ is back."""
    before = _tree(project.data_dir)
    broken = tmp_path / "broken.yml"
    broken.write_text("recipe: default.v1\nlanguage: zh\npipeline:\n- name: NoSuchComponent\n"
                      "policies: []\n", encoding="utf-8")
    reviewed(db, HARMLESS)
    said: List[str] = []
    result = run_gate(db, NOW, GateSettings(
        project=Project(project.data_dir, project.domain_dir, broken, project.held_out_dir,
                        project.stories_dir), rejected_dir=tmp_path / "rejected"),
        say=said.append)
    assert result.outcome in ("error", "set_aside"), "\n".join(said)
    assert result.exit_code in (1, 2)
    assert _tree(project.data_dir) == before
    with db.reading() as session:
        assert session.get(ReviewExport, result.export_id).status == "set_aside"


# ------------------------------------------------------------------- pure comparison
def metrics(accuracy: float, f1: float, emergency: float, failed: int) -> Metrics:
    return Metrics(accuracy, f1, emergency, 0.9, 100, failed, 10)


@pytest.mark.parametrize("after, tolerance, worse", [
    (metrics(0.95, 0.94, 1.0, 1), 0.0, []),
    (metrics(0.96, 0.95, 1.0, 0), 0.0, []),
    (metrics(0.949, 0.94, 1.0, 1), 0.0, ["意图准确率从 0.950 降到 0.949（下降 0.001）"]),
    (metrics(0.949, 0.94, 1.0, 1), 0.005, []),
    (metrics(0.95, 0.94, 0.98, 1), 0.0, ["急症召回率从 1.000 降到 0.980（下降 0.020）"]),
    (metrics(0.95, 0.93, 1.0, 2), 0.0, ["意图宏平均 F1从 0.940 降到 0.930（下降 0.010）",
                                        "测试故事失败从 1 个增加到 2 个（多 1 个）"]),
])
def test_nothing_may_get_worse(after: Metrics, tolerance: float, worse: List[str]) -> None:
    assert compare(metrics(0.95, 0.94, 1.0, 1), after, tolerance) == worse


def test_the_table_shows_before_and_after() -> None:
    table = side_by_side(metrics(0.95, 0.94, 1.0, 1), metrics(0.96, 0.93, 1.0, 0))
    assert table.splitlines()[0].split() == ["指标", "导出前", "导出后", "变化"]
    assert "0.950" in table and "+0.010" in table and "-0.010" in table and "1/10" in table
