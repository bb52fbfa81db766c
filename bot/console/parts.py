"""What the console needs of the gateway, handed in by the gateway's wiring module
(bot/gateway/app.py): the console never reaches for the gateway itself."""
from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.db import DatabasePool
from bot.gateway.handoff import Handoffs
from bot.gateway.live import Hub
from bot.gateway.members import Members
from bot.gateway.settings import Settings
from bot.gateway.tasks import Tasks


@dataclass(frozen=True)
class ConsoleParts:
    settings: Settings  # login limits, session hours, cookies, proxies, review folders
    pool: DatabasePool
    clock: Clock
    hub: Hub  # live updates of the queue and the conversations
    members: Members  # who a chat identity is, and their profile
    handoffs: Handoffs  # claim, reply, hand back, close
    tasks: Tasks  # actions run to the end even if the manager's browser goes away
