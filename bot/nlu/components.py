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

from bot import amounts, choices, redflags, timeparse, triage
from bot.clock import Clock
from bot.nlu import identifiers, spelling

logger = logging.getLogger(__name__)

EMERGENCY_INTENT = "report_emergency"
BOOKING_INTENT = "book_appointment"
# Intents a whole booking request full of details is sometimes read as.
BOOKING_CUE_INTENTS = frozenset({"inform", "nlu_fallback", "query_appointments"})
DENY_INTENT = "deny"
# A question about the service hours DIET may take for a request for a person, or a hello.
HOURS_INTENT = "ask_service_hours"
HOURS_CUE_INTENTS = frozenset({"request_human", "greet"})
# Readings DIET gives a health question it does not know what to make of.
HEALTH_MISREADS = frozenset({"nlu_fallback", "ask_visit_rules"})
# What DIET may read a correction as (哦不对 我要看的是肾内科: a no, or nothing it knows).
CORRECTION_CUE_INTENTS = frozenset({DENY_INTENT, "nlu_fallback", "out_of_scope"})
# Requests that end an open form and start themselves (data/rules/switching.yml).
SWITCHING_REQUESTS = frozenset({"apply_preauth", BOOKING_INTENT})
INFORM_INTENT = "inform"
# Intents a whole request with its details is sometimes read as.
REQUEST_CUE_INTENTS = frozenset({"inform", "nlu_fallback", "out_of_scope", "health_question",
                                 "seek_care_today"})
PREAUTH_QUESTION_INTENTS = frozenset({"ask_preauth_required", "ask_preauth_materials"})
# DIET's own reading behind a fallback that still says "health": a question, not a shrug.
HEALTH_INTENTS = frozenset({"health_question", "seek_care_today"})
# What a bare number may be: a piece of information (an amount, a pick), or a greeting-less
# policy tail the linking form reads as inform too.
NUMBER_INTENTS = frozenset({"inform"})
DETAIL_ENTITIES = frozenset({"time", "hospital", "department", "doctor", "treatment", "amount"})
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
    surname (约何教授 -> 约何/教授) and hides the doctor entity.

    Tokens carry the service's words spelt right (bot.nlu.spelling: 理陪 -> 理赔) at the
    offsets of the member's own text."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**JiebaTokenizer.get_default_config(), "hmm": True}

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        import jieba

        text = spelling.correct(message.get(attribute))
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
    """The triage level decides the intent of a health message (bot/triage.py):
    `report_emergency` whenever bot.redflags sees a red flag, whatever DIET or the
    FallbackClassifier decided; `seek_care_today` or `health_question` when the message
    is about health below that level (including a classifier emergency that is plainly
    about the past, a what-if, knowledge, or a patient already under care). Every
    emergency is tagged with a `red_flag` entity (the category, or `self_harm`) for the
    responses and the log.

    Must stand after FallbackClassifier in the pipeline, so a low-confidence
    emergency never turns into a "please rephrase"."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._apply(message)
        return messages

    def _apply(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        predicted = (message.get(INTENT) or {}).get("name")
        score = next((r.get("confidence") or 0.0 for r in message.get(INTENT_RANKING_KEY) or []
                      if r.get("name") == EMERGENCY_INTENT), 0.0)
        ranking = [r.get("name") for r in message.get(INTENT_RANKING_KEY) or []]
        underlying = next((name for name in ranking if name != "nlu_fallback"), None)
        if predicted == "nlu_fallback" and underlying in HEALTH_INTENTS:
            predicted = underlying        # unsure which intent, but sure it is about health
        elif predicted in HEALTH_MISREADS and triage.about_health(text) and not (
                predicted == "ask_visit_rules" and choices.visit_question_topic(text)):
            # 宝宝上周发烧抽过一次 还要查脑电图吗 unread, or 脑梗住院了 以后要注意啥 read as
            # the visit rules: a health question, never a dead end or the 就诊须知
            predicted = triage.QUESTION_INTENT
        assessment = triage.assess(text, predicted, score)
        if assessment is None or assessment.level is not triage.Level.EMERGENCY:
            # Below an emergency, what the member says they want in the dialogue (leave,
            # correct a detail, a whole request) comes before a health reading.
            if self._dialogue_cues(message, text, predicted) or assessment is None:
                return
        if assessment.intent != (message.get(INTENT) or {}).get("name"):
            logger.info("Triage (%s, %s) overrides predicted intent %s",
                        assessment.level.value, assessment.sign or "-", predicted)
            self._force(message, assessment.intent)
        if assessment.level is triage.Level.EMERGENCY:
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + [self._red_flag_entity(text, assessment.red_flag)],
                add_to_output=True,
            )

    def _service_request(self, message: Message, text: str, predicted: Optional[str]) -> bool:
        """A whole request for a service said with its details (帮我约12月15号下午 华山医院
        消化内科; 下周三华山做肠镜 9000块 帮我申请预授权), which DIET read as a bare piece
        of information or as a health question: the request it makes wins. True when it
        forced one."""
        entities = frozenset(e.get("entity") for e in message.get(ENTITIES, []))
        request = choices.service_request(text, entities)
        if request is None or request == predicted:
            return False
        # A pre-auth question that asks to apply (帮我申请下预授权 ... 材料都有) applies; a
        # question about a rule worded as a request (最晚啥时候能取消) is that question.
        # And the other way: 拔智齿需要申请预授权吗 asks whether, it does not apply.
        asks_whether = (predicted == "apply_preauth" and request == "ask_preauth_required"
                        and choices.is_question(text) and not choices.asks_how_to(text))
        # 预授权申请处理到什么程度了 asks about an application already made.
        asks_status = (predicted == "apply_preauth" and request == "check_preauth_status"
                       and not choices.asks_to_apply(text))
        if (predicted not in REQUEST_CUE_INTENTS
                and not (predicted in PREAUTH_QUESTION_INTENTS and request == "apply_preauth")
                and not choices.is_rule_question(text) and not asks_whether
                and not asks_status):
            return False
        logger.info("A whole request: %s overrides predicted intent %s", request, predicted)
        self._force(message, request)
        return True

    def _dialogue_cues(self, message: Message, text: str, predicted: Optional[str]) -> bool:
        """Words that say plainly what the member wants in a dialogue, whatever DIET read:
        leaving (算了, 不取消了: not a cancellation), a correction said with a refusal word
        (算了还是改成下周四下午: a detail, not a no; 哦不对 我要看的是肾内科, which DIET may not
        read at all), a booking asked for in so many words."""
        entities = {e.get("entity") for e in message.get(ENTITIES, [])}
        # 先不改了 帮我申请个预授权: leaving one thing to start another (data/rules/switching.yml)
        request = choices.stops_to_start(text, frozenset(entities))
        if request in SWITCHING_REQUESTS:
            if request == predicted:
                return True
            forced = request
        elif predicted != DENY_INTENT and choices.wants_to_stop(text):
            forced = DENY_INTENT
        elif (predicted in CORRECTION_CUE_INTENTS and entities & DETAIL_ENTITIES
              and choices.changes_a_detail(text)):
            forced = INFORM_INTENT
        elif predicted not in NUMBER_INTENTS and choices.is_bare_number(text):
            forced = INFORM_INTENT
        elif predicted in HOURS_CUE_INTENTS and choices.asks_service_hours(text):
            forced = HOURS_INTENT       # 周末人工有人吗: when, not a request to be put through
        elif self._service_request(message, text, predicted):
            return True
        elif predicted in BOOKING_CUE_INTENTS and choices.asks_to_book(
                text, strictly=predicted == "query_appointments"):
            forced = BOOKING_INTENT
        else:
            return False
        logger.info("Dialogue cue: %s overrides predicted intent %s", forced, predicted)
        self._force(message, forced)
        return True

    @staticmethod
    def _force(message: Message, intent: str) -> None:
        forced = {"name": intent, "confidence": 1.0}
        ranking = [forced] + [r for r in message.get(INTENT_RANKING_KEY, [])
                              if r.get("name") != intent]
        message.set(INTENT, forced, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

    def _red_flag_entity(
        self, text: Text, flag: Optional[redflags.RedFlag]
    ) -> Dict[Text, Any]:
        if flag is None:
            return _entity(RED_FLAG_ENTITY, UNSPECIFIED_RED_FLAG, text, "", self.name)
        value = SELF_HARM_RED_FLAG if flag.self_harm else flag.category.value
        return _entity(RED_FLAG_ENTITY, value, text, flag.matched, self.name)
