"""The custom NLU components on hand-built messages: no model, no server."""
from __future__ import annotations

from datetime import datetime

from rasa.shared.nlu.training_data.message import Message

import pytest

from bot.clock import SHANGHAI, Clock
from bot.nlu.components import IdentifierExtractor, RedFlagOverride, TimeAmountExtractor
from bot.nlu.identifiers import find_phone_last4, find_policy_number
from bot.nlu.spelling import correct


def message(text: str, intent: str | None = None, confidence: float = 0.9) -> Message:
    data = {"text": text}
    if intent:
        data["intent"] = {"name": intent, "confidence": confidence}
        data["intent_ranking"] = [{"name": intent, "confidence": confidence},
                                  {"name": "report_emergency", "confidence": 0.01}]
    return Message(data=data)


def entities(msg: Message, name: str) -> list:
    return [e for e in msg.get("entities", []) if e["entity"] == name]


def test_red_flag_replaces_any_prediction_and_heads_the_ranking():
    [msg] = RedFlagOverride().process([message("我妈喝了农药", "nlu_fallback", 0.5)])
    assert msg.get("intent") == {"name": "report_emergency", "confidence": 1.0}
    ranking = msg.get("intent_ranking")
    assert ranking[0]["name"] == "report_emergency"
    assert [r["name"] for r in ranking].count("report_emergency") == 1
    [flag] = entities(msg, "red_flag")
    assert flag["value"] == "poisoning" and msg.get("text")[flag["start"]:flag["end"]] == "喝了农药"


def test_self_harm_is_tagged_for_the_crisis_reply():
    [msg] = RedFlagOverride().process([message("活着没意思 不想活了", "out_of_scope")])
    assert entities(msg, "red_flag")[0]["value"] == "self_harm"


def test_classifier_emergency_without_a_rule_match_still_updates_the_slot():
    [msg] = RedFlagOverride().process([message("快来帮帮我爸", "report_emergency")])
    assert entities(msg, "red_flag")[0]["value"] == "unspecified"


def test_ordinary_messages_pass_untouched():
    [msg] = RedFlagOverride().process([message("卒中筛查能直付吗", "ask_direct_billing")])
    assert msg.get("intent")["name"] == "ask_direct_billing"
    assert entities(msg, "red_flag") == []


def test_time_and_amount_entities_follow_the_injected_clock():
    clock = Clock(datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI))
    [msg] = TimeAmountExtractor(clock).process([message("1月5号上午做胃镜 大概两千块")])
    [when] = entities(msg, "time")
    assert when["value"]["start"].startswith("2027-01-05T08:00")
    assert entities(msg, "amount")[0]["value"] == 2000


@pytest.mark.parametrize("text, policy_number", [
    ("ZAHM2026000001", "ZAHM2026000001"),
    ("绑定一下我的保单 zahm2026000003", "ZAHM2026000003"),
    ("保单号 ZAHM 2026 0000 02", "ZAHM2026000002"),
    ("保单号：zahm-2026-000004，帮我绑定", "ZAHM2026000004"),
    ("ＺＡＨＭ２０２６０００００５", "ZAHM2026000005"),
    ("我的保单号是ZA12345678", "ZA12345678"),
    ("绑定保单", None),
    ("zambia", None),
    ("ZAHM", None),
    ("ZAHMABCDEFGH12", None),  # too few digits for a policy number
    ("XZAHM2026000001", None),  # part of a longer word
    ("ZAHM2026000002 0002", "ZAHM2026000002"),  # the phone tail said with it
    ("zahm 2026 0000 02 0002", "ZAHM2026000002"),
])
def test_policy_numbers_are_found_and_normalised(text, policy_number):
    found = find_policy_number(text)
    assert (found.value if found else None) == policy_number


@pytest.mark.parametrize("text, bare, last4", [
    ("手机尾号0003", False, "0003"),
    ("保单号ZAHM2026000003 手机尾号0003", False, "0003"),
    ("手机后四位是 6688", False, "6688"),
    ("手机号后4位：1024", False, "1024"),
    ("电话末四位3321", False, "3321"),
    ("1024是我手机尾号", False, "1024"),
    ("我的手机号是139 0000 0002", False, "0002"),
    ("尾号０００３", False, "0003"),
    ("0003", False, None),  # a bare number only when the form asked for it
    ("0003", True, "0003"),
    (" 0003。", True, "0003"),
    ("12345", True, None),
    ("尾号123", False, None),
    ("ZAHM2026000003", True, None),  # a policy number is not a phone tail
    ("ZAHM2026000002 0002", False, "0002"),
    ("保单ZAHM2026000002，0002", False, "0002"),
    ("ZAHM2026000002 20260", False, None),
    ("明天下午3点", True, None),
])
def test_phone_tails_are_found_next_to_their_cue_words(text, bare, last4):
    found = find_phone_last4(text, bare=bare)
    assert (found.value if found else None) == last4


def test_identifier_entities_point_at_what_the_member_wrote():
    text = "保单号 zahm 2026 0000 03，手机尾号0003"
    [msg] = IdentifierExtractor().process([message(text)])
    [policy] = entities(msg, "policy_number")
    [tail] = entities(msg, "phone_last4")
    assert policy["value"] == "ZAHM2026000003"
    assert text[policy["start"]:policy["end"]] == "zahm 2026 0000 03"
    assert tail["value"] == "0003" and tail["start"] == text.rindex("0003")
    assert policy["extractor"] == tail["extractor"] == "IdentifierExtractor"


def test_ordinary_messages_get_no_identifier_entities():
    [msg] = IdentifierExtractor().process([message("约瑞金皮肤科 11月26号上午9点")])
    assert msg.get("entities", []) == []


@pytest.mark.parametrize("text, predicted, forced", [
    ("算了 不改了", "reschedule_appointment", "deny"),
    ("先不改了 帮我申请个预授权 下周做胃镜", "deny", "apply_preauth"),    # leave one, start another
    ("不约了 帮我申请一下预授权", "book_appointment", "apply_preauth"),
    ("最晚啥时候能取消", "cancel_appointment", "ask_visit_rules"),         # a rule, not a request
    ("等待期啥时候过", "out_of_scope", "ask_visit_rules"),
    ("我的等待期到哪天", "ask_direct_billing", "ask_visit_rules"),
    ("预授权批下来一般要几天", "ask_preauth_required", "check_preauth_status"),
    ("审批要多久", "ask_preauth_required", "check_preauth_status"),
    ("预授权审批一般几个工作日", "ask_preauth_materials", "check_preauth_status"),
    ("预授权要提前多久申请", "ask_preauth_required", "ask_preauth_required"),  # ahead: the rule
    ("拔智齿需要申请预授权吗", "apply_preauth", "ask_preauth_required"),   # asks whether
    ("申请预授权", "apply_preauth", "apply_preauth"),                      # a request stays one
    ("帮我申请预授权 做胃镜", "apply_preauth", "apply_preauth"),
    ("预授权需要提交哪些证明材料", "ask_preauth_materials", "ask_preauth_materials"),
    ("预授权的申请怎么发起", "apply_preauth", "apply_preauth"),         # how to, not whether
    ("我那个预授权申请批没批", "apply_preauth", "check_preauth_status"),  # about one made
    ("帮我申请预授权 看看能不能通过", "apply_preauth", "apply_preauth"),
    ("周末人工有人吗", "request_human", "ask_service_hours"),             # when, not a request
    ("你好 你们几点下班", "greet", "ask_service_hours"),
    ("现在能转人工吗", "request_human", "request_human"),
    ("晚上还能找管家吗", "request_human", "ask_service_hours"),        # whether at that time
    ("周日可以转人工不", "request_human", "ask_service_hours"),
    ("人工晚上有人在吗", "request_human", "ask_service_hours"),
    ("晚上好 帮我转人工", "request_human", "request_human"),
    ("晚上好", "greet", "greet"),                                        # a greeting, no time asked
    ("早上好 管家在吗", "greet", "greet"),
    ("帮我找管家 几点能回电话", "request_human", "request_human"),
])
def test_dialogue_cues_say_what_the_member_wants(text, predicted, forced):
    [msg] = RedFlagOverride().process([message(text, predicted)])
    assert msg.get("intent")["name"] == forced


@pytest.mark.parametrize("typed, read", [
    ("理陪怎么弄", "理赔怎么弄"),
    ("做胃镜要申请预受权吗", "做胃镜要申请预授权吗"),
    ("直附卡在哪看 转人公", "直付卡在哪看 转人工"),
    ("只付一半可以吗", "只付一半可以吗"),         # a real phrase: untouched
    ("急症能直付吗", "急症能直付吗"),
])
def test_pinyin_slips_of_the_services_words_are_put_right_at_the_same_length(typed, read):
    assert correct(typed) == read and len(correct(typed)) == len(typed)


def test_the_tokens_carry_the_word_spelt_right_at_the_members_offsets():
    from rasa.engine.storage.resource import Resource

    from bot.nlu.components import ChineseTokenizer

    tokenizer = ChineseTokenizer({**ChineseTokenizer.get_default_config(), "hmm": False},
                                 None, Resource("tokenizer"))
    tokens = tokenizer.tokenize(message("请问理陪要多久"), "text")
    [claim] = [t for t in tokens if "赔" in t.text]
    assert (claim.text, claim.start, claim.end) == ("理赔", 2, 4)


@pytest.mark.parametrize("text, predicted, forced", [
    # a health message DIET did not read, or read as the visit rules: a health question
    ("宝宝上周六发烧的时候抽过一次 一两分钟就缓过来了 这几天都没烧 还要去查脑电图吗",
     "nlu_fallback", "health_question"),
    ("我爸前天住院了 医生说是脑梗 现在在打点滴 以后要注意啥", "ask_visit_rules", "health_question"),
    ("就诊要注意什么", "ask_visit_rules", "ask_visit_rules"),                 # the visit rules
    ("看病要带身份证吗 我腿疼", "ask_visit_rules", "ask_visit_rules"),       # a visit topic named
    ("住院的发票怎么报销", "nlu_fallback", "nlu_fallback"),                  # a service word
    ("麻烦问一下", "nlu_fallback", "nlu_fallback"),
])
def test_a_health_message_is_never_left_unread_or_read_as_the_visit_rules(text, predicted, forced):
    [msg] = RedFlagOverride().process([message(text, predicted)])
    assert msg.get("intent")["name"] == forced


@pytest.mark.parametrize("predicted", ["deny", "nlu_fallback", "out_of_scope"])
def test_a_correction_with_a_detail_is_information_whatever_diet_read(predicted):
    msg = message("哦不对 我要看的是肾内科", predicted)
    msg.set("entities", [{"entity": "department", "value": "肾内科", "start": 8, "end": 11}])
    [msg] = RedFlagOverride().process([msg])
    assert msg.get("intent")["name"] == "inform"
