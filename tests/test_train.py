"""bot.train: the production model is trained only when its inputs changed, and only a
few models are kept. The trainer here writes a model file as `rasa train` does (a new
timestamped .tar.gz in the output folder); the real training runs in the suite's
test_model fixture and in `make run`."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from bot import train
from bot.processes import ROOT


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A copy of what the model is trained from."""
    root = tmp_path / "project"
    for name in train.INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    return root


class Trainer:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, directory: Path) -> None:
        self.calls += 1
        model = directory / f"2026120{self.calls}-000000-model-{self.calls}.tar.gz"
        model.write_bytes(b"model %d" % self.calls)
        stamp = time.time() + self.calls  # newer than anything before it
        os.utime(model, (stamp, stamp))


def test_nothing_changed_nothing_trained(project: Path, tmp_path: Path) -> None:
    out, trainer = tmp_path / "models", Trainer()
    first, trained = train.ensure_model(out, project, trainer)
    assert trained and trainer.calls == 1
    again, trained = train.ensure_model(out, project, trainer)
    assert (again, trained, trainer.calls) == (first, False, 1)
    assert len(list(out.glob("*.tar.gz"))) == 1


@pytest.mark.parametrize("changed", ["config.yml", "data/nlu/booking.yml",
                                     "domain/booking.yml", "bot/nlu/components.py",
                                     "bot/data/catalog.yml"])
def test_a_changed_input_trains_again(project: Path, tmp_path: Path, changed: str) -> None:
    out, trainer = tmp_path / "models", Trainer()
    first, _ = train.ensure_model(out, project, trainer)
    with open(project / changed, "a", encoding="utf-8") as file:
        file.write("\n# changed\n")
    second, trained = train.ensure_model(out, project, trainer)
    assert trained and second != first and trainer.calls == 2


def test_a_model_without_a_fingerprint_is_not_trusted(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "models"
    out.mkdir()
    (out / "20261101-000000-old.tar.gz").write_bytes(b"trained before fingerprints")
    trainer = Trainer()
    _, trained = train.ensure_model(out, project, trainer)
    assert trained


def test_only_the_newest_three_models_are_kept(project: Path, tmp_path: Path) -> None:
    out, trainer = tmp_path / "models", Trainer()
    for _ in range(5):
        train.ensure_model(out, project, trainer, force=True)
    kept = train.models(out)
    assert [m.name for m in kept] == [f"2026120{n}-000000-model-{n}.tar.gz" for n in (5, 4, 3)]
    assert sorted(p.name for p in out.glob("*.fingerprint")) == sorted(
        m.name.replace(".tar.gz", ".fingerprint") for m in kept)
    assert train.ensure_model(out, project, trainer) == (kept[0], False)


def test_compiled_files_do_not_count(project: Path) -> None:
    before = train.fingerprint(project)
    cache = project / "bot" / "nlu" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "components.cpython-310.pyc").write_bytes(b"\x00compiled")
    assert train.fingerprint(project) == before


def test_the_fingerprint_follows_what_training_runs_on_not_the_test_tools() -> None:
    versions = {line.split("==")[0]: line.split("==")[1] for line in train.installed_versions()}
    assert versions["rasa"] == "3.6.21" and "tensorflow" in versions and "jieba" in versions
    # Adding or bumping a test-only dependency in the lock must not cost a training.
    assert not {"pytest", "playwright", "supervisor"} & set(versions)
