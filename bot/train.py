"""Train the production model only when what it is trained from changed
(`python -m bot.train`, used by `make run` and `make train`).

`rasa train` writes a new model file on every call, and retrains every component from
scratch whenever its cache under .rasa/ was evicted (the test suite's smaller models
share that cache). So the decision is made here, from a fingerprint of the inputs:
config.yml, domain/, data/, the custom components (bot/nlu/), the catalog they read
(bot/data/) and the installed versions of what training runs on (Rasa, jieba, jionlp,
chinese-calendar and everything they require: not the whole lock, so a test-only
dependency does not cost a training). The fingerprint is kept beside each model as
`<model>.fingerprint`. When the newest model's matches, nothing is trained. Only the
newest `KEEP` models are kept (each is about 60 MB).
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

from bot.processes import ROOT, VENV_BIN

INPUTS = ("config.yml", "domain", "data", "bot/nlu", "bot/data")
TRAINING_PACKAGES = ("rasa", "jieba", "jionlp", "chinese-calendar")
KEEP = 3
SUFFIX = ".fingerprint"


def _files(root: Path, inputs: Iterable[str]) -> List[Path]:
    found = []
    for name in inputs:
        path = root / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(p for p in path.rglob("*")
                         if p.is_file() and "__pycache__" not in p.parts)
    return sorted(found)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_versions(names: Iterable[str] = TRAINING_PACKAGES) -> List[str]:
    """`name==version` of these installed packages and all they require, sorted. Extras
    are left out; other markers are not evaluated (an extra package only costs a
    training when its version changes)."""
    from importlib import metadata

    installed = {_canonical(d.metadata["Name"] or ""): d for d in metadata.distributions()}
    found = {}
    todo = list(names)
    while todo:
        name = _canonical(todo.pop())
        distribution = installed.get(name)
        if name in found or distribution is None:  # None: not needed on this platform
            continue
        found[name] = distribution.version
        for line in distribution.requires or []:
            requirement, _, marker = line.partition(";")
            if "extra" not in marker:
                todo.append(re.match(r"[A-Za-z0-9._-]+", requirement.strip()).group())
    return sorted(f"{name}=={version}" for name, version in found.items())


def fingerprint(root: Path = ROOT, inputs: Iterable[str] = INPUTS) -> str:
    """One hash over every input file's path and content, and the training packages'
    versions."""
    digest = hashlib.sha256()
    for path in _files(root, inputs):
        digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update("\n".join(installed_versions()).encode("utf-8"))
    return digest.hexdigest()


def models(directory: Path) -> List[Path]:
    """The models in `directory`, newest first."""
    return sorted(directory.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)


def _fingerprint_file(model: Path) -> Path:
    return model.with_name(model.name[:-len(".tar.gz")] + SUFFIX)


def up_to_date(directory: Path, current: str) -> Optional[Path]:
    """The newest model, when it was trained from exactly these inputs."""
    found = models(directory)
    if not found:
        return None
    recorded = _fingerprint_file(found[0])
    if recorded.is_file() and recorded.read_text().strip() == current:
        return found[0]
    return None


def prune(directory: Path, keep: int = KEEP) -> List[Path]:
    """Remove all but the newest `keep` models (and their fingerprints); what went."""
    gone = models(directory)[keep:]
    for model in gone:
        model.unlink()
        _fingerprint_file(model).unlink(missing_ok=True)
    for orphan in directory.glob("*" + SUFFIX):
        if not orphan.with_name(orphan.name[:-len(SUFFIX)] + ".tar.gz").exists():
            orphan.unlink()
    return gone


def rasa_train(directory: Path, log: Optional[Path] = None) -> None:
    """`rasa train`; its output (TensorFlow's warnings and all) into `log` when given."""
    command = [str(VENV_BIN / "rasa"), "train", "--quiet", "--domain", "domain",
               "--out", str(directory)]
    if log is None:
        subprocess.run(command, cwd=ROOT, check=True)
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as output:
        subprocess.run(command, cwd=ROOT, check=True, stdout=output, stderr=subprocess.STDOUT)


def ensure_model(directory: Path, root: Path = ROOT,
                 train: Callable[[Path], None] = rasa_train, force: bool = False,
                 before_training: Callable[[], None] = lambda: None) -> Tuple[Path, bool]:
    """The model to serve, and whether it was trained now: the newest when its inputs are
    unchanged, else a new one."""
    current = fingerprint(root)
    if not force:
        model = up_to_date(directory, current)
        if model is not None:
            return model, False
    before_training()
    directory.mkdir(parents=True, exist_ok=True)
    before = set(models(directory))
    train(directory)
    new = [m for m in models(directory) if m not in before]
    if not new:
        raise RuntimeError(f"training wrote no model into {directory}")
    _fingerprint_file(new[0]).write_text(current + "\n")
    prune(directory)
    return new[0], True


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.train",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "models")
    parser.add_argument("--force", action="store_true", help="train even when nothing changed")
    parser.add_argument("--log", type=Path,
                        help="write rasa's output here and print only the progress (make run)")
    args = parser.parse_args(argv)
    if args.log is None:
        model, trained = ensure_model(args.out, force=args.force)
        print(f"Model {'trained' if trained else 'unchanged, serving'}: {model}")
        return 0
    return _train_quietly(args.out, args.log, args.force)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _train_quietly(out: Path, log: Path, force: bool) -> int:
    """`make run`'s training: one line before, one after, the rest in the log."""
    log = log.resolve()
    began = time.monotonic()

    def announce() -> None:
        print("  … training the model: the data, config or custom components changed. The "
              "first training\n    takes a few minutes (about 4 on two cores); rasa's output: "
              f"{_shown(log)}", flush=True)

    try:
        model, trained = ensure_model(out, force=force, before_training=announce,
                                      train=functools.partial(rasa_train, log=log))
    except (subprocess.CalledProcessError, RuntimeError) as error:
        tail = log.read_text(errors="replace").splitlines()[-12:] if log.exists() else []
        print(f"  ✗ training failed ({error}). The end of {_shown(log)}:", file=sys.stderr)
        print("\n".join("    " + line for line in tail), file=sys.stderr)
        return 1
    if trained:
        took = time.monotonic() - began
        print(f"  ✓ model trained in {int(took // 60)} min {int(took % 60)} s: {_shown(model)}")
    else:
        print(f"  ✓ model up to date (nothing changed since it was trained): {_shown(model)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
