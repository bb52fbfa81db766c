"""Three-level triage of a member's health message (docs/emergencies.md):

- EMERGENCY: happening now and possibly life-threatening: 120 first. The red-flag rules
  (bot/redflags.py) decide this on their own, whatever the classifier says (except when
  only a diagnosis is named, 心梗 or 中风, in a message plainly about the past, a what-if
  or a patient already under care, or, when nothing marks it as happening (心梗了,
  发作), in a knowledge question, with nothing happening now); the
  classifier's `report_emergency` also counts unless the message is plainly about
  something else than a problem happening now (a past event, a what-if or knowledge
  question, a patient already under care).
  A classifier emergency is also doubted, and becomes a question (or a same-day visit
  when a same-day sign is named), when the rules named something alarming and judged it
  not happening now, the problem is over (现在好了), a habit, a figure of speech, a
  what-if or a knowledge question; and a same-day sign with no alarm sign beside it
  (头晕, 喘, 抽, 胸, 冷汗 ...) is a visit today.
- TODAY: not life-threatening now, but a doctor should see it today (中国急诊预检分诊
  levels III–IV: a sprain, a wound that may need stitches, an animal bite, a high or
  lasting fever, urinary pain, something in the eye): a same-day visit and a manager now.
- QUESTION: a health question (symptoms, medicines, results, chronic conditions, past
  events, knowledge): a health manager answers it; the bot never diagnoses.

`assess` combines the rules with the intent the classifier chose; the NLU pipeline calls
it last (bot.nlu.components.RedFlagOverride), so the dialogue only sees the level's
intent. Pure standard library and the red-flag module; no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Optional

from bot import redflags

EMERGENCY_INTENT = "report_emergency"
TODAY_INTENT = "seek_care_today"
QUESTION_INTENT = "health_question"

# Intents a health message may be mistaken for; any other intent (booking, pre-auth ...)
# is a request about a service and stays what it is unless the rules see an emergency.
_OPEN_INTENTS = frozenset({EMERGENCY_INTENT, TODAY_INTENT, QUESTION_INTENT, "out_of_scope",
                           "nlu_fallback", "inform", "greet", "deny", "affirm"})


# A health message the classifier gives at least this much `report_emergency` is treated
# as its emergency even when another health intent ranks first: when in doubt, 120.
# Chosen before measuring, not tuned on the held-out sets.
EMERGENCY_FLOOR = 0.3


class Level(str, Enum):
    EMERGENCY = "emergency"
    TODAY = "today"
    QUESTION = "question"


_G = r"[^,.!?;。\n:]"


def _rx(*patterns: str) -> "re.Pattern[str]":
    return re.compile("|".join(f"(?:{p})" for p in patterns).replace("<G>", _G))


# Same-day signs, on normalised text (whitespace and emoji removed). Each names a kind,
# for the log and for the advice.
_TODAY_SIGNS = (
    ("sprain", _rx(r"崴(?:了|到|伤)?(?:脚|脚脖子|脚踝)?", r"扭(?:到|伤|了)<G>{0,2}(?:脚|踝|手腕|腰|膝)",
                   r"扭伤", r"闪(?:了|到)腰", r"(?:腰|脚|踝|手腕|膝盖)扭(?:了|到)")),
    ("fracture", _rx(r"怀疑(?:是)?(?:骨折|骨裂)", r"(?:是不是|会不会)(?:骨折|骨裂)",
                     r"(?:摔|磕|撞|砸|夹|踢|戳)<G>{0,10}(?:肿(?:得|了)|抬不起来|动不了|起不来|弯不了)",
                     r"(?:夹|砸)<G>{0,10}(?:发紫|紫了|青紫|淤青|黑了)",
                     r"肿得<G>{0,6}(?:老高|发紫|厉害|拿不下|弯不了)")),
    ("wound", _rx(r"(?:划|割|切|扎|戳|磕|刮)(?:破|伤|到|了)<G>{0,10}(?:口子|伤口|缝针|流血|出血|血)",
                  r"缝针|破伤风|擦伤|渗血", r"被<G>{0,6}(?:划|割|扎)(?:了|破|伤)", r"伤口<G>{0,6}(?:红肿|流脓|化脓|发炎|裂开)", r"指甲(?:掉|翻|劈)")),
    ("bite", _rx(r"被<G>{0,6}(?:狗|猫|老鼠|猴|动物)<G>{0,3}(?:咬|抓|挠)", r"狂犬",
                 r"(?:蜜蜂|马蜂|黄蜂|蜂)<G>{0,3}(?:蛰|蜇|叮)")),
    ("fever", _rx(r"(?:发烧|发热|高烧|烧|体温)<G>{0,8}(?:39|40|三十九|四十)(?![0-9])",
                  r"(?:发烧|发热|烧)<G>{0,6}(?:[2-9]|两|三|四|五|好几)天",
                  r"(?:怀孕|孕妇|孕期|孕)<G>{0,8}(?:发烧|低烧|发热)|(?:发烧|低烧|发热)<G>{0,8}(?:怀孕|孕)")),
    ("pregnancy", _rx(r"孕吐<G>{0,12}(?:喝水都吐|吃什么吐什么|尿(?:很)?少|吐了好多次)",
                      # after the birth: more lochia again, clots or a smell (secondary bleeding, infection)
                      r"恶露<G>{0,6}(?:变多|增多|又多|多了|突然多|有血块|血块|发臭|臭味|有味)")),
    # breathless lying flat, or with swollen legs: a failing heart is seen today
    ("breathless", _rx(r"(?:躺|平躺|睡)(?:下|平|着)?<G>{0,6}(?:喘|憋|透不过气|上不来气)",
                       r"垫高枕头|(?:坐着|坐起来)(?:才|就)(?:能|好)?<G>{0,2}(?:睡|喘|舒服)",
                       r"(?:喘|憋|气短|上不来气)<G>{0,16}(?:腿|脚|脚踝)(?:也|都|还)?肿",
                       r"(?:腿|脚|脚踝)(?:也|都|还)?肿<G>{0,16}(?:喘|憋|气短|上不来气)")),
    ("urinary", _rx(r"尿频|尿急|尿痛|(?:尿|小便)<G>{0,4}(?:疼|痛|刺痛|带血|有血)", r"尿不出")),
    ("eye", _rx(r"眼(?:睛)?<G>{0,6}(?:进了|溅|戳|扎|划|撞|砸|碰|飞进)", r"(?:铁屑|沙子|异物)<G>{0,4}眼",
                r"(?:突然|忽然)<G>{0,6}(?:黑点|黑影|飞蚊|闪光)")),
    ("ear", _rx(r"耳朵<G>{0,6}(?:听不见|听不清)|突发性耳聋")),
    ("throat", _rx(r"(?:喉咙|嗓子)<G>{0,6}(?:咽口水都难|咽不下|一边肿|张不开)")),
    ("skin_infection", _rx(r"甲沟炎|甲沟<G>{0,2}发炎|(?:红肿|肿)<G>{0,6}(?:发烫|化脓|流脓)")),
    ("leg_swelling", _rx(r"(?:小腿|腿肚子|大腿)<G>{0,6}肿<G>{0,6}(?:痛|疼|发红|发热|发烫)")),
    ("asthma", _rx(r"哮喘<G>{0,10}(?:变重|加重|重了|喘醒|憋醒|发作)")),
    ("anal", _rx(r"(?:肛门|屁股|肛周)<G>{0,8}(?:疙瘩|肿块|包|鼓出|肿)<G>{0,10}(?:疼|痛)", r"痔疮<G>{0,8}(?:疼|痛|脱出|嵌顿|肿)")),
    ("limb", _rx(r"不肯(?:动|用|抬)<G>{0,3}(?:手|胳膊)|(?:手|胳膊)<G>{0,4}(?:不敢动|不肯动)")),
    ("abdomen", _rx(r"(?:肚子|腹|右下腹|胃)<G>{0,4}(?:疼|痛)<G>{0,10}(?:越来越|半天|一上午|一下午|一整天|按着|发烧)")),
    ("gut", _rx(r"(?:拉肚子|腹泻|拉稀|上吐下泻|呕吐|吐)<G>{0,10}(?:[0-9十几]+次|吃什么吐什么|止不住|不停|脱水)",
                r"上吐下泻", r"(?:吐|拉|腹泻)(?:了)?(?:[0-9]+|[三四五六七八九十几好]+)次")),
    ("burn", _rx(r"(?:烫|烧)(?:伤|到|了)<G>{0,10}(?:水泡|起泡|泡)", r"(?:溅|烫|泼)<G>{0,8}起(?:了)?(?:水)?泡")),
    ("foreign_body", _rx(r"鱼刺|(?:鼻子|耳朵|鼻孔|耳)(?:里)?<G>{0,6}(?:塞|进|卡)|塞<G>{0,3}(?:鼻子|耳朵)", r"刺<G>{0,4}拔不出")),
    ("rash", _rx(r"荨麻疹|起(?:了)?<G>{0,4}(?:疹子|红疙瘩|风团)")),
    ("tooth", _rx(r"牙<G>{0,4}(?:疼|痛)<G>{0,8}(?:肿|睡不着)", r"牙<G>{0,3}(?:磕|撞)(?:掉|断|裂)",
                  r"(?:智齿|牙)<G>{0,4}(?:发炎|肿)<G>{0,8}(?:肿|张不开|发烧)")),
    ("numbers", _rx(r"血压<G>{0,6}(?:1[7-9][0-9]|2[0-9][0-9])", r"血糖<G>{0,4}(?:1[5-9]|[2-3][0-9])(?![0-9])")),
    ("care_today", _rx(r"发热门诊", r"今天<G>{0,4}(?:看|去看)(?:医生|急诊|病)", r"(?:要不要|用不用|需不需要)<G>{0,3}(?:去)?(?:医院|急诊)")),
)


@dataclass(frozen=True)
class Assessment:
    level: Level
    red_flag: Optional[redflags.RedFlag] = None
    sign: str = ""          # the same-day sign, or "rules" / "classifier" for an emergency

    @property
    def intent(self) -> str:
        return {Level.EMERGENCY: EMERGENCY_INTENT, Level.TODAY: TODAY_INTENT,
                Level.QUESTION: QUESTION_INTENT}[self.level]


def today_sign(text: str) -> Optional[str]:
    """The kind of same-day sign the message names, if any."""
    s = redflags.normalize(text)
    for kind, rx in _TODAY_SIGNS:
        if rx.search(s):
            return kind
    return None


# Signs that keep a classifier emergency one even beside a same-day sign: 耳朵突然听不见
# 还头晕呕吐 走路不稳 is no ear clinic case.
_ALARM = re.compile(r"头晕|晕|吐|走路不稳|站不稳|站不住|喘(?!气(?:是|都|还|也)?(?:正常|没问题|还好|还行))|"
                    r"呼吸(?!(?:是|都|还|也)?(?:正常|没问题|还好|还行))|憋|意识|迷糊|糊涂|抽|胸|发紫|冷汗|大汗|"
                    r"脸色(?:发白|苍白|煞白)|精神(?:很|特别|非常)?差|没精神|叫不醒|说不出话|越来越|软|蔫|"
                    r"不(?:太)?理人|不(?:太)?应|嗜睡|反应(?:慢|差|迟钝)|"
                    # a wound's bleeding, unless said to be slight or stopped
                    r"血(?![ ，,]?(?:量)?(?:不多|止住|已经止|没怎么|不怎么|很少|一点点|停了|止了))|"
                    r"很深|好深|见骨|骨头")
# A sign said to be absent (也不喘, 没晕, 不怎么吐) is no alarm.
_DENIED = re.compile(r"(?:不|没|没有|无|未)(?:怎么|太|咋|再|有)?$")


def _alarm_named(s: str) -> bool:
    """Whether an alarm sign is named, and not as absent."""
    return any(not _DENIED.search(s[max(0, m.start() - 4):m.start()]) for m in _ALARM.finditer(s))


def _doubted(when: redflags.Modality, judged: bool) -> bool:
    """Reasons not to take the classifier's emergency at its word, when the rules saw
    none: the red-flag rules named something alarming and judged it not happening now
    (a past event, hyperbole, a knowledge question, a pet, a dream ...); the message opens
    with a what-if; the problem is over (现在好了), a habit (一紧张就), a figure of speech
    (冷死了, 我都要晕倒了), weeks or more of the same trouble with nothing new now (头晕半个月了),
    or a knowledge question with nothing said to happen this moment."""
    return (judged or (when.opens_hypothetical and not when.here_now) or when.resolved
            or when.figurative or when.habitual or when.chronic
            or (when.knowledge and not when.here_now))


def assess(text: str, intent: Optional[str], emergency_score: float = 0.0) -> Optional[Assessment]:
    """The triage level of a message the classifier read as `intent` (with
    `emergency_score`, its confidence in `report_emergency`); None when it is not a
    health message (or a request about a service with no emergency in it)."""
    flag, judged = redflags.judge(text)
    when = redflags.modality(text)
    what_if = when.opens_hypothetical and not when.here_now and not (flag and flag.self_harm)
    history = flag is not None and flag.named_only and (
        when.settled or (when.not_now and not flag.named_acute))
    if flag is not None and not history and not what_if:
        return Assessment(Level.EMERGENCY, flag, "rules")
    if intent not in _OPEN_INTENTS:
        return None
    sign = today_sign(text)
    if intent == EMERGENCY_INTENT or emergency_score >= EMERGENCY_FLOOR:
        # A classifier emergency about now stays one: the rules miss some lay
        # descriptions, and only the classifier catches them. Unless the message is
        # plainly not about now, or gives reasons to doubt it (below).
        if when.not_now:
            return Assessment(Level.QUESTION)
        if _doubted(when, judged) or (sign and not _alarm_named(redflags.normalize(text))):
            return Assessment(Level.TODAY, sign=sign) if sign else Assessment(Level.QUESTION)
        return Assessment(Level.EMERGENCY, sign="classifier")
    if intent == TODAY_INTENT:
        return Assessment(Level.QUESTION) if when.not_now else Assessment(Level.TODAY, sign=sign or "classifier")
    if sign is not None and not when.not_now and intent in (QUESTION_INTENT, "out_of_scope", "nlu_fallback"):
        return Assessment(Level.TODAY, sign=sign)
    if intent == QUESTION_INTENT:
        return Assessment(Level.QUESTION)
    return None


# Health words, and words about the insurer's services: a message with the first and none
# of the second is about health whatever else it is (a fallback or a visit-rules reading
# would leave a health question without an answer).
_HEALTH_WORDS = re.compile(r"发烧|发热|高烧|低烧|体温|抽搐|抽过|抽了|咳|疼|痛|晕|吐(?!槽)|拉肚子|腹泻|便秘|血压|血糖|血脂|尿酸|"
                           r"心梗|脑梗|中风|癫痫|惊厥|癌|瘤|结节|囊肿|炎|住院|出院|手术|术后|医生说|大夫说|确诊|诊断|"
                           r"复查|化验|指标|脑电图|心电图|ct|核磁|b超|彩超|胃镜|肠镜|吃药|用药|药物|打点滴|输液|疫苗|"
                           r"怀孕|孕|胎动|胎儿|胎心|宝宝|过敏|湿疹|失眠|焦虑|抑郁|发麻|手麻|脚麻|麻木|肿|痒|出血|心慌|胸闷|气短|喘")
_SERVICE_WORDS = re.compile(r"预约|挂号|约个|约一下|理赔|报销|直付|预授权|发票|保单|续保|保费|赔|费用|多少钱|"
                            r"改约|改期|取消|须知|证件|身份证|带什么|管家|人工|客服")


def about_health(text: str) -> bool:
    """Whether a message speaks of health and not of a service (宝宝上周发烧抽过一次
    还要去查脑电图吗: yes; 住院的发票怎么报销: no)."""
    s = redflags.normalize(text)
    return bool(_HEALTH_WORDS.search(s)) and not _SERVICE_WORDS.search(s)


# The one safety line a health answer carries: when to call 120, fitted to what was said.
_SAFETY_TOPICS = (
    ("pregnancy", re.compile(r"怀孕|孕|胎|产后|备孕|月子")),
    ("child", re.compile(r"宝宝|孩子|小孩|儿子|女儿|闺女|婴儿|新生儿|娃|[0-9一二两三四五六七八九十]+(?:个月|岁)")),
    ("mind", re.compile(r"抑郁|焦虑|失眠|压力|情绪|心情|睡不着|想不开|崩溃|自杀|轻生|割腕|自残|伤害自己|心理")),
    ("chest", re.compile(r"心|胸|血压|血脂|支架|搭桥|早搏|心率|气短|喘")),
    ("head", re.compile(r"头|晕|脑|中风|卒中|手麻|脚麻|说话|记性|痴呆|癫痫|抽")),
)


def safety_topic(text: str) -> str:
    s = redflags.normalize(text)
    for topic, rx in _SAFETY_TOPICS:
        if rx.search(s):
            return topic
    return "general"
