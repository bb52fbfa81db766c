"""supervisord's configuration for the chosen programs (bot/supervision/programs.py):
one log file per service, a private control socket, restarts with back-off, the storm
guard as an event listener, and the whole process group stopped on the way out."""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Mapping, Sequence, Tuple

from bot.processes import ROOT, VENV_BIN
from bot.supervision.programs import IfSet, Program

GUARD = "storm-guard"
LOG_MAX_BYTES = "10MB"
LOG_BACKUPS = 3
START_RETRIES = 3
_ENV_REFERENCE = re.compile(r"%\(ENV_([A-Za-z0-9_]+)\)s")


@dataclass(frozen=True)
class Layout:
    """Where supervisord keeps its socket, pid file and the services' logs."""
    run_dir: Path
    log_dir: Path
    root: Path = ROOT

    @property
    def config(self) -> Path:
        return self.run_dir / "supervisord.conf"

    @property
    def socket(self) -> Path:
        return self.run_dir / "supervisor.sock"

    def log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"


@dataclass(frozen=True)
class StormLimits:
    """A service that crashes `crashes` times within `window` seconds is left stopped."""
    crashes: int = 5
    window: int = 600


class MissingSetting(ValueError):
    """A command names a setting that the environment does not have."""


def _literal(value: str) -> str:
    """A value supervisord reads as it is (it %-expands every value)."""
    return value.replace("%", "%%")


def _command(args: Iterable[str]) -> str:
    # supervisord expands %(ENV_...)s, then splits the command like a shell (shlex): a
    # setting stays one argument whatever spaces its value has.
    return " ".join(f"'{arg}'" if _ENV_REFERENCE.search(arg) else _literal(shlex.quote(arg))
                    for arg in args)


def _argv(program: Program, environ: Mapping[str, str]) -> List[str]:
    argv: List[str] = []
    for arg in program.command:
        if isinstance(arg, IfSet):
            if environ.get(arg.name):
                argv.extend(arg.args)
        else:
            argv.append(arg)
    executable = VENV_BIN / argv[0]
    return [str(executable) if executable.exists() else argv[0], *argv[1:]]


def needed_settings(programs: Sequence[Program], environ: Mapping[str, str]) -> List[str]:
    """The settings the commands name or the programs read, in order, each once."""
    names: List[str] = []
    for program in programs:
        found = [n for arg in _argv(program, environ) for n in _ENV_REFERENCE.findall(arg)]
        for name in [*found, *program.reads]:
            if name not in names:
                names.append(name)
    return names


def _section(title: str, options: Sequence[Tuple[str, object]]) -> str:
    return "\n".join([f"[{title}]", *(f"{key}={value}" for key, value in options)]) + "\n"


def _logs(path: Path) -> List[Tuple[str, object]]:
    return [("stdout_logfile", _literal(str(path))), ("stdout_logfile_maxbytes", LOG_MAX_BYTES),
            ("stdout_logfile_backups", LOG_BACKUPS)]


def render(programs: Sequence[Program], layout: Layout, environ: Mapping[str, str],
           limits: StormLimits = StormLimits()) -> str:
    """The configuration text; raises MissingSetting when a command names a setting that
    `environ` (supervisord's environment to be) lacks."""
    missing = [name for name in needed_settings(programs, environ) if name not in environ]
    if missing:
        raise MissingSetting("not set: " + ", ".join(missing)
                             + " (scripts/run.sh prepares them)")
    root = _literal(str(layout.root))
    sections = [
        "; Made by `python -m bot.supervision config` (scripts/run.sh) from\n"
        "; bot/supervision/programs.py: change that, not this file.\n",
        _section("supervisord", [
            ("nodaemon", "true"), ("silent", "true"), ("directory", root),
            ("logfile", _literal(str(layout.log("supervisord")))),
            ("logfile_maxbytes", LOG_MAX_BYTES), ("logfile_backups", LOG_BACKUPS),
            ("pidfile", _literal(str(layout.run_dir / "supervisord.pid"))),
            ("childlogdir", _literal(str(layout.log_dir))),
            # Logs and databases are private (docs/security.md); children inherit it.
            ("umask", "077"),
        ]),
        # Control over a socket only this account can open (the directory is 0700 too).
        _section("unix_http_server", [("file", _literal(str(layout.socket))), ("chmod", "0700")]),
        _section("rpcinterface:supervisor", [
            ("supervisor.rpcinterface_factory", "supervisor.rpcinterface:make_main_rpcinterface")]),
        _section("supervisorctl", [("serverurl", "unix://" + _literal(str(layout.socket)))]),
        _section(f"eventlistener:{GUARD}", [
            ("command", _command([str(VENV_BIN / "python"), "-m", "bot.supervision", "guard",
                                  "--crashes", str(limits.crashes),
                                  "--window", str(limits.window),
                                  "--config", str(layout.config),
                                  "--log-dir", str(layout.log_dir)])),
            ("directory", root), ("events", "PROCESS_STATE"), ("priority", 1),
            ("autorestart", "true"),
            # The listener's stdout is its conversation with supervisord; what it tells
            # people goes to stderr, kept in var/log/supervision.log.
            ("stdout_logfile", "NONE"),
            ("stderr_logfile", _literal(str(layout.log("supervision")))),
            ("stderr_logfile_maxbytes", LOG_MAX_BYTES), ("stderr_logfile_backups", LOG_BACKUPS),
        ]),
    ]
    for priority, program in enumerate(programs, start=1):
        sections.append(_section(f"program:{program.name}", [
            ("command", _command(_argv(program, environ))),
            ("directory", root),
            ("priority", 10 * priority),
            ("autostart", "true"),
            ("autorestart", "true"),
            ("startsecs", program.startsecs),
            ("startretries", START_RETRIES),
            ("stopsignal", "TERM"),
            ("stopwaitsecs", program.stopwaitsecs),
            # Signals go to the whole process group: nothing a service started outlives it.
            ("stopasgroup", "true"),
            ("killasgroup", "true"),
            ("redirect_stderr", "true"),
            *_logs(layout.log(program.name)),
        ]))
    return "\n".join(sections)


def write(programs: Sequence[Program], layout: Layout, environ: Mapping[str, str],
          limits: StormLimits = StormLimits()) -> Path:
    """Write the configuration (private, like its directory) and return its path."""
    text = render(programs, layout, environ, limits)
    for directory in (layout.run_dir, layout.log_dir):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    layout.run_dir.chmod(0o700)
    layout.config.write_text(text, encoding="utf-8")
    layout.config.chmod(0o600)
    return layout.config
