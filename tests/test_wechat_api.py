"""The gateway's WeChat API client (bot/gateway/channels/wechat/api.py) against the
simulator: the stable token shared through Redis by every replica, token errors fetched
again once, and each documented error sorted into what the sender does with it; the
menu created the same way."""
from __future__ import annotations

import asyncio
import uuid
from typing import Iterator

import pytest
import redis

from bot.gateway.channels.wechat.api import WeChatApi, WeChatApiError
from bot.processes import free_port
from bot.wechat_simulator import WeChatSimulator

APP_ID = "wx0a9b8c7d6e5f4a3b"
SECRET = "api-test-secret"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def sim() -> Iterator[WeChatSimulator]:
    simulator = WeChatSimulator(app_id=APP_ID, app_secret=SECRET, token="t", mode="plaintext")
    simulator.start()
    simulator.add_member("oAPI_member")
    yield simulator
    simulator.stop()


@pytest.fixture()
def redis_url() -> Iterator[str]:
    """The local Redis (scripts/test.sh starts it); this test's token key removed after."""
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    yield REDIS_URL
    for key in client.scan_iter("hm_wechat:*"):
        client.delete(key)


def run(coroutine):
    return asyncio.run(coroutine)


def token_calls(sim: WeChatSimulator) -> int:
    return sum(1 for c in sim.calls if c.path.endswith("/stable_token"))


def test_replicas_sharing_redis_fetch_the_stable_token_once(sim, redis_url) -> None:
    sim.add_member("oAPI_window")
    sim.send_text("oAPI_window", "你好")  # opens the window (no callback URL: none posted)
    before = token_calls(sim)
    first, second = (WeChatApi(APP_ID, SECRET, sim.url, redis_url) for _ in range(2))
    run(first.send_text("oAPI_window", "第一条"))
    run(second.send_text("oAPI_window", "第二条"))
    assert token_calls(sim) - before == 1
    assert [e["text"]["content"] for e in sim.inbox("oAPI_window")] == ["第一条", "第二条"]
    # Only the stable endpoint is used: the classic one would invalidate other callers.
    assert not [c for c in sim.calls if c.path.endswith("/cgi-bin/token")]


def test_a_token_refused_is_fetched_again_once_and_the_call_retried(sim) -> None:
    sim.add_member("oAPI_refresh")
    sim.send_text("oAPI_refresh", "你好")
    api = WeChatApi(APP_ID, SECRET, sim.url)
    run(api.send_text("oAPI_refresh", "一"))
    # Someone force-refreshed (a leak): our cached token now answers 40001.
    import requests
    requests.post(f"{sim.url}/cgi-bin/stable_token", timeout=5, json={
        "grant_type": "client_credential", "appid": APP_ID, "secret": SECRET,
        "force_refresh": True})
    before = token_calls(sim)
    run(api.send_text("oAPI_refresh", "二"))
    assert token_calls(sim) - before == 1
    sends = [c.errcode for c in sim.calls if c.path.endswith("custom/send")
             and (c.body or {}).get("touser") == "oAPI_refresh"]
    assert sends[-2:] == [40001, 0]


@pytest.mark.parametrize("errcode, kind", [
    (-1, "retry"), (45011, "retry"), (45015, "undeliverable"), (43004, "undeliverable"),
    (40003, "undeliverable"), (45047, "hold"), (45009, "daily_quota"), (45002, "error")])
def test_each_documented_error_is_sorted_for_the_sender(sim, errcode, kind) -> None:
    api = WeChatApi(APP_ID, SECRET, sim.url)
    sim.fail_next("custom/send", errcode=errcode)
    with pytest.raises(WeChatApiError) as raised:
        run(api.send_text("oAPI_member", "测试"))
    assert (raised.value.kind, raised.value.errcode) == (kind, errcode)
    assert "（" in raised.value.reason  # Chinese, with the code, for managers


def test_real_refusals_from_the_simulator(sim) -> None:
    api = WeChatApi(APP_ID, SECRET, sim.url)
    sim.add_member("oAPI_never_wrote")
    with pytest.raises(WeChatApiError) as outside:
        run(api.send_text("oAPI_never_wrote", "没有互动过"))
    assert outside.value.errcode == 45015 and outside.value.kind == "undeliverable"
    with pytest.raises(WeChatApiError) as unknown:
        run(api.send_text(f"o{uuid.uuid4().hex}", "谁"))
    assert unknown.value.errcode == 40003
    sim.send_text("oAPI_member", "你好")
    with pytest.raises(WeChatApiError) as too_long:
        run(api.send_text("oAPI_member", "字" * 683))  # 2049 bytes
    assert too_long.value.errcode == 45002 and too_long.value.kind == "error"
    run(api.send_text("oAPI_member", "字" * 682 + "a" * 2))  # 2048 bytes: accepted


def test_a_request_that_never_left_may_be_retried_one_that_did_may_not(sim) -> None:
    closed = WeChatApi(APP_ID, SECRET, f"http://127.0.0.1:{free_port()}", timeout=1)
    with pytest.raises(WeChatApiError) as refused:
        run(closed.send_text("oAPI_member", "连不上"))
    assert refused.value.kind == "retry"
    api = WeChatApi(APP_ID, SECRET, sim.url, timeout=1)
    run(api.typing("oAPI_member"))  # the token is cached; the next call goes straight out
    sim.drop_connection_next("custom/send")
    with pytest.raises(WeChatApiError) as dropped:
        run(api.send_text("oAPI_member", "断开"))
    assert dropped.value.kind == "uncertain"
    sim.delay_next("custom/send", 1.5)
    with pytest.raises(WeChatApiError) as slow:
        run(api.send_text("oAPI_member", "很慢"))
    assert slow.value.kind == "uncertain"


def test_an_operator_can_replace_a_leaked_token_once_per_30_seconds(sim, redis_url,
                                                                     capsys) -> None:
    from bot.gateway.__main__ import refresh_wechat_token
    from bot.gateway.settings import Settings

    settings = Settings.from_env({
        "HM_WECHAT_TOKEN": "t", "HM_WECHAT_APPID": APP_ID, "HM_WECHAT_APPSECRET": SECRET,
        "HM_WECHAT_MODE": "plaintext", "HM_WECHAT_API_BASE": sim.url,
        "HM_REDIS_URL": redis_url})
    sim.advance(31)  # past the earlier test's forced refresh
    sim.add_member("oAPI_leak")
    sim.send_text("oAPI_leak", "你好")
    api = WeChatApi(APP_ID, SECRET, sim.url, redis_url)
    run(api.send_text("oAPI_leak", "旧令牌"))
    assert refresh_wechat_token(settings) == 0
    assert "cached for" in capsys.readouterr().out
    before = token_calls(sim)
    run(api.send_text("oAPI_leak", "新令牌"))  # the replica reads the new token from Redis
    assert token_calls(sim) == before
    assert refresh_wechat_token(settings) == 1  # WeChat: 30 s between forced refreshes
    assert "45011" in capsys.readouterr().err


def test_the_menu_is_created_with_the_same_token_handling_and_errors(sim) -> None:
    """Last in this module: it moves the simulator's clock two hours on."""
    api = WeChatApi(APP_ID, SECRET, sim.url)
    body = {"button": [{"type": "click", "name": "转人工", "key": "request_human"}]}
    run(api.create_menu(body))
    sim.advance(7200)  # the cached token has expired for WeChat, not for our cache
    before = token_calls(sim)
    run(api.create_menu(body))
    assert token_calls(sim) - before == 1
    assert [c.errcode for c in sim.calls if c.path.endswith("menu/create")][-2:] == [42001, 0]
    with pytest.raises(WeChatApiError) as refused:
        run(api.create_menu({"button": []}))
    assert (refused.value.kind, refused.value.errcode) == ("error", 40016)
    sim.fail_next("menu/create", errcode=-1)
    with pytest.raises(WeChatApiError) as busy:
        run(api.create_menu(body))
    assert busy.value.kind == "retry"
