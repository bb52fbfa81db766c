"""The backends app's wiring and contract: the OpenAPI document (bot/backends/openapi.yaml)
lists exactly the app's routes, and real answers of the running server match its schemas."""
from __future__ import annotations

import re
import uuid
from typing import Any, Callable, Set, Tuple

import jsonschema
import pytest
import requests
import yaml

from bot.backends.app import OPENAPI_PATH, create_app
from bot.backends.db import Database
from bot.backends.service import Backend
from bot.catalog import load_catalog
from bot.clock import Clock, default_calendar
from tests.conftest import Backends

TIMEOUT = 10


@pytest.fixture(scope="module")
def document() -> dict:
    return yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))


def app_routes() -> Set[Tuple[str, str]]:
    backend = Backend(Database.from_url("sqlite://"), Clock(), default_calendar(), load_catalog())
    app = create_app(backend, token="unused", name=f"openapi_check_{uuid.uuid4().hex[:8]}")
    return {
        (method, "/" + re.sub(r"<(\w+)(?::[^>]+)?>", r"{\1}", route.path))
        for route in app.router.routes
        for method in route.methods
    }


def test_every_route_is_documented_and_every_documented_route_exists(document: dict) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert app_routes() == documented


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "example"}
    if converted.pop("nullable", False):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@pytest.fixture(scope="module")
def conforms(document: dict) -> Callable[[str, Any], None]:
    components = _json_schema(document["components"])

    def check(schema_name: str, instance: Any) -> None:
        schema = {"$ref": f"#/components/schemas/{schema_name}", "components": components}
        jsonschema.Draft7Validator(schema).validate(instance)
    return check


def test_real_answers_match_the_documented_schemas(backends_server: Backends, conforms) -> None:
    def get(path: str, **params: Any) -> Any:
        return requests.get(backends_server.url + path, params=params,
                            headers=backends_server.headers(), timeout=TIMEOUT).json()

    member = get("/v1/members/lookup", channel="web", external_id="demo-preauth")
    conforms("Member", member)
    profile = get(f"/v1/members/{member['id']}/profile")
    for appointment in profile["appointments"]:
        conforms("Appointment", appointment)
    for case in profile["preauth_cases"]:
        conforms("PreauthCase", case)
    for hospital in get("/v1/hospitals", q="人民医院")["hospitals"]:
        conforms("Hospital", hospital)
    for doctor in get("/v1/doctors", hospital_id="ruijin")["doctors"]:
        conforms("Doctor", doctor)
    for params in (
        {"start": "2026-11-25", "end": "2026-11-25"},
        {"start": "2026-11-29", "end": "2026-11-29"},
        {"start": "2026-11-29", "end": "2026-11-29", "member_id": member["id"]},
    ):
        conforms("Availability", get("/v1/availability", hospital_id="ruijin",
                                     department_id="dermatology", **params))
    conforms("PreauthAssessment", get("/v1/preauth/assess", text="PD-1"))
    conforms("Error", get("/v1/members/0"))
    notice = requests.post(
        backends_server.url + "/v1/emergency-notifications", json={"description": "摔伤"},
        headers=backends_server.headers(uuid.uuid4().hex), timeout=TIMEOUT,
    ).json()
    conforms("EmergencyNotification", notice)
