"""The WeChat callback over HTTP against a real gateway process (no Rasa): URL
verification, 403 and 400 refusals that store nothing, `success` only after the message
is stored, replays de-duplicated, unsubscribe purging; in plaintext and safe mode. The
safe-mode gateway runs at the 消息推送 example's time with its token and key, so the
published request is posted exactly as printed (../shared/wechat)."""
from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Dict, Iterator

import pytest
import requests
from wechatpy.crypto import WeChatCrypto

from bot.gateway.channels.wechat.protocol import message_signature, url_signature
from bot.processes import free_port, start_gateway_server
from tests.conftest import (
    TEST_NOW,
    TEST_VAR,
    Backends,
    GatewayProcess,
    fresh_gateway_db,
    gateway_rows as rows,
    wait_for,
)
from tests.conftest import SHARED_DIR

SHARED = SHARED_DIR / "wechat"
if not SHARED.is_dir():
    pytest.skip(f"{SHARED} is absent: set HM_SHARED_DIR to the shared folder",
                allow_module_level=True)
VECTORS = {v["id"]: v for v in
           json.loads((SHARED / "crypto_vectors.json").read_text("utf-8"))["vectors"]}
PUSH = VECTORS["oplatform-doc-message-push-safe-mode"]
PLAIN_TOKEN = "plaintext-test-token"
OTHER_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
THIRD_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"
NOW = int(datetime.fromisoformat(TEST_NOW).timestamp())


def payload(name: str) -> bytes:
    return (SHARED / "messages" / name).read_bytes().split(b"\n", 1)[1]


def start_wechat_gateway(name: str, backends: Backends, now: str,
                         wechat: Dict[str, str]) -> GatewayProcess:
    db_url = fresh_gateway_db(name)
    server = start_gateway_server(TEST_VAR / "logs", {
        "HM_GATEWAY_DB": db_url, "HM_RASA_URL": f"http://127.0.0.1:{free_port()}",
        "HM_NOW": now, "HM_BACKENDS_URL": backends.url, "HM_BACKENDS_TOKEN": backends.token,
        **wechat}, name=name)
    return GatewayProcess(server, db_url)


@pytest.fixture(scope="module")
def plain_gateway(backends_server: Backends) -> Iterator[GatewayProcess]:
    gateway = start_wechat_gateway("gateway-wechat-plain", backends_server, TEST_NOW, {
        "HM_WECHAT_TOKEN": PLAIN_TOKEN, "HM_WECHAT_APPID": "wx0123456789abcdef",
        "HM_WECHAT_MODE": "plaintext"})
    yield gateway
    gateway.server.stop()


@pytest.fixture(scope="module")
def safe_gateway(backends_server: Backends) -> Iterator[GatewayProcess]:
    """Current key: another one; previous key: the doc's (a rotation in progress)."""
    gateway = start_wechat_gateway(
        "gateway-wechat-safe", backends_server,
        datetime.fromtimestamp(int(PUSH["request"]["query"]["timestamp"])).astimezone()
        .isoformat(), {
            "HM_WECHAT_TOKEN": PUSH["token"], "HM_WECHAT_APPID": PUSH["receive_id"],
            "HM_WECHAT_MODE": "safe", "HM_WECHAT_AES_KEY": OTHER_KEY,
            "HM_WECHAT_AES_KEY_PREVIOUS": PUSH["encoding_aes_key"]})
    yield gateway
    gateway.server.stop()



def settled(read, quiet: float = 0.5):
    """What `read` returns once it stays the same for `quiet` seconds, else None."""
    first = read()
    time.sleep(quiet)
    return first if read() == first else None


def count(gateway: GatewayProcess, table: str) -> int:
    return rows(gateway, f"SELECT COUNT(*) FROM {table}")[0][0]


def signed(token: str, timestamp: int = NOW, nonce: str = "20261124") -> Dict[str, str]:
    return {"signature": url_signature(token, str(timestamp), nonce),
            "timestamp": str(timestamp), "nonce": nonce}


def post(gateway: GatewayProcess, params: Dict[str, str], body: bytes) -> requests.Response:
    return requests.post(f"{gateway.url}/wechat", params=params, data=body, timeout=10,
                         headers={"Content-Type": "text/xml"})



# ------------------------------------------------------------------ plaintext mode

def test_url_verification_echoes_echostr_byte_for_byte(plain_gateway: GatewayProcess) -> None:
    echostr = "5927782489442352469+/=中"
    answer = requests.get(f"{plain_gateway.url}/wechat",
                          params={**signed(PLAIN_TOKEN), "echostr": echostr}, timeout=10)
    assert answer.status_code == 200
    assert answer.content == echostr.encode("utf-8")
    assert answer.headers["content-type"].startswith("text/plain")
    bad = requests.get(f"{plain_gateway.url}/wechat", timeout=10,
                       params={**signed("wrong-token"), "echostr": echostr})
    assert bad.status_code == 403 and echostr.encode() not in bad.content


def test_a_bad_signature_or_a_stale_timestamp_is_403_and_stores_nothing(
        plain_gateway: GatewayProcess) -> None:
    before = count(plain_gateway, "messages")
    body = payload("text.xml").replace(b"1234567890123456", b"99001")
    assert post(plain_gateway, signed("wrong-token"), body).status_code == 403
    assert post(plain_gateway, {}, body).status_code == 403
    assert post(plain_gateway, signed(PLAIN_TOKEN, NOW - 301), body).status_code == 403
    assert post(plain_gateway, signed(PLAIN_TOKEN, NOW + 301), body).status_code == 403
    assert count(plain_gateway, "messages") == before
    assert "this is a test" not in plain_gateway.server.log_path.read_text("utf-8")


@pytest.mark.parametrize("body", [
    b"<!DOCTYPE xml [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><xml><MsgType>text</MsgType>"
    b"<Content>&x;</Content></xml>",
    b"<xml><MsgType>text</MsgType>", b"<xml><FromUserName>a</FromUserName></xml>",
    b"<root/>",
], ids=["external-entity", "malformed", "no-msgtype", "other-root"])
def test_unsafe_or_malformed_xml_is_400(plain_gateway: GatewayProcess, body: bytes) -> None:
    before = count(plain_gateway, "messages")
    assert post(plain_gateway, signed(PLAIN_TOKEN), body).status_code == 400
    assert count(plain_gateway, "messages") == before


def test_an_oversize_body_is_refused_unread(plain_gateway: GatewayProcess) -> None:
    body = payload("text.xml").replace(b"this is a test", b"x" * (64 * 1024))
    assert post(plain_gateway, signed(PLAIN_TOKEN), body).status_code == 413


def test_a_text_message_is_stored_before_success_and_a_replay_stores_nothing(
        plain_gateway: GatewayProcess) -> None:
    answer = post(plain_gateway, signed(PLAIN_TOKEN), payload("text.xml"))
    assert answer.status_code == 200 and answer.text == "success"
    stored = rows(plain_gateway, "SELECT m.text, m.channel_message_id FROM messages m JOIN "
                  "conversations c ON c.id = m.conversation_id WHERE c.channel = 'wechat' "
                  "AND c.external_id = 'fromUser' AND m.author = 'member'")
    assert [tuple(r) for r in stored] == [("this is a test", "msg:1234567890123456")]
    # Rasa is down here: the background turn keeps the message and stores the apology,
    # which cannot be delivered yet (outbound is phase 2) and says so.
    undelivered = wait_for(lambda: rows(
        plain_gateway, "SELECT delivery_error FROM messages WHERE direction = 'out' AND "
        "delivery_error IS NOT NULL AND conversation_id = (SELECT id FROM conversations "
        "WHERE external_id = 'fromUser')"))
    assert undelivered and "HM_WECHAT_APPSECRET" in undelivered[0][0]
    # In the managers' hours the offer to them follows the notice: let the turn end.
    messages_before = wait_for(lambda: settled(lambda: count(plain_gateway, "messages")))
    replay = post(plain_gateway, signed(PLAIN_TOKEN, nonce="retry"), payload("text.xml"))
    assert replay.status_code == 200 and replay.text == "success"
    time.sleep(0.3)
    assert count(plain_gateway, "messages") == messages_before


def test_an_empty_recognition_is_stored_and_the_member_asked_to_type(
        plain_gateway: GatewayProcess) -> None:
    body = payload("voice_recognition.xml").replace(
        "<Recognition><![CDATA[腾讯微信团队]]></Recognition>".encode(),
        b"<Recognition><![CDATA[]]></Recognition>").replace(
        b"<FromUserName><![CDATA[fromUser]]>", b"<FromUserName><![CDATA[voiceUser]]>")
    assert post(plain_gateway, signed(PLAIN_TOKEN), body).text == "success"
    def texts():
        found = [r[0] for r in rows(
            plain_gateway, "SELECT m.text FROM messages m JOIN conversations c ON "
            "c.id = m.conversation_id WHERE c.external_id = 'voiceUser' ORDER BY m.id")]
        return found if len(found) >= 2 else None

    texts = wait_for(texts)
    assert texts[0].startswith("[语音]") and "文字" in texts[1]


def test_events_are_recorded_once_and_unsubscribe_purges_the_member(
        plain_gateway: GatewayProcess) -> None:
    subscribe = payload("event_subscribe.xml")
    assert post(plain_gateway, signed(PLAIN_TOKEN), subscribe).text == "success"
    assert post(plain_gateway, signed(PLAIN_TOKEN, nonce="again"), subscribe).text == "success"
    recorded = rows(plain_gateway, "SELECT event FROM channel_events WHERE "
                    "external_id = 'FromUser'")
    assert [r[0] for r in recorded] == ["subscribe"]
    # The welcome is stored (undelivered until phase 2) in the member's conversation.
    assert wait_for(lambda: rows(plain_gateway, "SELECT m.id FROM messages m JOIN "
                                 "conversations c ON c.id = m.conversation_id WHERE "
                                 "c.external_id = 'FromUser' AND m.author = 'system'"))
    assert post(plain_gateway, signed(PLAIN_TOKEN), payload("event_click.xml")).text == "success"
    assert post(plain_gateway, signed(PLAIN_TOKEN), payload("event_view.xml")).text == "success"
    assert post(plain_gateway, signed(PLAIN_TOKEN),
                payload("event_unsubscribe.xml")).text == "success"
    assert rows(plain_gateway, "SELECT id FROM conversations WHERE external_id = 'FromUser'") == []
    assert rows(plain_gateway, "SELECT id FROM channel_events WHERE "
                "external_id = 'FromUser'") == []
    assert rows(plain_gateway, "SELECT event FROM channel_events WHERE "
                "event = 'unsubscribe' AND external_id IS NULL")


# ------------------------------------------------------------------ safe mode

def test_the_published_safe_mode_request_is_accepted_with_the_previous_key(
        safe_gateway: GatewayProcess) -> None:
    query = PUSH["request"]["query"]
    body = payload("encrypted_safe_mode.xml")
    for _ in range(2):  # the second is WeChat's retry: recorded once
        answer = post(safe_gateway, query, body)
        assert answer.status_code == 200 and answer.text == "success"
    recorded = rows(safe_gateway, "SELECT event, external_id FROM channel_events")
    assert [tuple(r) for r in recorded] == [("debug_demo", query["openid"])]


def test_safe_mode_refuses_a_bad_msg_signature_or_a_missing_encrypt_type(
        safe_gateway: GatewayProcess) -> None:
    query = PUSH["request"]["query"]
    body = payload("encrypted_safe_mode.xml")
    before = count(safe_gateway, "channel_events")
    assert post(safe_gateway, {**query, "msg_signature": "0" * 40}, body).status_code == 403
    assert post(safe_gateway, {k: v for k, v in query.items() if k != "encrypt_type"},
                body).status_code == 403
    assert post(safe_gateway, {**query, "signature": "0" * 40}, body).status_code == 403
    # Plaintext fields are never trusted in safe mode.
    assert post(safe_gateway, signed(PUSH["token"], int(query["timestamp"])),
                payload("text.xml")).status_code == 403
    assert count(safe_gateway, "channel_events") == before


def encrypted_request(key: str, inner: str, nonce: str) -> tuple:
    timestamp = PUSH["request"]["query"]["timestamp"]
    crypto = WeChatCrypto(PUSH["token"], key, PUSH["receive_id"])
    from wechatpy.crypto import PrpCrypto
    encrypt = PrpCrypto(crypto.key).encrypt(inner, PUSH["receive_id"]).decode()
    body = f"<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName><Encrypt><![CDATA[" \
           f"{encrypt}]]></Encrypt></xml>".encode()
    params = {**signed(PUSH["token"], int(timestamp), nonce), "encrypt_type": "aes",
              "msg_signature": message_signature(PUSH["token"], timestamp, nonce, encrypt),
              "openid": "oSafeMember"}
    return params, body, encrypt


def test_safe_mode_text_is_stored_decrypted_and_replays_are_ignored(
        safe_gateway: GatewayProcess) -> None:
    inner = payload("text.xml").decode().replace("fromUser", "oSafeMember")
    params, body, _ = encrypted_request(OTHER_KEY, inner, "111")
    assert post(safe_gateway, params, body).text == "success"
    assert post(safe_gateway, params, body).text == "success"
    stored = rows(safe_gateway, "SELECT m.text FROM messages m JOIN conversations c ON "
                  "c.id = m.conversation_id WHERE c.external_id = 'oSafeMember' AND "
                  "m.author = 'member'")
    assert [r[0] for r in stored] == ["this is a test"]


def test_an_entity_inside_the_decrypted_xml_is_400(safe_gateway: GatewayProcess) -> None:
    inner = "<!DOCTYPE xml [<!ENTITY a 'b'>]>" + payload("text.xml").decode()
    params, body, _ = encrypted_request(OTHER_KEY, inner, "222")
    assert post(safe_gateway, params, body).status_code == 400


def test_a_signed_body_no_key_decrypts_is_kept_encrypted_with_an_alert(
        safe_gateway: GatewayProcess) -> None:
    params, body, encrypt = encrypted_request(THIRD_KEY, payload("text.xml").decode(), "333")
    assert post(safe_gateway, params, body).text == "success"
    assert post(safe_gateway, params, body).text == "success"
    alerts = rows(safe_gateway, "SELECT kind, body, external_id FROM operator_alerts")
    assert [tuple(r) for r in alerts] == [("undecryptable", encrypt, "oSafeMember")]
