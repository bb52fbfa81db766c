"""The held-out conversation set (tests/conversations/, its README has the format): every
conversation played through Rasa's REST channel against the real action server and
backends, each turn checked against what it expects. `python -m bot.evaluate
--conversations` prints the pass rate and writes every failed expectation to
reports/nlu/conversations.json.

Two stacks run side by side, each with its own freshly seeded backends: one frozen at
Tuesday 2026-11-24 10:00 (managers online) and one at 21:00 (managers off, the call
centre open until 22:00). Conversations run in file order; each has its own conversation
id, and demo members keep what earlier conversations booked (as real members would).
"""
from __future__ import annotations

import json
import tempfile
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import yaml

from bot import identity
from bot.processes import (ROOT, Server, local_secret, start_action_server,
                           start_backends_server, start_rasa_server)

SET_DIR = ROOT / "tests" / "conversations"
TIMES = {"day": "2026-11-24T10:00:00+08:00", "evening": "2026-11-24T21:00:00+08:00"}
BACKENDS_TOKEN = "conversation-eval-backends-token"
SUMMARY_ACTIONS = ("action_booking_summary", "action_change_summary", "action_preauth_summary")
# The form slots the README's `asks` names (materials: whether the documents are ready).
ASKED = {"hospital": "hospital", "department": "department", "time": "time",
         "appointment": "appointment", "treatment": "treatment", "amount": "amount",
         "materials": "materials", "policy_number": "policy_number",
         "phone_last4": "phone_last4", "doctor": "doctor", "patient": "patient",
         "emergency_patient_answer": "patient"}
EXPECTATION_KEYS = {"emergency", "crisis", "today", "handoff", "callback", "notices", "asks",
                    "summary_has", "booked", "changed", "cancelled", "preauth_filed",
                    "welcome", "says_any", "says_all", "never_says"}
CRISIS_LINE = "12356"


def load_set(directory: Path = SET_DIR) -> List[Dict[str, Any]]:
    conversations: List[Dict[str, Any]] = []
    for path in sorted(directory.glob("heldout_*.yml")):
        for conversation in yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]:
            conversations.append({**conversation, "file": path.name})
    return conversations


# ------------------------------------------------------------------------- HTTP


def _call(url: str, body: Optional[dict] = None, headers: Optional[Dict[str, str]] = None,
          timeout: float = 90) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json",
                                                 **(headers or {})})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


@dataclass
class Stack:
    time: str
    backends: Server
    actions: Server
    rasa: Server

    def stop(self) -> None:
        for server in (self.rasa, self.actions, self.backends):
            server.stop()

    # the backends' view of a member
    def _backends(self, path: str) -> Any:
        return _call(self.backends.url + path,
                     headers={"Authorization": f"Bearer {BACKENDS_TOKEN}"})

    def member_id(self, channel: str, external_id: str) -> Optional[int]:
        query = urllib.parse.urlencode({"channel": channel, "external_id": external_id})
        try:
            return self._backends(f"/v1/members/lookup?{query}")["id"]
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def records(self, member_id: Optional[int]) -> Dict[str, Any]:
        if member_id is None:
            return {"appointments": {}, "preauth": 0, "notices": 0}
        appointments = self._backends(
            f"/v1/members/{member_id}/appointments?scope=all")["appointments"]
        preauth = self._backends(f"/v1/members/{member_id}/preauth-cases")
        notices = self._backends(f"/v1/members/{member_id}/emergency-notifications")
        return {"appointments": {a["id"]: (a["status"], json.dumps(a.get("slot"), sort_keys=True))
                                 for a in appointments},
                "preauth": len(_listed(preauth)), "notices": len(_listed(notices))}

    # Rasa
    def say(self, sender: str, channel: str, member: str, text: str) -> List[Dict[str, Any]]:
        secret = local_secret(identity.SECRET_ENV).encode()
        metadata = identity.sign(secret, sender, text, {"channel": channel, "member": member})
        return _call(f"{self.rasa.url}/webhooks/rest/webhook",
                     {"sender": sender, "message": text, "metadata": metadata})

    def tracker(self, sender: str) -> Dict[str, Any]:
        token = local_secret("HM_RASA_TOKEN")
        return _call(f"{self.rasa.url}/conversations/{sender}/tracker?token={token}")


def _listed(body: Any) -> list:
    if isinstance(body, list):
        return body
    for value in body.values():
        if isinstance(value, list):
            return value
    return []


def start_stack(model: Path, time: str, work: Path) -> Stack:
    now = TIMES[time]
    logs = work / time
    backends = start_backends_server(logs, {
        "HM_NOW": now, "HM_BACKENDS_TOKEN": BACKENDS_TOKEN,
        "HM_BACKENDS_DB": f"sqlite:///{work / f'backends-{time}.sqlite3'}"},
        name=f"backends-{time}")
    actions = start_action_server(logs, env={
        "HM_NOW": now, "HM_BACKENDS_URL": backends.url, "HM_BACKENDS_TOKEN": BACKENDS_TOKEN})
    rasa = start_rasa_server(model, actions.url, logs, env={"HM_NOW": now})
    return Stack(time, backends, actions, rasa)


# ------------------------------------------------------------------- one turn


@dataclass
class Turn:
    """What the assistant did in reply to one member message."""

    text: str
    utters: List[str]
    actions: List[str]
    handoffs: List[str]
    asks: str
    records_before: Dict[str, Any]
    records_after: Dict[str, Any]
    notices_in_conversation: int
    time: str

    def changes(self) -> Dict[str, bool]:
        before, after = self.records_before["appointments"], self.records_after["appointments"]
        new = [i for i in after if i not in before]
        return {
            "booked": any(after[i][0] not in ("cancelled", "rescheduled") for i in new)
                      and "action_book_appointment" in self.actions,
            "cancelled": any(after[i][0] == "cancelled" and before[i][0] != "cancelled"
                             for i in after if i in before),
            "changed": "action_change_appointment" in self.actions and (
                bool(new) or any(after[i] != before[i] for i in after if i in before)),
            "preauth_filed": self.records_after["preauth"] > self.records_before["preauth"],
        }


def _turn_events(tracker: Dict[str, Any]) -> Tuple[List[str], List[str], str]:
    events = tracker.get("events") or []
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    utters, actions = [], []
    for event in events[last_user + 1:]:
        if event.get("event") == "bot":
            name = (event.get("metadata") or {}).get("utter_action")
            if name:
                utters.append(name)
        elif event.get("event") == "action":
            actions.append(event.get("name") or "")
    loop = (tracker.get("active_loop") or {}).get("name")
    requested = (tracker.get("slots") or {}).get("requested_slot")
    done = [a for a in actions if a not in ("action_listen",)]
    if loop and requested:
        asks = ASKED.get(requested, requested)
    elif done and done[-1] in SUMMARY_ACTIONS:
        asks = "confirm"
    elif (tracker.get("slots") or {}).get("preauth_awaiting_price"):
        asks = "amount"      # "大概多少钱？" outside a form
    else:
        asks = "nothing"
    return utters, actions, asks


def check(expect: Dict[str, Any], turn: Turn) -> List[str]:
    """Every expectation of the turn that failed, in words."""
    failures: List[str] = []
    text = turn.text

    def want(key: str, got: Any, wanted: Any) -> None:
        if got != wanted:
            failures.append(f"{key}: wanted {wanted!r}, got {got!r}")

    if not text.strip():
        failures.append("no reply")
    crisis = CRISIS_LINE in text
    emergency = "utter_emergency_first" in turn.utters and not crisis
    for key, wanted in expect.items():
        if key not in EXPECTATION_KEYS:
            failures.append(f"unknown expectation {key}")
        elif key == "emergency":
            want(key, emergency, bool(wanted))
        elif key == "crisis":
            want(key, crisis, bool(wanted))
        elif key == "today":
            want(key, "utter_see_doctor_today" in turn.utters and not emergency, bool(wanted))
        elif key == "handoff":
            got = turn.handoffs[0] if turn.handoffs else "none"
            if wanted == "none" or not turn.handoffs:
                want(key, got, wanted)
            elif wanted not in turn.handoffs:
                want(key, got, wanted)
        elif key == "callback":
            want(key, bool(turn.handoffs) and turn.time == "evening", bool(wanted))
        elif key == "notices":
            want(key, turn.notices_in_conversation, int(wanted))
        elif key == "asks":
            want(key, turn.asks, wanted)
        elif key == "summary_has":
            missing = [s for s in wanted if str(s) not in text]
            if turn.asks != "confirm" or missing:
                failures.append(f"summary_has: asks {turn.asks}, missing {missing}")
        elif key in ("booked", "changed", "cancelled", "preauth_filed"):
            want(key, turn.changes()[key], bool(wanted))
        elif key == "welcome":
            want(key, "utter_welcome" in turn.utters, bool(wanted))
        elif key == "says_any":
            if not any(str(s) in text for s in wanted):
                failures.append(f"says_any: none of {wanted}")
        elif key == "says_all":
            missing = [s for s in wanted if str(s) not in text]
            if missing:
                failures.append(f"says_all: missing {missing}")
        elif key == "never_says":
            found = [s for s in wanted if str(s) in text]
            if found:
                failures.append(f"never_says: said {found}")
    return failures


# --------------------------------------------------------------- conversations


@dataclass
class Result:
    id: str
    file: str
    covers: List[str]
    passed: bool
    failures: List[Dict[str, Any]] = field(default_factory=list)


def _member(conversation: Dict[str, Any], sender: str) -> Tuple[str, str]:
    """(channel, the member's id on it) as the gateway signs them."""
    channel = conversation.get("channel", "web")
    who = conversation.get("member", "guest")
    if who == "guest":
        return channel, f"guest-{sender[:12]}"
    if channel == "wechat":
        return channel, "oDEMO_" + who.split("-", 1)[1]
    return channel, who


def play(stack: Stack, conversation: Dict[str, Any]) -> Result:
    sender = uuid.uuid4().hex
    channel, member = _member(conversation, sender)
    member_id = stack.member_id(channel, member)
    start = stack.records(member_id)
    failures: List[Dict[str, Any]] = []
    records = start
    for number, step in enumerate(conversation.get("turns") or [], 1):
        say = str(step.get("say", ""))
        try:
            replies = stack.say(sender, channel, member, say)
            utters, actions, asks = _turn_events(stack.tracker(sender))
            after = stack.records(member_id)
        except Exception as error:  # a crash is a failed turn, and the rest cannot run
            failures.append({"turn": number, "say": say, "failures": [f"error: {error}"]})
            break
        turn = Turn(
            text="\n".join(r.get("text") or "" for r in replies),
            utters=utters, actions=actions,
            handoffs=[r["custom"]["handoff"]["reason"] for r in replies
                      if "handoff" in (r.get("custom") or {})],
            asks=asks, records_before=records, records_after=after,
            notices_in_conversation=after["notices"] - start["notices"], time=stack.time)
        records = after
        failed = check(step.get("expect") or {}, turn)
        if failed:
            failures.append({"turn": number, "say": say[:80], "reply": turn.text[:300],
                             "failures": failed})
    return Result(conversation["id"], conversation["file"], list(conversation.get("covers") or []),
                  not failures, failures)


def run(model: Path, conversations: Optional[List[Dict[str, Any]]] = None,
        progress: Callable[[str], None] = lambda line: None) -> List[Result]:
    conversations = load_set() if conversations is None else conversations
    results: List[Result] = []
    with tempfile.TemporaryDirectory(prefix="hm-conversations-") as tmp:
        work = Path(tmp)
        for time in TIMES:
            chosen = [c for c in conversations if c.get("time", "day") == time]
            if not chosen:
                continue
            stack = start_stack(model, time, work)
            try:
                for conversation in chosen:
                    result = play(stack, conversation)
                    progress(f"{'ok  ' if result.passed else 'FAIL'} {result.id}")
                    results.append(result)
            finally:
                stack.stop()
    order = {c["id"]: i for i, c in enumerate(conversations)}
    return sorted(results, key=lambda r: order[r.id])


def by_item(results: Iterable[Result]) -> Dict[str, Tuple[int, int]]:
    """Per item of the issue: (passed, conversations)."""
    table: Dict[str, List[int]] = {}
    for result in results:
        for item in result.covers:
            row = table.setdefault(item, [0, 0])
            row[0] += result.passed
            row[1] += 1
    return {item: (row[0], row[1]) for item, row in sorted(table.items())}
