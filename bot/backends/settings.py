"""The backends service's settings, read once from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional

from bot.processes import ROOT

DB_ENV = "HM_BACKENDS_DB"
TOKEN_ENV = "HM_BACKENDS_TOKEN"
PORT_ENV = "HM_BACKENDS_PORT"
HOST_ENV = "HM_BACKENDS_HOST"

DEFAULT_DB_URL = f"sqlite:///{ROOT / 'var' / 'backends.sqlite3'}"
DEFAULT_PORT = 8000
DEFAULT_HOST = "127.0.0.1"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    db_url: str
    token: Optional[str]  # required to serve; migrate and seed do without
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        raw_port = environ.get(PORT_ENV, "").strip() or str(DEFAULT_PORT)
        try:
            port = int(raw_port)
        except ValueError:
            raise SettingsError(f"{PORT_ENV} must be a port number, got {raw_port!r}") from None
        return cls(
            db_url=environ.get(DB_ENV, "").strip() or DEFAULT_DB_URL,
            token=environ.get(TOKEN_ENV, "").strip() or None,
            host=environ.get(HOST_ENV, "").strip() or DEFAULT_HOST,
            port=port,
        )

    def require_token(self) -> str:
        if not self.token:
            raise SettingsError(
                f"{TOKEN_ENV} is not set: the backends API refuses to start without a "
                f"bearer token. Set it, e.g. `export {TOKEN_ENV}=$(openssl rand -hex 24)`, "
                "and give the same value to the clients."
            )
        return self.token
