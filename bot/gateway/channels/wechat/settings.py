"""The WeChat channel's settings, read once from the environment (docs/wechat.md).
Unset HM_WECHAT_TOKEN means the channel is not configured and not mounted."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional

from bot.gateway.channels.wechat import menu
from bot.gateway.channels.wechat.api import DEFAULT_API_BASE
from bot.gateway.channels.wechat.protocol import (
    DEFAULT_MAX_SKEW_SECONDS,
    ENCRYPTED_MODES,
    MODES,
)

CHANNEL = "wechat"  # the channel's name on conversations and channel rows
# Menu keys (CLICK EventKey, set when the menu is created) -> the intent they trigger:
# the menu's own (menu.py), and those of the menu an earlier version created.
DEFAULT_MENU_INTENTS: Dict[str, str] = {**menu.EARLIER_KEYS, **menu.intents(menu.MENU)}
ENCODING_AES_KEY_LENGTH = 43


def _seconds(environ: Mapping[str, str], name: str, default: float,
             allow_zero: bool = False) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise WeChatSettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < 0 or (value == 0 and not allow_zero):
        raise WeChatSettingsError(f"{name} must be {'zero or ' if allow_zero else ''}positive")
    return value


class WeChatSettingsError(ValueError):
    """A WeChat setting is missing or malformed; the message says which."""


def _aes_key(environ: Mapping[str, str], name: str) -> Optional[str]:
    value = environ.get(name, "").strip() or None
    if value is not None and (len(value) != ENCODING_AES_KEY_LENGTH or not value.isalnum()):
        raise WeChatSettingsError(
            f"{name} must be the 43-character EncodingAESKey from the account's console")
    return value


def _json_object(environ: Mapping[str, str], name: str, shape: str) -> Dict[str, str]:
    raw = environ.get(name, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise WeChatSettingsError(f"{name} must be a JSON object {shape}")
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
    # Outbound (the customer-service API). Without the secret, replies are kept as
    # undeliverable and the gateway says so at start.
    app_secret: Optional[str] = None
    api_base: str = DEFAULT_API_BASE
    redis_url: Optional[str] = None  # the shared access-token cache (all replicas)
    api_timeout: float = 5.0
    send_retries: int = 3  # for -1 (busy), 45011 and requests that never left
    retry_backoff: float = 0.5  # seconds, doubled on each retry
    typing_after: float = 1.0  # show "typing" when the bot takes longer than this
    # Template ids by notice kind (appointment_reminder, preauth_result): operator
    # settings, from the account's template library.
    templates: Dict[str, str] = field(default_factory=dict)

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
        max_skew = _seconds(environ, "HM_WECHAT_MAX_SKEW", DEFAULT_MAX_SKEW_SECONDS)
        menu_intents = {**DEFAULT_MENU_INTENTS, **_json_object(
            environ, "HM_WECHAT_MENU_INTENTS", '{"menu key": "intent"}')}
        templates = _json_object(environ, "HM_WECHAT_TEMPLATES",
                                 '{"appointment_reminder": "template id", ...}')
        path = environ.get("HM_WECHAT_PATH", "").strip() or "/wechat"
        if not path.startswith("/"):
            raise WeChatSettingsError("HM_WECHAT_PATH must start with /")
        api_base = (environ.get("HM_WECHAT_API_BASE", "").strip() or DEFAULT_API_BASE)
        if not api_base.startswith(("http://", "https://")):
            raise WeChatSettingsError("HM_WECHAT_API_BASE must be an http(s) URL")
        return cls(token=token, app_id=app_id, mode=mode, aes_key=aes_key,
                   aes_key_previous=previous, max_skew=max_skew, path=path.rstrip("/"),
                   menu_intents=menu_intents,
                   app_secret=environ.get("HM_WECHAT_APPSECRET", "").strip() or None,
                   api_base=api_base.rstrip("/"),
                   redis_url=environ.get("HM_REDIS_URL", "").strip() or None,
                   api_timeout=_seconds(environ, "HM_WECHAT_API_TIMEOUT", 5.0),
                   send_retries=int(_seconds(environ, "HM_WECHAT_SEND_RETRIES", 3,
                                             allow_zero=True)),
                   retry_backoff=_seconds(environ, "HM_WECHAT_RETRY_BACKOFF", 0.5,
                                          allow_zero=True),
                   typing_after=_seconds(environ, "HM_WECHAT_TYPING_AFTER", 1.0,
                                         allow_zero=True),
                   templates=templates)
