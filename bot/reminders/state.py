"""The job's own memory, a small JSON file under var/ (HM_REMINDERS_STATE): where the
next read of decisions starts, and the notices handled in the last days. Written whole
to a temporary file and renamed over the old one after every notice, so a crash leaves
the last complete state; one run at a time holds its lock (flock).

Why a file and not a table: the job reaches the backends and the gateway only through
their HTTP APIs (the backends stand for the insurer's systems), and one job runs per
deployment; a file needs no migration and no database access. Losing it costs nothing
but a look back (schedule.FIRST_LOOKBACK): the gateway stores each notice once per
kind + reference + member, and answers a repeat "duplicate" without sending it."""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Dict, Iterator, Optional

from bot.processes import ROOT

logger = logging.getLogger(__name__)

DEFAULT_PATH = ROOT / "var" / "reminders-state.json"
VERSION = 1


class Busy(Exception):
    """Another run holds the state (a manual run beside the scheduled one)."""


@dataclass
class State:
    path: Path
    decided_mark: Optional[datetime] = None
    handled: Dict[str, datetime] = field(default_factory=dict)

    def remember(self, key: str, now: datetime) -> None:
        self.handled[key] = now
        self.save()

    def prune(self, before: datetime) -> None:
        self.handled = {k: at for k, at in self.handled.items() if at >= before}

    def save(self) -> None:
        body = {"version": VERSION,
                "decided_mark": self.decided_mark.isoformat() if self.decided_mark else None,
                "handled": {k: at.isoformat() for k, at in sorted(self.handled.items())}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".reminders-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(body, out, ensure_ascii=False, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def load(path: Path) -> State:
    """The saved state; a fresh one when there is none or it cannot be read (logged: the
    gateway's once-per-notice keeps that safe)."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        mark = body.get("decided_mark")
        return State(path, datetime.fromisoformat(mark) if mark else None,
                     {k: datetime.fromisoformat(at) for k, at in body["handled"].items()})
    except FileNotFoundError:
        return State(path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        logger.error("reminders state %s unreadable (%s): starting afresh", path.name,
                     type(error).__name__)
        return State(path)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[State]:
    """The state, for one run at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(str(path)) from None
        try:
            yield load(path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
