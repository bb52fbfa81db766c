"""The member-facing edges against real gateway processes (no Rasa behind them): rate
limits on web chat starts and messages (429 in Chinese with Retry-After, nothing
stored), the WeChat callback's limits (every message stored and answered `success`,
one notice), demo members only in demo mode, signed web chat links.

The strict gateway believes X-Forwarded-For from 127.0.0.1 (HM_TRUSTED_PROXIES), so
each test plays its own client addresses; the demo gateway believes no proxy."""
from __future__ import annotations

import os
import subprocess
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, Iterator, Optional

import pytest
import requests

from bot.gateway.channels.wechat.protocol import url_signature
from bot.gateway.messages import SLOW_DOWN, TOO_MANY_STARTS, WECHAT_SLOW_DOWN
from bot.gateway.ratelimit import (
    Buckets,
    Rate,
    admit,
    client_address,
    parse_networks,
)
from bot.processes import ROOT, VENV_BIN, free_port
from tests.conftest import (
    TEST_NOW,
    Backends,
    GatewayProcess,
    gateway_rows as rows,
    start_gateway,
    wait_for,
)

LINK_SECRET = "test-link-secret-" + "k" * 32
WECHAT_TOKEN = "limits-test-token"
NOW = int(datetime.fromisoformat(TEST_NOW).timestamp())


@pytest.fixture(scope="module")
def strict_gateway(backends_server: Backends) -> Iterator[GatewayProcess]:
    """Production-like: no demo members, links signed, small limits, WeChat in
    plaintext mode (signed query, unencrypted body)."""
    gateway = start_gateway("gateway-limits", f"http://127.0.0.1:{free_port()}",
                            backends_server, env={
        "HM_DEMO": "", "HM_TRUSTED_PROXIES": "127.0.0.1", "HM_GATEWAY_LINK_SECRET": LINK_SECRET,
        "HM_CHAT_START_RATE": "5/600", "HM_CHAT_MESSAGE_RATE": "4/60",
        "HM_CHAT_ADDRESS_RATE": "10/600",
        "HM_WECHAT_TOKEN": WECHAT_TOKEN, "HM_WECHAT_APPID": "wx0123456789abcdef",
        "HM_WECHAT_MODE": "plaintext", "HM_WECHAT_MEMBER_RATE": "3/600",
        "HM_WECHAT_ADDRESS_RATE": "10/600"})
    yield gateway
    gateway.server.stop()


@pytest.fixture(scope="module")
def demo_gateway(backends_server: Backends) -> Iterator[GatewayProcess]:
    """HM_DEMO=1 (as conftest's test gateways), three starts per address, no proxy."""
    gateway = start_gateway("gateway-limits-demo", f"http://127.0.0.1:{free_port()}",
                            backends_server, env={"HM_CHAT_START_RATE": "3/600"})
    yield gateway
    gateway.server.stop()


def from_address(address: str) -> Dict[str, str]:
    return {"X-Forwarded-For": address}


def start(gateway: GatewayProcess, address: str, **body) -> requests.Response:
    return requests.post(f"{gateway.url}/chat/api/start", json=body,
                         headers=from_address(address), timeout=10)


def say(gateway: GatewayProcess, token: str, words: str, address: str) -> requests.Response:
    return requests.post(f"{gateway.url}/chat/api/messages", timeout=30,
                         json={"text": words, "client_id": uuid.uuid4().hex},
                         headers={"Authorization": f"Bearer {token}", **from_address(address)})


def history(gateway: GatewayProcess, token: str) -> list:
    answer = requests.get(f"{gateway.url}/chat/api/history", timeout=10,
                          headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    return [m["text"] for m in answer.json()["messages"] if m["author"] == "member"]


def assert_polite_429(answer: requests.Response, sentence: str) -> None:
    assert answer.status_code == 429
    assert answer.json()["error"] == sentence
    seconds = int(answer.headers["Retry-After"])
    assert seconds >= 1 and answer.json()["retry_after"] == seconds




# ------------------------------------------------------------------ pure parts

@pytest.mark.parametrize("peer, forwarded, proxies, expected", [
    ("203.0.113.9", "1.2.3.4", "", "203.0.113.9"),  # no proxy trusted: the header is ignored
    ("203.0.113.9", "1.2.3.4", "10.0.0.0/8", "203.0.113.9"),  # not from our proxy
    ("10.0.0.2", "1.2.3.4", "10.0.0.0/8", "1.2.3.4"),
    ("10.0.0.2", "6.6.6.6, 1.2.3.4", "10.0.0.0/8", "1.2.3.4"),  # the client wrote 6.6.6.6
    ("10.0.0.2", "1.2.3.4, 10.0.0.7", "10.0.0.0/8", "1.2.3.4"),  # two of our proxies
    ("10.0.0.2", "not-an-ip", "10.0.0.0/8", "10.0.0.2"),
    ("10.0.0.2", None, "10.0.0.0/8", "10.0.0.2"),
    ("::1", "2001:db8::5", "::1", "2001:db8::5"),
])
def test_the_client_address_believes_forwarded_for_only_from_trusted_proxies(
        peer, forwarded, proxies, expected) -> None:
    assert client_address(peer, forwarded, parse_networks(proxies)) == expected


@pytest.mark.parametrize("text, rate", [
    ("10/600", Rate(10, 600, 10)), ("20/60:8", Rate(20, 60, 8)), ("off", None),
])
def test_rates_are_written_count_per_seconds_with_an_optional_burst(text, rate) -> None:
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["20", "20/0", "-1/60", "a/b", "20/60:0"])
def test_a_malformed_rate_is_refused(text) -> None:
    with pytest.raises(ValueError):
        Rate.parse(text)


def test_a_bucket_spends_its_burst_then_refills_evenly_and_a_refusal_spends_nothing() -> None:
    member, address = Buckets(Rate(20, 60, 3)), Buckets(Rate(100, 60, 100))
    checks = [(member, "m"), (address, "a")]
    assert [admit(checks, 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert admit(checks, 0.0) == pytest.approx(3.0)  # one token every 3 s
    assert address.wait("a", 0.0) == 0 and address._tokens("a", 0.0) == 97
    assert admit(checks, 2.9) > 0
    assert admit(checks, 3.0) == 0.0


# ------------------------------------------------------------------ web chat: limits

def test_a_start_storm_from_one_address_gets_429_in_chinese_with_retry_after(
        strict_gateway: GatewayProcess) -> None:
    answers = [start(strict_gateway, "198.51.100.1") for _ in range(7)]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    for refused in answers[5:]:
        assert_polite_429(refused, TOO_MANY_STARTS)
    assert start(strict_gateway, "198.51.100.2").status_code == 200


def test_x_forwarded_for_is_not_believed_without_a_trusted_proxy(
        demo_gateway: GatewayProcess) -> None:
    answers = [start(demo_gateway, f"198.51.100.{n}") for n in range(10, 15)]
    assert [a.status_code for a in answers].count(200) <= 3
    assert_polite_429(answers[-1], TOO_MANY_STARTS)


def test_a_message_burst_from_one_member_gets_429_while_another_member_is_unaffected(
        strict_gateway: GatewayProcess) -> None:
    first = start(strict_gateway, "198.51.100.20").json()["token"]
    second = start(strict_gateway, "198.51.100.21").json()["token"]
    sent = [say(strict_gateway, first, f"第{n}条", "203.0.113.5") for n in range(4)]
    assert [a.status_code for a in sent] == [200] * 4
    refused = say(strict_gateway, first, "第5条", "203.0.113.5")
    assert_polite_429(refused, SLOW_DOWN)
    # Refused, not accepted-then-dropped: nothing of it was stored.
    assert "第5条" not in history(strict_gateway, first)
    assert say(strict_gateway, second, "我是另一位会员", "203.0.113.6").status_code == 200
    # An emergency is never refused for the member's own pace.
    assert say(strict_gateway, first, "我爸突然晕倒了，叫不醒", "203.0.113.5").status_code == 200


def test_many_members_behind_one_address_reach_the_address_limit(
        strict_gateway: GatewayProcess) -> None:
    tokens = [start(strict_gateway, f"198.51.100.{30 + n}").json()["token"] for n in range(4)]
    codes = [say(strict_gateway, token, f"会员{n}的第{k}条", "203.0.113.77").status_code
             for k in range(3) for n, token in enumerate(tokens)]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]


# ------------------------------------------------------------------ web chat: who

def test_a_demo_member_is_refused_without_demo_mode_and_accepted_with_it(
        strict_gateway: GatewayProcess, console_gateway: GatewayProcess) -> None:
    """console_gateway: conftest's test gateways run with HM_DEMO=1."""
    refused = start(strict_gateway, "198.51.100.40", member="demo-noshow")
    assert refused.status_code == 403 and "演示" in refused.json()["error"]
    page = requests.get(f"{strict_gateway.url}/chat", timeout=10).text
    assert "demo-noshow" not in page and 'id="member"' not in page
    accepted = requests.post(f"{console_gateway.url}/chat/api/start", timeout=10,
                             json={"member": "demo-noshow"})
    assert accepted.status_code == 200 and accepted.json()["member"] == "demo-noshow"
    assert "demo-noshow" in requests.get(f"{console_gateway.url}/chat", timeout=10).text


def chat_link(member: str, now: str = TEST_NOW, hours: str = "24",
              secret: str = LINK_SECRET) -> str:
    """What an operator runs: python -m bot.gateway chat-link MEMBER --hours N."""
    done = subprocess.run(
        [str(VENV_BIN / "python"), "-m", "bot.gateway", "chat-link", member, "--hours", hours],
        cwd=ROOT, check=True, capture_output=True, text=True,
        env={**os.environ, "HM_GATEWAY_LINK_SECRET": secret, "HM_NOW": now})
    path = done.stdout.strip()
    assert path.startswith("/chat?t=")
    return path.split("t=", 1)[1]


def test_a_signed_link_starts_its_member_and_a_tampered_or_expired_one_is_refused(
        strict_gateway: GatewayProcess, console_gateway: GatewayProcess) -> None:
    link = chat_link("demo-noshow")
    started = start(strict_gateway, "198.51.100.50", link=link)
    assert started.status_code == 200 and started.json()["member"] == "demo-noshow"
    assert history(strict_gateway, started.json()["token"]) == []

    member, expires, signature = link.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    yesterday = (datetime.fromisoformat(TEST_NOW) - timedelta(days=1)).isoformat()
    refusals = {
        "another member": f"demo-ready.{expires}.{signature}",
        "a later expiry": f"{member}.{int(expires) + 86400}.{signature}",
        "a changed signature": f"{member}.{expires}.{flipped}",
        "expired": chat_link("demo-noshow", now=yesterday, hours="1"),
        "another secret": chat_link("demo-noshow", secret="another-secret-" + "z" * 32),
        "garbage": "demo-noshow",
    }
    for n, (what, bad) in enumerate(refusals.items()):
        refused = start(strict_gateway, f"198.51.100.{60 + n}", link=bad)
        assert refused.status_code == 403, what
        assert "链接无效或已过期" in refused.json()["error"], what
    # A gateway without the secret accepts no link at all.
    assert requests.post(f"{console_gateway.url}/chat/api/start", json={"link": link},
                         timeout=10).status_code == 403


# ------------------------------------------------------------------ WeChat

def wechat_text(gateway: GatewayProcess, openid: str, words: str, address: str,
                msg_id: Optional[int] = None) -> requests.Response:
    nonce = uuid.uuid4().hex[:8]
    body = (f"<xml><ToUserName><![CDATA[gh_limits]]></ToUserName><FromUserName><![CDATA["
            f"{openid}]]></FromUserName><CreateTime>{NOW}</CreateTime><MsgType><![CDATA[text]]>"
            f"</MsgType><Content><![CDATA[{words}]]></Content><MsgId>"
            f"{msg_id or uuid.uuid4().int % 2**63}</MsgId></xml>").encode()
    params = {"signature": url_signature(WECHAT_TOKEN, str(NOW), nonce),
              "timestamp": str(NOW), "nonce": nonce}
    return requests.post(f"{gateway.url}/wechat", params=params, data=body, timeout=10,
                         headers={"Content-Type": "text/xml", **from_address(address)})


def member_messages(gateway: GatewayProcess, openid: str) -> list:
    return rows(gateway, "SELECT m.text, m.routed_to FROM messages m JOIN conversations c "
                "ON c.id = m.conversation_id WHERE c.external_id = :openid AND "
                "m.author = 'member' ORDER BY m.id", openid=openid)


def notices(gateway: GatewayProcess, openid: str) -> int:
    return rows(gateway, "SELECT COUNT(*) FROM messages m JOIN conversations c ON "
                "c.id = m.conversation_id WHERE c.external_id = :openid AND "
                "m.author = 'system' AND m.text = :notice", openid=openid,
                notice=WECHAT_SLOW_DOWN)[0][0]


def all_routed(gateway: GatewayProcess, openid: str, expected: int):
    found = member_messages(gateway, openid)
    return found if len(found) == expected and all(r[1] for r in found) else None


def test_wechat_messages_over_a_members_limit_are_all_stored_answered_and_noticed_once(
        strict_gateway: GatewayProcess) -> None:
    answers = [wechat_text(strict_gateway, "oFlood", f"第{n}条", "192.0.2.1")
               for n in range(10)]
    assert [(a.status_code, a.text) for a in answers] == [(200, "success")] * 10
    stored = wait_for(lambda: all_routed(strict_gateway, "oFlood", 10))
    assert stored, member_messages(strict_gateway, "oFlood")
    assert [r[0] for r in stored] == [f"第{n}条" for n in range(10)]
    # Rasa is down here: the three within the limit are kept for it (pending).
    assert [r[1] for r in stored] == ["pending"] * 3 + ["limited"] * 7
    assert wait_for(lambda: notices(strict_gateway, "oFlood") == 1)
    time.sleep(0.3)
    assert notices(strict_gateway, "oFlood") == 1


def test_wechat_messages_over_an_addresss_limit_are_all_stored(
        strict_gateway: GatewayProcess) -> None:
    openids = [f"oCrowd{n}" for n in range(8)]
    answers = [wechat_text(strict_gateway, openid, f"第{k}条", "192.0.2.50")
               for k in range(2) for openid in openids]
    assert all(a.status_code == 200 and a.text == "success" for a in answers)
    routed = [wait_for(lambda o=openid: all_routed(strict_gateway, o, 2)) for openid in openids]
    assert all(routed)
    limited = [r for found in routed for r in found if r[1] == "limited"]
    assert len(limited) == 16 - 10
    # The first round went through; the second round's last six were over.
    assert [found[1][1] for found in routed] == ["pending"] * 2 + ["limited"] * 6


# ------------------------------------------------------------------ the page

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_the_page_keeps_a_refused_message_and_says_when_to_send_again(
        strict_gateway: GatewayProcess) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844},
                                          locale="zh-CN",
                                          extra_http_headers=from_address("198.51.100.90"))
            page = context.new_page()
            page.goto(f"{strict_gateway.url}/chat?member=demo-noshow")
            expect(page.locator("#start-status")).to_contain_text("演示会员仅在演示环境中可用",
                                                                  timeout=10_000)
            assert page.locator("#member").count() == 0
            page.click("#start-button")
            expect(page.locator("#composer")).to_be_visible(timeout=10_000)
            for n in range(4):
                page.fill("#text", f"第{n}条")
                page.click("#send")
                # Sent and stored (Rasa is down: kept, the member told once).
                expect(page.locator("#messages .msg-member:not(.pending)")).to_have_count(
                    n + 1, timeout=10_000)
            page.fill("#text", "第5条")
            page.click("#send")
            expect(page.locator("#status")).to_contain_text("您发送得太快了", timeout=10_000)
            expect(page.locator("#status")).to_contain_text("秒后可以再发")
            expect(page.locator("#text")).to_have_value("第5条")
            expect(page.locator("#messages .msg-member.failed")).to_contain_text("未发送")
            expect(page.locator("#send")).to_be_disabled()
        finally:
            browser.close()
