"""Rasa sends the domain (36 KB of JSON) only to the custom actions that need it
(endpoints.yml: enable_selective_domain; the domain's send_domain): the forms'
validation actions, which read each form's required slots from it. An action that
needs the domain and is not marked would get none, so every one is checked here."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import yaml
from rasa_sdk import FormValidationAction

import actions
from bot.processes import ROOT, action_endpoint


def _validation_actions() -> set:
    names = set()
    for module in pkgutil.iter_modules(actions.__path__):
        loaded = importlib.import_module(f"actions.{module.name}")
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, FormValidationAction) and cls is not FormValidationAction \
                    and cls.__module__ == loaded.__name__:
                names.add(cls().name())
    return names


def test_the_forms_validation_actions_and_only_they_get_the_domain() -> None:
    from rasa.shared.core.domain import Domain

    domain = Domain.load(str(ROOT / "domain"))
    needing = {name for name in domain.user_actions
               if domain.does_custom_action_explicitly_need_domain(name)}
    assert needing == _validation_actions() == {
        "validate_booking_form", "validate_change_form", "validate_link_form",
        "validate_preauth_form", "validate_emergency_patient_form"}


def test_every_rasa_configuration_sends_the_domain_selectively() -> None:
    for text in ((ROOT / "endpoints.yml").read_text(),
                 (ROOT / "deploy" / "rasa-endpoints.yml").read_text(),
                 action_endpoint("http://127.0.0.1:5055")):
        assert yaml.safe_load(text)["action_endpoint"]["enable_selective_domain"] is True
