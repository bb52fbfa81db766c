"""A simulator of WeChat's Official Account servers (the API our client calls and the
callbacks WeChat posts to us), for tests and demos: docs/wechat_simulator.md."""
from bot.wechat_simulator.account import (
    Limits,
    NotFollowing,
    NotInMenu,
    SimulatorError,
    TypingPeriod,
)
from bot.wechat_simulator.api import Call
from bot.wechat_simulator.delivery import Attempt, Delivery
from bot.wechat_simulator.messages import BANNER
from bot.wechat_simulator.server import AsyncSimulator, WeChatSimulator

__all__ = ["WeChatSimulator", "AsyncSimulator", "Limits", "Delivery", "Attempt", "Call",
           "TypingPeriod", "SimulatorError", "NotFollowing", "NotInMenu", "BANNER"]
