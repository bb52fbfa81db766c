"""WeChat EncodingAESKey rotation never loses a message: a ciphertext under the previous
key decrypts whatever the current key's wrong-key decryption raises (wechatpy's
`struct.error` included), and a body under neither key is kept with an operator alert
and answered `success`, through a real gateway process."""
from __future__ import annotations

import os
import random
import struct
from datetime import datetime
from typing import Iterator, Optional, Tuple

import pytest
import requests
from wechatpy.crypto import PrpCrypto, WeChatCrypto

from bot.gateway.channels.wechat.protocol import (
    DECRYPT_ERRORS,
    KeyRing,
    Undecryptable,
    message_signature,
    url_signature,
)
from bot.processes import free_port, start_gateway_server
from bot.wechat_simulator import crypto as simulated
from tests.conftest import (
    TEST_NOW,
    TEST_VAR,
    Backends,
    GatewayProcess,
    fresh_gateway_db,
    gateway_rows as rows,
)

TOKEN = "rotation-test-token"
APP_ID = "wx0123456789abcdef"
CURRENT = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
PREVIOUS = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"
NEITHER = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg"
NOW = int(datetime.fromisoformat(TEST_NOW).timestamp())


def inner_xml(rng: random.Random, openid: str = "oRotation") -> str:
    """A text message with a random body: lengths from a few bytes to a few KiB, so
    the wrong key's random padding byte lands everywhere."""
    length = rng.choice((rng.randint(0, 40), rng.randint(0, 400), rng.randint(0, 3000)))
    body = "".join(rng.choice("预约直付理赔abcXYZ0123 ，。!?<>&") for _ in range(length))
    return (f"<xml><ToUserName><![CDATA[gh_rotation]]></ToUserName><FromUserName><![CDATA["
            f"{openid}]]></FromUserName><CreateTime>{NOW}</CreateTime><MsgType><![CDATA["
            f"text]]></MsgType><Content><![CDATA[{body}]]></Content><MsgId>"
            f"{rng.randint(1, 2**63)}</MsgId></xml>")


def encrypt(key: str, xml: str) -> str:
    """The simulator's independent implementation, with a random 16-byte prefix."""
    return simulated.encrypt(simulated.aes_key(key), APP_ID, xml.encode("utf-8"))


def wechatpy_error(key: str, encrypted: str) -> Optional[type]:
    """What wechatpy raises decrypting `encrypted` with `key` (None: it decrypted)."""
    try:
        PrpCrypto(WeChatCrypto(TOKEN, key, APP_ID).key).decrypt(encrypted, APP_ID)
    except Exception as error:  # noqa: BLE001 - we want to know which
        return type(error)
    return None


def test_2000_messages_under_the_previous_key_all_decrypt_with_it() -> None:
    keys = KeyRing(TOKEN, APP_ID, CURRENT, PREVIOUS)
    rng = random.Random(13)
    raised = {}
    for _ in range(2000):
        xml = inner_xml(rng)
        encrypted = encrypt(PREVIOUS, xml)
        error = wechatpy_error(CURRENT, encrypted)
        raised[error] = raised.get(error, 0) + 1
        decrypted = keys.decrypt(encrypted)
        assert decrypted.key == "previous"
        assert decrypted.xml == xml.encode("utf-8")
    # The run covered the failure that used to escape (a padding byte of 0 empties the
    # plaintext: about 1 in 256 here; seed 13 gives 4) and every failure is one we know.
    assert raised.get(struct.error, 0) >= 1, raised
    assert None not in raised
    assert all(issubclass(error, DECRYPT_ERRORS) for error in raised), raised


def test_a_body_under_neither_key_is_undecryptable_whatever_wechatpy_raises() -> None:
    keys = KeyRing(TOKEN, APP_ID, CURRENT, PREVIOUS)
    rng = random.Random(256)
    for _ in range(500):
        with pytest.raises(Undecryptable):
            keys.decrypt(encrypt(NEITHER, inner_xml(rng)))
    for broken in ("", "not base64!", "QUJD", "A" * 44):
        with pytest.raises(Undecryptable):
            keys.decrypt(broken)


def test_another_appid_under_the_current_key_moves_on_and_fails_cleanly() -> None:
    keys = KeyRing(TOKEN, APP_ID, CURRENT, PREVIOUS)
    encrypted = simulated.encrypt(simulated.aes_key(CURRENT), "wxsomeoneelse0000",
                                  inner_xml(random.Random(1)).encode())
    with pytest.raises(Undecryptable) as failed:
        keys.decrypt(encrypted)
    assert "current: InvalidAppIdException" in str(failed.value)


# ------------------------------------------------------------------ a real gateway

@pytest.fixture(scope="module")
def rotating_gateway(backends_server: Backends) -> Iterator[GatewayProcess]:
    """Safe mode in the middle of a rotation: current key CURRENT, previous PREVIOUS."""
    db_url = fresh_gateway_db("gateway-wechat-rotation")
    server = start_gateway_server(TEST_VAR / "logs", {
        "HM_GATEWAY_DB": db_url, "HM_RASA_URL": f"http://127.0.0.1:{free_port()}",
        "HM_NOW": TEST_NOW, "HM_BACKENDS_URL": backends_server.url,
        "HM_BACKENDS_TOKEN": backends_server.token, "HM_WECHAT_TOKEN": TOKEN,
        "HM_WECHAT_APPID": APP_ID, "HM_WECHAT_MODE": "safe", "HM_WECHAT_AES_KEY": CURRENT,
        "HM_WECHAT_AES_KEY_PREVIOUS": PREVIOUS}, name="gateway-wechat-rotation")
    gateway = GatewayProcess(server, db_url)
    yield gateway
    server.stop()



def post_encrypted(gateway: GatewayProcess, encrypted: str, openid: str) -> requests.Response:
    nonce = os.urandom(6).hex()
    timestamp = str(NOW)
    body = (f"<xml><ToUserName><![CDATA[gh_rotation]]></ToUserName><Encrypt><![CDATA["
            f"{encrypted}]]></Encrypt></xml>").encode()
    params = {"signature": url_signature(TOKEN, timestamp, nonce), "timestamp": timestamp,
              "nonce": nonce, "encrypt_type": "aes", "openid": openid,
              "msg_signature": message_signature(TOKEN, timestamp, nonce, encrypted)}
    return requests.post(f"{gateway.url}/wechat", params=params, data=body, timeout=10,
                         headers={"Content-Type": "text/xml"})


def failing_with_struct_error(key: str, under: str, openid: str,
                              rng: random.Random) -> Tuple[str, str]:
    """A message encrypted under `under` whose decryption with `key` (and with every
    other key we hold, when `under` is neither) makes wechatpy raise struct.error."""
    while True:
        xml = inner_xml(rng, openid)
        encrypted = encrypt(under, xml)
        tried = (CURRENT, PREVIOUS) if under == NEITHER else (key,)
        if all(wechatpy_error(k, encrypted) is struct.error for k in tried):
            return xml, encrypted


def test_a_previous_key_message_the_current_key_chokes_on_is_stored(
        rotating_gateway: GatewayProcess) -> None:
    rng = random.Random(7)
    for n in range(3):
        openid = f"oRotated{n}"
        _, encrypted = failing_with_struct_error(CURRENT, PREVIOUS, openid, rng)
        answer = post_encrypted(rotating_gateway, encrypted, openid)
        assert answer.status_code == 200 and answer.text == "success"
        assert rows(rotating_gateway, "SELECT m.id FROM messages m JOIN conversations c ON "
                    "c.id = m.conversation_id WHERE c.external_id = :openid AND "
                    "m.author = 'member'", openid=openid)
    assert rows(rotating_gateway, "SELECT id FROM operator_alerts") == []


def test_a_body_under_neither_key_records_an_alert_and_answers_success(
        rotating_gateway: GatewayProcess) -> None:
    _, encrypted = failing_with_struct_error(CURRENT, NEITHER, "oLost", random.Random(9))
    for _ in range(2):  # WeChat's retry: one alert
        answer = post_encrypted(rotating_gateway, encrypted, "oLost")
        assert answer.status_code == 200 and answer.text == "success"
    alerts = rows(rotating_gateway, "SELECT kind, body, external_id, detail FROM "
                  "operator_alerts WHERE external_id = 'oLost'")
    assert [(a[0], a[1], a[2]) for a in alerts] == [("undecryptable", encrypted, "oLost")]
    assert "current: struct.error; previous: struct.error" in alerts[0][3]
    assert "OPERATOR ALERT" in rotating_gateway.server.log_path.read_text("utf-8")
