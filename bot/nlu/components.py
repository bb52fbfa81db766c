"""Custom Rasa NLU components: Chinese tokenising, rule-based time/amount and policy
number/phone tail entities, and the emergency override that no classifier score can
outvote.

Each component is a thin adapter: the thinking lives in plain modules
(bot.timeparse, bot.amounts, bot.nlu.identifiers, bot.redflags) that are tested on
their own.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import amounts, redflags, timeparse
from bot.clock import Clock
from bot.nlu import identifiers

logger = logging.getLogger(__name__)

EMERGENCY_INTENT = "report_emergency"
RED_FLAG_ENTITY = "red_flag"
# Value of the red_flag entity when the classifier (not the rule check) chose the
# emergency path: the slot must still change so responses never reuse a stale category.
UNSPECIFIED_RED_FLAG = "unspecified"
SELF_HARM_RED_FLAG = "self_harm"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class ChineseTokenizer(JiebaTokenizer):
    """JiebaTokenizer without the whitespace tokens it emits between Chinese and
    Latin words (RasaHQ/rasa#7910): "做PET-CT 检查" must not yield a " " token.

    `hmm: false` turns off jieba's guessing of unknown words, which glues a verb to a
    surname (约何教授 -> 约何/教授) and hides the doctor entity."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**JiebaTokenizer.get_default_config(), "hmm": True}

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        import jieba

        text = message.get(attribute)
        tokens = [
            Token(word, start)
            for word, start, _ in jieba.tokenize(text, HMM=self._config["hmm"])
            if word.strip()
        ]
        return self._apply_token_pattern(tokens)


def _entity(
    name: Text, value: Any, text: Text, span: Text, extractor: Text,
    start: Optional[int] = None,
) -> Dict[Text, Any]:
    if start is None:
        start = max(text.find(span), 0) if span else 0
    return {
        "entity": name,
        "value": value,
        "start": start,
        "end": start + len(span) if span else len(text),
        "confidence": 1.0,
        "extractor": extractor,
    }


class _RuleComponent(GraphComponent):
    """A component that learns nothing: built from no state, passes training data by."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "_RuleComponent":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


class _RuleExtractor(_RuleComponent, EntityExtractorMixin):
    """Adds the entities its rules find (`extract`) to whatever DIET found."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self.extract(message.get(TEXT) or "")
            if found:
                message.set(
                    ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True
                )
        return messages

    def extract(self, text: Text) -> List[Dict[Text, Any]]:
        raise NotImplementedError


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class TimeAmountExtractor(_RuleExtractor):
    """Adds `time` (resolved against the injectable clock, booking semantics) and
    `amount` (RMB) entities found by rules; DIET is never trained on either."""

    def __init__(self, clock: Optional[Clock] = None) -> None:
        self._clock = clock or Clock.from_env()

    def extract(self, text: Text) -> List[Dict[Text, Any]]:
        found = []
        when = timeparse.resolve_booking_time(text, self._clock.now())
        if when is not None:
            found.append(_entity("time", when.to_dict(), text, when.text, self.name))
        money = amounts.find_amount(text)
        if money is not None:
            value = int(money.value) if money.value == int(money.value) else float(money.value)
            found.append(_entity("amount", value, text, money.text, self.name))
        return found


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class IdentifierExtractor(_RuleExtractor):
    """Adds `policy_number` (normalised: ZAHM2026000001) and `phone_last4` (four digits
    said as the phone's tail) entities found by rules; DIET is never trained on either.
    A bare four-digit reply is taken as a phone tail by the link form, which knows it
    asked for one (actions/link.py)."""

    def extract(self, text: Text) -> List[Dict[Text, Any]]:
        found = []
        for name, match in (("policy_number", identifiers.find_policy_number(text)),
                            ("phone_last4", identifiers.find_phone_last4(text))):
            if match is not None:
                found.append(_entity(name, match.value, text, match.text, self.name,
                                     start=match.start))
        return found


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class RedFlagOverride(_RuleComponent, IntentClassifier, EntityExtractorMixin):
    """Forces `report_emergency` whenever bot.redflags sees a red flag, whatever DIET
    or the FallbackClassifier decided, and tags every emergency with a `red_flag`
    entity (the category, or `self_harm`) for the responses and the log.

    Must stand after FallbackClassifier in the pipeline, so a low-confidence
    emergency never turns into a "please rephrase"."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._apply(message)
        return messages

    def _apply(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        flag = redflags.detect(text)
        predicted = (message.get(INTENT) or {}).get("name")
        if flag is None and predicted != EMERGENCY_INTENT:
            return
        if flag is not None and predicted != EMERGENCY_INTENT:
            logger.info(
                "Red flag %s overrides predicted intent %s", flag.category.value, predicted
            )
            forced = {"name": EMERGENCY_INTENT, "confidence": 1.0}
            ranking = [forced] + [
                r
                for r in message.get(INTENT_RANKING_KEY, [])
                if r.get("name") != EMERGENCY_INTENT
            ]
            message.set(INTENT, forced, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        message.set(
            ENTITIES,
            message.get(ENTITIES, []) + [self._red_flag_entity(text, flag)],
            add_to_output=True,
        )

    def _red_flag_entity(
        self, text: Text, flag: Optional[redflags.RedFlag]
    ) -> Dict[Text, Any]:
        if flag is None:
            return _entity(RED_FLAG_ENTITY, UNSPECIFIED_RED_FLAG, text, "", self.name)
        value = SELF_HARM_RED_FLAG if flag.self_harm else flag.category.value
        return _entity(RED_FLAG_ENTITY, value, text, flag.matched, self.name)
