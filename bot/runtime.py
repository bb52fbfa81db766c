"""What every process of the product does first (gateway, backends, action server,
retention and review commands, the WeChat simulator): files it creates are private to
its user, its logs go through the one masking formatter (bot.logmask), and it listens
only where docs/security.md allows. The Rasa server gets the same formatter through its
logging configuration file (config/logging.yml)."""
from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from typing import Mapping, Optional

# Databases, logs and secrets are created 0600 (directories 0700): another account on
# the machine reads none of a member's data.
PRIVATE_UMASK = 0o077
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Binding an internal service anywhere but the loopback interface is a decision an
# operator writes down: "tls" (the service sits behind a TLS proxy) or "private" (a
# private network that only the product's hosts reach). docs/security.md.
EXPOSE_ENV = "HM_EXPOSE_INTERNAL"
EXPOSE_REASONS = ("tls", "private")


class UnsafeBind(SystemExit):
    """An internal service was asked to listen beyond this machine without a reason."""


def prepare(level: int = logging.INFO, fmt: str = LOG_FORMAT) -> None:
    """Private files, and logging through the masking formatter."""
    os.umask(PRIVATE_UMASK)
    logging.basicConfig(level=level, format=fmt)
    from bot import logmask  # imported here: bot.privacy loads the catalog once

    logmask.install()


def bearer_matches(header: Optional[str], token: str) -> bool:
    """An internal service's one check of `Authorization: Bearer <token>`, constant time."""
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("utf-8"),
                                                              token.encode("utf-8"))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(service: str, host: str, environ: Mapping[str, str] = os.environ) -> None:
    """Refuse to listen beyond this machine unless the operator said why it is safe."""
    if is_loopback(host):
        return
    reason: Optional[str] = environ.get(EXPOSE_ENV, "").strip().lower() or None
    if reason not in EXPOSE_REASONS:
        raise UnsafeBind(
            f"{service}: refusing to listen on {host}. Internal services listen on "
            f"127.0.0.1 unless {EXPOSE_ENV}=tls (behind a TLS proxy) or "
            f"{EXPOSE_ENV}=private (a private network) says why it is safe "
            f"(docs/security.md).")
