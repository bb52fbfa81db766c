"""Console login throttling (登录限速) and lockout (锁定): pure functions of the recorded
failures and an explicit `now`; the failures live in the gateway database
(accounts.login_state), so every gateway replica counts the same ones.

The rules, read once:
- Within `window` minutes, after `account_free` failures for one username, or
  `address_free` failures from one client address, each further try waits
  `delay`, 2x`delay`, 4x`delay` ... seconds after the latest failure (at most the
  window). A try within the wait is refused at once and verifies nothing, so it is no
  failure and reveals nothing about the password.
- After `lockout` failures for one username since its last successful login (or since
  an admin lifted the lock), the account is locked: every try is refused, the right
  password too, until an admin lifts it. A username that names no account behaves the
  same, so the answers do not tell which accounts exist.
- A successful login clears the account's failures (not the address's)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping, Sequence

DEFAULT_ACCOUNT_FREE = 5
DEFAULT_ADDRESS_FREE = 20
DEFAULT_WINDOW_MINUTES = 15.0
DEFAULT_DELAY_SECONDS = 1.0
DEFAULT_LOCKOUT = 10


@dataclass(frozen=True)
class LoginLimits:
    account_free: int = DEFAULT_ACCOUNT_FREE  # failures per username before delays
    address_free: int = DEFAULT_ADDRESS_FREE  # failures per client address before delays
    window_minutes: float = DEFAULT_WINDOW_MINUTES
    delay_seconds: float = DEFAULT_DELAY_SECONDS  # the first delay; it doubles
    lockout: int = DEFAULT_LOCKOUT  # failures per username that lock the account

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], number: Callable[..., Any]) -> "LoginLimits":
        """`number(environ, name, default, kind)`: the settings' reader of a positive
        number, which names a malformed one (bot.gateway.settings)."""
        return cls(
            account_free=number(environ, "HM_CONSOLE_LOGIN_ACCOUNT_FREE",
                                DEFAULT_ACCOUNT_FREE, int),
            address_free=number(environ, "HM_CONSOLE_LOGIN_ADDRESS_FREE",
                                DEFAULT_ADDRESS_FREE, int),
            window_minutes=number(environ, "HM_CONSOLE_LOGIN_WINDOW_MINUTES",
                                  DEFAULT_WINDOW_MINUTES),
            delay_seconds=number(environ, "HM_CONSOLE_LOGIN_DELAY_SECONDS",
                                 DEFAULT_DELAY_SECONDS),
            lockout=number(environ, "HM_CONSOLE_LOGIN_LOCKOUT", DEFAULT_LOCKOUT, int),
        )


def wait_seconds(failures: Sequence[datetime], free: int, limits: LoginLimits,
                 now: datetime) -> float:
    """How long the next try must still wait, given the failures within the window
    (any order): 0 up to `free` failures, then delay x 2^(failures - free) after the
    latest one, never more than the window."""
    recent = [at for at in failures if at > now - limits.window]
    if len(recent) < free:
        return 0.0
    doublings = min(len(recent) - free, 32)
    delay = min(limits.delay_seconds * 2 ** doublings, limits.window.total_seconds())
    remaining = (max(recent) + timedelta(seconds=delay) - now).total_seconds()
    return max(remaining, 0.0)


@dataclass(frozen=True)
class Verdict:
    """Whether a login may be tried now: `locked`, or refused for `wait` seconds."""

    locked: bool = False
    wait: float = 0.0

    @property
    def may_try(self) -> bool:
        return not self.locked and self.wait <= 0

    @property
    def wait_label(self) -> int:
        """Whole seconds to tell the user (rounded up, at least 1)."""
        return max(1, math.ceil(self.wait))


def verdict(account_failures: Sequence[datetime], address_failures: Sequence[datetime],
            locked: bool, limits: LoginLimits, now: datetime) -> Verdict:
    """`account_failures`: the username's failures since its last success or lift;
    `address_failures`: the address's failures within the window; `locked`: an
    account lock is on record."""
    if locked or len(account_failures) >= limits.lockout:
        return Verdict(locked=True)
    wait = max(wait_seconds(account_failures, limits.account_free, limits, now),
               wait_seconds(address_failures, limits.address_free, limits, now))
    return Verdict(wait=wait)


def locks_now(account_failures: int, limits: LoginLimits) -> bool:
    """After recording a failure: does this one lock the account?"""
    return account_failures >= limits.lockout



class InFlight:
    """The password checks running in this process, per username and per address. The
    failures are read before a check and written after it, so tries sent in parallel
    would all read the same count: while a username is being checked, another try for
    it is refused (as a wait of a second), and an address has at most a few at once
    (managers behind one office address may log in together). Several replicas each
    allow as many: a burst is bounded by the replica count, not by the attacker."""

    def __init__(self, per_account: int = 1, per_address: int = 4) -> None:
        self._limits = {"account": per_account, "address": per_address}
        self._running: dict = {}

    def enter(self, username: str, address: str) -> bool:
        keys = (("account", username), ("address", address))
        if any(self._running.get(key, 0) >= self._limits[key[0]] for key in keys):
            return False
        for key in keys:
            self._running[key] = self._running.get(key, 0) + 1
        return True

    def leave(self, username: str, address: str) -> None:
        for key in (("account", username), ("address", address)):
            left = self._running.get(key, 0) - 1
            if left > 0:
                self._running[key] = left
            else:
                self._running.pop(key, None)
