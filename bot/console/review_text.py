"""What reviewers read on the console's review pages (审核收件箱, 会话审核, 相似问题, 导出):
labels, notices and the keyboard shortcuts, in one place. The refusals of the review
core (ReviewError) carry their own message (bot.review.decisions.REFUSALS)."""
from __future__ import annotations

from typing import Any, Dict, Optional

from bot.gateway import messages

ACTIONS = {"accept": "采纳", "relabel": "改标", "out_of_scope": "不在范围", "skip": "跳过"}
# The console's one set of entity and channel names (bot/gateway/messages.py).
ENTITIES = messages.ENTITIES
CHANNELS = messages.CHANNELS
EXPORT_STATUSES = {"written": "已写入，待把关", "kept": "已保留", "set_aside": "已搁置"}
GATE_COMMAND = "python -m bot.review gate"

NOTICES = {
    "story_saved": "已保存为测试对话：{path}",
    "story_refused": "不能保存为测试对话：{detail}",
    "bad_filter": "筛选条件无效：{detail}",
    "filter_saved": "筛选已保存。",
    "filter_deleted": "筛选已删除。",
    "filter_gone": "找不到该筛选。",
    "tag_added": "标签已添加。",
    "tag_removed": "标签已移除。",
    "exported": "已导出。",
    "nothing_exported": "没有写入新的样例。",
    "export_failed": "导出失败：{detail}",
    "bad_threshold": "相似度需为0到1之间的数字。",
    "bad_request": "请求无效。",
    "network": "网络错误，请重试。",
    "undone": "已撤销：{what}",
    "saved": "已保存：{what}",
    "entity_pick": "先选中文字（鼠标或 Shift+方向键），再按数字键选实体类型。",
    "gate_started": "把关已开始：校验、训练、评测需要几分钟，完成后导出记录会显示结论。",
    "gate_running": "把关正在运行，请等它结束。",
    "gate_missing": "把关功能尚未安装。",
}
GATE_OUTCOMES = {
    "nothing": "没有新的样例，无需训练",
    "kept": "已保留：没有变差",
    "set_aside": "已搁置",
    "error": "出错",
}

# (keys, what they do): the inbox's help (?) and docs/review.md
SHORTCUTS = (
    ("j / ↓", "下一条"),
    ("k / ↑", "上一条"),
    ("a", "采纳智能助手的意图"),
    ("r", "改标意图：输入搜索，Enter 确认，Esc 取消"),
    ("e", "修正实体：选中文字，按 1 医院 2 科室 3 治疗 4 医生，Enter 保存，Esc 取消"),
    ("o", "不在范围（没有合适的意图）"),
    ("s", "跳过，稍后再看"),
    ("u", "撤销我的上一条标注"),
    ("?", "显示或隐藏快捷键"),
)


def notice(key: str, **values: Any) -> str:
    return NOTICES[key].format(**values)


def decision_label(decision: Optional[Dict[str, Any]]) -> str:
    """采纳 greet · 赵审; 待审核 without a decision."""
    if not decision:
        return "待审核"
    label = ACTIONS.get(decision["action"], decision["action"])
    if decision["action"] in ("accept", "relabel") and decision.get("intent"):
        label += f" {decision['intent']}"
    return f"{label} · {decision['reviewer']}" if decision.get("reviewer") else label


def script_labels() -> Dict[str, Any]:
    """For review.js (the page's data-labels): it holds no words of its own."""
    return {"entities": ENTITIES,
            "notices": {k: NOTICES[k] for k in ("network", "entity_pick")},
            "unmask_reason": "请填写查看原文的理由。", "raw": "原文（仅本次显示）："}
