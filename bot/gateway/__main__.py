"""Command line of the gateway (web chat, routing, handoff, manager console):

    python -m bot.gateway migrate   # upgrade the gateway database to the latest migration
    python -m bot.gateway serve     # migrate, then serve on HM_GATEWAY_PORT (8080)

Settings come from the environment (bot/gateway/settings.py, docs/gateway.md)."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional, Sequence

from bot.gateway.settings import Settings, SettingsError

logger = logging.getLogger("bot.gateway")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.gateway",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("migrate", "serve"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"bot.gateway: {error}", file=sys.stderr)
        return 2

    from bot.clock import Clock
    from bot.db import Database
    from bot.gateway.store import migrate

    db = Database.from_url(settings.db_url)
    migrate(db)
    logger.info("gateway database %s is at the latest migration",
                db.engine.url.render_as_string(hide_password=True))
    if args.command == "migrate":
        return 0

    from bot.gateway.app import create_app
    from bot.gateway.service import Gateway

    clock = Clock.from_env()
    app = create_app(Gateway(settings, clock, db))
    logger.info("web chat %s/chat, console %s/console (rasa %s, clock: %s)",
                settings.public_url, settings.public_url, settings.rasa_url, clock)
    app.run(host=settings.host, port=settings.port, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
