"""The storm guard: a supervisord event listener that logs every crash and restart, and
leaves a service stopped once it has crashed too often.

supervisord retries a start that fails within `startsecs` with a growing back-off and
gives up after `startretries` (FATAL), but restarts a process that crashes after
running a while at once, forever. So a service that runs for twenty seconds and then
dies would be restarted every twenty seconds for ever. The guard counts both kinds of
failure per service; at `crashes` within `window` seconds it stops the service through
supervisord's own API and says so, while the others keep running. Its lines go to
stderr, which supervisord keeps in var/log/supervision.log (and `make run` shows).
"""
from __future__ import annotations

import sys
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Callable, Deque, Dict, Mapping, Optional, TextIO

from bot.processes import ROOT
from bot.supervision.config import START_RETRIES

EXITED, BACKOFF, FATAL, RUNNING = ("PROCESS_STATE_EXITED", "PROCESS_STATE_BACKOFF",
                                   "PROCESS_STATE_FATAL", "PROCESS_STATE_RUNNING")


class Storms:
    """Failures per service within a sliding window; pure (time is passed in)."""

    def __init__(self, crashes: int, window: float) -> None:
        self.crashes, self.window = crashes, window
        self._times: Dict[str, Deque[float]] = defaultdict(deque)

    def failed(self, name: str, now: float) -> int:
        """Record a failure; how many fell within the window, this one included."""
        times = self._times[name]
        times.append(now)
        while times and times[0] <= now - self.window:
            times.popleft()
        return len(times)

    def is_storm(self, count: int) -> bool:
        return count >= self.crashes

    def forget(self, name: str) -> None:
        """After giving up: a service started again by hand starts with a clean slate."""
        self._times.pop(name, None)


def shown(path: Path) -> str:
    """A path as a person in the project folder types it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


class Guard:
    """What the listener does with one event; `stop(name)` asks supervisord to stop it."""

    def __init__(self, storms: Storms, config: Path, log_dir: Path,
                 stop: Callable[[str], None], say: Callable[[str], None],
                 clock: Callable[[], float] = time.time) -> None:
        self.storms, self.config, self.log_dir = storms, config, log_dir
        self.stop, self.say, self.clock = stop, say, clock
        self.recovering: set = set()

    def _log(self, name: str) -> str:
        return shown(self.log_dir / f"{name}.log")

    def handle(self, event: str, fields: Mapping[str, str]) -> None:
        name = fields.get("processname", "?")
        if event == RUNNING:
            if name in self.recovering:
                self.recovering.discard(name)
                self.say(f"{name} is running again (pid {fields.get('pid', '?')}).")
            return
        if event == FATAL:
            self.recovering.discard(name)
            self.storms.forget(name)
            self.say(f"GAVE UP on {name}: it failed to start several times in a row; the "
                     f"other services keep running. Its log: {self._log(name)}. "
                     f"{self._restart_hint(name)}")
            return
        if event not in (EXITED, BACKOFF):
            return
        count = self.storms.failed(name, self.clock())
        limit, window = self.storms.crashes, _minutes(self.storms.window)
        if event == EXITED:
            what = f"{name} exited unexpectedly (pid {fields.get('pid', '?')})"
        else:
            tries = int(fields.get("tries", "0") or 0)
            what = f"{name} failed to start (try {tries})"
        if self.storms.is_storm(count):
            self.recovering.discard(name)
            self.storms.forget(name)
            self.stop(name)
            self.say(f"{what}. GAVE UP on {name}: {count} failures within {window} (a "
                     f"crash storm), so it stays stopped; the other services keep running. "
                     f"Its log: {self._log(name)}. {self._restart_hint(name)}")
            return
        if event == EXITED:
            again = "restarting it now"
        elif tries <= START_RETRIES:
            again = f"trying again in {tries} s"
        else:
            return  # supervisord gives up now: the FATAL event says so
        self.recovering.add(name)
        self.say(f"{what}: {again} (failure {count}; {limit} within {window} leave it "
                 f"stopped). Log: {self._log(name)}")

    def _restart_hint(self, name: str) -> str:
        return (f"Start it again: .venv/bin/supervisorctl -c {shown(self.config)} "
                f"start {name}")


def _fields(text: str) -> Dict[str, str]:
    return dict(token.split(":", 1) for token in text.split() if ":" in token)


def listen(guard: Guard, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """supervisord's event listener protocol: READY, one event, RESULT; for ever."""
    while True:
        stdout.write("READY\n")
        stdout.flush()
        headers = _fields(stdin.readline())
        payload = stdin.read(int(headers["len"]))
        # The first line of a PROCESS_STATE payload holds the process's fields.
        guard.handle(headers.get("eventname", ""), _fields(payload.split("\n", 1)[0]))
        stdout.write("RESULT 2\nOK")
        stdout.flush()


def main(crashes: int, window: float, config: Path, log_dir: Path,
         environ: Optional[Mapping[str, str]] = None) -> int:
    import os

    from supervisor import childutils

    rpc = childutils.getRPCInterface(environ or os.environ)

    def stop(name: str) -> None:
        try:
            rpc.supervisor.stopProcess(name, False)
        except Exception as error:  # noqa: BLE001 - it may have stopped on its own
            say(f"(could not stop {name}: {error})")

    def say(line: str) -> None:
        print(time.strftime("%Y-%m-%d %H:%M:%S"), line, file=sys.stderr, flush=True)

    listen(Guard(Storms(crashes, window), config, log_dir, stop, say))
    return 0
