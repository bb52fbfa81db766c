"""`python -m bot.supervision config|wait|guard`: what scripts/run.sh calls around
supervisord (make the configuration, show the start-up) and the storm guard that
supervisord runs as its event listener."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from bot.processes import ROOT
from bot.supervision import config, guard, progress
from bot.supervision.programs import DEFAULT, select

RUN_DIR = ROOT / "var" / "run"
LOG_DIR = ROOT / "var" / "log"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.supervision", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("config", "write supervisord's configuration for these programs"),
                       ("wait", "show each program coming up; exit 1 when one fails")):
        command = commands.add_parser(name, help=text)
        command.add_argument("programs", nargs="*", default=list(DEFAULT),
                             help=f"which programs (default: {' '.join(DEFAULT)})")
        command.add_argument("--run-dir", type=Path, default=RUN_DIR)
        command.add_argument("--log-dir", type=Path, default=LOG_DIR)
        if name == "config":
            limits = config.StormLimits()
            command.add_argument("--crashes", type=int, default=limits.crashes,
                                 help="failures of one service that make a storm")
            command.add_argument("--window", type=int, default=limits.window,
                                 help="within this many seconds")
        else:
            command.add_argument("--pid", type=int, help="supervisord's process id")
    listener = commands.add_parser("guard", help="the storm guard (supervisord runs it)")
    listener.add_argument("--crashes", type=int, required=True)
    listener.add_argument("--window", type=float, required=True)
    listener.add_argument("--config", type=Path, required=True)
    listener.add_argument("--log-dir", type=Path, required=True)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "guard":
        return guard.main(args.crashes, args.window, args.config, args.log_dir)
    try:
        programs = select(tuple(args.programs))
    except ValueError as error:
        print(f"bot.supervision: {error}", file=sys.stderr)
        return 2
    layout = config.Layout(args.run_dir.resolve(), args.log_dir.resolve())
    if args.command == "config":
        try:
            path = config.write(programs, layout, os.environ,
                                config.StormLimits(args.crashes, args.window))
        except config.MissingSetting as error:
            print(f"bot.supervision: {error}", file=sys.stderr)
            return 2
        print(path)
        return 0
    try:
        ok = progress.wait(programs, layout, os.environ, sys.stdout, args.pid)
    except KeyboardInterrupt:  # Ctrl-C while waiting: run.sh stops everything
        return 130
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
