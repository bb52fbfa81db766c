"""Command line of the reminders job (docs/operations.md):

    python -m bot.reminders                # one run
    python -m bot.reminders --every 15m    # a run every 15 minutes (make run starts this)

Settings: HM_GATEWAY_URL (default http://127.0.0.1:$HM_GATEWAY_PORT), HM_GATEWAY_API_TOKEN,
HM_BACKENDS_URL, HM_BACKENDS_TOKEN, HM_REMINDERS_STATE (default var/reminders-state.json),
HM_NOW. One run exits 0 when done (or in quiet hours), 1 when a service was unavailable
or another run held the state (the next run catches up), 2 when a setting is wrong."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from typing import Optional, Sequence

from bot import runtime

logger = logging.getLogger("bot.reminders")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.reminders",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--every", help="常驻：每隔这么久执行一次（如 15m）")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    # Private files (the state) and masked logs, as every process (docs/security.md).
    runtime.prepare(fmt="%(asctime)s %(name)s %(message)s")

    from bot.clock import Clock
    from bot.reminders.job import Settings, SettingsError, run_once
    from bot.reminders.state import Busy
    from bot.review.retention import parse_every

    try:
        settings = Settings.from_env()
        every = parse_every(args.every) if args.every else None
    except (SettingsError, ValueError) as error:
        print(f"bot.reminders: {error}", file=sys.stderr)
        return 2
    clock = Clock.from_env()

    def once() -> int:
        try:
            report = asyncio.run(run_once(settings, clock))
        except Busy:
            logger.warning("another reminders run holds the state: skipped")
            return 1
        logger.info("%s", report.as_text())
        return 1 if report.failed else 0

    if every is None:
        return once()
    while True:  # the run command's scheduler: one process, one run a period
        try:
            once()
        except Exception:  # noqa: BLE001 - keep the schedule; the next run catches up
            logger.exception("reminders run failed; trying again next run")
        time.sleep(every)


if __name__ == "__main__":
    sys.exit(main())
