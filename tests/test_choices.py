"""Reading members' short answers: picks from a list, materials, booking cues."""
from __future__ import annotations

import pytest

from actions.visits import booking_window
from bot import choices, wording
from bot.choices import (
    all_materials_in_passing,
    asks_to_book,
    changes_a_detail,
    emergency_patient,
    is_accidental_injury,
    is_bare_number,
    is_for_someone_else,
    names_someone_else,
    parse_choice,
    parse_materials,
    preauth_item,
    service_request,
    visit_question_topic,
    wants_to_stop,
)

CODES = wording.MATERIAL_ORDER


@pytest.mark.parametrize("text, count, index", [
    ("1", 3, 0), ("2", 3, 1), (" 3 ", 3, 2), ("２", 3, 1), ("第一个", 3, 0), ("第二个吧", 3, 1),
    ("选第三个", 3, 2), ("就第1个", 3, 0), ("选2", 3, 1), ("②", 3, 1), ("最后那个", 3, 2),
    ("最后一个", 2, 1), ("两个", 3, 1), ("第2项", 4, 1),
    # not a pick, or a number that was not offered
    ("4", 3, None), ("0", 3, None), ("1", 0, None), ("12月1日", 3, None), ("下午3点", 3, None),
    ("瑞金", 3, None), ("", 3, None), ("我要取消第二个预约和第三个", 3, None),
])
def test_a_pick_from_a_numbered_list(text, count, index):
    assert parse_choice(text, count) == index


@pytest.mark.parametrize("text, picked", [
    ("都齐了", set(CODES)), ("材料都准备好了", set(CODES)), ("全部都有", set(CODES)),
    ("还没有", set()), ("没有", set()), ("都没有", set()),
    ("1 3 4", {CODES[0], CODES[2], CODES[3]}), ("1、2、5", {CODES[0], CODES[1], CODES[4]}),
    ("有1和3", {CODES[0], CODES[2]}), ("第2项", {CODES[1]}),
    ("6", None), ("明天", None), ("身份证", None),
])
def test_materials_the_member_has(text, picked):
    result = parse_materials(text, CODES)
    assert (None if result is None else set(result)) == picked


@pytest.mark.parametrize("text, injury", [
    ("我摔伤了 想约骨科", True), ("打球扭伤脚了 能约今天的号吗", True), ("被狗咬了", True),
    ("切菜割到手了", True), ("车祸后复查", True), ("手指骨折了", True),
    ("想约皮肤科", False), ("胃疼 约消化科", False), ("体检", False),
])
def test_accidental_injury_cues(text, injury):
    assert is_accidental_injury(text) is injury


@pytest.mark.parametrize("text, other", [
    ("帮我妈约一下阜外的心内科", True), ("我妈想看心内科 帮忙约一下阜外", True),
    ("给孩子挂个儿科", True), ("孩子咳嗽一周了 想约复旦儿科的呼吸科", True),
    ("替我老公预约骨科", True),
    ("帮我约一下瑞金皮肤科", False), ("我想约华山的神经内科", False),
    ("我妈说我应该去看看皮肤科 帮我约瑞金", False),
])
def test_visits_for_someone_else(text, other):
    assert is_for_someone_else(text) is other


@pytest.mark.parametrize("value, start, end", [
    ({"start": "2026-11-27T15:00:00+08:00", "end": None, "grain": "hour"},
     "2026-11-27T15:00:00+08:00", "2026-11-27T15:30:00+08:00"),
    ({"start": "2026-11-26T09:40:00+08:00", "end": None, "grain": "minute"},
     "2026-11-26T09:30:00+08:00", "2026-11-26T10:00:00+08:00"),
    ({"start": "2026-11-25T08:00:00+08:00", "end": "2026-11-25T12:00:00+08:00", "grain": "hour"},
     "2026-11-25T08:00:00+08:00", "2026-11-25T12:00:00+08:00"),
])
def test_a_point_in_time_means_the_half_hour_slot_containing_it(value, start, end):
    got = booking_window(value)
    assert (got[0].isoformat(), got[1].isoformat()) == (start, end)


def test_wording_of_days_and_slots():
    slot = {"start": "2026-11-26T09:00:00+08:00",
            "doctor": {"name": "张伟", "title": "主任医师", "popular": True}}
    assert wording.slot_label(slot) == "11月26日（周四）09:00 张伟主任医师"
    assert wording.doctor_label(slot["doctor"]) == "张伟 主任医师（热门专家）"
    assert wording.doctor_label(None) == "特需门诊（不指定医生）"
    assert wording.numbered(["a", "b"]) == "1. a\n2. b"
    assert wording.amount_label(12000.0) == "12,000元"


def test_a_visit_found_in_a_half_day_or_a_day_says_it_is_its_earliest():
    start = "2026-12-08T08:00:00+08:00"
    window = {"start": start, "end": "2026-12-08T12:00:00+08:00", "grain": "hour", "text": "下周二上午"}
    clock = {"start": start, "end": None, "grain": "minute", "text": "下周二上午8点"}
    assert wording.visit_moment(start, window) == "12月8日（周二）08:00（下周二上午最早的号）"
    assert wording.visit_moment(start, clock) == "12月8日（周二）08:00"     # the time asked for
    assert wording.visit_moment(start, None) == "12月8日（周二）08:00"      # picked from a list
    assert wording.visit_moment(start, window, "陈欣医生是热门专家，按规定需至少提前1周预约。") == (
        "12月8日（周二）08:00（陈欣医生是热门专家，按规定需至少提前1周预约）")


@pytest.mark.parametrize("text, item", [
    ("拔火罐要预授权吗", "拔火罐"), ("做个针灸需要预授权吗", "针灸"),
    ("请问做胃镜要不要预授权", "胃镜"), ("买个助听器需要先申请预授权吗", "助听器"),
    ("我想问一下做个心脏支架手术要不要事先授权", "心脏支架手术"),
    ("哪些项目要预授权", None), ("什么情况需要预授权", None), ("我要申请预授权", None),
    ("预授权怎么弄", None), ("直付怎么用", None),
])
def test_the_item_a_preauth_question_is_about(text, item):
    assert preauth_item(text) == item


# ------------------------------------------------------------- issue 12's dialogue cues


@pytest.mark.parametrize("text, entities, wanted", [
    ("帮我约12月15号下午两点半 华山医院 消化内科", {"time", "hospital", "department"}, "book_appointment"),
    ("想挂瑞金消化科 这礼拜五下午", {"hospital", "department", "time"}, "book_appointment"),
    ("瑞金内分泌 蒋医生 下周一下午", {"hospital", "department", "doctor", "time"}, None),
    ("麻烦把盛京医院的预约作废", {"hospital"}, "cancel_appointment"),
    ("授权金额最后核定了多少", set(), "check_preauth_status"),
    ("大约三千五", {"amount"}, None),
    ("下周三在华山做肠镜 大概9000块 帮我申请预授权", {"time", "hospital", "treatment", "amount"},
     "apply_preauth"),
    ("做核磁3000块要预授权吗", {"treatment", "amount"}, "ask_preauth_required"),
    ("我要做个穿刺活检 医院说大概1.2万 这个要先申请吗", {"treatment", "amount"}, "ask_preauth_required"),
    ("帮我把预约改到12月4号下午", {"time"}, "reschedule_appointment"),
    ("明天那个帮我取消掉", {"time"}, "cancel_appointment"),
    ("医院换成华山吧 瑞金太远了", {"hospital"}, None),
    ("体检报告说甲状腺结节3类 严重吗", set(), None),
])
def test_a_whole_request_is_read_from_its_details(text, entities, wanted):
    assert service_request(text, frozenset(entities)) == wanted


def test_details_alone_name_a_visit_for_the_dialogue_to_book():
    from bot.choices import names_a_visit

    assert names_a_visit(frozenset({"hospital", "department", "doctor", "time"}))
    assert names_a_visit(frozenset({"hospital", "department"}))
    assert not names_a_visit(frozenset({"hospital"}))
    assert not names_a_visit(frozenset({"time"}))


@pytest.mark.parametrize("text, stop", [
    ("算了", True), ("不用了谢谢", True), ("算了 不取消了", True), ("哎呀不约了 我先问问我儿子", True),
    ("先不申请了吧", True), ("取消吧 不约了", False), ("取消", False), ("我要取消", False),
    ("算了还是改成下周四下午", False),
])
def test_leaving_is_told_from_cancelling_and_from_a_correction(text, stop):
    assert wants_to_stop(text) is stop


def test_a_correction_said_with_a_refusal_word_is_a_detail():
    assert changes_a_detail("算了还是改成下周四下午") and changes_a_detail("不对 是华山医院")
    assert not changes_a_detail("不对")


@pytest.mark.parametrize("text, bare", [("3000", True), ("大概3000块", True), ("两万", True),
                                        ("第二个", True), ("化疗3000", False), ("好的", False)])
def test_a_bare_number_is_an_answer(text, bare):
    assert is_bare_number(text) is bare


@pytest.mark.parametrize("text, loose, strict", [
    ("我要预约", True, True), ("预约", True, True), ("挂个号", True, True),
    ("给我妈约个号", True, False), ("我的预约", False, False), ("约成功没有啊", False, False),
    ("大约三千五", False, False), ("帮我看看预约上了没有", False, False),
])
def test_a_booking_asked_for_in_so_many_words(text, loose, strict):
    assert asks_to_book(text) is loose and asks_to_book(text, strictly=True) is strict


@pytest.mark.parametrize("text, who", [
    ("是我本人", "self"), ("就是我自己", "self"), ("病人就是陈静本人 保险是她的", "self"),
    ("保险是我的 我妈没买", "other"), ("是我爸 他没买你们的保险", "other"),
    ("他也有自己的保险", "other"), ("嗯", None), ("救护车到了", None),
])
def test_who_the_patient_of_an_emergency_is(text, who):
    assert emergency_patient(text) == who


def test_an_emergency_naming_someone_else_is_told_apart():
    assert names_someone_else("俺家老头子吃着饭突然嘴歪了")
    assert names_someone_else("孩子正在抽 叫他没反应")
    assert not names_someone_else("我胸口像压了块大石头 疼到左胳膊")
    assert names_someone_else("俺娘八十多了 今早起来说话不利索")
    assert names_someone_else("我爹突然倒地上了")
    assert names_someone_else("家里老人摔了一跤起不来")


@pytest.mark.parametrize("text, topic", [
    ("要提前多久到", "arrive"), ("护照可以吗", "documents"), ("身份证忘带了怎么办", "forgot_id"),
    ("可能要迟到半小时", "late"), ("要提前几天约", "lead_time"), ("摔伤了能当天约吗", "injury"),
    ("就诊有什么规定", None),
])
def test_a_question_about_a_visit_names_its_point(text, topic):
    assert visit_question_topic(text) == topic


def test_materials_said_in_passing_with_the_request():
    assert all_materials_in_passing("下周三做肠镜 帮我申请预授权 材料都准备好了")
    assert all_materials_in_passing("住院单检查报告这些材料都齐了")
    assert not all_materials_in_passing("材料还没准备")


@pytest.mark.parametrize("text, topic", [
    ("最晚啥时候能取消", "cancel_deadline"), ("取消预约要提前几天", "cancel_deadline"),
    ("改约最晚提前多久", "cancel_deadline"), ("等待期啥时候过", "waiting_period"),
    ("我的等待期到哪天", "waiting_period"), ("预约要提前几天", "lead_time"),
])
def test_a_question_about_a_rule_worded_as_a_request_is_that_question(text, topic):
    from bot.choices import service_request

    assert visit_question_topic(text) == topic
    if topic != "lead_time":
        assert service_request(text, frozenset()) == "ask_visit_rules"


def test_cancelling_is_still_cancelling_and_how_long_is_asked_for_in_words():
    from bot.choices import asks_how_long, service_request

    assert service_request("帮我取消明天的预约", frozenset()) == "cancel_appointment"
    assert service_request("明天的预约能取消吗", frozenset()) == "cancel_appointment"
    assert asks_how_long("预授权批下来要几天") and asks_how_long("多久能出结果")
    assert not asks_how_long("我的预授权审批到哪一步了")


@pytest.mark.parametrize("text, coming", [
    ("已经打了120了", True),
    ("120打过了 救护车在路上", True),
    ("救护车到了 去的瑞金", True),
    ("刚叫了救护车", True),
    ("人已经送到医院了", True),
    ("在急诊了 医生在处理", True),
    ("还没打120", False),
    ("要不要打120啊", False),
    ("需不需要叫救护车", False),
    ("他还在喘 嘴唇发紫", False),
    ("能去医院吗", False),
])
def test_help_already_there_or_coming_is_heard(text, coming):
    assert choices.help_on_the_way(text) is coming
