"""The action server (`python -m bot.actionserver`): rasa-sdk's app for the `actions`
package, with what `rasa run actions` lacks for this product (docs/security.md):

- it listens on 127.0.0.1 by default (HM_ACTIONS_HOST, HM_ACTIONS_PORT; elsewhere only
  with HM_EXPOSE_INTERNAL, bot.runtime.check_bind);
- every route but /health needs `Authorization: Bearer $HM_ACTIONS_TOKEN`, which only the
  Rasa server is given (endpoints.yml), compared in constant time;
- a failing action answers 500 with its name only: rasa-sdk's own handler echoes the
  whole request (every message and slot of the conversation) back to Rasa, which logs it;
- its logs go through the masking formatter, and the files it creates are private.

Who the member is, the actions decide from the gateway's signature (bot.identity), so a
tracker that reached this server some other way still names nobody.
"""
from __future__ import annotations

import argparse
import logging
import os
from typing import Mapping, Optional

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import runtime

logger = logging.getLogger("bot.actionserver")

TOKEN_ENV = "HM_ACTIONS_TOKEN"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5055
PUBLIC_PATHS = frozenset({"/health"})


def create_app(token: str, package: str = "actions") -> Sanic:
    from rasa_sdk import endpoint

    if not token:
        raise SystemExit(f"{TOKEN_ENV} is required: the action server answers only Rasa")
    app = endpoint.create_app(package, cors_origins=None)

    @app.on_request
    async def only_rasa(request: Request) -> Optional[HTTPResponse]:
        if request.path in PUBLIC_PATHS:
            return None
        if not runtime.bearer_matches(request.headers.get("authorization"), token):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        action = None
        try:
            action = (request.json or {}).get("next_action")
        except Exception:  # an unreadable body: nothing to name
            pass
        logger.error("action %s failed: %s", action, type(exception).__name__,
                     exc_info=exception)
        return response.json({"error": "action failed", "action_name": action}, status=500)

    # Replaces rasa-sdk's handler, which returns the request body (the whole tracker).
    app.error_handler.add(Exception, failed)
    return app


def main(argv: Optional[list] = None, environ: Mapping[str, str] = os.environ) -> None:
    parser = argparse.ArgumentParser(description="the action server (rasa-sdk), Rasa only")
    parser.add_argument("--host", default=environ.get("HM_ACTIONS_HOST") or DEFAULT_HOST)
    parser.add_argument("--port", type=int,
                        default=int(environ.get("HM_ACTIONS_PORT") or DEFAULT_PORT))
    args = parser.parse_args(argv)
    runtime.prepare()
    runtime.check_bind("action server", args.host, environ)
    app = create_app(environ.get(TOKEN_ENV, ""))
    logger.info("action server on http://%s:%d", args.host, args.port)
    app.run(host=args.host, port=args.port, access_log=False, motd=False, workers=1)


if __name__ == "__main__":
    main()
