"""Reading a member's short answers in a conversation: which of the listed options
("2", "第二个", "最后那个"), which pre-auth materials they have ("1 3 4", "都齐了"), and
cues in a booking request (an accidental injury, a visit for someone else).

Pure functions of the text; the actions decide what to do with the answer."""
from __future__ import annotations

import re
import unicodedata
from typing import FrozenSet, Optional, Sequence

_CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                   "八": 8, "九": 9, "十": 10}
_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(10)}  # ① .. ⑩

# "2" / "2." / "选2" / "第2个" / "第二个" / "就第二个吧" / "②"
_ORDINAL = re.compile(
    r"^(?:就|要|选|选择|我选|我要|取消|改|改约|删|删掉|是)?(?:第)?([0-9]{1,2}|[一二两三四五六七八九十])"
    r"(?:个|号|项|条|种)?(?:吧|的|那个|这个)?[。.!！]?$"
)
_LAST = re.compile(r"^(?:就|要|选)?(?:最后(?:一个|那个|这个)?|最后面那个)(?:吧)?$")


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def _number(token: str) -> Optional[int]:
    if token.isdigit():
        return int(token)
    return _CHINESE_DIGITS.get(token)


def parse_choice(text: str, count: int) -> Optional[int]:
    """The 0-based index of the option a member picked from `count` listed ones, or
    None when the text is not a pick (or picks a number that was not offered)."""
    s = _norm(text)
    if not s or count <= 0:
        return None
    if s in _CIRCLED:
        n = _CIRCLED[s]
    elif _LAST.match(s):
        n = count
    else:
        m = _ORDINAL.match(s)
        if not m:
            return None
        n = _number(m.group(1))
    if n is None or not 1 <= n <= count:
        return None
    return n - 1


_ALL_MATERIALS = re.compile(r"(都|全|全部|所有)(的)?(材料)?(都)?(齐|有|备好|准备好|准备齐|带)")
_NO_MATERIALS = re.compile(r"^(都)?(还)?(没有|没|无|都没有|一个都没有|还没准备|还没)(准备)?(好)?$")


def parse_materials(text: str, codes: Sequence[str]) -> Optional[FrozenSet[str]]:
    """Which of the numbered materials (`codes`, listed 1..n to the member) they have:
    "1 3 4" / "1、3、4" / "都齐了" / "还没有". None when the text says neither."""
    s = _norm(text)
    if not s:
        return None
    if _ALL_MATERIALS.search(s) or s in {"齐了", "都齐了", "全齐", "全部"}:
        return frozenset(codes)
    if _NO_MATERIALS.match(s):
        return frozenset()
    spaced = unicodedata.normalize("NFKC", text)
    tokens = []
    for token in re.findall(r"[0-9]+|[一二三四五六七八九十]", spaced):
        # "134" typed without separators means 1, 3 and 4 when there is no item 134
        if token.isdigit() and int(token) > len(codes):
            tokens.extend(token)
        else:
            tokens.append(token)
    rest = re.sub(r"[0-9一二三四五六七八九十,，、和及与.。;；第项个有还]", "", s)
    if not tokens or rest not in {"", "都有", "有了", "已有", "齐了", "备好了", "准备好了"}:
        return None
    picked = set()
    for token in tokens:
        n = _number(token)
        if n is None or not 1 <= n <= len(codes):
            return None
        picked.add(codes[n - 1])
    return frozenset(picked)


# Handbook: "因意外伤害就诊除外" (no lead time). Words members use for an injury that
# happened to them, not illnesses.
_INJURY = re.compile(
    r"意外|受伤|摔(?:伤|倒|了|跤|断)|扭(?:伤|到|了)|崴(?:脚|了|到)|骨折|撞(?:伤|到|了)|"
    r"磕(?:伤|破|到)|碰伤|擦伤|割(?:伤|破|到)|划(?:伤|破)|切到手|烫伤|烧伤|砸(?:伤|到)|"
    r"车祸|被(?:狗|猫)(?:咬|抓)|咬伤|外伤|运动伤|拉伤"
)


def is_accidental_injury(text: str) -> bool:
    return bool(_INJURY.search(_norm(text)))


# The service is for the insured person only ("限您本人尊享使用"): a relative is served
# through their own policy and identity.
_SOMEONE_ELSE = re.compile(
    r"(?:帮|给|替|为|陪)(?:我)?(?:妈|爸|老妈|老爸|妈妈|爸爸|母亲|父亲|老婆|老公|爱人|妻子|丈夫|"
    r"孩子|儿子|女儿|宝宝|小孩|婆婆|公公|岳母|岳父|奶奶|爷爷|外婆|外公|姥姥|姥爷|家人|朋友|同事)|"
    r"我(?:妈|爸|老妈|老爸|妈妈|爸爸|母亲|父亲|老婆|老公|爱人|孩子|儿子|女儿|宝宝|婆婆|公公|岳母|"
    r"岳父|奶奶|爷爷|外婆|外公|家人|朋友)(?:想|要|需要|得|的)?(?:看|约|挂|预约|去)|"
    r"^(?:孩子|小孩|宝宝|儿子|女儿)"
)


def is_for_someone_else(text: str) -> bool:
    return bool(_SOMEONE_ELSE.search(_norm(text)))


# "拔火罐要预授权吗" → "拔火罐": what is left of a pre-auth question once the question
# words go. Generic words ("哪些项目", "什么") leave nothing: the member asked for the list.
_PREAUTH_QUESTION = re.compile(
    r"(?:请问|想问一下|想问|问一下|咨询一下|那个|我|要|想|准备|打算|需要|"
    r"(?:去|做|用|打|吃|开|买|租|配|上)(?:个|一个|一次|了)?)*"
    r"(?P<item>.+?)"
    r"(?:的话)?(?:是不是|是否|用不用|要不要|需不需要|需要|要|得|必须)?(?:先)?(?:申请|办|做|走)?"
    r"(?:预授权|事先授权|预先授权|事前授权)(?:吗|么|嘛|不|没|呢)?[?？。!！]*$"
)
_GENERIC_ITEMS = re.compile(r"^(?:哪些|什么|啥|哪种|哪类|哪个|所有|那些|这些)?(?:项目|治疗|检查|情况|东西|药)?$|"
                            r"哪些|什么|啥|申请|怎么|如何")


def preauth_item(text: str) -> Optional[str]:
    """The item a pre-authorisation question is about, or None when it names none."""
    s = _norm(text)
    m = _PREAUTH_QUESTION.match(s)
    if not m:
        return None
    item = m.group("item").strip("，,、 ")
    if not item or _GENERIC_ITEMS.search(item):
        return None
    return item


# A booking asked for in so many words (帮我约…, 预约…, 挂个号), which the classifier may
# still read as a bare piece of information when the message is mostly details.
_BOOKING_VERB = re.compile(r"(?<![改取退换大])(?:预约|约(?!了|好|的|过|定|束|莫|成功)|挂(?:个)?号)")
_NOT_A_NEW_BOOKING = re.compile(r"改约|改到|改成|换到|换成|取消|不约|退号|约了|约好|约的|约过|查|看看|"
                                r"的预约|预约(?:记录|信息|结果|情况|时间|成功|上|详情)|几个|成功|没有|手上|"
                                r"发(?:下|一下|我)|几点|哪天|吗|么|？|\?")
# A bare request to book, the only kind a list-my-appointments reading gives way to.
_BARE_BOOKING = re.compile(r"^(?:我|帮我|给我)?(?:要|想)?(?:预约|挂号|挂个号|约号|约个号|预约一下|预约看病)(?:吧|一下)?$")


def asks_to_book(text: str, strictly: bool = False) -> bool:
    """A booking asked for in so many words; `strictly`: only a bare 预约 / 挂个号."""
    s = _norm(text)
    if strictly:
        return bool(_BARE_BOOKING.match(s))
    return bool(_BOOKING_VERB.search(s)) and not _NOT_A_NEW_BOOKING.search(s)


# Someone other than the member may be the patient of an emergency (the notice is for the
# insured person only): a relative or another person is named.
_OTHER_PERSON = re.compile(
    r"老头子|老伴|老爷子|老太太|(?:我|俺|俺家|我家|咱)?(?:妈|爸|老妈|老爸|妈妈|爸爸|母亲|父亲|老婆|"
    r"老公|媳妇|爱人|丈夫|妻子|孩子|儿子|女儿|宝宝|婆婆|公公|岳母|岳父|奶奶|爷爷|外婆|外公|姥姥|"
    r"姥爷|朋友|同事|邻居|小孩|娃|闺女|外孙|孙子|孙女|哥|姐|弟|妹|舅|姨|叔|婶|娘|爹|"
    r"老人家|家里老人|那口子|对象|侄|亲戚)"
)


def names_someone_else(text: str) -> bool:
    return bool(_OTHER_PERSON.search(_norm(text)))


# Help is already there or coming (the member called 120, the ambulance came, they are at
# the emergency department): a later message of the episode is answered with that in mind.
_HELP_ON_THE_WAY = re.compile(
    r"(?<!没)(?<!还没)(?:已经|刚|刚刚|早就)?(?:打|叫|拨|拨打)(?:过|了)(?:个)?120|120(?:已经)?(?:打了|叫了|打过了)|"
    r"救护车(?:已经)?(?:来了|到了|在路上|快到了|马上到|叫了|拉走|送)|(?:叫|喊)了救护车|"
    r"(?:已经)?(?:在|到|进|送到?|送进)(?:了)?(?:医院|急诊|抢救室|ICU)(?:了|啦)?(?!吗|嘛|么)|在抢救|医生在(?:看|处理|抢救)")
# ... unless the member asks whether to call (要不要打120).
_ASKS_WHETHER_TO_CALL = re.compile(r"(?:要不要|需不需要|该不该|用不用)(?:打|叫)")


def help_on_the_way(text: str) -> bool:
    """Whether the member says help is already there or coming (120 called, the
    ambulance here, at the emergency department)."""
    s = _norm(text)
    return bool(_HELP_ON_THE_WAY.search(s)) and not _ASKS_WHETHER_TO_CALL.search(s)


# Who the patient of an emergency is, from the member's answer.
_PATIENT_OTHER = re.compile(r"不是(?:我|本人|被保险人|他|她)|没(?:有)?(?:买|投保|保险|参保)|没保|"
                            r"(?:他|她)(?:也)?有(?:自己的)?(?:保险|保单)|也(?:买|投保)了|"
                            r"不在(?:保单|保障)|(?:是|就是)(?:我|俺)?(?:家)?(?:妈|爸|老妈|老爸|妈妈|爸爸|"
                            r"老婆|老公|媳妇|爱人|孩子|儿子|女儿|宝宝|婆婆|公公|奶奶|爷爷|外婆|外公|"
                            r"老头子|老伴|朋友|同事|家人)")
_PATIENT_SELF = re.compile(r"本人|(?:是|就是)我(?:自己)?(?:$|[,，。.!！ ]|啊|呀|吧)|^我(?:自己)?$|我自己|"
                           r"被保险人|(?:是|就是)(?:病人|患者)?(?:他|她)?本人|保险是(?:他|她)的")


def emergency_patient(text: str) -> Optional[str]:
    """"self" when the answer says the insured person is the patient, "other" when it
    says someone else is, None when it says neither."""
    s = _norm(text)
    if _PATIENT_OTHER.search(s):
        return "other"
    if _PATIENT_SELF.search(s):
        return "self"
    return None


# The one point a question about a visit asks (the full rules are offered on request).
_VISIT_TOPICS = (
    ("cancel_deadline", re.compile(r"提前(?:几|多少|多久|多长时间)(?:天|个小时|小时)?(?:取消|改期|改约|退)|"
                                   r"最(?:晚|迟)(?:什么时候|啥时候|哪天|几点|几天)?(?:前)?(?:能|可以|得|要)?(?:取消|改期|改约|退)|"
                                   r"(?:取消|改期|改约)(?:预约|挂号|就诊)?(?:最晚|最迟|要提前|得提前|需要提前|截止|有没有时间限制)")),
    ("waiting_period", re.compile(r"(?:等待期|观察期)<G>{0,8}(?:啥时候|什么时候|多久|多长|哪天|几号|过了没|过没过|到哪|结束|"
                                  r"还有几天|还有多久|过了吗|到期|完了没|算起)".replace("<G>", r"[^,.!?;。\n:]")
                                  + r"|我(?:的)?(?:保单)?(?:还在|过了)等待期")),
    ("forgot_id", re.compile(r"忘(?:了)?带|没带|落(?:在)?家|丢了|找不到")),
    ("lead_time", re.compile(r"提前(?:几|多少|多久|多长时间)(?:天|个工作日)?(?:约|预约|挂)|"
                             r"(?:约|预约|挂号)(?:要|得|需要)?提前|什么时候(?:能|可以)?约|最晚(?:什么时候|哪天)约")),
    ("late", re.compile(r"迟到|晚到|晚点到|晚了|来不及|赶不上|去不了|不能去|堵车|爽约")),
    ("arrive", re.compile(r"提前(?:几|多少|多久|多长时间)?(?:分钟)?(?:到|过去|去)|几点到|早点到|"
                          r"什么时候到|提前到")),
    ("documents", re.compile(r"带什么|带啥|带哪些|要带|证件|身份证|护照|居住证|户口本|驾照|直付卡|社保卡|医保卡")),
    ("injury", re.compile(r"意外|受伤|摔|扭伤|崴")),
)


def visit_question_topic(text: str) -> Optional[str]:
    s = _norm(text)
    for topic, rx in _VISIT_TOPICS:
        if rx.search(s):
            return topic
    return None


# Leaving what is being done: 算了, 不用了, 不取消了 (mind: 取消 alone means cancelling an
# appointment), unless the same message changes a detail instead (算了还是改成下周四下午).
_STOP = re.compile(r"^(?:那|那就|还是|嗯|哦|唉|哎|哎呀|呃)?(?:算了|不用了|不要了|不弄了|不办了|不需要了)|"
                   r"不(?:取消|改|改约|约|预约|申请|提交|退|弄|办|挂)了|"
                   r"(?:先不|还是不|暂时不|先别|不想)(?:取消|改|改约|约|预约|申请|提交|退|弄|办|挂)")
_CORRECTION = re.compile(r"改成|换成|改到|换到|还是要|还是约|改约到|约到|换个|换一|改一下|[0-9一二三四五六七八九十]+(?:号|点|日)|"
                         r"下周|明天|后天|上午|下午|医院|科")


# 取消吧 不约了: cancelling is what is wanted, whatever else is said.
_DO_CANCEL = re.compile(r"(?<![不别])取消(?:吧|掉|了吧|预约|这个|那个)")


def wants_to_stop(text: str) -> bool:
    s = _norm(text)
    return bool(_STOP.search(s)) and not _CORRECTION.search(s) and not _DO_CANCEL.search(s)


def stops_to_start(text: str, entities: FrozenSet[str]) -> Optional[str]:
    """The request a member makes while leaving what is open (先不改了 帮我申请个预授权
    下周做胃镜: apply_preauth), or None."""
    if not _STOP.search(_norm(text)):
        return None
    return service_request(text, entities)


def changes_a_detail(text: str) -> bool:
    """A correction said with a refusal word: 算了还是改成下周四下午, 不对 是华山医院."""
    return bool(_CORRECTION.search(_norm(text)))


# A bare number or amount (3000, 两万, 大概5千块, 第2个): always an answer to a question.
_BARE_NUMBER = re.compile(r"^(?:大概|大约|差不多|估计|约|要|是|第)?[0-9０-９.,一二两三四五六七八九十百千万wk]+"
                          r"(?:多|左右|来)?(?:元|块|块钱|块左右|rmb|个|号)?(?:吧|的样子|左右)?$")


def is_bare_number(text: str) -> bool:
    return bool(_BARE_NUMBER.match(_norm(text).lower()))


# A whole request said with its details, which the classifier reads as a bare piece of
# information (or a health question) because details outweigh the verb.
_PREAUTH_WORDS = re.compile(r"预授权|预受权|预先授权|事先授权|授权|审批|先申请|要申请吗|需要申请")
_APPLY_WORDS = re.compile(r"帮我|给我|申请一下|申请下|办一下|办下|提交|帮忙|麻烦|赶紧")
_ASKING = re.compile(r"吗|么|要不要|需不需要|用不用|是不是|得不得|哪些|怎么|如何|什么")
_RESCHEDULE_WORDS = re.compile(r"改到|改约|改成|换到|推到|挪到|推迟到|提前到|改一下")
_CANCEL_WORDS = re.compile(r"(?<![不别])取消(?!了吗)|作废|退掉|退号")
_BOOK_WORDS = re.compile(r"(?<![大])约|挂(?:个)?号|挂|预约")
_STATUS_WORDS = re.compile(r"核定|批了|批下|批没批|通过|进度|结果|到哪|状态|处理到|审核到|审批到|什么程度|出来了")
BOOKING_DETAILS = frozenset({"hospital", "department", "doctor"})


# Questions about a rule worded like a request (最晚啥时候能取消 is no cancellation): the
# intent whose action answers them, whatever request the classifier read.
RULE_QUESTIONS = {"cancel_deadline": "ask_visit_rules", "waiting_period": "ask_visit_rules"}


def service_request(text: str, entities: FrozenSet[str]) -> Optional[str]:
    """The request a detail-heavy message makes (an intent name), or None."""
    s = _norm(text)
    topic = visit_question_topic(text)
    if topic in RULE_QUESTIONS:
        return RULE_QUESTIONS[topic]
    if _PREAUTH_WORDS.search(s) or ("treatment" in entities and "amount" in entities
                                    and _ASKING.search(s)):
        if _STATUS_WORDS.search(s) or (asks_how_long(text) and "提前" not in s):
            return "check_preauth_status"      # 审批要多久: the review time, and own cases
        if _APPLY_WORDS.search(s) and not _ASKING.search(s):
            return "apply_preauth"
        return "ask_preauth_required"
    if _RESCHEDULE_WORDS.search(s) and ("time" in entities or "预约" in s or "那个" in s):
        return "reschedule_appointment"
    if _CANCEL_WORDS.search(s):
        return "cancel_appointment"
    # Details alone (北大医院肾病科, 周四 西南医院) are an answer inside a booking; outside
    # one the dialogue starts a booking from them (action_route_inform). Asked for in words
    # (想挂瑞金消化科 这礼拜五下午), they are a booking request.
    if entities & BOOKING_DETAILS and _BOOK_WORDS.search(s):
        return "book_appointment"
    return None


def is_question(text: str) -> bool:
    """Asked, not requested: 吗, 要不要, 需不需要 ..."""
    return bool(_ASKING.search(_norm(text)))


def asks_to_apply(text: str) -> bool:
    """帮我申请, 提交一下, 麻烦办下: a request to do it."""
    return bool(_APPLY_WORDS.search(_norm(text)))


def asks_how_to(text: str) -> bool:
    """How to do it (预授权的申请怎么发起), not whether it is needed."""
    return bool(re.search(r"怎么|如何|在哪|哪里|流程|步骤", _norm(text)))


# How long something takes: 预授权批下来要几天, 多久能出结果.
_HOW_LONG = re.compile(r"多久|几天|多长时间|多少天|几个工作日|多快|(?:什么|啥)时候(?:能|会|可以)?(?:批|出|下来|有结果|审完)")


def asks_how_long(text: str) -> bool:
    return bool(_HOW_LONG.search(_norm(text)))


# When the people are there (管家几点上班, 周末人工有人吗), asked with no request to be put
# through (转人工, 帮我找管家): the hours, not a handoff.
_HOURS_WORDS = re.compile(r"几点|什么时候|什么时间|啥时候|几时|上班|下班|值班|营业|放假|休息吗|周末|节假日|"
                          r"过年|春节|国庆|五一|24小时|夜间|半夜|凌晨|工作时间|服务时间|在线时间|"
                          r"晚上|晚间|早上|早晨|中午|白天|明天|周[六日天]|星期[六日天]|礼拜[六日天]")
_PUT_THROUGH = re.compile(r"转|找|接通|联系一下|帮我|给我|我要|我想要|叫|请|马上|立刻|快")
# ...unless asked whether one can at that time (晚上还能找管家吗, 周日可以转人工不): not now.
_CAN_AT_THAT_TIME = re.compile(r"(?:能|可以|还能|还可以|能不能|可不可以)(?:找|转|联系|接通)[^,.!?;。]{0,8}(?:吗|么|不|$)")
_NOW_WORDS = re.compile(r"现在|马上|立刻|赶紧|快点|急")


_GREETING = re.compile(r"(?:早上|早晨|上午|中午|下午|晚上)好|早安|午安|晚安")


def asks_service_hours(text: str) -> bool:
    s = _GREETING.sub("", _norm(text))      # 晚上好 greets, it asks no time
    if not _HOURS_WORDS.search(s):
        return False
    return not _PUT_THROUGH.search(s) or bool(_CAN_AT_THAT_TIME.search(s) and not _NOW_WORDS.search(s))


def is_rule_question(text: str) -> bool:
    """A question about a rule worded like a request, answered by the rule whatever the
    classifier read: 最晚啥时候能取消, 等待期啥时候过, 预授权批下来要几天."""
    return (visit_question_topic(text) in RULE_QUESTIONS
            or bool(_PREAUTH_WORDS.search(_norm(text)) and asks_how_long(text)))


def names_a_visit(entities: FrozenSet[str]) -> bool:
    """Enough details to start a booking from: a place (hospital, department or doctor)
    and a time, or two places."""
    details = len(entities & BOOKING_DETAILS)
    return bool(details and "time" in entities) or details >= 2


# Said in passing with the request: 材料都齐了, 材料都准备好了, 住院单检查报告这些材料都齐了.
_MATERIALS_READY = re.compile(r"材料(?:这些|那些)?(?:都|全|全部)?(?:已经)?(?:齐|都有|有了|备好|备齐|准备好|准备齐|带齐)|材料都?齐")


def all_materials_in_passing(text: str) -> bool:
    return bool(_MATERIALS_READY.search(_norm(text)))


# Materials named with the request, then said to be at hand: 身份证 检查报告 病历 处方都有.
_MATERIAL_NAMES = (("id_card", r"身份证"), ("admission_slip", r"住院单|入院单|住院通知"),
                   ("exam_reports", r"检查报告|报告|化验单|片子"), ("outpatient_records", r"病历"),
                   ("prescription", r"处方"))
_NAMED_READY = re.compile(r"(?:都|也|全)(?:有|齐|带|备好|准备好)|(?:有|齐)了")


def materials_named_in_passing(text: str) -> Optional[FrozenSet[str]]:
    s = _norm(text)
    named = frozenset(code for code, words in _MATERIAL_NAMES if re.search(words, s))
    return named if named and _NAMED_READY.search(s) else None
