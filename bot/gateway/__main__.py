"""Command line of the gateway (web chat, routing, handoff, manager console):

    python -m bot.gateway migrate   # upgrade the gateway database to the latest migration
    python -m bot.gateway serve     # migrate, then serve on HM_GATEWAY_PORT (8080)
    python -m bot.gateway wechat-refresh-token   # the access token leaked: replace it now
    python -m bot.gateway wechat-menu    # create the WeChat custom menu (菜单) members tap
    python -m bot.gateway chat-link WEB_ID [--hours 24]   # a member's signed web chat link

Settings come from the environment (bot/gateway/settings.py, docs/gateway.md)."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Optional, Sequence

from bot import runtime
from bot.gateway.settings import Settings, SettingsError

if TYPE_CHECKING:
    from bot.gateway.channels.wechat.api import WeChatApi

logger = logging.getLogger("bot.gateway")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.gateway",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("migrate", "serve", "wechat-refresh-token",
                                            "wechat-menu", "chat-link"))
    parser.add_argument("member", nargs="?", help="chat-link: the member's web id")
    parser.add_argument("--hours", type=float, default=24.0,
                        help="chat-link: how long the link is valid (default 24)")
    args = parser.parse_args(argv)
    runtime.prepare()  # private files, masked logs (docs/security.md)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"bot.gateway: {error}", file=sys.stderr)
        return 2

    if args.command == "wechat-refresh-token":
        return refresh_wechat_token(settings)
    if args.command == "wechat-menu":
        return create_wechat_menu(settings)
    if args.command == "chat-link":
        return print_chat_link(settings, args.member, args.hours)

    from bot.clock import Clock
    from bot.db import Database
    from bot.gateway.store import migrate

    db = Database.from_url(settings.db_url)
    migrate(db)
    logger.info("gateway database %s is at the latest migration",
                db.engine.url.render_as_string(hide_password=True))
    if args.command == "migrate":
        return 0

    from bot.gateway.app import Gateway, create_app

    runtime.check_bind("gateway", settings.host)
    clock = Clock.from_env()
    try:
        gateway = Gateway(settings, clock, db)
    except SettingsError as error:
        print(f"bot.gateway: {error}", file=sys.stderr)
        return 2
    app = create_app(gateway)
    logger.info("web chat %s/chat, console %s/console (rasa %s, clock: %s)",
                settings.public_url, settings.public_url, settings.rasa_url, clock)
    app.run(host=settings.host, port=settings.port, access_log=False, motd=False)
    return 0


def print_chat_link(settings: Settings, member: Optional[str], hours: float) -> int:
    """Print `/chat?t=...`: the member's web chat, signed with HM_GATEWAY_LINK_SECRET,
    valid for `hours` from now (HM_NOW in tests and demos). Prepend the gateway's
    public address; whoever holds the link is the member until it expires."""
    from bot.clock import Clock
    from bot.gateway import links

    secret = settings.access.link_secret
    if secret is None:
        print("bot.gateway: HM_GATEWAY_LINK_SECRET is needed to sign web chat links "
              "(the same value the gateway runs with)", file=sys.stderr)
        return 2
    if not member or not links.WEB_ID.fullmatch(member):
        print("bot.gateway: chat-link needs the member's web id (1-64 letters, digits, "
              "'-' or '_')", file=sys.stderr)
        return 2
    if not 0 < hours <= 24 * 31:
        print("bot.gateway: --hours must be more than 0 and at most 744 (31 days)",
              file=sys.stderr)
        return 2
    print(links.issue(secret, member, Clock.from_env().now(), hours))
    return 0


def _wechat_api(settings: Settings, purpose: str) -> Optional["WeChatApi"]:
    """The WeChat API client of the settings, or None (said why) when the channel or
    its AppSecret is not configured."""
    wechat = settings.wechat
    if wechat is None or not wechat.app_secret:
        print("bot.gateway: HM_WECHAT_TOKEN, HM_WECHAT_APPID and HM_WECHAT_APPSECRET are "
              f"needed to {purpose}", file=sys.stderr)
        return None
    from bot.gateway.channels.wechat.api import WeChatApi

    return WeChatApi(wechat.app_id, wechat.app_secret, wechat.api_base, wechat.redis_url,
                     wechat.api_timeout)


def refresh_wechat_token(settings: Settings) -> int:
    """A leaked access token: force a new stable token (WeChat allows 20 a day, 30 s
    apart) and put it in the shared cache, so every replica uses the new one."""
    api = _wechat_api(settings, "refresh the WeChat token")
    if api is None:
        return 2
    from wechatpy.exceptions import WeChatClientException

    try:
        result = api.client.fetch_access_token(force_refresh=True)
    except (WeChatClientException, OSError) as error:
        print(f"bot.gateway: WeChat refused the refresh: {error}", file=sys.stderr)
        return 1
    finally:
        api.close()
    print(f"new WeChat access token cached for {result.get('expires_in')} s"
          + ("" if api.client.session.shared else " (in this process only: set "
             "HM_REDIS_URL so the gateway sees it; it fetches the new one itself on 40001 "
             "anyway)"))
    return 0


def create_wechat_menu(settings: Settings) -> int:
    """Create the account's custom menu (channels/wechat/menu.py), replacing the one
    members see: 0 done, 2 not configured, 1 refused (by our check of WeChat's limits,
    or by WeChat: its errcode and errmsg, never the secret or the token)."""
    import asyncio

    from bot.gateway.channels.wechat import menu
    from bot.gateway.channels.wechat.api import WeChatApiError

    problems = menu.problems(menu.MENU)
    if problems:
        print("bot.gateway: the menu does not fit WeChat's limits: " + "; ".join(problems),
              file=sys.stderr)
        return 1
    api = _wechat_api(settings, "create the WeChat menu")
    if api is None:
        return 2
    try:
        asyncio.run(api.create_menu(menu.MENU))
    except WeChatApiError as error:
        if error.errcode is None:  # a timeout, a dropped connection, an HTTP error
            print(f"bot.gateway: no answer from WeChat ({error.errmsg}); creating the menu "
                  "again is harmless", file=sys.stderr)
        else:
            print(f"bot.gateway: WeChat refused the menu: {error.errcode} {error.errmsg}",
                  file=sys.stderr)
        return 1
    finally:
        api.close()
    print(f"WeChat menu created: {menu.describe(menu.MENU)} (a member's WeChat fetches "
          "it on opening the chat, at most every 5 minutes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
