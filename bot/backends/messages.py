"""Every sentence the backends API returns for a member to read (Simplified Chinese),
and the Chinese labels of its codes. Callers pass values in; nothing else in the
service holds member-facing text."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Optional

from bot.clock import describe_date, weekday_zh

# ------------------------------------------------------------------ errors

_ERRORS = {
    "invalid_request": "请求内容有误，请检查后再试。",
    "idempotency_key_required": "请求缺少 Idempotency-Key 请求头，无法保证不重复提交，请补充后再试。",
    "idempotency_key_reused": "这个 Idempotency-Key 已用于另一个不同的请求，请换一个新的再试。",
    "unauthorized": "身份验证未通过，暂时无法处理这个请求。",
    "not_your_appointment": "这个预约不是您本人的，服务仅限被保险人本人使用。",
    "not_found": "没有找到您要的信息，请核对后再试。",
    "member_not_found": "没有找到您的会员信息，请核对后再试，或联系您的私人健康管家。",
    "method_not_allowed": "这个地址不支持这种请求方式。",
    "slot_full": "这个时段已经约满了，请换一个时间。",
    "duplicate_appointment": "您在这个时段或同一天的同一科室已经有预约了。",
    "not_active": "这个预约已经结束或取消，不能再更改。",
    "invalid_transition": "当前状态下不能做这个变更。",
    "payload_too_large": "提交的内容太大了。",
    "internal_error": "系统暂时出了点问题，请稍后再试；着急的话可以联系您的私人健康管家。",
    "link_mismatch": "保单号和手机号后四位没有核对成功，请确认都填写正确，且保单在保障期内。",
}


def error(code: str) -> str:
    return _ERRORS.get(code, _ERRORS["invalid_request"])


def missing_field(field: str) -> str:
    return f"缺少必填信息（{field}），请补充后再试。"


def wrong_format(field: str, expected: str) -> str:
    return f"信息格式不正确：{field} 应为{expected}，请检查后再试。"


def unknown_choice(field: str, allowed: Iterable[str]) -> str:
    return f"{field} 的取值不在可选范围内（可选：{'、'.join(allowed)}）。"


def bad_json() -> str:
    return "请求内容不是有效的 JSON，请检查后再试。"


def bad_idempotency_key() -> str:
    return "Idempotency-Key 需为1到200个可打印字符。"


def range_reversed() -> str:
    return "结束时间需要晚于开始时间。"


def invalid_transition(current: str, wanted: str) -> str:
    return f"当前状态为“{current}”，不能改为“{wanted}”。"


# ------------------------------------------------------------------ dates


def full_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def visit_time(start: datetime, today: date) -> str:
    return f"{describe_date(start.date(), today)}{start:%H:%M}"


# ------------------------------------------------------------ linking (绑定保单)

_CALL_CENTRE = "众安客服热线952299 / 1010-9955（每天08:00–22:00）"


def link_mismatch(remaining: int, retry_after: Optional[datetime], today: date) -> str:
    """One sentence whatever was wrong (unknown policy, wrong digits, policy not in force)."""
    if remaining > 0:
        return f"{error('link_mismatch')}还可以再试{remaining}次。"
    return (f"{error('link_mismatch')}验证次数已用完，请{visit_time(retry_after, today)}后再试，"
            f"或致电{_CALL_CENTRE}，也可以请私人健康管家帮您核实。")


def link_locked(retry_after: datetime, today: date) -> str:
    return (f"验证失败次数过多，绑定暂时锁定，请{visit_time(retry_after, today)}后再试。"
            f"着急的话请致电{_CALL_CENTRE}，或请私人健康管家帮您核实。")


# ------------------------------------------------------------ availability


def department_not_offered(hospital: str, department: str) -> str:
    return f"{hospital}没有{department}特需门诊。"


def doctor_not_found(hospital: str, department: str) -> str:
    return f"{hospital}{department}没有找到这位医生。"


def no_clinic_that_day(
    hospital: str,
    department: str,
    day: Optional[date],
    today: date,
    holiday: Optional[str] = None,
    doctor: Optional[str] = None,
) -> str:
    """`day` None: the request spans several days, none with a clinic."""
    if day is None:
        who = f"{doctor}医生在您选的日期都不出诊" if doctor else f"{hospital}在您选的日期都没有{department}门诊"
        return f"{who}。"
    if holiday:
        return f"{describe_date(day, today)}是{holiday}假期，{hospital}{department}停诊。"
    if doctor:
        return f"{hospital}{department}{doctor}医生{weekday_zh(day)}不出诊。"
    return f"{hospital}{weekday_zh(day)}没有{department}门诊。"


def outside_clinic_hours(hospital: str, department: str, hours: Iterable[str]) -> str:
    return f"{hospital}{department}当天的门诊时间是{'、'.join(hours)}，您选的时间不在门诊时间内。"


def fully_booked(hospital: str, department: str, doctor: Optional[str] = None) -> str:
    who = f"{doctor}医生" if doctor else f"{hospital}{department}"
    return f"{who}在您选的时间已经约满了。"


def too_soon(earliest: date, today: date) -> str:
    return f"按规定需至少提前1个工作日预约，最早可约{describe_date(earliest, today)}。"


def popular_expert_lead(earliest: date, today: date, doctor: Optional[str] = None) -> str:
    who = f"{doctor}医生是热门专家" if doctor else "热门专家"
    return f"{who}，按规定需至少提前1周预约，最早可约{describe_date(earliest, today)}。"


def in_past() -> str:
    return "您选的时间已经过去了，请换一个时间。"


def beyond_horizon(last: date, today: date, horizon_days: int) -> str:
    return f"目前只能预约{horizon_days}天以内的门诊，最晚可约{describe_date(last, today)}。"


def waiting_period(waiting_period_end: date, today: date) -> str:
    return (
        "您的保单还在等待期内，等待期内的就诊不能预约直付；"
        f"{describe_date(waiting_period_end, today)}起就可以预约了。"
    )


def policy_inactive(policy_start: date, policy_end: date) -> str:
    return (
        f"您选的日期不在保单保障期内（{full_date(policy_start)}至{full_date(policy_end)}），"
        "不能预约直付。"
    )


# ------------------------------------------------------------ appointments


def late_change_warning(action: str) -> str:
    """`action`: 取消 or 改约, less than a day before the visit."""
    return (
        f"离就诊已不足24小时，这次仍为您{action}。按规定取消或改约需至少提前一天，"
        "临时变动可能被医院记为爽约，可能影响后续预约和直付服务；"
        "部分医院仍会收取挂号费/诊查费，这部分费用需由您自行承担。"
    )


def late_change_notice(action: str) -> str:
    """Said before the member confirms `action` (取消 or 改约) less than a day ahead."""
    return (
        f"注意：离就诊已不足24小时。按规定取消或改约需至少提前一天，现在{action}可能被医院记为爽约，"
        "影响后续预约和直付服务；部分医院仍会收取挂号费/诊查费，这部分费用需由您自行承担。"
    )


def rescheduled_note(old_start: datetime, new_start: datetime, today: date) -> str:
    return f"改约：{visit_time(old_start, today)} → {visit_time(new_start, today)}"


# ------------------------------------------------------------------ pre-auth

CATEGORY_LABELS = {
    "inpatient": "住院治疗",
    "chemotherapy": "化疗",
    "radiotherapy": "放疗",
    "targeted": "肿瘤靶向治疗",
    "endocrine": "肿瘤内分泌治疗",
    "immunotherapy": "肿瘤免疫治疗",
    "dialysis": "透析",
    "anti_rejection": "器官移植后抗排异治疗",
    "ga_outpatient_surgery": "全麻门诊手术",
    "durable_equipment": "耐用医疗设备",
    "specified_drug": "特定药品治疗",
    "examination": "检查",
    "other": "其他治疗",
}

# The handbook's list (需要预授权的项目), quoted.
PREAUTH_RULE_TEXTS = {
    1: "所有住院治疗",
    2: "化学治疗、放射治疗、肿瘤靶向疗法、肿瘤内分泌疗法、肿瘤免疫疗法、血液或者腹膜透析、"
       "器官移植后的抗排异治疗，以及需全身麻醉的门诊手术",
    3: "购买或者租用耐用医疗设备",
    4: "所有特定药品治疗",
    5: "上述医疗项目外单价人民币8,000元及以上的治疗、单项检查",
}

PREAUTH_STATUS_LABELS = {
    "submitted": "已提交",
    "under_review": "审核中",
    "more_info_needed": "需补充材料",
    "approved": "已通过",
    "declined": "未通过",
}

MATERIAL_LABELS = {
    "id_card": "身份证正反面",
    "admission_slip": "住院单",
    "exam_reports": "检查报告",
    "outpatient_records": "门诊病历",
    "prescription": "医生开具的处方明细",
}


def category_label(category: Optional[str]) -> Optional[str]:
    return CATEGORY_LABELS.get(category) if category else None


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}".rstrip("0").rstrip(".")


def preauth_required(subject: str, rule: int) -> str:
    return f"{subject}属于需要预授权的项目（第{rule}类：{PREAUTH_RULE_TEXTS[rule]}）。"


def preauth_required_by_price(subject: Optional[str], amount: Decimal) -> str:
    what = f"{subject}单项费用" if subject else "单项费用"
    return (
        f"{what}{_yuan(amount)}元，达到8,000元，需要预授权"
        f"（第5类：{PREAUTH_RULE_TEXTS[5]}）。"
    )


def preauth_not_required(subject: str, amount: Decimal) -> str:
    return f"{subject}单项费用{_yuan(amount)}元，不满8,000元，不需要预授权。"


def preauth_need_price(subject: str) -> str:
    return f"{subject}是否需要预授权要看价格：大概多少钱？单项满8000元需要预授权。"


def preauth_unknown(text: str) -> str:
    return (
        f"暂时无法识别“{text}”属于哪一类项目，不确定是否需要预授权；"
        "您的私人健康管家可以帮您确认。"
    )


def preauth_late_warning(planned: date, today: date) -> str:
    return (
        f"距离治疗日（{describe_date(planned, today)}）不足2个工作日。按规定预授权需至少提前"
        "2个工作日申请，我们会尽快审核，但可能来不及在治疗前完成；"
        "未获预授权可能无法直付，理赔也可能被拒。"
    )


APPOINTMENT_STATUS_LABELS = {
    "requested": "已申请",
    "confirmed": "已确认",
    "changed": "已改约",
    "cancelled": "已取消",
    "attended": "已就诊",
    "no_show": "爽约",
}


def visit_started() -> str:
    return "这个预约的就诊时间已经到了或已经过去，不能再取消或改约。"


def same_slot() -> str:
    return "您选的就是现在预约的时段，不需要改约。"


def preauth_in_past() -> str:
    return (
        "计划治疗日期已经过去了。如果是紧急情况、已经开始治疗，"
        "请在开始治疗后48小时内通知我们，我们会审核是否属于紧急情况。"
    )
