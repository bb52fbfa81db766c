"""Command line of the backends service:

    python -m bot.backends migrate   # upgrade the database to the latest migration
    python -m bot.backends seed      # migrate, then add reference data and demo members
    python -m bot.backends seed --load-members 3000   # and members for the load benchmark
    python -m bot.backends serve     # migrate, seed an empty database, serve the API

Settings come from the environment (bot/backends/settings.py, docs/backends.md)."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional, Sequence

from bot import runtime
from bot.backends.settings import Settings, SettingsError

logger = logging.getLogger("bot.backends")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.backends", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("migrate", "seed", "serve"))
    parser.add_argument("--load-members", type=int, default=0, metavar="N",
                        help="with seed: also members load-00001..N, ready to book "
                             "(WeChat oLOAD_00001..; for bot.loadtest)")
    args = parser.parse_args(argv)
    runtime.prepare()  # private files, masked logs (docs/security.md)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
        token = settings.require_token() if args.command == "serve" else None
    except SettingsError as error:
        print(f"bot.backends: {error}", file=sys.stderr)
        return 2

    from bot.backends.db import Database, migrate
    from bot.backends.seed import is_seeded, seed, seed_load_members
    from bot.catalog import load_catalog
    from bot.clock import Clock, default_calendar

    db = Database.from_url(settings.db_url)
    migrate(db)
    logger.info("database %s is at the latest migration",
                db.engine.url.render_as_string(hide_password=True))
    if args.command == "migrate":
        return 0
    clock, calendar, catalog = Clock.from_env(), default_calendar(), load_catalog()
    if args.command == "seed" or not is_seeded(db):
        logger.info(seed(db, clock.now(), calendar, catalog).summary())
    if args.command == "seed":
        if args.load_members > 0:
            added = seed_load_members(db, clock.now(), calendar, catalog, args.load_members)
            logger.info("load-test members: %d added, %d wanted", added, args.load_members)
        return 0

    from bot.backends.app import create_app
    from bot.backends.service import Backend

    runtime.check_bind("backends", settings.host)
    app = create_app(Backend(db, clock, calendar, catalog), token)
    logger.info("serving on http://%s:%d (clock: %s)", settings.host, settings.port, clock)
    app.run(host=settings.host, port=settings.port, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
