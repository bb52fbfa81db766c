"""Train (when needed) and evaluate the NLU on the held-out set in tests/nlu/, print the
figures that matter and keep Rasa's reports: `python -m bot.evaluate`. With `--triage`,
also the held-out triage set (tests/triage/): how often each of its sections gets the
emergency answer, from the model with its red-flag override and from the rules alone.

Targets (issue 2): intent accuracy >= 0.95 and report_emergency recall 1.0. Issue 12's
on the triage set: recall 1.0 for emergencies now, false alarms <= 0.05.
"""
from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from bot.processes import ROOT, VENV_BIN

HELD_OUT = ROOT / "tests" / "nlu"
TRIAGE = ROOT / "tests" / "triage"
# (file, section, whether an emergency answer is right there)
TRIAGE_SECTIONS = (("heldout_urgent.yml", "emergency_now", True),
                   ("heldout_urgent.yml", "see_doctor_today", False),
                   ("heldout_not_urgent.yml", "not_emergency", False))
EMERGENCY = "report_emergency"
# The triage level each intent stands for (bot/triage.py); any other intent is "other".
LEVELS = {EMERGENCY: "emergency", "seek_care_today": "today", "health_question": "question"}
ENTITY_EXTRACTOR = "DIETClassifier"
TARGET_ACCURACY = 0.95
TARGET_EMERGENCY_RECALL = 1.0


@dataclass
class NluSummary:
    intent_accuracy: float
    intent_macro_f1: float
    entity_f1: Optional[float]
    emergency_recall: float
    examples: int
    worst_confusions: List[Tuple[str, str, int]] = field(default_factory=list)
    per_entity_f1: Dict[str, float] = field(default_factory=dict)

    def meets_targets(self) -> bool:
        return (
            self.intent_accuracy >= TARGET_ACCURACY
            and self.emergency_recall >= TARGET_EMERGENCY_RECALL
        )


def rasa(*args: str) -> None:
    subprocess.run([str(VENV_BIN / "rasa"), *args], cwd=ROOT, check=True)


def latest_model(models_dir: Path) -> Path:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise FileNotFoundError(f"no trained model in {models_dir}")
    return models[-1]


def run_nlu_test(model: Path, out_dir: Path, nlu: Path = HELD_OUT) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    rasa("test", "nlu", "--model", str(model), "--nlu", str(nlu), "--out", str(out_dir),
         "--no-plot", "--quiet")


def worst_confusions(intent_report: dict, most: int = 8) -> List[Tuple[str, str, int]]:
    pairs = [
        (intent, other, count)
        for intent, row in intent_report.items()
        if isinstance(row, dict)
        for other, count in (row.get("confused_with") or {}).items()
    ]
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))[:most]


def summarize(out_dir: Path) -> NluSummary:
    intents = json.loads((out_dir / "intent_report.json").read_text())
    entity_path = out_dir / f"{ENTITY_EXTRACTOR}_report.json"
    entities = json.loads(entity_path.read_text()) if entity_path.exists() else {}
    per_entity = {
        name: row["f1-score"]
        for name, row in entities.items()
        if isinstance(row, dict) and "f1-score" in row and name not in
        ("micro avg", "macro avg", "weighted avg", "no_entity")
    }
    entity_f1 = (entities.get("micro avg") or entities.get("weighted avg") or {}).get("f1-score")
    return NluSummary(
        intent_accuracy=intents["accuracy"],
        intent_macro_f1=intents["macro avg"]["f1-score"],
        entity_f1=entity_f1,
        emergency_recall=intents.get(EMERGENCY, {}).get("recall", 0.0),
        examples=int(intents["macro avg"]["support"]),
        worst_confusions=worst_confusions(intents),
        per_entity_f1=per_entity,
    )


def format_summary(summary: NluSummary) -> str:
    entity = "n/a" if summary.entity_f1 is None else f"{summary.entity_f1:.3f}"
    lines = [
        f"held-out examples      {summary.examples}",
        f"intent accuracy        {summary.intent_accuracy:.3f}  (target >= {TARGET_ACCURACY})",
        f"intent macro-F1        {summary.intent_macro_f1:.3f}",
        f"entity F1 (micro)      {entity}  "
        + " ".join(f"{k}={v:.2f}" for k, v in sorted(summary.per_entity_f1.items())),
        f"report_emergency recall {summary.emergency_recall:.3f}  (target {TARGET_EMERGENCY_RECALL})",
        "worst confusions (true -> predicted: count):",
        *[f"  {a} -> {b}: {n}" for a, b, n in summary.worst_confusions],
        "targets met" if summary.meets_targets() else "TARGETS NOT MET",
    ]
    return "\n".join(lines)


def classifier_predictions(model: Path, nlu: Path = HELD_OUT) -> List[Tuple[str, str, float]]:
    """(true intent, DIET's top intent, its confidence) per held-out message, read
    beneath the FallbackClassifier so any threshold can be replayed."""
    import asyncio

    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    agent = Agent.load(str(model))
    examples = load_data(str(nlu)).intent_examples

    async def predict() -> List[Tuple[str, str, float]]:
        rows = []
        for example in examples:
            parsed = await agent.parse_message(example.get("text"))
            ranking = [r for r in parsed["intent_ranking"] if r["name"] != "nlu_fallback"]
            top = ranking[0] if ranking else {"name": "nlu_fallback", "confidence": 0.0}
            rows.append((example.get("intent"), top["name"], top["confidence"]))
        return rows

    return asyncio.run(predict())


def development_sections() -> List[Tuple[str, str, bool]]:
    """The development triage sets (tests/triage/dev*.yml), written to tune the rules on:
    their figures measure the tuning, not the product (tests/triage/README.md)."""
    import yaml

    found = []
    for path in sorted(TRIAGE.glob("dev*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found += [(path.name, section, urgent) for _, section, urgent in TRIAGE_SECTIONS
                  if section in data]
    return found


def triage_texts(sections_of: Sequence[Tuple[str, str, bool]]
                 ) -> List[Tuple[str, bool, List[str]]]:
    """(section label, whether an emergency answer is right, its texts) per section."""
    import yaml

    return [(f"{name[:-4]}:{section}" if not name.startswith("heldout") else section,
             urgent, [entry["text"] for entry in yaml.safe_load(
                 (TRIAGE / name).read_text(encoding="utf-8"))[section]])
            for name, section, urgent in sections_of]


def rules_report(sections_of: Sequence[Tuple[str, str, bool]] = TRIAGE_SECTIONS
                 ) -> List[Dict[str, object]]:
    """Per section, with no model: messages, the share bot.redflags alone flags, and the
    share bot.triage answers as an emergency from the rules alone (a flag it does not
    set aside as a past diagnosis or a what-if). Figures only: a report must never echo
    the held-out texts."""
    from bot import redflags, triage

    def share(texts: List[str], answered) -> float:
        return sum(map(answered, texts)) / len(texts)

    return [{"section": section, "messages": len(texts), "emergency_is_right": urgent,
             "rules": share(texts, lambda t: redflags.detect(t) is not None),
             "triage": share(texts, lambda t: getattr(triage.assess(t, None), "level", None)
                             == triage.Level.EMERGENCY)}
            for section, urgent, texts in triage_texts(sections_of)]


def triage_report(model: Path, sections_of: Sequence[Tuple[str, str, bool]] = TRIAGE_SECTIONS
                  ) -> List[Dict[str, object]]:
    """Per section of the triage set: messages, and the share that gets the emergency
    answer from the model (its intent after the red-flag override) and from
    bot.redflags alone. For emergencies now that share is the recall; elsewhere it is
    the false-alarm rate."""
    import asyncio

    from rasa.core.agent import Agent

    from bot import redflags

    sections = triage_texts(sections_of)
    # Rasa's structured log prints every parsed message at debug level unless told
    # otherwise: a report must never echo the held-out texts.
    from rasa.utils.log_utils import configure_structlog
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))

    async def intents() -> List[List[str]]:
        read = []
        for _, _, texts in sections:
            read.append([(await agent.parse_message(text))["intent"]["name"]
                         for text in texts])
        return read

    rows = []
    for (section, urgent, texts), read in zip(sections, asyncio.run(intents())):
        by_model = [intent == EMERGENCY for intent in read]
        by_rules = [redflags.detect(text) is not None for text in texts]
        levels = {level: sum(LEVELS.get(intent, "other") == level for intent in read) / len(texts)
                  for level in ("emergency", "today", "question", "other")}
        rows.append({"section": section, "messages": len(texts), "emergency_is_right": urgent,
                     "model": sum(by_model) / len(texts), "rules": sum(by_rules) / len(texts),
                     "levels": levels,
                     "missed" if urgent else "false_alarms":
                         [t for t, flagged in zip(texts, by_model) if flagged != urgent][:10]})
    return rows


def sweep_thresholds(
    rows: List[Tuple[str, str, float]], thresholds: List[float]
) -> List[Dict[str, float]]:
    """For each threshold: share answered, accuracy of the answers, and the share of
    messages answered wrongly (the cost a higher threshold buys down)."""
    table = []
    for threshold in thresholds:
        answered = [(t, p) for t, p, c in rows if c >= threshold]
        right = sum(t == p for t, p in answered)
        table.append({
            "threshold": threshold,
            "answered": len(answered) / len(rows),
            "answer_accuracy": right / len(answered) if answered else 0.0,
            "wrong_answers": (len(answered) - right) / len(rows),
            "right_but_fell_back": sum(t == p for t, p, c in rows if c < threshold) / len(rows),
        })
    return table


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="evaluate this model instead of training")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu")
    parser.add_argument("--sweep-fallback", action="store_true",
                        help="also replay fallback thresholds 0.30..0.90 on the held-out set")
    parser.add_argument("--triage", action="store_true",
                        help="also the held-out triage set (tests/triage/)")
    parser.add_argument("--triage-dev", action="store_true",
                        help="also the development triage sets (tests/triage/dev*.yml)")
    parser.add_argument("--conversations", action="store_true",
                        help="also the held-out conversation set (tests/conversations/)")
    parser.add_argument("--rules-only", action="store_true",
                        help="with --triage and/or --triage-dev: the red-flag rules alone, "
                             "no model, no training, figures only")
    args = parser.parse_args(argv)

    if args.rules_only:
        rows = (rules_report() if args.triage else []) + (
            rules_report(development_sections()) if args.triage_dev else [])
        print("triage set: share answered as an emergency, no model (redflags / triage)")
        for row in rows:
            what = "recall" if row["emergency_is_right"] else "false alarms"
            print(f"  {row['section']:<30} {row['messages']:4d}  {what:<12} "
                  f"{row['rules']:.3f} / {row['triage']:.3f}")
        return 0
    model = args.model
    if model is None:
        rasa("train", "--domain", "domain", "--out", "models", "--quiet")
        model = latest_model(ROOT / "models")
    run_nlu_test(model, args.out)
    summary = summarize(args.out)
    (args.out / "summary.json").write_text(
        json.dumps({"model": model.name, **asdict(summary)}, ensure_ascii=False, indent=2)
    )
    print(f"model {model.name}; reports in {args.out}")
    print(format_summary(summary))
    if args.sweep_fallback:
        print("threshold answered answer_acc wrong right_but_fell_back")
        for row in sweep_thresholds(classifier_predictions(model),
                                    [t / 100 for t in range(30, 95, 5)]):
            print("{threshold:9.2f} {answered:8.3f} {answer_accuracy:10.3f} "
                  "{wrong_answers:5.3f} {right_but_fell_back:18.3f}".format(**row))
    if args.triage or args.triage_dev:
        rows = (triage_report(model) if args.triage else []) + (
            triage_report(model, development_sections()) if args.triage_dev else [])
        (args.out / "triage.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2))
        print("triage set: share answered as an emergency (model / rules alone)")
        for row in rows:
            what = "recall" if row["emergency_is_right"] else "false alarms"
            levels = " ".join(f"{k} {v:.3f}" for k, v in row["levels"].items())
            print(f"  {row['section']:<30} {row['messages']:4d}  {what:<12} "
                  f"{row['model']:.3f} / {row['rules']:.3f}   levels: {levels}")
    passed = True
    if args.conversations:
        passed = report_conversations(model, args.out)
    return 0 if summary.meets_targets() and passed else 1


def report_conversations(model: Path, out: Path) -> bool:
    from bot import conversation_eval

    results = conversation_eval.run(model, progress=lambda line: print("  " + line, flush=True))
    out.mkdir(parents=True, exist_ok=True)
    (out / "conversations.json").write_text(json.dumps(
        [asdict(r) for r in results if not r.passed], ensure_ascii=False, indent=2))
    passed = sum(r.passed for r in results)
    print(f"conversation set: {passed}/{len(results)} passed ({passed / len(results):.3f}); "
          f"failures in {out / 'conversations.json'}")
    for item, (ok, total) in conversation_eval.by_item(results).items():
        print(f"  {item:<20} {ok:3d}/{total:3d}")
    return passed == len(results)


if __name__ == "__main__":
    sys.exit(main())
