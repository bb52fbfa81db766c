"""The gateway's working parts, wired in one place: database pool, clock, Rasa client,
backends client, live hub, channel adapters, outbox, handoffs and router."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Awaitable, Iterable, List, Optional, Set, TypeVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sanic import response
from sanic.response import HTTPResponse

from bot.clients import BackendsClient
from bot.clock import Clock
from bot.db import Database, DatabasePool
from bot.gateway.channels.base import ChannelAdapter
from bot.gateway.channels.web import WebChat
from bot.gateway.handoff import Handoffs
from bot.gateway.live import Hub
from bot.gateway.members import Members
from bot.gateway.outbox import Outbox
from bot.gateway.rasa import RasaClient
from bot.gateway.router import Router
from bot.gateway.settings import Settings, SettingsError
from bot.identity import SECRET_ENV

logger = logging.getLogger(__name__)
TEMPLATES_DIR = Path(__file__).parent / "templates"
T = TypeVar("T")


def templates(*directories: Path) -> Environment:
    """Jinja2 with autoescape on for every template: member text is always escaped."""
    return Environment(loader=FileSystemLoader([str(d) for d in directories]),
                       autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True)


def default_channels(settings: Settings, hub: Hub) -> List[ChannelAdapter]:
    """The web chat always; WeChat when HM_WECHAT_TOKEN configures it."""
    adapters: List[ChannelAdapter] = [WebChat(hub)]
    if settings.wechat is not None:
        from bot.gateway.channels.wechat.adapter import WeChat

        adapters.append(WeChat(settings.wechat))
    return adapters


class Gateway:
    def __init__(self, settings: Settings, clock: Clock, db: Database,
                 channels: Optional[Iterable[ChannelAdapter]] = None) -> None:
        self.settings = settings
        self.clock = clock
        self.pool = DatabasePool(db, name="gateway-db")
        self.hub = Hub()
        if settings.identity_secret is None:
            raise SettingsError(f"{SECRET_ENV} is required: Rasa accepts only messages the "
                                "gateway signed (docs/security.md)")
        self.rasa = RasaClient(settings.rasa_url, settings.rasa_timeout, settings.rasa_token,
                               settings.identity_secret)
        self.members = Members(BackendsClient(settings.backends))
        adapters = list(channels) if channels is not None else default_channels(settings,
                                                                                 self.hub)
        self.channels = {adapter.name(): adapter for adapter in adapters}
        self.outbox = Outbox(self.pool, clock, self.hub, self.channels)
        self.handoffs = Handoffs(self.pool, clock, self.rasa, self.outbox)
        self.router = Router(self.pool, clock, self.rasa, self.outbox, self.handoffs,
                             self.members)
        self.templates = templates(TEMPLATES_DIR)
        self._running: Set[asyncio.Task] = set()

    async def complete(self, work: Awaitable[T]) -> T:
        """Run `work` to the end even if the client goes away meanwhile: a member
        message or a manager's action half done (stored, but Rasa not resumed, the
        member not told) is worse than an answer nobody reads."""
        task = asyncio.ensure_future(work)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return await asyncio.shield(task)

    def background(self, work: Awaitable[T], what: str) -> None:
        """Run `work` after the answer has gone (WeChat's 5-second deadline); failures
        are logged, the message is already stored."""
        async def guarded() -> None:
            try:
                await work
            except Exception:  # noqa: BLE001 - nobody awaits this task
                logger.exception("background work failed: %s", what)

        task = asyncio.ensure_future(guarded())
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def render(self, name: str, status: int = 200, **context) -> HTTPResponse:
        return response.html(self.templates.get_template(name).render(**context), status=status)

    async def start(self) -> None:
        self.pool.start()
        await self.rasa.start()

    async def stop(self) -> None:
        if self._running:
            await asyncio.wait(set(self._running), timeout=5)
        await self.rasa.stop()
        self.pool.stop()
