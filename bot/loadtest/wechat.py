"""The simulated WeChat the load benchmark's WeChat members go through: the project's
simulator (bot/wechat_simulator) served on the benchmark's own event loop, so member
actions are awaited directly, and told when a customer-service message reaches a
member's inbox, so nobody polls."""
from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from typing import Awaitable, Callable, Dict, Optional

from aiohttp import web

from bot.wechat_simulator import WeChatSimulator

CUSTOM_SEND = "/cgi-bin/message/custom/send"

# The account the embedded default's gateway is configured with when the benchmark
# starts it (any values do, as long as both sides hold the same ones).
LOCAL_ACCOUNT = {
    "token": "loadtest-wechat-token",
    "app_id": "wx00000000load0001",
    "app_secret": "loadtest-wechat-app-secret",
    "encoding_aes_key": "loadtestloadtestloadtestloadtestloadtest012",
}


def gateway_env(account: Dict[str, str], api_base: str) -> Dict[str, str]:
    """The gateway's WeChat settings for `account` in safe mode against `api_base`
    (what `HM_WECHAT_DEMO=1 make run` sets, scripts/run.sh)."""
    return {"HM_WECHAT_TOKEN": account["token"], "HM_WECHAT_APPID": account["app_id"],
            "HM_WECHAT_APPSECRET": account["app_secret"],
            "HM_WECHAT_AES_KEY": account["encoding_aes_key"], "HM_WECHAT_MODE": "safe",
            "HM_WECHAT_API_BASE": api_base}


def account_from_env(environ: Dict[str, str]) -> Optional[Dict[str, str]]:
    """The account a deployment's gateway uses (its HM_WECHAT_* settings), if set."""
    names = {"token": "HM_WECHAT_TOKEN", "app_id": "HM_WECHAT_APPID",
             "app_secret": "HM_WECHAT_APPSECRET", "encoding_aes_key": "HM_WECHAT_AES_KEY"}
    values = {key: environ.get(name, "").strip() for key, name in names.items()}
    return values if all(values.values()) else None


class LoopWeChat:
    """A WeChatSimulator in safe mode serving on the current event loop."""

    def __init__(self, account: Dict[str, str], now: float) -> None:
        self.sim = WeChatSimulator(mode="safe", now=now, **account)
        self._arrivals: Dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        # When the latest customer-service message reached each member (perf_counter).
        self.last_arrival: Dict[str, float] = {}
        self._runner: Optional[web.AppRunner] = None

    @property
    def url(self) -> str:
        assert self.sim.url is not None, "start() first"
        return self.sim.url

    async def start(self, port: int = 0) -> str:
        app = self.sim.build_app()
        app.middlewares.append(self._tell_arrivals)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.sim.url = f"http://127.0.0.1:{bound}"
        return self.sim.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _tell_arrivals(self, request: web.Request,
                             handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                             ) -> web.StreamResponse:
        answer = await handler(request)
        if request.path == CUSTOM_SEND:
            try:
                openid = json.loads(await request.read()).get("touser")
            except (ValueError, AttributeError):
                openid = None
            if isinstance(openid, str):
                self.last_arrival[openid] = time.perf_counter()
                self._arrivals[openid].set()
        return answer

    def follower(self, openid: str) -> None:
        """A member who already follows the account (no subscribe event)."""
        self.sim.add_member(openid)

    def inbox_size(self, openid: str) -> int:
        return len(self.sim.inbox(openid))

    def inbox_since(self, openid: str, start: int) -> list:
        return self.sim.inbox(openid)[start:]

    async def send_text(self, openid: str, text: str):
        """Post the member's message to the gateway (signed, encrypted) and return the
        Delivery once the gateway has answered the callback."""
        return await self.sim.act(openid, "send_text", text=text)

    async def arrival(self, openid: str, timeout: float) -> bool:
        """Wait until something new reaches `openid`'s inbox (False after `timeout`)."""
        event = self._arrivals[openid]
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        event.clear()
        return True


if __name__ == "__main__":  # scripts/loadtest-production.sh: the profile's WeChat settings
    import shlex
    import sys

    for name, value in gateway_env(LOCAL_ACCOUNT, sys.argv[1]).items():
        print(f"export {name}={shlex.quote(value)}")
