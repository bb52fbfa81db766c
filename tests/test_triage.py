"""The three triage levels (bot/triage.py), both directions, for every way the classifier
may have read the message. Phrases written for this file, not taken from the held-out
sets."""
from __future__ import annotations

import pytest

from bot import redflags, triage
from bot.triage import Level

EMERGENCY, TODAY, QUESTION = Level.EMERGENCY, Level.TODAY, Level.QUESTION


# Emergencies the rules see: 120 whatever the classifier read.
@pytest.mark.parametrize("text", [
    "我爸刚才突然说话不清楚 嘴也歪了",
    "老公胸口疼得厉害 一直冒冷汗",
    "孩子喝了农药",
    "我妈晕倒了叫不醒",
    "想死 药都准备好了",
])
@pytest.mark.parametrize("intent", ["report_emergency", "health_question", "seek_care_today",
                                    "book_appointment", "out_of_scope", "ask_claim"])
def test_a_red_flag_is_an_emergency_whatever_the_classifier_read(text, intent):
    assert triage.assess(text, intent).level is EMERGENCY


# The classifier's emergency stays one unless the message is plainly not about now.
@pytest.mark.parametrize("text", [
    "我老婆现在浑身发抖 脸色发白 说心里难受",
    "爷爷一直在发抖 嘴唇有点紫",
    "快点 人不太对劲",
])
def test_the_classifiers_emergency_about_now_stays_an_emergency(text):
    assert triage.assess(text, "report_emergency").level is EMERGENCY


@pytest.mark.parametrize("text, why", [
    ("我爸前年做过搭桥 最近爬楼有点喘 要不要复查", "past"),
    ("万一夜里孩子喘得厉害 先做什么", "hypothetical"),
    ("心衰病人平时要注意什么", "knowledge"),
    ("我妈在医院住着 医生说是肺栓塞 这个病严重吗", "under care"),
    ("胃出血一般是什么原因引起的", "knowledge"),
])
def test_the_classifiers_emergency_about_something_else_than_now_is_a_question(text, why):
    assert redflags.modality(text).not_now, why
    assert triage.assess(text, "report_emergency").level is QUESTION


@pytest.mark.parametrize("text, sign", [
    ("踢球把脚踝崴了 肿起来了", "sprain"),
    ("切水果划破手指 口子有点深 要缝针吗", "wound"),
    ("被小区流浪猫抓破了手", "bite"),
    ("发烧39度2 头疼 浑身没劲", "fever"),
    ("小便的时候刺痛 老想上厕所", "urinary"),
    ("电焊的时候眼睛飞进东西了", "eye"),
    ("一天拉了七八次 水样的", "gut"),
    ("开水烫到手 起了水泡", "burn"),
    ("手指被抽屉夹了 指甲都发紫了", "fracture"),
    ("我这几天呕吐 吃什么吐什么 有点脱水", "gut"),           # 吃什么 here is no question
    ("妈妈这几天老说喘不上气 晚上要垫高枕头才能睡 腿也肿", "breathless"),
    ("产后一周 恶露突然变多 有血块", "pregnancy"),
])
@pytest.mark.parametrize("intent", ["seek_care_today", "health_question", "out_of_scope"])
def test_same_day_signs_are_a_visit_today(text, sign, intent):
    assert triage.today_sign(text) == sign
    assessment = triage.assess(text, intent)
    assert assessment.level is TODAY


def test_a_classifier_emergency_with_a_same_day_sign_stays_an_emergency():
    """When in doubt, 120: a fever the classifier reads as an emergency keeps it."""
    assert triage.assess("发烧39度5 人软软的 不太理人", "report_emergency").level is EMERGENCY


@pytest.mark.parametrize("intent", ["seek_care_today", "health_question", "out_of_scope"])
def test_a_strong_second_guess_of_emergency_counts(intent):
    # (a message the rules alone do not flag: 脸色发灰 浑身湿冷 now fires as shock)
    text = "老人说不上来哪里难受 就是觉得很不对劲"
    assert triage.assess(text, intent, emergency_score=triage.EMERGENCY_FLOOR).level is EMERGENCY
    below = triage.assess(text, intent, emergency_score=0.1)
    assert below is None or below.level is not EMERGENCY


@pytest.mark.parametrize("text", [
    "如果被猫抓了要不要打针",
    "去年崴脚以后一直没好利索 能做康复吗",
])
def test_a_same_day_sign_in_a_what_if_or_the_past_is_a_question(text):
    assert triage.assess(text, "seek_care_today").level is QUESTION


@pytest.mark.parametrize("text", [
    "血脂偏高要吃他汀吗",
    "孩子老是流鼻涕 是过敏吗",
    "降压药吃了脚踝有点肿 正常吗",
])
def test_health_questions_stay_questions(text):
    assert triage.assess(text, "health_question").level is QUESTION


@pytest.mark.parametrize("text, intent", [
    ("帮我约瑞金医院皮肤科 下周三上午", "book_appointment"),
    ("化疗要预授权吗", "ask_preauth_required"),
    ("理赔要什么材料", "ask_claim"),
    ("崴脚了 能约今天下午六院骨科吗", "book_appointment"),
])
def test_service_requests_are_not_triaged(text, intent):
    assert triage.assess(text, intent) is None


@pytest.mark.parametrize("text, topic", [
    ("怀孕12周 能吃感冒药吗", "pregnancy"),
    ("宝宝8个月 拉肚子", "child"),
    ("最近老失眠 压力大", "mind"),
    ("血压有点高", "chest"),
    ("老是头晕", "head"),
    ("脚上起了个鸡眼", "general"),
])
def test_the_safety_line_fits_what_was_said(text, topic):
    assert triage.safety_topic(text) == topic


@pytest.mark.parametrize("text", [
    "我爸三年前心梗 现在每天吃药 能坐飞机吗",
    "如果以后中风了 康复能报销吗",
    "我妈脑梗住院一周了 医生说下周能出院",
    "孩子前年发烧抽过一回 医生说是高热惊厥 以后要注意啥",      # a diagnosis the doctor named
    "猝死一般是什么原因",                                         # knowledge, nothing happening
])
def test_a_diagnosis_named_in_history_a_what_if_or_under_care_is_not_an_emergency(text):
    flag = redflags.detect(text)
    assert flag is None or flag.named_only
    assessment = triage.assess(text, "health_question")
    assert assessment.level is not EMERGENCY


@pytest.mark.parametrize("text", [
    "我爸三年前心梗过 现在又胸口疼 出冷汗",
    "我妈脑梗住院了 刚才突然叫不醒",
    "老人中风了 救护车还没到",
    "我爸脑出血了 严重吗",          # a knowledge word, but the diagnosis is happening (了)
    "老公心脏病发作了 会不会有危险",
])
def test_something_happening_now_beside_the_history_is_still_an_emergency(text):
    assert triage.assess(text, "health_question").level is EMERGENCY


def test_a_message_that_opens_with_a_what_if_is_a_question_throughout():
    for text in ("万一老人噎住了 嘴唇和脸都发紫了 怎么急救", "如果家里小孩突然抽搐了 口吐白沫 该怎么处理"):
        assert redflags.detect(text) is not None      # the rules alone would fire on it
        assert triage.assess(text, "health_question").level is QUESTION
    now = "万一他真的不行了怎么办 他现在喘不上气 嘴唇发紫"
    assert triage.assess(now, "health_question").level is EMERGENCY
    assert triage.assess("如果我不想活了 谁会在乎", "health_question").level is EMERGENCY


# A classifier emergency the rules did not see is doubted when the message gives reasons.
@pytest.mark.parametrize("text, level", [
    ("冷死了 手都冻僵了", QUESTION),                        # a figure of speech
    ("孩子流鼻血 捏了五分钟就停了", QUESTION),               # over by now
    ("一紧张就心慌手抖", QUESTION),                          # a habit
    ("梦见我爸晕倒了 吓死我了", QUESTION),                   # the rules judged it: a dream
    ("手背被开水烫了 起了几个水泡", TODAY),                 # a same-day sign, nothing alarming
    ("炒菜油溅到胳膊上 起泡了", TODAY),
    ("鱼刺卡嗓子了 咽口水疼 喘气是正常的", TODAY),       # breathing said to be fine is no alarm
    ("男 55 头晕半个月了 一转头就天旋地转 一分钟就好", QUESTION),   # weeks of it, nothing new
    ("孩子把干燥剂嚼了吞下去 现在玩得好好的", QUESTION),
    ("哮喘这两天变重了 夜里喘醒两次 喷了药能缓过来", TODAY),
    ("屁股那里突然鼓出一个紫色硬疙瘩 疼得厉害", TODAY),
    ("孩子暑假去游泳 怎么防溺水", QUESTION),                     # prevention
])
def test_a_doubted_classifier_emergency_is_a_question_or_a_visit_today(text, level):
    assert redflags.detect(text) is None
    assert triage.assess(text, "report_emergency", 0.99).level is level


@pytest.mark.parametrize("text", [
    "被狗咬了 现在头晕 站不稳",                  # a same-day sign with an alarm sign beside it
    "耳朵突然听不见 还头晕想吐",
    "手被玻璃划了个口子 血一股一股的",
    "爷爷今天一直不太对劲 脸色发白",
])
def test_a_classifier_emergency_with_alarm_signs_stays_an_emergency(text):
    assert triage.assess(text, "report_emergency", 0.99).level is EMERGENCY


# "现在在医院": now, but the patient is already under care; a diagnosis named there is
# history for the triage, even with 了 (the rules alone still flag it).
@pytest.mark.parametrize("text", [
    "我爸中风了 现在在康复医院 想找个护工",
    "救护车把我妈送到医院了 现在在抢救室 要办什么手续",
])
def test_a_named_diagnosis_of_a_patient_now_in_hospital_is_a_question(text):
    assert redflags.modality(text).under_care and not redflags.modality(text).now
    assert triage.assess(text, "health_question").level is QUESTION


def test_now_in_hospital_does_not_hide_a_sign_happening_now():
    assert triage.assess("我爸现在在医院门口 突然倒地叫不醒", "health_question").level is EMERGENCY


def test_a_patient_said_to_be_stable_now_is_not_happening_now():
    text = "我弟出车祸了 已经在医院做完手术 现在很稳定 保险怎么理赔"
    assert not redflags.modality(text).now
    assert triage.assess(text, "health_question").level is QUESTION


@pytest.mark.parametrize("text, level", [
    ("吃了虾以后起了一身疹子 痒 嘴唇不肿 也不喘", "today"),      # the alarm signs denied
    ("脚崴了 肿得老高 没晕 就是不敢落地", "today"),
    ("吃了虾以后起了一身疹子 嘴唇肿了 有点喘", "emergency"),      # named: stays one
])
def test_a_classifier_emergency_with_a_same_day_sign_and_its_alarms_denied_is_today(text, level):
    assessed = triage.assess(text, "report_emergency", 0.9)
    assert assessed is not None and assessed.level.value == level, assessed


@pytest.mark.parametrize("text", ["头晕半个月了 今天突然站不稳", "胸口不舒服两周了 这次不一样 一直冒汗"])
def test_weeks_of_trouble_with_something_new_now_keep_the_classifiers_emergency(text):
    assert triage.assess(text, "report_emergency", 0.99).level is EMERGENCY


@pytest.mark.parametrize("text", [
    "我妈高血压十几年了 今天头疼 吐了两次",
    "他糖尿病二十年了 人有点迷糊",                 # the years are the diagnosis's, not the complaint's
    "咳嗽两个月了 这几天喘得接不上",               # a recent change
    "胸口闷一个多月了 闷得受不了",                 # severe now
])
def test_a_diagnosis_of_years_a_recent_change_or_a_severe_sign_is_no_chronic_doubt(text):
    assert not redflags.modality(text).chronic
    assert triage.assess(text, "report_emergency", 0.99).level is EMERGENCY
