"""One Official Account's state as WeChat keeps it, and the documented rules over it:
access tokens (stable and classic), members (follow state, reply windows, typing),
temporary media, template messages, the custom menu and daily / per-minute quotas.
Every rule takes an explicit `now` (epoch seconds) where time matters; no I/O and no
locking here (the server holds a lock).

The API methods answer `(errcode, fields)`; the HTTP layer turns that into JSON."""
from __future__ import annotations

import json
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Tuple

from bot.wechat_simulator import codes

Answer = Tuple[int, Dict[str, Any]]

TOKEN_LIFETIME = 7200.0
# Stable tokens: renewed this long before expiry (any answer is good for 300 s or more);
# classic tokens: how long the previous one keeps working after a new one is issued.
TOKEN_OVERLAP = 300.0
MESSAGE_WINDOW = (48 * 3600.0, 5)
EVENT_WINDOW = (60.0, 3)
TYPING_SHOWN = 15.0
TYPING_NEEDS_INTERACTION_WITHIN = 30.0
TEMPLATE_DEDUP = 600.0
MEDIA_LIFETIME = 3 * 86400.0
TEXT_LIMIT_BYTES = 2048
# Quota days start at midnight Beijing time (UTC+8).
BEIJING_OFFSET = 8 * 3600
CUSTOM_MSGTYPES = {"text", "image", "voice", "video", "music", "news", "mpnews",
                   "mpnewsarticle", "msgmenu", "wxcard", "miniprogrampage"}
# Member actions that open a reply window and count as an interaction for typing:
# messages, and these events (lower-case; WeChat sends CLICK, SCAN, subscribe ...).
# A VIEW menu tap, a location report and everything else open nothing.
EVENT_WINDOW_EVENTS = {"click", "scancode_push", "scancode_waitmsg", "subscribe", "scan"}
# An unescaped \uXXXX in the raw JSON (see `read_custom_json`).
_UNICODE_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})")
# The custom menu (自定义菜单, menu/create): how many buttons, and sizes in UTF-8 bytes.
MENU_BUTTONS = 3
MENU_SUB_BUTTONS = 5
MENU_NAME_BYTES = 16
MENU_SUB_NAME_BYTES = 60
MENU_KEY_BYTES = 128
MENU_URL_BYTES = 1024
# Button types whose tap sends their key in an event (click: a CLICK event); view opens
# its url. The rest WeChat documents (miniprogram, media_id, article_id, ...) are
# refused here as an invalid type.
MENU_KEY_TYPES = {"click", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
                  "pic_photo_or_album", "pic_weixin", "location_select"}


class MenuCodes(NamedTuple):
    """The codes for one level of the menu (a top-level button's or a sub-button's),
    and its name's size in bytes."""

    type: int
    name: int
    key: int
    url: int
    domain: int
    name_bytes: int


TOP_BUTTON = MenuCodes(codes.INVALID_BUTTON_TYPE, codes.INVALID_BUTTON_NAME_SIZE,
                       codes.INVALID_BUTTON_KEY_SIZE, codes.INVALID_BUTTON_URL_SIZE,
                       codes.INVALID_BUTTON_URL_DOMAIN, MENU_NAME_BYTES)
SUB_BUTTON = MenuCodes(codes.INVALID_SUB_BUTTON_TYPE, codes.INVALID_SUB_BUTTON_NAME_SIZE,
                       codes.INVALID_SUB_BUTTON_KEY_SIZE, codes.INVALID_SUB_BUTTON_URL_SIZE,
                       codes.INVALID_SUB_BUTTON_URL_DOMAIN, MENU_SUB_NAME_BYTES)


class SimulatorError(Exception):
    """A member action the simulated WeChat would never send (raised to the caller)."""


class NotFollowing(SimulatorError):
    """The member does not follow the account (follow first)."""


class NotInMenu(SimulatorError):
    """A tap on a button the created menu does not have."""


@dataclass(frozen=True)
class Limits:
    """WeChat's documented quotas; tests lower them to reach a limit quickly."""

    stable_token_per_minute: int = 10_000
    stable_token_per_day: int = 500_000
    force_refresh_per_day: int = 20
    force_refresh_interval: float = 30.0
    classic_token_per_day: int = 2_000
    template_per_day: int = 100_000


@dataclass
class Token:
    value: str
    kind: str  # "stable" or "classic"
    issued_at: float
    expires_at: float
    # Set when a newer token superseded this one: invalid (40001) from then on.
    superseded_at: Optional[float] = None

    def remaining(self, now: float) -> int:
        return max(0, int(self.expires_at - now))


@dataclass
class Window:
    """A reply window: `quota` customer-service messages until `closes_at`."""

    opened_at: float
    closes_at: float
    quota: int
    used: int = 0

    def as_dict(self) -> Dict[str, Any]:
        return {"opened_at": self.opened_at, "closes_at": self.closes_at,
                "quota": self.quota, "used": self.used}


class TypingPeriod(NamedTuple):
    start: float
    end: Optional[float]  # None while still shown
    ended_by: Optional[str]  # "timeout", "cancel", "message" or None


@dataclass
class Member:
    openid: str
    following: bool = False
    window: Optional[Window] = None
    last_interaction: Optional[float] = None
    typing: List[List[Any]] = field(default_factory=list)  # [start, end, ended_by]
    inbox: List[Dict[str, Any]] = field(default_factory=list)

    def typing_shown(self, now: float) -> Optional[List[Any]]:
        if not self.typing:
            return None
        period = self.typing[-1]
        if period[1] is None and now < period[0] + TYPING_SHOWN:
            return period
        return None

    def end_typing(self, now: float, reason: str) -> None:
        period = self.typing_shown(now)
        if period is not None:
            period[1], period[2] = now, reason


@dataclass
class Media:
    data: bytes
    content_type: str
    created_at: float

    @property
    def filename_extension(self) -> str:
        return MEDIA_EXTENSIONS.get(self.content_type, "bin")


MEDIA_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif",
                    "audio/amr": "amr", "audio/speex": "speex", "audio/mpeg": "mp3",
                    "video/mp4": "mp4"}


def quota_period(now: float, seconds: int) -> int:
    """Which minute or Beijing day `now` falls in."""
    return int((now + (BEIJING_OFFSET if seconds == 86400 else 0)) // seconds)


def has_unicode_escape(raw: bytes) -> bool:
    """Whether the raw JSON writes a character as \\uXXXX (menu/create refuses it:
    40033)."""
    return _UNICODE_ESCAPE.search(raw.decode("utf-8", "replace")) is not None


def _bytes(value: Any) -> int:
    return len(value.encode("utf-8")) if isinstance(value, str) else 0


def check_button(button: Any, level: MenuCodes) -> int:
    """One button of a menu/create body: its name, then its sub-buttons (a top-level
    button only) or its type with the key or url the type needs."""
    if not isinstance(button, dict):
        return codes.DATA_FORMAT_ERROR
    if not 0 < _bytes(button.get("name")) <= level.name_bytes:
        return level.name
    children = button.get("sub_button")
    if children is not None and not isinstance(children, list):
        return codes.DATA_FORMAT_ERROR
    if children:
        if level is SUB_BUTTON:
            return codes.INVALID_SUB_MENU_LEVEL
        if len(children) > MENU_SUB_BUTTONS:
            return codes.INVALID_SUB_BUTTON_SIZE
        for child in children:
            errcode = check_button(child, SUB_BUTTON)
            if errcode:
                return errcode
        return codes.OK
    kind = button.get("type")
    if kind is None and children == [] and level is TOP_BUTTON:
        return codes.INVALID_SUB_BUTTON_SIZE  # a group of no sub-buttons
    if kind in MENU_KEY_TYPES:
        return codes.OK if 0 < _bytes(button.get("key")) <= MENU_KEY_BYTES else level.key
    if kind == "view":
        url = button.get("url")
        if not 0 < _bytes(url) <= MENU_URL_BYTES:
            return level.url
        return codes.OK if url.startswith(("http://", "https://")) else level.domain
    return level.type


def shown_menu(buttons: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The buttons as menu/get answers them: every button with a `sub_button` list,
    empty for one without."""
    return [{**button, "sub_button": shown_menu(button.get("sub_button") or [])}
            for button in buttons]


def read_custom_json(raw: bytes) -> Optional[Dict[str, Any]]:
    """The customer-service JSON as WeChat reads it, or None (47001). A \\uXXXX escape
    is not decoded: the member sees it literally, which is why senders must write UTF-8
    (json.dumps(..., ensure_ascii=False)). Community-reported, not in the official docs."""
    try:
        text = raw.decode("utf-8")
        value = json.loads(_UNICODE_ESCAPE.sub(r"\1\\\\u\2", text))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


class Account:
    """The Official Account `app_id` as WeChat's servers see it."""

    def __init__(self, app_id: str, app_secret: str, template_ids: Iterable[str] = (),
                 test_account: bool = False, limits: Limits = Limits()) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.template_ids = set(template_ids)
        self.test_account = test_account
        self.limits = limits
        self.tokens: Dict[str, Token] = {}
        self.current: Dict[str, Optional[Token]] = {"stable": None, "classic": None}
        self.last_force_refresh: Optional[float] = None
        self.counts: Counter = Counter()
        self.members: Dict[str, Member] = {}
        self.media: Dict[str, Media] = {}
        # (openid, client_msg_id) -> (msgid, sent at)
        self.template_sends: Dict[Tuple[str, str], Tuple[int, float]] = {}
        self.menu: Optional[List[Dict[str, Any]]] = None  # as menu/get shows it
        self._next_id = 2 ** 62 + 1  # MsgId / msgid: beyond 32 bits, within int64

    def next_id(self) -> int:
        value, self._next_id = self._next_id, self._next_id + 1
        return value

    def _count(self, name: str, now: float, seconds: int, limit: int) -> bool:
        """Count one call; False when the period's limit is already reached."""
        key = (name, quota_period(now, seconds))
        if self.counts[key] >= limit:
            return False
        self.counts[key] += 1
        return True

    # ------------------------------------------------------------------ tokens

    def _credentials(self, request: Mapping[str, Any]) -> int:
        """grant_type, appid and secret, from the JSON body or the query string."""
        appid, secret = request.get("appid"), request.get("secret")
        if request.get("grant_type") != "client_credential":
            return codes.INVALID_GRANT_TYPE
        if not appid:
            return codes.APPID_MISSING
        if not secret:
            return codes.APPSECRET_MISSING
        if not secrets.compare_digest(str(appid), self.app_id):
            return codes.INVALID_APPID
        if not secrets.compare_digest(str(secret), self.app_secret):
            return codes.INVALID_APPSECRET
        return codes.OK

    def _issue(self, kind: str, now: float) -> Token:
        token = Token(secrets.token_urlsafe(96), kind, now, now + TOKEN_LIFETIME)
        self.tokens[token.value] = token
        self.current[kind] = token
        return token

    def stable_token(self, body: Mapping[str, Any], now: float) -> Answer:
        """POST /cgi-bin/stable_token."""
        errcode = self._credentials(body)
        if errcode:
            return errcode, {}
        if not self._count("stable_token", now, 60, self.limits.stable_token_per_minute):
            return codes.FREQUENCY_LIMIT, {}
        if not self._count("stable_token", now, 86400, self.limits.stable_token_per_day):
            return codes.DAILY_LIMIT, {}
        current = self.current["stable"]
        if body.get("force_refresh") is True:
            if (self.last_force_refresh is not None
                    and now - self.last_force_refresh < self.limits.force_refresh_interval):
                return codes.FREQUENCY_LIMIT, {}
            if not self._count("force_refresh", now, 86400, self.limits.force_refresh_per_day):
                return codes.DAILY_LIMIT, {}
            self.last_force_refresh = now
            # Every stable token still alive dies (a refresh is how a leak is stopped).
            for token in self.tokens.values():
                if token.kind == "stable" and token.superseded_at is None \
                        and token.expires_at > now:
                    token.superseded_at = now
            current = self._issue("stable", now)
        elif current is None or current.superseded_at is not None \
                or current.expires_at - now <= TOKEN_OVERLAP:
            # Renewed in the last 5 minutes; the old one lives out its own lifetime.
            current = self._issue("stable", now)
        return codes.OK, {"access_token": current.value, "expires_in": current.remaining(now)}

    def classic_token(self, query: Mapping[str, Any], now: float) -> Answer:
        """GET /cgi-bin/token: a new token every call; the previous one keeps working
        for 5 more minutes."""
        errcode = self._credentials(query)
        if errcode:
            return errcode, {}
        if not self._count("classic_token", now, 86400, self.limits.classic_token_per_day):
            return codes.DAILY_LIMIT, {}
        previous = self.current["classic"]
        if previous is not None and previous.superseded_at is None:
            previous.superseded_at = min(now + TOKEN_OVERLAP, previous.expires_at)
        token = self._issue("classic", now)
        return codes.OK, {"access_token": token.value, "expires_in": token.remaining(now)}

    def check_token(self, value: Optional[str], now: float) -> int:
        """41001 missing, 40014 unknown, 40001 superseded (cut short by a newer token),
        42001 expired at the end of its own lifetime."""
        if not value:
            return codes.ACCESS_TOKEN_MISSING
        token = self.tokens.get(value)
        if token is None:
            return codes.INVALID_ACCESS_TOKEN
        if token.superseded_at is not None and now >= token.superseded_at \
                and token.superseded_at < token.expires_at:
            return codes.INVALID_CREDENTIAL
        if now >= token.expires_at:
            return codes.ACCESS_TOKEN_EXPIRED
        return codes.OK

    # ------------------------------------------------------------------ members

    def member(self, openid: str) -> Member:
        if openid not in self.members:
            self.members[openid] = Member(openid)
        return self.members[openid]

    def acted(self, openid: str, msg_type: str, event: Optional[str], now: float) -> None:
        """What a member action (already built and about to be posted) changes: follow
        state, the reply window (each new action replaces it) and the last interaction."""
        member = self.member(openid)
        event = (event or "").lower()
        if msg_type == "event" and event == "subscribe":
            member.following = True
        if msg_type == "event" and event == "unsubscribe":
            member.following = False
            member.window = None
            member.end_typing(now, "unfollow")
            return
        if msg_type == "event":
            opens = EVENT_WINDOW if event in EVENT_WINDOW_EVENTS else None
        else:
            opens = MESSAGE_WINDOW
        if opens is None or not member.following:
            return
        length, quota = opens
        member.window = Window(now, now + length, quota)
        member.last_interaction = now

    def _recipient(self, body: Optional[Dict[str, Any]]) -> Tuple[int, Optional[Member]]:
        """The follower a JSON body is addressed to (`touser`): 47001 without a body,
        40003 for an openid WeChat does not know, 43004 for one who does not follow."""
        if body is None:
            return codes.DATA_FORMAT_ERROR, None
        openid = body.get("touser")
        member = self.members.get(openid) if isinstance(openid, str) else None
        if member is None:
            return codes.INVALID_OPENID, None
        if not member.following:
            return codes.REQUIRE_SUBSCRIBE, None
        return codes.OK, member

    def show(self, openid: str, entry: Dict[str, Any], now: float) -> None:
        """A message reaches the member's chat; it ends the typing indicator."""
        member = self.member(openid)
        member.end_typing(now, "message")
        member.inbox.append(entry)

    def custom_send(self, body: Optional[Dict[str, Any]], now: float) -> Answer:
        """POST /cgi-bin/message/custom/send. The message is checked before the window:
        a malformed message is refused whatever the window."""
        errcode, member = self._recipient(body)
        if errcode:
            return errcode, {}
        errcode = self._check_custom(body)
        if errcode:
            return errcode, {}
        window = member.window
        if window is None or now >= window.closes_at:
            return codes.OUT_OF_WINDOW, {}
        if window.used >= window.quota:
            return codes.OUT_OF_QUOTA, {}
        window.used += 1
        self.show(member.openid, dict(body), now)
        return codes.OK, {}

    def _check_custom(self, body: Dict[str, Any]) -> int:
        msgtype = body.get("msgtype")
        if msgtype not in CUSTOM_MSGTYPES:
            return codes.INVALID_MESSAGE_TYPE
        part = body.get(msgtype)
        if not isinstance(part, dict):
            return codes.DATA_FORMAT_ERROR
        if msgtype == "text":
            content = part.get("content")
            if not isinstance(content, str):
                return codes.DATA_FORMAT_ERROR
            if len(content.encode("utf-8")) > TEXT_LIMIT_BYTES:
                return codes.CONTENT_TOO_LONG
        if msgtype == "news":
            articles = part.get("articles")
            if not isinstance(articles, list) or not articles:
                return codes.DATA_FORMAT_ERROR
            if len(articles) > 1:
                return codes.TOO_MANY_ARTICLES
        if msgtype == "msgmenu" and self.test_account:
            return codes.INVALID_ACCOUNT_TYPE
        return codes.OK

    def typing(self, body: Optional[Dict[str, Any]], now: float) -> Answer:
        """POST /cgi-bin/message/custom/typing. CancelTyping needs no recent
        interaction and is ok when nothing is shown."""
        errcode, member = self._recipient(body)
        if errcode:
            return errcode, {}
        command = body.get("command")
        if command == "CancelTyping":
            member.end_typing(now, "cancel")
            return codes.OK, {}
        if command != "Typing":
            return codes.BAD_TYPING_COMMAND, {}
        if member.last_interaction is None \
                or now - member.last_interaction > TYPING_NEEDS_INTERACTION_WITHIN:
            return codes.NO_RECENT_INTERACTION, {}
        if member.typing_shown(now) is not None:
            return codes.ALREADY_TYPING, {}
        member.typing.append([now, None, None])
        return codes.OK, {}

    def typing_log(self, openid: str, now: float) -> List[TypingPeriod]:
        member = self.members.get(openid)
        periods = []
        for start, end, ended_by in member.typing if member else ():
            if end is None and now >= start + TYPING_SHOWN:
                end, ended_by = start + TYPING_SHOWN, "timeout"
            periods.append(TypingPeriod(start, end, ended_by))
        return periods

    def template_send(self, body: Optional[Dict[str, Any]],
                      now: float) -> Tuple[int, Dict[str, Any], bool]:
        """POST /cgi-bin/message/template/send (no window needed): the answer and
        whether a message was delivered (then WeChat reports TEMPLATESENDJOBFINISH). A
        repeat of openid + client_msg_id within 10 minutes answers the first msgid,
        delivers nothing and counts nothing."""
        errcode, member = self._recipient(body)
        if errcode:
            return errcode, {}, False
        if body.get("template_id") not in self.template_ids:
            return codes.INVALID_TEMPLATE_ID, {}, False
        client_msg_id = body.get("client_msg_id")
        key = (member.openid, str(client_msg_id)) if client_msg_id else None
        if key in self.template_sends:
            msgid, sent_at = self.template_sends[key]
            if now - sent_at < TEMPLATE_DEDUP:
                return codes.OK, {"msgid": msgid}, False
        if not self._count("template", now, 86400, self.limits.template_per_day):
            return codes.DAILY_LIMIT, {}, False
        msgid = self.next_id()
        if key is not None:
            self.template_sends[key] = (msgid, now)
        self.show(member.openid, {"msgtype": "template", **body, "msgid": msgid}, now)
        return codes.OK, {"msgid": msgid}, True

    # ------------------------------------------------------------------ the menu

    def create_menu(self, body: Optional[Dict[str, Any]], escaped: bool) -> Answer:
        """POST /cgi-bin/menu/create: the whole menu replaced, or nothing changed. A
        \\uXXXX escape anywhere 40033; then the number of buttons, then each button in
        order (check_button); the first problem answers."""
        if escaped:
            return codes.INVALID_CHARSET, {}
        if body is None:
            return codes.DATA_FORMAT_ERROR, {}
        buttons = body.get("button", [])
        if not isinstance(buttons, list):
            return codes.DATA_FORMAT_ERROR, {}
        if not 0 < len(buttons) <= MENU_BUTTONS:
            return codes.INVALID_BUTTON_SIZE, {}
        for button in buttons:
            errcode = check_button(button, TOP_BUTTON)
            if errcode:
                return errcode, {}
        self.menu = shown_menu(buttons)
        return codes.OK, {}

    def get_menu(self) -> Answer:
        """GET /cgi-bin/menu/get: 46003 while no menu exists."""
        if self.menu is None:
            return codes.MENU_NO_EXIST, {}
        return codes.OK, {"menu": {"button": shown_menu(self.menu)}}

    def delete_menu(self) -> Answer:
        """GET /cgi-bin/menu/delete (ok without a menu too)."""
        self.menu = None
        return codes.OK, {}

    def menu_keys(self) -> Optional[List[str]]:
        """The keys of the menu's click buttons; None while there is no menu."""
        if self.menu is None:
            return None
        return [b["key"] for top in self.menu for b in top["sub_button"] or [top]
                if b.get("type") == "click"]

    def check_click(self, key: str) -> None:
        """A member taps a click button: with a menu created, one of its keys."""
        keys = self.menu_keys()
        if keys is not None and key not in keys:
            raise NotInMenu(f"the menu has no click button with key {key!r}: one of "
                            f"{', '.join(keys) or 'none'}")

    # ------------------------------------------------------------------ media

    def keep_media(self, data: bytes, content_type: str, now: float) -> str:
        media_id = secrets.token_urlsafe(48)
        self.media[media_id] = Media(data, content_type, now)
        return media_id

    def get_media(self, media_id: Optional[str], now: float) -> Tuple[int, Optional[Media]]:
        media = self.media.get(media_id or "")
        if media is None or now - media.created_at >= MEDIA_LIFETIME:
            return codes.INVALID_MEDIA_ID, None
        return codes.OK, media
