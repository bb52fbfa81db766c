"""Where the gateway keeps WeChat's access token: in Redis, shared by every gateway
replica, with one refresh at a time across them (a short Redis lock); in this process
when Redis is not configured, and as a fallback while Redis cannot be reached.

wechatpy's clients read and write the token through a session storage (get, set,
delete); `SharedTokens` is one, plus `refresh_once`, which `StableTokenClient` in api.py
calls instead of fetching directly. Synchronous: the API client runs on worker threads."""
from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any, Callable, Dict, Optional, Tuple

from wechatpy.session import SessionStorage
from wechatpy.utils import json, to_text

logger = logging.getLogger(__name__)

PREFIX = "hm_wechat"
# A fetch takes one HTTP call (5 s timeout): the lock outlives it, and a replica that
# died holding it blocks the others no longer than that.
LOCK_SECONDS = 10.0
# How long a replica waits for the one refreshing before it fetches by itself.
WAIT_SECONDS = 6.0
POLL_SECONDS = 0.05
# Compare-and-delete: release the lock only while it is still ours.
RELEASE = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
           "return redis.call('del', KEYS[1]) else return 0 end")


class Memory(SessionStorage):
    """This process's copy, kept no longer than its time to live (wechatpy's
    MemoryStorage ignores it)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._data: Dict[str, Tuple[Any, Optional[float]]] = {}
        self._clock = clock

    def get(self, key: str, default: Any = None) -> Any:
        value, until = self._data.get(key, (default, None))
        if until is not None and self._clock() >= until:
            self._data.pop(key, None)
            return default
        return value

    def set(self, key: str, value: Any, ttl: Optional[int] = None) -> None:
        if value is not None:
            self._data[key] = (value, self._clock() + ttl if ttl else None)

    def delete(self, key: str) -> None:
        self._data.pop(key, None)


class SharedTokens(SessionStorage):
    """The token in Redis when it answers, else in this process (and always kept here
    too, so a Redis outage costs no extra fetch while the token is valid)."""

    def __init__(self, redis_url: Optional[str], prefix: str = PREFIX,
                 lock_seconds: float = LOCK_SECONDS, wait_seconds: float = WAIT_SECONDS
                 ) -> None:
        self.memory = Memory()
        self._refreshing = threading.Lock()  # this process's worker threads
        self.prefix = prefix
        self.lock_seconds, self.wait_seconds = lock_seconds, wait_seconds
        self.redis = None
        self._failing = False
        if redis_url:
            import redis

            self.redis = redis.Redis.from_url(redis_url, socket_connect_timeout=1,
                                              socket_timeout=2)

    @property
    def shared(self) -> bool:
        return self.redis is not None

    def key_name(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def _redis(self, call: Callable[[Any], Any]) -> Any:
        """`call(redis)`, or raise `Unavailable` (logged once per outage)."""
        if self.redis is None:
            raise Unavailable()
        try:
            result = call(self.redis)
        except Exception as error:  # redis.RedisError, OSError: fall back to memory
            if not self._failing:
                logger.warning("wechat token: Redis unavailable (%s); using this "
                               "process's copy until it is back", error)
            self._failing = True
            raise Unavailable() from None
        if self._failing:
            logger.info("wechat token: Redis is back")
        self._failing = False
        return result

    def get(self, key: str, default: Any = None) -> Any:
        try:
            value = self._redis(lambda r: r.get(self.key_name(key)))
        except Unavailable:
            return self.memory.get(key, default)
        return default if value is None else json.loads(to_text(value))

    def set(self, key: str, value: Any, ttl: Optional[int] = None) -> None:
        if value is None:
            return
        self.memory.set(key, value, ttl)
        try:
            self._redis(lambda r: r.set(self.key_name(key), json.dumps(value), ex=ttl))
        except Unavailable:
            pass

    def delete(self, key: str) -> None:
        self.memory.delete(key)
        try:
            self._redis(lambda r: r.delete(self.key_name(key)))
        except Unavailable:
            pass

    def refresh_once(self, key: str, fetch: Callable[[], None]) -> Any:
        """The token under `key`, fetched by one replica at a time: the one that takes
        the lock fetches (unless a token arrived meanwhile); the others wait for its
        token, and fetch by themselves only if none comes (it died, WeChat refused)."""
        with self._refreshing:
            token = self.get(key)  # another thread of this replica may just have done it
            return token if token else self._refresh_across_replicas(key, fetch)

    def _refresh_across_replicas(self, key: str, fetch: Callable[[], None]) -> Any:
        lock = self.key_name(f"{key}:refreshing")
        mine = uuid.uuid4().hex
        try:
            taken = self._redis(lambda r: r.set(lock, mine, nx=True,
                                                px=int(self.lock_seconds * 1000)))
        except Unavailable:
            fetch()
            return self.get(key)
        if taken:
            try:
                token = self.get(key)
                if token:
                    return token
                fetch()
                return self.get(key)
            finally:
                try:
                    self._redis(lambda r: r.eval(RELEASE, 1, lock, mine))
                except Unavailable:
                    pass  # it expires by itself
        deadline = time.monotonic() + self.wait_seconds
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            token = self.get(key)
            if token:
                return token
        fetch()
        return self.get(key)


class Unavailable(Exception):
    """Redis is not configured or did not answer."""
