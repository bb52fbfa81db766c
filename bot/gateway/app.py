"""The gateway's Sanic application: the channel adapters' routes, the manager console,
health, security headers and request logging, wired in one factory. Nothing happens
at import."""
from __future__ import annotations

import logging
import time

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.console.routes import blueprint as console_blueprint
from bot.gateway import notifications
from bot.gateway.service import Gateway

logger = logging.getLogger(__name__)

# Scripts, styles and connections only from this origin (no CDN, no inline script):
# even text that slipped past escaping could not run.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


async def stamp(request: Request) -> None:
    request.ctx.started = time.perf_counter()


async def finish(request: Request, resp: HTTPResponse) -> None:
    resp.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    started = getattr(request.ctx, "started", None)
    elapsed = (time.perf_counter() - started) * 1000 if started else 0.0
    # The path only: query strings may carry tokens.
    logger.info("%s %s %s %.1f ms", request.method, request.path, resp.status, elapsed)


def create_app(gateway: Gateway, name: str = "hm_gateway") -> Sanic:
    app = Sanic(name, configure_logging=False)
    app.config.REQUEST_MAX_SIZE = 1_000_000
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 2.0  # live streams never end by themselves
    app.ctx.gateway = gateway

    async def start(app: Sanic, loop) -> None:
        await gateway.start()

    async def stop(app: Sanic, loop) -> None:
        await gateway.stop()

    app.register_listener(start, "before_server_start")
    app.register_listener(stop, "after_server_stop")
    app.register_middleware(stamp, "request")
    app.register_middleware(finish, "response")

    for adapter in gateway.channels.values():
        app.blueprint(adapter.blueprint(gateway))
    app.blueprint(console_blueprint(gateway))
    app.blueprint(notifications.blueprint(gateway))

    @app.get("/health")
    async def health(request: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/")
    async def index(request: Request) -> HTTPResponse:
        return response.redirect("/chat")

    return app
