"""Booking on the member's behalf (issue 15): a manager looks up availability and
books, reschedules or cancels through the backends API, so the handbook's rules apply
exactly as when the member books with the bot (the backends decide); the member is told
in the conversation, and the console audits every action (bot/console/routes.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, List, Optional

from bot import wording
from bot.catalog import load_catalog
from bot.clients import BackendRefused, BackendsClient, BackendUnavailable, idempotency_key
from bot.clock import SHANGHAI

SLOTS_SHOWN = 8


class BookingRefused(Exception):
    """The backends said no (a rule), or could not be reached: the Chinese reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def choices() -> Dict[str, List[Dict[str, str]]]:
    """The network's hospitals and the departments, for the look-up form."""
    catalog = load_catalog()
    return {"hospitals": [{"id": h.id, "name": f"{h.name}（{h.city}）"} for h in catalog.hospitals],
            "departments": [{"id": d.id, "name": d.name} for d in catalog.departments]}


@dataclass(frozen=True)
class Search:
    hospital_id: str
    department_id: str
    day: date
    reschedule: Optional[int] = None     # the appointment to move, if rescheduling

    @classmethod
    def from_args(cls, args: Any, today: date) -> Optional["Search"]:
        """The look-up the page was asked for (?hospital_id=&department_id=&day=), or None."""
        hospital, department = args.get("hospital_id"), args.get("department_id")
        if not hospital or not department:
            return None
        try:
            day = date.fromisoformat(args.get("day") or "")
        except ValueError:
            day = today + timedelta(days=1)
        try:
            moved = int(args.get("reschedule")) if args.get("reschedule") else None
        except ValueError:
            moved = None
        return cls(str(hospital)[:60], str(department)[:60], day, moved)


async def look_up(backends: BackendsClient, member_id: int, search: Search) -> Dict[str, Any]:
    """Free slots that day for this member (the backends apply the member's rules: lead
    time, waiting period, no-shows, popular experts), or the reason and alternatives."""
    start = datetime.combine(search.day, time(0, 0), tzinfo=SHANGHAI)
    try:
        answer = await backends.availability(
            member_id=member_id, hospital_id=search.hospital_id,
            department_id=search.department_id, start=start.isoformat(),
            end=(start + timedelta(days=1)).isoformat(), limit=SLOTS_SHOWN)
    except BackendRefused as refused:
        return {"slots": [], "reason": refused.message}
    except BackendUnavailable:
        return {"slots": [], "reason": "预约系统暂时无法连接，请稍后再试。"}
    slots = [answer["slot"]] if answer.get("available") and answer.get("slot") else []
    slots += [s for s in answer.get("alternatives") or [] if s not in slots]
    return {"slots": [{"id": s["id"], "label": wording.slot_label(s)} for s in slots
                      if s.get("id")][:SLOTS_SHOWN],
            "reason": "" if answer.get("available") else (answer.get("message") or "")}


async def _call(work) -> Dict[str, Any]:
    try:
        return await work
    except BackendRefused as refused:
        raise BookingRefused(refused.message) from refused
    except BackendUnavailable as down:
        raise BookingRefused("预约系统暂时无法连接，没有办理成功，请稍后再试。") from down


async def book(backends: BackendsClient, manager_id: int, member_id: int,
               slot_id: int) -> Dict[str, Any]:
    key = idempotency_key("console-book", manager_id, member_id, slot_id)
    return await _call(backends.book(key, member_id, slot_id))   # the appointment itself


async def cancel(backends: BackendsClient, manager_id: int, member_id: int,
                 appointment_id: int) -> Dict[str, Any]:
    key = idempotency_key("console-cancel", manager_id, member_id, appointment_id)
    return (await _call(backends.cancel(key, appointment_id, member_id)))["appointment"]


async def reschedule(backends: BackendsClient, manager_id: int, member_id: int,
                     appointment_id: int, slot_id: int) -> Dict[str, Any]:
    key = idempotency_key("console-reschedule", manager_id, member_id, appointment_id, slot_id)
    return (await _call(backends.reschedule(key, appointment_id, member_id, slot_id)))[
        "appointment"]
