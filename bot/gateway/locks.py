"""One asyncio lock per key (a conversation, a member), made on first use and dropped
when nobody holds or waits for it: work for one member runs in order, others in
parallel. Within one gateway process; across replicas the database decides."""
from __future__ import annotations

import asyncio
import weakref
from typing import Hashable


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: "weakref.WeakValueDictionary[Hashable, asyncio.Lock]" = (
            weakref.WeakValueDictionary())

    def __call__(self, key: Hashable) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock
