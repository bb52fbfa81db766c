"""What the console's pages show, from plain values (bot/console/views.py): the member's
profile with its statuses in words, the conversation's title."""
from __future__ import annotations

from datetime import date

from bot.console import views

TODAY = date(2026, 11, 24)


def visit(status: str, start: str, billing: str = None) -> dict:
    return {"reference": f"AP-{start[:10]}", "status": status, "start": start,
            "direct_billing": {"status": billing} if billing else None,
            "slot": {"hospital": {"name": "瑞金医院"}, "department": {"name": "消化内科"}}}


def test_the_profile_says_appointment_and_direct_billing_statuses_in_words():
    profile = {"member": {"name": "王磊"}, "appointments": [
        visit("confirmed", "2026-11-27T09:00:00+08:00", "pending"),
        visit("requested", "2026-11-26T14:00:00+08:00", "approved"),
        visit("no_show", "2026-11-04T09:00:00+08:00", "declined"),
        visit("cancelled", "2026-11-28T09:00:00+08:00"),
        visit("mystery", "2026-11-29T09:00:00+08:00", "mystery"),
    ]}
    shown = views.profile_view(profile, TODAY)
    assert [(a["status_label"], a["direct_billing_label"]) for a in shown["upcoming"]] == [
        ("已申请", "已通过"), ("已确认", "审核中")]
    assert [(a["status_label"], a["direct_billing_label"]) for a in shown["appointments"]] == [
        ("已确认", "审核中"), ("已申请", "已通过"), ("爽约", "未通过"), ("已取消", None),
        ("mystery", "mystery")]  # a status the console does not know yet, as it is
    assert views.profile_view(None, TODAY) is None


def test_the_conversation_is_titled_with_the_members_name_and_masked_phone():
    conversation = {"member_label": "网页访客 123d"}
    with_phone = {"member": {"name": "陈静", "phone": "13900000001"}}
    assert views.member_title(conversation, with_phone) == "陈静 139****0001"
    assert views.member_title(conversation, {"member": {"name": "陈静"}}) == "陈静"
    # No profile (the backends down, or a guest): the lists' label.
    assert views.member_title(conversation, None) == "网页访客 123d"
    assert views.member_title(conversation, {"member": {}}) == "网页访客 123d"


def test_canned_replies_have_shortcodes_and_fill_their_variables():
    from datetime import date

    from bot.console.canned import canned_replies, variables

    replies = {r.shortcode: r for r in canned_replies()}
    assert {"/直付", "/直付卡", "/预授权材料", "/急诊", "/问候", "/回访"} <= set(replies)
    assert len(replies) == len(canned_replies())                 # every shortcode once
    assert all(code.startswith("/") for code in replies)
    named = replies["/回访"].filled(variables("王磊", date(2026, 12, 3)))
    assert named.text == "王磊您好，12月3日回访一下您之前咨询的问题，现在情况怎么样？"
    unnamed = replies["/稍等"].filled(variables("", date(2026, 12, 3)))
    assert unnamed.text == "我这边帮您查一下，请稍等几分钟。"         # no dangling comma
    assert "{" not in replies["/直付"].filled(variables("", date(2026, 12, 3))).text
