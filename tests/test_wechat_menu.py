"""The account's custom menu (bot/gateway/channels/wechat/menu.py): it fits WeChat's
limits and puts a person one tap away, its keys are intents the bot knows, the keys of
an earlier version's menu still work, `python -m bot.gateway wechat-menu` creates it in
WeChat (the simulator), and a tap reaches the bot as its button's intent through a real
gateway (a stand-in Rasa records what it is sent: no trained model needed)."""
from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import yaml
from aiohttp import web

from bot.gateway.__main__ import main
from bot.gateway.channels.wechat import menu
from bot.gateway.channels.wechat.settings import DEFAULT_MENU_INTENTS, WeChatSettings
from bot.processes import ROOT
from bot.wechat_simulator import NotInMenu, WeChatSimulator
from bot.wechat_simulator.runner import ThreadedApp
from tests.conftest import TEST_NOW, Backends, GatewayProcess, start_gateway, wait_for

APP_ID = "wx5e1a7ed0c0de0015"
SECRET = "menu-test-secret"
TOKEN = "menu-test-token"
NOW = datetime.fromisoformat(TEST_NOW).timestamp()


def wechat_env(sim: WeChatSimulator) -> Dict[str, str]:
    return {"HM_WECHAT_TOKEN": TOKEN, "HM_WECHAT_APPID": APP_ID,
            "HM_WECHAT_APPSECRET": SECRET, "HM_WECHAT_MODE": "plaintext",
            "HM_WECHAT_API_BASE": sim.url}


@pytest.fixture
def sim() -> Iterator[WeChatSimulator]:
    with WeChatSimulator(app_id=APP_ID, app_secret=SECRET, token=TOKEN, now=NOW) as simulator:
        yield simulator


@pytest.fixture
def configured(sim: WeChatSimulator, monkeypatch: pytest.MonkeyPatch) -> WeChatSimulator:
    """The command's environment pointing at the simulator (the token in this process)."""
    for name, value in wechat_env(sim).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("HM_REDIS_URL", raising=False)
    return sim


def key_of(name: str) -> str:
    return next(b["key"] for b in menu.buttons(menu.MENU) if b["name"] == name)


# ------------------------------------------------------------------ the definition

def test_the_menu_fits_wechats_limits_and_a_person_is_one_tap_away() -> None:
    assert menu.problems(menu.MENU) == []
    top = [b["name"] for b in menu.MENU["button"]]
    assert top[:2] == ["转人工", "预约"] and len(top) == 3
    assert {"预授权", "常见问题"} == {b["name"] for b in menu.MENU["button"][2]["sub_button"]}
    assert {name: key_of(name) for name in ("转人工", "预约", "预授权", "常见问题")} == {
        "转人工": "request_human", "预约": "book_appointment",
        "预授权": "ask_preauth_required", "常见问题": "greet"}


def _broken(change) -> Dict[str, Any]:
    broken = copy.deepcopy(menu.MENU)
    change(broken["button"])
    return broken


@pytest.mark.parametrize("change, problem", [
    (lambda b: b.append(menu.click("四", "goodbye")), "1-3 top-level buttons"),
    (lambda b: b[0].update(name="转接人工客服"), "1-16 UTF-8 bytes"),  # 18 bytes
    (lambda b: b[0].update(name="转接人工"), None),  # 12 bytes, 4 characters: fits
    (lambda b: b[0].update(name="转人工服务"), "shown cut short"),  # 15 bytes, 5 characters
    (lambda b: b[2]["sub_button"][0].update(name="预授权申请和材料说明"), "shown cut short"),
    (lambda b: b[2]["sub_button"].extend([menu.click(str(i), f"k{i}") for i in range(4)]),
     "at most 5 sub-buttons"),
    (lambda b: b[1].update(key="k" * 129), "1-128 UTF-8 bytes"),
    (lambda b: b[1].update(type="miniprogram"), "the type must be one of"),
    (lambda b: b[1].update(type="view", url="ftp://example.com"), "http(s) URL"),
    (lambda b: b[1].update(key="request_human"), "'request_human' is used twice"),
])
def test_the_check_names_what_wechat_would_refuse_or_cut_short(change, problem) -> None:
    found = menu.problems(_broken(change))
    assert (found == []) if problem is None else (problem in "; ".join(found)), found


def _domain_intents() -> set:
    intents = set()
    for path in Path(ROOT, "domain").glob("*.yml"):
        for entry in yaml.safe_load(path.read_text("utf-8")).get("intents") or []:
            intents.add(entry if isinstance(entry, str) else next(iter(entry)))
    return intents


def test_every_key_is_an_intent_the_bot_knows_and_earlier_keys_still_work() -> None:
    assert set(DEFAULT_MENU_INTENTS.values()) <= _domain_intents()
    assert {key_of(name) for name in ("转人工", "预约", "预授权", "常见问题")} <= set(
        DEFAULT_MENU_INTENTS)
    assert {k: DEFAULT_MENU_INTENTS[k] for k in ("预约就诊", "预授权", "联系管家")} == {
        "预约就诊": "book_appointment", "预授权": "ask_preauth_required",
        "联系管家": "request_human"}
    settings = WeChatSettings.from_env({
        "HM_WECHAT_TOKEN": "t", "HM_WECHAT_APPID": APP_ID, "HM_WECHAT_MODE": "plaintext",
        "HM_WECHAT_MENU_INTENTS": '{"体检": "book_appointment"}'})
    assert settings.menu_intents == {**DEFAULT_MENU_INTENTS, "体检": "book_appointment"}


# ------------------------------------------------------------------ the command

def test_the_command_creates_the_menu_in_wechat(configured: WeChatSimulator, capsys) -> None:
    assert main(["wechat-menu"]) == 0
    assert "WeChat menu created: 转人工 | 预约 | 更多 (预授权, 常见问题)" in capsys.readouterr().out
    created = [c for c in configured.calls if c.path == "/cgi-bin/menu/create"]
    assert [c.errcode for c in created] == [0] and created[0].body == menu.MENU
    assert [b["name"] for b in configured.menu()] == ["转人工", "预约", "更多"]
    assert main(["wechat-menu"]) == 0  # again: the same menu, replaced


def test_the_command_needs_the_wechat_settings(configured: WeChatSimulator, monkeypatch,
                                               capsys) -> None:
    monkeypatch.delenv("HM_WECHAT_APPSECRET")
    assert main(["wechat-menu"]) == 2
    assert "HM_WECHAT_APPSECRET" in capsys.readouterr().err
    monkeypatch.delenv("HM_WECHAT_TOKEN")
    assert main(["wechat-menu"]) == 2
    assert configured.calls == []


def test_a_refusal_shows_wechats_code_and_message_never_the_secret_or_token(
        configured: WeChatSimulator, capsys) -> None:
    configured.fail_next("menu/create", errcode=40018)
    assert main(["wechat-menu"]) == 1
    out, err = capsys.readouterr()
    assert "WeChat refused the menu: 40018 invalid button name size" in err
    token = configured.account.current["stable"].value
    assert SECRET not in out + err and token not in out + err
    assert configured.menu() is None


# ------------------------------------------------------------------ a tap, through the gateway

class StandInRasa:
    """Rasa's REST channel as the gateway calls it: records each message, answers one
    reply naming it."""

    def __init__(self) -> None:
        self.received: List[Dict[str, Any]] = []
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self.webhook)
        app.router.add_get("/version", self.version)
        self.server = ThreadedApp(app)
        self.url = self.server.start()

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        return web.json_response({"messages": [{"text": f"收到{body['message']}"}],
                                  "understanding": None})

    async def version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "3.6.21"})


@pytest.fixture(scope="module")
def tapping(backends_server: Backends
            ) -> Iterator[Tuple[WeChatSimulator, StandInRasa, GatewayProcess]]:
    """WeChat (the simulator) in front of a real gateway in plaintext mode, whose Rasa
    is the stand-in; the menu created by the command."""
    rasa = StandInRasa()
    sim = WeChatSimulator(app_id=APP_ID, app_secret=SECRET, token=TOKEN, now=NOW)
    sim.start()
    gateway: GatewayProcess = start_gateway("gateway-wechat-menu", rasa.url, backends_server,
                                            env=wechat_env(sim))
    sim.callback_url = f"{gateway.url}/wechat"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in wechat_env(sim).items():
            patch.setenv(name, value)
        patch.delenv("HM_REDIS_URL", raising=False)
        assert main(["wechat-menu"]) == 0
    yield sim, rasa, gateway
    gateway.server.stop()
    sim.stop()
    rasa.server.stop()


@pytest.mark.parametrize("name, intent", [("转人工", "request_human"), ("常见问题", "greet")],
                         ids=["request_human", "greet"])
def test_a_tap_reaches_the_bot_as_its_buttons_intent_and_the_reply_the_member(
        tapping, name: str, intent: str) -> None:
    sim, rasa, _ = tapping
    openid = f"oMenuTap_{intent}"
    sim.add_member(openid)
    assert sim.click(openid, key_of(name)).outcome == "accepted"
    sent = wait_for(lambda: [r for r in rasa.received if r["sender"] == f"wechat:{openid}"])
    assert [r["message"] for r in sent] == [f"/{intent}"]
    # The tap opened 1 minute with 3 messages: the bot's reply was delivered in it.
    assert wait_for(lambda: sim.inbox(openid))[0]["text"]["content"] == f"收到/{intent}"


def test_a_tap_on_a_key_the_created_menu_lacks_never_reaches_the_gateway(tapping) -> None:
    sim, rasa, _ = tapping
    sim.add_member("oMenuStale")
    posted = len(sim.deliveries)
    for key in ("联系管家", "no_such_button"):
        with pytest.raises(NotInMenu):
            sim.click("oMenuStale", key)
    assert len(sim.deliveries) == posted
    assert not [r for r in rasa.received if r["sender"] == "wechat:oMenuStale"]


def test_satisfaction_on_wechat_numbered_lines_and_a_digit(tapping) -> None:
    """满意度 on WeChat: after the manager closes, the member reads the survey as numbered
    lines in the reply window and answers with a digit, which the gateway records."""
    from bot.clock import Clock
    from bot.db import Database
    from bot.gateway import queue as gateway_queue
    from bot.gateway.models import Conversation, Survey
    from tests.conftest import CONSOLE_PASSWORD, TEST_NOW, ConsoleUser

    sim, rasa, gateway = tapping
    openid = "oSurveyed"
    sim.add_member(openid)
    assert sim.send_text(openid, "直付卡怎么开通").outcome == "accepted"
    assert wait_for(lambda: sim.inbox(openid))                    # the bot answered
    db = Database.from_url(gateway.db_url)
    try:
        with db.writing() as session:                             # then a person is asked for
            conversation = session.query(Conversation).filter_by(external_id=openid).one()
            gateway_queue.enqueue(session, conversation.id, "request_human", 1,
                                  Clock.from_env({"HM_NOW": TEST_NOW}).now())
            conversation_id = conversation.id
        wang = ConsoleUser(gateway.url)
        wang.login("wang", CONSOLE_PASSWORD)
        path = f"/console/conversations/{conversation_id}"
        assert wang.post(path + "/claim").json()["ok"]
        assert wang.post(path + "/reply", {"text": "在公众号里就能开通。"}).json()["ok"]
        assert wang.post(path + "/close").json()["ok"]

        def texts() -> List[str]:
            return [(m.get("text") or {}).get("content", "") for m in sim.inbox(openid)]

        survey = wait_for(lambda: [t for t in texts() if "满意吗" in t])
        assert survey and "1" in survey[-1] and "非常满意" in survey[-1], texts()
        assert sim.send_text(openid, "1").outcome == "accepted"
        assert wait_for(lambda: [t for t in texts() if "感谢您的评价" in t]), texts()
        with db.reading() as session:
            [answered] = session.query(Survey).filter_by(conversation_id=conversation_id).all()
            assert answered.rating == 1
        assert all(r["message"] != "1" for r in rasa.received)       # never the bot's
    finally:
        db.dispose()
