"""One run of the reminders job: ask the backends what is due (GET /v1/notices), post
each notice once to the gateway (POST /api/v1/notifications), remember it.

Never twice: the gateway stores a notice once per kind + reference + member (a repeat
answers "duplicate" and is not sent), and the job remembers what it handled and where
its next read of decisions starts (state.py). Never lost: a service that is down or
refuses the job's token ends the run before anything is remembered for the notice at
hand, and the next run asks again. Never after an unfollow: the backends no longer list
an unlinked openid, and the gateway refuses one whose owner left (410 departed). Logs
name kinds, references and channels, never an identity, a name or a notice's text."""
from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

import aiohttp

from bot.clients import BackendError, BackendsClient, BackendSettings
from bot.clock import Clock
from bot.reminders import messages, schedule
from bot.reminders import state as saved

logger = logging.getLogger(__name__)

DEFAULT_GATEWAY_TIMEOUT = 10.0

# What became of one notice (all final: remembered, never retried).
SENT = "sent"                  # delivered, or stored for the member's next visit (web chat)
DUPLICATE = "duplicate"        # the gateway had it already
UNDELIVERABLE = "undeliverable"  # stored, but no identity could take it (WeChat refused)
DEPARTED = "departed"          # the member left (unfollowed): nothing stored or sent
NO_CHANNEL = "no_channel"      # no identity the gateway serves (or none linked)
REFUSED = "refused"            # the gateway called the request invalid (a bug: logged)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which."""


class GatewayUnavailable(Exception):
    """Down, too slow, a 5xx, or it refused the job itself (token): retried next run."""


@dataclass(frozen=True)
class Settings:
    gateway_url: str
    gateway_token: str
    backends: BackendSettings
    state_path: Path
    timeout: float = DEFAULT_GATEWAY_TIMEOUT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        token = environ.get("HM_GATEWAY_API_TOKEN", "").strip()
        if not token:
            raise SettingsError("HM_GATEWAY_API_TOKEN is not set: the reminders job posts "
                                "notices with it (make run generates one)")
        if not environ.get("HM_BACKENDS_TOKEN", "").strip():
            raise SettingsError("HM_BACKENDS_TOKEN is not set: the reminders job reads "
                                "what is due from the backends with it")
        port = environ.get("HM_GATEWAY_PORT", "").strip() or "8080"
        url = environ.get("HM_GATEWAY_URL", "").strip() or f"http://127.0.0.1:{port}"
        state_path = environ.get("HM_REMINDERS_STATE", "").strip()
        try:
            timeout = float(environ.get("HM_REMINDERS_TIMEOUT", "").strip()
                            or DEFAULT_GATEWAY_TIMEOUT)
        except ValueError:
            raise SettingsError("HM_REMINDERS_TIMEOUT must be a number of seconds") from None
        return cls(url.rstrip("/"), token, BackendSettings.from_env(environ),
                   Path(state_path) if state_path else saved.DEFAULT_PATH, timeout)


@dataclass
class Report:
    """What a run did, in counts (logged; no member in it)."""

    now: datetime
    quiet: bool = False
    failed: Optional[str] = None  # "backends" or "gateway": the next run tries again
    outcomes: Counter = field(default_factory=Counter)

    def as_text(self) -> str:
        if self.quiet:
            return "quiet hours (21:00-08:00): nothing sent"
        counts = ", ".join(f"{n} {what}" for what, n in sorted(self.outcomes.items()))
        failed = f"; {self.failed} unavailable, retried next run" if self.failed else ""
        return f"notices: {counts or 'none due'}{failed}"


class Notifier:
    """The gateway's notifications API."""

    def __init__(self, settings: Settings, session: aiohttp.ClientSession) -> None:
        self.url = f"{settings.gateway_url}/api/v1/notifications"
        self.headers = {"Authorization": f"Bearer {settings.gateway_token}"}
        self.timeout = aiohttp.ClientTimeout(total=settings.timeout)
        self.session = session

    async def post(self, body: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
        try:
            async with self.session.post(self.url, json=body, headers=self.headers,
                                         timeout=self.timeout) as answer:
                status = answer.status
                try:
                    payload = await answer.json(content_type=None)
                except ValueError:
                    payload = None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            # A timeout may come after the gateway stored it: the repeat is a duplicate.
            raise GatewayUnavailable(type(error).__name__) from None
        if status >= 500 or status in (401, 403, 404, 405, 429) or not isinstance(payload, dict):
            raise GatewayUnavailable(f"HTTP {status}")
        return status, payload


async def deliver(notifier: Notifier, kind: str, item: Mapping[str, Any],
                  now: datetime) -> Tuple[str, Optional[str]]:
    """(outcome, channel) for one notice, trying the member's identities in order until
    one takes it; raises GatewayUnavailable."""
    body = {"kind": kind, "reference": schedule.reference(kind, item),
            "text": messages.notice_text(kind, item, now),
            "template_data": messages.template_data(kind, item)}
    outcome = NO_CHANNEL
    for channel, external_id in schedule.identities(item["channels"]):
        status, answer = await notifier.post({**body, "channel": channel,
                                              "external_id": external_id})
        if status == 202:
            if answer.get("delivery_state") != "undeliverable":
                return SENT, channel
            outcome = UNDELIVERABLE  # stored there; another identity may still take it
        elif status == 200 and answer.get("status") == "duplicate":
            return DUPLICATE, channel
        elif status == 410:
            outcome = DEPARTED if outcome == NO_CHANNEL else outcome
        elif status == 400 and (answer.get("error") or {}).get("field") == "channel":
            pass  # a channel this gateway does not serve (WeChat not configured)
        else:
            error = answer.get("error") or {}
            logger.error("the gateway refused %s %s via %s: %s %s (field %s)", kind,
                         item["reference"], channel, status, error.get("code"),
                         error.get("field"))
            outcome = REFUSED
    return outcome, None


async def run_once(settings: Settings, clock: Clock,
                   backends: Optional[BackendsClient] = None) -> Report:
    """One run; saved.Busy when another run holds the state."""
    now = clock.now()
    report = Report(now)
    if not schedule.may_notify(now):
        report.quiet = True
        return report
    client = backends or BackendsClient(settings.backends)
    try:
        async with aiohttp.ClientSession() as session:
            with saved.locked(settings.state_path) as state:
                await _run(state, Notifier(settings, session), client, now, report)
    finally:
        if backends is None:
            await client.close()
    return report


async def _run(state: saved.State, notifier: Notifier, backends: BackendsClient,
               now: datetime, report: Report) -> None:
    try:
        due = await backends.notices_due(schedule.reminder_day(now),
                                         schedule.decided_since(state.decided_mark, now))
    except BackendError as error:
        logger.warning("backends unavailable (%s): nothing sent, asked again next run",
                       type(error).__name__)
        report.failed = "backends"
        return
    for kind, items in ((schedule.REMINDER, due["appointment_reminders"]),
                        (schedule.DECISION, due["preauth_decisions"])):
        for item in items:
            key = schedule.key(kind, item)
            if key in state.handled:
                continue
            try:
                outcome, channel = await deliver(notifier, kind, item, now)
            except GatewayUnavailable as error:
                logger.warning("gateway unavailable (%s) at %s %s: the rest is sent next run",
                               error, kind, item["reference"])
                report.failed = "gateway"
                state.prune(schedule.forget_before(now))
                state.save()
                return
            logger.info("%s %s: %s%s", kind, item["reference"], outcome,
                        f" via {channel}" if channel else "")
            report.outcomes[outcome] += 1
            state.remember(key, now)
    # Every decision up to the read is handled: the next read starts there.
    state.decided_mark = datetime.fromisoformat(due["as_of"])
    state.prune(schedule.forget_before(now))
    state.save()
