"""Rate limits at the member-facing edges (web chat starts and messages, the WeChat
callback's bot turns): token buckets per key, and the client's address.

Token bucket: a key may spend `burst` requests at once, and gets `count` per `period`
seconds back, evenly. A request that finds no token is refused with the seconds until
one is back (the HTTP answer's Retry-After).

State lives in this process's memory and the time is `time.monotonic` (elapsed time,
never the business clock, which HM_NOW freezes). Several gateway replicas each keep
their own buckets: behind a load balancer that spreads a member's requests over N
replicas, the effective limit is up to N times the setting (docs/gateway.md). A restart
forgets every bucket, which only ever lets more through.

Pure except for the monotonic clock, which is injectable; nothing of the package is
imported here."""
from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass
from typing import Callable, Dict, Hashable, Iterable, Optional, Sequence, Tuple, Union

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

# A bucket idle this long past full is forgotten; far more keys than this are pruned.
MAX_KEYS = 100_000


@dataclass(frozen=True)
class Rate:
    """`count` per `period` seconds, at most `burst` at once."""

    count: int
    period: float
    burst: int

    @classmethod
    def parse(cls, text: str) -> Optional["Rate"]:
        """`COUNT/SECONDS` or `COUNT/SECONDS:BURST` (burst defaults to COUNT); `off`
        means no limit (None). ValueError says what is wrong."""
        raw = text.strip().lower()
        if raw in ("off", "none"):
            return None
        spec, _, burst_text = raw.partition(":")
        count_text, slash, period_text = spec.partition("/")
        try:
            count = int(count_text)
            period = float(period_text) if slash else 0.0
            burst = int(burst_text) if burst_text else count
        except ValueError:
            raise ValueError(f"expected COUNT/SECONDS[:BURST] or off, got {text!r}") from None
        if count <= 0 or period <= 0 or burst <= 0:
            raise ValueError(f"count, seconds and burst must be positive, got {text!r}")
        return cls(count, period, burst)

    @property
    def per_second(self) -> float:
        return self.count / self.period

    def __str__(self) -> str:
        return f"{self.count}/{self.period:g}:{self.burst}"


class Buckets:
    """One token bucket per key, all at the same rate."""

    def __init__(self, rate: Rate, max_keys: int = MAX_KEYS) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._state: Dict[Hashable, Tuple[float, float]] = {}  # key -> (tokens, at)

    def _tokens(self, key: Hashable, now: float) -> float:
        tokens, at = self._state.get(key, (float(self.rate.burst), now))
        return min(float(self.rate.burst), tokens + (now - at) * self.rate.per_second)

    def wait(self, key: Hashable, now: float) -> float:
        """Seconds until `key` has a token (0: it has one now)."""
        missing = 1.0 - self._tokens(key, now)
        return 0.0 if missing <= 0 else missing / self.rate.per_second

    def take(self, key: Hashable, now: float) -> None:
        self._state[key] = (self._tokens(key, now) - 1.0, now)
        if len(self._state) > self.max_keys:
            self._prune(now)

    def _prune(self, now: float) -> None:
        """Forget full buckets (a new one starts full: nothing changes), then, if a
        flood of keys is still too many, the least recently used."""
        full = [k for k in self._state if self._tokens(k, now) >= self.rate.burst]
        for key in full:
            del self._state[key]
        if len(self._state) > self.max_keys:
            by_age = sorted(self._state, key=lambda k: self._state[k][1])
            for key in by_age[:len(self._state) - self.max_keys // 2]:
                del self._state[key]


Check = Tuple[Optional[Buckets], Hashable]


def admit(checks: Iterable[Check], now: float) -> float:
    """Take a token from every bucket, or from none: 0 when admitted, otherwise the
    longest wait (a refused request spends nothing). A None bucket is no limit."""
    active = [(buckets, key) for buckets, key in checks if buckets is not None]
    wait = max((buckets.wait(key, now) for buckets, key in active), default=0.0)
    if wait > 0:
        return wait
    for buckets, key in active:
        buckets.take(key, now)
    return 0.0


def retry_after(wait: float) -> int:
    """Whole seconds for the Retry-After header, at least 1."""
    return max(1, math.ceil(wait))


class Limiter:
    """Named buckets and the monotonic clock they share."""

    def __init__(self, rates: Dict[str, Optional[Rate]],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.buckets = {name: Buckets(rate) if rate is not None else None
                        for name, rate in rates.items()}
        self.monotonic = monotonic

    def admit(self, *checks: Tuple[str, Hashable]) -> float:
        """`admit(("start", address))`: 0 when admitted, else seconds to wait."""
        return admit([(self.buckets[name], key) for name, key in checks], self.monotonic())

    def once_per(self, name: str, key: Hashable) -> bool:
        """True at most once per the named bucket's period (a notice per window)."""
        return self.admit((name, key)) == 0


# ------------------------------------------------------------------ the client's address

def parse_networks(text: str) -> Tuple[IPNetwork, ...]:
    """`10.0.0.1, 172.16.0.0/12, ::1` -> networks; ValueError names the bad entry."""
    networks = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {part!r}") from None
    return tuple(networks)


def _trusted(address: str, proxies: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(peer: str, forwarded_for: Optional[str],
                   proxies: Sequence[IPNetwork]) -> str:
    """The address a request came from: the socket's peer, unless the peer is one of
    our trusted proxies; then X-Forwarded-For read from the right, skipping our own
    proxies (what a client wrote further left is not believed)."""
    if not proxies or not forwarded_for or not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage from a client: the proxy's address is all we know
    return peer
