"""What the console shows of the WeChat channel, over HTTP against a real gateway process
and its SQLite database: each reply's delivery state, the photos and voice notes members
send (served with safe headers, every view audited), and the operator alerts (admins
only, resolved with the CSRF token). The rows are written straight into the gateway's
database, as the WeChat adapter and sender would leave them."""
from __future__ import annotations

import struct
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Dict, List, Optional

import pytest
from sqlalchemy import select, update

from bot.clock import Clock
from bot.console import accounts
from bot.db import Database
from bot.gateway.models import AuditEntry, Conversation, Media, Message, OperatorAlert, User
from tests.conftest import CONSOLE_PASSWORD, TEST_NOW, GatewayProcess

NOW = Clock.from_env({"HM_NOW": TEST_NOW}).now()
REASONS = {
    "held": "本次互动可发送的消息数已用完，已放入待发送，会员下次发消息时送出",
    "undeliverable": "会员超过48小时未互动或已取消关注，无法发送",
    "uncertain": "发送超时，会员可能已收到",
}
SHOWN = {
    "pending": "发送中",
    "sending": "发送中",
    "sent": "已送达微信",
    "held": "待发送：会员下次发消息时送出",
    "undeliverable": f"未送达：{REASONS['undeliverable']}",
    "uncertain": f"可能未送达：{REASONS['uncertain']}",
}


def tiny_png() -> bytes:
    """A real 1x1 PNG (one teal pixel)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x0b\x7a\x6d")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


PNG = tiny_png()
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'


@dataclass
class WeChatConversation:
    """A WeChat conversation as the adapter and the sender left it: ids by role."""

    id: int
    openid: str
    replies: Dict[str, int] = field(default_factory=dict)  # delivery state -> message id
    media: Dict[str, int] = field(default_factory=dict)  # photo/pending/failed/voice/svg
    messages: Dict[str, int] = field(default_factory=dict)  # the same, message ids


def database(gateway: GatewayProcess) -> Database:
    return Database.from_url(gateway.db_url)


def wechat_conversation(gateway: GatewayProcess) -> WeChatConversation:
    openid = "oTest" + uuid.uuid4().hex[:23]
    db = database(gateway)
    try:
        with db.writing() as session:
            c = Conversation(channel="wechat", external_id=openid, state="bot",
                             created_at=NOW, last_message_at=NOW)
            session.add(c)
            session.flush()
            made = WeChatConversation(c.id, openid)

            def member(text: str) -> Message:
                m = Message(conversation_id=c.id, direction="in", author="member", text=text,
                            routed_to="unrouted", created_at=NOW)
                session.add(m)
                session.flush()
                return m

            def media(name: str, kind: str, state: str, **columns) -> None:
                m = member({"voice": "[语音]"}.get(kind, "[图片]"))
                row = Media(conversation_id=c.id, message_id=m.id, channel="wechat",
                            media_id=f"{openid}-{name}", kind=kind, state=state,
                            created_at=NOW, **columns)
                session.add(row)
                session.flush()
                made.media[name], made.messages[name] = row.id, m.id

            member("我想办理预授权，材料发给您")
            media("photo", "image", "stored", content_type="image/png", filename="a.png",
                  data=PNG, size=len(PNG), fetched_at=NOW)
            media("pending", "image", "pending")
            media("failed", "image", "failed", error="微信系统繁忙")
            media("voice", "voice", "stored", content_type="audio/amr",
                  filename="voice.amr", data=b"#!AMR\n" + b"\x00" * 20, size=26)
            media("svg", "image", "stored", content_type="image/svg+xml",
                  filename="x.svg\r\nX-Evil: 1", data=SVG, size=len(SVG))
            for state in ("pending", "sending", "sent", "held", "undeliverable", "uncertain"):
                reply = Message(conversation_id=c.id, direction="out", author="bot",
                                text=f"回复（{state}）", delivery_state=state,
                                delivery_error=REASONS.get(state), created_at=NOW)
                session.add(reply)
                session.flush()
                made.replies[state] = reply.id
        return made
    finally:
        db.dispose()


def add_alert(gateway: GatewayProcess, kind: str, detail: str, external_id: Optional[str],
              body: Optional[str] = None, minutes_ago: int = 0,
              resolved: bool = False) -> int:
    db = database(gateway)
    try:
        with db.writing() as session:
            alert = OperatorAlert(channel="wechat", kind=kind, dedup_key=uuid.uuid4().hex,
                                  external_id=external_id, detail=detail, body=body,
                                  created_at=NOW - timedelta(minutes=minutes_ago),
                                  resolved_at=NOW if resolved else None)
            session.add(alert)
            session.flush()
            return alert.id
    finally:
        db.dispose()


def audit_entries(gateway: GatewayProcess, target: str) -> List[AuditEntry]:
    db = database(gateway)
    try:
        with db.reading() as session:
            return list(session.execute(select(AuditEntry).where(
                AuditEntry.target == target).order_by(AuditEntry.id)).scalars())
    finally:
        db.dispose()


def resolved_at(gateway: GatewayProcess, alert_id: int):
    db = database(gateway)
    try:
        with db.reading() as session:
            return session.get(OperatorAlert, alert_id).resolved_at
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def wechat(console_gateway) -> WeChatConversation:
    return wechat_conversation(console_gateway)


def article(page: str, message_id: int) -> str:
    start = page.index(f'data-id="{message_id}"')
    return page[start:page.index("</article>", start)]


# ------------------------------------------------------------------ delivery states


def test_each_reply_shows_what_became_of_it_on_wechat(console_gateway, wechat):
    page = console_gateway.console("wang").get(f"/console/conversations/{wechat.id}")
    assert page.status_code == 200
    for state, message_id in wechat.replies.items():
        shown = article(page.text, message_id)
        assert f'class="delivery delivery-{state}"' in shown
        assert SHOWN[state] in shown
        assert "消息已保存，但渠道发送失败。" not in shown


def test_the_api_gives_the_delivery_state_its_label_and_the_reason(console_gateway, wechat):
    data = console_gateway.console("zhao").conversation(wechat.id)
    replies = {m["id"]: m for m in data["messages"] if m["direction"] == "out"}
    for state, message_id in wechat.replies.items():
        reply = replies[message_id]
        assert (reply["delivery_state"], reply["delivery_label"]) == (state, SHOWN[state])
        assert reply["delivery_error"] == REASONS.get(state)


def test_a_web_chat_reply_that_failed_keeps_the_old_notice_and_no_state(console_gateway):
    member = console_gateway.member()
    member.say("你好")  # no Rasa here: an apology from the system
    db = database(console_gateway)
    with db.writing() as session:
        reply = session.execute(select(Message).where(
            Message.conversation_id == member.conversation_id,
            Message.direction == "out")).scalars().first()
        reply.delivery_error = "connection reset"
        reply_id = reply.id
    db.dispose()
    wang = console_gateway.console("wang")
    shown = article(wang.get(f"/console/conversations/{member.conversation_id}").text, reply_id)
    assert "消息已保存，但渠道发送失败。" in shown and "delivery-" not in shown
    view = next(m for m in wang.conversation(member.conversation_id)["messages"]
                if m["id"] == reply_id)
    assert (view["delivery_state"], view["delivery_label"], view["media"]) == (None, None, None)


# ------------------------------------------------------------------ members' media


def test_a_member_photo_is_shown_inline_and_links_to_the_full_size(console_gateway, wechat):
    page = console_gateway.console("wang").get(f"/console/conversations/{wechat.id}").text
    photo = wechat.media["photo"]
    shown = article(page, wechat.messages["photo"])
    assert f'<img class="thumb" src="/console/media/{photo}"' in shown
    assert f'<a href="/console/media/{photo}" target="_blank" rel="noopener"' in shown
    assert "图片下载中" in article(page, wechat.messages["pending"])
    assert "图片未能下载：微信系统繁忙" in article(page, wechat.messages["failed"])
    voice = article(page, wechat.messages["voice"])
    assert f'href="/console/media/{wechat.media["voice"]}" download' in voice
    assert "下载语音" in voice
    # Not an allow-listed image: a download link, never an <img>.
    svg = article(page, wechat.messages["svg"])
    assert "<img" not in svg and f"下载图片（{len(SVG)} B）" in svg


def test_the_api_carries_each_message_media(console_gateway, wechat):
    messages = {m["id"]: m for m in console_gateway.console("wang")
                .conversation(wechat.id)["messages"]}
    photo = messages[wechat.messages["photo"]]["media"]
    assert {k: photo[k] for k in ("id", "kind", "state", "content_type", "error", "inline")} \
        == {"id": wechat.media["photo"], "kind": "image", "state": "stored",
            "content_type": "image/png", "error": None, "inline": True}
    failed = messages[wechat.messages["failed"]]["media"]
    assert (failed["state"], failed["error"], failed["label"]) == \
        ("failed", "微信系统繁忙", "图片未能下载：微信系统繁忙")
    assert messages[wechat.messages["pending"]]["media"]["label"] == "图片下载中"
    assert messages[wechat.messages["svg"]]["media"]["inline"] is False
    assert messages[wechat.replies["sent"]]["media"] is None


def test_a_photo_is_served_as_itself_uncached_unsniffed_and_each_view_audited(
        console_gateway, wechat):
    wang = console_gateway.console("wang")
    path = f"/console/media/{wechat.media['photo']}"
    for _ in range(2):
        answer = wang.get(path)
        assert answer.status_code == 200
        assert answer.content == PNG
        assert answer.headers["Content-Type"] == "image/png"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Cache-Control"] == "private, no-store"
        assert "Content-Disposition" not in answer.headers
    views = audit_entries(console_gateway, f"media:{wechat.media['photo']}")
    assert [(e.action, e.username) for e in views][-2:] == [("view_media", "wang")] * 2
    assert views[-1].detail == {"conversation": wechat.id, "kind": "image", "size": len(PNG)}
    assert views[-1].at.isoformat() == TEST_NOW


@pytest.mark.parametrize("name,suffix", [("voice", ".amr"), ("svg", "")])
def test_anything_but_an_allow_listed_image_is_an_opaque_download(console_gateway, wechat,
                                                                    name, suffix):
    answer = console_gateway.console("wang").get(f"/console/media/{wechat.media[name]}")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/octet-stream"
    kind = "voice" if name == "voice" else "image"
    assert answer.headers["Content-Disposition"] == \
        f'attachment; filename="{kind}-{wechat.media[name]}{suffix}"'
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Evil" not in answer.headers


def test_media_not_downloaded_or_unknown_is_404(console_gateway, wechat):
    wang = console_gateway.console("wang")
    for media_id in (wechat.media["pending"], wechat.media["failed"], 987654321):
        answer = wang.get(f"/console/media/{media_id}")
        assert answer.status_code == 404
        assert answer.text == "找不到该文件，或尚未下载完成。"
        assert audit_entries(console_gateway, f"media:{media_id}") == []


def test_media_needs_a_logged_in_active_console_user(console_gateway, wechat):
    import requests

    path = f"/console/media/{wechat.media['photo']}"
    page = requests.get(console_gateway.url + path, allow_redirects=False, timeout=10)
    assert page.status_code == 302 and page.headers["Location"].startswith("/console/login")
    data = requests.get(console_gateway.url + path, headers={"Accept": "application/json"},
                        allow_redirects=False, timeout=10)
    assert data.status_code == 401

    # A reviewer reads conversations, so opens their photos; once deactivated, nothing.
    username = "rev" + uuid.uuid4().hex[:8]
    db = database(console_gateway)
    with db.writing() as session:
        accounts.create_user(session, username, CONSOLE_PASSWORD, "reviewer", "临时审核", NOW)
    reviewer = console_gateway.console(username)
    assert reviewer.get(path).status_code == 200
    with db.writing() as session:
        session.execute(update(User).where(User.username == username).values(active=False))
    db.dispose()
    assert reviewer.get(path).status_code == 302
    assert reviewer.get(path, headers={"Accept": "application/json"}).status_code == 401


# ------------------------------------------------------------------ operator alerts


def test_only_admins_see_the_alerts_page_and_its_link(console_gateway):
    for username in ("wang", "zhao"):
        user = console_gateway.console(username)
        answer = user.get("/console/alerts")
        assert answer.status_code == 403
        assert answer.text == "您的角色没有权限执行此操作。"
        assert "/console/alerts" not in user.get("/console/").text
    assert console_gateway.console("boss").get("/console/alerts").status_code == 200


def test_the_alerts_page_lists_unresolved_alerts_newest_first_without_the_body(
        console_gateway, wechat):
    secret = "ENCRYPTED" + "x" * 91
    older = add_alert(console_gateway, "daily_quota",
                      "公众号今日客服消息额度已用完（45009），暂停发送，次日恢复。", None,
                      minutes_ago=30)
    newer = add_alert(console_gateway, "undecryptable",
                      "passed msg_signature but no EncodingAESKey decrypts it (bad padding)",
                      wechat.openid, body=secret, minutes_ago=5)
    done = add_alert(console_gateway, "undecryptable", "an old one", None, resolved=True)
    page = console_gateway.console("boss").get("/console/alerts").text
    unresolved = page[page.index('id="open-alerts"'):page.index('id="resolved-alerts"')]
    assert unresolved.index(f'data-id="{newer}"') < unresolved.index(f'data-id="{older}"')
    assert f'data-id="{done}"' not in unresolved
    assert f'data-id="{done}"' in page[page.index('id="resolved-alerts"'):]
    row = unresolved[unresolved.index(f'data-id="{newer}"'):]
    row = row[:row.index("</tr>")]
    assert "微信消息无法解密" in row and "bad padding" in row and "<td>微信</td>" in row
    assert f"{wechat.openid[:4]}{'*' * (len(wechat.openid) - 8)}{wechat.openid[-4:]}" in row
    assert wechat.openid not in page
    assert "ENCRYPTED" not in page and "加密内容 100 字符（不显示）" in page
    assert f'href="/console/conversations/{wechat.id}"' in row
    assert "公众号今日客服消息额度用完" in unresolved


def test_admins_see_the_number_of_unresolved_alerts_in_the_header(console_gateway):
    add_alert(console_gateway, "daily_quota", "额度用完", None)
    db = database(console_gateway)
    with db.reading() as session:
        unresolved = len(session.execute(select(OperatorAlert.id).where(
            OperatorAlert.resolved_at.is_(None))).all())
    db.dispose()
    page = console_gateway.console("boss").get("/console/").text
    assert f'<span class="badge" title="未处理">{unresolved}</span>' in page


def test_resolving_an_alert_needs_the_csrf_token_an_admin_and_is_audited(console_gateway):
    alert = add_alert(console_gateway, "undecryptable", "no key decrypts it", None, body="x")
    path = f"/console/alerts/{alert}/resolve"
    boss = console_gateway.console("boss")
    for token in ("", "forged-token"):
        refused = boss.post(path, csrf=token)
        assert refused.status_code == 403
        assert refused.json()["message"] == "页面已过期或请求无效，请刷新后重试。"
    assert console_gateway.console("wang").post(path).status_code == 403
    assert resolved_at(console_gateway, alert) is None

    answer = boss.post(path)
    assert answer.status_code == 200 and answer.json()["message"] == "已标记为已处理。"
    assert resolved_at(console_gateway, alert).isoformat() == TEST_NOW
    again = boss.post(path)
    assert again.status_code == 409 and again.json()["message"] == "该提醒不存在或已处理。"
    entries = audit_entries(console_gateway, f"alert:{alert}")
    assert [(e.action, e.username, e.detail) for e in entries] == [
        ("resolve_alert", "boss", {"kind": "undecryptable"}),
        ("resolve_alert_refused", "boss", {"reason": "alert_gone", "owner": None})]


def test_the_resolve_form_returns_to_the_alerts_page(console_gateway):
    alert = add_alert(console_gateway, "daily_quota", "额度用完", None)
    answer = console_gateway.console("boss").post(f"/console/alerts/{alert}/resolve",
                                                  as_json=False)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/alerts?notice=alert_resolved"
    assert resolved_at(console_gateway, alert) is not None
