"""The account's custom menu (自定义菜单) as WeChat's `menu/create` JSON, the intent each
click key asks for, and the check against WeChat's documented limits. No I/O here:
`python -m bot.gateway wechat-menu` creates it (docs/wechat.md).

WeChat's limits (自定义菜单 / 创建接口): 1–3 top-level buttons, each a button of its own
or a group of 1–5 sub-buttons; a name of at most 16 UTF-8 bytes at the top and 60
below, shown whole up to 4 Chinese characters at the top and 7 below (the rest becomes
"..."); a click key of at most 128 bytes; a view URL of at most 1024 bytes. Members'
clients fetch a changed menu when they open the chat, at most every 5 minutes."""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping

MAX_BUTTONS = 3
MAX_SUB_BUTTONS = 5
# (UTF-8 bytes WeChat accepts, characters shown whole) for a top-level and a sub name.
TOP_NAME = (16, 4)
SUB_NAME = (60, 7)
KEY_BYTES = 128
URL_BYTES = 1024
BUTTON_TYPES = ("click", "view")  # the only ones this account uses


def click(name: str, intent: str) -> Dict[str, str]:
    """A click button whose key is the intent it asks for, so the key in a log or a
    simulator call says what the tap means."""
    return {"type": "click", "name": name, "key": intent}


MENU: Dict[str, Any] = {"button": [
    # A member in trouble finds a person in one tap.
    click("转人工", "request_human"),
    click("预约", "book_appointment"),
    {"name": "更多", "sub_button": [
        click("预授权", "ask_preauth_required"),
        # The welcome lists what the assistant does as numbered choices.
        click("常见问题", "greet"),
    ]},
]}

# Keys of the menu an earlier version created: a member's client shows that menu until
# it fetches this one, and its taps must still mean the same.
EARLIER_KEYS: Dict[str, str] = {
    "预约就诊": "book_appointment",
    "预授权": "ask_preauth_required",
    "联系管家": "request_human",
}


def buttons(menu: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The buttons a member taps: top-level buttons without sub-buttons, and every
    sub-button."""
    for button in menu.get("button") or []:
        yield from button.get("sub_button") or [button]


def intents(menu: Mapping[str, Any]) -> Dict[str, str]:
    """Click key -> intent (the key itself) for every click button of `menu`."""
    return {b["key"]: b["key"] for b in buttons(menu) if b.get("type") == "click"}


def _size(value: Any) -> int:
    return len(value.encode("utf-8")) if isinstance(value, str) else 0


def _button_problems(button: Mapping[str, Any], where: str, top: bool) -> List[str]:
    name = button.get("name")
    most_bytes, shown = TOP_NAME if top else SUB_NAME
    found = []
    if not 0 < _size(name) <= most_bytes:
        found.append(f"{where}: the name must be 1-{most_bytes} UTF-8 bytes, got {name!r}")
    elif len(name) > shown:
        found.append(f"{where}: {name!r} is shown cut short (at most {shown} characters)")
    children = button.get("sub_button")
    if top and children:
        if len(children) > MAX_SUB_BUTTONS:
            found.append(f"{where}: at most {MAX_SUB_BUTTONS} sub-buttons, got {len(children)}")
        for index, child in enumerate(children, 1):
            found += _button_problems(child, f"{where} > sub-button {index}", top=False)
        return found
    kind = button.get("type")
    if kind == "click" and not 0 < _size(button.get("key")) <= KEY_BYTES:
        found.append(f"{where}: the key must be 1-{KEY_BYTES} UTF-8 bytes")
    elif kind == "view" and not (0 < _size(button.get("url")) <= URL_BYTES
                                 and str(button["url"]).startswith(("http://", "https://"))):
        found.append(f"{where}: the url must be an http(s) URL of at most {URL_BYTES} bytes")
    elif kind not in BUTTON_TYPES:
        found.append(f"{where}: the type must be one of {', '.join(BUTTON_TYPES)}, "
                     f"got {kind!r}")
    return found


def problems(menu: Mapping[str, Any]) -> List[str]:
    """What in `menu` WeChat would refuse or cut short, or two buttons sharing a key
    (one tap could not be told from the other); empty when it fits."""
    top = menu.get("button") or []
    found = []
    if not 0 < len(top) <= MAX_BUTTONS:
        found.append(f"1-{MAX_BUTTONS} top-level buttons, got {len(top)}")
    for index, button in enumerate(top, 1):
        found += _button_problems(button, f"button {index}", top=True)
    keys = [b.get("key") for b in buttons(menu) if b.get("type") == "click"]
    found += [f"the key {key!r} is used twice" for key in sorted(
        {k for k in keys if isinstance(k, str) and keys.count(k) > 1})]
    return found


def describe(menu: Mapping[str, Any]) -> str:
    """One line for the operator: 转人工 | 预约 | 更多 (预授权, 常见问题)."""
    parts = []
    for button in menu.get("button") or []:
        children = button.get("sub_button") or []
        inner = f" ({', '.join(c['name'] for c in children)})" if children else ""
        parts.append(f"{button['name']}{inner}")
    return " | ".join(parts)
