"""Every Chinese sentence of the reminders job: what members read in a notice (the
transcript, a customer-service message) and the keywords of a WeChat template message.
Pure: notices from the backends' answers (GET /v1/notices) and an explicit `now`."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Mapping

from bot import wording
from bot.clock import describe_date
from bot.gateway.messages import CALL_CENTER, CALL_CENTER_HOURS, MANAGER_HOURS
from bot.reminders.schedule import REMINDER

# The numbers and hours are the gateway's (one home for the handbook's contacts).
MANAGER = f"回复「转人工」联系私人健康管家（{MANAGER_HOURS}）"
CALL = f"致电{CALL_CENTER}（{CALL_CENTER_HOURS}）"
BRING = "带好电子直付卡和含照片的有效证件（身份证/护照/港澳台居民居住证等）"


def _clock(value: str) -> str:
    return f"{wording.parse_datetime(value):%H:%M}"


def _place(visit: Mapping[str, Any]) -> str:
    """瑞金医院消化内科 (陈欣 主任医师)"""
    place = f"{visit['hospital']['name']}{visit['department']['name']}"
    doctor = visit.get("doctor")
    return f"{place}（{doctor['name']} {doctor['title']}）" if doctor else place


def appointment_reminder(visit: Mapping[str, Any], now: datetime) -> str:
    """The day before the visit: when and where, what to bring, and how to change it
    (without the no-show risk while it is still a day ahead, else as soon as possible)."""
    start = wording.parse_datetime(visit["start"])
    change_by = wording.parse_datetime(visit["change_by"])
    if now < change_by:
        by = (f"今天{change_by:%H:%M}" if change_by.date() == now.date()
              else wording.moment(change_by))
        change = f"如需取消或改约，请在{by}前回复「取消预约」或「改约」，以免留下爽约记录。"
    else:
        change = "如不能按时就诊，请尽快回复「取消预约」或「改约」告诉我们，以免留下爽约记录。"
    return (f"就诊提醒：您明天{wording.moment(start)}在{_place(visit)}有预约，"
            f"预约编号{visit['reference']}。\n"
            f"请在{_clock(visit['arrive_by'])}前到达，{BRING}。\n{change}")


def _case(decision: Mapping[str, Any], now: datetime) -> str:
    planned = describe_date(wording.parse_date(decision["planned_date"]), now.date())
    hospital = decision.get("hospital")
    where = f"在{hospital['name']}" if hospital else ""
    return f"您的预授权申请（编号{decision['reference']}，计划{planned}{where}治疗）"


def preauth_result(decision: Mapping[str, Any], now: datetime) -> str:
    """Approved: what the approval does not promise (handbook 预授权 备注). Declined: no
    reason here (it may name a diagnosis, and a WeChat notice may show on a lock screen):
    the health manager explains it."""
    if decision["status"] == "approved":
        return (f"预授权结果：{_case(decision, now)}已审核通过。\n"
                "预授权不代表全额赔付：自付部分仍需您承担，治疗须在保险合同保障范围内。"
                f"如有疑问，{MANAGER}。")
    return (f"预授权结果：{_case(decision, now)}未通过审核。\n"
            f"具体原因和后续办法，请{MANAGER}，或{CALL}。")


def template_data(kind: str, item: Mapping[str, Any]) -> Dict[str, str]:
    """Keywords of a classic WeChat service template (first, keyword1…, remark); a
    template whose keywords are named otherwise needs those names here
    (docs/operations.md). Every value under the gateway's 200-character limit."""
    if kind == REMINDER:
        return {"first": "您明天有就诊预约",
                "keyword1": _place(item),
                "keyword2": wording.moment(wording.parse_datetime(item["start"])),
                "keyword3": item["reference"],
                "remark": f"请在{_clock(item['arrive_by'])}前到达，{BRING}。"}
    return {"first": "您的预授权申请有结果了",
            "keyword1": item["reference"],
            "keyword2": "已通过" if item["status"] == "approved" else "未通过",
            "remark": f"如有疑问，{MANAGER}。"}


def notice_text(kind: str, item: Mapping[str, Any], now: datetime) -> str:
    return (appointment_reminder if kind == REMINDER else preauth_result)(item, now)
