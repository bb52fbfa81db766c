"""Rasa's SQL tracker store for the production profile (deploy/rasa-endpoints.yml), able
to forget a conversation.

Rasa's own SQLTrackerStore only ever appends: replacing a conversation's events with
none (`PUT /conversations/<id>/tracker/events` with `[]`, which is how the gateway
forgets a member who unsubscribed, bot/gateway/rasa.py `forget`) stores nothing and
deletes nothing, so the member's words would stay in the database for good. Here a
tracker saved with no events deletes the conversation's rows. Rasa never saves an empty
tracker otherwise: a new conversation starts with `action_listen` or `session_started`.
"""
from __future__ import annotations

import logging

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)


class ForgettingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore (same table, same settings) where saving an empty tracker
    deletes the conversation."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        if tracker.events:
            await super().save(tracker)
            return
        with self.session_scope() as session:
            deleted = (session.query(self.SQLEvent)
                       .filter(self.SQLEvent.sender_id == tracker.sender_id)
                       .delete(synchronize_session=False))
            session.commit()
        # The sender id names the member's channel identity: counts only in the log.
        logger.info("forgot a conversation: %d tracker events deleted", deleted)
