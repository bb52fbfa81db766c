"""The settings of the member-facing edges: who may start a web chat session (demo
members only in demo mode, otherwise a signed link or a guest) and how fast members may
write (web chat and the WeChat callback). Read once with the gateway's settings."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple

from bot.gateway.links import MIN_SECRET_LENGTH
from bot.gateway.ratelimit import IPNetwork, Rate, parse_networks

# Defaults (docs/gateway.md): a person types far slower; a script does not.
CHAT_STARTS = Rate(10, 600, 10)  # session starts per address: 10 per 10 minutes
CHAT_MESSAGES = Rate(20, 60, 8)  # messages per conversation: 20 a minute, 8 at once
CHAT_ADDRESS = Rate(60, 60, 30)  # messages per address (several members behind one NAT)
WECHAT_MEMBER = Rate(20, 60, 8)  # bot turns per openid
# Every member's callbacks come from WeChat's few servers: this is nearly a global cap.
WECHAT_ADDRESS = Rate(600, 60, 300)


def _rate(environ: Mapping[str, str], name: str, default: Rate) -> Optional[Rate]:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return Rate.parse(raw)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


@dataclass(frozen=True)
class AccessSettings:
    # HM_DEMO=1: the page offers the demo members and /chat/api/start takes {"member"}.
    demo: bool = False
    # Signs web chat links (links.py); needed only where links are issued or accepted.
    link_secret: Optional[str] = None
    # Proxies whose X-Forwarded-For is believed (HM_TRUSTED_PROXIES); none by default.
    trusted_proxies: Tuple[IPNetwork, ...] = ()
    chat_starts: Optional[Rate] = CHAT_STARTS
    chat_messages: Optional[Rate] = CHAT_MESSAGES
    chat_address: Optional[Rate] = CHAT_ADDRESS
    wechat_member: Optional[Rate] = WECHAT_MEMBER
    wechat_address: Optional[Rate] = WECHAT_ADDRESS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "AccessSettings":
        """ValueError names the malformed setting."""
        secret = environ.get("HM_GATEWAY_LINK_SECRET", "").strip() or None
        if secret is not None and len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"HM_GATEWAY_LINK_SECRET must be at least {MIN_SECRET_LENGTH} "
                             "random characters (scripts/run.sh generates one)")
        try:
            proxies = parse_networks(environ.get("HM_TRUSTED_PROXIES", ""))
        except ValueError as error:
            raise ValueError(f"HM_TRUSTED_PROXIES: {error}") from None
        return cls(
            demo=environ.get("HM_DEMO", "").strip().lower() in ("1", "true", "yes", "on"),
            link_secret=secret,
            trusted_proxies=proxies,
            chat_starts=_rate(environ, "HM_CHAT_START_RATE", CHAT_STARTS),
            chat_messages=_rate(environ, "HM_CHAT_MESSAGE_RATE", CHAT_MESSAGES),
            chat_address=_rate(environ, "HM_CHAT_ADDRESS_RATE", CHAT_ADDRESS),
            wechat_member=_rate(environ, "HM_WECHAT_MEMBER_RATE", WECHAT_MEMBER),
            wechat_address=_rate(environ, "HM_WECHAT_ADDRESS_RATE", WECHAT_ADDRESS),
        )
