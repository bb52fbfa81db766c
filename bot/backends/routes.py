"""The backends API's routes (bot/backends/openapi.yaml). Each handler reads its input,
runs one operation in the database thread pool and answers JSON; POSTs run at most
once per Idempotency-Key."""
from __future__ import annotations

import json
import re
from functools import partial
from typing import Callable, Optional

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json as json_response, text

from bot.backends import (
    appointments,
    directory,
    emergency,
    errors,
    linking,
    members,
    messages,
    notices,
    preauth,
    rules,
    serialize,
)
from bot.backends.availability import AvailabilityQuery, check_availability
from bot.backends.context import Context
from bot.backends.service import Backend
from bot.backends.validation import Fields

DUMPS = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
MAX_ID = 2**31 - 1
MAX_ALTERNATIVES = 20
POLICY_NUMBER = re.compile(r"[A-Z0-9]{4,40}")
CONSOLE_USERNAME = re.compile(r"[^\s]{1,60}")  # as the console's accounts allow


def respond(body: dict, status: int = 200, headers: Optional[dict] = None) -> HTTPResponse:
    return json_response(body, status=status, headers=headers, dumps=DUMPS)


def _backend(request: Request) -> Backend:
    return request.app.ctx.backend


def _check_id(value: int, not_found: Callable[..., errors.ApiError] = errors.not_found) -> int:
    """Ids beyond the database's integer range exist nowhere."""
    if not 1 <= value <= MAX_ID:
        raise not_found(None)
    return value


def _check_member_id(value: int) -> int:
    return _check_id(value, errors.member_not_found)


async def _post_once(request: Request, fields: Fields,
                     operation: Callable[[Context], tuple[int, dict]]) -> HTTPResponse:
    outcome = await _backend(request).once(
        request.ctx.idempotency_key, f"{request.method} {request.path}", fields.data, operation
    )
    return respond(outcome.body, outcome.status,
                   {"Idempotent-Replay": "true"} if outcome.replayed else None)


# ------------------------------------------------------------------ service


async def health(request: Request) -> HTTPResponse:
    return respond({"status": "ok"})


async def openapi_document(request: Request) -> HTTPResponse:
    return text(request.app.ctx.openapi, content_type="application/yaml; charset=utf-8")


# ------------------------------------------------------------------ members


async def member_lookup(request: Request) -> HTTPResponse:
    query = Fields.query(request.args)
    channel, external_id = query.text("channel", max_length=20), query.text("external_id", max_length=200)
    return respond(await _backend(request).read(
        lambda ctx: serialize.member(members.lookup(ctx.session, channel, external_id), ctx.today)
    ))


async def member_detail(request: Request, member_id: int) -> HTTPResponse:
    _check_member_id(member_id)
    return respond(await _backend(request).read(
        lambda ctx: serialize.member(members.get_member(ctx.session, member_id, field=None), ctx.today)
    ))


def _profile(ctx: Context, member_id: int) -> dict:
    member = members.get_member(ctx.session, member_id, field=None)
    return {
        "member": serialize.member(member, ctx.today),
        "appointments": [serialize.appointment(a)
                         for a in appointments.member_appointments(ctx, member_id, "all")],
        "preauth_cases": [serialize.preauth_case(c, ctx.today, ctx.catalog)
                          for c in preauth.member_cases(ctx, member_id)],
        "emergency_notifications": [serialize.emergency(n)
                                    for n in emergency.member_notifications(ctx, member_id)],
    }


async def member_profile(request: Request, member_id: int) -> HTTPResponse:
    _check_member_id(member_id)
    return respond(await _backend(request).read(lambda ctx: _profile(ctx, member_id)))


async def member_appointments(request: Request, member_id: int) -> HTTPResponse:
    _check_member_id(member_id)
    scope = Fields.query(request.args).choice("scope", ("upcoming", "all"), default="upcoming")
    return respond(await _backend(request).read(lambda ctx: {
        "appointments": [serialize.appointment(a, ctx.now)
                         for a in appointments.member_appointments(ctx, member_id, scope)],
    }))


async def member_preauth_cases(request: Request, member_id: int) -> HTTPResponse:
    _check_member_id(member_id)
    return respond(await _backend(request).read(lambda ctx: {
        "preauth_cases": [serialize.preauth_case(c, ctx.today, ctx.catalog)
                          for c in preauth.member_cases(ctx, member_id)],
    }))


async def member_emergency_notifications(request: Request, member_id: int) -> HTTPResponse:
    _check_member_id(member_id)
    return respond(await _backend(request).read(lambda ctx: {
        "emergency_notifications": [serialize.emergency(n)
                                    for n in emergency.member_notifications(ctx, member_id)],
    }))


def _identity(fields: Fields) -> tuple[str, str]:
    return fields.text("channel", max_length=20), fields.text("external_id", max_length=200)


async def member_link(request: Request) -> HTTPResponse:
    body = Fields.body(request.body)
    channel, external_id = _identity(body)
    policy_number = linking.normalise_policy_number(body.text("policy_number", max_length=60))
    if not POLICY_NUMBER.fullmatch(policy_number):
        raise errors.invalid("policy_number",
                             messages.wrong_format("policy_number", "保单号（字母和数字）"))
    phone_last4 = body.digits("phone_last4", 4)

    def operation(ctx: Context) -> tuple[int, dict]:
        outcome = linking.link(ctx, channel, external_id, policy_number, phone_last4)
        if outcome.refused is not None:
            # A failed try must be kept (it counts): answered, not raised, so it commits.
            return outcome.refused.status, outcome.refused.body()
        status = 201 if outcome.result == linking.LINKED else 200
        return status, serialize.link(outcome, channel, external_id, ctx.today)
    return await _post_once(request, body, operation)


async def member_unlink(request: Request) -> HTTPResponse:
    body = Fields.body(request.body)
    channel, external_id = _identity(body)
    return await _post_once(request, body, lambda ctx: (
        200, serialize.unlink(channel, external_id, linking.unlink(ctx, channel, external_id))
    ))


async def member_health_manager(request: Request, member_id: int) -> HTTPResponse:
    """Name (or clear, with null) the member's own health manager."""
    _check_member_id(member_id)
    body = Fields.body(request.body)
    username = body.text("health_manager", required=False, max_length=60)
    if username is not None and not CONSOLE_USERNAME.fullmatch(username):
        raise errors.invalid("health_manager", messages.wrong_format(
            "health_manager", "管家的登录名（不含空格）"))
    return await _post_once(request, body, lambda ctx: (200, serialize.member(
        members.name_health_manager(ctx.session, member_id, username), ctx.today)))


# ------------------------------------------------------------------ directory


async def hospitals_list(request: Request) -> HTTPResponse:
    query = Fields.query(request.args)
    q, city = query.text("q", required=False, max_length=100), query.text("city", required=False, max_length=40)
    return respond(await _backend(request).read(lambda ctx: {
        "hospitals": [serialize.hospital(h) for h in directory.search_hospitals(ctx, q, city)],
    }))


async def hospital_detail(request: Request, hospital_id: str) -> HTTPResponse:
    def operation(ctx: Context) -> dict:
        resolved = directory.hospital_id_for(ctx.catalog, hospital_id)
        return serialize.hospital_detail(*directory.hospital_departments(ctx, resolved))
    return respond(await _backend(request).read(operation))


async def doctors_list(request: Request) -> HTTPResponse:
    query = Fields.query(request.args)
    hospital_id = query.text("hospital_id", required=False, max_length=100)
    department_id = query.text("department_id", required=False, max_length=100)
    name = query.text("name", required=False, max_length=40)

    def operation(ctx: Context) -> dict:
        found = directory.search_doctors(
            ctx,
            directory.hospital_id_for(ctx.catalog, hospital_id) if hospital_id else None,
            directory.department_id_for(ctx.catalog, department_id) if department_id else None,
            name,
        )
        return {"doctors": [serialize.doctor(d) for d in found]}
    return respond(await _backend(request).read(operation))


# ------------------------------------------------------------------ scheduling


async def availability(request: Request) -> HTTPResponse:
    query = Fields.query(request.args)
    hospital_id = query.text("hospital_id", max_length=100)
    department_id = query.text("department_id", max_length=100)
    member_id = query.integer("member_id", required=False)
    doctor_id = query.integer("doctor_id", required=False)
    start = query.moment("start")
    end = query.moment("end", day_end=True)
    if end <= start:
        raise errors.invalid("end", messages.range_reversed())
    accidental_injury = query.boolean("accidental_injury")
    limit = query.integer("limit", required=False, minimum=0, maximum=MAX_ALTERNATIVES)

    def operation(ctx: Context) -> dict:
        result = check_availability(ctx, AvailabilityQuery(
            hospital_id=directory.hospital_id_for(ctx.catalog, hospital_id),
            department_id=directory.department_id_for(ctx.catalog, department_id),
            start=start, end=end, member_id=member_id, doctor_id=doctor_id,
            accidental_injury=accidental_injury, limit=5 if limit is None else limit,
        ))
        return serialize.availability(result)
    # Slot rows are created on demand, the first time a day is asked for: then a write
    # transaction; otherwise a read, which on SQLite does not queue behind bookings.
    return respond(await _backend(request).read_else_write(operation))


async def appointment_create(request: Request) -> HTTPResponse:
    body = Fields.body(request.body)
    member_id, slot_id = body.integer("member_id"), body.integer("slot_id")
    accidental_injury = body.boolean("accidental_injury")
    return await _post_once(request, body, lambda ctx: (
        201, serialize.appointment(appointments.book(ctx, member_id, slot_id, accidental_injury))
    ))


async def appointment_cancel(request: Request, appointment_id: int) -> HTTPResponse:
    _check_id(appointment_id)
    body = Fields.body(request.body)
    member_id = body.integer("member_id")
    return await _post_once(request, body, lambda ctx: (
        200, serialize.change(appointments.cancel(ctx, appointment_id, member_id))
    ))


async def appointment_reschedule(request: Request, appointment_id: int) -> HTTPResponse:
    _check_id(appointment_id)
    body = Fields.body(request.body)
    member_id, slot_id = body.integer("member_id"), body.integer("slot_id")
    return await _post_once(request, body, lambda ctx: (
        200, serialize.change(appointments.reschedule(ctx, appointment_id, member_id, slot_id))
    ))


async def appointment_status(request: Request, appointment_id: int) -> HTTPResponse:
    _check_id(appointment_id)
    body = Fields.body(request.body)
    status = body.choice("status", appointments.OPERATOR_TRANSITIONS)
    note = body.text("note", required=False)
    return await _post_once(request, body, lambda ctx: (
        200, serialize.appointment(appointments.set_status(ctx, appointment_id, status, note))
    ))


# ------------------------------------------------------------------ pre-auth


async def preauth_assess(request: Request) -> HTTPResponse:
    query = Fields.query(request.args)
    text_, amount = query.text("text", max_length=500), query.amount("amount")
    planned = query.day("planned_date", required=False)
    found = preauth.assess(_backend(request).catalog, text_, amount)
    if planned is None:
        return respond(serialize.assessment(found))
    return respond(await _backend(request).read(lambda ctx: serialize.assessment(
        found, None if rules.preauth_application_is_timely(ctx.now, planned, ctx.calendar)
        else messages.preauth_late_warning(planned, ctx.today))))


async def preauth_case_create(request: Request) -> HTTPResponse:
    body = Fields.body(request.body)
    member_id = body.integer("member_id")
    treatment = body.text("treatment", max_length=500)
    hospital_id = body.text("hospital_id", required=False, max_length=100)
    planned_date = body.day("planned_date")
    amount = body.amount("amount")
    materials = body.codes("materials", rules.PREAUTH_MATERIALS)

    def operation(ctx: Context) -> tuple[int, dict]:
        case = preauth.apply(
            ctx, member_id, treatment,
            directory.hospital_id_for(ctx.catalog, hospital_id) if hospital_id else None,
            planned_date, amount, materials,
        )
        return 201, serialize.preauth_case(case, ctx.today, ctx.catalog)
    return await _post_once(request, body, operation)


async def preauth_case_detail(request: Request, key: str) -> HTTPResponse:
    # A member's case is read on that member's behalf only: another member's case is
    # not found, whoever asks (docs/security.md).
    member_id = _check_member_id(Fields.query(request.args).integer("member_id"))
    return respond(await _backend(request).read(
        lambda ctx: serialize.preauth_case(preauth.members_case(ctx, key, member_id),
                                           ctx.today, ctx.catalog)
    ))


async def preauth_case_status(request: Request, key: str) -> HTTPResponse:
    body = Fields.body(request.body)
    status = body.choice("status", preauth.CASE_TRANSITIONS)
    note = body.text("note", required=False)
    return await _post_once(request, body, lambda ctx: (
        200, serialize.preauth_case(preauth.set_status(ctx, key, status, note), ctx.today, ctx.catalog)
    ))


# ------------------------------------------------------------------ emergencies


async def emergency_create(request: Request) -> HTTPResponse:
    body = Fields.body(request.body)
    member_id = body.integer("member_id", required=False)
    channel = body.text("channel", required=False, max_length=20)
    external_id = body.text("external_id", required=False, max_length=200)
    description = body.text("description")
    hospital = body.text("hospital", required=False, max_length=200)
    treatment_start = body.moment("treatment_start", required=False)
    return await _post_once(request, body, lambda ctx: (
        201, serialize.emergency(emergency.notify(
            ctx, member_id, channel, external_id, description, hospital, treatment_start
        ))
    ))


# ------------------------------------------------------------------ notices


async def notices_due(request: Request) -> HTTPResponse:
    """For the reminders job (a service, never a member): visits on `appointments_on`
    still booked, pre-auth cases decided at or after `decided_since`; `as_of` is the
    service's clock at the read, where the caller's next `decided_since` can start."""
    query = Fields.query(request.args)
    day = query.day("appointments_on", required=False)
    since = query.moment("decided_since", required=False)
    if day is None and since is None:
        raise errors.invalid("appointments_on", messages.missing_field("appointments_on / decided_since"))

    def operation(ctx: Context) -> dict:
        visits = notices.appointments_on(ctx, day) if day is not None else []
        decided = notices.decided_since(ctx, since) if since is not None else []
        reach = notices.identities(ctx, [a.member_id for a in visits]
                                   + [case.member_id for case, _ in decided])
        return {
            "as_of": serialize.when(ctx.now),
            "appointment_reminders": [serialize.appointment_reminder(a, reach[a.member_id])
                                      for a in visits],
            "preauth_decisions": [serialize.preauth_decision(case, at, reach[case.member_id])
                                  for case, at in decided],
        }
    return respond(await _backend(request).read(operation))


# ------------------------------------------------------------------ the table

ROUTES = (
    ("GET", "/health", health),
    ("GET", "/openapi.yaml", openapi_document),
    ("GET", "/v1/members/lookup", member_lookup),
    ("POST", "/v1/members/link", member_link),
    ("POST", "/v1/members/unlink", member_unlink),
    ("GET", "/v1/members/<member_id:int>", member_detail),
    ("GET", "/v1/members/<member_id:int>/profile", member_profile),
    ("POST", "/v1/members/<member_id:int>/health-manager", member_health_manager),
    ("GET", "/v1/members/<member_id:int>/appointments", member_appointments),
    ("GET", "/v1/members/<member_id:int>/preauth-cases", member_preauth_cases),
    ("GET", "/v1/members/<member_id:int>/emergency-notifications", member_emergency_notifications),
    ("GET", "/v1/hospitals", hospitals_list),
    ("GET", "/v1/hospitals/<hospital_id:str>", hospital_detail),
    ("GET", "/v1/doctors", doctors_list),
    ("GET", "/v1/availability", availability),
    ("POST", "/v1/appointments", appointment_create),
    ("POST", "/v1/appointments/<appointment_id:int>/cancel", appointment_cancel),
    ("POST", "/v1/appointments/<appointment_id:int>/reschedule", appointment_reschedule),
    ("POST", "/v1/appointments/<appointment_id:int>/status", appointment_status),
    ("GET", "/v1/preauth/assess", preauth_assess),
    ("POST", "/v1/preauth-cases", preauth_case_create),
    ("GET", "/v1/preauth-cases/<key:str>", preauth_case_detail),
    ("POST", "/v1/preauth-cases/<key:str>/status", preauth_case_status),
    ("POST", "/v1/emergency-notifications", emergency_create),
    ("GET", "/v1/notices", notices_due),
)


def register(app: Sanic) -> None:
    for method, uri, handler in ROUTES:
        app.add_route(handler, uri, methods=[method], name=handler.__name__)
