"""What `make run` shows while the services come up: a tick for each as it answers, or
which one failed and the end of its log. Readiness is the service's own URL answering
200 (RUNNING in supervisord for the purge job, which has none); failure is supervisord
giving up on it (FATAL), the storm guard stopping it, or its time running out."""
from __future__ import annotations

import time
import xmlrpc.client
from pathlib import Path
from typing import Callable, Dict, Mapping, Optional, Sequence, TextIO

from bot.processes import process_alive
from bot.supervision.config import Layout
from bot.supervision.guard import shown
from bot.supervision.programs import Program
from bot.wait_http import answers

# How long supervisord itself may take to open its control socket.
SUPERVISORD_TIMEOUT = 30.0
NOTE_AFTER = 5.0  # seconds before a slow service's note is shown
LOG_LINES = 12


def control(layout: Layout) -> xmlrpc.client.ServerProxy:
    """supervisord's XML-RPC API over its private socket."""
    from supervisor.xmlrpc import SupervisorTransport

    transport = SupervisorTransport(None, None, f"unix://{layout.socket}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)


def states(layout: Layout) -> Optional[Dict[str, str]]:
    """Each program's state name, or None while supervisord does not answer. (A fresh
    connection each time: the transport is not reusable after a failed request.)"""
    try:
        return {info["name"]: info["statename"]
                for info in control(layout).supervisor.getAllProcessInfo()}
    except (OSError, xmlrpc.client.Error):
        return None


def log_tail(path: Path, lines: int = LOG_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "    (no log yet)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def wait(programs: Sequence[Program], layout: Layout, environ: Mapping[str, str],
         out: TextIO, supervisord_pid: Optional[int] = None, poll: float = 0.5,
         clock: Callable[[], float] = time.monotonic) -> bool:
    """Print a tick per service as it comes up; False (after saying which service failed
    and where its log is) as soon as one fails."""
    width = max(len(program.title) for program in programs)
    began = clock()
    pending = list(programs)
    seen: Dict[str, str] = {}
    noted, retrying = set(), set()

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    def failed(program: Program, why: str) -> bool:
        log = layout.log(program.name)
        say(f"  ✗ {program.title} {why}. Its log, {shown(log)}, ends with:\n{log_tail(log)}")
        return False

    while pending:
        elapsed = clock() - began
        current = states(layout)
        if current is None:
            if (supervisord_pid is not None and not process_alive(supervisord_pid)) or elapsed > SUPERVISORD_TIMEOUT:
                log = layout.log("supervisord")
                say(f"  ✗ supervisord did not start. Its log, {shown(log)}, ends with:\n"
                    f"{log_tail(log)}")
                return False
            time.sleep(poll)
            continue
        for program in list(pending):
            state = current.get(program.name, "")
            if state == "FATAL":
                return failed(program, "failed to start, and supervisord gave up")
            if state == "STOPPED" and seen.get(program.name) not in (None, "STOPPED"):
                return failed(program, "was stopped after crashing too often")
            if state == "BACKOFF" and program.name not in retrying:
                retrying.add(program.name)
                say(f"  ! {program.title} failed to start; supervisord tries again "
                    f"(log: {shown(layout.log(program.name))})")
            seen[program.name] = state
            url = program.ready_url(environ)
            ready = (state in ("STARTING", "RUNNING") and answers(url) if url
                     else state == "RUNNING")
            if ready:
                pending.remove(program)
                say(f"  ✓ {program.title.ljust(width)}  {elapsed:3.0f} s")
            elif elapsed > program.timeout:
                return failed(program, f"did not answer within {program.timeout} s")
            elif program.note and elapsed > NOTE_AFTER and program.name not in noted:
                noted.add(program.name)
                say(f"  … {program.title}: {program.note}")
        if pending:
            time.sleep(poll)
    return True
