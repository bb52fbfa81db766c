"""Pre-authorisation (预授权): does a treatment need it (with the reason and the rule),
apply for it as a form, and follow an application's status."""
from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.availability import clock
from actions.backend import (
    NOT_AN_ANSWER,
    AbandonAction,
    buttons,
    client,
    leaving,
    find_member,
    latest_intent,
    request_key,
    reset,
    utter_backend_down,
    utter_member_not_found,
    utter_refused,
    verified_member_id,
)
from actions.handoff import request_handoff
from actions.visits import corrected_value, resolve_hospital
from bot import wording
from bot.amounts import find_amount
from bot.choices import (all_materials_in_passing, asks_how_long, materials_named_in_passing,
                          parse_materials, preauth_item)
from bot.clients import BackendRefused, BackendUnavailable

PREAUTH_SLOTS = ("treatment", "hospital", "hospital_id", "time", "amount", "materials",
                 "preauth_need", "preauth_awaiting_price", "preauth_warned")


def _latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def _said(tracker: Tracker, entity: str) -> Optional[Any]:
    for found in (tracker.latest_message or {}).get("entities", []):
        if found.get("entity") == entity:
            return found.get("value")
    return None


async def assess(dispatcher: CollectingDispatcher, treatment: str,
                 amount: Optional[float]) -> Optional[Dict[str, Any]]:
    try:
        return await client().assess_preauth(treatment, amount)
    except BackendUnavailable:
        utter_backend_down(dispatcher)
    except BackendRefused as refused:
        utter_refused(dispatcher, refused)
    return None


class ActionPreauthCheck(Action):
    """"化疗要预授权吗" → yes, and why. A price-dependent item without a price is asked
    "大概多少钱"; the member's answer comes back here with the treatment remembered."""

    def name(self) -> Text:
        return "action_preauth_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        awaiting = bool(tracker.get_slot("preauth_awaiting_price"))
        treatment = _said(tracker, "treatment") or (tracker.get_slot("treatment")
                                                     if awaiting else None)
        amount = _said(tracker, "amount")
        if amount is None:
            # In a pre-authorisation question a number is a price (大概1.2万), unless it is
            # a date, a count or a code (bot/amounts.py never reads those as money).
            found = find_amount(_latest_text(tracker), assume_money=True)
            amount = float(found.value) if found else None
        if not treatment:
            # Not a treatment the NLU knows: the words the member used, if they named one.
            treatment = preauth_item(_latest_text(tracker))
        if not treatment:
            dispatcher.utter_message(response="utter_preauth_rules")
            dispatcher.utter_message(response="utter_ask_which_treatment")
            return [SlotSet("preauth_awaiting_price", False)]
        answer = await assess(dispatcher, str(treatment), amount)
        if answer is None:
            return [SlotSet("preauth_awaiting_price", False)]
        need = answer.get("need")
        name = (answer.get("treatment") or {}).get("name") or str(treatment)
        response = {
            "required": "utter_preauth_required",
            "not_required": "utter_preauth_not_required",
            "need_price": "utter_preauth_ask_price",
            "unknown": "utter_preauth_unknown",
        }.get(need, "utter_preauth_unknown")
        dispatcher.utter_message(response=response, treatment=name,
                                 reason=answer.get("reason") or "")
        if need == "unknown":
            request_handoff(dispatcher, "preauth_unknown")  # a manager judges it
        return [SlotSet("treatment", str(treatment)),
                SlotSet("preauth_awaiting_price", need == "need_price")]


class ActionStartPreauth(Action):
    def name(self) -> Text:
        return "action_start_preauth"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        try:
            member = await find_member(tracker)
        except BackendUnavailable:
            utter_backend_down(dispatcher)
            return [SlotSet("preauth_allowed", False)]
        if member is None:
            utter_member_not_found(dispatcher)
            return [SlotSet("preauth_allowed", False)]
        said = {e.get("entity") for e in (tracker.latest_message or {}).get("entities", [])}
        keep = [slot for slot in ("treatment", "hospital", "time", "amount") if slot in said]
        return [*reset(PREAUTH_SLOTS, keep=keep), SlotSet("member_id", member["id"]),
                SlotSet("preauth_allowed", True)]


class ActionAskMaterials(Action):
    def name(self) -> Text:
        return "action_ask_materials"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        labels = [wording.MATERIALS[code] for code in wording.MATERIAL_ORDER]
        dispatcher.utter_message(response="utter_ask_materials",
                                 materials=wording.numbered(labels),
                                 buttons=buttons(["都齐了", "还没有"]))
        return []


class ValidatePreauthForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_preauth_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        slots = ["treatment", "hospital", "time", "materials"]
        if tracker.get_slot("preauth_need") == "need_price":
            slots.insert(3, "amount")
        return slots

    async def extract_materials(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        if leaving(tracker, "preauth_form"):
            return {}
        if tracker.get_slot("requested_slot") != "materials":
            # 材料都齐了 said with the request: not asked again
            text = _latest_text(tracker)
            if tracker.get_slot("materials"):
                return {}
            if all_materials_in_passing(text):
                return {"materials": list(wording.MATERIAL_ORDER)}
            named = materials_named_in_passing(text)
            return {"materials": sorted(named)} if named else {}
        picked = parse_materials(_latest_text(tracker), wording.MATERIAL_ORDER)
        return {"materials": sorted(picked)} if picked is not None else {}

    async def extract_treatment(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        """An item the NLU does not know is still the member's answer (a free-text reply
        to "what treatment?" is taken as its name)."""
        if tracker.get_slot("requested_slot") != "treatment" or _said(tracker, "treatment"):
            return {}
        if latest_intent(tracker) in NOT_AN_ANSWER or leaving(tracker, "preauth_form"):
            return {}  # "不申请了", "找人工", an emergency: not an answer
        text = _latest_text(tracker).strip()
        return {"treatment": preauth_item(text) or text} if 0 < len(text) <= 30 else {}

    async def extract_amount(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[Text, Any]:
        if (tracker.get_slot("requested_slot") != "amount" or _said(tracker, "amount")
                or leaving(tracker, "preauth_form")):
            return {}
        found = find_amount(_latest_text(tracker), assume_money=True)
        return {"amount": float(found.value)} if found else {}

    async def validate_treatment(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if not value:
            return {"treatment": None}
        answer = await assess(dispatcher, str(value), tracker.get_slot("amount"))
        if answer is None:
            return {"treatment": None}
        need = answer.get("need")
        if need == "not_required":
            dispatcher.utter_message(response="utter_preauth_apply_not_required",
                                     reason=answer.get("reason") or "")
        elif need == "unknown":
            dispatcher.utter_message(response="utter_preauth_apply_unknown", treatment=str(value))
        return {"treatment": str(value), "preauth_need": need}

    async def validate_hospital(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return await resolve_hospital(dispatcher, corrected_value(tracker, "hospital", value))

    def validate_time(self, value: Any, dispatcher: CollectingDispatcher,
                      tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if not isinstance(value, dict) or not value.get("start"):
            return {"time": None}
        planned = wording.parse_datetime(value["start"]).date()
        if planned < clock().today():
            dispatcher.utter_message(response="utter_preauth_date_in_past")
            return {"time": None}
        return {"time": value}

    def validate_amount(self, value: Any, dispatcher: CollectingDispatcher,
                        tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        try:
            amount = float(value)
        except (TypeError, ValueError):
            return {"amount": None}
        return {"amount": amount} if amount > 0 else {"amount": None}

    def validate_materials(self, value: Any, dispatcher: CollectingDispatcher,
                           tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return {"materials": list(value) if isinstance(value, (list, tuple)) else None}


def planned_day(tracker: Tracker) -> Optional[date]:
    value = tracker.get_slot("time") or {}
    return wording.parse_datetime(value["start"]).date() if value.get("start") else None


class ActionPreauthSummary(Action):
    def name(self) -> Text:
        return "action_preauth_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        planned = planned_day(tracker)
        materials = tracker.get_slot("materials") or []
        warning = await late_warning(tracker, planned)
        if warning:     # said before the member confirms, not after
            dispatcher.utter_message(response="utter_preauth_too_close", warning=warning)
        dispatcher.utter_message(
            response="utter_preauth_summary",
            treatment=tracker.get_slot("treatment"), hospital=tracker.get_slot("hospital"),
            planned=wording.day(planned) if planned else "未提供",
            amount=wording.amount_label(tracker.get_slot("amount")),
            materials=wording.materials_list(materials) if materials else "暂未准备",
            buttons=buttons(["确认提交", "先不提交"], ["/affirm", "/deny"]))
        return [SlotSet("preauth_warned", bool(warning))]


async def late_warning(tracker: Tracker, planned: Any) -> Optional[str]:
    """The backends' warning when the planned day is less than two working days away
    (None when it is not, or when the backends cannot say now: the application's own
    answer still carries it)."""
    if planned is None:
        return None
    try:
        found = await client().assess_preauth(
            str(tracker.get_slot("treatment") or ""), tracker.get_slot("amount"),
            planned.isoformat())
    except (BackendUnavailable, BackendRefused):
        return None
    return found.get("late_warning")


class ActionSubmitPreauth(Action):
    def name(self) -> Text:
        return "action_submit_preauth"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        planned = planned_day(tracker)
        try:
            member_id = await verified_member_id(tracker) if planned else None
        except BackendUnavailable:
            utter_backend_down(dispatcher)
            return []
        if member_id is None or planned is None:
            dispatcher.utter_message(response="utter_booking_lost")
            return reset(PREAUTH_SLOTS)
        body = {"member_id": int(member_id), "treatment": tracker.get_slot("treatment"),
                "hospital_id": tracker.get_slot("hospital_id"),
                "planned_date": planned.isoformat(), "amount": tracker.get_slot("amount"),
                "materials": list(tracker.get_slot("materials") or [])}
        key = request_key(tracker, self.name(), *sorted(map(str, body.values())))
        try:
            case = await client().apply_preauth(key, **body)
        except BackendUnavailable:
            utter_backend_down(dispatcher)
            return []
        except BackendRefused as refused:
            utter_refused(dispatcher, refused)
            return reset(PREAUTH_SLOTS)
        dispatcher.utter_message(
            response="utter_preauth_submitted", reference=case["reference"],
            decision_due=wording.day(wording.parse_date(case["decision_due"])))
        if case.get("warning") and not tracker.get_slot("preauth_warned"):
            dispatcher.utter_message(response="utter_preauth_too_close", warning=case["warning"])
        if case.get("materials_missing"):
            dispatcher.utter_message(response="utter_preauth_missing_materials",
                                     materials=wording.materials_list(case["materials_missing"]))
        return reset(PREAUTH_SLOTS)


class ActionPreauthAbandoned(AbandonAction):
    response = "utter_preauth_abandoned"
    slots = PREAUTH_SLOTS

    def name(self) -> Text:
        return "action_preauth_abandoned"


class ActionPreauthStatus(Action):
    def name(self) -> Text:
        return "action_preauth_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        # 预授权批下来要几天: the rule answers it; the member's own cases follow if any.
        how_long = asks_how_long(_latest_text(tracker))
        if how_long:
            dispatcher.utter_message(response="utter_preauth_review_time")
        try:
            member = await find_member(tracker)
            if member is None:
                if not how_long:
                    utter_member_not_found(dispatcher)
                return []
            cases = await client().preauth_cases(member["id"])
        except BackendUnavailable:
            if not how_long:
                utter_backend_down(dispatcher)
            return []
        if not cases:
            if not how_long:
                dispatcher.utter_message(response="utter_no_preauth_cases")
            return []
        lines = []
        for case in cases[:5]:
            line = (f"{case.get('treatment_text') or (case.get('treatment') or {}).get('name')}"
                    f"（编号{case['reference']}）：{case['status_label']}")
            if case["status"] in ("submitted", "under_review"):
                line += f"，预计{wording.day(wording.parse_date(case['decision_due']))}前出结果"
            if case.get("status_note"):
                line += f"。{case['status_note']}"
            lines.append(line)
        dispatcher.utter_message(response="utter_preauth_status", cases=wording.numbered(lines))
        return []
