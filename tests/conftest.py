"""Shared fixtures: a small model trained from the project's own config and data, and
the real action and Rasa servers running it."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from bot.processes import ROOT, VENV_BIN, Server, start_action_server, start_rasa_server

TEST_VAR = ROOT / "var" / "test"
# Tuesday 10:00 in Shanghai: managers and call centre both open.
TEST_NOW = "2026-11-24T10:00:00+08:00"
# Fewer epochs than production: the suite must stay fast on two cores, and what it checks
# is behaviour, not the last point of accuracy (`make evaluate` measures that).
TEST_EPOCHS = {"DIETClassifier": 30, "TEDPolicy": 20}


def small_config() -> Path:
    """config.yml with fewer epochs, written where rasa's change detection sees it."""
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    for part in config["pipeline"] + config["policies"]:
        if part["name"] in TEST_EPOCHS:
            part["epochs"] = TEST_EPOCHS[part["name"]]
    path = TEST_VAR / "config.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def test_model() -> Path:
    """Trains once per change of config or data; rasa skips an unchanged model."""
    out = TEST_VAR / "models"
    subprocess.run(
        [str(VENV_BIN / "rasa"), "train", "--domain", "domain", "--config", str(small_config()),
         "--out", str(out),
         "--fixed-model-name", "test", "--quiet"],
        cwd=ROOT, check=True,
    )
    return out / "test.tar.gz"


@pytest.fixture(scope="session")
def action_server() -> Iterator[Server]:
    server = start_action_server(TEST_VAR / "logs", env={"HM_NOW": TEST_NOW})
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rasa_server(test_model: Path, action_server: Server) -> Iterator[Server]:
    server = start_rasa_server(
        test_model, action_server.url, TEST_VAR / "logs", env={"HM_NOW": TEST_NOW}
    )
    yield server
    server.stop()
