"""Supervision of the embedded default (bot/supervision, `make run`): supervisord with
the real configuration starts the services, brings back one that is killed while the
others keep running, stops retrying a service in a crash storm and says so, reports a
service that cannot start with its log, and stops every process when it is stopped.

Lean: the backends, the gateway (with no Rasa behind it), the purge job and the reminders
job are real processes on free ports with their own databases; no Rasa model is needed."""
from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Sequence

import pytest

from bot.processes import LOCAL_SECRETS, ROOT, VENV_BIN, free_port
from bot.supervision import config, guard, progress
from bot.supervision.programs import PROGRAMS, select
from bot.wait_http import answers
from tests.conftest import TEST_NOW

SERVICES = ("backends", "gateway", "retention", "reminders")


# ------------------------------------------------------------------ pure parts


@pytest.mark.parametrize("times, counts", [
    ([0, 10, 20], [1, 2, 3]),
    ([0, 100, 200], [1, 1, 1]),      # each falls out of the 60 s window
    ([0, 30, 59, 61], [1, 2, 3, 3]),
])
def test_storms_count_failures_within_the_window(times: List[float], counts: List[int]) -> None:
    storms = guard.Storms(crashes=3, window=60)
    assert [storms.failed("backends", t) for t in times] == counts


def test_a_storm_of_one_service_leaves_the_others_alone(tmp_path: Path) -> None:
    stopped: List[str] = []
    lines: List[str] = []
    now = iter(range(0, 100, 5))
    keeper = guard.Guard(guard.Storms(crashes=2, window=60), tmp_path / "supervisord.conf",
                         tmp_path, stopped.append, lines.append, clock=lambda: next(now))
    keeper.handle(guard.EXITED, {"processname": "backends", "pid": "11", "from_state": "RUNNING"})
    keeper.handle(guard.BACKOFF, {"processname": "rasa", "tries": "1"})
    keeper.handle(guard.RUNNING, {"processname": "backends", "pid": "12"})
    assert stopped == []
    keeper.handle(guard.EXITED, {"processname": "backends", "pid": "12", "from_state": "RUNNING"})
    assert stopped == ["backends"]
    assert "backends exited unexpectedly (pid 11): restarting it now (failure 1;" in lines[0]
    assert "rasa failed to start (try 1): trying again in 1 s" in lines[1]
    assert "backends is running again (pid 12)" in lines[2]
    assert "GAVE UP on backends" in lines[3] and "supervisorctl" in lines[3]


def test_the_config_names_settings_and_never_holds_their_values(tmp_path: Path) -> None:
    layout = config.Layout(tmp_path / "run", tmp_path / "log")
    environ = {"HM_RASA_TOKEN": "a-secret-token", "HM_GATEWAY_API_TOKEN": "notice-secret",
               "HM_BACKENDS_TOKEN": "backends-secret", "HM_WECHAT_SIM_PORT": "8090",
               "HM_GATEWAY_PORT": "8080", "HM_WECHAT_TOKEN": "t", "HM_WECHAT_APPID": "wx",
               "HM_WECHAT_APPSECRET": "also-secret", "HM_WECHAT_MODE": "safe",
               "HM_WECHAT_AES_KEY": "k" * 43}
    text = config.render(PROGRAMS, layout, environ)
    assert not [secret for secret in ("a-secret-token", "also-secret", "notice-secret",
                                      "backends-secret") if secret in text]
    assert "bot.reminders --every 15m" in text
    # Rasa reads its token from the environment (bot/rasa_server.py), never argv.
    assert "bot.rasa_server run" in text and "--auth-token" not in text
    assert "--now" not in text  # the simulator's clock only when HM_WECHAT_SIM_NOW is set
    assert "--now '%(ENV_HM_WECHAT_SIM_NOW)s'" in config.render(
        PROGRAMS, layout, {**environ, "HM_WECHAT_SIM_NOW": "1795000000"})
    with pytest.raises(config.MissingSetting, match="HM_RASA_TOKEN"):
        config.render(select(("rasa",)), layout, {})
    # The reminders job posts with the gateway's notice token: no config without it.
    with pytest.raises(config.MissingSetting, match="HM_GATEWAY_API_TOKEN"):
        config.render(select(("reminders",)), layout, {"HM_BACKENDS_TOKEN": "b"})


# ------------------------------------------------------------------ real processes


@dataclass
class Supervised:
    layout: config.Layout
    process: subprocess.Popen
    environ: Dict[str, str]
    started: str  # what the start-up progress printed

    @property
    def rpc(self):
        return progress.control(self.layout)

    def info(self, name: str) -> dict:
        return self.rpc.supervisor.getProcessInfo(name)

    def pids(self) -> Dict[str, int]:
        return {info["name"]: info["pid"] for info in self.rpc.supervisor.getAllProcessInfo()}

    def log(self, name: str) -> str:
        try:
            return self.layout.log(name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 60) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout)


def wait_until(check: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@contextmanager
def supervised(tmp_path: Path, names: Sequence[str] = SERVICES, crashes: int = 5,
               window: int = 600, expect_start: bool = True,
               env: Dict[str, str] = None) -> Iterator[Supervised]:
    """supervisord running the real configuration of `names`, ports and databases of its
    own, in a process group of its own; stopped (and checked stopped) afterwards."""
    backends_port, gateway_port = free_port(), free_port()
    environ = {
        **os.environ, **LOCAL_SECRETS,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HM_NOW": TEST_NOW, "HM_DEMO": "1",
        "HM_BACKENDS_PORT": str(backends_port), "HM_GATEWAY_PORT": str(gateway_port),
        "HM_BACKENDS_URL": f"http://127.0.0.1:{backends_port}",
        "HM_BACKENDS_TOKEN": "supervision-test-backends-token",
        "HM_GATEWAY_API_TOKEN": "supervision-test-gateway-api-token",
        "HM_REMINDERS_STATE": str(tmp_path / "reminders-state.json"),
        "HM_BACKENDS_DB": f"sqlite:///{tmp_path / 'backends.sqlite3'}",
        "HM_GATEWAY_DB": f"sqlite:///{tmp_path / 'gateway.sqlite3'}",
        "HM_RASA_URL": f"http://127.0.0.1:{free_port()}",  # nobody: the bot is down
        **(env or {}),
    }
    programs = select(tuple(names))
    # Short paths: a unix socket's path must stay under about 100 characters.
    layout = config.Layout(tmp_path / "run", tmp_path / "log")
    path = config.write(programs, layout, environ, config.StormLimits(crashes, window))
    process = subprocess.Popen([str(VENV_BIN / "supervisord"), "-c", str(path)], cwd=ROOT,
                               env=environ, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    running = Supervised(layout, process, environ, "")
    try:
        shown = io.StringIO()
        ok = progress.wait(programs, layout, environ, shown, process.pid)
        running.started = shown.getvalue()
        assert ok == expect_start, running.started
        yield running
    finally:
        groups = _groups(running)
        running.stop()
        assert _alive_in(groups) == [], "processes outlived supervisord"


def _groups(running: Supervised) -> List[int]:
    """The process groups of supervisord and its children (each program has its own)."""
    try:
        pids = [pid for pid in running.pids().values() if pid]
    except Exception:  # noqa: BLE001 - supervisord already gone
        pids = []
    return [running.process.pid, *pids]


def _alive_in(groups: Sequence[int]) -> List[str]:
    """`pid command` of every process still in one of these process groups."""
    listing = subprocess.run(["ps", "-eo", "pid=,pgid=,args="], capture_output=True,
                             text=True, check=True).stdout
    left = []
    for line in listing.splitlines():
        pid, pgid, args = line.split(None, 2)
        if int(pgid) in groups:
            left.append(f"{pid} {args}")
    return left


def test_supervisord_starts_the_services_and_brings_back_a_killed_one(tmp_path: Path) -> None:
    with supervised(tmp_path) as running:
        for program in select(SERVICES):
            assert f"✓ {program.title}" in running.started
        backends_url = select(("backends",))[0].ready_url(running.environ)
        wait_until(lambda: running.info("backends")["statename"] == "RUNNING", 30,
                   "the backends to count as started")
        before = running.pids()

        # A crash after running a while: restarted at once, the others untouched.
        os.kill(before["backends"], signal.SIGKILL)
        wait_until(lambda: running.info("backends")["pid"] not in (0, before["backends"])
                   and answers(backends_url), 60, "the backends to come back")
        # Stopping the purge job no longer stops the product (it did under honcho).
        os.kill(before["retention"], signal.SIGTERM)
        wait_until(lambda: running.info("retention")["statename"] == "RUNNING"
                   and running.info("retention")["pid"] != before["retention"], 60,
                   "the purge job to come back")

        after = running.pids()
        for program in select(SERVICES):
            if program.name not in ("backends", "retention"):
                assert after[program.name] == before[program.name], program.name
                assert program.ready is None or answers(program.ready_url(running.environ)), \
                    program.name
        # The reminders job ran against the real backends and gateway.
        wait_until(lambda: "notices:" in running.log("reminders"), 30, "a reminders run")
        log = wait_until(lambda: "backends is running again" in running.log("supervision")
                         and running.log("supervision"), 30, "the restart to be logged")
        assert "backends exited unexpectedly" in log and "retention exited unexpectedly" in log
        assert str(running.layout.log("backends")) in log


def test_a_crash_storm_stops_the_retries_and_says_so(tmp_path: Path) -> None:
    with supervised(tmp_path, crashes=3, window=300) as running:
        before = running.pids()
        for crash in range(3):
            wait_until(lambda: running.info("retention")["statename"] == "RUNNING", 60,
                       f"the purge job to run before crash {crash + 1}")
            os.kill(running.info("retention")["pid"], signal.SIGKILL)
            wait_until(lambda: running.info("retention")["statename"] != "RUNNING", 10,
                       "supervisord to see the crash")
        wait_until(lambda: running.info("retention")["statename"] == "STOPPED", 30,
                   "the guard to stop the purge job")
        time.sleep(6)  # longer than its startsecs: nothing starts it again
        assert running.info("retention")["statename"] == "STOPPED"
        log = running.log("supervision")
        assert "GAVE UP on retention: 3 failures within 5 min (a crash storm)" in log
        assert f"start retention" in log
        assert running.pids()["backends"] == before["backends"]
        assert all(running.pids()[name] == before[name] for name in SERVICES
                   if name != "retention")


def test_a_service_that_cannot_start_is_named_with_its_log(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with supervised(tmp_path, names=("backends",), expect_start=False,
                        env={"HM_BACKENDS_PORT": str(port)}) as running:
            assert "✗ backends API failed to start, and supervisord gave up" in running.started
            assert str(running.layout.log("backends")) in running.started
            assert running.info("backends")["statename"] == "FATAL"
            log = running.log("supervision")
            assert "backends failed to start (try 1): trying again in 1 s" in log
            assert "GAVE UP on backends: it failed to start several times" in log


def test_stopping_supervisord_stops_every_process(tmp_path: Path) -> None:
    with supervised(tmp_path) as running:
        groups = _groups(running)
        assert len(_alive_in(groups)) >= len(SERVICES) + 2  # supervisord and the guard too
        running.stop()
        assert running.process.returncode == 0
        assert _alive_in(groups) == []
