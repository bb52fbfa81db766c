"""What the console's pages show, assembled from the gateway database (synchronous
functions of a session) and the member's profile from the backends."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import privacy, wording
from bot.console import accounts
from bot.gateway import media, messages, queue, sla, store
from bot.gateway.models import Conversation, Message, User
from bot.gateway.queue import QueueItem


def short_time(value: Any) -> str:
    """11-24 10:05 for a datetime or an ISO string."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%m-%d %H:%M")


def queue_item_view(item: QueueItem, now: datetime) -> Dict[str, Any]:
    due = item.due_at is None or item.due_at <= now
    return {
        "kind": item.kind,
        "kind_label": messages.queue_kind(item.kind, None if due else short_time(item.due_at)),
        "id": item.id,
        "conversation_id": item.conversation_id,
        "member": item.member,
        "member_label": messages.member_label(item.channel, item.external_id, item.member_id),
        "reason": item.reason,
        "reason_label": messages.REASONS.get(item.reason, item.reason),
        "priority": item.priority,
        "since": item.since.isoformat(),
        "waited": messages.waited(queue.waited_minutes(item.since, now)),
        "due_at": item.due_at.isoformat() if item.due_at else None,
        "due": due,
        "preview": item.preview,
        "urgent": item.reason in sla.URGENT_REASONS,
        # Waiting longer than the first-response target, in service minutes.
        "breach": (due and sla.breached(item.due_at or item.since, now,
                                    sla.targets(item.reason).first_response)),
    }


def awaiting_view(session: Session, c: Conversation, now: datetime) -> Dict[str, Any]:
    """A conversation a manager has: how long the member's question has waited for a
    reply (the prompt to answer) and whether that is past the next-response target;
    whether the conversation is open past its resolution target (both in service
    minutes)."""
    since = queue.awaiting_since(session, c.id)
    target = sla.targets(c.handoff_reason)
    handoff = queue.active_handoff(session, c.id)
    opened = handoff.requested_at if handoff is not None else None
    return {"awaiting": (messages.awaiting_reply(sla.service_minutes(since, now))
                         if since else None),
            "reply_breach": sla.breached(since, now, target.next_response),
            "overdue": (messages.resolution_overdue(sla.service_minutes(opened, now))
                        if sla.breached(opened, now, target.resolution) else None)}


def conversation_summary(c: Conversation, owner: Optional[str]) -> Dict[str, Any]:
    return {
        "id": c.id,
        "member": f"{c.channel}:{c.external_id}",
        "member_label": messages.member_label(c.channel, c.external_id, c.member_id),
        "channel": c.channel,
        "external_id": c.external_id,
        "member_id": c.member_id,
        "state": c.state,
        "state_label": messages.STATES[c.state],
        "owner_id": c.owner_id,
        "owner": owner,
        "priority": c.priority,
        "reason": c.handoff_reason,
        "reason_label": messages.REASONS.get(c.handoff_reason or "", ""),
        "queued_at": c.queued_at.isoformat() if c.queued_at else None,
        "last_message_at": c.last_message_at.isoformat() if c.last_message_at else None,
    }


def _owner(session: Session, c: Conversation) -> Optional[str]:
    return session.get(User, c.owner_id).display_name if c.owner_id else None


def queue_page(session: Session, user_id: int, now: datetime) -> Dict[str, Any]:
    mine = []
    for ref in queue.owned_by(session, user_id):
        c = session.get(Conversation, ref.id)
        mine.append({**conversation_summary(c, _owner(session, c)),
                     **awaiting_view(session, c, now)})
    recent = [conversation_summary(c, _owner(session, c))
              for c in queue.recent_conversations(session)]
    return {
        "items": [queue_item_view(item, now) for item in queue.waiting(session)],
        "mine": mine,
        "recent": recent,
    }


def message_views(session: Session, rows: List[Message]) -> List[Dict[str, Any]]:
    """Messages as the console shows them: with how a reply fared on the channel and
    the member's photo, voice note or video ("media": None when there is none)."""
    found = media.views_for(session, [m.id for m in rows])
    views = []
    for m in rows:
        view = store.console_view(m)
        view["delivery_label"] = messages.delivery_label(m.delivery_state, m.delivery_error)
        item = found.get(m.id)
        if item is not None:
            item = {**item, "label": messages.media_label(
                item["kind"], item["state"], item["error"], item["size"], item["inline"])}
        view["media"] = item
        views.append(view)
    return views


def conversation_page(session: Session, conversation_id: int,
                      after_id: int = 0) -> Optional[Dict[str, Any]]:
    c = session.get(Conversation, conversation_id)
    if c is None:
        return None
    return {
        "conversation": conversation_summary(c, _owner(session, c)),
        "card": summary_card(session, c),
        "messages": message_views(session, store.transcript(session, c.id, after_id)),
        "notes": [accounts.note_view(n) for n in accounts.notes_of(session, c.id)],
        "handoffs": [{
            "reason_label": messages.REASONS.get(h.reason, h.reason),
            "priority": h.priority,
            "requested_at": h.requested_at.isoformat(),
            "within_hours": h.within_hours,
            "claimed_by": h.claimer.display_name if h.claimer else None,
            "claimed_at": h.claimed_at.isoformat() if h.claimed_at else None,
            "ended_at": h.ended_at.isoformat() if h.ended_at else None,
            "outcome": h.outcome,
            "outcome_label": messages.OUTCOMES.get(h.outcome, h.outcome) if h.outcome else None,
        } for h in queue.handoffs_of(session, c.id)],
        "tickets": [{
            "id": t.id, "reference": t.reference,
            "reason_label": messages.REASONS.get(t.reason, t.reason),
            "due_at": t.due_at.isoformat(), "status": t.status,
            "status_label": messages.TICKET_STATUSES[t.status],
        } for t in queue.tickets_of(session, c.id)],
    }


def _card_value(name: str, value: Any) -> Optional[str]:
    """A slot as the summary card says it, or None when there is nothing to say."""
    if value in (None, "", [], {}):
        return None
    try:
        if name == "time" and isinstance(value, dict):
            return str(value.get("text") or "") or None
        if name == "visit_slot" and isinstance(value, dict):
            return wording.slot_label(value)
        if name == "appointment" and isinstance(value, dict):
            return wording.appointment_label(value)
        if name == "amount":
            return f"{value}元"
        if name == "change_kind":
            return messages.CHANGE_KINDS.get(str(value))
        if name == "emergency_patient":
            return messages.EMERGENCY_PATIENTS.get(str(value))
        if name == "emergency_notice" and isinstance(value, dict):
            return str(value.get("reference") or "") or None
    except (KeyError, TypeError, ValueError):
        return None          # a slot in a shape the card does not know: left out
    return value if isinstance(value, str) else None


def summary_card(session: Session, c: Conversation) -> Optional[Dict[str, Any]]:
    """The card at the top of a handed-off conversation: why, the member's question in
    one line, what the bot had already understood or done (a form's answers, the
    proposed visit, the emergency notice), and the emergency's kind. None when the
    conversation was never handed off."""
    handoffs = queue.handoffs_of(session, c.id)
    if not handoffs:
        return None
    handoff = handoffs[-1]
    latest = session.execute(
        select(Message).where(Message.conversation_id == c.id, Message.author == "member",
                              Message.slots.isnot(None), Message.id > 0)
        .order_by(Message.id.desc()).limit(1)).scalar_one_or_none()
    slots: Dict[str, Any] = dict(latest.slots or {}) if latest is not None else {}
    facts = [{"label": label, "value": shown} for name, label in messages.CARD_FACTS
             if (shown := _card_value(name, slots.get(name))) is not None]
    flag = slots.get("red_flag")
    return {
        "reason_label": messages.REASONS.get(handoff.reason, handoff.reason),
        "priority": handoff.priority,
        "urgent": handoff.reason in queue.URGENT_REASONS,
        "question": handoff.summary or "",
        "facts": facts,
        "emergency": messages.RED_FLAGS.get(str(flag), str(flag)) if flag else None,
        "requested_at": handoff.requested_at.isoformat(),
    }
def appointment_view(a: Dict[str, Any]) -> Dict[str, Any]:
    """An appointment of the backends' profile with its statuses in words."""
    status = a.get("status")
    billing = (a.get("direct_billing") or {}).get("status")
    return {**a, "status_label": messages.APPOINTMENT_STATUSES.get(status, status),
            "direct_billing_label": (messages.DIRECT_BILLING_STATUSES.get(billing, billing)
                                     if billing else None)}


def member_title(conversation: Dict[str, Any], profile: Optional[Dict[str, Any]]) -> str:
    """Who the conversation is with, for its page: the member's name and masked phone
    (陈静 139****0001) when the profile is at hand (as the viewer may read it), else the
    lists' label."""
    member = (profile or {}).get("member") or {}
    if not member.get("name"):
        return conversation["member_label"]
    phone = member.get("phone")
    return f"{member['name']} {privacy.mask_digits(phone)}" if phone else member["name"]


def profile_view(profile: Optional[Dict[str, Any]], today: date) -> Optional[Dict[str, Any]]:
    """The backends' profile, trimmed to what a manager needs at a glance."""
    if profile is None:
        return None
    appointments = [appointment_view(a) for a in profile.get("appointments") or []]
    upcoming = [a for a in appointments
                if a.get("status") in ("requested", "confirmed", "changed")
                and (a.get("start") or "")[:10] >= today.isoformat()]
    upcoming.sort(key=lambda a: a.get("start") or "")
    return {
        "member": profile.get("member") or {},
        "upcoming": upcoming,
        "appointments": appointments[:10],
        "preauth_cases": (profile.get("preauth_cases") or [])[:10],
        "emergencies": (profile.get("emergency_notifications") or [])[:5],
    }


def audit_view(session: Session) -> List[Dict[str, Any]]:
    return [{"at": e.at.isoformat(), "username": e.username or "", "action": e.action,
             "action_label": messages.audit_action_label(e.action),
             "target": e.target or "", "detail": e.detail or {}}
            for e in accounts.audit_entries(session)]
