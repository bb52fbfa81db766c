"""Command line of the manager console:

    python -m bot.console create-user NAME --role manager [--display-name 王芳] [--update]
    python -m bot.console create-user manager --role manager --if-missing   # run.sh

The password comes from HM_CONSOLE_PASSWORD, or from standard input (one line; typed
without echo at a terminal). The gateway database is HM_GATEWAY_DB (docs/gateway.md)."""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from typing import Optional, Sequence

from bot import runtime
from bot.gateway.models import ROLES

PASSWORD_ENV = "HM_CONSOLE_PASSWORD"


def read_password() -> str:
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if sys.stdin.isatty():
        return getpass.getpass("password: ")
    return sys.stdin.readline().rstrip("\r\n")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.console",
                                     description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="create a console user")
    create.add_argument("username")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--display-name", help="the name members and colleagues see")
    create.add_argument("--update", action="store_true",
                        help="reset the password and role of an existing user")
    create.add_argument("--if-missing", action="store_true",
                        help="do nothing when the user exists")
    args = parser.parse_args(argv)
    runtime.prepare(logging.WARNING)  # a private database, masked logs (docs/security.md)

    from bot.clock import Clock
    from bot.console import accounts
    from bot.console.passwords import WeakPassword
    from bot.db import Database
    from bot.gateway.settings import db_url_from_env
    from bot.gateway.store import migrate

    db = Database.from_url(db_url_from_env())
    try:
        migrate(db)
        if args.if_missing:
            with db.reading() as session:
                if accounts.user_exists(session, args.username):
                    print(f"user {args.username!r} exists")
                    return 0
        password = read_password()
        now = Clock.from_env().now()
        with db.writing() as session:
            user = accounts.create_user(session, args.username, password, args.role,
                                        args.display_name, now, update=args.update)
            accounts.audit(session, now, "create_user", target=f"user:{user.id}",
                           detail={"role": args.role}, username="(command line)")
        print(f"user {args.username!r} ({args.role}) saved")
        return 0
    except (accounts.AccountError, WeakPassword) as error:
        print(f"bot.console: {error}", file=sys.stderr)
        return 2
    finally:
        db.dispose()


if __name__ == "__main__":
    sys.exit(main())
