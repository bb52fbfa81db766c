"""Run the WeChat simulator standalone: `python -m bot.wechat_simulator --port 8090
--callback http://127.0.0.1:8080/wechat --token T --app-id wx... --app-secret S`;
drive it through /_sim/ (docs/wechat_simulator.md)."""
from __future__ import annotations

import argparse
import logging
import signal
import threading
from typing import List, Optional

from bot import runtime
from bot.wechat_simulator.messages import MODES
from bot.wechat_simulator.server import WeChatSimulator


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.wechat_simulator",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--callback", help="the server URL WeChat posts to (none: no posts)")
    parser.add_argument("--token", required=True, help="the Token of 服务器配置")
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--app-secret", required=True)
    parser.add_argument("--mode", choices=MODES, default="plaintext")
    parser.add_argument("--aes-key", help="the 43-character EncodingAESKey")
    parser.add_argument("--original-id", default=None, help="the account's gh_ id")
    parser.add_argument("--template-id", action="append", default=[],
                        help="a template_id template/send accepts (repeatable)")
    parser.add_argument("--test-account", action="store_true",
                        help="a sandbox account (msgmenu refused with 40200)")
    parser.add_argument("--now", type=float, help="the simulated clock's start (epoch)")
    parser.add_argument("--callback-timeout", type=float, default=5.0)
    parser.add_argument("--callback-retries", type=int, default=3)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    runtime.prepare(fmt="%(asctime)s %(levelname)s %(message)s")
    extra = {"original_id": args.original_id} if args.original_id else {}
    sim = WeChatSimulator(
        app_id=args.app_id, app_secret=args.app_secret, token=args.token, mode=args.mode,
        encoding_aes_key=args.aes_key, callback_url=args.callback, now=args.now,
        callback_timeout=args.callback_timeout, callback_retries=args.callback_retries,
        template_ids=args.template_id, test_account=args.test_account, **extra)
    url = sim.start(args.host, args.port)
    logging.info("WeChat simulator on %s (mode %s), posting to %s; control: %s/_sim/",
                 url, args.mode, args.callback or "nobody", url)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    sim.stop()


if __name__ == "__main__":
    main()
