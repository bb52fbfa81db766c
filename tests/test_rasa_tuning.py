"""bot/rasa_tuning.py keeps what Rasa does: valid action server answers pass, invalid
ones fail with Rasa's own error."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot import rasa_tuning

VALID = {"events": [{"event": "slot", "name": "hospital", "value": "华山医院"}],
         "responses": [{"response": "utter_greet", "buttons": []}]}


@pytest.fixture(scope="module")
def action():
    rasa_tuning.install()
    rasa_tuning.install()  # a second install changes nothing
    return RemoteAction("action_start_booking", None)


def test_a_valid_answer_passes(action):
    assert action._validate_action_result(VALID) is True
    assert action._validate_action_result({}) is True


@pytest.mark.parametrize("answer", [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": [1]},
])
def test_an_invalid_answer_gets_rasas_own_error(action, answer):
    with pytest.raises(ValidationError) as raised:
        action._validate_action_result(answer)
    assert "Failed to validate Action server response" in raised.value.message


def test_every_event_type_resolves_to_rasas_own_class():
    from rasa.shared.core import events
    from rasa.shared.utils.common import all_subclasses

    rasa_tuning.install()
    for cls in all_subclasses(events.Event):
        stock = next(c for c in all_subclasses(events.Event) if c.type_name == cls.type_name)
        assert events.Event.resolve_by_type(cls.type_name) is stock
        assert events.Event.resolve_by_type(cls.type_name) is stock  # remembered
    assert events.Event.resolve_by_type("topic") is None
    assert events.Event.resolve_by_type("no-such-event", events.UserUttered) is \
        events.UserUttered
    with pytest.raises(ValueError, match="Unknown event name"):
        events.Event.resolve_by_type("no-such-event")
    # A whole conversation still loads as Rasa wrote it.
    stored = [{"event": "user", "text": "你好", "parse_data": {"intent": {"name": "greet"}}},
              {"event": "bot", "text": "您好"}, {"event": "slot", "name": "a", "value": 1}]
    assert [type(e) for e in events.deserialise_events(stored)] == [
        events.UserUttered, events.BotUttered, events.SlotSet]
