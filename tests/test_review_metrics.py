"""The review dashboard (审核看板): every figure of bot.review.metrics checked exactly on a
small fixed log in a database built by the gateway's migrations (SQLite and PostgreSQL),
then the page and its JSON over HTTP against a real gateway process: reviewers and
admins only, inline SVG charts, polite errors for bad dates."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Dict, Optional

import pytest
from sqlalchemy import select

from bot.clock import SHANGHAI
from bot.db import Database
from bot.gateway.models import Conversation, Handoff, Message, ReviewDecision, User
from bot.gateway.store import migrate
from bot.review import metrics
from bot.review.metrics import Period, PeriodError, Share
from tests.conftest import GatewayProcess

FIRST, LAST = date(2026, 11, 18), date(2026, 11, 24)  # Wednesday to Tuesday


def at(day: int, clock: str, month: int = 11) -> datetime:
    """A Shanghai time in November 2026: at(22, "10:01:10")."""
    hour, minute, *second = (int(part) for part in clock.split(":"))
    return datetime(2026, month, day, hour, minute, second[0] if second else 0,
                    tzinfo=SHANGHAI)


class Log:
    """Writes conversations as the gateway would have stored them."""

    def __init__(self, session) -> None:
        self.session = session
        self.ids: Dict[str, int] = {}  # member text -> message id (the first one)

    def conversation(self, channel: str, external_id: str) -> int:
        row = Conversation(channel=channel, external_id=external_id, state="bot",
                           created_at=at(1, "08:00"))
        self.session.add(row)
        self.session.flush()
        return row.id

    def member(self, conversation_id: int, when: datetime, text: str,
               intent: Optional[str]) -> int:
        row = Message(conversation_id=conversation_id, direction="in", author="member",
                      text=text, intent=intent, confidence=0.9 if intent else None,
                      routed_to="bot" if intent else "unrouted", created_at=when)
        self.session.add(row)
        self.session.flush()
        self.ids.setdefault(text, row.id)
        return row.id

    def reply(self, conversation_id: int, when: datetime, author: str, text: str) -> None:
        self.session.add(Message(conversation_id=conversation_id, direction="out",
                                 author=author, text=text, created_at=when))

    def handoff(self, conversation_id: int, reason: str, requested: datetime, within: bool,
                ended: Optional[datetime] = None, outcome: Optional[str] = None) -> None:
        self.session.add(Handoff(conversation_id=conversation_id, reason=reason, priority=1,
                                 requested_at=requested, within_hours=within,
                                 ended_at=ended, outcome=outcome))


def write_log(session, web: str = "web", wechat: str = "wechat") -> Dict[str, int]:
    """The fixed log (channel names can be changed for a shared database):

    web     c1  greet, book (20th); two fallbacks then a fallback handoff answered in
                240 s (22nd); a fallback again, handoff answered in 1800 s (24th)
    wechat  c2  request_human at 23:30 on the 21st (overnight, later superseded), again
                at 08:40 on the 22nd (answered in 600 s); a complaint on the 23rd never
                answered
    web     c3  an emergency at 23:50 on the 23rd (stored from UTC: a Shanghai day
                boundary), overnight handoff; a photo at 00:10 on the 24th (not parsed)
    web     c4  greet, network hospitals on the 24th; pre-auth handoff answered in 90 s
    wechat  c5  before the period only (greet and a handoff on 10 November)
    web     c6  service hours on the 21st, no handoff
    wechat  c7  thanks on the 20th, no handoff
    """
    log = Log(session)
    c1, c2, c3, c4, c5, c6, c7 = (log.conversation(channel, f"dash-{n}") for n, channel in
                                  enumerate([web, wechat, web, web, wechat, web, wechat], 1))
    log.member(c1, at(20, "09:00"), "你好", "greet")
    log.reply(c1, at(20, "09:00:05"), "bot", "您好！")
    log.member(c1, at(20, "09:01"), "我要预约", "book_appointment")
    log.member(c1, at(22, "10:00"), "看不懂", "nlu_fallback")
    log.member(c1, at(22, "10:01"), "还是不行", "nlu_fallback")
    log.handoff(c1, "fallback", at(22, "10:01:10"), True, at(22, "10:20"), "handed_back")
    log.reply(c1, at(22, "10:05:10"), "manager", "您好，我是您的私人健康管家王芳")
    log.reply(c1, at(22, "10:06"), "manager", "请问您想办理什么？")
    log.member(c1, at(24, "09:00"), "又不懂了", "nlu_fallback")
    log.handoff(c1, "fallback", at(24, "09:00:05"), True)
    log.reply(c1, at(24, "09:30:05"), "manager", "您好，我是您的私人健康管家李雷")

    log.member(c2, at(21, "23:30"), "我要找人工", "request_human")
    log.handoff(c2, "request_human", at(21, "23:30:05"), False, at(22, "08:40:05"),
                "superseded")
    log.reply(c2, at(21, "23:30:06"), "system", "现在是非工作时间")
    log.member(c2, at(22, "08:40"), "人呢", "request_human")
    log.handoff(c2, "request_human", at(22, "08:40:05"), True, at(22, "09:00"), "closed")
    log.reply(c2, at(22, "08:50:05"), "manager", "您好，我是您的私人健康管家王芳")
    log.member(c2, at(23, "15:00"), "我要投诉", "complaint")
    log.handoff(c2, "complaint", at(23, "15:00:05"), True)

    # 23:50 in Shanghai is 15:50 UTC: still the 23rd.
    log.member(c3, datetime(2026, 11, 23, 15, 50, tzinfo=timezone.utc), "胸口痛",
               "report_emergency")
    log.handoff(c3, "emergency", at(23, "23:50:05"), False)
    log.member(c3, at(24, "00:10"), "[图片]", None)

    later = log.member(c4, at(24, "11:00"), "你好", "greet")
    log.member(c4, at(24, "11:00:30"), "直付医院有哪些", "ask_network_hospitals")
    log.handoff(c4, "preauth_unknown", at(24, "11:02"), True)
    log.reply(c4, at(24, "11:03:30"), "manager", "您好，我是您的私人健康管家王芳")

    early = log.member(c5, at(10, "09:00"), "你好", "greet")
    log.handoff(c5, "request_human", at(10, "09:01"), True, at(10, "09:30"), "closed")
    log.reply(c5, at(10, "09:02"), "manager", "您好")

    log.member(c6, at(21, "10:00"), "服务时间是？", "ask_service_hours")
    log.member(c7, at(20, "14:00"), "谢谢", "thanks")
    session.flush()
    return {**log.ids, "early 你好": early, "later 你好": later}


@pytest.fixture
def gateway_db(empty_database: Database):
    """A gateway database (SQLite and PostgreSQL) migrated to head, with the log."""
    migrate(empty_database)
    with empty_database.writing() as session:
        ids = write_log(session)
    return empty_database, ids


def period(channel: Optional[str] = None, first: date = FIRST, last: date = LAST) -> Period:
    return Period(first, last, channel)


def per_channel(db: Database, figure) -> tuple:
    """A figure of the fixed week for all channels, for web and for wechat."""
    with db.reading() as session:
        return tuple(figure(session, period(channel)) for channel in (None, "web", "wechat"))


# ------------------------------------------------------------------ the figures


def test_messages_per_day_counts_member_messages_by_shanghai_day_with_empty_days(gateway_db):
    every, web, wechat = per_channel(gateway_db[0], metrics.messages_per_day)
    assert [d.day for d in every] == [date(2026, 11, n) for n in range(18, 25)]
    assert [d.messages for d in every] == [0, 0, 3, 2, 3, 2, 4]
    assert [d.messages for d in web] == [0, 0, 2, 1, 2, 1, 4]
    assert [d.messages for d in wechat] == [0, 0, 1, 1, 1, 1, 0]


def test_containment_is_the_share_of_active_conversations_without_a_handoff(gateway_db):
    db, _ = gateway_db
    with db.reading() as session:
        assert metrics.containment(session, period()) == Share(2, 6)  # c6, c7
        assert metrics.containment(session, period("web")) == Share(1, 4)  # c6
        assert metrics.containment(session, period("wechat")) == Share(1, 2)  # c7
        # the 20th and 21st: c2's overnight request was superseded, so not counted
        assert metrics.containment(session, period(first=date(2026, 11, 20),
                                                   last=date(2026, 11, 21))) == Share(4, 4)


def test_fallback_rate_counts_nlu_fallback_among_parsed_member_messages(gateway_db):
    every, _, wechat = per_channel(gateway_db[0], metrics.fallback_rate)
    assert every.share == Share(3, 13) and every.unparsed == 1  # the photo
    assert wechat.share == Share(0, 4) and wechat.share.rate == 0


def test_handoffs_by_reason_per_conversation_without_superseded_ones(gateway_db):
    every, _, wechat = per_channel(gateway_db[0], metrics.handoffs_by_reason)
    assert (every.conversations, every.total) == (6, 6)
    assert [(r.reason, r.count) for r in every.by_reason] == [
        ("fallback", 2), ("request_human", 1), ("emergency", 1), ("complaint", 1),
        ("preauth_unknown", 1), ("backend_failure", 0), ("health", 0), ("urgent_care", 0),
        ("crisis", 0)]
    assert every.by_reason[0].label == "连续两次未理解"
    assert every.by_reason[0].rate == pytest.approx(2 / 6)
    assert every.rate == 1.0
    assert [(r.reason, r.count) for r in wechat.by_reason if r.count] == [
        ("request_human", 1), ("complaint", 1)]
    assert wechat.rate == 1.0


def test_intent_distribution_keeps_the_top_intents_and_sums_the_rest(gateway_db):
    db, _ = gateway_db
    with db.reading() as session:
        top3 = metrics.intent_distribution(session, period(), top=3)
        default = metrics.intent_distribution(session, period())
    assert [(i.intent, i.count) for i in top3.top] == [
        ("nlu_fallback", 3), ("greet", 2), ("request_human", 2)]
    assert (top3.parsed, top3.other, top3.unparsed) == (13, 6, 1)
    assert top3.top[0].share == pytest.approx(3 / 13)
    assert top3.other_share == pytest.approx(6 / 13)
    assert [i.intent for i in default.top] == [
        "nlu_fallback", "greet", "request_human", "ask_network_hospitals", "ask_service_hours",
        "book_appointment", "complaint", "report_emergency"]
    assert default.other == 1  # thanks
    bars = metrics.intent_bars(top3)
    assert [(b.label, b.value) for b in bars] == [
        ("未能理解", 3), ("问候", 2), ("要求人工", 2), ("其他", 6)]  # the console's labels
    assert [(b.label, b.value, b.note) for b in bars][-1] == ("其他", 6, "46.2%")


def test_median_first_human_reply_within_hours_odd_and_even_counts(gateway_db):
    db, _ = gateway_db
    every, web, wechat = per_channel(db, metrics.first_human_reply)
    with db.reading() as session:
        nothing = metrics.first_human_reply(session, period(last=date(2026, 11, 19)))
    # 90, 240, 600, 1800 s: the mean of the middle two
    assert every == metrics.FirstReplies(420.0, 4, 1, 1)
    # 90, 240, 1800 s (c3's overnight emergency is not timed)
    assert web == metrics.FirstReplies(240.0, 3, 0, 1)
    # 600 s; the complaint still waits; the superseded overnight request is not counted
    assert wechat == metrics.FirstReplies(600.0, 1, 1, 0)
    assert nothing == metrics.FirstReplies(None, 0, 0, 0)


def write_decisions(session, ids: Dict[str, int]) -> None:
    """Reviewers' decisions on the log: what counts is each message's latest decision
    not undone, unless it is a skip."""
    reviewer = session.execute(select(User).where(User.username == "dash-reviewer")
                               ).scalar_one_or_none()
    if reviewer is None:
        reviewer = User(username="dash-reviewer", display_name="看板审核", role="reviewer",
                        password_hash="-", active=True, created_at=at(1, "08:00"))
        session.add(reviewer)
        session.flush()

    def decide(text: str, action: str, undone: bool = False) -> None:
        session.add(ReviewDecision(
            message_id=ids[text], text=text.split()[-1], user_id=reviewer.id,
            action=action, intent="greet" if action != "skip" else None,
            created_at=at(24, "12:00"), undone_at=at(24, "12:30") if undone else None))
        session.flush()  # ids in the order decided

    decide("later 你好", "accept")  # c4's: the group 你好 (c1's too) is reviewed
    decide("early 你好", "accept")  # before the week: counts for its own day only
    decide("看不懂", "relabel")
    decide("看不懂", "relabel")  # relabelled again: still one text
    decide("我要投诉", "accept", undone=True)  # undone: not reviewed
    decide("谢谢", "skip")  # put aside: not reviewed
    decide("人呢", "accept")
    decide("人呢", "skip")  # the latest decision is a skip
    decide("还是不行", "accept")
    decide("还是不行", "relabel", undone=True)  # the accept counts again


def test_reviewed_share_counts_the_inbox_groups_whose_decision_is_not_a_skip(gateway_db):
    db, ids = gateway_db
    with db.writing() as session:
        write_decisions(session, ids)
    every, web, wechat = per_channel(db, metrics.reviewed_share)
    # 12 parsed texts (你好 twice, the photo not parsed): 你好, 看不懂, 还是不行
    assert (every, web, wechat) == (Share(3, 12), Share(3, 8), Share(0, 4))
    with db.reading() as session:
        assert metrics.dashboard(session, period()).reviewed == Share(3, 12)
        assert metrics.reviewed_share(session, period(first=date(2026, 11, 10),
                                                      last=date(2026, 11, 10))) == Share(1, 1)
        empty = metrics.reviewed_share(session, period(last=date(2026, 11, 18)))
    assert empty == Share(0, 0) and empty.rate is None


def test_an_empty_period_has_zeros_and_no_rates(gateway_db):
    db, _ = gateway_db
    with db.reading() as session:
        board = metrics.dashboard(session, Period(date(2026, 10, 1), date(2026, 10, 3)))
    data = metrics.as_json(board)
    assert data["messages_per_day"] == [{"date": f"2026-10-0{n}", "messages": 0}
                                        for n in (1, 2, 3)]
    assert data["containment"] == {"contained": 0, "conversations": 0, "rate": None}
    assert data["fallback"]["rate"] is None and data["handoffs"]["rate"] is None
    assert data["intents"] == {"parsed": 0, "unparsed": 0, "top": [], "other": 0}
    assert data["first_human_reply"]["median_seconds"] is None


# ------------------------------------------------------------------ periods and labels


@pytest.mark.parametrize("first, last, channel, expected", [
    (None, None, None, Period(date(2026, 11, 11), date(2026, 11, 24))),
    ("", " ", "", Period(date(2026, 11, 11), date(2026, 11, 24))),
    ("2026-11-01", "2026-11-03", "wechat", Period(date(2026, 11, 1), date(2026, 11, 3), "wechat")),
    (None, "2026-11-20", None, Period(date(2026, 11, 7), date(2026, 11, 20))),
    ("2026-11-24", "2026-11-24", None, Period(date(2026, 11, 24), date(2026, 11, 24))),
    ("2025-11-24", "2026-11-24", None, Period(date(2025, 11, 24), date(2026, 11, 24))),  # 366
])
def test_a_period_defaults_to_the_last_14_days_to_today(first, last, channel, expected):
    assert metrics.parse_period(first, last, channel, date(2026, 11, 24)) == expected


@pytest.mark.parametrize("first, last, channel, key", [
    ("2026-13-01", None, None, "bad_date"),
    ("yesterday", None, None, "bad_date"),
    ("2026-11-25", "2026-11-24", None, "reversed"),
    ("2025-11-23", "2026-11-24", None, "too_long"),
    (None, None, "<script>", "bad_channel"),
    (None, None, "w" * 21, "bad_channel"),
])
def test_a_bad_period_says_why_in_chinese(first, last, channel, key):
    with pytest.raises(PeriodError) as raised:
        metrics.parse_period(first, last, channel, date(2026, 11, 24))
    assert raised.value.key == key
    assert raised.value.message == metrics.PERIOD_ERRORS[key]


@pytest.mark.parametrize("seconds, shown", [
    (None, "—"), (0, "0秒"), (45, "45秒"), (59.6, "1分钟"), (270, "4分30秒"), (420.0, "7分钟"),
    (3600, "1小时"), (3900, "1小时5分"),
])
def test_durations_read_as_chinese_minutes_and_seconds(seconds, shown):
    assert metrics.duration(seconds) == shown


@pytest.mark.parametrize("rate, shown", [(None, "—"), (0, "0.0%"), (2 / 3, "66.7%"), (1, "100.0%")])
def test_rates_read_as_percentages(rate, shown):
    assert metrics.percent(rate) == shown


# ------------------------------------------------------------------ over HTTP

DASH_WEB, DASH_WECHAT = "dashweb", "dashwx"  # channels of their own in the shared gateway
PAGE = "/console/review/dashboard"
API = "/console/api/review/metrics"
WEEK = "from=2026-11-18&to=2026-11-24"


@pytest.fixture(scope="module")
def dashboard_gateway(console_gateway: GatewayProcess) -> GatewayProcess:
    db = Database.from_url(console_gateway.db_url)
    try:
        with db.writing() as session:
            write_decisions(session, write_log(session, web=DASH_WEB, wechat=DASH_WECHAT))
    finally:
        db.dispose()
    return console_gateway


def day_values(page: str) -> list:
    return [int(v) for v in re.findall(r'<g class="day" data-date="[^"]+" data-value="(\d+)"',
                                       page)]


def test_a_reviewer_sees_the_charts_as_inline_svg(dashboard_gateway):
    zhao = dashboard_gateway.console("zhao")
    answer = zhao.get(f"{PAGE}?{WEEK}&channel={DASH_WEB}")
    assert answer.status_code == 200
    page = answer.text
    assert '<a href="/console/review/dashboard">审核看板</a>' in page
    assert '<title id="days-title">每日会员消息数</title>' in page
    assert "2026-11-18至2026-11-24共10条会员消息，最多的一天是11-24（4条）。" in page
    assert day_values(page) == [0, 0, 2, 1, 2, 1, 4]
    assert 'id="chart-reasons"' in page and 'id="chart-intents"' in page
    assert 'data-label="连续两次未理解" data-value="2"' in page
    assert "2次 · 50.0%" in page  # two fallback handoffs in four conversations
    assert 'data-label="未能理解" data-value="3"' in page
    figures = dict(re.findall(r'<div class="figure" id="([^"]+)">.*?<div class="value">([^<]*)<',
                              page, re.S))
    assert figures == {"fig-messages": "10条", "fig-containment": "25.0%",
                       "fig-fallback": "33.3%", "fig-handoffs": "100.0%",
                       "fig-first-reply": "4分钟", "fig-reviewed": "37.5%"}
    assert "8条不重复消息中3条已审核" in page
    assert f'<option value="{DASH_WEB}" selected>' in page
    # the page's Content-Security-Policy allows no inline script or style
    assert "<script>" not in page and "style=" not in page and "<style" not in page


def test_the_dashboard_defaults_to_the_last_14_days(dashboard_gateway):
    page = dashboard_gateway.console("boss").get(PAGE).text
    assert 'name="from" value="2026-11-11"' in page and 'name="to" value="2026-11-24"' in page
    assert len(day_values(page)) == 14
    data = dashboard_gateway.console("zhao").get(API).json()
    assert data["period"] == {"from": "2026-11-11", "to": "2026-11-24", "channel": None}


def test_managers_get_the_usual_forbidden_answer_and_no_link(dashboard_gateway):
    wang = dashboard_gateway.console("wang")
    answer = wang.get(PAGE)
    assert answer.status_code == 403
    assert answer.text == "您的角色没有权限执行此操作。"
    assert wang.get(API).status_code == 403
    assert wang.get(API).json()["message"] == "您的角色没有权限执行此操作。"
    assert "审核看板" not in wang.get("/console/").text
    assert "审核看板" in dashboard_gateway.console("boss").get("/console/").text


def test_the_dashboard_needs_a_login(dashboard_gateway):
    import requests

    page = requests.get(dashboard_gateway.url + PAGE, allow_redirects=False, timeout=10)
    assert page.status_code == 302 and page.headers["Location"].startswith("/console/login")
    api = requests.get(dashboard_gateway.url + API, allow_redirects=False, timeout=10)
    assert api.status_code == 401


def test_the_metrics_json_has_every_figure(dashboard_gateway):
    data = dashboard_gateway.console("zhao").get(f"{API}?{WEEK}&channel={DASH_WECHAT}").json()
    assert data == {
        "period": {"from": "2026-11-18", "to": "2026-11-24", "channel": DASH_WECHAT},
        "member_messages": 4,
        "messages_per_day": [{"date": f"2026-11-{n}", "messages": v}
                             for n, v in zip(range(18, 25), [0, 0, 1, 1, 1, 1, 0])],
        "containment": {"contained": 1, "conversations": 2, "rate": 0.5},
        "fallback": {"fallbacks": 0, "parsed": 4, "rate": 0.0, "unparsed": 0},
        "handoffs": {"conversations": 2, "total": 2, "rate": 1.0, "by_reason": [
            {"reason": "request_human", "label": "会员要求人工", "count": 1, "rate": 0.5},
            {"reason": "complaint", "label": "投诉", "count": 1, "rate": 0.5},
            {"reason": "fallback", "label": "连续两次未理解", "count": 0, "rate": 0.0},
            {"reason": "emergency", "label": "紧急情况", "count": 0, "rate": 0.0},
            {"reason": "preauth_unknown", "label": "预授权项目待判断", "count": 0, "rate": 0.0},
            {"reason": "backend_failure", "label": "系统故障", "count": 0, "rate": 0.0},
            {"reason": "health", "label": "健康咨询", "count": 0, "rate": 0.0},
            {"reason": "urgent_care", "label": "需当天就医", "count": 0, "rate": 0.0},
            {"reason": "crisis", "label": "心理危机", "count": 0, "rate": 0.0}]},
        "intents": {"parsed": 4, "unparsed": 0, "other": 0, "top": [
            {"intent": "request_human", "count": 2, "share": 0.5},
            {"intent": "complaint", "count": 1, "share": 0.25},
            {"intent": "thanks", "count": 1, "share": 0.25}]},
        "first_human_reply": {"median_seconds": 600.0, "answered": 1, "unanswered": 1,
                              "out_of_hours": 0},
        "reviewed": {"reviewed": 0, "unique_messages": 4, "rate": 0.0},
    }


@pytest.mark.parametrize("query, message", [
    ("from=2026-13-01&to=2026-11-24", "日期格式不正确，请按“年-月-日”填写，例如2026-11-24。"),
    ("from=2026-11-25&to=2026-11-24", "开始日期不能晚于结束日期。"),
    ("from=2020-01-01&to=2026-11-24", "时间范围最长366天，请缩小范围。"),
    ("channel=%3Cscript%3E", "渠道名称无效。"),
])
def test_a_bad_period_gets_a_polite_chinese_answer_not_an_error(dashboard_gateway, query,
                                                                 message):
    zhao = dashboard_gateway.console("zhao")
    page = zhao.get(f"{PAGE}?{query}")
    assert page.status_code == 400
    assert f'<p class="notice error" id="dashboard-error" role="alert">{message}</p>' in page.text
    assert "<svg" not in page.text and "<script>" not in page.text
    api = zhao.get(f"{API}?{query}")
    assert api.status_code == 400
    assert api.json()["message"] == message


def test_a_period_without_messages_shows_an_empty_state(dashboard_gateway):
    page = dashboard_gateway.console("zhao").get(
        f"{PAGE}?from=2025-01-01&to=2025-01-07&channel={DASH_WEB}").text
    assert "所选时间内没有会员消息，暂无图表。" in page
    assert 'class="chart' not in page
    assert '<div class="value">—</div>' in page  # rates with nothing to divide
