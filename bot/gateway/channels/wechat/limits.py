"""How fast a WeChat member may make the bot work (per openid and per callback address,
bot/gateway/ratelimit.py). A limit never refuses a callback: WeChat would not resend a
message we turned away. A message over a limit is stored and answered `success`, shown
to managers (routed_to `limited`) but given no bot turn; the member gets one polite
notice per window instead. An emergency is never over a limit."""
from __future__ import annotations

from bot import redflags
from bot.gateway.access import AccessSettings
from bot.gateway.ratelimit import Limiter, Rate

# routed_to of a message kept over the rate limit (shown to managers, no bot turn).
LIMITED = "limited"


class MemberLimits:
    def __init__(self, access: AccessSettings) -> None:
        # The notice's window is the member limit's period (else the address limit's).
        window = access.wechat_member or access.wechat_address
        # In this process's memory: each replica limits on its own (ratelimit.py).
        self.limiter = Limiter({
            "member": access.wechat_member, "address": access.wechat_address,
            "notice": Rate(1, window.period, 1) if window is not None else None})

    def over(self, openid: str, address: str, text: str) -> bool:
        """Whether a new (stored) message is over the member's or the address's limit.
        An emergency never is: the bot's 120 instruction is what it needs."""
        if text and redflags.detect(text) is not None:
            return False
        return self.limiter.admit(("member", openid), ("address", address)) > 0

    def notice_due(self, openid: str) -> bool:
        """One notice per window per member, however many messages are over."""
        return self.limiter.once_per("notice", openid)
