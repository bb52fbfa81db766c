"""What console users read about access (login limits, locked accounts, ids that name
nothing), in one place; the console's other words are in bot.gateway.messages."""
from __future__ import annotations

from typing import Any

NOTICES = {
    "login_wait": "尝试次数过多，请{seconds}秒后再试。",
    "login_locked": "该账号因多次密码错误已被锁定，请联系管理员解锁。",
    "no_such_item": "找不到该内容，请检查链接。",
    "bad_after": "参数 after 无效：应为 0 或消息编号。",
    "unlocked": "已解除锁定，该账号可以重新登录。",
    "not_locked": "该账号未被锁定。",
}


def notice(key: str, **values: Any) -> str:
    return NOTICES[key].format(**values)
