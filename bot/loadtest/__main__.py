"""The load benchmark: `python -m bot.loadtest` (`make loadtest`).

Simulated members through the gateway (web chat, WeChat simulator) and Rasa's REST
channel, at 1, 8, 32 and 64 concurrent members, against a stock `rasa init` assistant
measured the same way, in interleaved rounds. Prints a table and the issue's targets;
writes JSON and a chart under reports/loadtest/. docs/performance.md says how to read it.

Targets: by default the embedded default, started as `make run` starts it (the
production model from `python -m bot.train`); with --gateway-url, a deployment that is
already running (see --help for what it needs).
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from bot.loadtest import report
from bot.loadtest.drive import Identities, drive
from bot.loadtest.members import Channel, Rest, WebChat, WeChat
from bot.loadtest.memory import MemorySampler
from bot.loadtest.mix import Mix, product_mix, stock_mix
from bot.loadtest.stack import (
    LOADTEST_VAR,
    STOCK_DIR,
    Deployment,
    EmbeddedStack,
    StockAssistant,
    listeners,
)
from bot.loadtest.wechat import LOCAL_ACCOUNT, LoopWeChat, account_from_env, gateway_env
from bot.processes import ROOT, VENV_BIN, local_secret

DEFAULT_NOW = "2026-11-24T10:00:00+08:00"  # a Tuesday at 10:00: managers on duty
TARGETS = ("stock", "rest", "web", "wechat")
WARMUP_MESSAGES = 4
OUT = ROOT / "reports" / "loadtest"


def _levels(text: str) -> List[int]:
    levels = [int(part) for part in text.split(",") if part.strip()]
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("concurrency levels are positive numbers: 1,8,32,64")
    return levels


def _targets(text: str) -> List[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = set(chosen) - set(TARGETS)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"targets are some of {','.join(TARGETS)}")
    return [t for t in TARGETS if t in chosen]


def _watch(text: str) -> tuple:
    name, _, pid = text.partition("=")
    if not name or not pid.isdigit():
        raise argparse.ArgumentTypeError("NAME=PID")
    return name, int(pid)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot.loadtest",
                                description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=EPILOG)
    p.add_argument("--levels", type=_levels, default=[1, 8, 32, 64],
                   help="concurrent members, comma-separated (default 1,8,32,64)")
    p.add_argument("--messages", type=int, default=200, help="messages per level and target")
    p.add_argument("--rounds", type=int, default=2, help="interleaved rounds (default 2)")
    p.add_argument("--targets", type=_targets, default=list(TARGETS),
                   help="some of stock,rest,web,wechat (default all)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds a member waits")
    p.add_argument("--soak", type=int, default=0, metavar="N",
                   help="then N more messages (web chat and WeChat) at --soak-concurrency, "
                        "sampling the gateway's memory")
    p.add_argument("--soak-concurrency", type=int, default=16)
    p.add_argument("--now", default=DEFAULT_NOW,
                   help="the product's clock (HM_NOW), or 'real' (default: Tuesday 10:00)")
    p.add_argument("--members", type=int, default=4000,
                   help="load members seeded in the embedded default's backends")
    p.add_argument("--first-member", type=int, default=1,
                   help="the first load member to use (a deployment used before: a later one)")
    p.add_argument("--seed", type=int, default=14, help="seed of the scenario mix")
    p.add_argument("--stock-dir", type=Path, default=STOCK_DIR,
                   help="where the stock assistant is made and trained once")
    url = p.add_argument_group("a running deployment instead of the embedded default")
    url.add_argument("--gateway-url", help="the gateway (or nginx in front of it)")
    url.add_argument("--rasa-url", help="Rasa's REST channel, for the 'rest' reference "
                                        "(signs with HM_IDENTITY_SECRET)")
    url.add_argument("--wechat-port", type=int,
                     help="serve the simulated WeChat API here; the deployment's gateway "
                          "must use HM_WECHAT_API_BASE=http://127.0.0.1:PORT and the "
                          "HM_WECHAT_* account set in this environment")
    url.add_argument("--watch", type=_watch, action="append", default=[], metavar="NAME=PID",
                     help="a deployment process whose memory to sample (repeatable)")
    p.add_argument("--out", type=Path, default=OUT, help="where the JSON and charts go")
    return p


EPILOG = """
A running deployment (--gateway-url): its backends must hold the load members
(python -m bot.backends seed --load-members 4000), its gateway must start sessions for
them (HM_DEMO=1, or HM_GATEWAY_LINK_SECRET in this environment to sign links) and let
scripted members through (raise HM_CHAT_*_RATE and HM_WECHAT_*_RATE, or see 429s as
errors). Memory: the processes listening on the given URLs' ports, and --watch.
"""


def git_commit() -> Dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "subject": git("log", "-1", "--format=%s")[:120],
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def machine() -> Dict[str, Any]:
    mem_kib = next(int(line.split()[1]) for line in open("/proc/meminfo")
                   if line.startswith("MemTotal"))
    return {"cpus": os.cpu_count(), "memory_gib": round(mem_kib / 2 ** 20, 1),
            "python": platform.python_version(), "platform": platform.platform()}


def production_model() -> Path:
    """What `make run` serves: trained by bot.train only when its inputs changed."""
    from bot.train import models

    subprocess.run([str(VENV_BIN / "python"), "-m", "bot.train"], cwd=ROOT, check=True)
    found = models(ROOT / "models")
    if not found:
        raise SystemExit("bot.train left no model in models/")
    return found[0]


def now_epoch(now: Optional[str]) -> float:
    from bot.clock import Clock

    return Clock.from_env({"HM_NOW": now} if now else {}).now().timestamp()


def say(text: str) -> None:
    print(text, flush=True)


class Bench:
    """The targets, their channels, the runs and the memory samples of one invocation."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.now = None if args.now == "real" else args.now
        self.channels: Dict[str, Channel] = {}
        # Each load member once per run, whatever the channel: the web id and the openid
        # of a number are the same member in the backends, with the same bookings.
        self.identities = Identities(args.first_member, args.first_member + args.members - 1)
        self.memory = MemorySampler()
        self.bookings = itertools.count()  # one numbering for every booking of the run
        self.runs: List[Dict[str, Any]] = []
        self.stack: Optional[EmbeddedStack] = None
        self.stock: Optional[StockAssistant] = None
        self.wechat: Optional[LoopWeChat] = None
        self.notes: List[str] = []

    # ---------------------------------------------------------------- set-up

    async def start(self) -> None:
        args = self.args
        targets = args.targets
        if "stock" in targets:
            say("Stock assistant: rasa init (trained once into "
                f"{args.stock_dir.relative_to(ROOT) if args.stock_dir.is_relative_to(ROOT) else args.stock_dir}) ...")
            self.stock = StockAssistant(args.stock_dir)
            await asyncio.to_thread(self.stock.ensure_trained)
        # The two Rasa servers load their models at the same time (one core each); both
        # finish starting before a failure of either is raised, so stop() stops both.
        failures = [outcome for outcome in await asyncio.gather(
            self._start_deployment() if args.gateway_url else self._start_embedded(),
            self._start_stock(), return_exceptions=True) if isinstance(outcome, BaseException)]
        if failures:
            raise failures[0]
        for target in [t for t in self.channels if t not in args.targets]:
            del self.channels[target]  # started with the rest, but not asked for
        # Itself only: the servers it started are its children, and watched on their own.
        self.memory.watch({"load-generator": os.getpid()}, "load generator", children=False)
        self.memory.start()

    async def _start_stock(self) -> None:
        if self.stock is None:
            return
        say("Starting the stock assistant ...")
        server = await asyncio.to_thread(self.stock.start, LOADTEST_VAR / "logs")
        self.memory.watch({"stock-rasa": server.process.pid}, "stock")
        self.channels["stock"] = Rest("stock", server.url)

    async def _start_embedded(self) -> None:
        args = self.args
        say("Production model: python -m bot.train (trains only when something changed) ...")
        model = await asyncio.to_thread(production_model)
        wanted = set(args.targets)
        if "wechat" in wanted:
            self.wechat = LoopWeChat(LOCAL_ACCOUNT, now_epoch(self.now))
            await self.wechat.start()
        run_dir = LOADTEST_VAR / f"run-{os.getpid()}"
        self.stack = EmbeddedStack(
            model, run_dir, self.now, args.members,
            gateway_env(LOCAL_ACCOUNT, self.wechat.url) if self.wechat else {})
        say(f"Starting the embedded default ({model.name}; backends, actions, Rasa, "
            "gateway, retention) ...")
        await asyncio.to_thread(self.stack.start)
        if self.wechat is not None:
            self.wechat.sim.callback_url = f"{self.stack.gateway_url}/wechat"
        self.memory.watch(self.stack.processes(), "product")
        identity_secret = local_secret("HM_IDENTITY_SECRET").encode()
        self.channels.update({"rest": Rest("rest", self.stack.rasa_url, identity_secret),
                              "web": WebChat(self.stack.gateway_url)})
        if self.wechat is not None:
            self.channels["wechat"] = WeChat(self.wechat)

    async def _start_deployment(self) -> None:
        args = self.args
        deployment = Deployment(args.gateway_url, args.rasa_url, dict(args.watch))
        watched = {**listeners([u for u in (args.gateway_url, args.rasa_url) if u]),
                   **deployment.processes()}
        if not watched:
            self.notes.append("no deployment process found to sample memory from: "
                              "give --watch NAME=PID")
        self.memory.watch(watched, "product")
        link_secret = os.environ.get("HM_GATEWAY_LINK_SECRET") or None
        self.channels["web"] = WebChat(args.gateway_url, link_secret)
        if args.rasa_url:
            secret = os.environ.get("HM_IDENTITY_SECRET", "")
            if secret:
                self.channels["rest"] = Rest("rest", args.rasa_url, secret.encode())
            else:
                self.notes.append("rest skipped: HM_IDENTITY_SECRET is not set")
        if args.wechat_port:
            account = account_from_env(dict(os.environ))
            if account is None:
                self.notes.append("wechat skipped: set HM_WECHAT_TOKEN, HM_WECHAT_APPID, "
                                  "HM_WECHAT_APPSECRET and HM_WECHAT_AES_KEY as the gateway has them")
            else:
                self.wechat = LoopWeChat(account, now_epoch(self.now))
                await self.wechat.start(args.wechat_port)
                self.wechat.sim.callback_url = args.gateway_url.rstrip("/") + "/wechat"
                self.channels["wechat"] = WeChat(self.wechat)
        for target in self.args.targets:
            if target not in self.channels and target != "stock":
                self.notes.append(f"{target}: not measured against this deployment")

    async def stop(self) -> None:
        self.memory.stop()
        for channel in self.channels.values():
            await channel.__aexit__(None, None, None)
        if self.stack is not None:
            await asyncio.to_thread(self.stack.stop)
        if self.stock is not None:
            await asyncio.to_thread(self.stock.stop)
        if self.wechat is not None:
            await self.wechat.stop()

    # ---------------------------------------------------------------- runs

    def mix(self, target: str, salt: int) -> Mix:
        seed = self.args.seed * 1000 + salt
        return stock_mix(seed) if target == "stock" else product_mix(seed, self.bookings)

    async def warm_up(self) -> None:
        for target, channel in self.channels.items():
            await drive(channel, target, self.mix(target, 999), 1, WARMUP_MESSAGES,
                        self.identities, self.args.timeout)

    async def run_levels(self) -> None:
        args = self.args
        measured = [t for t in args.targets if t in self.channels]
        for number in range(1, args.rounds + 1):
            # Every other round in the opposite order, so drift over time (warming
            # caches, other work on the machine) falls on every target alike.
            order = measured if number % 2 else list(reversed(measured))
            for concurrency in args.levels:
                for target in order:
                    cpu_before = self.memory.cpu_seconds()
                    run = await drive(self.channels[target], target,
                                      self.mix(target, number * 100 + concurrency),
                                      concurrency, args.messages, self.identities,
                                      args.timeout)
                    figures = report.run_figures(run)
                    figures["cores"] = report.cores(cpu_before, self.memory.cpu_seconds(),
                                                    figures["elapsed_s"])
                    figures["round"] = number
                    figures["load_average"] = [round(v, 2) for v in os.getloadavg()]
                    self.runs.append(figures)
                    say(f"  round {number}  {concurrency:>3} concurrent  "
                        f"{report.LABELS[target]:<18} {figures['msg_per_s']:7.1f} msg/s  "
                        f"p50 {figures['p50_ms'] or 0:7.0f} ms  p95 {figures['p95_ms'] or 0:7.0f} ms  "
                        f"errors {figures['errors']}")

    async def soak(self) -> Optional[Dict[str, Any]]:
        args = self.args
        channels = [t for t in ("web", "wechat") if t in self.channels]
        if not args.soak or not channels:
            return None
        done = [0]

        def count() -> None:
            done[0] += 1
            if done[0] % 1000 == 0:
                latest = self.memory.last.get(gateway or "", 0.0)
                say(f"  {done[0]:>6} messages, gateway {latest:.0f} MiB")

        gateway = "gateway" if self.stack is not None else next(
            (name for name in self.memory.watched if "gateway" in name or "listener" in name),
            None)
        if gateway is None:
            self.notes.append("soak: no gateway process to sample")
            return None
        say(f"Soak: {args.soak} messages at {args.soak_concurrency} concurrent over "
            f"{' and '.join(channels)}, sampling the gateway's memory ...")
        self.memory.record_series([gateway], lambda: done[0])
        share = max(1, args.soak_concurrency // len(channels))
        began = time.perf_counter()
        runs = await asyncio.gather(*[
            drive(self.channels[t], t, self.mix(t, 7000 + i), share, args.soak // len(channels),
                  self.identities, args.timeout, count)
            for i, t in enumerate(channels)])
        series = self.memory.stop_series()
        figures = report.soak_figures(series, gateway)
        figures.update(messages=done[0], elapsed_s=round(time.perf_counter() - began, 1),
                       concurrency=share * len(channels),
                       runs=[report.run_figures(r) for r in runs])
        say(f"  gateway memory: {figures['verdict']}")
        return figures

    def members_note(self) -> None:
        if self.identities.wrapped:
            self.notes.append("more members were needed than --members: some were used "
                              "twice (their bookings may clash)")


async def run(args: argparse.Namespace) -> Dict[str, Any]:
    bench = Bench(args)
    load_before = [round(v, 2) for v in os.getloadavg()]
    began = datetime.now()
    try:
        await bench.start()
        for channel in bench.channels.values():
            await channel.__aenter__()
        say("Warming up ...")
        await bench.warm_up()
        say(f"Measuring: {len(args.levels)} levels x {len(bench.channels)} targets x "
            f"{args.rounds} rounds, {args.messages} messages each")
        await bench.run_levels()
        soak = await bench.soak()
    finally:
        await bench.stop()
    bench.members_note()
    summary = report.summarize(bench.runs)
    memory = bench.memory.snapshot()
    return {
        "when": began.isoformat(timespec="seconds"),
        "finished": datetime.now().isoformat(timespec="seconds"),
        "machine": machine(), "git": git_commit(),
        "load_average": {"before": load_before,
                         "after": [round(v, 2) for v in os.getloadavg()]},
        "command": " ".join(["python -m bot.loadtest", *sys.argv[1:]]),
        "settings": {"levels": args.levels, "messages": args.messages, "rounds": args.rounds,
                     "targets": [t for t in args.targets if t in bench.channels],
                     "timeout_s": args.timeout, "now": args.now,
                     "deployment": args.gateway_url or "embedded default",
                     "mix_seed": args.seed,
                     "members_used": bench.identities.next - args.first_member},
        "notes": bench.notes,
        "runs": bench.runs,
        "summary": summary,
        "memory": memory,
        "soak": soak,
        "targets": report.check_targets(summary, memory, soak),
    }


def write(result: Dict[str, Any], out: Path) -> Dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    paths = {"json": out / f"loadtest-{stamp}.json"}
    paths["json"].write_text(json.dumps(result, ensure_ascii=False, indent=2))
    levels = result["settings"]["levels"]
    targets = result["settings"]["targets"]
    title = (f"{result['git']['commit']} {result['when']}, {result['machine']['cpus']} cores, "
             f"{result['settings']['messages']} messages x {result['settings']['rounds']} rounds")
    if result["runs"]:
        paths["chart"] = out / f"loadtest-{stamp}.png"
        report.chart(result["summary"], targets, levels, paths["chart"], title)
    if result.get("soak") and result["soak"].get("points"):
        paths["soak_chart"] = out / f"loadtest-{stamp}-soak.png"
        report.soak_chart(result["soak"], paths["soak_chart"],
                          f"gateway memory over {result['soak']['messages']} messages")
    return paths


def show(result: Dict[str, Any], paths: Dict[str, Path]) -> None:
    say("")
    say(report.table(result["summary"], result["settings"]["targets"],
                     result["settings"]["levels"]))
    say("")
    say(report.cores_table(result["runs"], result["settings"]["targets"],
                           result["settings"]["levels"]))
    say("")
    say(report.memory_table(result["memory"]))
    say("")
    say(report.checks_text(result["targets"]))
    for note in result["notes"]:
        say(f"note: {note}")
    say(f"load average before {result['load_average']['before']}, "
        f"after {result['load_average']['after']}")
    for kind, path in paths.items():
        say(f"{kind}: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    if args.messages < 1 or args.rounds < 1:
        raise SystemExit("--messages and --rounds must be at least 1")
    result = asyncio.run(run(args))
    paths = write(result, args.out)
    show(result, paths)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
