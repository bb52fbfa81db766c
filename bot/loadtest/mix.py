"""What simulated members write, and what counts as the right answer: pure data.

The product's mix is written as members write in WeChat: no punctuation, a typo here
and there, several details in one message. Each scenario is a short conversation; a
member goes from one to the next in the same conversation, as a member who comes back
does. Shares (of scenarios; bookings are three messages, the rest mostly one):

| kind | share | what |
| --- | --- | --- |
| handbook | 30% | direct billing, the card, visit rules, hours, claims, network hospitals |
| booking | 20% | hospital + department + day in one message, the summary, 确认 (writes to the backends; 24 clinics, 20 half-days) |
| preauth | 15% | does this treatment need pre-authorisation (the price in the question or asked for) |
| health | 12% | health questions the assistant passes to the manager or a doctor |
| appointments | 6% | what have I booked |
| smalltalk | 13% | greetings, thanks, 在吗 |
| handoff | 4% | 找人工, a complaint, an emergency: the member then waits for a manager |

The stock assistant's mix is `rasa init`'s mood bot's own English small talk.
Expectations are substrings of the replies (any of them); a handoff step expects the
conversation handed to a manager. They check that the answer is the right kind, not
its wording.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Iterator, List, Optional, Sequence, Tuple


@dataclass(frozen=True)
class Step:
    text: str
    expect: Tuple[str, ...] = ()  # one of these in the replies; () = any reply
    handoff: bool = False  # the member asks for (or needs) a manager here

    def answered(self, texts: Sequence[str], handed_off: bool) -> bool:
        if self.handoff:
            return handed_off
        joined = "\n".join(texts)
        return bool(joined.strip()) and (not self.expect or any(e in joined for e in self.expect))


@dataclass(frozen=True)
class Scenario:
    kind: str
    steps: Tuple[Step, ...]

    @property
    def hands_off(self) -> bool:
        return any(step.handoff for step in self.steps)


def one(kind: str, text: str, *expect: str) -> Scenario:
    return Scenario(kind, (Step(text, tuple(expect)),))


# ------------------------------------------------------------------ the product

# The end of the service-hours answer, in hours and out of them (domain/shared.yml).
NOW_ON_DUTY = ("管家在线", "已下班", "非工作时间")

HANDBOOK = [
    one("handbook", "直付是啥意思", "直付"),
    one("handbook", "看病能直接刷卡不用垫钱吗", "直付"),
    one("handbook", "电子直付卡在哪看", "直付卡"),
    one("handbook", "直付卡找不到了咋办", "直付卡"),
    one("handbook", "去医院看病要带啥", "证件", "直付卡"),
    one("handbook", "就诊要注意什么 需要提前多久到", "提前"),
    # Two replies, the hours then whether someone is there now: expect the last one, so
    # that a channel streaming replies (the web chat, WeChat) waits for both.
    one("handbook", "管家几点上班", *NOW_ON_DUTY),
    one("handbook", "晚上有人吗 客服电话多少", *NOW_ON_DUTY),
    one("handbook", "理赔要什么材料", "理赔", "发票"),
    one("handbook", "自己先垫付了怎么报销", "理赔", "发票"),
    one("handbook", "上海有哪些直付医院", "医院"),
    one("handbook", "预授权要交啥材料", "材料"),
]

PREAUTH = [
    Scenario("preauth", (Step("做核磁要预授权吗", ("多少钱",)),
                         Step("大概一万二", ("需要预授权",)))),
    one("preauth", "化疗要不要预授权", "需要预授权"),
    Scenario("preauth", (Step("做胃镜要预授权吗", ("多少钱",)),
                         Step("3000块", ("不需要预授权",)))),
    one("preauth", "pet ct要预授权吗 大概九千", "需要预授权"),
    Scenario("preauth", (Step("ct检查两万多 要不要事先申请", ("多少钱",)),
                         Step("两万五左右", ("需要预授权",)))),
    one("preauth", "住院要预授权吗", "需要预授权"),
    one("preauth", "买个轮椅要预授权吗", "需要预授权"),
]

HEALTH = [
    one("health", "最近老是失眠怎么办", "医生"),
    one("health", "血压140高吗", "医生"),
    one("health", "感冒吃什么药好", "医生"),
    one("health", "尿酸高怎么办", "医生"),
    one("health", "维生素d要不要补", "医生"),
]

APPOINTMENTS = [
    one("appointments", "我约了哪些号", "待就诊"),
    one("appointments", "查下我的预约", "待就诊"),
]

SMALLTALK = [
    one("smalltalk", "你好"),
    one("smalltalk", "在吗"),
    one("smalltalk", "谢谢啊"),
    one("smalltalk", "好的 谢谢"),
]

HANDOFFS = [
    Scenario("handoff", (Step("找人工", handoff=True),)),
    Scenario("handoff", (Step("转人工 我要跟管家说", handoff=True),)),
    Scenario("handoff", (Step("我要投诉 上次去医院白跑一趟", handoff=True),)),
    Scenario("handoff", (Step("我爸突然说话不利索 嘴也歪了", handoff=True),)),
]

# (how members name the hospital, the department): the department runs there every
# weekday (tests/test_loadtest.py checks them against the catalog and the timetable).
# Ordered so that neighbours are other departments.
BOOKING_CLINICS = [
    ("瑞金", "皮肤科"), ("仁济", "心内科"), ("协和", "消化内科"), ("六院", "骨科"),
    ("北医三院", "眼科"), ("同仁", "耳鼻喉科"), ("中日友好", "呼吸科"), ("华山", "神经内科"),
    ("仁济", "妇科"), ("瑞金", "内分泌科"), ("华山", "泌尿外科"), ("华山", "皮肤科"),
    ("六院", "心内科"), ("瑞金", "消化内科"), ("华山", "骨科"), ("瑞金", "眼科"),
    ("朝阳医院", "呼吸科"), ("天坛", "神经内科"), ("协和", "皮肤科"), ("安贞", "心内科"),
    ("仁济", "消化内科"), ("北医三院", "骨科"), ("同仁", "眼科"), ("北大医院", "皮肤科"),
]
# Twenty half-days, this week's and next week's weekdays from the member's point of view.
BOOKING_DAYS = [f"{week}{day}{half}" for week in ("下周", "下下周")
                for day in "一二三四五" for half in ("上午", "下午")]
BOOKING_WORDING = [
    "帮我约下{hospital}{department} {day}",
    "想挂{hospital}{department}{day}的号",
    "约个{hospital}的{department} {day} 谢谢",
    "{day}去{hospital}看{department} 帮我预约",
]
CONFIRMATIONS = ["确认", "确认的", "可以 确认", "对 确认", "确认"]
# A member's own bookings fall on half-days this far apart: one member never holds two
# at the same time (the backends refuse that, rightly), for up to four bookings.
OWN_BOOKINGS_APART = 5


def booking(number: int, member: int = 0, earlier: int = 0) -> Scenario:
    """The `number`th booking of the run, for load member `member`, who has booked
    `earlier` times before: clinics go round with `number`, days with the member, so
    bookings spread over the timetable (a half-day clinic holds about 13) instead of
    filling one clinic, and a member's own bookings never clash."""
    hospital, department = BOOKING_CLINICS[number % len(BOOKING_CLINICS)]
    day = BOOKING_DAYS[(member * 3 + earlier * OWN_BOOKINGS_APART) % len(BOOKING_DAYS)]
    wording = BOOKING_WORDING[(number + number // len(BOOKING_CLINICS)) % len(BOOKING_WORDING)]
    return Scenario("booking", (
        Step(wording.format(hospital=hospital, department=department, day=day),
             ("请核对预约信息",)),
        # The booking's last reply: what to bring (after 已为您约好 and its number).
        Step(CONFIRMATIONS[number % len(CONFIRMATIONS)], ("就诊请带好",)),
    ))


PRODUCT_SHARES = {"handbook": 30, "booking": 20, "preauth": 15, "health": 12,
                  "appointments": 6, "smalltalk": 13, "handoff": 4}
PRODUCT_POOLS = {"handbook": HANDBOOK, "preauth": PREAUTH, "health": HEALTH,
                 "appointments": APPOINTMENTS, "smalltalk": SMALLTALK, "handoff": HANDOFFS}

# ------------------------------------------------------------------ the stock assistant

STOCK = [
    Scenario("mood", (Step("hi", ("How are you",)), Step("i am sad", ("Did that help",)),
                      Step("yes", ("carry on",)))),
    Scenario("mood", (Step("hello there", ("How are you",)), Step("great", ("carry on",)))),
    Scenario("mood", (Step("good morning", ("How are you",)),
                      Step("i am very unhappy", ("Did that help",)),
                      Step("no", ("Bye",)))),
    one("bot", "are you a bot?", "I am a bot"),
    one("bye", "goodbye", "Bye"),
]


class Mix:
    """An endless, seeded sequence of scenarios in the given shares. `bookings` numbers
    the bookings: share one counter between the mixes of a run, so that its bookings
    spread over every clinic."""

    def __init__(self, shares: dict, pools: dict, seed: int = 14,
                 bookings: Optional[Iterator[int]] = None) -> None:
        self.kinds = list(shares)
        self.weights = [shares[k] for k in self.kinds]
        self.pools = pools
        self.rng = random.Random(seed)
        self.counters = {kind: itertools.count() for kind in self.kinds}
        self.bookings = bookings if bookings is not None else itertools.count()

    def draw(self, member: int = 0, earlier_bookings: int = 0) -> Scenario:
        """The next scenario, for load member `member` (its bookings so far: see
        `booking`)."""
        kind = self.rng.choices(self.kinds, self.weights)[0]
        number = next(self.counters[kind])
        if kind == "booking":
            return booking(next(self.bookings), member, earlier_bookings)
        pool: List[Scenario] = self.pools[kind]
        return pool[number % len(pool)]

    def __iter__(self) -> Iterator[Scenario]:
        return self

    def __next__(self) -> Scenario:
        return self.draw()


def product_mix(seed: int = 14, bookings: Optional[Iterator[int]] = None) -> Mix:
    return Mix(PRODUCT_SHARES, PRODUCT_POOLS, seed, bookings)


def stock_mix(seed: int = 14) -> Mix:
    return Mix({"stock": 1}, {"stock": STOCK}, seed)
