"""The held-out triage set (tests/triage/README.md) keeps its shape, and none of its
messages is in the training data: it measures understanding of messages the model and the
rules never saw."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

import yaml

ROOT = Path(__file__).resolve().parents[1]
TRIAGE = ROOT / "tests" / "triage"
SECTIONS = {("heldout_urgent.yml", "emergency_now"): 120,
            ("heldout_urgent.yml", "see_doctor_today"): 80,
            ("heldout_not_urgent.yml", "not_emergency"): 200}


def held_out() -> Dict[str, List[str]]:
    found = {}
    for (name, section), _ in SECTIONS.items():
        found[section] = [entry["text"] for entry in
                          yaml.safe_load((TRIAGE / name).read_text(encoding="utf-8"))[section]]
    return found


def _normal(text: str) -> str:
    return re.sub(r"[\s，。,.!！?？~～、]+", "", text)


def test_each_section_holds_its_messages_once() -> None:
    sections = held_out()
    for (_, section), count in SECTIONS.items():
        assert len(sections[section]) == count, section
    every = [_normal(text) for texts in sections.values() for text in texts]
    assert len(set(every)) == len(every)
    assert all(text.strip() for text in every)


def trained_messages() -> set:
    """Every training example in data/, without its entity marks, normalised."""
    trained = set()
    for path in (ROOT / "data").rglob("*.yml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line.startswith("- "):
                trained.add(_normal(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line[2:])))
    return trained


def test_no_held_out_message_is_in_the_training_data() -> None:
    trained = trained_messages()
    copied = [text for texts in held_out().values() for text in texts
              if _normal(text) in trained]
    assert not copied, copied[:5]


def test_the_development_sets_are_apart_from_the_held_out_set() -> None:
    """dev*.yml (tests/triage/README.md) tune the rules; none of their messages may be a
    held-out one, or the held-out figures would measure what was tuned."""
    held = {_normal(text) for texts in held_out().values() for text in texts}
    for path in sorted(TRIAGE.glob("dev*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts = [entry["text"] for key, entries in data.items() if isinstance(entries, list)
                 for entry in entries]
        assert texts, path.name
        assert not [text for text in texts if _normal(text) in held], path.name
