"""bot.identity: what the gateway signs, and what Rasa's channel and the actions accept."""
from __future__ import annotations

import pytest

from bot.identity import (
    IdentityError,
    SIGNATURE,
    secret_from_env,
    sign,
    verified_identity,
    verify,
)
from bot.runtime import UnsafeBind, check_bind

SECRET = b"s" * 32
NOW = 1_800_000_000.0
META = {"channel": "web", "member": "demo-ready", "message_id": "gw-1"}


def signed(text: str = "我约了哪些号", sender: str = "web:demo-ready", **changes) -> dict:
    return {**sign(SECRET, sender, text, META, now=NOW), **changes}


def test_a_signed_message_verifies_to_its_member() -> None:
    found = verify(SECRET, "web:demo-ready", "我约了哪些号", signed(), now=NOW + 5)
    assert (found.channel, found.external_id, found.message_id) == ("web", "demo-ready", "gw-1")


def test_rasa_strips_the_text_so_the_signature_covers_the_stripped_text() -> None:
    assert verify(SECRET, "web:demo-ready", "  我约了哪些号\n", signed(), now=NOW)


@pytest.mark.parametrize("sender, text, metadata, reason", [
    ("web:demo-ready", "我约了哪些号", {**META}, "unsigned"),
    ("web:demo-ready", "我约了哪些号", None, "no metadata"),
    ("web:demo-ready", "取消预约", signed(), "bad signature"),
    ("web:other", "我约了哪些号", signed(), "bad signature"),
    ("web:demo-ready", "我约了哪些号", signed(member="demo-noshow"), "bad signature"),
    ("web:demo-ready", "我约了哪些号", signed(channel="wechat"), "bad signature"),
    ("web:demo-ready", "我约了哪些号", signed(signed_at=int(NOW) + 1), "bad signature"),
    ("web:demo-ready", "我约了哪些号", signed(**{SIGNATURE: "0" * 64}), "bad signature"),
    ("web:demo-ready", "我约了哪些号", signed(**{SIGNATURE: 7}), "unsigned"),
])
def test_anything_altered_or_unsigned_is_refused(sender, text, metadata, reason) -> None:
    with pytest.raises(IdentityError, match=reason):
        verify(SECRET, sender, text, metadata, now=NOW)


def test_what_rasa_adds_to_the_metadata_does_not_break_the_signature() -> None:
    stored = {**signed(), "model_id": "c3928ed4", "assistant_id": "zunxiang-health-manager"}
    assert verify(SECRET, "web:demo-ready", "我约了哪些号", stored, now=NOW)


def test_another_key_is_refused() -> None:
    with pytest.raises(IdentityError, match="bad signature"):
        verify(b"t" * 32, "web:demo-ready", "我约了哪些号", signed(), now=NOW)


@pytest.mark.parametrize("age", [61, -61, 3600])
def test_a_stale_or_future_signature_is_refused_at_the_channel(age: int) -> None:
    with pytest.raises(IdentityError, match="stale"):
        verify(SECRET, "web:demo-ready", "我约了哪些号", signed(), now=NOW + age)


def test_the_actions_accept_an_old_event_rasa_already_accepted() -> None:
    events = [{"event": "user", "text": "我约了哪些号", "metadata": signed()}]
    found = verified_identity(SECRET, "web:demo-ready", events)
    assert found is not None and found.external_id == "demo-ready"


def test_the_newest_signed_user_event_names_the_member() -> None:
    events = [
        {"event": "user", "text": "你好", "metadata": sign(SECRET, "s", "你好", META, now=NOW)},
        {"event": "bot", "text": "您好"},
        {"event": "user", "text": "/EXTERNAL_handback"},  # trigger_intent: unsigned
        {"event": "user", "text": "我约了哪些号",
         "metadata": {"channel": "web", "member": "demo-noshow", SIGNATURE: "f" * 64}},
    ]
    found = verified_identity(SECRET, "s", events)
    assert found is not None and found.external_id == "demo-ready"


def test_a_forged_tracker_names_nobody() -> None:
    events = [{"event": "user", "text": "我约了哪些号",
               "metadata": {"channel": "web", "member": "demo-noshow"}}]
    assert verified_identity(SECRET, "web:demo-noshow", events) is None
    assert verified_identity(SECRET, "web:demo-noshow", []) is None


def test_the_secret_must_be_set_and_long_enough() -> None:
    with pytest.raises(IdentityError):
        secret_from_env({})
    with pytest.raises(IdentityError):
        secret_from_env({"HM_IDENTITY_SECRET": "short"})
    assert secret_from_env({"HM_IDENTITY_SECRET": "x" * 16}) == b"x" * 16


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_binds_need_no_reason(host: str) -> None:
    check_bind("backends", host, {})


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "example.cn"])
def test_binding_beyond_this_machine_needs_a_stated_reason(host: str) -> None:
    with pytest.raises(UnsafeBind, match="HM_EXPOSE_INTERNAL"):
        check_bind("backends", host, {})
    with pytest.raises(UnsafeBind):
        check_bind("backends", host, {"HM_EXPOSE_INTERNAL": "yes"})
    check_bind("backends", host, {"HM_EXPOSE_INTERNAL": "tls"})
    check_bind("backends", host, {"HM_EXPOSE_INTERNAL": "private"})
