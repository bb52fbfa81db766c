"""Who can answer the member right now: managers (08:30-20:30) and the call centre
(08:00-22:00), said with the named responses in domain.yml."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from rasa_sdk.executor import CollectingDispatcher

from bot.clock import (
    Clock,
    call_center_open,
    describe_wait_until,
    managers_open,
    next_call_center_opening,
    next_manager_opening,
)


@lru_cache(maxsize=1)
def clock() -> Clock:
    """The process's clock (HM_NOW freezes it for tests and demos)."""
    return Clock.from_env()


def utter_who_is_available(dispatcher: CollectingDispatcher, now: datetime) -> None:
    """One message saying whether a manager or the call centre can answer now."""
    if managers_open(now):
        dispatcher.utter_message(response="utter_hours_managers_open")
        return
    manager_reopen = describe_wait_until(now, next_manager_opening(now))
    if call_center_open(now):
        dispatcher.utter_message(
            response="utter_hours_call_center_only", manager_reopen=manager_reopen
        )
        return
    dispatcher.utter_message(
        response="utter_hours_all_closed",
        manager_reopen=manager_reopen,
        call_center_reopen=describe_wait_until(now, next_call_center_opening(now)),
    )
