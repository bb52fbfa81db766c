"""The independent emergency check: does a member's message describe a medical emergency
happening now? Used as an override in the NLU pipeline (bot.nlu.components.RedFlagOverride):
when detect() returns a RedFlag, the assistant answers "call 120 / go to the nearest
emergency department" first, whatever the intent classifier predicted.

A missed emergency is the worst failure this product can have; a false alarm is much less
bad. Every rule below leans that way: when the context is ambiguous, it fires.

How detect(text) decides
1. Normalise: NFKC per character (full-width -> half-width), ASCII lower case, a few
   traditional characters -> simplified, realistic typos fixed (抽蓄->抽搐, 昏谜->昏迷,
   晕到了->晕倒了, 胸囗->胸口, 呼吸困唯->呼吸困难, 中疯->中风, 农要->农药 ...); emoji, symbols,
   zero-width characters and WeChat emoji codes ([流泪], [吐血]) removed; whitespace removed
   (one space kept between two English words). A removed space or emoji still ends a clause
   (see 3). RedFlag.matched is the triggering span of the member's original text.
2. Find candidates with precompiled patterns, per category, of four kinds:
   - SYMPTOM: something happening (吐血, 叫不醒, 喘不上气, 被车撞了, 嘴歪了);
   - CONDITION: a diagnosis or emergency noun that is just as often named in history,
     insurance and knowledge questions (心梗, 中风, 脑梗, 癫痫, 骨折, 车祸, 溺水, 心脏骤停,
     烫伤, 中毒, 救护车, 打120);
   - IDEATION: suicidal ideation (想死, 不想活了, 活着没意思, 想自杀, 结束生命, 轻生, 遗书);
   - ACT: a self-harm act (割腕, 自杀, 跳楼, 上吊, 划了自己).
   Hyperbole and idioms are never candidates: 疼死了, 牙疼死了, 累死了, 笑死, 气死我了, 烦死了,
   急死了, 要死了, 要命的贵, 心累, 心疼, 等得要晕了, 我晕 (= I'm confused), 想死你了 (= missing
   you), 跳楼价, 吐血整理/推荐, 中风险 (medium risk), 抽血 (blood test), 出血热 (a disease),
   拉黑 (block a contact), 触电般的感觉, 令人窒息的操作, 心梗三项 (a lab test), 胸痛中心 outside
   an emergency. A degree complement or 都要/差点 in front of a few hyperbole-prone candidates
   is hyperbole too: 气得吐血, 我要吐血了 (about a price), 饿得快死了, 疼得快不行了, 笑得喘不上气,
   笑得想死, 想得头痛欲裂, 感动得说不出话, 看到账单我都要晕倒了, 差点晕倒.
3. Judge each candidate in its clause (the text between punctuation, line breaks, removed
   whitespace or emoji; at most 40 characters either side). In order; a candidate that
   survives every rule fires:
   a. Group exclusions: 抽风/没反应/反应都没有 next to app, service or vaccine words (系统抽风了,
      点了半天没反应, 打完疫苗一点反应都没有); 说话不清楚 about a phone call, a sore throat or
      a toddler learning to talk (unless 突然/嘴歪/晕 is in the clause); 掉水里 about a phone
      or keys; 卡住 about a web page, or a fish bone without breathing trouble; 救命 inside
      laughter (哈哈 救命); 吃错药 said of customer service.
   b. News and fiction: a cue before it in the clause (新闻, 报道, 电视剧, 据说, 网上,
      视频里) suppresses it, unless a present-time word or a family member stands between
      (新闻说有人喝农药 -> no; 看着新闻我爸突然晕倒了 -> fires).
   c. IDEATION now fires: no negation, past, admin or knowledge rule suppresses it.
   d. Negation: 没有/没/不/无/未/否认/不是/排除 directly before it, with only fillers or
      mild symptoms between (没有明显胸痛, 没觉得胸闷, 否认胸痛, 不是心梗, 没有胸闷胸痛), or
      倒没有/也没有 right after it (胸痛倒是没有). A-not-A questions are not negations
      (有没有胸痛, 是不是中风, 会不会是心梗 fire). A negation extends over a list joined by
      、/和/或 (没有胸痛、呼吸困难) but never across a comma, space or sentence (没有胸痛 但是
      喘不上气 fires). A negated ACT (没有自杀倾向) is suppressed; a negated IDEATION is not
      a thing (不想死 is simply not a candidate). An ACT that survives fires, whatever its
      tense: any personal self-harm history (以前割过腕) gets the self-harm answer.
   e. Hypothetical: 如果/万一/假如/要是/一旦/预防/防止/避免 before it in the clause, unless
      现在/正在/刚才/刚刚/已经/今天 stands between (万一中风了能赔吗 -> no).
   f. Past (disabled for the whole message by a recurrence word: 又犯了, 又发作, 复发了,
      犯病了, 又晕倒了, 又中风了):
      - a remote-past cue before it in the clause (去年, 上个月, 上周, 上次, 三年前, 以前,
        之前, 曾经, 过去, 小时候, 病史, 既往, 有过, 得过, 患过, 陈旧性) with no present-time
        word (现在, 今天, 刚才, 刚刚, 正在, 突然, 又, 一直, 昨天, 昨晚, 半夜, N分钟, N小时 ...)
        and no other, unlisted candidate between (之前心梗过胸口疼得厉害 fires on 胸口疼);
        "半小时之前" and "三天前" are recent, not remote;
      - or a past suffix right after it (心梗过, 吐过血, 抽搐过, 癫痫病史, 心梗史, 中风三年了;
        for conditions also 中风后, 心梗之后, 后遗症, 康复) unless a present-time word stands
        before it in the clause (刚才抽搐过一次 fires);
      - for stroke symptoms, 中风后/脑梗后 before them means residual deficits (中风后半边
        身子没劲 -> no), unless a present-time word stands between;
      - "去年的事/以前的事" after it, or for a condition 早就好了/已经出院了/治好了 after it,
        when the message has no present-time word (骨折了能报销吗 去年的事了 -> no).
      Yesterday and today are not the past: 昨天开始一直吐血 and 刚才晕倒了 现在醒了 fire (a
      transient loss of consciousness still belongs on the emergency path).
   g. Admin and knowledge context (CONDITION): the message is about insurance, booking,
      screening, check-ups, treatment, medicines or general knowledge (预授权, 直付, 报销,
      理赔, 住院, 康复, 复查, 筛查, 体检, 检查, 风险, 评估, 预防, 疫苗, 挂号, 预约, 专家, 症状,
      前兆, 原因, 是什么, 引起, 治疗, 手术, 支架, 的药, 培训 ...) and nothing marks the condition
      as acute: no 了/发作/犯了 right after it (心梗了, 心脏病犯了), no 刚才/突然/现在/正在/又/
      今天 just before it, no recurrence word. 心梗住院要预授权吗, 中风的康复治疗能直付吗,
      卒中筛查, 脑卒中风险评估, 怎么预防中风, 救护车能报销吗 do not fire; 我爸心梗了 住院要
      预授权吗 fires (the emergency answer also explains pre-authorisation after emergencies).
   h. Knowledge and cover questions (SYMPTOM): a symptom named in a general question about
      causes or cover (是什么原因, 怎么回事, 的症状, 正常吗, 严重吗, 能报销吗, 能直付吗, 费用 ...)
      is not an emergency when the message names no person (我, 他, 孩子, 我爸 ...), has no
      present-time word and the symptom has no 了 after it: 吐血是什么原因引起的 -> no;
      我爸吐血是什么原因 and 突然吐血是怎么回事 fire. Likewise a patient already in hospital
      (住院, 在医院, ICU) in a message about cover, with nothing acute just before the symptom:
      孩子抽搐住院了 能直付吗 -> no.
   i. Modality beyond the clause (dev_voices.yml, written before reading these rules):
      - a question about such events in general right after the sign (误吞纽扣电池会怎么样,
        产后大出血一般发生在什么时候, 一氧化碳中毒能不能预防, 吃野蘑菇中毒的话, 高热惊厥会不会
        烧坏脑子; not 会不会是), a sign named as a topic (抽搐的急救知识, 晕倒的原因), or what
        to do when it happens asked to prepare (癫痫发作时该怎么做 提前学一下);
      - planning ahead with a how-to question (下周去爬山 被蛇咬了怎么办), said not to be now
        (不是现在疼), long over (溺水的事过去好几年了), survived (差点没命), seen and managed by
        a doctor with nothing severe (医生说先兆流产 在家保胎), an old complaint (的老毛病);
      - stories: shared media about someone unnamed (刷到一个视频 有人...), teaching (生物课),
        fiction with a character (电视剧里女主), a pet with no person named, consoling
        someone (同事说他爸心梗了 怎么安慰他);
      - figures of speech: what one is about to be driven to (我要被老板气得胸口疼), 看到账单我要
        晕倒了, a laugh beside 喘不上气;
      - a diagnosis one has (我有癫痫) is chronic; a suspected one (我妈好像中风) or one said of
        a named person in a message with a sign of now (我爸心梗 现在在去医院的路上) is acute,
        even inside a service request; 现在在医院 / 已经在ICU is care, not a sign of now.
   j. Asking and duration (dev_asks.yml, online-consultation style, written before reading
      these rules): a condition or sign asked about (会中毒吗, 是食物中毒吗, 是不是中风的前兆,
      是抽搐吗; not 是不是中风了) is the question, not a report; months or years of the same
      trouble told after the sign (半年了, 这种情况两三个月了; not an infant's age) are
      chronic unless something is new or worse now (今天, 突然, 加重, 越来越, 又犯); a sign
      told as over after a time in the past (去年 ... 打了针好了) or years without an attack
      (这十来年都没犯过); self-harm denied in so many words (我没有想伤害自己, 没说过不想活).
   k. Traps (dev_traps.yml, written before reading these rules): what a word means or how two
      conditions differ (什么叫子痫前期, 脑梗跟脑出血有啥不一样), such people in general
      (想自杀的人一般有什么信号), whether it could happen (会不会一氧化碳中毒), a year or the time
      since the event (2022年脑出血, 中风都五年了), told as over (当时 ... 后来吃药好了), a
      patient in the doctors' hands now (现在在儿科急诊 医生说; not with something sudden after
      it, not on the way there), a doctor for a condition (找个看癫痫厉害的医生), chest pain
      when coughing with no cardiac alarm, a collapse as a figure of speech about money, work
      or a scare (基金亏了三成 吐血, 我直接心梗, 窒息, 吓得心脏停跳一拍), a pet opening the
      message. New lay emergencies: pain spreading from the chest to the left arm or jaw, the
      middle of the chest, a heavy arm on one side, 头突然剧痛, 叫她也不睁眼, heavy periods
      with faintness, a mouthful of paraquat, a blade driven in or still in, scalds over a
      trunk, a baby's head showing, and self-harm told as pills swallowed with a farewell,
      hoarded pills with a plan, charcoal with sealed windows, several cuts on a wrist, a
      farewell with everything made ready.
   Every rule only suppresses the candidate it attaches to: a present-tense symptom elsewhere
   in the same message still fires (我现在又胸痛了 之前心梗过, 我已经好了 但是我爸晕倒了).
4. Result: None when nothing fires. Otherwise self_harm is True when any IDEATION or ACT
   fired; the category is the most specific physical emergency that fired (_PRIORITY:
   ANAPHYLAXIS before BREATHING, INJURY before BLEEDING ...), or SELF_HARM when the message
   describes no physical emergency. A dose only taken on purpose (a whole box of sleeping
   pills, pesticide) by the writer, with no sign of an accident (误, 不小心, 孩子 ...), counts
   as self-harm too: 我吃了一整瓶安眠药 gets the crisis answer with its 120. An intentional overdose (吃了一整瓶安眠药不想活了) is
   therefore POISONING with self_harm=True; 割腕了 血止不住 is BLEEDING with self_harm=True.

Ambiguous cases that deliberately fire (safety first):
- chest pain (胸痛, 胸口疼, 心口疼) even when it sounds chronic or sits in a booking question
  (胸口疼 想约个心内科, 胸痛挂什么科); bare 胸闷 fires only with an alarm sign (冷汗, 憋, 压着,
  喘不上气, 厉害, 突然 ...) and is otherwise left to the classifier;
- a condition with 了 even in an admin question (我爸中风了 想找护工, 孩子骨折了 能报销吗);
- 头痛欲裂 without hyperbole cues (thunderclap headache), 嘴歪了 (may be Bell's palsy),
  噎住了, 被电到了, 孩子烫伤了, 被狗咬了伤口很深, any bleeding in pregnancy (怀孕8周 有点出血),
  黑便 even when iron tablets may explain it, fever of 41 °C or more, any fever in a baby of
  three months or younger, 被马蜂蛰了, 一氧化碳 (except the alarm as a product);
- possible ideation: 想死的心都有了, 活着好累, 累得想死, and any personal self-harm history;
- a past event with a person and no time word (他晕倒了 已经好了): it may have been minutes ago.
Some signs need a reason beside them, often in another clause (the group's `requires`):
drowsiness with diabetes, a head knock, alcohol, fumes or chemotherapy; bleeding that does not
stop or a head knock on a blood thinner; dizziness on standing with a bleed; a stiff neck with
a fever; stars before the eyes or a pressure from 160 in pregnancy; a dry nappy with a child's
diarrhoea; breathing signs after a known allergen was just eaten.
Deliberately not firing: person-less knowledge questions (吐血是什么原因引起的), 鱼刺卡喉咙
without breathing trouble, 要死了 (too often hyperbole; 快死了 fires), bare 发烧/高烧 up to
40 °C after three months of age, 吃了一盒药还没好 (a course of medicine, not an overdose),
bare 嗜睡, 便血 without quantity, 痰中带血丝, 流鼻血 that stops.

Pure standard library (re, unicodedata, bisect), no I/O, thread-safe (the only shared state
is a bounded per-character normalisation cache); patterns are compiled once at import.
A typical message takes 30-200 microseconds; 2,000 characters take a few milliseconds.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from typing import Dict, List, Optional, Pattern, Sequence, Set, Tuple

__all__ = ["Category", "Modality", "RedFlag", "detect", "judge", "modality", "normalize"]


class Category(str, Enum):
    """What kind of emergency a message describes."""

    CHEST_PAIN = "chest_pain"            # chest pain, pressure, heart attack, angina
    CARDIAC_ARREST = "cardiac_arrest"    # no pulse / no breathing, CPR, sudden cardiac death
    BREATHING = "breathing"              # breathing difficulty, cyanosis, asthma attack
    UNCONSCIOUS = "unconscious"          # fainted, unresponsive, coma, confused/drowsy
    BLEEDING = "bleeding"                # heavy bleeding, vomiting/coughing blood, black stool
    STROKE = "stroke"                    # FAST signs, sudden vision loss, thunderclap headache
    SEIZURE = "seizure"                  # convulsions, febrile seizure, status epilepticus
    ANAPHYLAXIS = "anaphylaxis"          # severe allergic reaction, airway swelling
    INJURY = "injury"                    # traffic accident, fall from height, head injury, deep wound
    POISONING = "poisoning"              # pesticide, overdose, CO, chemicals, toxic ingestion
    BURN = "burn"                        # large or deep burns, scalds, chemical burns, fire
    CHOKING = "choking"                  # airway foreign body, swallowed object stuck
    DROWNING = "drowning"
    ELECTRIC_SHOCK = "electric_shock"    # electrocution, lightning
    PREGNANCY = "pregnancy"              # ruptured membranes, bleeding or severe pain in pregnancy
    HIGH_FEVER = "high_fever"            # >= 41 °C, fever in a young infant, heat stroke
    GENERAL = "general"                  # 救命, 快不行了, 出事了, 打120: emergency, kind unknown
    SELF_HARM = "self_harm"              # self-harm or suicidal ideation, no physical emergency


@dataclass(frozen=True)
class RedFlag:
    """A detected emergency: its category, the triggering text span of the original
    message, and whether self-harm or suicidal ideation is involved."""

    category: Category
    matched: str
    self_harm: bool = False
    # Only diagnosis or emergency nouns fired (心梗, 中风, 骨折, 救护车), no symptom and no
    # self-harm: the triage weighs such a message's time and modality (bot/triage.py).
    named_only: bool = False
    # A named condition marked as happening (心梗了, 癫痫发作, 又中风了): never history.
    named_acute: bool = False


# ---------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------

# Traditional characters that matter for the patterns (1:1, simplified never uses them).
_TRAD_PAIRS = (
    "風风氣气難难暈晕車车樓楼藥药殺杀燙烫燒烧傷伤電电過过說说話话邊边腦脑臉脸沒没識识"
    "應应發发壓压頭头農农癲癫癇痫癎痫嘔呕覺觉麼么醫医從从這这們们喚唤嗎吗會会動动斷断"
    "厲厉塊块緊紧體体歲岁婦妇產产劇剧鮮鲜內内脹胀腫肿嚨咙嗆呛觸触擊击禍祸頸颈腳脚無无"
    "軟软勁劲爛烂膚肤團团敵敌滅灭熱热開开遺遗書书輕轻結结盡尽絕绝殘残護护險险衝冲裡里"
    "驚惊溫温嬰婴兒儿寶宝媽妈爺爷讓让劑剂顱颅視视紅红悶闷壞坏淚泪腸肠醒醒瘋疯將将"
)
_TRAD = str.maketrans({_TRAD_PAIRS[i]: _TRAD_PAIRS[i + 1] for i in range(0, len(_TRAD_PAIRS), 2)})

# Realistic typos (mostly homophones). Each replacement keeps the length.
_TYPOS: Tuple[Tuple[str, str], ...] = (
    (r"胸囗|兄口|凶口|匈口", "胸口"), (r"心囗", "心口"), (r"发绕(?=[0-9三四]|了)", "发烧"),
    (r"困唯|困雄|困男", "困难"),
    (r"抽蓄|抽畜|抽触|抽处", "抽搐"),
    (r"昏谜|混迷|婚迷|昏米", "昏迷"),
    (r"晕到(?=了|在|地)", "晕倒"), (r"昏到(?=了|在|地)", "昏倒"),
    (r"中疯", "中风"), (r"脑埂|脑更(?=了|塞)", "脑梗"), (r"心埂", "心梗"),
    (r"心机梗|心肌埂", "心肌梗"),
    (r"喘不上起|喘不过起", "喘不上气"), (r"上不来起", "上不来气"),
    (r"不醒人事|不省人世|不醒人世", "不省人事"),
    (r"呼息|乎吸", "呼吸"),
    (r"割碗|割婉", "割腕"),
    (r"羊颠疯|羊癫风", "羊癫疯"), (r"颠痫|癫闲", "癫痫"),
    (r"惊撅", "惊厥"), (r"晕阙|晕蹶", "晕厥"), (r"昏阙", "昏厥"),
    (r"一氧化炭", "一氧化碳"), (r"煤汽", "煤气"),
    (r"农要", "农药"), (r"安眠要", "安眠药"),
    (r"孩纸", "孩子"), (r"疏服", "舒服"),
    # voice input: 血 heard as 雪, 窒息/休克/晕厥/心绞痛 as near-homophones
    (r"(?<=[吐流出咳便拉呕咯])雪", "血"), (r"窒熄", "窒息"), (r"休刻", "休克"), (r"晕绝|晕决", "晕厥"),
    (r"心绞疼", "心绞痛"), (r"中峰(?=了)", "中风"),
    (r"(?<=出)汉|(?<=冒)汉|(?<=冷)汉|(?<=虚)汉|(?<=一身)汉|(?<=好多)汉(?!字|族|语|堡)", "汗"),
)
_TYPO_RES = tuple((re.compile(p), r) for p, r in _TYPOS)
_TYPO_TRIGGERS = frozenset("雪熄刻绝决绞峰疏汉兄凶匈绕囗唯雄男蓄畜触处谜混婚米到疯埂更机起人世息乎碗婉颠闲撅阙蹶炭汽要纸")

_WECHAT_CODE = re.compile(r"\[[\u4e00-\u9fffa-z]{1,5}\]")
_BREAK = "\x00"                      # marks removed whitespace / emoji between two characters
_INVISIBLE = frozenset(("Cf", "Mn", "Me", "Sk"))   # ZWJ, variation selectors, skin tones
_EMOJI_LIKE = frozenset(("So", "Cn", "Co", "Cs"))  # emoji, pictographs, unassigned
_CHAR_CACHE: Dict[str, str] = {}
_CACHE_LIMIT = 20000


def _norm_char(ch: str) -> str:
    """The normalised form of one character: '' (invisible), _BREAK (whitespace, emoji) or
    one or more characters."""
    cached = _CHAR_CACHE.get(ch)
    if cached is not None:
        return cached
    out = []
    for c in unicodedata.normalize("NFKC", ch):
        if c.isspace():
            out.append(_BREAK)
            continue
        cat = unicodedata.category(c)
        if cat in _INVISIBLE:
            continue
        if cat in _EMOJI_LIKE:
            out.append(_BREAK)
            continue
        if c == "\u2019" or c == "\u2018":
            c = "'"
        out.append(c.lower() if c.isascii() else c)
    result = "".join(out).translate(_TRAD)
    if len(_CHAR_CACHE) < _CACHE_LIMIT:
        _CHAR_CACHE[ch] = result
    return result


@dataclass
class _Normalized:
    text: str                # normalised, whitespace-free (one space kept between ASCII words)
    index: List[int]         # original index of every character of text
    breaks: List[int]        # sorted positions p: a removed space/emoji stood before text[p]
    joined: List[int] = field(default_factory=list)   # ...or a space or comma the short pieces were joined over


def _normalize(original: str) -> _Normalized:
    chars: List[str] = []
    index: List[int] = []
    breaks: List[int] = []
    pending_break = False
    for i, ch in enumerate(original):
        if ch.isascii():
            if ch.isspace():
                pending_break = True
                continue
            n = ch.lower()
        else:
            n = _norm_char(ch)
        for c in n:
            if c == _BREAK:
                pending_break = True
                continue
            if pending_break and chars:
                prev = chars[-1]
                if prev.isascii() and prev.isalnum() and c.isascii() and c.isalnum():
                    chars.append(" ")          # keep English words apart
                    index.append(i)
                else:
                    breaks.append(len(chars))
            pending_break = False
            chars.append(c)
            index.append(i)
    text = "".join(chars)
    if "[" in text and "]" in text:
        text, index, breaks = _strip_wechat_codes(text, index, breaks)
    if any(c in _TYPO_TRIGGERS for c in text):
        for rx, repl in _TYPO_RES:
            text = rx.sub(repl, text)
    return _join_fragments(_Normalized(text, index, breaks))


_SOFT_STOP = ",、"
_NEG_WORD = re.compile(r"[没不无未]|否认")          # a comma or enumeration mark; a space or emoji is a break
_FRAGMENT = 3               # a piece this short between two soft stops is not a clause


def _join_fragments(norm: _Normalized) -> _Normalized:
    """Halting typing (我爸，喝了，农药 / 我妈 突然 说话 说不清楚了): a comma or a space next to a
    piece of at most three characters does not end a clause, so the pieces read as one."""
    text, index, breaks = norm.text, norm.index, set(norm.breaks)
    if len(text) < 3 or not (breaks or any(c in _SOFT_STOP for c in text)):
        return norm
    # boundaries in order: (position, kind) with kind "c" (a comma at text[pos]) or "b" (a break before pos)
    bounds = sorted([(i, "c") for i, c in enumerate(text) if c in _SOFT_STOP] + [(b, "b") for b in breaks])
    hard = [m.start() for m in _CLAUSE_PUNCT.finditer(text) if text[m.start()] not in _SOFT_STOP]
    edges = sorted(set([0, len(text)] + [p for p, _ in bounds] + [h for h in hard] + [h + 1 for h in hard]
                       + [p + 1 for p, k in bounds if k == "c"]))

    def piece(start: int, end: int) -> int:
        return len(text[start:end].strip(_SOFT_STOP))

    drop_chars, drop_breaks = set(), set()
    for pos, kind in bounds:
        k = bisect.bisect_left(edges, pos)
        before_start = edges[k - 1] if k > 0 else 0
        after_start = pos + 1 if kind == "c" else pos
        j = bisect.bisect_right(edges, after_start)
        after_end = edges[j] if j < len(edges) else len(text)
        if _NEG_WORD.search(text[before_start:pos]):
            continue        # keep a negation in its own piece (不出汗 神志不清 is no denial of the second)
        if piece(before_start, pos) <= _FRAGMENT or piece(after_start, after_end) <= _FRAGMENT:
            (drop_chars if kind == "c" else drop_breaks).add(pos)
    if not drop_chars and not drop_breaks:
        return norm
    keep = [i for i in range(len(text)) if i not in drop_chars]
    shift = [0] * (len(text) + 1)
    for i in range(len(text)):
        shift[i + 1] = shift[i] + (1 if i in drop_chars else 0)
    new_breaks = sorted({b - shift[b] for b in breaks if b not in drop_breaks})
    joined = sorted({p - shift[p] for p in drop_breaks | drop_chars})
    return _Normalized("".join(text[i] for i in keep), [index[i] for i in keep], new_breaks, joined)


def _strip_wechat_codes(
    text: str, index: List[int], breaks: List[int]
) -> Tuple[str, List[int], List[int]]:
    keep_text: List[str] = []
    keep_index: List[int] = []
    new_breaks: List[int] = []
    break_set = set(breaks)
    pos = 0
    for m in _WECHAT_CODE.finditer(text):
        for p in range(pos, m.start()):
            if p in break_set:
                new_breaks.append(len(keep_text))
            keep_text.append(text[p])
            keep_index.append(index[p])
        new_breaks.append(len(keep_text))   # an emoji ends a clause
        pos = m.end()
    for p in range(pos, len(text)):
        if p in break_set:
            new_breaks.append(len(keep_text))
        keep_text.append(text[p])
        keep_index.append(index[p])
    return "".join(keep_text), keep_index, sorted(set(new_breaks))


# ---------------------------------------------------------------------------------------
# Pattern building blocks
# ---------------------------------------------------------------------------------------

_G = r"[^,.!?;。\n:]"   # a character inside a clause (whitespace is already removed)

_MACROS = {
    # a person who can be the subject of an emergency (not 我: "我晕了" is mostly "I'm confused")
    "P": r"(?:他们|她们|他|她|我爸|我妈|爸爸|妈妈|老爸|老妈|爸|妈|父亲|母亲|爷爷|奶奶|姥姥|姥爷|外公|"
         r"外婆|公公|婆婆|老公|老婆|媳妇|丈夫|妻子|爱人|孩子|宝宝|小孩|儿子|女儿|闺女|老人|病人|"
         r"家人|同事|朋友|邻居|人|娃|哥哥|姐姐|弟弟|妹妹|哥|姐|弟|妹|"
         # in-laws, the wider family, partners, and people one is with
         r"岳父|岳母|丈母娘|老丈人|舅舅|舅妈|叔叔|婶婶|姨妈|阿姨|姑姑|姑妈|伯伯|伯父|伯母|大伯|叔|姨|"
         r"外甥女|外甥|侄子|侄女|孙子|孙女|外孙女|外孙|老伴|老头子|老太太|那口子|对象|男朋友|女朋友|"
         r"室友|同学|老师|工友|师傅|大爷|大妈|闺蜜|老二|老三|俺娘|俺爹|老汉|阿爸|阿妈|阿公|阿婆|阿嬷|"
         r"嫂子|姐夫|妹夫|弟媳|娘|爹)",
    # drugs that are dangerous in quantity
    "SED": r"(?:安眠药|安定片?|地西泮|艾司唑仑|阿普唑仑|佐匹克隆|唑吡坦|舒乐安定|镇静药|降压药|降糖药|"
           r"二甲双胍|胰岛素|抗抑郁药|精神类?药|抗精神病药|退烧药|扑热息痛|对乙酰氨基酚|止痛药|"
           r"止疼药|心脏药|地高辛|华法林|农药|老鼠药|鼠药)",
    "DRUG": r"(?:药|药片|药丸|胶囊|安眠药|安定|降压药|降糖药|感冒药|退烧药|止痛药|维生素|钙片|褪黑素|"
            r"对乙酰氨基酚|扑热息痛|布洛芬|阿司匹林|地西泮|艾司唑仑|阿普唑仑|唑吡坦|佐匹克隆|华法林|地高辛)",
    # household poisons one can drink
    "TOXIN": r"(?:有机磷|风油精|花露水|洗甲水|卸甲水|染发剂|清凉油|樟脑|驱蚊液|蚊香液|机油|农药|敌敌畏|百草枯|乐果|甲胺磷|敌百虫|杀虫剂|杀虫水|除草剂|草甘膦|老鼠药|鼠药|耗子药|"
             r"毒鼠强|消毒液|消毒水|84消毒液|84|漂白剂|漂白水|洁厕灵|洁厕剂|洗洁精|洗衣液|洗衣凝珠|"
             r"汽油|柴油|煤油|甲醇|工业酒精|假酒|防冻液|硫酸|盐酸|火碱|烧碱|碱水|毒药|氰化物|砒霜)",
    "BODY_SIDE": r"(?:身子|身体|手脚|手和脚|胳膊和腿|胳膊腿|腿脚|手臂和腿|肢体|半身)",
    "NUM": r"(?:[0-9]+|[一二两三四五六七八九十几半]+)",
    # adverbs between a body part and its pain: 胸口又疼了, 心口一阵阵疼
    "MOD": r"(?:又|也|还|还是|一直|突然|忽然|剧烈|一阵阵?|阵阵|持续|好|很|特别|有点|非常|开始|老是|一起|都|连着|跟着){0,3}",
    # breathing named as a problem, not as normal (喘气正常, 呼吸还好)
    "BREATH": r"(?:喘(?!气(?:是|都|还|也)?(?:正常|没问题|还好|还行|顺|平稳))|"
              r"呼吸(?!(?:是|都|还|也)?(?:正常|没问题|还好|还行|顺|平稳|也正常|都正常)))",
    # a fever of 38 to 40 degrees, in digits or Chinese numerals
    "FEVER38": r"(?:3[89]|40)(?:\.[0-9])?|三十[八九]|四十(?![一二三四五六七八九])",
    # an anticoagulant or antiplatelet drug: bleeding and head knocks are graver on them
    "ANTICOAG": r"(?:华法林|抗凝|利伐沙班|阿哌沙班|达比加群|艾多沙班|氯吡格雷|波立维|替格瑞洛|阿司匹林|肝素)",
    # signs of sepsis beside a fever: low blood pressure, fast breathing, mottled skin, little urine
    # (not cold hands and feet: common while a child's fever climbs)
    "SEPSIS": r"(?:血压(?:很|特别)?(?:低|掉|只有|才)|呼吸(?:很|特别)?(?:快|急)(?!性)|"
              r"皮肤(?:都|有点|有些)?(?:花|发花)|(?:没|不)(?:尿|小便)|尿(?:很|特别)?少)",
    # ten or more (tablets)
    # a count of pills, never of years or days (吃了十年药 is a long treatment)
    "MANY": r"(?:[0-9]{2,}|[二三四五六七八九]?十[一二三四五六七八九]?|好?几十|十几)(?:多)?"
            r"(?![几多来]*(?:年|个月|月|天|日|周|星期|礼拜|岁|号))",
}


def _expand(pattern: str) -> str:
    def gap(m: "re.Match[str]") -> str:
        return f"{_G}{{0,{m.group(1)}}}"

    pattern = re.sub(r"<G(\d+)>", gap, pattern)
    for name, body in _MACROS.items():
        pattern = pattern.replace(f"<{name}>", body)
    return pattern


def _compile(patterns: Sequence[str]) -> Pattern[str]:
    return re.compile("|".join(f"(?:{_expand(p)})" for p in patterns))


def _rx(pattern: str) -> Pattern[str]:
    return re.compile(_expand(pattern))


_SYMPTOM, _CONDITION, _IDEATION, _ACT = "symptom", "condition", "ideation", "act"


@dataclass(frozen=True)
class _Group:
    category: Category
    kind: str
    regex: Pattern[str]
    hyperbole: Optional[Pattern[str]] = None        # searched in the clause before the match
    clause_exclude: Optional[Pattern[str]] = None   # searched in the whole clause
    exclude_override: Optional[Pattern[str]] = None  # ...unless this is found in the clause
    message_exclude: Optional[Pattern[str]] = None  # searched in the whole message (same override)
    # A quantity only taken on purpose (a whole box of sleeping pills): self-harm when the
    # writer took it and nothing says it was an accident.
    deliberate: bool = False
    # Context the message must have somewhere (often in another clause: 怀孕34周，头特别疼，
    # 看东西模模糊糊的) for the patterns to mean an emergency.
    requires: Optional[Pattern[str]] = None
    needs_acute: bool = False    # a condition that fires only when marked as happening now


def _group(category: Category, kind: str, patterns: Sequence[str], **kw: object) -> _Group:
    extra = {k: (_rx(v) if isinstance(v, str) else v) for k, v in kw.items()}
    return _Group(category, kind, _compile(patterns), **extra)  # type: ignore[arg-type]


# Degree complements that make the following words hyperbole ("气得吐血", "饿得快死了").
_HYP_TAIL = r"(?:得|到)(?:我|人|我都|人都)?(?:都|也)?(?:要|想|快要|快)?$"
_HYP_BLOOD = ("(?:(?:气|坑|亏|看|贵|惊|郁闷|憋屈|急|心疼|肉疼|肉痛|累|忙|惨|恶心|难|烦|虐|卷|折腾|加|干|练|写|学|熬|背)"
              + _HYP_TAIL[:-1] + "|(?:要|想|快要|快))$")
_HYP_DYING = ("(?:饿|热|冷|累|困|忙|烦|气|吓|笑|渴|无聊|疼|痛|痒|晒|闷|急|难受|尴尬|丢人|馋|撑|吵|辣|"
              "酸|苦|穷|等|丑|美|帅|愁|郁闷|憋屈|折腾|加班|上班|干活|学习|考试)" + _HYP_TAIL)
_HYP_LIGHT = ("(?:笑|尴尬|羞|丢人|丢脸|社死|馋|美|帅|开心|高兴|激动|感动|羡慕|可爱|萌|甜|好笑|饿|困|"
              "热|冷|痒|撑)" + _HYP_TAIL)
_HYP_HEAD = "(?:想|看|烦|吵|算|学|写|背|读|气|愁|改|做|弄|搞)" + _HYP_TAIL
_HYP_DISEASE = ("(?:(?:气|卷|累|忙|吓|急|烦|虐|加班|熬夜|作业|学习|工作|折腾|操心)(?:得|到)(?:我|人)?(?:都)?"
                "(?:要|快要|快)?|(?:得|到)(?:我|人)?(?:都)?(?:要|快要|快)|(?:要)?被" + _G + "{0,4}气出(?:个|了)?|气出(?:个|了)?|我(?:都)?(?:要|快要|快))$")
# Anger and hurry put as a leap (气得我要跳楼, 急得想跳河): a figure of speech, not a plan.
_HYP_ANGER = "(?:气|急)" + _HYP_TAIL
_HYP_SPEECH = "(?:感动|气|吓|惊|激动|高兴|无语|震惊|惊讶|哭|笑|累|急|噎)" + _HYP_TAIL

_APP_WORDS = (r"系统|app|小程序|网站|网页|页面|程序|网络|网速|手机|电脑|公众号|链接|软件|客服|机器|"
              r"打印机|服务器|按钮|界面|二维码|支付|付款|下单|提交|上传|叫号|号码|电话|消息|短信|"
              r"微信|邮件|快递|外卖|前台|工作人员|医生|护士|管家|你们")

# ---------------------------------------------------------------------------------------
# The patterns, per category
# ---------------------------------------------------------------------------------------

_GROUPS: Tuple[_Group, ...] = (
    # ---- chest pain / heart attack ----------------------------------------------------
    _group(Category.CHEST_PAIN, _SYMPTOM, [
        r"胸(?:口|部|前|前区|骨后|膛|口处)?<MOD>(?:剧|绞|刺|撕裂样?|压榨样?|闷|压着)?(?:痛|疼)(?!中心|门诊|科)",
        r"胸(?:口)?(?:正中间?|中间|当中|中央|里面|里头)<MOD>(?:痛|疼)",
        r"心(?:口|窝|脏|前区)(?:窝)?(?:子|儿)?<MOD>(?:剧|绞|刺)?(?:痛|疼)",   # 心口窝子疼 (东北)
        r"(?:心(?:脏|口)|胸(?:口)?)(?:像|好像|跟|一抽一抽(?:地|的)?|一揪一揪(?:地|的)?)<G8>(?:痛|疼)|"
        r"(?:胸|心口)(?:口)?(?:绞|揪|刺|扎|压)着(?:疼|痛)",
        # a heart attack felt elsewhere (the stomach, the back, the jaw), with a cold sweat
        r"(?:胃|上腹|后背|下巴|左肩|左胳膊|左臂)<G6>(?:疼|痛)<G12>(?:一身|满头|直|出|冒)(?:冷汗|大汗|虚汗)",
        r"心跳<G4>(?:乱七八糟|乱跳|很乱|不规律|忽快忽慢)<G12>(?:晕|眼前发黑|胸|喘|冷汗)|"
        r"心慌<G6>(?:厉害|不行)<G12>(?:晕|眼前发黑|胸(?:口)?(?:痛|疼|闷)|冷汗)",
        r"(?:胸|心口)(?:口)?(?:像|好像|跟|就像)?(?:被|有)?(?:什么东西|东西|一块|块)?(?:大)?(?:石头)?"
        r"(?:压|堵|箍|勒|攥|揪)(?:着|住|了|得)",
        r"(?:胸|心口)(?:口)?<G6>(?:大石头|石头)",
        r"胸(?:口)?(?:好|很|特别|有点|突然)?闷<G16>(?:冷汗|出汗|大汗|虚汗|喘不|透不过|上不来气|憋|发紫|"
        r"左(?:臂|胳膊|肩)|后背|下巴|要晕|晕)",
        r"(?:冷汗|大汗|虚汗)<G10>胸(?:口)?(?:好|很|特别|有点)?(?:闷|痛|疼)",
        r"胸(?:口)?闷得(?:厉害|不行|受不了|难受|喘)",
        r"(?:突然|剧烈|一阵)胸(?:口)?闷",
        r"胸(?:口)?闷<G10>(?:厉害|严重|剧烈|受不了)",
        r"捂(?:着|住)胸口",
        # a tearing pain (aortic dissection) and pain spreading to the back, arm or jaw
        r"(?:胸|后背|背)<G6>(?:撕(?:裂|开)|刀割|刀绞|刀扎|刀劈)(?:一样|样|般|似的)?(?:的)?(?:疼|痛)",
        r"硝酸甘油<G12>(?:不缓解|不管用|没用|还是疼|还疼|还是不行|不见好)|捂(?:着|住)心口|"
        r"胸(?:口)?发紧<G16>(?:冷汗|大汗|虚汗|不缓解|十几分钟|半小时|半个小时|二十分钟)",
        r"心跳<G4>快得(?:数不过来|数不清|数不了)",
        r"胸(?:口)?<G8>(?:疼|痛)<G6>(?:窜|放射|传|串|连)(?:到)?(?:了)?(?:后背|背|左臂|左胳膊|胳膊|下巴|左肩|肩膀)",
        # a racing heart with fainting or chest pain
        r"心(?:跳|率)(?:得)?<MOD>快<G16>(?:快晕|要晕|晕过去|眼前发黑|胸(?:口)?(?:痛|疼|闷))",
        r"chest ?(?:pain|tightness|pressure|hurts)",
    ]),
    # 心脏不舒服 / 胸口难受 beside a sweat, pallor, breathlessness or spreading pain
    _group(Category.CHEST_PAIN, _SYMPTOM, [
        r"(?:心脏|心口|胸口|胸)<G2>(?:不舒服|难受|不得劲|不对劲|堵|憋)<G12>(?:汗|脸(?:色)?<G2>(?:白|灰)|<BREATH>|憋|晕|"
        r"左(?:臂|胳膊|肩)|后背|下巴)",
        r"(?:一身|满头|好多|大)汗<G12>(?:心脏|心口|胸口|胸)<G2>(?:不舒服|难受|不得劲|不对劲)",
    ]),
    # A heart rate from 150 at rest; during exercise, or settled once stopped, it is normal.
    _group(Category.CHEST_PAIN, _SYMPTOM, [
        r"(?:心跳|心率|脉搏)<G14>(?:(?:1[5-9][0-9]|2[0-9][0-9])(?![0-9])|一百[五六七八九]|两百|二百)",
    ], message_exclude=r"爬山|跑|运动|健身|锻炼|爬楼|打球|游泳|骑车|跳绳|就正常了|就好了|降下来了",
        exclude_override=r"晕|胸(?:口)?(?:痛|疼|闷)|眼前发黑|冷汗"),
    # Textbook and lay words for cardiac pain: pressing, constricting, heart-wrenching;
    # burning only beside a sweat or spreading pain (alone it is heartburn).
    _group(Category.CHEST_PAIN, _SYMPTOM, [
        r"胸(?:前区|骨后|部|口)?<G4>(?:压榨|紧缩|压迫)(?:感|样|一样|似的)",
        r"胸(?:前区|骨后|部|口)?<G4>烧灼<G12>(?:汗|左(?:臂|胳膊|肩)|后背|<BREATH>|晕)",
        r"(?:揪心|钻心|撕心裂肺)(?:地|的|般)?(?:疼|痛)|(?:后背|背)(?:和|跟|连着)胸(?:口)?<G4>(?:疼|痛)",
        r"心里<G2>(?:难受|不舒服|发慌)<G8>(?:大汗|冷汗|虚汗|一身汗)|心(?:脏)?跳得(?:很|好|特别)?乱",
    ], requires=r"胸|(?<!钻)(?<!揪)(?<!撕)心(?!裂肺)"),
    # Chest discomfort of any lay kind (闷, 发紧, 堵, 憋, 难受, 胀痛 ...) that is severe, has
    # lasted minutes or hours, spreads, or comes with a sweat, breathlessness or dizziness.
    _group(Category.CHEST_PAIN, _SYMPTOM, [
        r"(?:胸口|胸部|胸前|前胸|左胸|胸骨|心口|心脏|心窝|胸)(?:这里|那里|这儿|那儿)?<G3>"
        r"(?:闷|痛|疼|压|紧|堵|憋|难受|不舒服|胀|揪)<G16>(?:厉害|受不了|要命|不行|"
        r"<NUM>(?:多)?(?:分钟|个?小时|个?钟头)|不缓解|不见好|还不好|没缓解|汗|<BREATH>|后背|左(?:臂|胳膊|肩|手)|下巴|牙|晕)",
    ], hyperbole=_HYP_DYING, clause_exclude=r"哈哈|笑死|账单|房价|工资|老板"),
    # Angina at rest or lasting: unstable, a heart attack until shown otherwise.
    _group(Category.CHEST_PAIN, _SYMPTOM, [
        r"(?:坐着|躺着|休息|不动|歇着)(?:不动)?<G4>(?:也|都|还)(?:疼|痛|闷|紧|犯|发作)(?:了|起来)?",
    ], requires=r"胸|心口|心绞痛|冠心病|支架"),
    _group(Category.CHEST_PAIN, _CONDITION, [
        r"急性心梗|心梗塞|心梗(?!三项|标志物|指标)|心肌梗(?:死|塞)|心绞痛|急性冠脉综合征|主动脉夹层|"
        r"胸痛(?:中心|门诊)",
        r"心脏病(?:发作|突发|犯了|又犯)",
        r"heart ?attack",
    ], hyperbole=_HYP_DISEASE),
    # ---- cardiac arrest ---------------------------------------------------------------
    _group(Category.CARDIAC_ARREST, _SYMPTOM, [
        r"心跳(?:好像|都|已经|突然)?(?:停|没)了|心跳停止|心跳骤停|心脏(?:好像|突然)?停(?:跳|止|了)",
        r"没(?:有|了)?心跳|摸不到(?:心跳|脉搏|脉)|没(?:有|了)?脉搏",
        r"没(?:有)?呼吸了|没了呼吸|呼吸(?:心跳)?(?:好像|都|已经)?(?:停|没)了|停止(?:了)?呼吸|呼吸停止|"
        r"不喘气了",
        r"<P>(?:好像|已经|都|快)?没(?:了)?气(?:儿)?了|只有出的?气没有进的?气|出气多进气少",
        r"no ?pulse|not ?breathing|stopped ?breathing",
    ]),
    _group(Category.CARDIAC_ARREST, _SYMPTOM, [
        r"没(?:有)?呼吸(?!困难|急促|不畅|道|系统|科|方面|问题|障碍|费力|不适|短促|异常|不顺|加快|声|机|器|内科|"
        r"衰竭|窘迫|暂停|综合|疾病|病|症|性|的)",
    ]),
    _group(Category.CARDIAC_ARREST, _CONDITION, [
        r"心脏骤停|心搏骤停|cardiac ?arrest",
    ], hyperbole=_HYP_DISEASE),
    # Sudden death and its interventions are named far more often than done: only an
    # emergency when something marks them as happening (正在做心肺复苏, 他猝死了).
    _group(Category.CARDIAC_ARREST, _CONDITION, [
        r"猝死|心肺复苏|人工呼吸|除颤|(?<![a-z])(?:cpr|aed)(?![a-z])",
    ], hyperbole=_HYP_DISEASE, needs_acute=True),
    # ---- breathing --------------------------------------------------------------------
    _group(Category.BREATHING, _SYMPTOM, [
        r"喘不(?:上|过|动|了|匀)(?:来)?(?:气)?|透不(?:过|上)(?:来)?气|上不来气|气(?:都)?上不来|"
        r"气(?:都)?喘不(?:上|过|匀|了)|吸不(?:进|上|了)(?:来)?气",
        r"气(?:短|促)得(?:厉害|不行|受不了|说不出话)|"
        r"(?:喘气|呼吸|出气|吸气)(?:很|特别|非常|有点|越来越)?(?:困难|费劲|费力|吃力|急促|很急|不上来|不过来|"
        r"得厉害|得不行|得受不了)|"
        r"呼吸(?:很|特别|非常|有点|越来越|十分|好|也)?(?:急(?!性|救|诊)|费劲|吃力|困难|急促|费力|不上来|不过来|不了|不畅|衰竭|"
        r"窘迫|停停)",
        r"(?:无法|不能|没法|没办法)呼吸|(?:吸气|呼气)(?:很|特别|有点)?困难|发绀|紫绀|喘气<G3>(?:费劲|费力|困难|吃力)|"
        r"(?:不能|没法|没办法)平躺<G8>(?:喘|憋|咳|坐着)|(?:喘|憋)<G8>(?:不能|没法|没办法)平躺",
        r"憋(?:气|得)?(?:脸|嘴唇|嘴)?(?:都)?(?:发|变)?(?:紫|青|乌)",
        r"(?:脸|脸色|嘴唇|嘴|面色|全身|浑身)(?:都|已经)?(?:发|变)(?:紫|青紫|青|乌|黑)",
        # an infant grunting with each breath
        r"(?:宝宝|婴儿|新生儿|孩子)<G8>(?:呻吟|哼哼|哼唧)<G4>(?:呼吸|喘)|(?:呼吸|喘气)<G6>(?:呻吟|哼哼)",
        r"嘴唇(?:都|有点)?(?:紫|乌|青紫)",
        r"(?:脸|脸色|嘴唇)(?:都|已经)?(?:紫|青)了",
        r"憋得(?:受不了|喘不|透不过|说不出话|不行|慌)",
        r"(?:要|快)?憋死了",
        r"喘得(?:很|特别|非常)?(?:厉害|不行|受不了|说不出话|说不了话|上不来)|接不上气|"
        r"(?:呼吸|喘气|喉咙|嗓子)<G6>(?:吹哨|哨子|哮鸣|喘鸣)|坐(?:起来|着)才能(?:喘|呼吸)|端坐呼吸|"
        r"叹气样呼吸|倒气|呼吸<G4>(?:很浅|很慢|微弱|很弱|越来越慢|越来越弱)",
        r"哮喘(?:发作|犯了|急性发作|又犯|大发作)|(?:喘|哮喘)得说不出话",
        r"坐着(?:都|也)喘|躺(?:都|也)躺不(?:平|下)|(?:一句话|整句话)(?:都)?说不(?:完|全|完整|利索)|"
        r"说不(?:完|全|成)(?:一句|整句|句)(?:话)?|(?:胸口|肋骨|脖子)<G3>一吸一个坑|吸气<G8>(?:凹进去|一个坑)|"
        # no full sentence, the ribs drawn in, breathing only sitting forward (severe asthma, epiglottitis)
        r"说不出(?:完整的?|整)(?:一)?句(?:话)?|(?:喘|呼吸|吸气)<G8>(?:肋骨|肋间|锁骨|胸口|脖子)<G6>(?:凹进去|凹下去|陷进去|往里凹)|"
        r"(?:坐着|坐起来|前倾|趴着)<G4>才(?:能)?(?:喘|呼吸)得?(?:上|过|动)?(?:来)?(?:气)?|"
        r"(?:口水|唾沫)<G4>(?:咽不下|吞不下|咽不了)<G12>(?:流口水|喘|呼吸)",
        # pauses in an infant's breathing
        r"(?:宝宝|婴儿|新生儿|孩子|娃)<G10>(?:呼吸|喘气)<G8>停<G6>秒",
        r"can'?t ?breathe|cannot ?breathe|could ?n'?t ?breathe|difficulty ?breathing|"
        r"trouble ?breathing|short(?:ness)? ?of ?breath|struggling ?to ?breathe",
    ], hyperbole=r"(?:(?:尿|屎|话|(?<![憋吸喘])气|闷|憋屈)(?:都|快|要)?|(?:笑|乐|辣|累|挤|热|跑|哭)" + _HYP_TAIL[:-1] + r")$",
        clause_exclude=r"哈哈|hhh|笑死|好笑|搞笑", message_exclude=r"笑得|笑到|笑死|笑出|哈哈",
        exclude_override=r"紫|青|晕|倒|抽|叫不醒|没反应"),
    # Lay words for laboured breathing and stridor; after a run they are normal.
    _group(Category.BREATHING, _SYMPTOM, [
        r"大口(?:大口)?(?:地)?喘(?:气|粗气)?|张(?:着)?嘴<G2>喘|鼻翼(?:一)?扇|三凹|"
        r"喘(?:得)?(?:跟|像)(?:拉)?风箱|(?:喉咙|嗓子)(?:里)?<G4>(?:呼噜呼噜|嘶嘶|呼呼|咝咝)|"
        r"吸气<G8>(?:怪声|呼呼|嘶嘶|咝咝|喉鸣)|喉鸣|(?:喘气|呼吸)<G4>又深又快|"
        r"(?:胸口|肋骨|脖子|锁骨)<G4>(?:一凹一凹|一吸一凹)",
    ], message_exclude=r"跑步|跑完|运动|健身|爬楼|锻炼|打球|游完|哈哈|笑",
        exclude_override=r"紫|晕|说不出话|叫不醒|抽|过敏"),
    # Purple nails are cyanosis, unless the finger was caught or struck (a bruise under the nail).
    _group(Category.BREATHING, _SYMPTOM, [
        r"指甲(?:都|已经)?(?:发|变)(?:紫|青紫|青|乌|黑)",
    ], message_exclude=r"夹|砸|撞|磕|踢|碰|压|门", exclude_override=r"喘|呼吸|憋|嘴唇|脸"),
    _group(Category.BREATHING, _SYMPTOM, [
        r"粉红(?:色)?(?:的)?泡沫(?:样)?(?:的)?痰|咳<G6>粉红(?:色)?(?:的)?(?:泡沫|痰)",   # acute pulmonary oedema
    ]),
    _group(Category.BREATHING, _SYMPTOM, [
        r"(?:喷|吸)(?:了)?<G4>(?:药|喷雾|气雾剂)<G6>(?:都)?(?:不管用|没用|不见效|不好使|没效果)",
    ], requires=r"哮喘|喘"),
    # ---- unconscious ------------------------------------------------------------------
    _group(Category.UNCONSCIOUS, _SYMPTOM, [
        r"晕倒|昏倒|晕过去|昏过去|(?:晕|昏)死过去|(?:叫|喊|推|拍)不动(?:了)?|不动弹了|瘫(?:在)?那(?:儿|里)|"
        r"倒下去了|(?:呛|熏)晕|一头栽(?:倒|下去|在)|栽倒|扑通<G4>倒|昏去了|晕去了|晕低|昏低|晕咗|昏咗|晕厥|昏厥|昏迷(?!指数|评分)|休克(?!疗法)|不省人事|人事不省|人事不知|瘫软|(?:瘫|软)(?:在)?(?:地上|地下)|"
        r"失去(?:了)?(?:意识|知觉)|意识(?:不清|模糊|丧失|不太清楚|都没了|没了|恍惚)|神志(?:不清|模糊|恍惚)|"
        r"睁不开<G4>(?:不说话|不理|不应)|(?:叫|喊)<G3>(?:也|都)不理(?!我)|"
        r"没(?:有)?意识(?!到)|<P>没(?:有)?知觉|"
        r"(?:叫|喊|唤|摇|拍|推|弄)不(?:太)?醒|(?:叫|喊)不(?:应|答应)|"
        r"倒地不起|<P><G6>倒在(?:地上|地|厕所|卫生间|浴室|门口|路边|床边|楼道)|晕倒在|瘫倒|昏睡不醒|一直昏睡",
        r"<P>(?:刚才|刚刚|突然|一下子|忽然|当场|直接|现在)*(?:就)?(?:晕了|昏了|倒地|倒下了|倒了(?![一杯碗点些水茶酒垃圾车霉个])|"
        r"不动了|瘫在|瘫倒|瘫了|软(?:了|下去)|没(?:了)?知觉|没反应(?:了)?)",
        r"眼睛闭着<G4>(?:不睁|睁不开|叫不|不理|不应)",
        r"(?:突然|一下子|忽然)(?:就)?(?:晕了|昏了|倒地|倒下|倒了|瘫(?:在|倒|了)|软(?:下去|倒))",
        r"人(?:都)?(?:软下去|迷糊|糊涂)了|人(?:都)?迷迷糊糊|迷迷糊糊(?:的)?(?:叫|喊)",
        r"(?:晕|昏)(?:倒)?在(?:了)?(?:地上|地|厕所|卫生间|浴室|门口|路边|床边|楼道)",
        r"趴(?:在)?(?:桌子|桌|方向盘)上<G10>(?:叫|喊|推|拍|不动|没反应|不应|不醒)",
        r"(?:躺|倒|趴|摔)在(?:了)?(?:地上|地|厕所|卫生间|浴室|门口|楼道)<G10>(?:叫|喊|哼|不动|起不来|没反应|不应|不醒)",
        r"(?:叫|喊)(?:他|她|人)(?:也|都)?不(?:太)?(?:应|答应)|(?:叫|喊)<G3>(?:也|都)?不(?:理人|应声|吭声)|"
        r"(?:叫|喊|拍|摇)(?:他|她|孩子|宝宝|人)?(?:也|都)(?:不睁眼|睁不开眼|不醒|没(?:有)?反应|没动静)",
        # dialects: 叫伊拢无应 (闽南), 叫极都唔醒 / 冇反应 (粤), 叫伊勿应 (吴); only a moan
        r"(?:叫|喊|唤|拍|摇)<G4>(?:[唔冇勿袂无]|没)(?:应|醒|反应|答应|睬)|(?:叫|喊)<G4>(?:只会|只|光|就)(?:哼哼|哼|嗯嗯|呻吟)",
        r"(?:宝宝|婴儿|孩子|娃|小孩)<G6>(?:软绵绵|软塌塌|软趴趴)|(?:软绵绵|软塌塌|软趴趴)<G6>(?:叫不醒|不醒|不吃奶|不哭)",
        r"血糖(?:太|很|特别|极|超)?低<G8>(?:迷糊|晕倒|晕过去|晕了|昏|叫不醒|抽|意识|喂不进)",
        r"unconscious|unresponsive|passed ?out|fainted|collapsed|won'?t ?wake ?up",
    ], hyperbole=r"(?:都(?:要|快要|快)|差点|差一点)(?:要|快要|快)?$|"
                 r"(?:等|忙|气|看|绕|转|吵|笑|帅|美|感动|穷|贵)" + _HYP_TAIL + "|"
                 r"看(?:到|见)" + _G + r"{0,16}(?:我|人)(?:都)?(?:要|快要|快)$"),
    _group(Category.UNCONSCIOUS, _SYMPTOM, [
        r"(?:叫|喊|拍|摇|推|唤|碰|弄)<G6>(?:没(?:有)?(?:反应|知觉)|(?:也|都)不(?:动|醒|应|答应))",
        r"<P><G4>没(?:有)?反应了",
        r"(?:一点|一点儿|什么|啥)?反应都没(?:有)?",
    ], clause_exclude=_APP_WORDS + r"|疫苗|打针|打完|吃药|药|副作用|治疗|效果",
        exclude_override=r"突然|晕|昏|倒|摔|抽"),
    _group(Category.UNCONSCIOUS, _SYMPTOM, [
        r"皮肤<G3>(?:花花|发花|花斑|大理石)|(?:叫|逗|碰|喊)<G4>(?:也|都)?不(?:怎么)?(?:哭|动)(?!了吧)|哭(?:声|得)<G2>(?:很|特别)?(?:弱|小|没力气)|"
        r"不吃奶<G8>(?:发凉|冰凉|没精神|蔫|不哭|嗜睡|叫不醒)|身上<G2>(?:发凉|冰凉)<G8>(?:不吃奶|没精神|蔫)",
    ], requires=r"宝宝|宝贝|婴儿|孩子|娃|小孩|小朋友|新生儿|儿子|女儿|闺女|孙子|孙女|外孙|囡囡|崽"),
    _group(Category.UNCONSCIOUS, _SYMPTOM, [
        r"说胡话|胡言乱语|答非所问|对答不切题|颠三倒四|语无伦次|前言不搭后语|认不得人|认不出(?:人|家人|我)|"
        r"不认(?:识|得)?(?:人|我|家里人|家人|我们)了|突然不认(?:识|得)?(?:人|我|家里人|家人|我们)|瞳孔<G6>(?:不一样大|一大一小|不等大|散大|放大)",
    ], clause_exclude=r"梦|睡着|喝多|喝醉|醉了", message_exclude=r"痴呆|阿尔茨海默|记性|健忘|散瞳|眼药水|验光",
        exclude_override=r"突然|忽然|摔|撞|磕|晕|烧"),
    # A drowsy or slow person, where something explains it (diabetes, a knock on the head,
    # alcohol, fumes, heat or cold, chemotherapy): not the 头昏昏沉沉 of a cold.
    _group(Category.UNCONSCIOUS, _SYMPTOM, [
        r"(?<!头)(?<!脑袋)(?<!脑子)(?:昏昏沉沉|昏昏欲睡|迷迷糊糊|迷糊|反应(?:很|特别|有点)?(?:慢|迟钝))|"
        r"(?:叫|喊)<G4>不(?:怎么|太)(?:理|应|搭理)|不(?:怎么)?理人",
    ], requires=r"^(?=.*(?:老人|爷爷|奶奶|外公|外婆|姥|老爷子|老太太|老伴|老头))(?=.*(?:突然|今天|刚才|一下子|这两天))|"
                r"糖尿病|血糖|胰岛素|降糖|化疗|一氧化碳|煤气|烧炭|炭火|中暑|冻(?:了|僵|坏)|喝(?:了)?<G4>酒|醉|"
                r"(?:摔|撞|磕|跌|砸)<G4>(?:头|脑袋|后脑)|(?:头|脑袋|后脑勺?)<G2>(?:摔|撞|磕|碰|砸|跌|着地)"),
    # ---- stroke -----------------------------------------------------------------------
    _group(Category.STROKE, _CONDITION, [
        r"中风(?!险)|脑梗(?:塞|死)?|脑卒中|卒中|脑出血|脑溢血|脑血栓|脑栓塞|脑血管意外|颅内出血|"
        r"蛛网膜下腔出血|(?<!heat)(?<!heat )stroke",
    ], hyperbole=_HYP_DISEASE),
    _group(Category.STROKE, _SYMPTOM, [
        r"嘴(?:巴|角)?(?:突然|有点|都|是|也)?(?:歪|斜)|口角(?:歪|斜)|口眼(?:歪斜|歪)|眼歪嘴斜|"
        r"脸(?:突然|有点)?(?:歪|斜)了|(?:脸|嘴)(?:的)?(?:一边|半边)<G2>(?:塌|垮|耷拉|歪|掉)(?:下来|下去|了)?|"
        r"(?:一边|半边)(?:的)?脸<G2>(?:塌|垮|耷拉|动不了|不会动|不能动)|嘴(?:巴)?合不上(?:了)?",
        r"话都听不懂了|听不懂(?:人|别人|我们|我)?(?:说)?(?:的)?话了",
        r"嘴角<G4>(?:往下)?(?:耷拉|下垂)|(?:左|右|一边|一只)手<G2>(?:拿不住|握不住|抓不住)|"
        r"(?:从)?嘴角<G4>(?:漏|流)(?:出来)?|视物成双|复视|"
        r"(?:突然|忽然|突发)<G4>(?:眩晕|天旋地转)<G8>(?:站不住|站不稳|走不了|吐)",
        r"(?:一边|一只|一侧|左边|右边|左|右)眼(?:睛)?<G4>(?:看不见|看不清|失明|黑了|像拉了?(?:个|一道)?帘子)",
        r"(?:看东西|东西|眼前的东西)<G4>(?:变成两个|重影|有两个)|走路(?:老|总)?往一边(?:偏|倒)",
        r"(?:半边|半侧|一侧|一边|单侧)(?:的)?(?:身子|身体|手脚|手和脚|胳膊和腿|肢体|手臂|胳膊|腿|脸|手|脚)?"
        r"(?:突然|都|有点|一下)?(?:没劲|无力|没力气?|发麻|麻木|麻了|麻|不能动|动不了|抬不起来|没知觉|"
        r"没感觉|不听使唤|瘫|耷拉|僵)",
        r"(?:左|右)(?:边|侧|半边)(?:的)?<BODY_SIDE>(?:突然|都|有点)?(?:没劲|无力|没力气?|发麻|麻木|麻了|"
        r"麻|不能动|动不了|没知觉|不听使唤|瘫)",
        r"(?:左|右)(?:边|侧)(?:的)?(?:胳膊|手臂|手)<G6>(?:腿|脚)<G3>(?:都|也|突然)?(?:没劲|无力|没力气|动不了|不能动|麻了|发麻|抬不起来)",
        r"(?:左|右)(?:手|胳膊)(?:和|跟)?(?:左|右)?(?:脚|腿)(?:都|突然)?(?:发麻|麻|没劲|无力|不能动|动不了|"
        r"不听使唤)",
        r"(?:脸|身子|身体)(?:的)?一边(?:突然|都)?(?:麻|没劲|无力|动不了|耷拉)",
        r"手脚(?:突然)?不听使唤|(?:手|胳膊)突然(?:抬不起来|没劲|举不起来)",
        r"(?:突然|忽然|一下子)<G2>(?:一只|一边|左|右)?(?:手|胳膊|腿|脚)<G2>(?:没劲|没力气|无力|抬不起来|举不起来|不能动|"
        r"动不了|发麻|麻了|不听使唤)|(?:刚才|刚刚)<G2>(?:一只|一边|左|右)(?:手|胳膊|腿|脚)<G2>(?:没劲|没力气|无力|"
        r"抬不起来|举不起来|不能动|动不了|不听使唤)",
        r"(?:突然|忽然|一下子|刚才|刚刚)<G2>(?:脸|嘴)(?:巴|角)?<G2>(?:歪|斜)|(?:突然|忽然|一下子)<G2>舌头<G2>(?:发)?麻",
        r"(?:突然|忽然|一下子)(?:看东西)?(?:看不清|看不见|失明|眼前(?:一)?黑|视物模糊|视力模糊|重影|"
        r"眼睛看不见|一只眼(?:睛)?看不见|走不稳|站不稳|走路不稳|走路歪|认不出人|不认人|"
        r"听不懂话|剧烈(?:的)?头(?:痛|疼)|头(?:痛|疼)得厉害|口齿不清)",
        r"一只眼(?:睛)?(?:突然)?(?:看不见|看不清|失明|黑了)|眼睛突然(?:看不见|看不清|失明)|"
        r"眼前一黑<G10>(?:看不见|看不清)",
        r"舌头(?:突然)?(?:发)?(?:硬|僵|不灵|打结|不利索)|半身不遂了|偏瘫了|(?:突然|一下子)(?:半身不遂|偏瘫)|"
        r"(?:走路|身子|身体|人)<G4>往一边(?:偏|倒|歪)",
        r"看东西<G4>(?:少了一半|一半看不见|缺了?一块)",
        r"face ?droop|slurred ?speech",
    ]),
    _group(Category.CHEST_PAIN, _SYMPTOM, [
        r"(?:疼|痛)(?:到|得|窜到|连到|连着|放射到|牵扯到|扯到|串到)<G2>(?:左肩|左边肩|左胳膊|左臂|左手|下巴|下颌|后背)",
    ], requires=r"胸|心口"),
    _group(Category.STROKE, _SYMPTOM, [
        r"(?:筷子|碗|杯子|勺子|东西)<G2>(?:掉了|掉地上|拿不住|握不住)|(?:拿|握|抓)不住<G2>(?:筷子|碗|杯子|勺子|东西)|"
        r"腿<G2>(?:一)?软<G6>(?:跪|倒|坐)(?:下|在地)|不吭声|光看着<G4>不(?:说话|吭)|"
        r"(?:口水|哈喇子)<G4>(?:流|淌)|大舌头",
        r"(?:左|右)(?:边|侧)?(?:的)?(?:手|胳膊|手臂|腿|脚)<G2>(?:好|很|特别|有点|发)?(?:沉|重)(?!要|量)",
    ], requires=r"突然|忽然|一下子|吃着饭|刚才|刚刚|说不出|说话|嘴(?:角)?<G2>(?:歪|斜)|半边|一边"),
    _group(Category.STROKE, _SYMPTOM, [
        r"这辈子<G6>没(?:有)?(?:这么|这样)(?:疼|痛)过|从来没(?:有)?(?:这么|这样)(?:疼|痛)过|"
        r"像(?:被)?(?:人)?(?:拿)?(?:锤子|棍子|榔头|铁锤)(?:砸|敲|打)|像<G2>(?:炸开|要炸|裂开)",
    ], requires=r"头(?:疼|痛)|头<G6>(?:炸|裂|疼|痛)", hyperbole=_HYP_HEAD),
    _group(Category.STROKE, _SYMPTOM, [
        r"头(?:痛|疼)欲裂|(?:剧烈|炸裂|爆炸|撕裂)(?:样|般|性)?的?头(?:痛|疼)|"
        r"这辈子最(?:厉害|严重|痛|疼)的头(?:痛|疼)|头(?:痛|疼)得(?:像)?(?:要)?(?:炸|裂)",
        r"头(?:疼|痛)<G14>(?:这辈子|从来|从没|平生)(?:都)?没(?:有)?(?:这么|这样)(?:疼|痛)过|"
        r"(?:突然)?头(?:疼|痛)<G4>像(?:被)?(?:人)?(?:拿)?(?:锤子|棍子|榔头)(?:砸|敲|打)|"
        r"头(?:部)?(?:突然|忽然|一下子)<G2>(?:剧痛|剧烈(?:地|的)?(?:疼|痛)|炸裂|爆炸)",
    ], hyperbole=_HYP_HEAD,
        # a known migraine's usual attack is not a thunderclap, unless something is new
        message_exclude=r"偏头痛|老毛病|跟以前一样|和以前一样|跟平时一样|和平时一样|老样子",
        exclude_override=r"突然|忽然|从来没|从没|这辈子|最厉害|不一样|说不出话|嘴歪|看不见|看不清|抽|发烧|脖子|"
                         r"晕倒|叫不醒|手脚(?:麻|没劲)|半边"),
    _group(Category.STROKE, _SYMPTOM, [
        r"(?:说话|讲话)(?:突然|都|也|有点)?(?:不利索|不清楚?|含含糊糊|含糊|含混|不利落|不灵|费劲|大舌头|结巴了|不连贯)|"
        r"言语不清|语言不清|吐字含糊|"
        r"话(?:都|也)?说不清(?:楚)?|说不(?:出|了)话|不会说话了|口齿不清|吐字不清|讲话不清(?:楚)?|"
        r"想说<G6>(?:嘴|话)?(?:就是)?说不出(?:来)?",
    ], hyperbole=_HYP_SPEECH,
        clause_exclude=_APP_WORDS + r"|孩子|宝宝|小孩|儿童|岁|信号|录音|语音|视频|接线员|感冒",
        # a sore throat, or a long-standing neurological disease (帕金森 说话不清楚好几年了)
        message_exclude=r"嗓子|哑|失声|喉咙|咽|扁桃体|帕金森|老年痴呆|阿尔茨海默|脑瘫|渐冻|运动神经元|后遗症",
        exclude_override=r"突然|忽然|一下子|刚才|刚刚|嘴歪|半边|晕|倒"),
    # ---- seizure ----------------------------------------------------------------------
    _group(Category.SEIZURE, _SYMPTOM, [
        r"抽搐|惊厥|抽起来了|抽过去了|羊癫疯|羊角风|口吐白沫|牙关紧闭|两眼上翻|眼睛(?:往)?上翻|抽个不停|"
        r"(?:全身|浑身|四肢|手脚)(?:一直|不停地?|突然|都)?(?:抽(?!血|查|烟|奖|签|空|屉|样|取|检|脂|水)|"
        r"痉挛|僵直|发硬|抖个不停)",
        r"(?:全身|浑身|四肢|手脚)<G2>一抽一抽",
        r"一直(?:在)?抽(?:搐|动|个不停|着)?(?!血|查|烟|奖|签|空|屉|样|取|检|脂|水|时间)",
        r"(?:地上|床上|地下)(?:一直|直)?抽(?:起来|着|了|个不停)?(?!血|查|烟|奖|签|空|屉|样|取|检|脂|水|时间)",
        r"抽完<G8>(?:没醒|不醒|又抽|还没醒|一直睡|叫不醒)|咬(?:破|到)(?:了)?舌头<G8>(?:尿|抽|倒|没醒)|又抽(?:了|起来)(?!血|烟)|又开始抽(?!血|烟|奖|签|查)",
        r"抽(?:了|起来|搐)<G16>(?:中间|之间|一直|到现在|还)(?:都)?没(?:有)?醒",
        r"翻白眼<G6>(?:抽|吐沫|白沫|没反应|叫不醒|不动|倒)|(?<!对我)(?<!冲我)(?:突然|一直|眼睛|刚才|刚刚)(?:在)?翻白眼|牙关(?:紧闭|咬紧|紧咬)|"
        r"牙(?:关)?咬得(?:紧紧|很紧|死死)",
        r"<P>(?:刚才|刚刚|突然|一下子|忽然)+(?:就)?抽(?:了|起来了?|过去了?)(?!血|烟|奖|签|查|空|时间|一|几|根|管|支|口|屉|水|脂)",
        r"(?:烧|发热)<G8>(?:一直)?抽(?:了|起来|搐|风|过去|个不停|动|筋)",
        r"癫痫(?:发作|犯了|又犯|大发作|持续状态)|(?:又)?发羊癫疯",
        r"seizure|convuls",
    ]),
    _group(Category.SEIZURE, _SYMPTOM, [
        r"(?:全身|浑身|身子|身体)<G2>(?:发硬|僵直|挺直)|(?:眼睛|两眼|双眼)<G2>(?:发直|直直的)",
    ], requires=r"突然|刚才|刚刚|翻白眼|抽|叫不|不应|没反应"),
    _group(Category.SEIZURE, _SYMPTOM, [r"抽风"],
           clause_exclude=_APP_WORDS + r"|似的|一样|辞职|跳槽|分手|发什么|犯什么|抽什么|又在抽风"),
    _group(Category.SEIZURE, _CONDITION, [r"(?<!抗)癫痫(?!药)|epilep"]),
    _group(Category.SEIZURE, _SYMPTOM, [r"抽(?:了|起来)(?!血|烟|奖|签|查|空|时间)|抽搐|抽风"],
           requires=r"怀孕|孕(?!检)|[0-9一二三四五六七八九十]+周|待产|临产"),
    # ---- anaphylaxis ------------------------------------------------------------------
    _group(Category.ANAPHYLAXIS, _SYMPTOM, [
        r"过敏性休克|严重过敏反应|(?:急性)?喉头水肿|喉(?:咙|头)?水肿",
        r"过敏<G12>(?:呼吸困难|呼吸有点困难|喘不|透不过|上不来气|憋|喉咙(?:肿|紧|堵|发紧)|嗓子(?:肿|紧|堵|发紧)|"
        r"喉咙像|嗓子像|喉头|嘴唇肿|舌头肿|脸肿|眼睛肿|肿起来|晕倒|晕过去|昏|休克|说不出话|血压低)",
        r"(?:喉咙|嗓子|喉头|舌头|嘴唇)(?:突然|一下)?(?:发)?(?:肿|紧|堵|胀)(?:了|起来|得|住)?<G8>"
        r"(?:喘|呼吸|憋|透不过|说不出话|咽不下|上不来气|出不了声|发不出声)",
        r"(?:全身|浑身|身上|满身)(?:突然|一下)?(?:都)?(?:起|长|出|冒)?(?:了)?(?:好多|很多|大片|一片)?"
        r"(?:疹子|红疹|皮疹|风团|荨麻疹|疙瘩|红疙瘩|红包|包|红点|红斑|红肿|痒|肿)<G10>(?<![没不无])(?<!没有)(?:<BREATH>|憋|透不过|"
        r"上不来气|头晕|晕|心慌|(?:喉咙|嗓子)(?!(?:也|都|还)?(?:不|没))|嘴唇肿|脸肿|眼睛肿|血压)",
        r"(?:脸|脖子|嘴唇|舌头|眼睛|全身|浑身)(?:都|也|突然|一下子?|有点|很|好)?(?:肿|发肿)<G8>(?:<BREATH>|憋|透不过|嗓子|喉咙|上不来气)",
        r"(?:蜂|蜜蜂|马蜂|黄蜂|胡蜂)<G4>(?:蛰|蜇|叮)<G8>(?<![不没无])(?:全身|浑身|(?:脸|嘴|眼|喉咙|嗓子|舌头|脖子)<G3>肿|"
        r"头晕|晕|喘|呼吸|憋)",
        r"(?:吃|喝|打|用|服)(?:了|完|过)<G8>(?:花生|坚果|海鲜|虾|蟹|螃蟹|芒果|菠萝|鸡蛋|牛奶|头孢|青霉素|"
        r"阿莫西林|布洛芬|阿司匹林|消炎药|针)<G10>(?:嘴巴|嘴唇|舌头|喉咙|嗓子|脸|眼皮)<G3>(?<![不没无未])肿",
        r"anaphyla|throat ?(?:is ?)?(?:swelling|closing)",
    ]),
    _group(Category.ANAPHYLAXIS, _SYMPTOM, [
        r"(?:嗓子|喉咙)<G4>(?:发紧|紧|像被掐|被掐住|堵住|喘不)|(?:嘴唇|眼皮|舌头)<G6>(?:一下子|突然)?(?<![不没无未])肿(?:起来|了)",
        r"(?:一站起来|一站)<G4>(?:眼花|眼前发黑|要晕|晕)",
    ], requires=r"蛰|蜇|叮|过敏|海鲜|花生|虾|蟹|芒果|坚果|吃了|打了|输液|药|针|注射"),
    _group(Category.ANAPHYLAXIS, _SYMPTOM, [
        r"<BREATH>|憋|一直咳|咳个不停|吐了|呕吐|头晕|晕|起<G3>(?:疹|风团|疙瘩)",
    ], requires=r"过敏<G30>(?:刚|不小心|误|又)<G3>(?:吃|喝|碰|用|打|沾)|(?:刚|不小心|误|又)<G3>(?:吃|喝|碰|用|打|沾)<G30>过敏"),
    _group(Category.ANAPHYLAXIS, _SYMPTOM, [
        r"(?:吃|喝|打|用|服)(?:了)<G10>(?:全身|浑身)<G4>(?:疹|风团|疙瘩|红)<G10>(?:吐|呕)",
        r"肾上腺素(?:笔)?<G6>(?:要(?:不要)?打|打了|该打|用不用|要打|打不打|扎了)|(?:打|扎)了<G3>肾上腺素|epipen",
    ]),
    # ---- injury -----------------------------------------------------------------------
    # a blade or a bar driven into the trunk, the neck, the head or an eye, or still in it
    _group(Category.INJURY, _SYMPTOM, [
        r"(?:刀|剪刀|钢筋|铁棍|钢管|玻璃|钉子|树枝|竹签|铁签|螺丝刀|改锥)<G4>(?:扎|插|刺|捅)(?:进|到|入|穿|在)(?:了)?<G4>"
        r"(?:肚子|腹|胸|脖子|头|背|腰|肋)|"
        # into an eye, not a poke at it (树枝戳到眼睛: an eye seen today)
        r"(?:刀|剪刀|钢筋|铁丝|玻璃|钉子|树枝|竹签|铁签|螺丝刀|改锥)<G4>(?:扎|插|刺|捅)(?:进|入|穿)(?:了)?<G2>眼",
        r"(?:刀|钢筋|玻璃|钉子|树枝|铁棍|钢管|竹签|螺丝刀)<G2>还(?:插|扎)?在(?:上面|里面|肉里|身上|肚子|胸|头|眼)",
    ]),
    _group(Category.INJURY, _SYMPTOM, [
        r"被(?:车|汽车|小车|卡车|货车|大车|电动车|电瓶车|摩托车?|公交车?|出租车|三轮车?|自行车|火车|"
        r"车子)(?:给)?(?:撞|碾|压|刮倒|撞倒|撞飞|卷)",
        r"(?:车|电动车|电瓶车|摩托车?|自行车)(?:和|跟|与)<G4>撞(?:了|上)|翻车了|车翻了",
        r"(?:窗台|阳台|楼上|楼顶|窗户)<G4>(?:掉|摔|坠|跌)(?:了)?(?:下去|下来)|"
        r"从<G8>(?:楼|楼上|楼梯|高处|梯子|房顶|屋顶|阳台|树上|脚手架|窗户|窗台|悬崖|山上|山坡|台阶上|"
        r"架子上|楼顶)(?:上)?(?:摔|掉|跌|坠|滚)(?:了)?(?:下来|下去|落)?",
        r"坠楼|高空坠落|高处坠落|坠落",
        r"(?:摔|撞|磕|碰|砸|打|跌)(?:到|了|伤|破|中)?(?:了)?(?:一跤|一下)?(?:头|脑袋|后脑勺?|头部)<G10>(?<![没不无])(?:吐|呕|晕|昏|意识|"
        r"叫不醒|没反应|流血|出血|血|抽|迷糊|犯困)",
        r"(?:头|脑袋|后脑勺?)(?:部)?(?:被)?(?:撞|磕|摔|砸|打)(?:了|伤|破|到|中)?<G10>(?<![没不无])(?:吐|呕|晕|昏|意识|叫不醒|没反应|"
        r"流血|出血|抽|迷糊|犯困)",
        r"被<G4>砸(?:到|中|伤)(?:了)?(?:头|脑袋)|后脑勺?着地|头破血流",
        r"头(?:部)?(?:受伤|外伤|撞伤|摔伤)<G10>(?:吐|呕|晕|昏|意识|叫不醒|迷糊|抽|犯困)",
        r"(?:胸|腹|肚子|背|脖子|头)(?:部)?<G2>被(?:刺|捅|扎|砍)(?:伤|了|穿)",
        r"(?:摔|掉|跌|坠)(?:下来|倒|了|下去)(?:一跤)?<G8>(?:一直吐|呕吐|吐了|昏|晕|叫不醒|犯困|嗜睡|没反应|动不了|"
        r"站不起来|起不来)",
        r"(?:滑倒|摔倒|跌倒)<G8>(?:动不了|站不起来|起不来|爬不起来)",
        r"(?:摔|滚|掉|跌)下(?:了)?(?:楼梯|楼|台阶)<G8>(?:动不了|站不起来|起不来|爬不起来|晕|吐|叫不|没反应|流血)",
        r"被<G2>(?:车轮|轮子)<G2>(?:压|碾|轧)|(?:摔|撞|砸|压|打)断(?:了)?<G2>(?:腿|胳膊|手臂|脚|手)",
        r"(?:烟花|鞭炮|炮仗|爆竹|雷管)<G4>(?:炸|崩)(?:伤|到|了)",
        r"骨头(?:都)?(?:露出来|戳出来|刺出来|穿出来|断了|碎了|露在外面)",
        r"(?:腿|胳膊|手臂|手腕|脚踝|大腿|小腿)(?:被)?(?:摔|撞|压|砸|打)?(?:明显|都)?(?:断了|变形|扭曲|歪了|"
        r"折了|反折)",
        r"骨折<G8>(?:变形|歪|骨头露|戳出|刺出|出血|流血)",
        r"被<G4>(?:刀|匕首|玻璃|利器|钢筋|钢管|铁棍|剪刀)<G4>(?:刺|扎|捅|砍)(?:伤|中|穿|了|进)|"
        r"被(?:人)?(?:捅|砍)(?:了|伤)|捅了一刀|刀(?:伤|口)(?:很|特别|好)?深",
        r"伤口(?:很|特别|非常|好|太|挺)(?:深|大|长)|深可见骨|见骨|露出骨头",
        r"(?:狗|猫|蛇|动物|猪|马|牛)咬(?:伤|了|到)?<G8>(?:很深|好深|特别深|血流不止|止不住|流了好多血|"
        r"肉都|见骨|撕开|撕裂|掉了块肉)",
        r"被(?:毒)?蛇咬|毒蛇",
        r"被(?:蝎子|毒蜘蛛|蜈蚣|水母|海蜇|毒虫)<G2>(?:蛰|蜇|咬|叮)<G12>(?:晕|<BREATH>|吐|抽|麻|心慌|肿得|全身|浑身)",
        r"(?:手指|脚趾|手|胳膊|腿)<G4>(?:切|砍|轧|压|夹|锯)断|(?:切|砍|轧|压|夹|锯|剁)断(?:了)?<G2>(?:手指|脚趾|指头|手|胳膊|腿)|断指|断肢|(?:卷|夹)(?:进|到)(?:了)?机器|"
        r"(?:卷|夹|绞)(?:进|到)(?:了)?<G4>(?:绞肉机|搅拌机|传送带|滚筒)|(?:绞肉机|搅拌机|传送带|滚筒)<G4>(?:卷|夹|绞)(?:进去|进|住|了)|"
        r"卡在<G4>(?:电梯|扶梯|机器|门缝)|压在(?:下面|底下)<G4>(?:出不来|拉不出来)|被压住(?:了)?<G4>出不来|"
        r"被机器(?:卷|夹|压|轧|绞)|机器<G2>(?:绞|卷|轧|夹)(?:了|断|伤|住)",
        r"被(?:重物|钢筋|砖头?|石头|墙|柜子|树|车|大石头?)(?:压|砸)(?:住|伤|中|在|倒|了)",
        r"眼(?:睛|球)?<G4>(?:扎|戳|刺|炸)(?:破|穿|进|伤|瞎)|"
        r"多处骨折|全身是伤|血肉模糊|卡在车里|枪伤|中枪",
        r"(?:脚趾|手指|指头|脚趾头|手指头)<G3>(?:掉了|断了|削掉|切掉|没了|掉下来)",
        r"car ?accident|hit ?by ?a ?car|fell ?from",
    ]),
    _group(Category.INJURY, _SYMPTOM, [
        r"老想睡|一直想睡|总想睡|嗜睡|犯困|叫不太醒|(?:一直|老是|总)(?:喊|说)?头(?:疼|痛)<G6>(?:吐|想睡)|一直吐|吐了好几次|"
        # skull-base fracture and confusion after the knock
        r"(?:耳朵|鼻子|鼻孔)<G6>(?:流|淌|渗)(?:出)?<G4>(?:清水|水|血)|熊猫眼|(?:人|他|她)?<G3>(?:迷糊|糊涂)|"
        r"想不起来|记不起来|一直(?:问|重复)",
    ], requires=r"(?:摔|撞|磕|碰|砸|跌)<G4>(?:头|脑袋|后脑)|(?:头|脑袋|后脑勺?)<G2>(?:摔|撞|磕|碰|砸|跌|着地)"),
    # A neck that will not move, with numb or weak limbs, after a fall or a crash: the spine.
    _group(Category.INJURY, _SYMPTOM, [
        r"脖子<G4>(?:不能动|动不了|不敢动)<G8>(?:麻|没知觉|动不了|没劲)",
    ], requires=r"摔|撞|跌|车|掉|砸|跳水|坠"),
    # A knock on the head, or bleeding that does not stop, on a blood thinner.
    _group(Category.INJURY, _SYMPTOM, [
        r"(?:摔|撞|磕|碰|砸|跌)<G6>(?:头|脑袋|后脑)|(?:头|脑袋|后脑勺?)<G2>(?:摔|撞|磕|碰|砸|跌|着地)",
    ], requires=r"<ANTICOAG>"),
    _group(Category.INJURY, _CONDITION, [
        r"出车祸|车祸|交通事故|骨折|头部外伤|颅脑损伤|脑外伤|脑震荡",
    ], hyperbole=r"(?:是不是|会不会|怀疑(?:是)?|可能(?:是)?|像是?|担心是)$"),   # 是不是骨折了: a visit today
    # ---- poisoning / overdose ---------------------------------------------------------
    _group(Category.POISONING, _SYMPTOM, [
        r"(?:吃|吞|喝|服)(?:了|下|掉|光)?(?:一整|整整一?|整|一大|大半|一大把|一把|一堆|全部的?|所有的?|"
        r"<MANY>)(?:个|颗)?(?:瓶|盒|板|把|堆|片|粒|颗)?(?:的)?<G5><DRUG>",
        r"(?:吃|吞|喝|服)(?:了|下|掉|过)?(?:一|半|两|几|好几)(?:瓶|盒|板|把)(?:的)?<SED>",
        r"(?:吃|吞|喝|服)(?:了|下)?(?:很多|好多|大量|过量|一大堆|一堆|一把)<SED>|"
        r"吞(?:了|下)?(?:很多|好多|大量|一大堆|一堆|一把|一大把)(?:的)?(?:药|药片|药丸)|吃(?:了|下)?(?:一把|一大把)(?:的)?(?:药|药片|药丸)",
        r"把(?:一|整)整?(?:瓶|盒|板)(?:的)?<G4>(?:吞|喝)(?:了|下去|下|掉|光)|"
        r"把(?:一|整|半|两|几)?整?(?:瓶|盒|板|把)(?:的)?<G6>(?:都|全|全部|一口气|一次性?|一下子)"
        r"(?:吃|吞|喝)(?:了|下去|下|掉|光|完)",
        r"把<G6><SED><G4>(?:都|全)?(?:吃|吞|喝)(?:了|下|掉|光)",
        r"<SED>(?:都|全)?(?:吃|吞|喝)(?:了)?(?:一|整|半)(?:整)?(?:瓶|盒|板|把)",
        r"一次(?:性)?(?:吃|吞|服)(?:了)?<G6>(?:瓶|盒|板|<MANY>(?:片|粒|颗))",
        r"(?:喝|服|吃)(?:了|下|掉)?(?:一瓶|半瓶|一口|几口|一些|好多|一杯|半杯|大半瓶)?(?:的)?"
        r"(?:农药|敌敌畏|百草枯|乐果|甲胺磷|敌百虫|老鼠药|鼠药|耗子药|毒鼠强|毒药|氰化物|砒霜)",
    ], deliberate=True),
    _group(Category.POISONING, _SYMPTOM, [
        r"(?:喝|服|吃|吞|舔|咽|误喝)(?:了|下|掉|过)?(?:点|一瓶|半瓶|一口|几口|一些|好多|一点|一杯|半杯|大半瓶)?(?:的)?<TOXIN>",
        r"把<G6><TOXIN><G4>(?:喝|吃|吞)(?:了|下|掉|光)",
        # a mouthful of these kills, whatever comes between: 喝了一口装在饮料瓶里的百草枯
        r"(?:喝|服|吃|吞|咽|误喝|误服)(?:了)?<G14>(?:百草枯|敌草快|毒鼠强|氰化物|砒霜)",
        r"(?:吃|服|喝)(?:了)?过量(?:的)?(?:药|<SED>)|(?:吃|喝|误服|误食)(?:了)?<G3>不明(?:药物|药|液体|东西)|"
        r"吸(?:了|入)<G4>(?:煤气|燃气|一氧化碳|毒气|浓烟)|"
        r"<SED>(?:吃|服|喝)(?:多|过量|超量)(?:了)?|药(?:物)?过量|过量服(?:用|药)|吃药过量|药吃多了|"
        r"吃多了(?:安眠)?药",
        r"把<G6>药<G4>当(?:糖|饮料|零食|水)|"
        r"(?:吃|吞|喝|偷吃)(?:了)?<G4>(?:大人|爷爷|奶奶|外公|外婆|姥姥|姥爷|爸爸|妈妈|老人|家里)的<G3>(?:药|药片|药丸)",
        r"(?:煤气|燃气|天然气|一氧化碳|(?<![a-z])co)中毒|一氧化碳(?!报警器(?!响|叫)|检测|浓度|传感)|煤气(?:泄漏|漏了|熏)|燃气泄漏|烧炭|"
        r"(?:炭火|炭盆)<G6>(?:头晕|晕|中毒|昏)|"
        r"(?:煤气|燃气|天然气)(?:味|味道)<G16>(?:头疼|头痛|头晕|晕|想吐|恶心|吐|起不来|叫不醒|昏)",
        r"吃了?(?:<NUM>|好几)?(?:个|颗|粒|枚|节|块)?(?:的)?(?:毒蘑菇|野蘑菇|野生菌|毒蕈|河豚|干燥剂|樟脑丸|电池|纽扣电池|磁铁|磁珠|水银|洗衣凝珠)|"
        r"毒蘑菇|吞(?:了|下)?(?:<NUM>|好几)?(?:个|颗|粒|枚|节)?(?:的)?(?:纽扣电池|电池|磁铁|磁力珠|磁珠|吸铁石|巴克球)",
        r"(?:野|采|摘|捡)<G6>(?:蘑菇|菌子|菌)<G12>(?:吐|拉|晕|站不住|站不稳|肚子疼|腹痛|看东西|不对劲)",
        r"吃(?:了)?<G8>(?:采|摘|捡)(?:的|来的|回来的)(?:蘑菇|菌子|野菌|菌)",
        r"(?:纽扣电池|电池|磁铁|磁珠|磁力珠|吸铁石|巴克球)<G6>(?:吞|咽)(?:下去|了|进去|下)",
        r"(?:燃气|煤气)热水器<G10>(?:晕|昏|倒|头疼|头痛|吐|叫不醒)|(?:晕|昏|倒)<G12>(?:燃气|煤气)热水器",
        r"<P>喝(?:了)?药了|服毒",
        r"(?:喝|吃|吞|舔|咽)(?:了)?<G8>(?:百草枯|敌敌畏|农药|老鼠药|鼠药|耗子药|毒鼠强|洁厕灵|管道疏通剂|疏通剂)",
        r"(?:自酿|散装|假|自己酿|勾兑|散)<G3>酒<G10>(?:看不清|看不见|眼睛|视力|叫不醒|抽)",
        r"(?:洗碗(?:机)?|洗涤|清洁|洗衣)(?:的)?(?:块|凝珠|片|粉)<G8>(?:咬|吃|吞|舔|含)|(?:咬|吃|吞|舔|含)(?:了)?<G6>"
        r"(?:洗涤块|洗碗块|洗碗机(?:的)?(?:块|片|凝珠)|洗衣凝珠|疏通剂)",
        r"(?:煤炉|炉子|煤球|蜂窝煤|炭火|炭盆|火盆|烧煤)<G16>(?:头疼|头痛|头晕|晕|想吐|吐|站不起来|叫不醒|昏|没反应)",
        r"overdose|poisoned|swallowed ?(?:bleach|pills)",
    ]),
    # Hornet venom is toxic in numbers; one sting with only a local swelling is a visit today.
    _group(Category.POISONING, _SYMPTOM, [r"被(?:马蜂|胡蜂|黄蜂|蜂群|毒蜂)(?:蛰|蜇|叮)"],
           message_exclude=r"一下|一口|一个包|一针",
           exclude_override=r"(?<![不没])(?:晕|喘|呼吸|憋|心慌|吐)|全身|浑身|好几|多处|几下|头|脸|嘴|喉|嗓子|眼|孩子|宝宝|老人|尿"),
    _group(Category.POISONING, _SYMPTOM, [r"误(?:服|食|吃|喝|吞)"],
           message_exclude=r"维生素|钙片|益生菌|鱼肝油|牙膏|干燥剂|蜡笔|橡皮泥|口红|润唇膏|酵素|山楂片|健胃消食片",
           exclude_override=r"瓶|盒|板|好多|很多|一把|大把|吐|晕|抽|喘|想睡|叫不醒|嘴唇|铁|补血"),
    _group(Category.POISONING, _SYMPTOM, [r"吃错(?:了)?药(?!了吧|吧)"],
           clause_exclude=r"你|客服|他们|工作人员|是不是", exclude_override=r"孩子|宝宝|小孩|老人|爸|妈|我|奶|爷|姥"),
    _group(Category.POISONING, _CONDITION, [
        r"(?:食物|农药|药物|酒精|重金属|亚硝酸盐)中毒|(?<!游戏)(?<!网络)(?<!手机)(?<!刷剧)(?<!追剧)(?<!网购)(?<!购物)(?<!小说)(?<!视频)中毒(?!太深|很深|了吧|性)",
    ]),
    # ---- self-harm --------------------------------------------------------------------
    _group(Category.SELF_HARM, _IDEATION, [
        r"(?<!不)(?<!你)想死(?!你|您|我了|我啦|人了|他了|她了|宝|了你|啦你|吗|么|的心)",
        r"不想活|活着(?:真|也|都)?没(?:有)?(?:什么|啥)?意思|活着(?:还)?有(?:什么|啥)意思|活不下去|"
        r"不想再活|活够了|不如死了|死了算了|死了就好了|一了百了|一死了之|想去死|去死算了|"
        r"活着(?:好|太|真)累|没(?:有)?活下去的(?:意义|勇气|理由)|不想(?:再)?醒来",
        r"(?:想|要|打算|准备|计划)(?:去)?(?:自杀|轻生|寻死|自尽|了结自己|结束自己)|轻生|寻死|自尽|"
        r"(?:带|和|跟)<G4>一起死|(?:杀|弄死|了结)(?:了)?自己|"
        r"(?:想|要)?结束(?:自己的?)?(?:生命|这一切)|了结自己|自我了断|结束自己",
        r"(?:想|要|准备|打算)(?:从<G6>)?跳(?:下去|楼|河|江|桥|海)|(?:想|要|准备)(?:上吊|割腕|卧轨)",
        r"遗书|(?:信|遗言)(?:都|也)?写好了|今(?:晚|天)就(?:结束|走了)|不想(?:再)?拖累(?:大家|家里|你们|他们|孩子)",
        r"kill ?myself|want ?to ?die|end ?my ?life|suicidal|don'?t ?want ?to ?live",
    ], hyperbole=_HYP_LIGHT + "|" + _HYP_ANGER),
    # 同归于尽: a plan to die with someone, unless it is anger put as a figure of speech
    _group(Category.SELF_HARM, _IDEATION, [r"同归于尽"], clause_exclude=r"气得|气死|恨不得|哈哈|游戏"),
    # 想不开: suicidal intent in lay words, unless told as an episode that is over.
    _group(Category.SELF_HARM, _IDEATION, [r"想不开(?!的事|心)"],
           message_exclude=r"脱离危险|过去了|以前|年轻时|那时|曾经|之前|抢救过来|出院|好了",
           exclude_override=r"刚才|刚刚|正在|今晚|说要|要(?:吃|跳|割)|把自己(?:关|锁)"),
    # 想死的心都有了 is despair, unless said of paperwork or a queue (理赔材料退回来三次).
    _group(Category.SELF_HARM, _IDEATION, [r"(?<!不)想死的心"],
           message_exclude=r"理赔|报销|直付|预授权|材料|发票|客服|电话|排队|系统|app|小程序|作业|加班|考试|"
                           r"堵车|快递|老板|领导|甲方|装修|搬家|考砸|考差|期末|挂科|排位|上分|游戏",
           exclude_override=r"不想活|活着|撑不下去|解脱|遗书|安眠药|跳|割|结束|拖累"),
    _group(Category.SELF_HARM, _IDEATION, [
        r"(?:站在|爬到|坐在|在)(?:楼顶|天台|桥上|桥边|江边|河边|窗台|窗户边|阳台边|楼边)",
        r"(?:药|安眠药)(?:也|都)?(?:准备|攒)(?:好|够)了",
        r"(?:药|安眠药|药片)(?:都|全|全部|已经)*(?:吃|吞|喝)(?:下去|完|光|掉)了",
    ], requires=r"最后|再见|永别|结束|不想活|解脱|跳|遗|信写好|拖累|撑不下去|不肯下来|不下来|劝不下来|下辈子|别了"),
    _group(Category.SELF_HARM, _IDEATION, [
        r"(?:攒|囤|存)(?:的|了|下|起来的)<G4>药|药<G6>(?:数好|攒好|攒够|囤好)",
    ], requires=r"(?:一起|一次|全部|全都|一口气|都)(?:吃|吞)|今晚|不想活|结束|解脱|再见|最后"),
    _group(Category.SELF_HARM, _IDEATION, [
        r"(?:木炭|炭盆|炭|碳)<G6>(?:买|准备|备|点)好了|(?:门窗|窗户|门缝|窗缝)<G3>(?:封|堵|贴)(?:上|死|好|严)(?:了)?",
    ], requires=r"炭|碳", message_exclude=r"烧烤|火锅|取暖|腊肉|熏肉"),
    # several cuts on a wrist or an arm, made by the writer (not a cat's or a fall's)
    _group(Category.SELF_HARM, _ACT, [
        r"(?:手腕|腕|胳膊|手臂|大腿)(?:上)?(?:又)?(?:划|割)(?:了)?(?:好几|几|很多|好多|[两三四五六七八九十])(?:刀|道|下)",
    ], message_exclude=r"猫|狗|玻璃|不小心|被|摔|切菜|树枝|铁丝|刺"),
    # a farewell with everything made ready (谢谢你们这么久的照顾 我都准备好了)
    _group(Category.SELF_HARM, _IDEATION, [
        r"(?:都|已经|全都|一切都|什么都)(?:准备|安排|交代|处理|收拾)好了",
    ], requires=r"谢谢<G8>(?:照顾|这么久|这些年|一直)|再见|永别|不用(?:再)?(?:给我)?(?:发|联系|找)|下辈子|拖累",
        message_exclude=r"退保|保单|续保|预约|材料|行李|出发|旅行|旅游|手术|住院|检查|考试|婚礼|搬家|待产|出国|面试|体检"),
    _group(Category.SELF_HARM, _ACT, [
        r"(?<!因)(?<!关于)自杀(?!免责|条款|除外|险|责任|属于|算不算|算|赔|能赔|理赔|保不保|保吗|在保险|是否)",
        r"跳楼(?!价|甩卖|大甩卖|机)|跳河|跳桥|跳江|上吊|卧轨|自缢",
        r"割(?:过|了)?(?:手)?腕|割脉|(?:划|割|砍|伤|烫)(?:了|过)?自己|自残|自伤|伤害自己",
        r"(?:服毒|吃药|喝药)自杀",
        r"suicide|self ?harm|cut ?myself",
    ], hyperbole=_HYP_ANGER),
    # ---- burns ------------------------------------------------------------------------
    _group(Category.BURN, _SYMPTOM, [
        r"(?:烧|烫)(?:伤|到|着|了)(?:了)?<G3>(?:一大片|大片|很大一片|好大一片|大面积|一片|全身|整个|整条|"
        r"半边|整只)",
        r"大面积(?:烧|烫)伤|(?:烧|烫)(?:伤|着)(?:得)?(?:很|特别|非常)?(?:严重|厉害)",
        r"(?:手|脚|脸|皮肤|皮|胳膊|腿|身上|头发|后背)<G3>(?:被)?(?:烧|烫|炸)(?:得)?(?:焦|黑|糊)|(?:烧|烫)(?:伤|得|到|了)<G4>(?:皮都掉了|皮掉了|皮都脱了|掉皮|脱皮|发白|发黑|焦了|糊了|皮肉|"
        r"(?:起|长)了?(?:大|好多|很多|一片|一大片|好大的?)(?:水)?泡)",
        r"(?:脸|面部|头发|眉毛|鼻毛)<G6>(?:都)?(?:烧|烫|燎)(?:了|伤|焦|着|到)|爆燃|(?:煤气|燃气|液化气|锅炉|高压锅)<G4>(?:爆炸|炸了)|炸伤|"
        r"着火了|火灾|被火烧|身上着火|衣服着火|失火|起火了|厨房着火",
        r"(?:一大片|大片|好大一片)<G3>(?:都)?(?:起|长)(?:了)?(?:水)?泡",
        # a scald from the neck to the belly, a kettle of boiling water over a child
        r"从(?:脖子|胸口|胸|头|脸|肩膀|胳膊|腿|肚子|后背|背)<G2>到<G4>(?:全|都|全都)(?:被)?(?:烫|烧)(?!了?一遍|了?一下)",
        r"(?:一壶|一锅|一盆|一整壶|整壶|一暖壶|暖瓶|暖壶|热水瓶|一锅热油)(?:的)?(?:开水|热水|热油|热汤|汤|油)?<G6>"
        r"(?:泼|洒|浇|倒|翻)<G8>(?:烫|身上)",
        r"(?:开水|热水|热油|油锅|滚油|沸水|蒸汽|火)<G4>(?:烫|烧|溅|泼)<G12>(?:一大片|大片|大面积|全身|半身|"
        r"脸|眼睛|严重|厉害|皮都|起了?大?泡)",
        r"(?:硫酸|盐酸|强酸|强碱|烧碱|火碱|石灰|化学品|化学药剂|洁厕灵|84)<G6>(?:泼|溅|进|弄|洒|烧|腐蚀)"
        r"(?:到|了|伤)?",
        r"泼(?:了)?硫酸|被泼(?:了)?"
        r"(?:硫酸|开水|汽油)|化学烧伤|电烧伤",
        r"severe ?burn",
    ]),
    _group(Category.BURN, _SYMPTOM, [
        r"眼(?:睛)?(?:里)?<G6>(?:进|溅|喷|泼|弄|迸)<G4>(?:<TOXIN>|碱|酸|石灰|水泥|化学|清洁剂|油漆)|"
        r"(?:<TOXIN>|石灰|水泥|清洁剂)<G6>(?:溅|喷|进|弄|迸)(?:到|进)?(?:了)?眼",
    ], message_exclude=r"冲(?:了|过|洗了|洗过)",
        exclude_override=r"睁不开|看不见|看不清|疼得(?:要命|厉害|受不了)|碱|石灰|硫酸|盐酸|烧碱|发白"),
    _group(Category.BURN, _SYMPTOM, [
        r"(?:声音|嗓子)<G3>(?:哑|嘶)|咳<G6>黑(?:色的)?(?:痰|灰)|黑痰",
    ], requires=r"烧|烫|火|烟|爆燃|爆炸|呛"),
    _group(Category.BURN, _CONDITION, [r"烧伤(?!科|膏|药|中心|门诊)|烫伤(?!膏|药|科|门诊)"],
           # a small burn (a hand, blisters) asked about by an adult is a visit today
           message_exclude=r"涂|抹|擦|药膏|膏药|芦荟|创面|留疤|疤|手指|手背|手心|手掌|手上|脚背|水泡|起泡",
           exclude_override=r"大片|大面积|全身|脸|眼|孩子|宝宝|婴儿|皮都|发白|发黑|焦|化学|电"),
    # ---- choking ----------------------------------------------------------------------
    _group(Category.CHOKING, _SYMPTOM, [
        r"卡(?:在)?(?:喉咙|嗓子|气管|食管|食道)|(?:喉咙|嗓子|气管)(?:里|眼)?(?:被)?(?:东西)?卡(?:住|了|着)",
        r"噎住|噎着|噎到|哽住了",
        r"(?:吞|咽|吃|误吞|含)(?:了|下|进)?<G6>(?:卡住|卡着|卡在|噎住|出不来|咳不出|吐不出)",
        r"(?:硬币|纽扣|果冻|花生|糖果|糖|珠子|玩具|瓶盖|骨头|枣核|坚果|葡萄|肉|汤圆|年糕)<G4>"
        r"(?:卡(?:住|在|着)|呛进)",
        r"吞了?(?:个|一个|一颗|一枚|颗|枚|一根|根)?(?:小)?(?:硬币|纽扣|扣子|珠子|弹珠|玩具|零件|螺丝|瓶盖|钉子|别针|戒指|针|"
        r"刀片|鱼钩|牙签|假牙|图钉)<G6>(?:咳|喘|憋|吐|疼|卡|说不出)|"
        r"吞了?(?:个|一个|一颗|一枚|颗|枚|一根|根)?(?:硬币|纽扣|珠子|玩具|瓶盖|钉子|别针|戒指|针|刀片|鱼钩|牙签|假牙|图钉)",
        r"(?<!令人)(?<!让人)(?<!让我)(?<!令我)(?<!使人)(?<!叫人)窒息(?!感|的操作|操作|性)",
        r"(?:手|双手|两只手)<G2>(?:抓|掐|捂)(?:着|住)?(?:脖子|喉咙)",
        r"(?:花生|豆子|坚果|葡萄|果冻|糖|硬币|玩具|珠子|瓜子)<G8>(?:呛|咳)<G8>(?:憋|脸(?:都)?(?:红|紫|青)|说不出|喘不)",
        r"呛(?:进|到)(?:了)?气管|气管(?:里)?进(?:了)?(?:异物|东西)|异物(?:卡|堵|进)",
        r"呛(?:住|到|着)(?:了)?<G6>(?:脸|喘|呼吸|说不出|咳不出|发紫|憋)",
        r"choking",
    ], hyperbole=r"我(?:都)?(?:快|要|快要)$",
        clause_exclude=r"鱼刺|刺|页面|系统|视频|网|手机|电脑|app|程序|卡顿|卡了|信用卡|银行卡|医保卡",
        # a fish bone in the throat is a same-day visit unless breathing is affected
        message_exclude=r"尬|尴尬|社死|无语|离谱|操作|鱼刺|鱼骨|吃喝(?:都)?正常|能吃能喝|没咳没吐|不咳不吐",
        exclude_override=r"喘(?!气(?:是|都|还|也)?(?:正常|没问题|还行|还好))|呼吸(?!(?:是|都|还|也)?(?:正常|没问题|还行|还好))|"
                         r"发紫|说不出话|憋|脸都"),
    _group(Category.CHOKING, _CONDITION, [r"海姆立克"]),
    # ---- drowning ---------------------------------------------------------------------
    _group(Category.DROWNING, _SYMPTOM, [
        r"落水|被水(?:冲走|淹)|被(?:海浪|浪)(?:冲走|卷走)|淹(?:着|住|到)了|"
        r"掉(?:进|到|下|入)?(?:了)?<G3>(?:水里|河里|湖里|海里|池塘|水塘|水池|泳池|游泳池|水库|井里|粪坑|"
        r"水缸|鱼塘|江里)",
        r"(?:呛水|溺水)<G6>(?:昏|晕|没反应|没呼吸|喘不|叫不醒|意识)",
        r"(?:河里|水里|泳池|游泳池|海里|湖里|池塘|水库)<G4>呛(?:了)?(?:好多|好几口|几口|一口|大口|口)?水",
        r"(?:水|河|湖|海|池|井|水库|泳池)里<G4>(?:救|捞|拉)(?:了)?(?:上来|起来|出来)|捞上来",
        r"drown",
    ], clause_exclude=r"手机|钥匙|东西|眼镜|耳机|钱包|证|卡|包|鞋|帽子|玩具|戒指|手表"),
    _group(Category.DROWNING, _SYMPTOM, [
        r"(?:捞|救|拉|抱)(?:了)?(?:出来|上来|起来)<G10>(?:不哭|不动|没反应|没呼吸|不喘气|发紫|叫不醒)",
    ], requires=r"水|盆|池|河|湖|海|缸|井"),
    _group(Category.DROWNING, _SYMPTOM, [
        r"(?:掉|跳|滑|摔)(?:下去|进去)(?:了)?<G8>(?:没(?:有)?(?:上来|浮上来|出来)|不见了)|沉下去(?:了)?|被(?:水|浪)冲走",
    ], requires=r"河|湖|海|水库|江|池塘|泳池|游泳池|水塘|鱼塘|井"),
    _group(Category.DROWNING, _CONDITION, [r"(?<!防)溺水(?!险)"]),
    # ---- electric shock ---------------------------------------------------------------
    _group(Category.ELECTRIC_SHOCK, _SYMPTOM, [
        r"触电(?!般|一样|的感觉|感)|被电(?:了|到|着|击|伤|晕|一下|打)|电击伤|被(?:雷|闪电)(?:劈|击|打)|"
        r"雷击|漏电<G6>(?:电到|电着|晕|倒)",
        r"(?:电线|插座|电闸|电门|高压线|电箱|电源)<G6>(?:电到|电着|打了一下|打到|击|电了|触电)",
        r"electric ?shock|electrocut",
    ]),
    # ---- pregnancy --------------------------------------------------------------------
    _group(Category.PREGNANCY, _SYMPTOM, [
        r"羊水(?:破|漏)|破水(?:了)?|胎膜早破|脐带脱垂|(?:孩子|宝宝|胎儿|小孩)(?:的)?头(?:都|已经)?(?:露|冒)?出来了|"
        r"生在(?:家里|车上|路上)|要生了<G6>来不及|来不及<G8>(?:生了|要生)",
        r"(?:怀孕|孕|孕妇|孕期|妊娠|怀着|怀了|怀上|有喜|大着?肚子|身孕|孕早期|孕晚期|孕中期|待产|临产|产妇|产后|刚生完|"
        r"生完孩子|月子)<G12>(?:大出血|大量出血|出血|流血|(?:出|流)了?(?:好多|很多|一大摊|大量)血|阴道出血|"
        r"下面出血|下身出血|见红(?:了)?(?:很多|好多|不止|特别多)|剧烈(?:腹痛|肚子疼)|肚子剧痛|"
        r"肚子(?:疼|痛)得(?:厉害|受不了|不行)|(?:肚子|腹部|下腹|小肚子)<G4>(?:剧痛|剧烈(?:的)?(?:疼|痛)|"
        r"硬邦邦<G2>(?:痛|疼))|抽搐|抽风|晕倒|昏迷|胎动(?:消失|没了|停了|减少|少了)|"
        r"头痛得厉害|头痛欲裂|看东西模糊|眼前发黑|(?:下面|阴道|下身|底下)<G4>(?:流|出|漏|冒)(?:了|出)?<G4>水)",
        r"见红(?:了)?(?:很多|好多|不止|特别多)|胎动(?:消失|没了|停了|明显减少)|胎心(?:没了|消失)|"
        r"产后大出血|宫外孕(?:破裂|大出血)",
    ]),
    _group(Category.PREGNANCY, _SYMPTOM, [
        r"头(?:特别|非常|很)?(?:疼|痛)<G8>看东西(?:模糊|模模糊糊|花|不清)|看东西(?:模糊|模模糊糊|发花|不清楚)|"
        r"眼前<G2>(?:冒金星|发黑|闪光|模糊)|眼冒金星|头(?:疼|痛)<G4>眼花|头(?:疼|痛)得(?:厉害|受不了|不行)|"
        r"血压<G6>(?:1[6-9][0-9]|2[0-9][0-9]|一百[六七八九]|两百|二百)",
        r"见红|下面(?:有|在)?(?:出|流)?血|阴道(?:出|流)血|(?:下面|下身)<G4>(?:哗哗|一直)(?:往外)?流",
        r"(?:肚子|腹部|下腹|小肚子|右下腹|左下腹)<G4>(?:剧痛|剧烈|疼得厉害|痛得厉害|硬邦邦|发硬)",
        r"摔(?:了|倒)|跌(?:了|倒)|被<G4>撞|撞到(?:了)?肚子|车祸|"
        r"下面<G4>(?:流水|流液|漏水)|(?:肚子|腹部|下腹|小肚子)<G4>(?:突然)?(?:很|特别|非常)(?:疼|痛)|"
        r"胎动<G6>(?:没感觉|感觉不到|没了|不动了|都没)|湿透<G4>(?:垫子|卫生巾|床单|裤子|护垫)",
        # waters breaking told in lay words (下面流出好多水), in another clause than the pregnancy
        r"(?:下面|阴道|下身|底下)<G4>(?:流|出|漏|冒)(?:了|出)?<G4>水(?!泡)",
    ], requires=r"怀孕|孕|孕妇|[0-9一二三四五六七八九十]+周|生完|产后|待产|月子|坐月子|胎|大着?肚子|有喜|怀上|怀着"),
    _group(Category.PREGNANCY, _CONDITION, [r"宫外孕|子痫|胎盘早剥"]),
    _group(Category.PREGNANCY, _SYMPTOM, [
        r"(?:肚子|小腹|下腹|腹)<G6>(?:撕裂|刀割|剧痛|疼得(?:直不起|受不了)|痛得(?:直不起|受不了))|肛门<G4>(?:坠|憋)",
    ], requires=r"停经|月经推迟|月经没来|例假没来|大姨妈没来|宫外孕"),
    # ---- high fever / heat stroke -----------------------------------------------------
    _group(Category.HIGH_FEVER, _SYMPTOM, [
        r"(?:烧|体温|发热|高热)(?:到|达|有|都|了|是)*(?<![0-9])(?:4[1-2](?:\.[0-9])?(?![0-9])|四十[一二])",
        r"新生儿<G4>(?:发烧|发热|高烧|体温高)|(?<!岁)(?<![0-9十])(?<!了)(?<!了快)(?<!了近)(?<!喂奶)(?<!母乳)(?:[一二两三123]|满|不到[一二两三123])(?:个)?月(?:大)?(?:的)?"
        r"(?:宝宝|孩子|婴儿|小孩|宝|娃)?(?:(?![不没])<G>){0,3}(?:发烧|发热|高烧)",
        r"(?:发烧|高烧|发热|烧到|烧了)<G20>(?:脖子(?:发)?(?:硬|僵)|颈部僵硬|皮肤(?:出现|有|起)?(?:紫|瘀|出血)(?:斑|点)|"
        r"精神(?:特别|很|非常)差|意识不清|不(?:太)?理人|糊涂|迷糊|(?:叫|喊)(?:他|她)?(?:也|都)?不(?:太)?(?:应|理)|"
        r"说胡话|答非所问|反应(?:很|特别)?(?:慢|迟钝)|<SEPSIS>|叫醒(?:了)?(?:又|马上)睡|睡(?:着)?(?:了)?(?:叫)?不醒)",
        r"<SEPSIS><G20>(?:发烧|高烧|发热|烧到)",
        r"中暑<G8>(?:昏|晕|抽|意识|神志|叫不醒|高烧|不出汗)|热射病|晒晕|heat ?stroke",
    ]),
    _group(Category.HIGH_FEVER, _SYMPTOM, [
        r"脖子(?:发)?(?:硬|僵)|颈(?:部)?(?:僵|强直|发硬)|低不下头",
    ], requires=r"烧|发热|体温"),
    # Fever after chemotherapy (neutropenic sepsis), or with shivers and confusion or shock.
    _group(Category.HIGH_FEVER, _SYMPTOM, [
        r"发烧|发热|高烧|烧到|寒战|打摆子",
    ], requires=r"化疗|放化疗|白细胞(?:很|特别)?低|粒细胞(?:缺乏|低)"),
    _group(Category.HIGH_FEVER, _SYMPTOM, [
        r"(?:量|体温|烧|测)<G4>(?:3[5-9](?:\.[0-9])?(?:到|至|-|~|和))?(?:<FEVER38>)|发烧|发热|高烧|摸着(?:很|有点)?烫|发烫",
    ], requires=r"(?<!岁)(?<![0-9十])(?<!了)(?<!了快)(?<!了近)(?<!喂奶)(?<!母乳)(?:[一二两123]|满)(?:个)?(?:多)?月(?:大)?(?!前|以前|之前|了吧)|满月|新生儿|刚出生|"
                r"(?<![0-9])(?:[1-9]|1[0-2]|[一二两三四五六七八九十]|十[一二])(?:个)?(?:周|星期|礼拜)(?:大|的(?:宝宝|孩子|婴儿|娃))|"
                r"(?:才|刚|出生)(?:[1-9]|[1-8][0-9]|90)天|出生<G2>(?:[1-9]|[一二两三四五六七八九十])(?:个)?(?:周|星期|礼拜|天)|(?<![0-9])(?:[1-9]|[1-8][0-9]|90)天(?:大|的(?:宝宝|孩子|婴儿|娃))"),
    _group(Category.HIGH_FEVER, _SYMPTOM, [
        r"(?:按|压)(?:了|着|一下)?(?:都|也)?不(?:褪色|退色|变白)|紫(?:红)?色?的?(?:点子|点点|斑)|瘀(?:点|斑)",
    ], requires=r"烧|发热|体温"),
    # ---- bleeding ---------------------------------------------------------------------
    _group(Category.BLEEDING, _SYMPTOM, [
        r"(?:吐|呕|咳|咯)(?:了|过|出)?(?:来)?(?:好多|很多|一大口|一口|大口|几口|一大摊|一滩|满嘴|大量|鲜|"
        r"一地|满地|一盆|一碗|半碗|一大碗|一摊|一杯|半杯)?"
        r"(?:的)?血(?!压|糖|脂|常规|型|管|检|液检|小板|清|红蛋白|象|整理|推荐|总结|分享|价|甩卖|降价|清仓|安利|"
        r"丝|迹|点)",
        r"(?:大口|一直)(?:吐|咳)血|吐(?:出来)?的(?:全|都)是血|吐<G6>(?:全|都|也)是血",
        r"痰(?:里|中)?(?:全|都)是<G4>血|满口(?:是)?血|咳出(?:来)?(?:一口|好多|很多|大口)?血(?!丝|迹|点)",
        r"吐<G8>(?:咖啡渣|咖啡色|黑色的东西|黑水)",
        r"(?:拉|便|大便|解)(?:了)?(?:好多|很多|大量|一大滩|一马桶|全是|都是)(?:的)?血|"
        r"便血(?:很多|好多|不止|严重|量(?:很|特别)?大)|大便(?:里|上)?(?:全|都)是血|马桶(?:里)?(?:全|都)是血",
        r"黑便|拉(?:了)?黑(?:便|色(?:的)?(?:大便|便|屎))|拉<G4>黑(?:色|乎乎)?的?(?:大便|便便|屎)|柏油(?:样)?(?:便|大便|色)|"
        r"(?:大便|便便|拉的|屎|粪便)(?:是|发|变|呈|都是|全是)?(?:黑色|黑乎乎|黑)(?:的)?",
        r"血止不住|止不住(?:地)?(?:流|出)?血|(?:流|出)血(?:不止|止不住|一直不停|停不下来)|血流不止|"
        r"血<G4>(?:像水龙头|往外涌|涌出来|喷出来)|血往外(?:冒|流|喷|涌)|(?:流|出)血(?:流|出)了(?:一地|好多|很多|一大滩|满地)|"
        r"伤口<G4>(?:一直|不停|还在)(?:出|流)血|(?:大便|便便|拉的)(?:里)?(?:带|有)(?:很多|好多|大量)(?:的)?血|"
        r"血(?:哗哗|一直|不停|直)(?:地|的)?(?:流|往外(?:冒|流|喷)|冒)|血流如注|喷血|血(?:往外)?喷|"
        r"血(?:一股一股|一股股|一阵一阵)(?:地|的)?(?:往外)?(?:喷|涌|冒|流)|"
        r"(?:吐|呕|咳)(?:了|出)(?:一|半|好几|两|几)?(?:脸盆|盆|碗|大碗|大口|杯|滩|摊|大摊|大滩)(?:的)?(?:鲜)?血",
        r"(?:出血|流血)(?:很多|好多|不止|特别多)<G8>(?:头晕|晕|心慌|眼前发黑|站不住)|"
        r"(?:流|出)了(?:好多|很多|一地|一大滩|一大摊|满地|大量|好大一摊|一摊|不少|一大片|一盆)(?:的)?血",
        r"(?:毛巾|纱布|衣服|床单|被子|卫生巾|手纸|纸巾)<G6>(?:湿透|浸透|染红|红透)|血崩|"
        r"(?:湿透|浸透)(?:了)?<G4>(?:卫生巾|毛巾|纱布|床单|衣服|裤子)|"
        r"大量出血|失血过多|失血性休克|动脉(?:出血|破了|喷血)|"
        r"(?:满身|满脸|满地|满手|全身|浑身|一身|手腕上|衣服上|裤子)(?:都|全)?是血|(?:被血|血)(?:浸透|湿透|染红)",
        # (a long nosebleed alone is triage level III, a visit today; that it will not stop fires)
        r"(?:鼻(?:子)?(?:血|出血|流血)|流鼻血)<G16>(?:止不住|不止|一直流|流不停|停不下来)",
        r"血<G3>(?:流|淌|冒)<G2>(?:不停|勿停|唔停|个不停|止不住)|一直(?:拉|便|尿)血|(?:拉|便)血<G6>(?:越来越多|一次比一次多|不停)",
        r"vomiting ?blood|cough(?:ing)? ?(?:up ?)?blood|bleeding ?(?:heavily|a ?lot|won'?t ?stop)|"
        r"heavy ?bleeding|black ?stool",
    ], hyperbole=_HYP_BLOOD),
    _group(Category.BLEEDING, _CONDITION, [r"内出血|(?:上)?消化道出血|胃出血"]),
    # Bleeding with signs of blood loss: dizzy on standing, a racing heart, cold sweat, pallor.
    _group(Category.BLEEDING, _SYMPTOM, [
        r"(?:一站起来|站起来|一站|起身|一起来)<G4>(?:就)?(?:晕|眼前发黑|眼前一黑|眼花|发黑|站不住)|"
        r"晕得<G2>(?:站不起来|站不住|起不来)|站不住|头晕<G2>眼(?:前)?(?:发黑|一黑|发花)|"
        r"(?:心慌|心跳(?:得)?(?:很|好|特别)?快|(?:冷汗|虚汗)|脸(?:色)?<G2>(?:白|苍白|煞白|发白))",
    ], requires=r"拉血|便血|黑便|柏油|吐血|呕血|咳血|出血|流血|(?:大便|拉的|屎)<G4>黑|黑<G3>(?:大便|便便|屎)|"
                r"月经<G6>(?:多|大)"),
    # Bleeding that does not stop on a blood thinner.
    _group(Category.BLEEDING, _SYMPTOM, [
        r"(?:血|流|淌|出血)<G12>(?:止不住|不止|停不下来|一直(?:流|淌|出)|到现在)",
    ], requires=r"<ANTICOAG>"),
    # 这回大出血了 花了八千: spending a lot, unless blood is said to flow.
    _group(Category.BLEEDING, _SYMPTOM, [r"大出血"], hyperbole=_HYP_BLOOD,
           message_exclude=r"花了|花费|块钱|[0-9]+块|[0-9]+元|千块|万块|多少钱|钱包|破费|账单|理赔|报销|直付|费用",
           exclude_override=r"流血|出血不止|止不住|晕|脸色|输血|血压|生完|产后|孕|伤口|吐血|便血"),
    # Cold sweat with a grey or pale face: shock or a heart attack, whatever else is said
    # (老太太有糖尿病，说胃里不舒服恶心，一身冷汗，脸色发灰).
    _group(Category.GENERAL, _SYMPTOM, [
        r"(?:一身|满头|浑身|全身|满身|直)(?:的)?(?:冷汗|虚汗)|冒冷汗|出冷汗|大汗淋漓",
    ], requires=r"(?:脸色|面色|脸)(?:都)?(?:发灰|灰白|苍白|煞白|惨白|发白|蜡黄|很差|难看)|嘴唇(?:都)?(?:发白|发紫)"),
    # ---- textbook diagnoses of triage levels I-II: named, they follow the condition rules
    _group(Category.BREATHING, _CONDITION, [
        r"心衰发作|急性心衰|急性左心衰|肺栓塞|(?:自发性)?气胸|哮喘持续状态",   # (not 心衰加重: a chronic course)
    ]),
    _group(Category.UNCONSCIOUS, _CONDITION, [r"意识障碍"]),
    _group(Category.INJURY, _CONDITION, [r"开放性骨折|多发伤"]),
    _group(Category.DROWNING, _CONDITION, [r"淹溺"]),
    _group(Category.HIGH_FEVER, _CONDITION, [r"(?:流行性|化脓性)?脑膜炎"]),
    _group(Category.GENERAL, _CONDITION, [
        r"(?:糖尿病)?酮症酸中毒|糖尿病酮症|(?:消化道|胃|肠|阑尾)穿孔|肠梗阻|急性胰腺炎|严重脱水|重度脱水",
    ]),
    # ---- pinyin (typed without a Chinese keyboard) ---------------------------------------
    _group(Category.CHEST_PAIN, _SYMPTOM, [r"xiong ?(?:kou|bu)? ?(?:teng|tong)|xin ?kou ?(?:teng|tong)"]),
    _group(Category.BREATHING, _SYMPTOM, [r"chuan ?bu ?(?:shang|guo) ?(?:lai ?)?qi|hu ?xi ?kun ?nan"]),
    _group(Category.UNCONSCIOUS, _SYMPTOM, [r"(?:yun|hun) ?(?:dao|guo ?qu)|jiao ?bu ?xing|hun ?mi"]),
    _group(Category.STROKE, _SYMPTOM, [r"zui ?(?:wai|xie)|shuo ?hua ?bu ?qing"]),
    # Cantonese: cannot speak, half the face drooping, an arm that will not lift
    _group(Category.STROKE, _SYMPTOM, [
        r"讲(?:唔|吾)(?:到|出)(?:嘢|话)|讲嘢(?:唔清|含糊|黐脷)|半边(?:面|脸|嘴)<G3>(?:垂|歪|落|唔郁)|"
        r"(?:手|脚|手臂)(?:举|抬|郁)唔(?:起|到|动)"]),
    _group(Category.SEIZURE, _SYMPTOM, [r"chou ?chu|chou ?feng"]),
    # ---- general ----------------------------------------------------------------------
    _group(Category.GENERAL, _SYMPTOM, [
        r"(?<!能)(?<!可以)(?<!用来)救命(?!钱|稻草|药|恩|之恩|的钱)|救救(?:我|他|她|孩子|我们|我爸|我妈|命)(?!们的)|救我(?!们的)|求救|快来人|"
        r"(?<![a-z])sos(?![a-z]|救援|服务|卡|国际|援助|紧急救援)",
        r"快(?:要)?不行了|<P>(?:快)?不行了|(?:快|快要)死了|<P>快没了",
        r"生命危险|危在旦夕|奄奄一息|生命垂危",
        r"出(?:大)?事了",
        r"(?<!牙)(?:疼|痛)得<G4>(?:满头大汗|一身汗|直冒冷汗|冒冷汗|大汗淋漓|满头是汗)|"
        r"(?:剧烈)?(?:腹痛|肚子疼|肚子痛)<G6>(?:冒|出)(?:冷汗|虚汗|大汗)|"
        r"(?:蛋蛋|睾丸|阴囊)<G6>(?:剧痛|剧疼|疼得厉害|痛得厉害|突然疼|突然痛)|(?:突然|半夜|一下子)<G4>(?:蛋蛋|睾丸|阴囊)<G4>(?:疼|痛)|"
        r"(?:蛋蛋|睾丸|阴囊)<G8>(?:疼|痛)<G10>(?:吐|肿)|(?:蛋蛋|睾丸|阴囊)<G6>(?:发紫|紫了)|"
        r"血糖<G6>(?:hi|测不出|爆表|测不到|超出|高得测不出|(?:3[3-9]|[4-9][0-9])(?![0-9.]))|血压(?:突然)?(?:掉|降|低)到<G2>(?:[4-8][0-9])(?![0-9])|烂苹果味",
        r"血压(?:都)?(?:测|量)不(?:到|出来|出)|摸不(?:到|着)(?:脉|脉搏)|"
        # a cold, white limb with no pulse (acute limb ischaemia)
        r"(?:脚背|脚面|足背|手腕|脚踝|腿|脚|胳膊)<G6>摸不(?:到|着)<G2>(?:跳|脉|脉搏|搏动)",
        r"囟门<G4>(?:鼓|凸|隆起|胀)|黄疸<G12>(?:不吃奶|拒奶|一直睡|嗜睡|叫不醒|尖叫|抽)|"
        r"眼(?:窝|睛|眶)(?:都)?(?:陷|凹|塌)(?:下去|进去)|(?:半天|一天|一上午|一下午|一晚上|十几个小时|一整天)(?:都)?没(?:有)?(?:尿|小便|尿尿)",
        r"(?:肚子|上腹|胃|腰|后背|背)<G4>(?:突然)?(?:剧痛|疼得厉害|痛得厉害)<G10>(?:后背|背|冷汗|煞白|发白|惨白|晕|血压(?:低|掉))|"
        # intussusception; a hard belly with a fever (peritonitis)
        r"果酱(?:一样|样|色|似的)?(?:的)?(?:红|红色|暗红)?(?:的)?(?:大便|便便|便|屎)|肚子(?:很|特别|都)?(?:硬|发硬)<G8>(?:发烧|高烧)|(?:发烧|高烧)<G10>肚子(?:很|特别|都)?(?:硬|发硬)|"
        # an incarcerated hernia; a twisted ovarian cyst
        r"疝(?:气)?<G8>(?:推不回去|回不去|塞不回去|变硬|发紫|疼得厉害)|(?:肚子上|大腿根|腹股沟)<G6>(?:包|鼓)<G8>(?:推不回去|回不去|塞不回去)|"
        r"(?:卵巢|囊肿)<G10>(?:突然)<G4>(?:剧痛|疼|痛)|"
        r"肚子(?:硬得像|硬得跟|像)(?:木板|板子|石头)|板状腹",
        r"(?:胰岛素|降糖药)<G12>没吃(?:饭|东西)<G12>(?:出汗|大汗|冷汗|虚汗|说胡话|糊涂|迷糊|发抖|手抖|叫不醒|晕)|"
        r"(?:胰岛素|降糖药)<G20>(?:说胡话|糊涂|迷糊|叫不醒|颠三倒四|答非所问|不(?:怎么|太)?理人|抽)",
        r"疼得(?:在地上|满地|直)?打滚|(?:疼|痛)得(?:直不起腰|晕过去|昏过去)",
        r"emergency",
    ], hyperbole=_HYP_DYING,
        clause_exclude=r"哈哈|笑死|好笑|搞笑|可爱|好看|绝了|离谱|好吃|" + _APP_WORDS,
        message_exclude=r"验证码|发票|理赔|报销|小程序|登录|密码|积分|快递|外卖|网页|页面|app",
        exclude_override=r"人|晕|倒|血|喘|呼吸|孩子|宝宝|爸|妈|老公|老婆"),
    _group(Category.GENERAL, _SYMPTOM, [
        r"(?:一直|都|现在|半天)?(?:不尿|没尿)(?:了)?|尿(?:很|特别)?少|(?:没|不)(?:有)?(?:眼)?泪|精神(?:很|特别|非常)差|蔫",
    ], requires=r"^(?=.*(?:宝宝|孩子|婴儿|娃|小孩|[0-9一二两三]岁|个月))(?=.*(?:拉|泻|吐))"),
    # A hypertensive emergency: from 200, or from 180 with a headache, vomiting, blurred
    # sight, chest pain or breathlessness (from 170 alone it is a visit today).
    _group(Category.GENERAL, _SYMPTOM, [
        r"(?:高压|血压)<G6>(?:2[0-9][0-9]|两百|二百)(?![0-9])",
        r"(?:高压|血压)<G6>(?:1[89][0-9]|一百[八九])<G16>(?:头(?:痛|疼)得|头(?:痛|疼)<G3>(?:厉害|受不了)|吐|看不清|"
        r"看东西模糊|胸(?:口)?(?:痛|疼|闷)|<BREATH>|说话不清|手脚麻)",
    ], message_exclude=r"平时|一直|以前|之前|去年|最高|吃了药(?:降|下来)|降下来了|降到"),
    # Acute limb ischaemia, sudden paralysis of both legs, and hypothermia.
    _group(Category.GENERAL, _SYMPTOM, [
        r"(?:腿|脚|胳膊|手)<G4>(?:突然)?(?:冰凉|发白|发紫|惨白)<G10>(?:剧痛|疼得厉害|痛得厉害|麻|动不了|没知觉)",
        r"(?:两条腿|双腿|两腿|两只脚|下半身)<G4>(?:突然|一下子)(?:都)?(?:没力气|没劲|动不了|不能动|没知觉|瘫)",
        r"体温<G4>(?:3[0-4](?:\.[0-9])?|三十[一二三四])(?:度)?(?![0-9])",
    ], requires=r"突然|一下子|冻|冰凉|冷|雪|户外|外面|一夜|水里|落水|新生儿|宝宝|婴儿"),
    _group(Category.GENERAL, _SYMPTOM, [
        r"吐<G6>(?:绿色|绿水|黄绿|胆汁|墨绿)|发黄<G12>(?:不吃奶|拒奶|一直睡|嗜睡|叫不醒|尖叫|抽)",
        r"呼吸(?:暂停|停顿|停了一下|停了几秒)",
    ], requires=r"宝宝|宝贝|婴儿|新生儿|个月|娃|小孩|孙子|孙女|外孙|囡囡|崽", message_exclude=r"打呼|打鼾|呼噜|睡眠呼吸"),
    _group(Category.GENERAL, _SYMPTOM, [
        r"(?:不放屁|不排气)<G10>(?:吐|呕)|(?:吐|呕)<G10>(?:不放屁|不排气)|"
        r"(?:好几天|几天|两天|三天|多天)(?:都)?没(?:有)?(?:大便|拉屎|排便|放屁)<G10>(?:一直吐|吐个不停|呕吐|吐了好几)",
        r"(?:腹痛|肚子疼|肚子痛|腹部疼痛)<G2>难忍",
    ]),
    # Readings from home devices: oxygen saturation below 90, a heart rate below 40 or a
    # systolic pressure below 90 with symptoms; cold clammy limbs (shock).
    _group(Category.BREATHING, _SYMPTOM, [
        r"(?:血氧|氧饱和度|血氧饱和度|spo2|sp ?o2)<G6>(?:[5-8][0-9]|[六七八]十[一二三四五六七八九]?)(?![0-9])",
    ], message_exclude=r"平时|一直|以前|之前|去年|测错|没夹好|指甲油", exclude_override=r"喘|憋|紫|晕|迷糊"),
    # A breathing rate from 40 a minute (an infant's normal rate runs higher)
    _group(Category.BREATHING, _SYMPTOM, [r"呼吸<G6>(?<![0-9])(?:[4-9][0-9])(?:多)?(?:次|下)"],
           message_exclude=r"宝宝|婴儿|新生儿|个月", exclude_override=r"紫|憋|凹|[6-9][0-9]次"),
    _group(Category.GENERAL, _SYMPTOM, [
        r"(?:心率|心跳|脉搏)<G6>(?:只有|才|掉到|降到|低到)(?:[1-3][0-9]|[二三]十[一二三四五六七八九几]?)(?![0-9])",
        r"(?:高压|收缩压|血压)<G4>(?:只有|才|掉到|降到|低到)(?:[4-8][0-9]|[四五六七八]十[一二三四五六七八九几]?)(?![0-9])|"
        r"(?:血压|bp)<G4>(?<![0-9])(?:[4-8][0-9]) ?/ ?[0-9]{2}(?![0-9])",
    ], requires=r"(?<![不没])(?:晕|冷汗|虚汗|心慌|乏力|没劲|叫不醒|迷糊|脸色|眼前发黑|站不住|胸)"),
    # (湿冷 alone is the weather of a southern winter)
    _group(Category.GENERAL, _SYMPTOM, [r"(?:四肢|皮肤|手脚|全身|浑身|身上)<G2>湿冷"]),
    # Projectile vomiting with a headache or after a knock: raised pressure in the skull
    # (after a meal or with diarrhoea it is a stomach upset).
    _group(Category.GENERAL, _SYMPTOM, [r"喷射(?:状|性)?(?:地)?(?:呕吐|吐)"],
           requires=r"头(?:痛|疼)|摔|撞|磕|脖子"),
    # A feverish child who is listless, drowsy or shrill (an adult's 精神差 or 昏睡 with flu is
    # ordinary malaise, left to the classifier)
    _group(Category.HIGH_FEVER, _SYMPTOM, [
        r"(?:发烧|高烧|发热|烧到|烧了)<G20>(?:精神差|精神萎靡|萎靡|蔫(?:了|蔫)|昏睡|嗜睡|尖叫)",
    ], requires=r"宝宝|宝贝|婴儿|孩子|娃|小孩|小朋友|新生儿|儿子|女儿|闺女|孙子|孙女|外孙|囡囡|崽|个月|[0-9一二两三四五六七八九十]岁"),
    # A child shut in a car in the heat
    _group(Category.HIGH_FEVER, _SYMPTOM, [r"(?:锁|困|关)在(?:了)?车(?:里|内)"],
           requires=r"孩子|宝宝|小孩|娃|老人|热|晒|闷"),
    # Peritonism: a belly that cannot be touched, beside severe or sudden pain
    _group(Category.GENERAL, _SYMPTOM, [r"一碰就疼|碰都不能碰|不敢碰|不敢动|松手更疼|松开更疼"],
           requires=r"(?:肚子|腹)<G6>(?:剧痛|疼得厉害|痛得厉害|突然)"),
    # The eye: sight lost after a blow; a sudden painful red eye with haloes and vomiting (glaucoma)
    _group(Category.INJURY, _SYMPTOM, [
        r"眼<G6>(?:打|撞|砸|戳|扎|踢)<G10>(?:看不见|看不清|失明|流血)",
        r"眼(?:睛)?<G4>(?:剧痛|疼得厉害)<G12>(?:彩虹|虹视|头疼|头痛|呕吐|吐|看不清)",
    ]),
    # Bleeding or fluid from an ear after a fall or a blow: the skull base
    _group(Category.INJURY, _SYMPTOM, [r"耳朵<G4>(?:流血|出血|流水)"], requires=r"摔|撞|磕|跌|打|车祸"),
    # A blood sugar below 3 with symptoms that sugar did not settle, or any abdominal blow gone worse
    _group(Category.GENERAL, _SYMPTOM, [
        r"血糖<G4>(?:[0-2](?:\.[0-9])?|一点[0-9一二三四五六七八九]?|[二两]点[0-9一二三四五六七八九]?)(?![0-9.])",
    ], requires=r"手抖|出汗|冷汗|虚汗|心慌|晕|迷糊|糊涂|没好|不见好|抽|叫不醒"),
    _group(Category.INJURY, _SYMPTOM, [
        r"(?:撞|踢|砸|压|摔|顶)<G4>(?:肚子|腹部|腰|肋)<G16>(?:越来越(?:疼|痛)|疼得厉害|痛得厉害|脸(?:色)?<G2>(?:白|灰)|"
        r"冷汗|晕|尿血|吐血)",
    ]),
    _group(Category.GENERAL, _SYMPTOM, [
        r"(?:硬得|硬的|硬邦邦|发硬)<G2>(?:像|跟|和|如)(?:一块)?(?:木板|板子|石头|铁板|板)",
    ], requires=r"肚子|腹"),
    _group(Category.GENERAL, _CONDITION, [
        r"(?:打|叫|拨|拨打|call)(?:了)?(?:个)?120|120(?:急救|救护车|来了|到了|还没来|还没到)|救护车|"
        r"急救(?!箱|包|知识|培训|课程|证|药|常识|措施)|病危|ambulance",
    ]),
)

# Most specific first; the first category that fired names the emergency.
_PRIORITY: Tuple[Category, ...] = (
    Category.ANAPHYLAXIS, Category.CHOKING, Category.DROWNING, Category.ELECTRIC_SHOCK,
    Category.POISONING, Category.CARDIAC_ARREST, Category.STROKE, Category.CHEST_PAIN,
    Category.PREGNANCY, Category.SEIZURE, Category.BURN, Category.INJURY, Category.BLEEDING,
    Category.UNCONSCIOUS, Category.BREATHING, Category.HIGH_FEVER, Category.GENERAL,
    Category.SELF_HARM,
)

# ---------------------------------------------------------------------------------------
# Context rules
# ---------------------------------------------------------------------------------------

_WINDOW = 40
_CLAUSE_PUNCT = re.compile(r"[,.!?;。\n:~…]")

_NEWS = re.compile(r"看(?:了)?" + _G + r"{0,3}视频|新闻|报道|电视里|电视上演|演的|节目里|朋友圈|刷到|短视频|群里|课上|课堂|课本|生物课|上课|老师讲|教科书|报导|电视上|电视剧|电影|小说|据说|网上|微博|抖音|视频里|文章|书上|剧里|"
                   r"剧中|热搜|科普|听新闻|听说|听人说|听别人说")
# A dream: whoever is in it (梦见我爸中风了), unless something happens now.
_DREAM = re.compile(r"梦见|梦到|做梦|做了个梦|噩梦")
# An animal as the patient (我家狗被蜜蜂蛰了): no person stands between it and the symptom.
_PET = re.compile(r"狗|猫|宠物|鹦鹉|兔子|仓鼠")
_PET_CONTEXT = re.compile(r"宠物医院|兽医|宠物")

_NEG = re.compile(
    r"(?:没有|没|无|不是|不|未|否认|并无|并没有|并未|从没有?|从来没有?|从未|并非|排除(?:了)?|没什么|没啥|"
    r"(?<![a-z])(?:no|not|without|never|denies|deny|don'?t ?have))"
    r"(?:有|再|太|明显|什么|感到|觉得|感觉|出现|发生|任何|过|怎么|特别|很|那么|发现|伴有?|伴随|犯|会|是|啥|"
    r"(?:胸闷|头晕|头痛|头疼|咳嗽|发烧|发热|恶心|呕吐|心慌|心悸|气短|气促|乏力|腹痛|腹泻|出汗|冷汗|发冷)"
    r"(?:、|和|或|及|/)?|"
    r" |any ?|a ?){0,4}$"
)
_NEG_ACT = re.compile(r"(?:没有|没|无|不是|并无|并没有|否认|从没有?|从来没有?|从未|不会)"
                      r"(?:有|任何|什么|过|想过|想要|想|打算|打算过|想过要|(?:说|提|流露|表现出?)(?:过|出)?(?:想|要)?)?$")
_NEG_IDEATION = re.compile(r"(?:没有|没|并没有|从没有?|从来没有?|从未|不曾)"
                           r"(?:有过|过|(?:说|提|讲|流露|表现出?|透露)(?:过|出)?)?(?:要|想要?)?$")
_POST_NEG = re.compile(r"^(?:倒是?|到是|也|是|还|都|倒也)?(?:没有|没|不)(?:$|的|啊|呢|哦|就|只|但|而|哈|呀)")
_LIST_JOIN = re.compile(r"^(?:、|和|或|或者|及|以及|跟|与|/|也没有?|也不)?$")

_PRESENT = re.compile(
    r"现在|今天|今早|今晚|今儿|刚才|刚刚|刚|正在|突然|忽然|突发|又|一直|还在|此刻|这会儿?|马上|目前|"
    r"昨晚|昨天|早上|晚上|半夜|凌晨|中午|下午|<NUM>(?:分钟|个?小时|个?钟头)|right ?now|just ?now|suddenly"
    .replace("<NUM>", _MACROS["NUM"])
)
_STRONG_PRESENT = re.compile(r"现在|正在|刚才|刚刚|已经|此刻|这会|今天")
_SUDDEN = re.compile(r"突然|忽然|一下子")
_ACUTE_NEAR = re.compile(
    r"(?:现在|刚才|刚刚|刚|正在|突然|忽然|突发|又|此刻|这会|今天|今早|今晚|昨晚|马上)[^想要约做查问办买复预]{0,3}$"
)
_ACUTE_AFTER = re.compile(r"^(?:又)?(?:了|发作|犯了|突发|急性发作|又犯)")
# Habit, not an event: 每次抽血都会晕, 一紧张就胸闷, 偶尔心口疼一下.
_HABITUAL = re.compile(r"每次|每回|每当|[总老](?:说|喊|会|觉得|感觉)|一(?:紧张|激动|生气|站起来|蹲|看到|见到|闻到|到|累|熬夜|喝酒|吃|运动|跑|爬)"
                       r"[^,.!?;。\n:]{0,6}就|经常|总是|老是|动不动|时不时|偶尔|有时(?:候)?|隔三差五|常常|时常|"
                       r"平时|一阵一阵|反反复复|反复")
_DOING = re.compile(r"在做|正在|在给|给(?:他|她|孩子|老人)做|做着|在按")
_WHEN_IT_HAPPENS = re.compile(r"^(?:又)?(?:发作|犯病|犯|突发)?(?:了)?(?:的时候|时)")
_ACUTE_IN_MATCH = re.compile(r"发作|犯了|又犯|突发|破裂")

_RECURRENCE = re.compile(
    r"(?<!没)(?<!没有)(?<!不)(?<!未)(?:又|再次|再一次|再度)(?:犯|发作|复发|发病|中风|心梗|梗|晕|昏|抽|吐|"
    r"出现|来了|开始|割|划|自杀|自残|跳|(?:吃|喝|吞)(?:了)?(?:一|半|两|几|好几)(?:瓶|盒|板|把))|复发了|犯病了|发病了"
)

_PAST_PREFIX = re.compile(
    r"去年|前年|前(?:几|两|些|一)年|前阵子|那阵子|那会儿?|上上个?月|上个?月|上个?(?:周|星期|礼拜)|上(?:一)?次|上回|那次|"
    r"(?:几|[0-9]+|[一二两三四五六七八九十半]+)(?:个)?(?:多)?(?:年|月)(?:多)?(?:前|以前|之前)|"
    r"(?<![0-9一二两三四五六七八九十几半钟时头儿天周会久刚])(?:之前|以前)|从前|曾经|曾|过去|早年|"
    r"小时候|年轻(?:的)?时(?:候)?|那年|当年|那时候?|病史|既往|有过(?!敏)|得过(?!且)|患过|犯过|"
    r"发过(?!来|去)|陈旧性?|以往|往年|多年前|早些年|history ?of|previously|last ?(?:year|month)|"
    r"(?:19|20)[0-9]{2}年(?![0-9一二三四五六七八九十]{1,2}月)"
)
_STROKE_AFTER = re.compile(r"(?:中风|脑梗|卒中|脑出血|脑溢血|脑血栓)(?:之)?后")
_DURATION = r"(?:<NUM>|好几|很多|许多)(?:多)?(?:个)?(?:多)?(?:年|月)".replace("<NUM>", _MACROS["NUM"])
_THAT_TIME = r"|(?:的)?那(?:次|回|年|会儿?|阵子|时候?)|(?:的)?(?:老)?毛病"
_PAST_SUFFIX_SYMPTOM = re.compile(
    r"^(?:了)?(?:过(?!多|度|量|去|来|敏|程|劳|后|夜|分|头|半)|的?病史|史|" + _DURATION + _THAT_TIME + ")"
)
_PAST_SUFFIX_CONDITION = re.compile(
    r"^(?:了)?(?:过(?!多|度|量|去|来|敏|程|劳|夜|分|头|半)|的?病史|史|后遗症|"
    r"(?:(?:做|放|装)?(?:了)?(?:支架|搭桥|手术|溶栓|取栓|介入|治疗|抢救))?(?:之)?后(?!背|脑|面|来|天|果)|"
    r"以后|康复|恢复期?|已经好了|治好了|(?:都|已经|有)?" + _DURATION + _THAT_TIME + ")"
)
_PAST_ASPECT_IN_MATCH = re.compile(r"[吐咳拉晕抽犯发患得呕咯便倒]过(?!去|来|多|度)")

_HYPOTHETICAL = re.compile(
    r"如果|万一|假如|假设|(?<![主需只重还])要是|一旦|倘若|若是|以防|防止|预防|避免|会不会得|容易得|(?:怎么|如何|怎样)防(?!不住)|"
    # fear and the future: 怕她中风, 担心以后脑梗, 会不会哪天突然..., 以后会心衰吗
    r"(?<!不)(?:害)?怕(?:她|他|我|孩子|老人|家里人)?(?:会|得|有)?|担心(?:会|得|以后)?|"
    r"会不会(?:哪天|以后|将来|有一天|睡着|突然|也|遗传)|以后会|将来会|哪天会|老了会"
)

_ADMIN = re.compile(
    r"预授权|授权|直付|垫付|报销|理赔|赔付|赔偿|能赔|赔吗|赔不赔|保险|保额|保障|保单|投保|核保|续保|免赔|免责|"
    r"条款|险种|重疾|意外险|费用|多少钱|收费|要钱|自费|医保|发票|康复|复查|复诊|随访|筛查|体检|检查|检测|"
    r"评估|风险|预防|疫苗|挂号|预约|约个|约一下|想约|专家|门诊|哪家医院|哪个医院|什么医院|医院推荐|"
    r"绿色通道|绿通|住院|出院|手术|支架|搭桥|后遗症|恢复|病史|既往|吃什么|用药|开药|药物|买药|什么药|"
    r"原因|怎么回事|症状|表现|前兆|征兆|是什么|什么是|什么病|遗传|能治|怎么治|治疗|科普|了解|区别|患者|"
    r"容易|哪些人|什么人|报告|结果|ct|核磁|mri|片子|显示|培训|课程|学习|考证|证书|机构|中心|科室|"
    r"哪个科|什么科|专科|特需|陪诊|护工|会诊|转诊|权益|额度|等待期|材料|资料|证明|病历|诊断书|怎么做|"
    r"怎么用|注意什么|注意事项|饮食|保健|偏方|家属|能报|报吗|的药|药能|药费|引起|导致|诱发|会不会|可能性|概率|几率|如何|怎样|报名|怎么学|学|"
    r"网络|什么情况|区分|分辨|鉴别|多少|减药|停药|换药|加药|药量|剂量|急救|怎么救|判断|口诀|溶栓|取栓|时间窗|"
    r"黄金|几分钟|抢救时间"
)
_INSURANCE = re.compile(
    r"预授权|直付|垫付|理赔|报销|赔付|保险|保单|免赔|核保|投保|能赔|赔吗|赔不赔|保障范围|在保障|等待期|额度|"
    r"费用|多少钱|要钱|收费|能报|报吗|重疾|属于|算不算"
)
_KNOWLEDGE = re.compile(
    r"是什么原因|什么原因|啥原因|原因是|怎么回事|怎么引起|引起的|导致的|的原因|是什么病|什么病|的症状|"
    r"什么症状|的表现|有哪些|是什么|正常吗|正常么|严重吗|要紧吗|怎么预防|如何预防|为什么会|为啥会|"
    r"什么情况下|科普|了解一下|区别|能治好|怎么治|吃什么药|会怎样|会怎么样|有什么后果|有什么危害|怎么急救|"
    r"如何急救|急救方法|怎么救|的时候(?:应该|该|要|能|可以|怎么)|怎么防止|如何防止|怎么避免|想学|学一下|多了解|"
    r"一般(?:去|挂|看)|到多少|多少会|怎么判断|如何判断|口诀|能(?:活|救)(?:下来|过来)?吗|存活率|死亡率|能活多久|"
    # what a word means, or how two conditions differ: 什么叫子痫前期, 脑梗跟脑出血有啥不一样
    r"什么叫|啥叫|什么意思|一回事|一个东西|(?:有|是)(?:啥|什么)不(?:一样|同)|不一样吗|一样吗|怎么区别|为(?:啥|什么)要"
)
_PERSON = re.compile(
    r"我|俺|咱|他|她|孩子|宝宝|宝|娃|儿子|女儿|闺女|爸|妈|爷|奶|姥|外公|外婆|公公|婆婆|老公|老婆|媳妇|"
    r"丈夫|妻子|先生|太太|爱人|对象|朋友|哥|姐|弟|妹|叔|姨|舅|伯|同事|邻居|老人|家人|病人|\bi\b|\bmy\b"
)
# Words for a time gone by (去年, 上次, 小时候).
_AGO = r"去年|前年|上个?月|以前|之前|几年前|上次|那次|小时候"
# "...的事(了)" after a candidate: the whole event is in the past (骨折了能报销吗 去年的事了).
_PAST_EVENT = re.compile(r"(?:" + _AGO + r"|很久以前|好几年前|过去)的事")
# ...or said outright to be long over, whatever else is happening now (溺水的事过去好几年了 现在还怕水).
_LONG_OVER = re.compile(r"^" + _G + r"{0,6}(?:(?:的)?老毛病|的事(?:情)?(?:已经|都)?过去|过去(?:好|很)?(?:几|多|好多)?(?:年|个月)了|"
                        # 羊角风 这十来年都没犯过: years without an attack
                        r"(?:这)?(?:[0-9]+|[一二两三四五六七八九十几]+|十来|好多|很多|好几|几十|多)(?:个)?(?:年|月)(?:来)?"
                        r"(?:都|也|再)?没(?:再)?(?:犯|发作|抽)过?)")
# After a condition: it has been treated (心梗 早就好了 / 已经出院了 ...).
_RESOLVED = re.compile(r"早就好了|已经(?:好|康复|痊愈|出院|治好)了|(?<!刚)出院了|治好了|痊愈了|康复了|"
                       r"控制(?:得|的)(?:挺|很|还|比较|一直)?(?:好|稳定|不错)|(?:挺|很|一直)稳定|好多年没(?:再)?犯|"
                       r"(?:打了|打完|输了|输完|吃了|吃完)(?:针|液|药|点滴)(?:就)?好了|(?:都|再|也)没(?:再)?(?:犯|发作)过|"
                       r"后来" + _G + r"{0,6}好了")
# Before a sign told as over: when it was (去年, 上次, 小时候).
_PAST_TIME = re.compile(_AGO + r"|当年|年轻时|当时|那时")
# After a symptom: a doctor has seen it and found nothing (晕倒了 去医院查了没事).
_MANAGED = re.compile(r"(?:医生|大夫)(?:说|让|建议|看了)" + _G + r"{0,12}(?:保胎|观察|在家|休息|复查|没事|正常|不要紧|不用担心)")
_SEVERE = re.compile(r"厉害|剧|受不了|止不住|越来越|冷汗|大汗|晕|叫不醒|喘不|好多|很多|大量")
_CHECKED = re.compile(r"查(?:了|过)(?:都)?没(?:事|问题|什么|啥)|检查(?:了|过)?(?:都)?没(?:事|问题)|"
                      r"(?:医生|大夫)(?:看|查)(?:过|了)(?:了)?(?:说)?没(?:事|大碍|问题)|没什么大碍|已经(?:回家|回来)了|"
                      r"(?:说|都|结果)(?:没问题|正常|没事|没毒|无毒)|现在(?:已经)?(?:好了|没事了|好好的)|已经好了|就好了|"
                      r"出院了|活蹦乱跳|今天(?:已经|都)?(?:没事|好了|正常了)|差点(?:就)?没命|差点(?:就)?没了|捡回(?:了)?(?:一条)?(?:小)?命|抢救过来了|命大")
# Before a symptom: a diagnosis the doctor named (医生说是热性惊厥), not a symptom told now.
_DIAGNOSED = re.compile(r"(?:(?:医生|大夫)(?:说|讲|诊断)(?:是|可能是|为|的是)?|诊断(?:为|是)|确诊(?:为|是|了)?|说是)"
                        r"[^,.!?;。\n:]{0,4}$")
# A sign asked about in general: why it happens (为啥会晕倒), or people who have it (癫痫的人).
_GENERIC_BEFORE = re.compile(r"(?:为啥|为什么|咋|怎么)(?:就)?会" + _G + "{0,4}$")
# ...or a sign named as a topic: 抽搐的急救知识, 晕倒的筛查, 吐血的原因.
_GENERIC_AFTER = re.compile(r"^(?:发作|犯病|发病)?(?:的)(?:孩子|小孩|宝宝|人|患者|病人|老人|婴儿|病友|急救|知识|常识|处理|筛查|"
                            r"原因|症状|表现|风险|预防|治疗|费用|报销|理赔|保险|课程|培训|方法|措施|危害|后果)")
# What someone is about to be driven to (我要被老板气得胸口疼, 快被作业逼得吐血): a figure of speech.
_DRIVEN_TO = re.compile(r"(?:要|快要|快)被" + _G + r"{0,8}(?:气|逼|吓|累|烦|折磨|整|虐|卷|坑)(?:得|到)(?:我|人)?(?:都)?(?:要|快要|快)?$")
# Comforting or visiting someone about it: the event is someone else's, already known.
_CONSOLE = re.compile(r"安慰|探望|看望|慰问|送什么|带什么|随份子|节哀")
# Right after a candidate (across a space, not a full stop): a question about such events in general, not one
# happening (误吞纽扣电池会怎么样, 产后大出血一般发生在什么时候, 一氧化碳中毒能不能预防,
# 吃野蘑菇中毒的话): unless 了 marks it as having happened.
_GENERIC_QUESTION_AFTER = re.compile(
    r"[^了,.!?;。\n:]{0,8}?(?:会怎(?:么)?样|会有什么|有什么(?:后果|危害|表现|症状|影响)|会出现什么|是什么(?:症状|表现|感觉)|"
    r"一般(?:发生|出现|会|多久|在|是)|(?:能不能|怎么|如何|能)预防|会不会(?!是)|的话)")
# Whether it is (or will be) the named condition, asked: 会中毒吗, 是食物中毒吗, 是不是中风的前兆.
# The condition is the question, not a report; what was noticed decides, on its own.
_WHETHER_BEFORE = re.compile(r"(?:会|会是|是|算|算是|属于|可能是|是不是|会不会|会不会是|算不算|该不会是?)(?:得了?|有|患)?$")
_WHETHER_AFTER = re.compile(r"^(?:吗|么|嘛|呢|不|没|啊(?=$|[,.!?;。]))|^(?:的)?(?:前兆|征兆|先兆|症状|表现|信号|迹象)")
# Whether a sign is what was seen, asked (老公说我睡觉时手脚会猛地抽一下 是抽搐吗).
_WHETHER_SIGN_BEFORE = re.compile(r"(?:是|是不是|算|算不算|属于|会不会是|会是)$")
# Months or years of the same trouble, said after the sign (咽不下去吐不出来 半年了,
# 晚上胸闷憋醒 这种情况两三个月了): chronic, unless something marks it as new or worse now.
_CHRONIC = re.compile(r"(?:<NUM>|好几|很多|许多)(?:多)?(?:个)?(?:多)?(?:年|月|周|星期|礼拜)(?:多)?(?:了|之久|以来)"
                      .replace("<NUM>", _MACROS["NUM"]))
# ...unless the duration is a baby's age (宝宝两个月了) or a diagnosis's (高血压十几年了, 放支架
# 三年了): the complaint of now may be new.
_NOT_THE_COMPLAINTS = re.compile(r"宝|孩|娃|婴|才|刚|怀|孕|岁|病|症|炎|癌|瘤|压|糖|脂|喘|冠心|支架|搭桥|手术|药|"
                          r"住院|透析|化疗|结节|乙肝|甲亢|甲减|痛风|房颤|早搏|抑郁|焦虑|中风|脑梗|心梗|癫痫|吃|得|患|确诊")
_ACUTE_NOW = re.compile(r"突然|忽然|一下子|现在|正在|刚才|刚刚|此刻|这会|今天|今早|今晚|昨天|昨晚|前天|加重|加剧|"
                        r"这(?:几|两|一两|两三)天|最近(?:几|两|这几)天|几天前|"
                        r"更(?:厉害|严重|重|频繁)|越来越|又(?:犯|发作|开始|来了)|这次|这回|比以前|不一样|从来没")
_CHRONIC_SEVERE = re.compile(r"厉害|剧|受不了|止不住|冷汗|大汗|叫不醒|喘不|大量|好多血|很多血")


def _complaint_lasts(text: str, start: int = 0) -> bool:
    """A duration of weeks or more from `start` on that is the complaint's, not a baby's
    age or a diagnosis's (头晕半个月了; not 宝宝两个月了, 高血压十几年了)."""
    return any(not _NOT_THE_COMPLAINTS.search(text[max(0, m.start() - 3):m.start()])
               for m in _CHRONIC.finditer(text, start))
_CHRONIC_CATEGORIES = frozenset({Category.CHEST_PAIN, Category.BREATHING, Category.STROKE, Category.CHOKING,
                                 Category.BLEEDING, Category.UNCONSCIOUS, Category.SEIZURE})
_WHAT_TO_DO = re.compile(r"要不要|怎么办|怎么做|该怎么|应该|能不能|可以|注意什么")
_PREPARE = re.compile(r"提前|学一下|学习|以后|下次|平时|万一|预先|备着")
_NAMED_PERSON = _MACROS["P"].replace("|人|", "|")      # someone, not a generic 有人
_SUSPECTED = re.compile(_NAMED_PERSON + r"(?:好像|可能|可能是|应该是|怕是|估计是?|疑似|怀疑是|像是)$")
_ATTRIBUTED = re.compile(_NAMED_PERSON + r"$")
# 现在在ICU, 已经在医院溶栓了: a patient already in care, not a sign of something happening now
_NOW_IN_CARE = re.compile(r"(?:现在|已经|正)(?:在|住)(?:医院|病房|icu|康复|住院|抢救|急诊|监护室|手术|溶栓)")
_HAS_DIAGNOSIS = re.compile(r"(?<![没沒])(?:有|患有|患)(?:个|一个)?$")
# Planning ahead (下周要去爬山, 我下个月预产期) with a how-to question and nothing happening now.
_FUTURE = re.compile(r"下(?:周|星期|礼拜|个月)|明天|后天|过几天|过段时间|到时候|将来|出发前|预产期|"
                     r"(?:要|准备|打算|计划)去" + _G + r"{0,6}(?:爬山|旅游|旅行|露营|徒步|出国|游泳|海边|野外)")
_HOW_TO = re.compile(r"(?:应该|该|要)?怎么(?:办|处理|做|急救)|注意什么|要带什么|第一时间|什么时候|如何处理")
# Said not to be happening now (不是现在疼, 现在不疼): the symptom is a habit or history.
_NOT_NOW = re.compile(r"不是现在|现在(?:不|没)(?:疼|痛|闷|难受|事)|现在没(?:什么)?感觉|现在已经不")
# Fiction: a character in a story, a show or a game is nobody's patient.
_FICTION = re.compile(r"电视剧|电影|小说|剧里|剧中|游戏|动画|漫画|剧本|综艺|短剧")
_CHARACTER = re.compile(r"女主|男主|主角|角色|主人公|反派|npc|人物")
_KIN = re.compile(r"爸|妈|老公|老婆|孩子|宝宝|儿子|女儿|爷爷|奶奶|姥|外公|外婆|家人")
_KIN_OR_ME = re.compile(_KIN.pattern + r"|我|俺")
# Someone unnamed in a shared story (有人被车撞了, 有个小孩吞了磁力珠): the writer's news, not theirs.
_STRANGER = re.compile(r"有人|有个|有一个|一个人|网友|博主|主播|路人")
_PET_SUBJECT = re.compile(r"(?:(?:我家|家里|我的|养的)(?:的)?" + _G + r"{0,2}|^)(?:狗|猫|仓鼠|鹦鹉|兔|鸟|乌龟|龙猫)|狗狗|猫咪")
_HUMAN = re.compile(_NAMED_PERSON)
_IN_CARE = re.compile(r"住院|在医院|住着院|icu|重症监护|病房|抢救室|急诊室里|医院里")
_FAMILY = re.compile(r"我|爸|妈|老公|老婆|孩子|宝宝|儿子|女儿|爷|奶|姥|外公|外婆|(?<!一)家人|家里")


# A patient being treated in hospital now (现在在儿科急诊, 还在ICU, 人在医院): the doctors there
# are the help, unless something sudden is told after it. Wider than _NOW_IN_CARE, which
# only strips the care words before looking for a sign of now.
_CARED_FOR_NOW = re.compile(r"(?:现在|已经|正|人|还|目前)(?:在|住)(?:(?![去往送赶路])" + _G + r"){0,4}"
                            r"(?:医院|急诊|icu|病房|抢救|监护|住院)(?!的路|路上)")
_NEWS_AFTER_CARE = re.compile(_SUDDEN.pattern + r"|刚才|刚刚|又")
# 会不会一氧化碳中毒 at the end of a clause: whether it could happen, asked.
_WHETHER_OPEN = re.compile(r"会不会(?:得|是|有)?$")
# A doctor or a clinic for a condition (看癫痫厉害的医生, 治中风的医院): a service request.
_SPECIALTY_BEFORE = re.compile(r"(?:看|治|专治|擅长|专门看)$")
_SPECIALTY_AFTER = re.compile(r"^" + _G + r"{0,4}的" + _G + r"{0,4}(?:医生|大夫|专家|医院|门诊|科)")
# Chest pain when coughing (咳起来胸口疼, 一咳嗽就胸痛): the chest wall or the lungs, not the
# heart, unless a cardiac alarm stands beside it.
_COUGH_BEFORE = re.compile(r"(?:咳|咳嗽)(?:起来|的时候|时|得|一下)$|一咳(?:嗽)?就$")
_CARDIAC_ALARM = re.compile(r"冷汗|大汗|虚汗|压着|压榨|石头|左肩|左臂|左胳膊|下巴|喘不|透不过|憋|发紫|晕")
# A collapse as a figure of speech about money, shopping or a scare (基金亏了三成 吐血, 大盘这走势
# 我直接心梗, 双十一尾款 我要晕倒了, 吓得心脏停跳一拍), or a bare 窒息 after an awkward moment:
# the sign stands alone in its clause and nothing in the message is about a body.
_MONEY_WOES = re.compile(r"基金|股票|股市|大盘|炒股|理财|亏了|亏损|跌停|涨停|尾款|账单|房贷|车贷|信用卡|花呗|白条|"
                         r"工资|余额|剁手|双十一|双11|彩票|学费|房租|物业费|开会|领导|老板|甲方|考试|成绩")
_FIGURE_PRONE = re.compile(r"吐血|心梗|晕倒|晕过去|昏过去|昏倒|窒息|休克|心脏骤停")
_BARE_BEFORE = re.compile(r"^(?:我|人|简直|真的|真是|直接|当场|原地|都|要|快|已经|瞬间|彻底|整个人|当时|差点)*$")
_BARE_AFTER = re.compile(r"^(?:了|啦|啊|呀|吧|好吗|都|辣)*$")
_BODY = re.compile(r"疼|痛|闷|喘|呼吸|憋|(?<!信用)(?<!银行)卡(?!片|号)|噎|呛|吞|嘴|脸|冷汗|抽|叫不醒|醒不|医院|120|救护车|救命|救救|"
                   r"孩子|宝宝|老人|爸|妈|老公|老婆|爷|奶|血压|心跳|头|胸|血(?!亏)")


def _figure_of_speech(ctx: "_Context", cand: "_Candidate", before: str, after: str) -> bool:
    text = ctx.text
    # a short piece joined to its clause (基金亏了三成 吐血) stands alone here
    k = bisect.bisect_right(ctx.joined, cand.start)
    if k and ctx.joined[k - 1] > cand.start - len(before):
        before = text[ctx.joined[k - 1]:cand.start]
    k = bisect.bisect_right(ctx.joined, cand.end)
    if k < len(ctx.joined) and ctx.joined[k] < cand.end + len(after):
        after = text[cand.end:ctx.joined[k]]
    if after.startswith(("一拍", "半拍")):
        return True         # 心脏停跳一拍: a skipped beat of fright
    if not (_FIGURE_PRONE.search(text, cand.start, cand.end) and _BARE_BEFORE.match(before)
            and _BARE_AFTER.match(after)):
        return False
    rest = text[:cand.start] + text[cand.end:]
    if _BODY.search(rest):
        return False
    return bool(_MONEY_WOES.search(text)) or (
        "窒息" in text[cand.start:cand.end] and len(rest) >= 4)


class _Context:
    """Per-message helpers: clauses and lazily computed message-level facts."""

    def __init__(self, norm: _Normalized, candidates: List["_Candidate"]) -> None:
        self.text = norm.text
        self.breaks = norm.breaks
        self.joined = norm.joined
        self.puncts = [m.start() for m in _CLAUSE_PUNCT.finditer(self.text)]
        self._cache: Dict[str, bool] = {}
        self.covered = bytearray(len(self.text))    # 1 where some candidate matched
        for c in candidates:
            self.covered[c.start:c.end] = b"\x01" * (c.end - c.start)

    def clause(self, start: int, end: int) -> Tuple[int, int]:
        """(clause start, clause end) around text[start:end]; a clause ends at punctuation,
        removed whitespace or emoji."""
        p = bisect.bisect_left(self.puncts, start)
        cs = self.puncts[p - 1] + 1 if p > 0 else 0
        b = bisect.bisect_right(self.breaks, start)
        if b > 0:
            cs = max(cs, self.breaks[b - 1])
        p = bisect.bisect_left(self.puncts, end)
        ce = self.puncts[p] if p < len(self.puncts) else len(self.text)
        b = bisect.bisect_left(self.breaks, end)
        if b < len(self.breaks):
            ce = min(ce, self.breaks[b])
        return cs, max(ce, end)

    def _flag(self, name: str, rx: Pattern[str]) -> bool:
        value = self._cache.get(name)
        if value is None:
            value = self._cache[name] = rx.search(self.text) is not None
        return value

    @property
    def recurrence(self) -> bool:
        return self._flag("recurrence", _RECURRENCE)

    @property
    def admin(self) -> bool:
        return self._flag("admin", _ADMIN)

    @property
    def insurance_or_knowledge(self) -> bool:
        return self._flag("insurance", _INSURANCE) or self._flag("knowledge", _KNOWLEDGE)

    @property
    def in_care_admin(self) -> bool:
        return self._flag("in_care", _IN_CARE) and self._flag("insurance", _INSURANCE)

    @property
    def person(self) -> bool:
        return self._flag("person", _PERSON)

    @property
    def present(self) -> bool:
        return self._flag("present", _PRESENT)


@dataclass
class _Candidate:
    start: int
    end: int
    group: _Group
    fired: bool = False
    negated: bool = False
    acute: bool = False


def _last(rx: Pattern[str], text: str) -> Optional["re.Match[str]"]:
    found = None
    for found in rx.finditer(text):
        pass
    return found


def _negated(before: str, kind: str) -> bool:
    if kind == _ACT:
        return _NEG_ACT.search(before) is not None
    m = _NEG.search(before)
    if m is None:
        return False
    cue = m.start()
    # A-not-A questions (有没有, 是不是, 会不会) ask, they do not deny.
    if before[cue] in "不没" and cue > 0 and cue + 1 < len(before) and before[cue - 1] == before[cue + 1]:
        return False
    return True


def _covered_by_past_prefix(
    ctx: _Context, cand: _Candidate, cs: int, before: str, nearby: List[_Candidate]
) -> bool:
    cue = None
    for m in _PAST_PREFIX.finditer(before):
        if any(ctx.covered[cs + m.start():cs + m.end()]):
            continue        # "晕过去" is not the past cue "过去"
        cue = m
    if cue is None:
        return False
    between = before[cue.end():]
    if len(between) > 15 or _PRESENT.search(between):
        return False
    cue_end = cs + cue.end()
    inner = [c for c in nearby if c is not cand and c.start >= cue_end and c.end <= cand.start]
    if inner:
        last_end = max(c.end for c in inner)
        if not _LIST_JOIN.match(ctx.text[last_end:cand.start]):
            return False     # the cue belongs to an earlier symptom: 之前心梗过胸口疼得厉害
    return True


def _is_past(ctx: _Context, cand: _Candidate, cs: int, before: str, after: str,
             nearby: List[_Candidate]) -> bool:
    if ctx.recurrence:
        return False
    kind = cand.group.kind
    matched = ctx.text[cand.start:cand.end]
    if _PRESENT.search(matched):
        return False
    suffix = _PAST_SUFFIX_CONDITION if kind == _CONDITION else _PAST_SUFFIX_SYMPTOM
    if (suffix.match(after) or _PAST_ASPECT_IN_MATCH.search(matched)) and not _PRESENT.search(before):
        return True
    if _covered_by_past_prefix(ctx, cand, cs, before, nearby):
        return True
    if cand.group.category is Category.STROKE and kind == _SYMPTOM:
        m = _last(_STROKE_AFTER, before)
        if m is not None and not _PRESENT.search(before[m.end():]):
            return True
    return False


def _someone_elses_story(text: str, cand: _Candidate, before: str, clause: str) -> bool:
    """News, fiction, a shared video, a dream, a pet, or consoling someone: nobody the
    member can help now."""
    news = _last(_NEWS, before)
    if news is None and _STRANGER.search(before):
        # someone unnamed, the cue in an earlier clause: 刷到一个视频 有人被电动车撞飞了
        window = text[max(0, cand.start - _WINDOW):cand.start]
        cue = _last(_NEWS, window)
        if cue is not None and not (_STRONG_PRESENT.search(window[cue.end():])
                                    or _KIN.search(window[cue.end():])):
            return True
    if news is not None:
        between = before[news.end():]
        if not _STRONG_PRESENT.search(between) and not _SUDDEN.search(between) and not _FAMILY.search(between):
            return True
    if _CONSOLE.search(text) and not _STRONG_PRESENT.search(text):
        return True         # 同事说他爸心梗了 我该怎么安慰他
    if _FICTION.search(text) and _CHARACTER.search(text) and not _KIN.search(text):
        return True         # 电视剧里女主突然吐血晕倒, 游戏里我的角色中毒快死了
    if _PET_SUBJECT.search(text) and not _HUMAN.search(text):
        return True         # 我家仓鼠一动不动 好像没呼吸了
    dream = _last(_DREAM, before)
    if dream is not None and not _STRONG_PRESENT.search(before[dream.end():]):
        return True
    pet = _last(_PET, before)
    if pet is not None and not before[:pet.start()].endswith("被") and not _FAMILY.search(before[pet.end():]):
        return True         # 我家狗被蜜蜂蛰了 (but 狗把孩子咬了 血止不住 fires)
    return bool(_PET_CONTEXT.search(text) and not _FAMILY.search(clause))


def _asked_in_general(ctx: _Context, cand: _Candidate, before: str, after: str, clause: str) -> bool:
    """A question about such events in general, planning ahead, or said not to be now."""
    text = ctx.text
    if (_GENERIC_QUESTION_AFTER.match(text, cand.end) and not _STRONG_PRESENT.search(clause)
            and not (_PRESENT.search(clause) and _KIN_OR_ME.search(text))
            and ("了" not in text[cand.start:cand.end] or not ctx.person)):
        return True         # 误吞纽扣电池会怎么样, 高热惊厥会不会烧坏脑子, 吃野蘑菇中毒的话
    if (_FUTURE.search(text) and _HOW_TO.search(text) and not _STRONG_PRESENT.search(text)
            and not ctx.recurrence):
        return True         # 被蛇咬了怎么办 我们下周要去爬山
    if _NOT_NOW.search(text) and not _STRONG_PRESENT.search(clause.replace("现在", "")):
        return True         # 胸口疼挂什么科 不是现在疼 就是偶尔
    if (_GENERIC_BEFORE.search(before) and not after.startswith("了")) or _GENERIC_AFTER.match(after):
        return True         # 人为啥会突然晕倒, 热性惊厥的孩子能打疫苗吗: about such people in general
    return bool(_WHEN_IT_HAPPENS.match(after) and (
        (not ctx.person and not ctx.present) or _PREPARE.search(text)
        or (_WHAT_TO_DO.search(text) and not ctx.present)))   # 癫痫发作的时候要往嘴里塞东西吗


def _chronic(ctx: _Context, cand: _Candidate) -> bool:
    """Months or years of the same trouble, told after the sign, nothing new or worse now."""
    if (cand.group.category not in _CHRONIC_CATEGORIES or ctx.recurrence or _ACUTE_NOW.search(ctx.text)
            or _CHRONIC_SEVERE.search(ctx.text)):
        return False
    return _complaint_lasts(ctx.text, cand.end)


def _said_to_be_over(ctx: _Context, cand: _Candidate, before: str) -> bool:
    """The message says, after the sign, that it is long over, was checked, or is managed."""
    if ctx.recurrence:
        return False
    later = ctx.text[cand.end:cand.end + _WINDOW]
    if _LONG_OVER.match(later):
        return True         # 溺水的事过去好几年了, 胸痛的老毛病
    if not ctx.present and (_PAST_EVENT.search(later)
                            or (cand.group.kind == _CONDITION and _RESOLVED.search(later))):
        return True         # 骨折了能报销吗 去年的事了
    if (_PAST_TIME.search(ctx.text, 0, cand.start) and _RESOLVED.search(later)
            and not _STRONG_PRESENT.search(before)):
        return True         # 去年吃海鲜过敏过一次 嘴唇肿了 在医院打了针好了
    if _STRONG_PRESENT.search(before):
        return False
    if _CHECKED.search(later):
        return True         # 昨天晕倒了 去医院查了没事
    return bool(not _SEVERE.search(ctx.text) and _MANAGED.search(later))   # 医生说先兆流产 在家保胎


def _judge(ctx: _Context, cand: _Candidate, prev: Optional[_Candidate],
           nearby: List[_Candidate]) -> None:
    grp = cand.group
    text = ctx.text
    cs, ce = ctx.clause(cand.start, cand.end)
    # Context rules look at most _WINDOW characters around a candidate: bounded work per
    # candidate, so long messages stay linear.
    cs, ce = max(cs, cand.start - _WINDOW), min(ce, cand.end + _WINDOW)
    before, after = text[cs:cand.start], text[cand.end:ce]
    clause = text[cs:ce]

    if grp.clause_exclude is not None and grp.clause_exclude.search(clause):
        if grp.exclude_override is None or not grp.exclude_override.search(clause):
            return
    if grp.message_exclude is not None and grp.message_exclude.search(text):
        if grp.exclude_override is None or not grp.exclude_override.search(text):
            return
    if (grp.hyperbole is not None and grp.hyperbole.search(before)) or _DRIVEN_TO.search(before):
        return
    if _someone_elses_story(text, cand, before, clause):
        return
    if _figure_of_speech(ctx, cand, before, after):
        return
    if grp.kind in (_IDEATION, _ACT) and _GENERIC_AFTER.match(after) and not _PERSON.search(before):
        return          # 想自杀的人一般有什么信号: such people in general
    if grp.kind != _IDEATION:
        care = _CARED_FOR_NOW.search(text)
        if care is not None and not _NEWS_AFTER_CARE.search(text, care.end()):
            return      # 孩子高烧抽筋 现在在儿科急诊 医生说要做腰穿: in the doctors' hands
        if _SPECIALTY_BEFORE.search(before) and _SPECIALTY_AFTER.match(after):
            return      # 找个看癫痫厉害的儿科医生
    if (grp.category is Category.CHEST_PAIN and _COUGH_BEFORE.search(before)
            and not _CARDIAC_ALARM.search(text)):
        return          # 咳起来胸口疼
    if grp.kind == _IDEATION:
        cand.fired = not _NEG_IDEATION.search(before)
        return

    if _negated(before, grp.kind) or (grp.kind != _ACT and _POST_NEG.match(after)):
        cand.negated = True
        return
    if (prev is not None and prev.negated and prev.end <= cand.start
            and _LIST_JOIN.match(text[prev.end:cand.start])):
        cand.negated = True      # 没有胸痛、呼吸困难
        return
    if grp.kind == _ACT:
        if not _is_past(ctx, cand, cs, before, after, nearby):
            cand.fired = True       # (十年前自杀过一次, 前年割腕的事: history, unless again now)
        return

    hypo = _last(_HYPOTHETICAL, before)
    if hypo is not None and not _STRONG_PRESENT.search(before[hypo.end():]):
        return
    if _asked_in_general(ctx, cand, before, after, clause):
        return
    if _is_past(ctx, cand, cs, before, after, nearby):
        return
    habit = _last(_HABITUAL, before)
    if (habit is not None and not _PRESENT.search(before[habit.end():]) and not ctx.recurrence
            and not _STRONG_PRESENT.search(text) and not _SUDDEN.search(text) and "又" not in text):
        return          # 每次抽血都会晕, 偶尔胸口刺痛一下 (but 偶尔胸口疼 现在又疼了 fires)
    if _said_to_be_over(ctx, cand, before) or _chronic(ctx, cand):
        return
    if grp.kind == _SYMPTOM and _WHETHER_SIGN_BEFORE.search(before) and _WHETHER_AFTER.match(after):
        return          # 是抽搐吗: the sign asked after; what was told decides on its own
    if _WHETHER_OPEN.search(before) and not _ACUTE_AFTER.match(after):
        return          # 冬天吃炭火锅会不会一氧化碳中毒: whether it could happen, asked

    matched = text[cand.start:cand.end]
    if grp.kind == _CONDITION:
        marked = _ACUTE_AFTER.match(after)
        if marked and "了" not in marked.group() and not ctx.person and not ctx.present:
            marked = None   # 癫痫发作能报销吗: the kind of event, nobody's attack
        acute = (ctx.recurrence or marked or _ACUTE_IN_MATCH.search(matched)
                 or _ACUTE_NEAR.search(before)
                 # someone's suspected diagnosis, or one said of someone with a sign of now:
                 # 我妈好像中风, 我爸心梗 现在在去医院的路上
                 or _SUSPECTED.search(before)
                 or (_ATTRIBUTED.search(before) and _STRONG_PRESENT.search(_NOW_IN_CARE.sub("", text))))
        if grp.needs_acute and not (acute or _STRONG_PRESENT.search(clause) or _DOING.search(before)):
            return
        if not acute and _WHETHER_BEFORE.search(before) and _WHETHER_AFTER.match(after):
            return          # 吃了过期牛奶 会中毒吗: the condition asked about, not reported
        if not acute and _HAS_DIAGNOSIS.search(before):
            return          # 我有癫痫 今天忘吃药了: a chronic condition, not an attack
        if not acute and (ctx.admin or (ctx.insurance_or_knowledge and not ctx.person and not ctx.present)):
            return
        cand.acute = bool(acute)
    else:
        if (ctx.insurance_or_knowledge and not ctx.person and not ctx.present
                and not after.startswith("了")):
            return
        if ctx.in_care_admin and not _ACUTE_NEAR.search(before) and not _STRONG_PRESENT.search(before):
            return      # already in hospital, asking about cover: 孩子抽搐住院了 能直付吗
    cand.fired = True


# What makes a large dose an accident, or someone else's: a child, a mistake, confusion.
_ACCIDENT = re.compile(r"误|不小心|不知道|以为|当成|当作|当糖|当饮料|当水|搞错|吃错|喝错|拿错|记错|忘了|"
                       r"孩子|宝宝|小孩|娃|儿童|岁|痴呆|糊涂|偷吃|偷喝")
_OTHER_PERSON = re.compile(_MACROS["P"])


def _taken_by_the_writer(ctx: _Context, cand: _Candidate) -> bool:
    """No one else is named before the dose in its clause (我吃了一整瓶安眠药, 刚吞了一盒药)."""
    cs, _ = ctx.clause(cand.start, cand.end)
    return not _OTHER_PERSON.search(ctx.text[max(cs, cand.start - _WINDOW):cand.start])


def detect(text: str) -> Optional[RedFlag]:
    """The emergency a member's message describes, or None. See the module docstring for
    the rules."""
    return judge(text)[0]


def judge(text: str) -> Tuple[Optional[RedFlag], bool]:
    """detect(), and whether the message named something alarming that the context rules
    judged not to be an emergency now (a past event, hyperbole, a knowledge question, a
    pet ..., or said to be absent: 没有胸痛 也不喘): the triage then trusts that judgement
    over the classifier's."""
    if not text:
        return None, False
    norm = _normalize(text)
    s = norm.text
    if not s:
        return None, False
    candidates: List[_Candidate] = []
    for grp in _GROUPS:
        if grp.requires is not None and not grp.requires.search(s):
            continue            # not this group's context: no candidate, and no judgement
        for m in grp.regex.finditer(s):
            if m.end() > m.start():
                candidates.append(_Candidate(m.start(), m.end(), grp))
    if not candidates:
        return None, False
    candidates.sort(key=lambda c: (c.start, -c.end))
    starts = [c.start for c in candidates]
    ctx = _Context(norm, candidates)
    prev: Optional[_Candidate] = None
    fired_groups: Set[int] = set()
    for cand in candidates:
        if id(cand.group) in fired_groups:
            continue            # nothing new to learn from the same group
        lo = bisect.bisect_left(starts, cand.start - 2 * _WINDOW)
        hi = bisect.bisect_right(starts, cand.end + _WINDOW)
        _judge(ctx, cand, prev, candidates[lo:hi])
        if cand.fired:
            fired_groups.add(id(cand.group))
        if cand.negated or cand.fired:
            prev = cand
    fired = [c for c in candidates if c.fired]
    if not fired:
        # every alarming word judged not happening now, or denied (没有胸痛 也不喘)
        return None, True
    self_harm = any(c.group.kind in (_IDEATION, _ACT) for c in fired) or (
        any(c.group.deliberate and _taken_by_the_writer(ctx, c) for c in fired)
        and not _ACCIDENT.search(s))
    by_category: Dict[Category, _Candidate] = {}
    for c in fired:
        by_category.setdefault(c.group.category, c)
    for category in _PRIORITY:
        chosen = by_category.get(category)
        if chosen is not None:
            break
    assert chosen is not None
    matched = text[norm.index[chosen.start]:norm.index[chosen.end - 1] + 1]
    named_only = all(c.group.kind == _CONDITION or _DIAGNOSED.search(s[max(0, c.start - 12):c.start])
                     for c in fired)
    return RedFlag(category=chosen.group.category, matched=matched, self_harm=self_harm,
                   named_only=named_only, named_acute=any(c.acute for c in fired)), False


# ---------------------------------------------------------------------------------------
# When a message is about: the three-level triage (bot/triage.py) reuses these cues
# ---------------------------------------------------------------------------------------

# Stronger than _PRESENT: words that put the message itself in the here and now.
_IN_CARE_NOW = (r"在(?:医院|病房|icu|康复|住院|抢救室|急诊|监护室)|"
                 r"(?:很|挺|已经|都|比较)?(?:稳定|好多了|好了|没事|正常|恢复)")
_NOW = re.compile(r"现在(?!能|可以|还能|还可以|要|需要|该|怎么|吃|还要|适合|方便|" + _IN_CARE_NOW + r")|正在|刚才|刚刚|此刻|"
                  r"这会儿?|突然|忽然|马上|<NUM>(?:分钟|个?小时|个?钟头)(?:了|前)"
                  .replace("<NUM>", _MACROS["NUM"]))
# Ongoing, but weaker: an explicit past cue wins over them (去年崴脚以后一直没好利索).
_ONGOING = re.compile(r"一直|还在|越来越|止不住|停不下来")
_HERE_NOW = re.compile(r"现在(?!能|可以|还能|还可以|要|需要|该|怎么|吃|还要|适合|方便|" + _IN_CARE_NOW + r")|"
                       r"正在|刚才|刚刚|此刻|这会儿?")
# A conditional that opens the message governs all of it (如果老人噎住了 喘不上气 该怎么急救).
_OPENS_HYPOTHETICAL = re.compile(r"^(?:请问|问一下|想问下?|我想问下?|管家)?(?:如果|万一|假如|假设|要是|倘若|若是)")

# Questions about knowledge, care or cover, beyond _KNOWLEDGE (which the rules use for
# symptoms named without a person): the level check asks only whether a message is
# about something else than a problem happening now.
_QUESTION = re.compile(r"注意什么|注意事项|平时|能不能|可不可以|能吃|能喝|能用|吃什么(?!吐什么)|哪些|多久|多长时间|"
                       r"怎么(?:治|调理|预防|控制|护理|恢复)|有什么(?:办法|区别|影响|风险|后果)|会不会|"
                       r"要不要(?:紧|复查|吃药|换药|手术|住院)|需不需要|是什么意思|什么意思")
_UNDER_CARE = re.compile(r"住院|在医院|住着院|icu|重症监护|病房|抢救室|监护室|(?:送|到|进)(?:了)?医院|医生说|大夫说|确诊|诊断(?:为|是|出)|"
                         r"查出(?:来)?(?:是|了)|在吃药|在治疗|术后|化疗|康复医院|"
                         r"(?:进|到|去|看|送)(?:了|的)?急诊|急诊(?:看完|出来|处理完)|打了石膏|缝了(?:几)?针|"
                         r"做(?:完|了)手术|抢救过来")


# Over by now (现在好了, 捏了五分钟就停了, 精神不错), said as a figure of speech (冷死了, 看到账单
#我都要晕倒了, 半条命没了): the triage's doubts about a classifier emergency (bot/triage.py).
_RESOLVED_NOW = re.compile(
    r"(?:现在|已经|之后|后来|一下|就|都|又)(?:好了|没事了|正常了|停了|止住了|消下去了|消了|缓过来了|降下来了)|"
    r"就好了|止住了|就停了|没再(?:吐|抽|流|犯)|精神(?:不错|挺好|很好)|活蹦乱跳|照常|能走动|还能走|吃喝玩|"
    r"玩得(?:好好的|挺好|很好)|跟没事(?:人)?一样|能缓(?:过来|解)|"
    # reassurance: nothing else wrong, eating and talking as usual, the alarm signs denied
    r"没(?:有)?(?:别的|其他|其它)(?:的)?(?:不舒服|症状|异常|反应)|"
    r"(?:吃饭|吃奶|吃东西|精神|睡觉|说话|手脚|呼吸|喘气|意识|大小便)<G>{0,4}(?:都|也)(?:正常|还行|还好|挺好|没问题)|"
    r"不(?:咳|吐|喘|疼|烧|发烧)(?:也)?不(?:咳|吐|喘|疼|烧|发烧|胸痛|胸闷)|一(?:下|会儿?)就好|"
    r"(?:拍|咳)<G>{0,3}(?:吐|咳)出来了".replace("<G>", _G))
_FIGURATIVE = re.compile(
    r"(?:冷|困|累|热|饿|气|笑|烦|忙|吓|尴尬|无聊|丑|穷|吵)(?:死|到|得)(?:了|我|人)?|"
    r"都要(?:晕|昏|吐血|炸|窒息|中暑|疯|犯)|半条命|萌化|要被|被<G>{0,4}气".replace("<G>", _G))


@dataclass(frozen=True)
class Modality:
    """What a message says about when and whether something happens (message-wide cues)."""

    now: bool            # 现在, 刚才, 突然, 两小时了 ...
    ongoing: bool        # 一直, 还在, 越来越 ...
    past: bool           # 去年, 以前, 得过, 后遗症, 早就好了 ...
    hypothetical: bool   # 如果, 万一, 预防 ...
    knowledge: bool      # 是什么原因, 有哪些, 严重吗, 正常吗 ...
    under_care: bool     # 住院了, 医生说, 确诊了, 术后 ...
    opens_hypothetical: bool = False   # the message opens with 如果 / 万一 / 假如 ...
    here_now: bool = False             # 现在, 正在, 刚才: this very moment, even in a what-if
    resolved: bool = False             # 现在好了, 捏了五分钟就停了, 精神不错
    figurative: bool = False           # 冷死了, 我都要晕倒了, 半条命没了
    habitual: bool = False             # 每次, 一紧张就, 偶尔, 老是
    chronic: bool = False              # 半个月了, 这种情况两三个月了: weeks or more, nothing new now

    @property
    def settled(self) -> bool:
        """About a past event, a what-if, or a patient already under care (not merely a
        question), with nothing happening now: a named diagnosis there is history."""
        if self.now or (self.ongoing and not self.past):
            return False
        return self.past or self.hypothetical or self.under_care

    @property
    def not_now(self) -> bool:
        """Alarming words about something other than a problem happening now: a past
        event, a what-if or knowledge question, or a patient already under care."""
        if self.now or (self.ongoing and not self.past):
            return False
        return self.past or self.hypothetical or self.knowledge or self.under_care


def _chronic_message(s: str) -> bool:
    """Weeks, months or years of the same trouble (头晕半个月了), nothing new, worse or
    severe now, and the duration no baby's age or diagnosis's (宝宝两个月了, 糖尿病十年了)."""
    return not _ACUTE_NOW.search(s) and not _CHRONIC_SEVERE.search(s) and _complaint_lasts(s)


def normalize(text: str) -> str:
    """The text as the rules see it (full-width folded, emoji and whitespace removed,
    frequent typos fixed)."""
    return _normalize(text or "").text


def modality(text: str) -> Modality:
    s = normalize(text)
    past = bool(_PAST_PREFIX.search(s) or _PAST_EVENT.search(s) or _RESOLVED.search(s)
                or re.search(r"的事(?:情)?(?:已经|都)?过去", s)
                or re.search(r"后遗症|病史|(?<![0-9])史(?:了|吗)?$|[得患犯]过", s))
    return Modality(now=bool(_NOW.search(s)), ongoing=bool(_ONGOING.search(s)), past=past,
                    opens_hypothetical=bool(_OPENS_HYPOTHETICAL.match(s)),
                    here_now=bool(_HERE_NOW.search(s)),
                    hypothetical=bool(_HYPOTHETICAL.search(s)),
                    knowledge=bool(_KNOWLEDGE.search(s) or _QUESTION.search(s)),
                    under_care=bool(_UNDER_CARE.search(s)),
                    resolved=bool(_RESOLVED_NOW.search(s)), figurative=bool(_FIGURATIVE.search(s)),
                    habitual=bool(_HABITUAL.search(s)), chronic=_chronic_message(s))
