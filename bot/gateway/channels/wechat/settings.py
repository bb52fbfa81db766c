"""The WeChat channel's settings, read once from the environment (docs/wechat.md).
Unset HM_WECHAT_TOKEN means the channel is not configured and not mounted."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional

from bot.gateway.channels.wechat.protocol import (
    DEFAULT_MAX_SKEW_SECONDS,
    ENCRYPTED_MODES,
    MODES,
)

# Menu keys (CLICK EventKey, set when the menu is created) -> the intent they trigger.
DEFAULT_MENU_INTENTS: Dict[str, str] = {
    "预约就诊": "book_appointment",
    "预授权": "ask_preauth_required",
    "联系管家": "request_human",
}
ENCODING_AES_KEY_LENGTH = 43


class WeChatSettingsError(ValueError):
    """A WeChat setting is missing or malformed; the message says which."""


def _aes_key(environ: Mapping[str, str], name: str) -> Optional[str]:
    value = environ.get(name, "").strip() or None
    if value is not None and (len(value) != ENCODING_AES_KEY_LENGTH or not value.isalnum()):
        raise WeChatSettingsError(
            f"{name} must be the 43-character EncodingAESKey from the account's console")
    return value


@dataclass(frozen=True)
class WeChatSettings:
    token: str
    app_id: str
    mode: str = "safe"
    aes_key: Optional[str] = None
    aes_key_previous: Optional[str] = None  # kept during a key rotation
    max_skew: float = DEFAULT_MAX_SKEW_SECONDS
    path: str = "/wechat"
    menu_intents: Dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MENU_INTENTS))

    @property
    def encrypted(self) -> bool:
        return self.mode in ENCRYPTED_MODES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Optional["WeChatSettings"]:
        token = environ.get("HM_WECHAT_TOKEN", "").strip()
        if not token:
            return None
        app_id = environ.get("HM_WECHAT_APPID", "").strip()
        if not app_id:
            raise WeChatSettingsError("HM_WECHAT_APPID is required with HM_WECHAT_TOKEN")
        mode = environ.get("HM_WECHAT_MODE", "").strip().lower() or "safe"
        if mode not in MODES:
            raise WeChatSettingsError(f"HM_WECHAT_MODE must be one of {', '.join(MODES)}, "
                                      f"got {mode!r}")
        aes_key = _aes_key(environ, "HM_WECHAT_AES_KEY")
        previous = _aes_key(environ, "HM_WECHAT_AES_KEY_PREVIOUS")
        if mode in ENCRYPTED_MODES and aes_key is None:
            raise WeChatSettingsError(f"HM_WECHAT_AES_KEY is required in {mode} mode")
        raw_skew = environ.get("HM_WECHAT_MAX_SKEW", "").strip()
        try:
            max_skew = float(raw_skew) if raw_skew else DEFAULT_MAX_SKEW_SECONDS
        except ValueError:
            raise WeChatSettingsError(f"HM_WECHAT_MAX_SKEW must be seconds, got {raw_skew!r}") \
                from None
        if max_skew <= 0:
            raise WeChatSettingsError("HM_WECHAT_MAX_SKEW must be positive")
        menu = dict(DEFAULT_MENU_INTENTS)
        raw_menu = environ.get("HM_WECHAT_MENU_INTENTS", "").strip()
        if raw_menu:
            try:
                extra = json.loads(raw_menu)
            except ValueError:
                extra = None
            if not isinstance(extra, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in extra.items()):
                raise WeChatSettingsError(
                    'HM_WECHAT_MENU_INTENTS must be a JSON object {"menu key": "intent"}')
            menu.update(extra)
        path = environ.get("HM_WECHAT_PATH", "").strip() or "/wechat"
        if not path.startswith("/"):
            raise WeChatSettingsError("HM_WECHAT_PATH must start with /")
        return cls(token=token, app_id=app_id, mode=mode, aes_key=aes_key,
                   aes_key_previous=previous, max_skew=max_skew, path=path.rstrip("/"),
                   menu_intents=menu)
