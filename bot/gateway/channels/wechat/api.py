"""WeChat's server API for the gateway: customer-service messages, the typing
indicator, template messages, temporary media and the custom menu, through wechatpy's
synchronous client run on worker threads (never inline in a Sanic handler).

The access token is the stable token (`POST /cgi-bin/stable_token`, normal mode): every
caller gets the same token while it is valid and WeChat renews it 5 minutes early, so
replicas sharing the cache (Redis, token.py: one refresh at a time across replicas, this
process's copy while Redis is down) never invalidate each other. wechatpy's own
`fetch_access_token` is hard-wired to the classic `/cgi-bin/token` and its client
refetches on 40001/40014/42001 without a lock, so both are replaced here: on those codes
the cached token is dropped, fetched again once in normal mode and the call retried once.

Every failure becomes a `WeChatApiError` with a `kind` the sender acts on:
- "retry": -1 (busy), 45011 (per-minute quota) and connection errors raised before the
  request was sent. Only these are retried: the send API has no idempotency key.
- "uncertain": the request went out and no answer came (timeout, dropped connection):
  the member may have it; never resent.
- "undeliverable": 45015 (48 h passed or unfollowed), 43004 (not a follower), 40003
  (invalid openid).
- "hold": 45047 (the window's quota is used).
- "daily_quota": 45009.
- "error": anything else (45002 and 45008 are bugs in our splitting)."""
from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple, TypeVar

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.gateway.channels.wechat.token import SharedTokens

logger = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_API_BASE = "https://api.weixin.qq.com"
# A stable token is valid at least 300 s after any answer; cache it no longer than that
# margin before its expiry.
TOKEN_MARGIN_SECONDS = 300
TOKEN_ERRORS = (40001, 40014, 42001)
RETRY_ERRORS = (-1, 45011)
UNDELIVERABLE_ERRORS = (45015, 43004, 40003)
QUOTA_USED = 45047
DAILY_QUOTA = 45009
# Typing indicator refusals that are no one's fault: no interaction in the last 30 s,
# already typing.
TYPING_REFUSALS = (45080, 45081)

ERROR_TEXTS = {
    -1: "微信系统繁忙",
    45011: "微信接口每分钟调用次数已达上限",
    45015: "会员超过48小时未互动或已取消关注，无法发送",
    43004: "会员未关注公众号，无法发送",
    40003: "无效的会员openid，无法发送",
    45047: "本次互动可发送的消息数已用完，已放入待发送，会员下次发消息时送出",
    45009: "公众号今日客服消息发送额度已用完，已放入待发送",
    45002: "消息超过长度限制",
    45008: "图文消息超过1条",
}


@dataclass
class WeChatApiError(Exception):
    kind: str
    errcode: Optional[int]
    errmsg: str
    attempts: int = 1  # how many times the sender tried
    explanation: Optional[str] = None  # for managers, when no code says it

    def __str__(self) -> str:
        return f"{self.kind}: {self.errcode} {self.errmsg}"

    @property
    def reason(self) -> str:
        """For managers (Chinese), with the code for operators."""
        if self.explanation:
            return self.explanation
        text = ERROR_TEXTS.get(self.errcode or 0)
        if text is None:
            text = "发送超时，会员可能已收到" if self.kind == "uncertain" else "微信接口出错"
        return f"{text}（{self.errcode if self.errcode is not None else '网络'}）"


def classify(errcode: int) -> str:
    if errcode in RETRY_ERRORS:
        return "retry"
    if errcode in UNDELIVERABLE_ERRORS:
        return "undeliverable"
    if errcode == QUOTA_USED:
        return "hold"
    if errcode == DAILY_QUOTA:
        return "daily_quota"
    return "error"


def _sent_nothing(error: requests.RequestException) -> bool:
    """A connection error raised before the request left (refused, DNS, connect
    timeout): safe to retry. A reset or timeout afterwards is not."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if not isinstance(error, requests.ConnectionError) or isinstance(error, requests.ReadTimeout):
        return False
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


class StableTokenClient(WeChatClient):
    """wechatpy's client on a configurable API base, with the stable token and our own
    handling of token errors (auto_retry off)."""

    def __init__(self, app_id: str, secret: str, api_base: str, session: Any,
                 timeout: float) -> None:
        super().__init__(app_id, secret, session=session, timeout=timeout, auto_retry=False)
        self.api_base = api_base.rstrip("/")
        self.API_BASE_URL = f"{self.api_base}/cgi-bin/"
        self.token_fetches = 0

    @property
    def access_token_key(self) -> str:
        return f"hm_wechat_{self.appid}_stable_token"

    @property
    def access_token(self) -> str:
        """The shared token; when there is none, one replica fetches it (token.py).
        Its lifetime is the storage's: the key expires before the token does."""
        token = self.session.get(self.access_token_key)
        if token:
            return token
        return self.session.refresh_once(self.access_token_key, self.fetch_access_token)

    def fetch_access_token(self, force_refresh: bool = False) -> Dict[str, Any]:
        """POST /cgi-bin/stable_token in normal mode. `force_refresh` only by an
        operator, when the token leaked (`python -m bot.gateway wechat-refresh-token`:
        20 a day, 30 s apart; every other caller's token dies with it)."""
        answer = self._http.post(
            f"{self.api_base}/cgi-bin/stable_token", timeout=self.timeout,
            json={"grant_type": "client_credential", "appid": self.appid,
                  "secret": self.secret, "force_refresh": force_refresh})
        answer.raise_for_status()
        result = answer.json()
        errcode = int(result.get("errcode") or 0)
        if errcode:
            raise WeChatClientException(errcode, result.get("errmsg", ""), client=self)
        self.token_fetches += 1
        lifetime = max(int(result.get("expires_in") or 7200) - TOKEN_MARGIN_SECONDS, 1)
        self.session.set(self.access_token_key, result["access_token"], lifetime)
        self.expires_at = int(time.time()) + lifetime
        logger.info("wechat stable access token fetched (cached %d s)", lifetime)
        return result

    def drop_token(self) -> None:
        self.session.delete(self.access_token_key)
        self.expires_at = None


def token_storage(redis_url: Optional[str]) -> SharedTokens:
    """Redis (shared by every gateway replica) when HM_REDIS_URL is set, else memory."""
    return SharedTokens(redis_url)


class WeChatApi:
    """The calls the gateway makes, each awaited on a worker thread."""

    def __init__(self, app_id: str, secret: str, api_base: str = DEFAULT_API_BASE,
                 redis_url: Optional[str] = None, timeout: float = 5.0,
                 workers: int = 4) -> None:
        self.client = StableTokenClient(app_id, secret, api_base,
                                        token_storage(redis_url), timeout)
        self._executor = ThreadPoolExecutor(max_workers=workers,
                                            thread_name_prefix="wechat-api")

    def close(self) -> None:
        self._executor.shutdown(wait=False)

    async def _run(self, call: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._with_token(call))

    def _with_token(self, call: Callable[[], T]) -> Callable[[], T]:
        def attempt() -> T:
            try:
                try:
                    return call()
                except WeChatClientException as error:
                    if error.errcode not in TOKEN_ERRORS:
                        raise
                    logger.info("wechat access token refused (%s): fetching it again",
                                error.errcode)
                    self.client.drop_token()
                    return call()
            except WeChatClientException as error:
                if error.errcode is None:
                    # An HTTP error status: the request went out, so it is not retried.
                    raise WeChatApiError("uncertain", None, str(error)) from None
                errcode = int(error.errcode)
                raise WeChatApiError(classify(errcode), errcode, str(error.errmsg)) from None
            except requests.RequestException as error:
                kind = "retry" if _sent_nothing(error) else "uncertain"
                raise WeChatApiError(kind, None, type(error).__name__) from None
        return attempt

    async def send_text(self, openid: str, content: str) -> None:
        await self._run(lambda: self.client.message.send_text(openid, content))

    async def send_menu(self, openid: str, head: str, options: Tuple[Tuple[str, str], ...],
                        tail: str = "") -> None:
        """The msgmenu form of quick replies (refused with 40200 by test accounts)."""
        body = {"touser": openid, "msgtype": "msgmenu", "msgmenu": {
            "head_content": head, "list": [{"id": i, "content": c} for i, c in options],
            "tail_content": tail}}
        await self._run(lambda: self.client.post("message/custom/send", data=body))

    async def typing(self, openid: str, command: str = "Typing") -> None:
        body = {"touser": openid, "command": command}
        await self._run(lambda: self.client.post("message/custom/typing", data=body))

    async def send_template(self, openid: str, template_id: str, data: Dict[str, Any],
                            client_msg_id: str, url: Optional[str] = None) -> int:
        """A template message (outside the window); WeChat drops a repeat of the same
        openid + client_msg_id for 10 minutes. Returns WeChat's msgid."""
        body: Dict[str, Any] = {"touser": openid, "template_id": template_id,
                                "client_msg_id": client_msg_id,
                                "data": {k: {"value": v} for k, v in data.items()}}
        if url:
            body["url"] = url
        result = await self._run(lambda: self.client.post("message/template/send", data=body))
        return int(result.get("msgid") or 0)

    async def create_menu(self, menu: Dict[str, Any]) -> None:
        """Replace the account's custom menu (自定义菜单, menu.py) with `menu`, WeChat's
        `menu/create` JSON (written as UTF-8: WeChat refuses \\uXXXX escapes here)."""
        await self._run(lambda: self.client.post("menu/create", data=menu))

    async def media(self, media_id: str) -> Tuple[bytes, str, Optional[str]]:
        """(bytes, content type, filename) of a member's temporary media (kept 3 days)."""
        def fetch() -> Tuple[bytes, str, Optional[str]]:
            answer = self.client.get("media/get", params={"media_id": media_id})
            if isinstance(answer, dict):  # JSON without errcode: not media
                raise WeChatClientException(None, "media/get answered JSON", client=self.client)
            content_type = answer.headers.get("Content-Type", "application/octet-stream")
            return answer.content, content_type.split(";")[0].strip(), _filename(
                answer.headers.get("Content-disposition", ""))
        return await self._run(fetch)


def _filename(disposition: str) -> Optional[str]:
    for part in disposition.split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "filename" and value:
            return value.strip('"')[:200]
    return None
