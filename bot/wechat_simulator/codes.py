"""WeChat API return codes the simulator answers, with the errmsg texts WeChat uses
(global return-code list, the API pages, and answers quoted in the developer
community). Real errors carry a ` rid: ...` suffix; clients must read `errcode`."""
from __future__ import annotations

import secrets
from typing import Any, Dict

OK = 0
SYSTEM_ERROR = -1
INVALID_CREDENTIAL = 40001
INVALID_GRANT_TYPE = 40002
INVALID_OPENID = 40003
INVALID_MEDIA_ID = 40007
INVALID_MESSAGE_TYPE = 40008
INVALID_APPID = 40013
INVALID_ACCESS_TOKEN = 40014
# The custom menu (menu/create): a top-level button's code, then a sub-button's.
INVALID_BUTTON_SIZE = 40016
INVALID_BUTTON_TYPE = 40017
INVALID_BUTTON_NAME_SIZE = 40018
INVALID_BUTTON_KEY_SIZE = 40019
INVALID_BUTTON_URL_SIZE = 40020
INVALID_SUB_MENU_LEVEL = 40022
INVALID_SUB_BUTTON_SIZE = 40023
INVALID_SUB_BUTTON_TYPE = 40024
INVALID_SUB_BUTTON_NAME_SIZE = 40025
INVALID_SUB_BUTTON_KEY_SIZE = 40026
INVALID_SUB_BUTTON_URL_SIZE = 40027
INVALID_CHARSET = 40033
INVALID_SUB_BUTTON_URL_DOMAIN = 40054
INVALID_BUTTON_URL_DOMAIN = 40055
INVALID_TEMPLATE_ID = 40037
INVALID_APPSECRET = 40125
INVALID_ACCOUNT_TYPE = 40200
ACCESS_TOKEN_MISSING = 41001
APPID_MISSING = 41002
APPSECRET_MISSING = 41004
ACCESS_TOKEN_EXPIRED = 42001
REQUIRE_SUBSCRIBE = 43004
MENU_NO_EXIST = 46003
CONTENT_TOO_LONG = 45002
TOO_MANY_ARTICLES = 45008
DAILY_LIMIT = 45009
FREQUENCY_LIMIT = 45011
OUT_OF_WINDOW = 45015
OUT_OF_QUOTA = 45047
BAD_TYPING_COMMAND = 45072
NO_RECENT_INTERACTION = 45080
ALREADY_TYPING = 45081
DATA_FORMAT_ERROR = 47001

ERRMSG: Dict[int, str] = {
    OK: "ok",
    SYSTEM_ERROR: "system error",
    INVALID_CREDENTIAL: "invalid credential, access_token is invalid or not latest",
    INVALID_GRANT_TYPE: "invalid grant_type",
    INVALID_OPENID: "invalid openid",
    INVALID_MEDIA_ID: "invalid media_id",
    INVALID_MESSAGE_TYPE: "invalid message type",
    INVALID_APPID: "invalid appid",
    INVALID_ACCESS_TOKEN: "invalid access_token",
    INVALID_BUTTON_SIZE: "invalid button size",
    INVALID_BUTTON_TYPE: "invalid button type",
    INVALID_BUTTON_NAME_SIZE: "invalid button name size",
    INVALID_BUTTON_KEY_SIZE: "invalid button key size",
    INVALID_BUTTON_URL_SIZE: "invalid button url size",
    INVALID_SUB_MENU_LEVEL: "invalid sub_menu level",
    INVALID_SUB_BUTTON_SIZE: "invalid sub button size",
    INVALID_SUB_BUTTON_TYPE: "invalid sub button type",
    INVALID_SUB_BUTTON_NAME_SIZE: "invalid sub button name size",
    INVALID_SUB_BUTTON_KEY_SIZE: "invalid sub button key size",
    INVALID_SUB_BUTTON_URL_SIZE: "invalid sub button url size",
    INVALID_CHARSET: "invalid charset. please check your request, if include \\uxxxx will "
                     "create fail!",
    INVALID_SUB_BUTTON_URL_DOMAIN: "invalid sub button url domain",
    INVALID_BUTTON_URL_DOMAIN: "invalid button url domain",
    INVALID_TEMPLATE_ID: "invalid template_id",
    INVALID_APPSECRET: "invalid appsecret",
    INVALID_ACCOUNT_TYPE: "invalid account type",
    ACCESS_TOKEN_MISSING: "access_token missing",
    APPID_MISSING: "appid missing",
    APPSECRET_MISSING: "appsecret missing",
    ACCESS_TOKEN_EXPIRED: "access_token expired",
    REQUIRE_SUBSCRIBE: "require subscribe",
    MENU_NO_EXIST: "menu no exist",
    CONTENT_TOO_LONG: "content size out of limit",
    TOO_MANY_ARTICLES: "article size out of limit",
    DAILY_LIMIT: "reach max api daily quota limit",
    FREQUENCY_LIMIT: "api minute-quota reach limit  mustslower  retry next minute",
    OUT_OF_WINDOW: "response out of time limit or subscription is canceled",
    OUT_OF_QUOTA: "out of response count limit",
    BAD_TYPING_COMMAND: "command字段取值不对",
    NO_RECENT_INTERACTION: "下发输入状态，需要之前30秒内跟用户有过消息交互",
    ALREADY_TYPING: "已经在输入状态，不可重复下发",
    DATA_FORMAT_ERROR: "data format error",
}


def answer(errcode: int, **fields: Any) -> Dict[str, Any]:
    """`{"errcode", "errmsg", **fields}`; an unknown code (injected) gets a generic
    errmsg."""
    errmsg = ERRMSG.get(errcode, "simulated error")
    if errcode != OK:
        errmsg = f"{errmsg} rid: {secrets.token_hex(4)}-{secrets.token_hex(4)}-" \
                 f"{secrets.token_hex(4)}"
    return {"errcode": errcode, "errmsg": errmsg, **fields}
