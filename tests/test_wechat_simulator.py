"""The WeChat simulator against WeChat's documents: its encryption reproduces the
published vectors byte for byte (../shared/wechat), wechatpy (our receiver's library)
and our protocol module read what it posts, and its API answers the documented codes
for tokens, reply windows, quotas, typing, templates, media and the custom menu.
Callbacks go to little aiohttp servers started here, with a short deadline (0.5 s) to
stay fast."""
from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Optional

import pytest
import requests
from aiohttp import web
from wechatpy.crypto import WeChatCrypto

from bot.gateway.channels.wechat import protocol
from bot.processes import ROOT, free_port
from bot.wait_http import wait_http
from bot.wechat_simulator import (
    BANNER,
    Limits,
    NotFollowing,
    NotInMenu,
    SimulatorError,
    WeChatSimulator,
)
from bot.wechat_simulator import crypto, messages
from bot.wechat_simulator.runner import ThreadedApp
from bot.wechat_simulator.server import DEFAULT_ORIGINAL_ID
from tests.conftest import SHARED_DIR, TEST_NOW

SHARED = SHARED_DIR / "wechat"
if not SHARED.is_dir():
    pytest.skip(f"{SHARED} is absent: set HM_SHARED_DIR to the shared folder",
                allow_module_level=True)
VECTORS = {v["id"]: v for v in
           json.loads((SHARED / "crypto_vectors.json").read_text("utf-8"))["vectors"]}
APP_ID = "wx0123456789abcdef"
SECRET = "simulator-test-secret"
TOKEN = "simulator-test-token"
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
# Tuesday 10:00 in Beijing: the quota day is far from its end.
NOW = datetime.fromisoformat(TEST_NOW).timestamp()
TEMPLATE = "tmpl-appointment-reminder"
MEMBER = "oMember0000000000000000000001"
SHORT_DEADLINE = 0.5


def payload(name: str) -> bytes:
    return (SHARED / "messages" / name).read_bytes().split(b"\n", 1)[1]


# ------------------------------------------------------------------ fixtures

@dataclass
class Received:
    query: Dict[str, str]
    query_string: str
    body: bytes


Respond = Callable[[Received, int], Awaitable[web.StreamResponse]]


class CallbackServer:
    """Our server's stand-in: records every POST and answers with `respond`."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.received: List[Received] = []
        self.running = 0
        self.most_at_once = 0
        app = web.Application()
        app.router.add_post("/wechat", self.handle)
        self.server = ThreadedApp(app)
        self.url = self.server.start() + "/wechat"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        received = Received(dict(request.query), request.query_string, await request.read())
        self.received.append(received)
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            return await self.respond(received, len(self.received) - 1)
        finally:
            self.running -= 1


async def success(received: Received, index: int) -> web.Response:
    return web.Response(text="success")


@pytest.fixture
def servers() -> Iterator[List[Any]]:
    started: List[Any] = []
    yield started
    for server in started:
        (server.server if isinstance(server, CallbackServer) else server).stop()


@pytest.fixture
def callback(servers: List[Any]) -> Callable[[Respond], CallbackServer]:
    def start(respond: Respond = success) -> CallbackServer:
        server = CallbackServer(respond)
        servers.append(server)
        return server
    return start


@pytest.fixture
def simulator(servers: List[Any]) -> Callable[..., WeChatSimulator]:
    def start(**options: Any) -> WeChatSimulator:
        settings = dict(app_id=APP_ID, app_secret=SECRET, token=TOKEN, now=NOW,
                        callback_timeout=SHORT_DEADLINE, template_ids=[TEMPLATE])
        settings.update(options)
        sim = WeChatSimulator(**settings)
        sim.start()
        servers.append(sim)
        return sim
    return start


@pytest.fixture
def sim(simulator) -> WeChatSimulator:
    """No callback URL: member actions change the state and post nothing."""
    return simulator()


# ------------------------------------------------------------------ API helpers

def stable_token(sim: WeChatSimulator, force: bool = False, appid: str = APP_ID,
                 secret: str = SECRET) -> Dict[str, Any]:
    return requests.post(f"{sim.url}/cgi-bin/stable_token", timeout=5, json={
        "grant_type": "client_credential", "appid": appid, "secret": secret,
        "force_refresh": force}).json()


def classic_token(sim: WeChatSimulator, appid: str = APP_ID,
                  secret: str = SECRET) -> Dict[str, Any]:
    return requests.get(f"{sim.url}/cgi-bin/token", timeout=5, params={
        "grant_type": "client_credential", "appid": appid, "secret": secret}).json()


def token(sim: WeChatSimulator) -> str:
    return stable_token(sim)["access_token"]


def post(sim: WeChatSimulator, path: str, access_token: Optional[str], body: Any = None,
         raw: Optional[bytes] = None, timeout: float = 5) -> Dict[str, Any]:
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    params = {"access_token": access_token} if access_token is not None else {}
    return requests.post(f"{sim.url}/cgi-bin/{path}", params=params, data=data,
                         timeout=timeout).json()


def send(sim: WeChatSimulator, access_token: str, message: Dict[str, Any],
         **kwargs: Any) -> int:
    return post(sim, "message/custom/send", access_token, message, **kwargs)["errcode"]


def text(content: str, openid: str = MEMBER) -> Dict[str, Any]:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


def typing(sim: WeChatSimulator, access_token: str, command: str = "Typing",
           openid: str = MEMBER) -> int:
    return post(sim, "message/custom/typing", access_token,
                {"touser": openid, "command": command})["errcode"]


def probe(sim: WeChatSimulator, access_token: Optional[str]) -> int:
    """What the API says of a token: 40007 (unknown media) means the token was good."""
    params = {"media_id": "no-such-media"}
    if access_token is not None:
        params["access_token"] = access_token
    return requests.get(f"{sim.url}/cgi-bin/media/get", params=params, timeout=5) \
        .json()["errcode"]


def template(openid: str = MEMBER, template_id: str = TEMPLATE,
             client_msg_id: Optional[str] = None) -> Dict[str, Any]:
    body = {"touser": openid, "template_id": template_id, "url": "https://example.com/b/1",
            "data": {"thing1": {"value": "复诊提醒"}, "time2": {"value": "2026-11-25 09:30"}}}
    if client_msg_id:
        body["client_msg_id"] = client_msg_id
    return body


def control_overview(sim: WeChatSimulator) -> Dict[str, Any]:
    return requests.get(f"{sim.url}/_sim/", timeout=5).json()


# ------------------------------------------------------------------ encryption

@pytest.mark.parametrize("vector_id", ["tencent-java-test-aes-encrypt-1",
                                       "tencent-java-test-aes-encrypt-2"])
def test_encryption_with_fixed_random_bytes_matches_tencents_vectors(vector_id: str) -> None:
    vector = VECTORS[vector_id]
    encrypted = crypto.encrypt(crypto.aes_key(vector["encoding_aes_key"]), vector["receive_id"],
                               vector["plaintext"].encode("utf-8"),
                               vector["random"].encode("ascii"))
    assert encrypted == vector["expected_encrypt"]


def test_encryption_matches_the_published_encrypted_replies() -> None:
    push = VECTORS["oplatform-doc-message-push-safe-mode"]
    reply = push["reply"]
    encrypted = crypto.encrypt(crypto.aes_key(push["encoding_aes_key"]), push["receive_id"],
                               reply["plaintext"].encode(), reply["random"].encode())
    assert encrypted == reply["encrypt"]
    assert crypto.sha1_signature(push["token"], reply["timestamp"], reply["nonce"],
                                 encrypted) == reply["msg_signature"]
    work = VECTORS["wechatpy-work-crypto-encrypt-fixed-random"]
    encrypted = crypto.encrypt(crypto.aes_key(work["encoding_aes_key"]), work["receive_id"],
                               work["plaintext"].encode(), work["random"].encode())
    assert f"<Encrypt><![CDATA[{encrypted}]]></Encrypt>" in work["expected_xml"]


@pytest.mark.parametrize("vector_id", [i for i, v in VECTORS.items() if v["kind"] == "decrypt"])
def test_decryption_reads_the_published_ciphertexts(vector_id: str) -> None:
    vector = VECTORS[vector_id]
    plain = crypto.decrypt_for(crypto.aes_key(vector["encoding_aes_key"]),
                               vector["receive_id"], vector["encrypt"])
    assert plain.decode("utf-8") == vector["derived_plaintext"]
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt_for(crypto.aes_key(vector["encoding_aes_key"]), "wxOtherApp",
                           vector["encrypt"])


def test_a_safe_mode_callback_is_the_published_request_byte_for_byte(
        simulator, callback) -> None:
    push = VECTORS["oplatform-doc-message-push-safe-mode"]
    request, query = push["request"], push["request"]["query"]
    receiver = callback()
    sim = simulator(app_id=push["receive_id"], token=push["token"], mode="safe",
                    encoding_aes_key=push["encoding_aes_key"], callback_url=receiver.url,
                    original_id="gh_97417a04a28d", now=int(query["timestamp"]))
    sim.deliver({"FromUserName": query["openid"], "CreateTime": int(query["timestamp"]),
                 "MsgType": "event", "Event": "debug_demo", "debug_str": "hello world"},
                nonce=query["nonce"], random=push["expected"]["random"].encode(),
                timestamp=int(query["timestamp"]))
    [posted] = receiver.received
    assert posted.body == request["body"].encode("utf-8")
    assert posted.query == query
    assert posted.query_string == request["url"].split("?", 1)[1]


def test_a_compatible_mode_callback_is_tencents_sample_byte_for_byte(
        simulator, callback) -> None:
    sample = VECTORS["tencent-sample-python-compat-mode-decrypt"]
    receiver = callback()
    sim = simulator(app_id=sample["receive_id"], token=sample["token"], mode="compatible",
                    encoding_aes_key=sample["encoding_aes_key"], callback_url=receiver.url,
                    original_id="gh_10f6c3c3ac5a")
    sim.deliver({"FromUserName": "oyORnuP8q7ou2gfYjqLzSIWZf0rs", "CreateTime": 1409735668,
                 "MsgType": "text", "Content": "abcdteT", "MsgId": 6054768590064713728},
                nonce=sample["nonce"], random=sample["derived_random"].encode(),
                timestamp=int(sample["timestamp"]))
    [posted] = receiver.received
    assert posted.body == sample["body"].encode("utf-8")
    assert posted.body == payload("encrypted_compat_mode.xml")
    assert posted.query["msg_signature"] == sample["msg_signature"]


@pytest.mark.parametrize("mode", ["compatible", "safe"])
def test_wechatpy_and_our_protocol_module_read_what_the_simulator_posts(
        simulator, callback, mode: str) -> None:
    receiver = callback()
    sim = simulator(mode=mode, encoding_aes_key=KEY, callback_url=receiver.url)
    sim.follow(MEMBER)
    delivery = sim.send_text(MEMBER, "我想预约复诊 ]]> <b>&amp;")
    posted = receiver.received[-1]
    q = posted.query
    assert set(q) == {"signature", "timestamp", "nonce", "openid", "encrypt_type",
                      "msg_signature"}
    assert q["encrypt_type"] == "aes" and q["openid"] == MEMBER
    assert q["signature"] == protocol.url_signature(TOKEN, q["timestamp"], q["nonce"])
    encrypt = protocol.envelope_encrypt(posted.body)
    assert q["msg_signature"] == protocol.message_signature(TOKEN, q["timestamp"], q["nonce"],
                                                            encrypt)
    plain = WeChatCrypto(TOKEN, KEY, APP_ID).decrypt_message(
        posted.body, q["msg_signature"], q["timestamp"], q["nonce"])
    assert plain.encode("utf-8") == delivery.xml
    inbound = protocol.parse_inbound(delivery.xml)
    assert inbound.fields["Content"] == "我想预约复诊 ]]> <b>&amp;"
    assert inbound.msg_id == str(delivery.msg_id)
    if mode == "safe":
        assert set(protocol.parse_xml(posted.body)) == {"ToUserName", "Encrypt"}
    else:
        assert protocol.parse_xml(posted.body)["Content"] == "我想预约复诊 ]]> <b>&amp;"


# ------------------------------------------------------------------ what members post

def _children(xml: bytes) -> List[tuple]:
    """(tag, written as CDATA) of each child, in order."""
    body = xml.decode("utf-8").split("<xml>", 1)[1]
    return [(tag, bool(cdata)) for tag, cdata in re.findall(r"<(\w+)>(<!\[CDATA\[)?", body)]


@pytest.mark.parametrize("sample, action, params", [
    ("text.xml", "send_text", {"text": "this is a test"}),
    ("image.xml", "send_image", {}),
    ("voice.xml", "send_voice", {}),
    ("voice_recognition.xml", "send_voice", {"recognition": "腾讯微信团队"}),
    ("location.xml", "send_location", {"x": 23.134521, "y": 113.358803, "label": "位置信息"}),
    ("link.xml", "send_link", {"title": "t", "description": "d", "url": "u"}),
    ("event_click.xml", "click", {"key": "预约就诊"}),
    ("event_view.xml", "view", {"url": "https://example.com"}),
    ("event_view_menuid.xml", "view", {"url": "https://example.com", "menu_id": "4"}),
    ("event_scan.xml", "scan", {"scene": "123123"}),
    ("event_unsubscribe.xml", "unfollow", {}),
])
def test_each_member_action_has_wechats_fields_order_and_cdata(
        sim: WeChatSimulator, sample: str, action: str, params: Dict[str, Any]) -> None:
    sim.add_member(MEMBER)
    delivery = getattr(sim, action)(MEMBER, **params)
    assert _children(delivery.xml) == _children(payload(sample))
    inbound = protocol.parse_inbound(delivery.xml)
    assert inbound.openid == MEMBER
    if inbound.is_event:
        assert delivery.msg_id is None
    else:
        assert 2 ** 62 < delivery.msg_id < 2 ** 63 and inbound.msg_id == str(delivery.msg_id)


def test_follows_plain_and_through_a_qr_code_look_like_wechats(sim: WeChatSimulator) -> None:
    plain = sim.follow("oPlain")
    assert _children(plain.xml) == _children(payload("event_subscribe.xml"))
    qr = sim.follow("oQr", scene="clinic-7")
    assert _children(qr.xml) == _children(payload("event_subscribe_qrscene.xml"))
    inbound = protocol.parse_inbound(qr.xml)
    assert inbound.event == "subscribe_scan" and inbound.scene == "clinic-7"
    assert inbound.event_key == "qrscene_clinic-7"


def test_member_actions_need_a_follower(sim: WeChatSimulator) -> None:
    with pytest.raises(NotFollowing):
        sim.send_text("oStranger", "你好")
    sim.follow("oStranger")
    with pytest.raises(SimulatorError):
        sim.follow("oStranger")
    sim.unfollow("oStranger")
    with pytest.raises(NotFollowing):
        sim.click("oStranger", "预约就诊")


# ------------------------------------------------------------------ tokens

def test_a_stable_token_is_shared_and_renewed_in_its_last_five_minutes(
        sim: WeChatSimulator) -> None:
    first = stable_token(sim)
    assert first["expires_in"] == 7200 and "errcode" not in first
    sim.advance(1000)
    again = stable_token(sim)
    assert again["access_token"] == first["access_token"]
    assert 6199 <= again["expires_in"] <= 6200  # whole seconds left
    sim.advance(5900)  # 300 s left: WeChat has renewed it
    renewed = stable_token(sim)
    assert renewed["access_token"] != first["access_token"]
    assert renewed["expires_in"] == 7200
    assert probe(sim, first["access_token"]) == 40007  # the old one lives out its life
    sim.advance(300)
    assert probe(sim, first["access_token"]) == 42001
    assert probe(sim, renewed["access_token"]) == 40007
    assert stable_token(sim)["access_token"] == renewed["access_token"]


def test_force_refresh_invalidates_the_old_token_and_is_limited(sim: WeChatSimulator) -> None:
    old = token(sim)
    fresh = stable_token(sim, force=True)["access_token"]
    assert fresh != old and probe(sim, old) == 40001 and probe(sim, fresh) == 40007
    assert stable_token(sim, force=True)["errcode"] == 45011  # 30 s apart
    assert probe(sim, fresh) == 40007
    for _ in range(19):
        sim.advance(30)
        assert "access_token" in stable_token(sim, force=True)
    sim.advance(30)
    assert stable_token(sim, force=True)["errcode"] == 45009  # 20 a day
    assert "access_token" in stable_token(sim)  # normal mode still answers


def test_wrong_credentials_are_refused_with_wechats_codes(sim: WeChatSimulator) -> None:
    assert stable_token(sim, appid="wxnotours")["errcode"] == 40013
    assert stable_token(sim, secret="wrong")["errcode"] == 40125
    assert classic_token(sim, appid="wxnotours")["errcode"] == 40013
    refused = classic_token(sim, secret="wrong")
    assert refused["errcode"] == 40125 and refused["errmsg"].startswith("invalid appsecret")


def test_classic_tokens_overlap_five_minutes_and_are_isolated_from_stable_ones(
        simulator) -> None:
    sim = simulator(limits=Limits(classic_token_per_day=3))
    stable = token(sim)
    first = classic_token(sim)["access_token"]
    second = classic_token(sim)["access_token"]
    assert first != second
    sim.advance(299)
    assert probe(sim, first) == 40007
    sim.advance(2)
    assert probe(sim, first) == 40001 and probe(sim, second) == 40007
    assert probe(sim, stable) == 40007  # classic calls never touch the stable token
    stable_token(sim, force=True)
    assert probe(sim, second) == 40007  # nor the other way round
    assert "access_token" in classic_token(sim)
    assert classic_token(sim)["errcode"] == 45009


def test_missing_garbled_and_expired_tokens(sim: WeChatSimulator) -> None:
    assert probe(sim, None) == 41001
    assert probe(sim, "garbled") == 40014
    access_token = token(sim)
    sim.advance(7200)
    assert probe(sim, access_token) == 42001
    assert send(sim, access_token, text("你好")) == 42001


# ------------------------------------------------------------------ customer service

def test_a_member_message_opens_48_hours_with_5_messages(sim: WeChatSimulator) -> None:
    access_token = token(sim)
    sim.follow(MEMBER)
    sim.send_text(MEMBER, "你好")
    assert [send(sim, access_token, text(f"回复{i}")) for i in range(6)] == [0] * 5 + [45047]
    assert [e["text"]["content"] for e in sim.inbox(MEMBER)] == [f"回复{i}" for i in range(5)]
    sim.send_text(MEMBER, "还有问题")  # a new action replaces the window
    assert send(sim, access_token, text("好的")) == 0
    sim.advance(48 * 3600 + 1)
    access_token = token(sim)
    assert send(sim, access_token, text("过期")) == 45015


@pytest.mark.parametrize("action", ["click", "follow", "scan"])
def test_a_menu_click_a_follow_or_a_scan_opens_1_minute_with_3(
        sim: WeChatSimulator, action: str) -> None:
    access_token = token(sim)
    if action == "follow":
        sim.follow(MEMBER)
    else:
        sim.add_member(MEMBER)
        sim.click(MEMBER, "预约就诊") if action == "click" else sim.scan(MEMBER, "42")
    assert sim.window(MEMBER)["quota"] == 3
    assert [send(sim, access_token, text(f"{i}")) for i in range(4)] == [0, 0, 0, 45047]
    sim.advance(61)
    assert send(sim, access_token, text("late")) == 45015


def test_a_view_menu_tap_opens_no_window(sim: WeChatSimulator) -> None:
    sim.add_member(MEMBER)
    sim.view(MEMBER, "https://example.com/clinics")
    assert sim.window(MEMBER) is None
    assert send(sim, token(sim), text("你好")) == 45015


def test_recipients_unknown_unfollowed_or_never_following(sim: WeChatSimulator) -> None:
    access_token = token(sim)
    assert send(sim, access_token, text("你好", "oNobody")) == 40003
    sim.add_member("oOAuthOnly", following=False)
    assert send(sim, access_token, text("你好", "oOAuthOnly")) == 43004
    sim.follow(MEMBER)
    sim.send_text(MEMBER, "再见")
    sim.unfollow(MEMBER)
    assert send(sim, access_token, text("别走")) == 43004
    assert sim.inbox(MEMBER) == []


@pytest.mark.parametrize("content, errcode", [
    ("a" * 2048, 0), ("a" * 2049, 45002),
    ("健" * 682 + "ab", 0), ("健" * 683, 45002),  # 3 bytes a character
], ids=["2048-ascii", "2049-ascii", "2048-chinese", "2049-chinese"])
def test_texts_are_limited_to_2048_utf8_bytes(sim: WeChatSimulator, content: str,
                                              errcode: int) -> None:
    sim.follow(MEMBER)
    sim.send_text(MEMBER, "长文")
    assert send(sim, token(sim), text(content)) == errcode


def test_message_types_news_and_menus(simulator) -> None:
    sandbox = simulator(test_account=True)
    real = simulator()
    menu = {"touser": MEMBER, "msgtype": "msgmenu", "msgmenu": {
        "head_content": "请选择", "list": [{"id": "1", "content": "预约"}], "tail_content": ""}}
    article = {"title": "体检须知", "url": "https://example.com/a", "picurl": "", "description": ""}
    for sim in (sandbox, real):
        sim.follow(MEMBER)
        sim.send_text(MEMBER, "你好")
    assert send(sandbox, token(sandbox), menu) == 40200
    assert send(real, token(real), menu) == 0
    access_token = token(real)
    news = {"touser": MEMBER, "msgtype": "news", "news": {"articles": [article, article]}}
    assert send(real, access_token, news) == 45008
    news["news"]["articles"] = [article]
    assert send(real, access_token, news) == 0
    assert send(real, access_token, {"touser": MEMBER, "msgtype": "hologram",
                                     "hologram": {}}) == 40008
    assert send(real, access_token, None, raw=b"{not json") == 47001
    assert len(real.inbox(MEMBER)) == 2  # the refused ones used no quota
    assert real.window(MEMBER)["used"] == 2


def test_unicode_escapes_reach_the_member_undecoded(sim: WeChatSimulator) -> None:
    """Documented decision (community-reported): send UTF-8, not \\uXXXX."""
    sim.follow(MEMBER)
    sim.send_text(MEMBER, "你好")
    escaped = json.dumps(text("您好"), ensure_ascii=True).encode("ascii")
    assert send(sim, token(sim), None, raw=escaped) == 0
    assert sim.inbox(MEMBER)[-1]["text"]["content"] == "\\u60a8\\u597d"


# ------------------------------------------------------------------ typing

def test_typing_needs_a_recent_interaction_lasts_15_seconds_and_is_not_repeated(
        sim: WeChatSimulator) -> None:
    access_token = token(sim)
    sim.add_member(MEMBER)
    assert typing(sim, access_token) == 45080
    sim.send_text(MEMBER, "在吗")
    assert typing(sim, access_token, "typing") == 45072
    assert typing(sim, access_token) == 0
    assert typing(sim, access_token) == 45081
    sim.advance(15)
    assert typing(sim, access_token) == 0  # the first one expired
    assert typing(sim, access_token, "CancelTyping") == 0
    assert typing(sim, access_token) == 0
    assert send(sim, access_token, text("在的")) == 0  # a delivered message ends it
    sim.advance(16)
    assert typing(sim, access_token) == 45080  # 31 s since the member's message
    log = sim.typing_log(MEMBER)
    assert [period.ended_by for period in log] == ["timeout", "cancel", "message"]
    assert log[0].end - log[0].start == pytest.approx(15)
    assert typing(sim, access_token, openid="oNobody") == 40003


# ------------------------------------------------------------------ templates

def test_template_messages_need_no_window_and_are_deduplicated_for_10_minutes(
        simulator, callback) -> None:
    receiver = callback()
    sim = simulator(callback_url=receiver.url)
    sim.follow(MEMBER)
    sim.advance(72 * 3600)  # long after any window
    access_token = token(sim)
    first = post(sim, "message/template/send", access_token, template(client_msg_id="b-1"))
    assert first["errcode"] == 0 and first["msgid"] > 2 ** 32
    repeat = post(sim, "message/template/send", access_token, template(client_msg_id="b-1"))
    assert repeat == {**repeat, "errcode": 0, "msgid": first["msgid"]}
    assert [e["msgtype"] for e in sim.inbox(MEMBER)] == ["template"]
    sim.advance(600)
    later = post(sim, "message/template/send", access_token, template(client_msg_id="b-1"))
    assert later["msgid"] != first["msgid"]
    assert post(sim, "message/template/send", access_token,
                template(template_id="unknown"))["errcode"] == 40037
    sim.add_member("oOAuthOnly", following=False)
    assert post(sim, "message/template/send", access_token,
                template("oOAuthOnly"))["errcode"] == 43004
    sim.wait_idle()
    finished = [protocol.parse_inbound(r.body).fields for r in receiver.received
                if b"TEMPLATESENDJOBFINISH" in r.body]
    assert [(f["MsgID"], f["Status"], f["FromUserName"]) for f in finished] == [
        (str(first["msgid"]), "success", MEMBER), (str(later["msgid"]), "success", MEMBER)]
    report = next(d for d in sim.deliveries if d.fields["MsgType"] == "event"
                  and d.fields["Event"] == "TEMPLATESENDJOBFINISH")
    assert _children(report.xml) == _children(payload("event_template_send_job_finish.xml"))


def test_template_daily_limit(simulator) -> None:
    sim = simulator(limits=Limits(template_per_day=2))
    sim.follow(MEMBER)
    access_token = token(sim)
    codes = [post(sim, "message/template/send", access_token, template())["errcode"]
             for _ in range(3)]
    assert codes == [0, 0, 45009]


# ------------------------------------------------------------------ media

def test_media_a_member_sent_can_be_fetched_for_three_days(sim: WeChatSimulator) -> None:
    sim.follow(MEMBER)
    photo = b"\xff\xd8\xff\xe0" + bytes(range(256)) + b"\xff\xd9"
    media_id = sim.send_image(MEMBER, data=photo).fields["MediaId"]
    voice_id = sim.send_voice(MEMBER, recognition="").fields["MediaId"]
    access_token = token(sim)
    got = requests.get(f"{sim.url}/cgi-bin/media/get", timeout=5,
                       params={"access_token": access_token, "media_id": media_id})
    assert got.content == photo and got.headers["Content-Type"] == "image/jpeg"
    assert f'filename="{media_id}.jpg"' in got.headers["Content-disposition"]
    voice = requests.get(f"{sim.url}/cgi-bin/media/get", timeout=5,
                         params={"access_token": access_token, "media_id": voice_id})
    assert voice.headers["Content-Type"] == "audio/amr"
    sim.advance(3 * 86400)
    access_token = token(sim)
    expired = requests.get(f"{sim.url}/cgi-bin/media/get", timeout=5,
                           params={"access_token": access_token, "media_id": media_id})
    assert expired.json()["errcode"] == 40007


# ------------------------------------------------------------------ the custom menu

def sample_menu() -> Dict[str, Any]:
    """A menu at WeChat's limits: 3 buttons, a 16-byte name, 5 sub-buttons, a 60-byte
    sub-button name, a 128-byte key and a 1024-byte url."""
    url = "https://example.com/" + "a" * (1024 - len("https://example.com/"))
    return {"button": [
        {"type": "click", "name": "abcdefghijklmnop", "key": "k" * 128},
        {"type": "view", "name": "门诊", "url": url},
        {"name": "更多", "sub_button": [
            {"type": "click", "name": "二" * 20, "key": "faq"},
            {"type": "view", "name": "网点", "url": "http://example.com/clinics"},
            {"type": "scancode_push", "name": "扫码", "key": "scan", "sub_button": []},
            {"type": "location_select", "name": "位置", "key": "where"},
            {"type": "click", "name": "第五个", "key": "fifth"},
        ]},
    ]}


def create_menu(sim: WeChatSimulator, access_token: str, body: Any = None,
                raw: Optional[bytes] = None) -> int:
    return post(sim, "menu/create", access_token, body, raw=raw)["errcode"]


def get_menu(sim: WeChatSimulator, access_token: str, path: str = "menu/get") -> Dict[str, Any]:
    return requests.get(f"{sim.url}/cgi-bin/{path}", params={"access_token": access_token},
                        timeout=5).json()


def test_a_menu_is_created_shown_by_menu_get_and_deleted(sim: WeChatSimulator) -> None:
    access_token = token(sim)
    assert get_menu(sim, access_token)["errcode"] == 46003
    assert create_menu(sim, access_token, sample_menu()) == 0
    shown = get_menu(sim, access_token)
    assert "errcode" not in shown  # as WeChat documents the answer
    first, _, group = shown["menu"]["button"]
    assert first == {**sample_menu()["button"][0], "sub_button": []}
    assert [b["sub_button"] for b in group["sub_button"]] == [[]] * 5
    assert control_overview(sim)["menu"] == shown["menu"]["button"]
    assert get_menu(sim, access_token, "menu/delete") == {"errcode": 0, "errmsg": "ok"}
    assert get_menu(sim, access_token)["errcode"] == 46003
    assert sim.menu() is None and create_menu(sim, None, sample_menu()) == 41001


def _changed(change: Callable[[Dict[str, Any]], None]) -> Dict[str, Any]:
    menu = sample_menu()
    change(menu)
    return menu


def _top(menu: Dict[str, Any]) -> Dict[str, Any]:
    return menu["button"][0]


def _sub(menu: Dict[str, Any]) -> Dict[str, Any]:
    return menu["button"][2]["sub_button"][0]


@pytest.mark.parametrize("change, errcode", [
    (lambda m: m.update(button=[]), 40016),
    (lambda m: m["button"].append({"type": "click", "name": "四", "key": "4"}), 40016),
    (lambda m: m.pop("button"), 40016),
    (lambda m: m.update(button={"type": "click"}), 47001),
    (lambda m: _top(m).update(name="abcdefghijklmnopq"), 40018),
    (lambda m: _top(m).update(name="一二三四五六"), 40018),  # 6 characters, 18 bytes
    (lambda m: _top(m).pop("name"), 40018),
    (lambda m: _sub(m).update(name="二" * 20 + "a"), 40025),
    (lambda m: m["button"][2]["sub_button"].append({"type": "click", "name": "六",
                                                    "key": "6"}), 40023),
    (lambda m: m["button"][2].update(sub_button=[]), 40023),  # a group of nothing
    (lambda m: _sub(m).update(sub_button=[{"type": "click", "name": "孙", "key": "g"}]),
     40022),
    (lambda m: _top(m).update(type="miniprogram"), 40017),
    (lambda m: _top(m).pop("type"), 40017),
    (lambda m: _sub(m).update(type="clicks"), 40024),
    (lambda m: _top(m).update(key="k" * 129), 40019),
    (lambda m: _top(m).pop("key"), 40019),
    (lambda m: _sub(m).update(key="键" * 43), 40026),  # 129 bytes
    (lambda m: m["button"][1].update(url=m["button"][1]["url"] + "a"), 40020),
    (lambda m: m["button"][1].update(url="ftp://example.com/clinics"), 40055),
    (lambda m: m["button"][2]["sub_button"][1].update(url="example.com/clinics"), 40054),
    (lambda m: m["button"][2]["sub_button"][1].update(url="https://e.com/" + "a" * 1011),
     40027),
])
def test_menu_create_refuses_what_wechat_documents(
        sim: WeChatSimulator, change: Callable[[Dict[str, Any]], None], errcode: int) -> None:
    access_token = token(sim)
    assert create_menu(sim, access_token, {"button": [{"type": "click", "name": "旧",
                                                       "key": "old"}]}) == 0
    assert create_menu(sim, access_token, _changed(change)) == errcode
    assert [b["key"] for b in sim.menu()] == ["old"]  # refused: nothing changed


def test_menu_create_refuses_unicode_escapes_and_what_is_not_json(sim: WeChatSimulator) -> None:
    access_token = token(sim)
    escaped = json.dumps(sample_menu()).encode("ascii")  # 门诊 as \u95e8\u8bca
    assert create_menu(sim, access_token, raw=escaped) == 40033
    assert create_menu(sim, access_token, raw=b"{button: []}") == 47001
    assert sim.menu() is None


def test_once_a_menu_exists_a_click_must_be_one_of_its_keys(sim: WeChatSimulator) -> None:
    sim.add_member(MEMBER)
    sim.click(MEMBER, "anything")  # no menu yet: any key, as before menus existed
    assert create_menu(sim, token(sim), sample_menu()) == 0
    assert sim.click(MEMBER, "faq").fields["EventKey"] == "faq"
    for key in ("anything", "scan", "k"):  # scan is a scancode_push button, not a click
        with pytest.raises(NotInMenu):
            sim.click(MEMBER, key)
    refused = requests.post(f"{sim.url}/_sim/members/{MEMBER}/click", json={"key": "预约就诊"},
                            timeout=5)
    assert refused.status_code == 409 and "预约就诊" in refused.json()["error"]
    assert len(sim.deliveries) == 2  # the refused taps posted nothing
    get_menu(sim, token(sim), "menu/delete")
    sim.click(MEMBER, "anything")


# ------------------------------------------------------------------ injected failures

def test_injected_errors_deliver_nothing_and_use_no_quota(sim: WeChatSimulator) -> None:
    access_token = token(sim)
    sim.follow(MEMBER)
    sim.send_text(MEMBER, "你好")
    sim.fail_next("custom/send", errcode=-1)
    sim.fail_next("/cgi-bin/message/custom/send", errcode=45011, times=2)
    assert [send(sim, access_token, text(f"{i}")) for i in range(4)] == [-1, 45011, 45011, 0]
    assert sim.inbox(MEMBER) == [text("3")] and sim.window(MEMBER)["used"] == 1
    assert [call.errcode for call in sim.calls if call.path.endswith("custom/send")] == \
        [-1, 45011, 45011, 0]
    assert all("access_token" not in call.query for call in sim.calls)


def test_a_delay_times_out_after_delivery_and_a_drop_before_processing(
        sim: WeChatSimulator) -> None:
    access_token = token(sim)
    sim.follow(MEMBER)
    sim.send_text(MEMBER, "你好")
    sim.delay_next("custom/send", 1.0)
    with pytest.raises(requests.Timeout):
        send(sim, access_token, text("已送达"), timeout=0.3)
    assert sim.inbox(MEMBER) == [text("已送达")]
    sim.drop_connection_next("custom/send")
    with pytest.raises(requests.ConnectionError):
        send(sim, access_token, text("未处理"))
    assert sim.inbox(MEMBER) == [text("已送达")] and sim.window(MEMBER)["used"] == 1
    assert sim.calls[-1].errcode is None


# ------------------------------------------------------------------ callback answers

def test_success_or_an_empty_body_ends_a_callback(simulator, callback) -> None:
    async def empty(received: Received, index: int) -> web.Response:
        return web.Response(body=b"")
    for respond in (success, empty):
        sim = simulator(callback_url=callback(respond).url)
        delivery = sim.follow(MEMBER)
        assert delivery.outcome == "accepted" and len(delivery.attempts) == 1
        assert sim.inbox(MEMBER) == []


def test_a_slow_server_gets_three_retries_and_the_member_the_banner(
        simulator, callback) -> None:
    async def slow(received: Received, index: int) -> web.Response:
        await asyncio.sleep(2 * SHORT_DEADLINE)
        return web.Response(text="success")
    receiver = callback(slow)
    sim = simulator(callback_url=receiver.url)
    sim.add_member(MEMBER)
    delivery = sim.send_text(MEMBER, "有人吗")
    assert delivery.outcome == "failed" and len(delivery.attempts) == 4
    assert all(a.status is None and a.elapsed >= SHORT_DEADLINE * 0.9
               for a in delivery.attempts)
    assert sim.inbox(MEMBER) == [{"msgtype": "banner", "text": BANNER}]
    assert len({r.query["nonce"] for r in receiver.received}) == 4
    assert len({protocol.parse_inbound(r.body).msg_id for r in receiver.received}) == 1


def test_a_retry_after_a_timeout_or_a_5xx_can_still_succeed(simulator, callback) -> None:
    async def late_then_success(received: Received, index: int) -> web.Response:
        if index == 0:
            await asyncio.sleep(2 * SHORT_DEADLINE)
        if index == 1:
            return web.Response(status=503, text="busy")
        return web.Response(text="success")
    sim = simulator(callback_url=callback(late_then_success).url)
    sim.add_member(MEMBER)
    delivery = sim.send_text(MEMBER, "你好")
    assert [a.status for a in delivery.attempts] == [None, 503, 200]
    assert delivery.outcome == "accepted" and sim.inbox(MEMBER) == []


def test_a_dead_server_gets_the_retries_too(simulator) -> None:
    sim = simulator(callback_url=f"http://127.0.0.1:{free_port()}/wechat")
    sim.add_member(MEMBER)
    delivery = sim.click(MEMBER, "联系管家")
    assert len(delivery.attempts) == 4 and delivery.outcome == "failed"
    assert all(a.error for a in delivery.attempts)
    assert sim.inbox(MEMBER)[-1]["msgtype"] == "banner"


@pytest.mark.parametrize("status, body", [
    (200, b'{"errcode": 0}'), (400, b"bad request"), (403, b"success"),
    (200, b"<xml><ToUserName><![CDATA[" + MEMBER.encode() + b"]]></ToUserName><FromUserName>"
          b"<![CDATA[" + DEFAULT_ORIGINAL_ID.encode() + b"]]></FromUserName><CreateTime>1</CreateTime><MsgType>"
          b"<![CDATA[text]]></MsgType><Content><![CDATA[]]></Content></xml>"),
], ids=["json", "400", "403-success", "empty-content"])
def test_any_other_answer_shows_the_banner_without_retrying(
        simulator, callback, status: int, body: bytes) -> None:
    async def respond(received: Received, index: int) -> web.Response:
        return web.Response(status=status, body=body)
    sim = simulator(callback_url=callback(respond).url)
    sim.add_member(MEMBER)
    delivery = sim.send_text(MEMBER, "你好")
    assert delivery.outcome == "banner" and len(delivery.attempts) == 1
    assert sim.inbox(MEMBER) == [{"msgtype": "banner", "text": BANNER}]


def _reply_xml(content: str, openid: str = MEMBER) -> str:
    return (f"<xml><ToUserName><![CDATA[{openid}]]></ToUserName><FromUserName>"
            f"<![CDATA[{DEFAULT_ORIGINAL_ID}]]>"
            f"</FromUserName><CreateTime>{int(NOW)}</CreateTime><MsgType><![CDATA[text]]>"
            f"</MsgType><Content><![CDATA[{content}]]></Content></xml>")


def test_a_passive_reply_reaches_the_member_plain_or_encrypted(simulator, callback) -> None:
    async def plain(received: Received, index: int) -> web.Response:
        return web.Response(text=_reply_xml("您好，请问有什么可以帮您？"),
                            content_type="text/xml")
    sim = simulator(callback_url=callback(plain).url)
    sim.add_member(MEMBER)
    assert sim.send_text(MEMBER, "你好").outcome == "replied"
    assert sim.inbox(MEMBER) == [{"msgtype": "text", "passive": True,
                                  "text": {"content": "您好，请问有什么可以帮您？"}}]

    wechat = WeChatCrypto(TOKEN, KEY, APP_ID)

    async def encrypted(received: Received, index: int) -> web.Response:
        reply = wechat.encrypt_message(_reply_xml("加密回复"), received.query["nonce"])
        return web.Response(text=reply, content_type="text/xml")
    safe = simulator(mode="safe", encoding_aes_key=KEY, callback_url=callback(encrypted).url)
    safe.add_member(MEMBER)
    assert safe.send_text(MEMBER, "你好").outcome == "replied"
    assert safe.inbox(MEMBER)[-1]["text"]["content"] == "加密回复"

    strict = simulator(mode="safe", encoding_aes_key=KEY, callback_url=callback(plain).url)
    strict.add_member(MEMBER)
    assert strict.send_text(MEMBER, "你好").outcome == "banner"  # safe mode: encrypt it


def test_the_published_encrypted_reply_decrypts_but_is_no_message() -> None:
    push = VECTORS["oplatform-doc-message-push-safe-mode"]
    key = crypto.aes_key(push["encoding_aes_key"])
    assert messages.read_passive_reply(
        push["reply"]["xml"].encode(), "safe", push["token"], key, push["receive_id"],
        MEMBER, "gh_97417a04a28d") is None
    tampered = push["reply"]["xml"].replace("03e0812039325c", "13e0812039325c")
    assert messages.read_passive_reply(tampered.encode(), "safe", push["token"], key,
                                       push["receive_id"], MEMBER, "gh_97417a04a28d") is None


def test_a_retry_storm_repeats_the_payload_with_fresh_signatures(simulator, callback) -> None:
    async def slowish(received: Received, index: int) -> web.Response:
        await asyncio.sleep(0.2)
        return web.Response(text="success")
    receiver = callback(slowish)
    sim = simulator(callback_url=receiver.url)
    sim.add_member(MEMBER)
    fields = {"FromUserName": MEMBER, "MsgType": "text", "Content": "预约"}
    storm = sim.deliver(fields, force_deliveries=3)
    assert len(storm.attempts) == 3 and receiver.most_at_once == 1
    bodies = {r.body for r in receiver.received}
    assert len(bodies) == 1 and str(storm.msg_id).encode() in bodies.pop()
    assert len({r.query["signature"] for r in receiver.received}) == 3
    sim.deliver(fields, force_deliveries=3, concurrent=True)
    assert receiver.most_at_once == 3


# ------------------------------------------------------------------ driving it over HTTP

def test_the_control_endpoints_mirror_the_python_api(sim: WeChatSimulator) -> None:
    def control(method: str, path: str, body: Any = None) -> Any:
        answer = requests.request(method, f"{sim.url}/_sim/{path}", json=body, timeout=5)
        return answer.status_code, answer.json()
    assert control("POST", f"members/{MEMBER}/send_text", {"text": "你好"})[0] == 409
    status, delivery = control("POST", f"members/{MEMBER}/follow", {})
    assert status == 200 and delivery["outcome"] == "no_callback"
    assert control("POST", f"members/{MEMBER}/send_text", {"text": "你好"})[1]["msg_id"]
    assert control("GET", f"members/{MEMBER}/window")[1]["quota"] == 5
    control("POST", "fail", {"endpoint": "custom/send", "errcode": 45011})
    access_token = token(sim)
    assert [send(sim, access_token, text("a")) for _ in range(2)] == [45011, 0]
    assert control("GET", f"members/{MEMBER}/inbox")[1] == [text("a")]
    now = control("GET", "clock")[1]["now"]
    assert control("POST", "advance", {"seconds": 3600})[1]["now"] >= now + 3600
    assert [c["errcode"] for c in control("GET", "calls")[1]][-2:] == [45011, 0]
    assert control("GET", "")[1]["members"][MEMBER]["following"] is True


def test_the_standalone_simulator_starts_and_serves_the_same_api() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.wechat_simulator", "--port", str(port), "--token", TOKEN,
         "--app-id", APP_ID, "--app-secret", SECRET], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/_sim/", 20)
        requests.post(f"{url}/_sim/members/{MEMBER}/follow", json={}, timeout=5)
        answer = requests.post(f"{url}/cgi-bin/stable_token", timeout=5, json={
            "grant_type": "client_credential", "appid": APP_ID, "secret": SECRET}).json()
        sent = requests.post(f"{url}/cgi-bin/message/custom/send", timeout=5,
                             params={"access_token": answer["access_token"]},
                             data=json.dumps(text("欢迎"), ensure_ascii=False).encode())
        assert sent.json()["errcode"] == 0
    finally:
        process.terminate()
        process.wait(10)
    assert process.returncode == 0
