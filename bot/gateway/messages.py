"""Every Chinese sentence the gateway and the console write: to members (handoff, waits,
hours, apologies) and to managers (notices, labels). The bot's own answers live in
domain/*.yml; the call centre's numbers and hours come from the handbook (DOMAIN.md)."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence

from bot.gateway.waits import WaitEstimate

CALL_CENTER = "众安客服热线952299 / 1010-9955"
CALL_CENTER_HOURS = "每天08:00–22:00"
MANAGER_HOURS = "每天08:30–20:30"

# ----------------------------------------------------------------- to members


def bot_unavailable(call_center_open: bool, manager_told: bool = False) -> str:
    """Rasa is down or slow (once per episode): the message is kept and will be answered
    when the assistant is back; the member need not send it again."""
    told = "也已通知私人健康管家，" if manager_told else ""
    contact = (f"如需马上处理，可以致电{CALL_CENTER}（{CALL_CENTER_HOURS}）。"
               if call_center_open else "")
    return ("抱歉，智能助手暂时无法回复。您的消息已经收到并保存，"
            f"{told}恢复后会按顺序回复您，无需重发。"
            f"{contact}紧急情况请立即拨打120或去最近的医院急诊。")


# An emergency typed while the assistant cannot answer: the gateway's own instruction
# (bot/redflags.py detects it), word for word the bot's utter_emergency_first in
# domain/shared.yml (tests/test_gateway_router.py compares them).
EMERGENCY_FIRST = "⚠️这可能是紧急情况：请立即拨打120急救电话，或马上去最近的医院急诊科，先救治！"
SELF_HARM_FIRST = ("您的安全最重要。如果您已经伤害了自己或有危险，请立刻拨打120（或110），"
                   "或请身边的人马上陪您去最近的医院急诊。\n想找人聊聊，可以拨打心理援助热线"
                   "12356，北京心理危机干预中心24小时热线010-82951332。您并不孤单，我们一直在。")


def emergency_first(self_harm: bool) -> str:
    return SELF_HARM_FIRST if self_harm else EMERGENCY_FIRST


# Who may start a web chat, and how fast members may write (gateway/ratelimit.py).
SLOW_DOWN = "您发送得太快了，请稍等一会儿再发。"
TOO_MANY_STARTS = "开始对话的次数太多了，请稍等一会儿再试。"
WECHAT_SLOW_DOWN = ("您发送得太快了，请稍等一会儿再发。这段时间的消息已为您保存，"
                    "智能助手暂未逐条回复，如仍需解答，请稍后再发一次。")
DEMO_ONLY = "演示会员仅在演示环境中可用，请使用管家发给您的专属链接进入。"
# The web chat's own refusals (the page shows them).
SESSION_EXPIRED = "会话已失效，请重新开始"
EMPTY_MESSAGE = "消息不能为空"
MESSAGE_TOO_LONG = "消息太长了，请分几条发送"
BAD_MEMBER_ID = "会员编号格式不正确"
LINK_REFUSED = "该链接无效或已过期，请联系您的私人健康管家重新获取链接。"


# What the bot cannot read yet (photos, video, locations, links, unknown kinds): kept
# for the managers, and the member is asked to type.
UNREADABLE = {
    "image": "已收到您的图片，我们会保存好供健康管家查看。我暂时还看不懂图片内容，请用文字告诉我您想办理什么。",
    "video": "已收到您的视频，我们会保存好供健康管家查看。我暂时还看不懂视频内容，请用文字告诉我您想办理什么。",
    "location": "已收到您发送的位置。如需就近预约，请用文字告诉我您想去的医院或科室。",
    "link": "已收到您分享的链接，我暂时无法打开链接，请用文字告诉我您想咨询的问题。",
    "voice": "已收到您的语音，但我暂时听不清内容，麻烦您用文字再说一遍。",
}
UNREADABLE_OTHER = "抱歉，我暂时无法识别这类消息，已为您保存。请用文字告诉我您想咨询的问题。"


def unreadable(kind: str) -> str:
    """A message kind the bot cannot read: it is stored and the member asked to type."""
    return UNREADABLE.get(kind, UNREADABLE_OTHER)


def unreadable_label(kind: str, detail: str = "") -> str:
    """How such a message appears in the transcript, e.g. "[图片]"."""
    label = {"image": "[图片]", "video": "[视频]", "shortvideo": "[小视频]", "voice": "[语音]",
             "location": "[位置]", "link": "[链接]"}.get(kind, f"[{kind}消息]")
    return f"{label} {detail}".strip()


# WeChat quick replies and the outbox (a member message lets 5 replies through); the
# rules themselves are in bot/gateway/channels/wechat/.
WECHAT_NOT_CONFIGURED = "未配置公众号AppSecret（HM_WECHAT_APPSECRET），无法通过微信发送"
NOTICE_KINDS = {"appointment_reminder": "就诊提醒", "preauth_result": "预授权结果"}


def template_not_configured(kind: str) -> str:
    """For managers: a notice outside the member's window needs a template message."""
    return (f"会员不在48小时互动期内，需用模板消息发送「{NOTICE_KINDS.get(kind, kind)}」，"
            "但未配置模板（HM_WECHAT_TEMPLATES）")


OPTIONS_PROMPT = "回复数字即可选择："
OUTBOX_MORE = "内容较多，回复任意内容查看剩余内容。"
# The window's last message while a manager has the conversation (more may follow).
OUTBOX_LAST_SLOT = "如管家还有后续回复，您回复任意内容即可收到。"
# For operators (an alert): the official account's customer-service messages ran out.
WECHAT_DAILY_QUOTA = ("公众号今日客服消息额度已用完（45009），暂停发送，次日恢复；待发送的消息保存在"
                      "待发送队列。")
def welcome() -> str:
    """A new follower (关注): what the assistant does and that personal answers need
    the policy linked (linking itself comes with the member login)."""
    # The account is 众安健康's; the assistant is 柏盛健康's, as in utter_welcome.
    return ("欢迎关注众安健康！我是柏盛健康为尊享e生会员服务的智能健康管家助手，"
            "可以为您解答就医、直付、预授权等问题，也可以帮您转接私人健康管家（每天08:30–20:30）。"
            "查询您本人的保单和预约需要先绑定保单（保单号及注册手机号后四位）。"
            "紧急情况请立即拨打120。")


def menu_label(key: str) -> str:
    """A menu click as it appears in the transcript."""
    return f"[菜单] {key}"


def _wait_sentence(wait: WaitEstimate) -> str:
    ahead = wait.position - 1
    queue = f"您前面还有{ahead}位会员在等待" if ahead else "您现在排在第一位"
    if wait.minutes is None:
        return f"{queue}，管家会尽快回复您。"
    if wait.over_an_hour:
        return f"{queue}，预计需要等待1小时以上，请您耐心等待。"
    if wait.minutes <= 5:
        return f"{queue}，预计5分钟内回复。"
    return f"{queue}，预计等待约{wait.minutes}分钟。"


def queued(wait: WaitEstimate, emergency: bool, call_center_is_open: bool = False) -> str:
    """Joined the managers' queue (08:30–20:30). An emergency facing a long or unknown
    wait is told again not to wait for a reply."""
    first = ("已为您紧急转接私人健康管家，您会被优先处理。" if emergency
             else "已为您转接私人健康管家，管家会在这里直接回复您。")
    closing = ("管家今天服务到20:30，如果今天来不及回复，明天08:30后会优先联系您。"
               if wait.may_miss_closing else "")
    long_wait = wait.minutes is None or wait.over_an_hour or wait.minutes > 15
    urgent = _urgent_line("emergency", call_center_is_open) if emergency and long_wait else ""
    return f"{first}{_wait_sentence(wait)}{closing}{urgent}"


def still_queued(wait: WaitEstimate) -> str:
    """Asked again while already waiting."""
    return f"您已经在等待私人健康管家了，{_wait_sentence(wait)}"


# While queued: the member asks about the wait (还要等多久, 人呢), or what to do now.
_ASKS_ABOUT_WAIT = re.compile(r"等多久|多久|多长时间|人呢|有人吗|有没有人|还没人|怎么还没|咋还没|还没来|"
                              r"什么时候(?:能|才|会)?(?:回|轮|到|有人)|啥时候|排到|轮到|第几|前面还有|还要等|"
                              r"等(?:了)?(?:好久|半天|这么久|很久|一个小时)|在吗|在不在")
_ASKS_WHAT_TO_DO = re.compile(r"怎么办|咋办|咋整|咋弄|怎么弄|该怎么|怎么做|要不要(?:去|打|叫)|"
                              r"(?:去|上)医院吗|打120吗|叫救护车吗|能做什么|做点什么")


def asks_about_wait(text: str) -> bool:
    return bool(_ASKS_ABOUT_WAIT.search(text or ""))


def asks_what_to_do(text: str) -> bool:
    return bool(_ASKS_WHAT_TO_DO.search(text or ""))


def _urgent_line(reason: Optional[str], call_center_is_open: bool) -> str:
    """What a member waiting after an emergency or a crisis is told again: not to wait."""
    if reason == "crisis":
        return "如果有伤害自己的念头，请立即拨打心理援助热线12356，或拨打120/110。"
    if reason == "emergency":
        phone = f"也可以致电{CALL_CENTER}，现在可以接听。" if call_center_is_open else ""
        return f"如果情况紧急或加重，请立即拨打120，不要等管家回复。{phone}"
    return ""


def while_queued(wait: WaitEstimate, reason: Optional[str], asked_wait: bool,
                 call_center_is_open: bool) -> str:
    """A member's message while waiting in the managers' queue: never silence."""
    urgent = _urgent_line(reason, call_center_is_open)
    if asked_wait:
        return f"{urgent}您已经在等待私人健康管家了，{_wait_sentence(wait)}"
    return f"{urgent}收到，管家接入后会看到您的全部留言。{_wait_sentence(wait)}"


def out_of_hours(manager_back: str, ticket: str, call_center_open: bool,
                 call_center_back: str, emergency: bool) -> str:
    """Outside 08:30–20:30: when a manager is back, the callback ticket, the call centre."""
    text = (f"现在是非工作时间，私人健康管家{MANAGER_HOURS}在线，将于{manager_back}上线。"
            f"已为您登记回访（编号{ticket}），管家上线后会优先联系您。")
    if call_center_open:
        text += f"如需尽快处理，可以致电{CALL_CENTER}（{CALL_CENTER_HOURS}，现在可以接听）。"
    else:
        text += f"{CALL_CENTER}将于{call_center_back}开始接听。"
    if emergency:
        text += "急救优先：请先拨打120或去最近的医院急诊，安顿好后再联系我们。"
    return text


def _manager_intro(display_name: Optional[str]) -> str:
    """私人健康管家王芳; a display name that already says 管家 (the default account's
    健康管家) or none at all: 私人健康管家 alone, never 健康管家健康管家."""
    name = (display_name or "").strip()
    return "您好，我是您的私人健康管家" + ("" if not name or "管家" in name else name)


def manager_joined(display_name: Optional[str]) -> str:
    return f"{_manager_intro(display_name)}，接下来由我为您服务。"


def manager_calls_back(display_name: Optional[str]) -> str:
    return f"{_manager_intro(display_name)}，看到了您之前的留言，现在由我为您服务。"


def handed_back_fallback() -> str:
    """Said when the bot cannot say utter_handed_back itself (Rasa unreachable)."""
    return "健康管家已经为您处理好了，接下来由智能助手继续为您服务。"


def unclaimed(waited_minutes: float, ticket: str, reason: Optional[str],
              manager_back: Optional[str], call_center_is_open: bool) -> str:
    """Nobody took the member in time: said honestly, with the callback and the phone."""
    urgent = _urgent_line(reason, call_center_is_open)
    when = f"管家将于{manager_back}上线，会优先联系您" if manager_back else "管家一有空会优先联系您"
    phone = (f"如需尽快处理，可以致电{CALL_CENTER}（现在可以接听）。"
             if call_center_is_open and reason != "emergency" else "")
    return (f"{urgent}抱歉，您已经等了{max(int(waited_minutes), 1)}分钟，管家们还在忙，暂时没能接入。"
            f"已为您登记回访（编号{ticket}），{when}；您也可以继续在这里留言，不会断开。{phone}")


def booked_for_member(appointment: str, reference: str, arrive_by: str) -> str:
    return (f"已为您预约好✅ {appointment}，预约编号{reference}，请在{arrive_by}前到达。"
            "记得带好电子直付卡和有效证件。")


def rescheduled_for_member(appointment: str, reference: str, arrive_by: str) -> str:
    return f"已为您改约✅ 新的时间：{appointment}，预约编号{reference}，请在{arrive_by}前到达。"


def cancelled_for_member(appointment: str) -> str:
    return f"已为您取消预约：{appointment}。"


def transferred_to(display_name: Optional[str]) -> str:
    """A manager handed the member to a colleague (who greets them)."""
    return f"{_manager_intro(display_name)}，同事已把您的问题转给我，之前的记录我都能看到，接下来由我为您服务。"


def returned_when_quiet() -> str:
    """A manager's conversation went quiet: back to the bot, said plainly."""
    return ("这段时间没有新的消息，本次管家服务先告一段落，接下来由智能助手继续为您服务。"
            "还需要管家的话，随时发“转人工”。")


def survey_question() -> str:
    """满意度, once a manager's part ends; the options are the buttons (numbered lines on
    WeChat), bot.gateway.satisfaction.RATINGS."""
    return "本次管家服务您满意吗？数字后面还可以附上您的意见，如「4 等太久了」。"


def survey_thanks(rating: int) -> str:
    if rating <= 2:
        return "感谢您的评价！有需要随时找我们。"
    return "感谢您的评价，我们会认真改进。如果问题还没解决，随时发“转人工”。"


def handed_back_unanswered() -> str:
    """Hand back while the member's last message has had no manager's answer: no claim
    that it was handled."""
    return ("您刚才的留言管家还没来得及回复，接下来先由智能助手为您服务。"
            "如果还需要人工，随时发“转人工”。")


def conversation_closed() -> str:
    return "本次服务已结束，感谢您的耐心。之后有任何问题，随时在这里留言。"


# ----------------------------------------------------------------- to managers

REASONS = {
    "request_human": "会员要求人工",
    "fallback": "连续两次未理解",
    "emergency": "紧急情况",
    "complaint": "投诉",
    "preauth_unknown": "预授权项目待判断",
    "backend_failure": "系统故障",
    "health": "健康咨询",
    "urgent_care": "需当天就医",
    "crisis": "心理危机",
}
# The summary card (bot/console/views.py summary_card): what the bot had understood.
RED_FLAGS = {
    "chest_pain": "胸痛/疑似心梗", "cardiac_arrest": "心跳呼吸骤停", "breathing": "呼吸困难",
    "unconscious": "意识不清/晕倒", "bleeding": "大出血", "stroke": "疑似脑卒中",
    "seizure": "抽搐", "anaphylaxis": "严重过敏", "injury": "严重外伤",
    "poisoning": "中毒/过量服药", "burn": "烧烫伤", "choking": "噎呛窒息", "drowning": "溺水",
    "electric_shock": "触电", "pregnancy": "孕产急症", "high_fever": "高热/中暑",
    "general": "紧急情况", "self_harm": "自伤风险", "unspecified": "紧急情况（类型未明）",
}
CARD_FACTS = (("hospital", "医院"), ("department", "科室"), ("doctor", "医生"),
              ("time", "时间"), ("visit_slot", "拟约时段"), ("appointment", "涉及的预约"),
              ("change_kind", "要办的事"), ("treatment", "治疗项目"), ("amount", "预估费用"),
              ("emergency_notice", "紧急就医通知"), ("emergency_patient", "就医的人"))
CHANGE_KINDS = {"cancel": "取消预约", "reschedule": "改约"}
EMERGENCY_PATIENTS = {"asked": "已问是否本人，待回答", "self": "被保险人本人", "other": "家人（非本人）",
                      "unknown": "未说明", "crisis": "心理危机"}
PRESENCE_LABELS = {"available": "接待中", "break": "小休", "offline": "离线"}
STATES = {"bot": "智能助手", "queued": "排队中", "human": "管家服务中", "closed": "已结束"}
ROLES = {"manager": "健康管家", "reviewer": "审核员", "admin": "管理员"}
AUTHORS = {"member": "会员", "bot": "智能助手", "manager": "管家", "system": "系统"}
TICKET_STATUSES = {"open": "待回访", "claimed": "已接手", "done": "已完成"}
CHANNELS = {"web": "网页", "wechat": "微信"}
# How a handoff ended (bot.gateway.models.HANDOFF_OUTCOMES).
OUTCOMES = {"handed_back": "已交还智能助手", "closed": "已结束", "superseded": "已合并"}
# The member's profile from the backends (their status codes).
APPOINTMENT_STATUSES = {"requested": "已申请", "confirmed": "已确认", "changed": "已改约",
                        "cancelled": "已取消", "attended": "已就诊", "no_show": "爽约"}
DIRECT_BILLING_STATUSES = {"pending": "审核中", "approved": "已通过", "declined": "未通过"}
# The audit log (审计日志): what was done. A refused attempt is "<action>_refused".
AUDIT_ACTIONS = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "account_locked": "账号被锁定",
    "unlock_account": "解除锁定",
    "create_user": "创建账号",
    "view_conversation": "查看会话",
    "view_media": "查看会员文件",
    "claim": "接入会话",
    "claim_ticket": "接手回访工单",
    "reply": "回复会员",
    "note": "内部备注",
    "hand_back": "交还智能助手",
    "close": "结束会话",
    "resolve_alert": "处理运维提醒",
    "unmask": "查看原文",
    "review": "审核",
    "review_accept": "审核：采纳",
    "review_relabel": "审核：改标",
    "review_out_of_scope": "审核：不在范围",
    "review_skip": "审核：跳过",
    "review_undo": "撤销审核",
    "review_tag": "添加标签",
    "review_untag": "移除标签",
    "review_save_filter": "保存筛选",
    "review_export": "导出训练样例",
    "review_export_kept": "导出：已保留",
    "review_export_set_aside": "导出：已搁置",
    "review_story_saved": "存为测试对话",
    "review_story_refused": "存为测试对话（未保存）",
    "review_gate_started": "开始把关",
}


def audit_action_label(action: str) -> str:
    """claim -> 接入会话, claim_refused -> 接入会话（被拒绝）; unknown actions as they are."""
    if action in AUDIT_ACTIONS:
        return AUDIT_ACTIONS[action]
    tried = action.removesuffix("_refused")
    return f"{AUDIT_ACTIONS[tried]}（被拒绝）" if tried in AUDIT_ACTIONS else action


def member_label(channel: str, external_id: str, member_id: Optional[int]) -> str:
    """A chat identity as the console's lists name it, without asking the backends:
    微信会员 #12 (the backends' member), else 网页访客 123d. The id's last 4 characters:
    WeChat openids of one official account share their first ones."""
    where = CHANNELS.get(channel, channel)
    if member_id is not None:
        return f"{where}会员 #{member_id}"
    return f"{where}访客 {external_id[-4:]}"


NOTICES = {
    "claimed": "已接入该会话。",
    "claim_lost": "该会话已被其他管家接入，请选择其他会话。",
    "ticket_claimed": "已接手回访工单，请联系会员。",
    "ticket_lost": "该回访工单已被其他管家接手。",
    "not_owner": "只有接入该会话的管家才能执行此操作，请先接入。",
    "not_queued": "该会话当前不在排队中。",
    "handed_back": "已交还智能助手，会员已收到通知。",
    "transfer_invalid": "请选择另一位在职的健康管家。",
    "booking_refused": "没有办成：{detail}",
    "booked": "已为会员预约，会员已收到通知。",
    "rescheduled": "已为会员改约，会员已收到通知。",
    "cancelled": "已为会员取消预约，会员已收到通知。",
    "member_unbound": "该会员还没有绑定保单，不能代为预约。",
    "transferred": "已转接，会员已收到通知。",
    "presence_invalid": "状态无效。",
    "presence_saved": "状态已更新。",
    "urgent_unanswered": "这是紧急会话，还没有回复会员：请先回复，或写明原因（如已电话联系）后再操作。",
    "closed": "会话已结束，会员已收到通知。",
    "replied": "已发送。",
    "note_saved": "内部备注已保存（会员看不到）。",
    "empty": "内容不能为空。",
    "too_long": "内容太长了，请分几条发送。",
    "forbidden": "您的角色没有权限执行此操作。",
    "csrf": "页面已过期或请求无效，请刷新后重试。",
    "login_failed": "用户名或密码错误。",
    "login_required": "请先登录。",
    "logged_out": "已退出登录。",
    "not_found": "找不到该会话。",
    "profile_unavailable": "会员资料暂时无法获取（后台系统无响应），请稍后刷新。",
    "member_unknown": "该聊天身份未绑定保单会员。",
    "delivery_failed": "消息已保存，但渠道发送失败。",
    "media_missing": "找不到该文件，或尚未下载完成。",
    "alert_resolved": "已标记为已处理。",
    "alert_gone": "该提醒不存在或已处理。",
    # Access: login limits, locked accounts, ids that name nothing (docs/console.md).
    "login_wait": "尝试次数过多，请{seconds}秒后再试。",
    "login_locked": "该账号因多次密码错误已被锁定，请联系管理员解锁。",
    "no_such_item": "找不到该内容，请检查链接。",
    "bad_after": "参数 after 无效：应为 0 或消息编号。",
    "unlocked": "已解除锁定，该账号可以重新登录。",
    "not_locked": "该账号未被锁定。",
}

# Canned replies: the handbook's answers, read from the domain's responses by name.
# Canned replies found by typing their shortcode in the reply box (/直付 …): the
# handbook's answers (CANNED, from domain/*.yml) and the managers' own sentences with
# variables ({称呼}: the member's name when known; {今天}: today's date).
CANNED_SHORTCODES = {
    "utter_direct_billing": "/直付", "utter_direct_pay_card": "/直付卡",
    "utter_network_hospitals": "/网络医院", "utter_visit_rules": "/就诊须知",
    "utter_service_hours": "/服务时间", "utter_claim": "/理赔", "utter_preauth_rules": "/预授权",
    "utter_preauth_materials": "/预授权材料", "utter_emergency_claim_notice": "/急诊",
}
CANNED_OWN = (
    ("greeting", "问候", "/问候", "{称呼}您好，我是您的私人健康管家，很高兴为您服务。请问有什么可以帮您？"),
    ("checking", "请稍等", "/稍等", "{称呼}，我这边帮您查一下，请稍等几分钟。"),
    ("follow_up", "回访", "/回访", "{称呼}您好，{今天}回访一下您之前咨询的问题，现在情况怎么样？"),
    ("closing", "结束语", "/结束", "{称呼}，还有其他问题随时在这里留言，祝您健康！"),
)
CANNED = {
    "utter_direct_billing": "直付医疗服务",
    "utter_direct_pay_card": "电子直付卡",
    "utter_network_hospitals": "直付网络医院",
    "utter_visit_rules": "就诊须知",
    "utter_service_hours": "服务时间",
    "utter_claim": "理赔说明",
    "utter_preauth_rules": "预授权范围",
    "utter_preauth_materials": "预授权材料",
    "utter_emergency_claim_notice": "急诊后理赔与48小时通知",
}


ROUTED = {"bot": "智能助手已回复", "manager": "转给管家（智能助手暂停）",
          "unrouted": "智能助手不可用，消息已保存",
          "pending": "智能助手暂不可用，已保存，恢复后自动回复", "outbox": "会员查看剩余内容（已发出待发送消息）",
          "limited": "发送过快，已保存，未交给智能助手"}


# What the bot understood, as managers read it: the intents of domain/*.yml (and Rasa's
# fallback), the entities the NLU extracts (tests/test_gateway_messages.py checks that
# every one has a label). Unknown names are shown as they are.
INTENTS = {
    "greet": "问候",
    "goodbye": "告别",
    "thank": "致谢",
    "affirm": "肯定",
    "deny": "否定",
    "bot_challenge": "问是否机器人",
    "book_appointment": "预约挂号",
    "cancel_appointment": "取消预约",
    "reschedule_appointment": "改约",
    "query_appointments": "查询预约",
    "ask_preauth_required": "是否需要预授权",
    "apply_preauth": "申请预授权",
    "check_preauth_status": "预授权进度",
    "ask_preauth_materials": "预授权材料",
    "report_emergency": "紧急情况",
    "request_human": "要求人工",
    "ask_direct_billing": "直付咨询",
    "ask_direct_pay_card": "电子直付卡",
    "ask_network_hospitals": "直付网络医院",
    "ask_visit_rules": "就诊须知",
    "ask_service_hours": "服务时间",
    "ask_claim": "理赔咨询",
    "out_of_scope": "超出服务范围",
    "inform": "补充信息",
    "complain": "投诉",
    "EXTERNAL_handback": "管家交还",
    "health_question": "健康咨询",
    "seek_care_today": "需当天就医",
    "report_emergency_visit": "急诊报备",
    "link_policy": "绑定保单",
    "nlu_fallback": "未能理解",
}
ENTITIES = {
    "hospital": "医院",
    "department": "科室",
    "doctor": "医生",
    "treatment": "治疗",
    "time": "时间",
    "amount": "金额",
    "red_flag": "危险信号",
    "policy_number": "保单号",
    "phone_last4": "手机后四位",
}
# Slots the console never shows: Rasa's bookkeeping. Any other slot whose value is a
# record (a dict other than a time's words, or a list of them: an appointment, the
# offered slots) is the actions' bookkeeping too (shown_slots).
INTERNAL_SLOTS = ("session_started_metadata", "requested_slot")


def _value(value: Any) -> str:
    if isinstance(value, dict):  # a time slot: its words
        return str(value.get("text") or value.get("start") or value)
    if isinstance(value, list):
        return "、".join(_value(inner) for inner in value)
    return str(value)


def _is_record(value: Any) -> bool:
    if isinstance(value, dict):
        return not ("text" in value or "start" in value)  # a time keeps its words
    return isinstance(value, list) and any(isinstance(inner, dict) for inner in value)


def shown_slots(slots: Dict[str, Any]) -> Dict[str, Any]:
    """The slots worth a manager's glance: without Rasa's and the actions' bookkeeping."""
    return {name: value for name, value in slots.items()
            if name not in INTERNAL_SLOTS and not _is_record(value)}


def understanding(intent: Optional[str], confidence: Optional[float],
                  entities: Sequence[Dict[str, Any]], routed_to: Optional[str]) -> str:
    """What the bot made of a member message, in one short line for the console:
    识别：预约挂号（93%） · 医院 华山医院 · 科室 皮肤科. Where an ordinary message went
    (the bot answered it) shows in the transcript; any other route is said."""
    if intent:
        percent = f"（{confidence:.0%}）" if confidence is not None else ""
        parts = [f"识别：{INTENTS.get(intent, intent)}{percent}"]
    else:
        parts = ["未经智能助手解析"]
    parts += [f"{ENTITIES.get(str(e.get('entity')), e.get('entity'))} {_value(e.get('value'))}"
              for e in entities]
    if routed_to and routed_to != "bot":
        parts.append(ROUTED.get(routed_to, routed_to))
    return " · ".join(parts)


def understanding_details(intent: Optional[str], confidence: Optional[float],
                          entities: Sequence[Dict[str, Any]], slots: Dict[str, Any],
                          routed_to: Optional[str]) -> List[Dict[str, str]]:
    """The raw reading behind the line (the console's 详情): intent name and confidence,
    entities and slots by their names, and where the message went."""
    rows = []
    if intent:
        rows.append(("意图", f"{intent}（置信度 {confidence:.2f}）" if confidence is not None
                     else intent))
    if entities:
        rows.append(("实体", "，".join(f"{e.get('entity')}={_value(e.get('value'))}"
                                      for e in entities)))
    kept = shown_slots(slots)
    if kept:
        rows.append(("槽位", "，".join(f"{k}={_value(v)}" for k, v in kept.items())))
    if routed_to:
        rows.append(("去向", ROUTED.get(routed_to, routed_to)))
    return [{"label": label, "text": text} for label, text in rows]


def understood(intent: Optional[str], confidence: Optional[float],
               entities: Sequence[Dict[str, Any]], slots: Dict[str, Any],
               routed_to: Optional[str]) -> Dict[str, Any]:
    """A member message's `understanding` (the line) and `understanding_details`."""
    return {"understanding": understanding(intent, confidence, entities, routed_to),
            "understanding_details": understanding_details(intent, confidence, entities,
                                                           slots, routed_to)}


def notice(key: Optional[str], **values: Any) -> Optional[str]:
    text = NOTICES.get(key or "")
    return text.format(**values) if text is not None and values else text


def waited(minutes: float) -> str:
    """How long someone has waited, for the queue: 3分钟, 1小时5分钟."""
    whole = int(minutes)
    if whole < 1:
        return "不到1分钟"
    hours, rest = divmod(whole, 60)
    if hours and rest:
        return f"{hours}小时{rest}分钟"
    return f"{hours}小时" if hours else f"{rest}分钟"


def awaiting_reply(minutes: float) -> str:
    """A served member's question not answered yet: 会员等待回复6分钟."""
    return f"会员等待回复{waited(minutes)}"


def resolution_overdue(minutes: float) -> str:
    """A conversation open past its resolution target, in service minutes."""
    return f"处理超时（已{waited(minutes)}）"


def queue_kind(kind: str, due_at: Optional[str] = None) -> str:
    """The queue's 类型: 会话, or a callback (回访工单) with the time it is due, if later."""
    if kind != "ticket":
        return "会话"
    return f"回访工单（{due_at}后）" if due_at else "回访工单"


# What became of a reply on a channel that reports it (Message.delivery_state), for the
# console.
DELIVERY_STATES = {
    "pending": "发送中",
    "sending": "发送中",
    "sent": "已送达微信",
    "held": "待发送：会员下次发消息时送出",
    "undeliverable": "未送达",
    "uncertain": "可能未送达",
}
# Shown with the channel's reason ("未送达：会员超过48小时未互动……").
DELIVERY_WITH_REASON = ("undeliverable", "uncertain")


def delivery_label(state: Optional[str], error: Optional[str]) -> Optional[str]:
    """A reply's delivery state as managers read it; None where the channel has none."""
    if not state:
        return None
    label = DELIVERY_STATES.get(state, state)
    return f"{label}：{error}" if state in DELIVERY_WITH_REASON and error else label


MEDIA_KINDS = {"image": "图片", "voice": "语音", "video": "视频", "shortvideo": "小视频"}


def file_size(size: Optional[int]) -> str:
    """26 B, 12 KB, 1.5 MB."""
    if not size:
        return ""
    if size < 1024:
        return f"{size} B"
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def media_label(kind: str, state: str, error: Optional[str], size: Optional[int],
                inline: bool) -> str:
    """A member's photo, voice note or video in the transcript: downloading, failed
    (with why), or how to open it (a photo shown inline, anything else downloaded)."""
    name = MEDIA_KINDS.get(kind, kind)
    if state == "pending":
        return f"{name}下载中"
    if state == "failed":
        return f"{name}未能下载：{error}" if error else f"{name}未能下载"
    if inline:
        return "会员发送的图片（点击查看原图）"
    return f"下载{name}（{file_size(size)}）" if size else f"下载{name}"


# Operator alerts (bot.gateway.models.OperatorAlert.kind) and what an admin can do.
ALERT_KINDS = {"undecryptable": "微信消息无法解密", "daily_quota": "公众号今日客服消息额度用完"}
ALERT_HINTS = {
    "undecryptable": "签名正确但无法解密，多半是公众平台改了EncodingAESKey：请核对 "
                     "HM_WECHAT_AES_KEY、HM_WECHAT_APPID。原消息仍加密保存。",
    "daily_quota": "今天暂停通过微信发送，回复保存在待发送队列。标记已处理后今天会重新尝试发送。",
}


def alert_body(length: Optional[int]) -> str:
    """An undeliverable payload is never shown, only its size."""
    return f"加密内容 {length} 字符（不显示）" if length else ""


# The console's script (bot/console/static/console.js) builds the same nodes as the pages
# for live updates: the words it needs, carried by every page (base.html, data-labels).
def script_labels() -> Dict[str, Any]:
    return {
        "authors": AUTHORS,
        "breach": "超时",
        "claim": "接入",
        "urgent_title": "【紧急】",
        "reply_title": "【待回复】",
        "queue_empty": "目前没有会员在等待。",
        "nothing": "暂无。",
        "details": "详情",
        "network_error": "网络错误，请重试。",
        "tab_hint": "（按 Tab 插入第一个）",
        "delivery": DELIVERY_STATES,
        "with_reason": DELIVERY_WITH_REASON,
        "delivery_failed": notice("delivery_failed"),
    }
