"""The gateway put together, in one place: the database pool, the Rasa and backends
clients, the live hub, the outbox, the handoffs and the router (the channels' inbox),
the channel adapters, the manager console and the notifications API; then the Sanic
application that serves them, with health, security headers and request logging.
Every part gets what it needs here, in its constructor; nothing happens at import."""
from __future__ import annotations

import logging
import time
from typing import Callable, List, Optional

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.clients import BackendsClient, BackendSettings
from bot.clock import Clock
from bot.console.parts import ConsoleParts
from bot.console.routes import blueprint as console_blueprint
from bot.db import Database, DatabasePool
from bot.gateway import notifications
from bot.gateway.channels.base import ChannelAdapter
from bot.gateway.channels.web import WebChat
from bot.gateway.handoff import Handoffs
from bot.gateway.live import make_hub
from bot.gateway.members import Members
from bot.gateway.outbox import Outbox
from bot.gateway.pending import Retrier
from bot.gateway.rasa import RasaClient
from bot.gateway.router import Router
from bot.gateway.settings import Settings, SettingsError
from bot.gateway.tasks import Every, Tasks
from bot.identity import SECRET_ENV

logger = logging.getLogger(__name__)

# Scripts, styles and connections only from this origin (no CDN, no inline script):
# even text that slipped past escaping could not run.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class Gateway:
    """The gateway's parts, composed. `channels` makes the adapters from the parts (the
    default: the web chat always, WeChat when HM_WECHAT_TOKEN configures it)."""

    def __init__(self, settings: Settings, clock: Clock, db: Database,
                 channels: Optional[Callable[["Gateway"], List[ChannelAdapter]]] = None
                 ) -> None:
        if settings.identity_secret is None:
            raise SettingsError(f"{SECRET_ENV} is required: Rasa accepts only messages the "
                                "gateway signed (docs/security.md)")
        self.settings = settings
        self.clock = clock
        self.pool = DatabasePool(db, name="gateway-db")
        self.tasks = Tasks()
        self.hub = make_hub(settings.redis_url)  # across replicas when Redis is set
        self.rasa = RasaClient(settings.rasa_url, settings.rasa_timeout, settings.rasa_token,
                               settings.identity_secret)
        if not settings.backends.token:
            BackendSettings.warn_missing_token()
        self.members = Members(BackendsClient(settings.backends))
        self.outbox = Outbox(self.pool, clock, self.hub)
        self.handoffs = Handoffs(self.pool, clock, self.rasa, self.outbox, self.members)
        self.router = Router(self.pool, clock, self.rasa, self.outbox, self.handoffs,
                             self.members, self.tasks)
        # Messages kept while Rasa was away, sent again once it answers (docs/gateway.md).
        self.retrier = Retrier(self.pool, self.rasa.healthy, self.router.retry)
        # Every minute: members nobody claimed in time told, with a callback; quiet
        # conversations back to the bot (docs/gateway.md).
        self.sweeper = Every(60, self.handoffs.sweep, "the handoff sweep")
        self.channels = (channels or default_channels)(self)
        for adapter in self.channels:
            self.outbox.register(adapter)
        self.console = ConsoleParts(settings, self.pool, clock, self.hub, self.members,
                                    self.handoffs, self.tasks)

    async def start(self) -> None:
        self.pool.start()
        await self.rasa.start()
        self.retrier.start()
        self.sweeper.start()
        await self.hub.start()

    async def stop(self) -> None:
        await self.retrier.stop()
        await self.sweeper.stop()
        await self.tasks.stop()
        await self.hub.stop()
        await self.rasa.stop()
        await self.members.backends.close()
        self.pool.stop()


def default_channels(gateway: Gateway) -> List[ChannelAdapter]:
    """The web chat always; WeChat when HM_WECHAT_TOKEN configures it."""
    settings = gateway.settings
    adapters: List[ChannelAdapter] = [
        WebChat(gateway.pool, gateway.clock, gateway.hub, settings.access, gateway.tasks)]
    if settings.wechat is not None:
        from bot.gateway.channels.wechat.adapter import WeChat

        adapters.append(WeChat(settings.wechat, settings.access, gateway.pool, gateway.clock,
                               gateway.outbox, gateway.tasks))
    return adapters


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
    app.ctx.console = gateway.console  # the console's session check reads it

    async def start(app: Sanic, loop) -> None:
        await gateway.start()

    async def stop(app: Sanic, loop) -> None:
        await gateway.stop()

    app.register_listener(start, "before_server_start")
    app.register_listener(stop, "after_server_stop")
    app.register_middleware(stamp, "request")
    app.register_middleware(finish, "response")

    for adapter in gateway.channels:
        app.blueprint(adapter.blueprint(gateway.router))
    app.blueprint(console_blueprint(gateway.console))
    app.blueprint(notifications.blueprint(gateway.settings.api_token, gateway.pool,
                                          gateway.clock, gateway.outbox, gateway.tasks))

    @app.get("/health")
    async def health(request: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/")
    async def index(request: Request) -> HTTPResponse:
        return response.redirect("/chat")

    return app
