"""The gateway's settings, read once from the environment (docs/gateway.md)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from bot import identity
from bot.clients import BackendSettings
from bot.console.throttle import LoginLimits
from bot.gateway.access import AccessSettings
from bot.gateway.channels.wechat.settings import WeChatSettings, WeChatSettingsError
from bot.processes import ROOT

DEFAULT_DB_URL = f"sqlite:///{ROOT / 'var' / 'gateway.sqlite3'}"
DEFAULT_PORT = 8080
DEFAULT_HOST = "127.0.0.1"
DEFAULT_RASA_URL = "http://127.0.0.1:5005"
# A Rasa turn may call the action server, which may call the backends (5 s each).
DEFAULT_RASA_TIMEOUT = 30.0
DEFAULT_SESSION_HOURS = 12
# Where the console's review export writes training data (data/nlu/reviewed.yml under it).
DEFAULT_REVIEW_DATA_DIR = ROOT / "data"
DEFAULT_REVIEW_STORIES_DIR = ROOT / "tests" / "stories"


class SettingsError(ValueError):
    """A setting is malformed; the message says which and how to fix it."""


def db_url_from_env(environ: Mapping[str, str] = os.environ) -> str:
    return environ.get("HM_GATEWAY_DB", "").strip() or DEFAULT_DB_URL


def _number(environ: Mapping[str, str], name: str, default: float, kind=float):
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {raw!r}")
    return value


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _wechat(environ: Mapping[str, str]) -> Optional[WeChatSettings]:
    try:
        return WeChatSettings.from_env(environ)
    except WeChatSettingsError as error:
        raise SettingsError(str(error)) from None


def _identity_secret(environ: Mapping[str, str]) -> Optional[bytes]:
    if not environ.get(identity.SECRET_ENV, ""):
        return None
    try:
        return identity.secret_from_env(environ)
    except identity.IdentityError as error:
        raise SettingsError(str(error)) from None


def _access(environ: Mapping[str, str]) -> AccessSettings:
    try:
        return AccessSettings.from_env(environ)
    except ValueError as error:
        raise SettingsError(str(error)) from None


@dataclass(frozen=True)
class Settings:
    db_url: str
    rasa_url: str
    backends: BackendSettings
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    rasa_timeout: float = DEFAULT_RASA_TIMEOUT
    rasa_token: Optional[str] = None  # `rasa run --auth-token`, when the API has one
    # Signs who the member is on every message to Rasa (bot/identity.py); the gateway
    # refuses to serve without it (Rasa's channel refuses unsigned messages).
    identity_secret: Optional[bytes] = None
    session_hours: int = DEFAULT_SESSION_HOURS
    # Send console cookies over HTTPS only (set behind TLS in production).
    secure_cookies: bool = False
    wechat: Optional[WeChatSettings] = None  # the WeChat channel, when configured
    # Bearer token of the services' API (notifications); unset = that API is off.
    api_token: Optional[str] = None
    # The training data the console's review export appends to (tests: a temporary copy).
    review_data_dir: Path = DEFAULT_REVIEW_DATA_DIR
    # Where a reviewed conversation saved as a test story goes (HM_REVIEW_STORIES_DIR).
    review_stories_dir: Path = DEFAULT_REVIEW_STORIES_DIR
    # Demo members, signed web chat links, members' rate limits (gateway/access.py).
    access: AccessSettings = AccessSettings()
    # Console login throttling and lockout (bot/console/throttle.py, docs/console.md).
    login_limits: LoginLimits = LoginLimits()
    # Redis shared by the gateway replicas (HM_REDIS_URL): the live hub's relay and
    # WeChat's access token. Unset (the embedded default): both stay in this process.
    redis_url: Optional[str] = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        return cls(
            db_url=db_url_from_env(environ),
            rasa_url=(environ.get("HM_RASA_URL", "").strip() or DEFAULT_RASA_URL).rstrip("/"),
            # Said once the gateway serves (app.Gateway): its other commands need no token.
            backends=BackendSettings.from_env(environ, warn=False),
            host=environ.get("HM_GATEWAY_HOST", "").strip() or DEFAULT_HOST,
            port=_number(environ, "HM_GATEWAY_PORT", DEFAULT_PORT, int),
            rasa_timeout=_number(environ, "HM_RASA_TIMEOUT", DEFAULT_RASA_TIMEOUT),
            rasa_token=environ.get("HM_RASA_TOKEN", "").strip() or None,
            identity_secret=_identity_secret(environ),
            session_hours=_number(environ, "HM_CONSOLE_SESSION_HOURS", DEFAULT_SESSION_HOURS, int),
            secure_cookies=_flag(environ, "HM_CONSOLE_SECURE_COOKIES"),
            wechat=_wechat(environ),
            api_token=environ.get("HM_GATEWAY_API_TOKEN", "").strip() or None,
            review_data_dir=Path(environ.get("HM_REVIEW_DATA_DIR", "").strip()
                                 or DEFAULT_REVIEW_DATA_DIR),
            review_stories_dir=Path(environ.get("HM_REVIEW_STORIES_DIR", "").strip()
                                    or DEFAULT_REVIEW_STORIES_DIR),
            access=_access(environ),
            login_limits=LoginLimits.from_env(environ, _number),
            redis_url=environ.get("HM_REDIS_URL", "").strip() or None,
        )

    @property
    def public_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"
