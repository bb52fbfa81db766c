"""Who a chat identity is, and their profile, from the backends (bot/clients.py): the
router binds a conversation to its member, the console shows the profile."""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Tuple

from bot.clients import BackendError, BackendsClient

logger = logging.getLogger(__name__)


class Members:
    def __init__(self, backends: BackendsClient) -> None:
        self.backends = backends

    async def identify(self, channel: str, external_id: str) -> Tuple[Optional[int], bool]:
        """(the backends' member id or None, whether the backends answered): None and
        True is a chat identity bound to nobody; None and False, the backends are down."""
        try:
            member = await self.backends.member_by_channel(channel, external_id)
        except BackendError as error:
            logger.warning("member lookup failed: %s", error)
            return None, False
        return (None if member is None else int(member["id"])), True

    async def health_manager(self, member_id: int) -> Tuple[Optional[str], bool]:
        """(the console username of the member's own health manager or None, whether the
        backends answered)."""
        try:
            member = await self.backends.member(member_id)
        except BackendError as error:
            logger.warning("health manager of member %s not known: %s", member_id, error)
            return None, False
        return member.get("health_manager") or None, True

    async def profile(self, member_id: int) -> Optional[Dict[str, Any]]:
        """Policy, waiting period, direct-pay card, appointments, pre-auth cases,
        emergency notices; None when the backends cannot say."""
        try:
            return await self.backends.profile(member_id)
        except BackendError as error:
            logger.warning("profile of member %s failed: %s", member_id, error)
            return None

    async def unlink(self, channel: str, external_id: str) -> bool:
        """Forget the link between a chat identity and its policy (WeChat unfollow);
        False when the backends could not be told (logged for an operator)."""
        try:
            await self.backends.unlink_channel(channel, external_id)
            return True
        except BackendError as error:
            logger.error("unlinking a %s identity failed: %s; unlink it by hand", channel, error)
            return False
