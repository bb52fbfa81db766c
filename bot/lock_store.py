"""Rasa's Redis lock store, safe across replicas (the production profile,
deploy/rasa-endpoints.yml: `type: bot.lock_store.AtomicRedisLockStore`).

Rasa 3.6's RedisLockStore keeps each conversation's ticket queue as one JSON value and
changes it by reading it, changing it in the process and writing it back. Two replicas
that take a message of the same conversation at the same moment both read the queue
before either writes: both get ticket 0, both think they are served, and both process
the conversation at once. Each then saves its tracker by counting the events already
stored (SQLTrackerStore), so one replica's user message is lost. With two replicas and
six messages at once, two were missing from the tracker (tests/production/test_profile.py).
Rasa fixed this only in its commercial edition (RasaHQ/rasa pull request 11256).

Here every change of a queue (issue a ticket, drop expired ones, finish serving, clean
up) is one optimistic Redis transaction: WATCH the key, read, MULTI, write; a replica
whose key changed meanwhile reads again. Tickets, their order and their lifetimes are
Rasa's own (rasa.core.lock.TicketLock), so waiting works as in stock Rasa.
"""
from __future__ import annotations

import json
import logging
from typing import Callable, Optional, Text, Tuple, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

T = TypeVar("T")
# What a change does to a conversation's queue: its result and the queue to store
# (None deletes the key).
Change = Callable[[Optional[TicketLock]], Tuple[T, Optional[TicketLock]]]


class AtomicRedisLockStore(RedisLockStore):
    """RedisLockStore whose queue changes are Redis transactions (same keys, same
    settings: url, port, db, password, key_prefix, ...)."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _change(self, conversation_id: Text, change: Change) -> T:
        key = self.key_prefix + conversation_id

        def attempt(pipe) -> T:
            stored = pipe.get(key)  # immediate mode: the key is watched
            lock = TicketLock.from_dict(json.loads(stored)) if stored else None
            result, changed = change(lock)
            pipe.multi()
            if changed is None:
                pipe.delete(key)
            else:
                pipe.set(key, changed.dumps())
            return result

        # Runs `attempt` again whenever another replica wrote the key after the read.
        return self.red.transaction(attempt, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: Text,
                     lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]) -> Tuple[int, TicketLock]:
            lock = lock or self.create_lock(conversation_id)
            return lock.issue_ticket(lock_lifetime), lock

        try:
            return self._change(conversation_id, issue)
        except Exception as error:  # as Rasa's own: the message is refused, not lost
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: Text) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_expired_tickets()
            return None, lock

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return None, lock

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """The ticket served, and the queue deleted when nobody waits, in one step (in
        stock Rasa a ticket issued between the two was deleted with the queue)."""
        def finish(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
                if not lock.is_someone_waiting():
                    lock = None
            return None, lock

        self._change(conversation_id, finish)
