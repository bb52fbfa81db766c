"""Costs the Rasa server pays on every turn for nothing, removed without changing what
Rasa does. Installed once per Rasa process, when Rasa builds the project's channel
(bot/rasa_channel.py), so `rasa run`, the tests' servers and every replica get it.

- Rasa checks each action server answer with `jsonschema.validate`, which re-checks the
  fixed response schema against the draft-2020-12 meta-schema on every call: about 23 ms
  of the event loop per custom action on this machine, a fifth of the Rasa server's CPU
  under load (docs/performance.md). Here the validator is built once; a valid answer
  passes at once, an invalid one still goes through Rasa's own check, which raises its
  own error with its own message.
- Rasa turns each stored event back into its class by walking every subclass of Event
  (`all_subclasses`, recursive, with an abstract-class check per class) and comparing
  type names: for every event of every tracker it loads, about a tenth of the Rasa
  server's CPU under load (8 members, py-spy). Here each type name's class is looked up
  that way once and remembered; unknown names, `topic` and defaults go through Rasa's
  own function every time, with its own answers and errors.
"""
from __future__ import annotations

from typing import Any, Dict

_INSTALLED = "_hm_compiled_validator"


def install() -> None:
    """Idempotent: a second call changes nothing."""
    _compile_action_schema()
    _remember_event_classes()


def _remember_event_classes() -> None:
    from rasa.shared.core.events import Event

    rasa_resolve = Event.resolve_by_type
    if getattr(rasa_resolve, _INSTALLED, False):
        return
    known: Dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        found = known.get(type_name)
        if found is not None:
            return found
        found = rasa_resolve(type_name, default)
        if found is not None and found is not default:
            known[type_name] = found
        return found

    setattr(resolve_by_type, _INSTALLED, True)
    Event.resolve_by_type = staticmethod(resolve_by_type)


def _compile_action_schema() -> None:
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    rasa_validate = RemoteAction._validate_action_result
    if getattr(rasa_validate, _INSTALLED, False):
        return
    schema = RemoteAction.action_response_format_spec()
    checker = validators.validator_for(schema)
    checker.check_schema(schema)  # once, as Rasa's call does each time
    validator = checker(schema)

    def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        if validator.is_valid(result):
            return True
        return rasa_validate(self, result)  # Rasa's own error and message

    setattr(_validate_action_result, _INSTALLED, True)
    RemoteAction._validate_action_result = _validate_action_result
