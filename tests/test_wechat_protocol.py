"""The WeChat callback protocol's pure functions against the published vectors and
payloads in ../shared/wechat (read in place, never copied): signatures, AES with key
rotation, XML safety and parsing."""
from __future__ import annotations

import base64
import json
from typing import Any, Dict

import pytest
from wechatpy.crypto import PrpCrypto, WeChatCrypto

from bot.gateway.channels.wechat import protocol
from bot.gateway.channels.wechat.protocol import KeyRing, Query, Rejected, Undecryptable
from tests.conftest import SHARED_DIR

SHARED = SHARED_DIR / "wechat"
if not SHARED.is_dir():
    pytest.skip(f"{SHARED} is absent: set HM_SHARED_DIR to the shared folder",
                allow_module_level=True)
VECTORS: Dict[str, Dict[str, Any]] = {
    v["id"]: v for v in json.loads((SHARED / "crypto_vectors.json").read_text("utf-8"))["vectors"]}
OTHER_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def payload(name: str) -> bytes:
    """A sample payload: every byte after the first (source) line."""
    return (SHARED / "messages" / name).read_bytes().split(b"\n", 1)[1]


def vectors(*kinds: str):
    return [pytest.param(v, id=i) for i, v in VECTORS.items() if v["kind"] in kinds]


def fixed_random(random: str):
    class FixedRandom(PrpCrypto):
        def get_random_string(self) -> str:
            return random
    return FixedRandom


# ------------------------------------------------------------------ signatures

@pytest.mark.parametrize("vector", vectors("url_signature"))
def test_url_signature_matches_the_published_examples(vector) -> None:
    expected = protocol.url_signature(vector["token"], vector["timestamp"], vector["nonce"])
    assert expected == vector["signature"]
    query = Query(vector["signature"], vector["timestamp"], vector["nonce"])
    protocol.verify_query(vector["token"], query)
    if "sorted_concat" in vector:
        assert "".join(sorted([vector["token"], vector["timestamp"], vector["nonce"]])) == \
            vector["sorted_concat"]


def test_a_wrong_url_signature_is_refused_with_403() -> None:
    vector = VECTORS["wechatpy-utils-check-signature"]
    with pytest.raises(Rejected) as refused:
        protocol.verify_query(vector["token"], Query(vector["negative"]["signature"],
                                                     vector["timestamp"], vector["nonce"]))
    assert refused.value.status == 403
    with pytest.raises(Rejected):
        protocol.verify_query(vector["token"], Query(None, vector["timestamp"], vector["nonce"]))


@pytest.mark.parametrize("vector", vectors("decrypt", "verify_url_encrypted_echostr"))
def test_msg_signature_covers_token_timestamp_nonce_and_the_ciphertext(vector) -> None:
    encrypt = vector.get("encrypt") or vector["echostr"]
    assert protocol.message_signature(vector["token"], vector["timestamp"], vector["nonce"],
                                      encrypt) == vector["msg_signature"]


def test_the_message_push_example_verifies_and_decrypts() -> None:
    vector = VECTORS["oplatform-doc-message-push-safe-mode"]
    query = Query.of({k: [v] for k, v in vector["request"]["query"].items()})
    body = payload("encrypted_safe_mode.xml")
    assert body.decode("utf-8") == vector["request"]["body"]
    protocol.verify_query(vector["token"], query)
    encrypt = protocol.verified_encrypt(vector["token"], query, body)
    assert encrypt == vector["request"]["encrypt"]
    assert sorted([vector["token"], query.timestamp, query.nonce, encrypt]) == \
        vector["expected"]["msg_signature_sorted_inputs"]
    keys = KeyRing(vector["token"], vector["receive_id"], vector["encoding_aes_key"])
    assert keys.crypto("current").key.hex() == vector["aes_key_hex"]
    decrypted = keys.decrypt(encrypt)
    assert decrypted.xml.decode("utf-8") == vector["expected"]["msg"]
    assert decrypted.key == "current"
    inbound = protocol.parse_inbound(decrypted.xml)
    assert (inbound.msg_type, inbound.event, inbound.openid) == (
        "event", "debug_demo", vector["request"]["query"]["openid"])


def test_the_message_push_example_reply_encrypts_as_published() -> None:
    vector = VECTORS["oplatform-doc-message-push-safe-mode"]
    reply = vector["reply"]
    crypto = WeChatCrypto(vector["token"], vector["encoding_aes_key"], vector["receive_id"])
    encrypt = fixed_random(reply["random"])(crypto.key).encrypt(reply["plaintext"],
                                                                  vector["receive_id"])
    assert encrypt.decode("ascii") == reply["encrypt"]
    assert protocol.message_signature(vector["token"], reply["timestamp"], reply["nonce"],
                                      reply["encrypt"]) == reply["msg_signature"]


def test_a_bad_msg_signature_or_a_missing_encrypt_type_is_refused() -> None:
    vector = VECTORS["oplatform-doc-message-push-safe-mode"]
    query = vector["request"]["query"]
    body = payload("encrypted_safe_mode.xml")
    tampered = Query(query["signature"], query["timestamp"], query["nonce"], "aes",
                     "0" * 40)
    with pytest.raises(Rejected) as refused:
        protocol.verified_encrypt(vector["token"], tampered, body)
    assert refused.value.status == 403
    plain = Query(query["signature"], query["timestamp"], query["nonce"])
    with pytest.raises(Rejected):
        protocol.verified_encrypt(vector["token"], plain, body)
    # The body's check is msg_signature, never signature.
    wrong = Query(query["signature"], query["timestamp"], query["nonce"], "aes",
                  query["signature"])
    with pytest.raises(Rejected):
        protocol.verified_encrypt(vector["token"], wrong, body)


# ------------------------------------------------------------------ AES

@pytest.mark.parametrize("vector", vectors("decrypt"))
def test_decrypt_gives_the_published_plaintext(vector) -> None:
    keys = KeyRing(vector["token"], vector["receive_id"], vector["encoding_aes_key"])
    assert keys.decrypt(vector["encrypt"]).xml.decode("utf-8") == vector["derived_plaintext"]
    if vector["body"].startswith("<xml>") and "Encrypt" in vector["body"]:
        assert protocol.envelope_encrypt(vector["body"].encode("utf-8")) == vector["encrypt"]


def test_compatible_mode_envelope_from_tencents_sample() -> None:
    vector = VECTORS["tencent-sample-python-compat-mode-decrypt"]
    body = payload("encrypted_compat_mode.xml")
    query = Query("unused", vector["timestamp"], vector["nonce"], "aes", vector["msg_signature"])
    encrypt = protocol.verified_encrypt(vector["token"], query, body)
    keys = KeyRing(vector["token"], vector["receive_id"], vector["encoding_aes_key"])
    inbound = protocol.parse_inbound(keys.decrypt(encrypt).xml)
    assert (inbound.msg_type, inbound.fields["Content"], inbound.msg_id) == (
        "text", "abcdteT", "6054768590064713728")


@pytest.mark.parametrize("vector", vectors("verify_url_encrypted_echostr"))
def test_wecom_encrypted_echostr_decrypts(vector) -> None:
    keys = KeyRing(vector["token"], vector["receive_id"], vector["encoding_aes_key"])
    assert keys.decrypt(vector["echostr"]).xml.decode() == vector["derived_echostr_plaintext"]
    if "negative" in vector:
        assert protocol.message_signature(vector["token"], vector["timestamp"],
                                          vector["negative"]["nonce"], vector["echostr"]) \
            != vector["msg_signature"]


@pytest.mark.parametrize("vector", vectors("encrypt_fixed_random"))
def test_encrypt_with_a_fixed_random_matches_tencents_java_tests(vector) -> None:
    crypto = WeChatCrypto(vector["token"], vector["encoding_aes_key"], vector["receive_id"])
    encrypt = fixed_random(vector["random"])(crypto.key).encrypt(vector["plaintext"],
                                                                   vector["receive_id"])
    assert encrypt.decode("ascii") == vector["expected_encrypt"]
    keys = KeyRing(vector["token"], vector["receive_id"], vector["encoding_aes_key"])
    assert keys.decrypt(vector["expected_encrypt"]).xml.decode() == vector["plaintext"]


@pytest.mark.parametrize("vector", vectors("encrypt_reply_fixed_random"))
def test_encrypted_reply_matches_wechatpys_test(vector) -> None:
    crypto = WeChatCrypto(vector["token"], vector["encoding_aes_key"], vector["receive_id"])
    xml = crypto._encrypt_message(vector["plaintext"], vector["nonce"], vector["timestamp"],
                                  fixed_random(vector["random"]))
    assert xml == vector["expected_xml"]


def test_a_wrong_appid_inside_the_plaintext_is_refused() -> None:
    vector = VECTORS["tencent-sample-cpp-safe-mode-decrypt"]
    keys = KeyRing(vector["token"], "wx0000000000000000", vector["encoding_aes_key"])
    with pytest.raises(Undecryptable):
        keys.decrypt(vector["encrypt"])


def test_a_wrong_key_fails_and_the_previous_key_is_the_fallback() -> None:
    vector = VECTORS["oplatform-doc-message-push-safe-mode"]
    encrypt = vector["request"]["encrypt"]
    with pytest.raises(Undecryptable):
        KeyRing(vector["token"], vector["receive_id"], OTHER_KEY).decrypt(encrypt)
    rotated = KeyRing(vector["token"], vector["receive_id"], OTHER_KEY,
                      previous=vector["encoding_aes_key"])
    decrypted = rotated.decrypt(encrypt)
    assert decrypted.key == "previous"
    assert decrypted.xml.decode() == vector["expected"]["msg"]


@pytest.mark.parametrize("broken", [
    "not base64 at all!", "QUJD", "", "A" * 43,
    # padding: one 16-byte block short of the real ciphertext
    base64.b64encode(base64.b64decode(
        VECTORS["oplatform-doc-message-push-safe-mode"]["request"]["encrypt"])[:-16]).decode(),
])
def test_broken_base64_or_padding_is_undecryptable(broken: str) -> None:
    vector = VECTORS["oplatform-doc-message-push-safe-mode"]
    keys = KeyRing(vector["token"], vector["receive_id"], vector["encoding_aes_key"])
    with pytest.raises(Undecryptable):
        keys.decrypt(broken)


# ------------------------------------------------------------------ freshness

def test_timestamps_more_than_the_window_away_are_refused() -> None:
    protocol.check_fresh("1000", 1300, 300)
    protocol.check_fresh("1600", 1300, 300)
    for stale in ("999", "1601", "abc", ""):
        with pytest.raises(Rejected) as refused:
            protocol.check_fresh(stale, 1300, 300)
        assert refused.value.status == 403


# ------------------------------------------------------------------ XML safety

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<xml><MsgType>text</MsgType><Content>&lol2;</Content></xml>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"""


@pytest.mark.parametrize("body", [
    BILLION_LAUGHS, EXTERNAL_ENTITY, b"<!doctype xml><xml><MsgType>text</MsgType></xml>",
    b"<xml><MsgType>text</MsgType></xml><!ENTITY a 'b'>",
], ids=["billion-laughs", "external-entity", "lower-case-doctype", "entity"])
def test_doctype_and_entities_are_refused_before_parsing(body: bytes) -> None:
    with pytest.raises(Rejected) as refused:
        protocol.parse_inbound(body)
    assert refused.value.status == 400
    with pytest.raises(Rejected):
        protocol.envelope_encrypt(body)


@pytest.mark.parametrize("body", [
    b"<xml><MsgType>text</MsgType>", b"not xml", b"",
    b"<root><MsgType>text</MsgType></root>", b"<xml></xml>",
    b"<xml><FromUserName>a</FromUserName><CreateTime>1</CreateTime></xml>",
    b"<xml><MsgType>text</MsgType><CreateTime>1</CreateTime></xml>",
    b"\xff\xfe<xml/>",
], ids=["unclosed", "text", "empty", "other-root", "empty-xml", "no-msgtype",
        "no-fromuser", "not-utf8"])
def test_malformed_xml_or_missing_fields_are_400(body: bytes) -> None:
    with pytest.raises(Rejected) as refused:
        protocol.parse_inbound(body)
    assert refused.value.status == 400


def test_an_envelope_without_encrypt_is_400() -> None:
    with pytest.raises(Rejected) as refused:
        protocol.envelope_encrypt(payload("text.xml"))
    assert refused.value.status == 400


# ------------------------------------------------------------------ parsing

@pytest.mark.parametrize("name, msg_type, event, expected", [
    ("text.xml", "text", None, {"Content": "this is a test", "msg_id": "1234567890123456"}),
    ("image.xml", "image", None, {"PicUrl": "this is a url", "MediaId": "media_id"}),
    ("voice.xml", "voice", None, {"MediaId": "media_id", "Format": "Format"}),
    ("voice_recognition.xml", "voice", None, {"Recognition": "腾讯微信团队"}),
    ("video.xml", "video", None, {"MediaId": "media_id", "ThumbMediaId": "thumb_media_id"}),
    ("location.xml", "location", None, {"Location_X": "23.134521", "Location_Y": "113.358803",
                                        "Scale": "20", "Label": "位置信息"}),
    ("link.xml", "link", None, {"Title": "公众平台官网链接", "Url": "url"}),
    ("unknown_msgtype.xml", "notsure", None, {"msg_id": "1234567890123456"}),
    ("event_subscribe.xml", "event", "subscribe", {"openid": "FromUser"}),
    ("event_subscribe_qrscene.xml", "event", "subscribe_scan",
     {"scene": "123123", "event_key": "qrscene_123123", "Ticket": "TICKET"}),
    ("event_scan.xml", "event", "scan", {"scene": "123123", "Ticket": "TICKET"}),
    ("event_unsubscribe.xml", "event", "unsubscribe", {"openid": "FromUser"}),
    ("event_click.xml", "event", "click", {"event_key": "EVENTKEY"}),
    ("event_view.xml", "event", "view", {"event_key": "www.qq.com"}),
    ("event_view_menuid.xml", "event", "view", {"event_key": "www.qq.com", "MenuId": "MENUID"}),
    ("event_location.xml", "event", "location", {"Latitude": "23.137466"}),
    ("event_template_send_job_finish.xml", "event", "templatesendjobfinish",
     {"Status": "success", "MsgID": "200163836"}),
    ("event_subscribe_msg_popup.xml", "event", "subscribe_msg_popup_event", {}),
])
def test_every_sample_payload_parses(name, msg_type, event, expected) -> None:
    for body in (payload(name), (SHARED / "messages" / name).read_bytes()):  # with the comment
        inbound = protocol.parse_inbound(body)
        assert (inbound.msg_type, inbound.event) == (msg_type, event)
        for key, value in expected.items():
            actual = (getattr(inbound, key) if key in ("msg_id", "scene", "event_key", "openid")
                      else inbound.fields[key])
            assert actual == value, key
        if inbound.is_event:
            assert inbound.msg_id is None and inbound.dedup_key().startswith("ev:")
        else:
            assert inbound.dedup_key() == f"msg:{inbound.msg_id}"


def test_events_are_deduplicated_by_sender_time_event_and_key_not_by_msg_id() -> None:
    click = protocol.parse_inbound(payload("event_click.xml"))
    view = protocol.parse_inbound(payload("event_view.xml"))
    assert click.openid == view.openid and click.create_time == view.create_time
    assert click.dedup_key() != view.dedup_key()
    assert protocol.parse_inbound(payload("event_view_menuid.xml")).dedup_key() == \
        view.dedup_key()


def test_voice_recognition_is_text_and_empty_recognition_counts_as_absent() -> None:
    heard = protocol.parse_inbound(payload("voice_recognition.xml"))
    assert protocol.recognition(heard) == "腾讯微信团队"
    assert protocol.recognition(protocol.parse_inbound(payload("voice.xml"))) is None
    for empty in (b"<Recognition><![CDATA[]]></Recognition>", b"<Recognition> </Recognition>"):
        body = payload("voice_recognition.xml").replace(
            "<Recognition><![CDATA[腾讯微信团队]]></Recognition>".encode(), empty)
        assert protocol.recognition(protocol.parse_inbound(body)) is None
