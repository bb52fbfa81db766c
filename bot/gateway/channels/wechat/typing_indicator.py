"""WeChat's "typing" indicator while the bot thinks: shown when a turn takes longer than
`typing_after` (WeChat allows it only within 30 s of the member's message; any message
we send ends it), cancelled when the turn ends with nothing said."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Optional

from bot.gateway.channels.wechat.api import WeChatApi, WeChatApiError
from bot.gateway.types import Receipt

logger = logging.getLogger(__name__)


class TypingIndicator:
    def __init__(self, api: Optional[WeChatApi], typing_after: float) -> None:
        self.api = api
        self.typing_after = typing_after

    async def around(self, openid: str, turn: Callable[[], Awaitable[Receipt]],
                     show: bool = True) -> Receipt:
        """Run the bot's turn, typing if it takes a while (`show`: the bot has the
        conversation; a person who has it types for themselves)."""
        shown = asyncio.Event()
        later = None
        if self.api is not None and show:
            later = asyncio.ensure_future(self._later(openid, shown))
        try:
            receipt = await turn()
        finally:
            if later is not None:
                later.cancel()
        if shown.is_set() and not receipt.replies:
            await self._command(openid, "CancelTyping")
        return receipt

    async def _later(self, openid: str, shown: asyncio.Event) -> None:
        await asyncio.sleep(self.typing_after)
        if await self._command(openid, "Typing"):
            shown.set()

    async def _command(self, openid: str, command: str) -> bool:
        assert self.api is not None
        try:
            await self.api.typing(openid, command)
            return True
        except WeChatApiError as error:
            # 45080 (no interaction in 30 s) and 45081 (already typing) are expected.
            logger.info("wechat %s not shown: %s", command, error)
            return False
