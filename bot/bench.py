"""Benchmarks of the running assistant: `python -m bot.bench [--runs N] [--train-runs N]`.

Measures, as medians over several runs on this machine: training time (optional), Rasa
server cold start, resident memory of the Rasa, action and backends servers, NLU parse
latency, full REST-channel round trips and the same turn through the gateway's web
chat (stored, routed, understood, stored), both again as the later turns of 20-message
conversations, the backends API (start-up, availability,
booking, idempotent replay), and the rule modules' per-call cost.
`--only backends` measures the backends alone (seconds, no model needed); `--only rules`
the rule modules alone, median of --runs. Prints a report and
keeps it as JSON under reports/bench/. Figures go into docs/performance.md by hand.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
import timeit
import uuid
from datetime import datetime
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from bot import identity
from bot.evaluate import latest_model
from bot.processes import (
    ROOT,
    VENV_BIN,
    Server,
    local_secret,
    start_action_server,
    start_backends_server,
    start_gateway_server,
    start_rasa_server,
)

MESSAGES = [
    "直付是什么意思", "化疗要预授权吗", "管家几点上班", "明天下午三点约瑞金皮肤科",
    "理赔要什么材料", "电子直付卡在哪里看", "我爸突然说话不利索", "你好",
]
# A conversation's later turns (its tracker grows): messages that keep the bot talking
# (an emergency would hand the web chat to a manager).
CONVERSATION_TURNS = 20
BENCH_NOW = "2026-11-24T10:00:00+08:00"
BENCH_TOKEN = "bench-token"
BENCH_VAR = ROOT / "var" / "bench"
# (hospital, department) pairs the booking benchmark spreads its bookings over.
BENCH_CLINICS = [("ruijin", "dermatology"), ("huashan", "orthopedics"),
                 ("pumch", "cardiology"), ("fd_zhongshan", "gastroenterology")]


def rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants, from /proc."""
    total_kib = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total_kib += next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")),
            0,
        )
        pids.extend(int(c) for c in children)
    return total_kib / 1024


def timed_request(url: str, body: Optional[dict] = None,
                  headers: Optional[Dict[str, str]] = None) -> tuple:
    """(milliseconds, decoded JSON) of one GET (no body) or POST."""
    import urllib.error
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data, {"Content-Type": "application/json", **(headers or {})}
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = response.read()
    except urllib.error.HTTPError as error:  # a 4xx answer is still an answer
        payload = error.read()
    return (time.perf_counter() - start) * 1000, json.loads(payload or b"null")


def post_ms(url: str, body: dict) -> float:
    return timed_request(url, body)[0]


def start_bench_backends(name: str) -> Server:
    db = BENCH_VAR / f"{name}.sqlite3"
    for old in BENCH_VAR.glob(f"{name}.sqlite3*"):
        old.unlink()
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    return start_backends_server(BENCH_VAR, {"HM_NOW": BENCH_NOW, "HM_BACKENDS_TOKEN": BENCH_TOKEN,
                                             "HM_BACKENDS_DB": f"sqlite:///{db}"}, name=name)


def bench_backends(runs: int, requests: int) -> Dict[str, object]:
    """The backends on a fresh SQLite database each run: start-up (migrate + seed),
    availability look-ups, bookings (each a new place), idempotent replays, memory."""
    auth = {"Authorization": f"Bearer {BENCH_TOKEN}"}
    starts, rss, lookup_ms, availability_ms, booking_ms, replay_ms = [], [], [], [], [], []
    for _ in range(runs):
        began = time.perf_counter()
        server = start_bench_backends("bench-backends")
        starts.append(time.perf_counter() - began)
        try:
            ms, member = timed_request(
                f"{server.url}/v1/members/lookup?channel=web&external_id=demo-ready", None, auth)
            lookup_ms.append(ms)
            for i in range(requests):
                hospital, department = BENCH_CLINICS[i % len(BENCH_CLINICS)]
                day = 25 + (i // len(BENCH_CLINICS)) % 5  # Wednesday to Sunday
                query = (f"hospital_id={hospital}&department_id={department}"
                         f"&start=2026-11-{day:02d}T08:00:00%2B08:00"
                         f"&end=2026-11-{day:02d}T18:00:00%2B08:00&limit=4")
                ms, answer = timed_request(f"{server.url}/v1/availability?{query}", None, auth)
                availability_ms.append(ms)
                slot = (answer or {}).get("slot") or ((answer or {}).get("alternatives") or [None])[0]
                if not slot:
                    continue
                body = {"member_id": member["id"], "slot_id": slot["id"]}
                headers = {**auth, "Idempotency-Key": uuid.uuid4().hex}
                booking_ms.append(timed_request(f"{server.url}/v1/appointments", body, headers)[0])
                replay_ms.append(timed_request(f"{server.url}/v1/appointments", body, headers)[0])
            rss.append(rss_mib(server.process.pid))
        finally:
            server.stop()
    return {
        "cold_start_s": round(statistics.median(starts), 2),
        "rss_mib": round(statistics.median(rss)),
        "member_lookup_ms": percentiles(lookup_ms),
        "availability_ms": percentiles(availability_ms),
        "booking_ms": percentiles(booking_ms),
        "idempotent_replay_ms": percentiles(replay_ms),
        "runs": runs,
        "requests_per_run": requests,
    }


def percentiles(samples: List[float]) -> Dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": round(statistics.median(ordered), 2),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "n": len(ordered),
    }


def time_training(runs: int) -> Dict[str, float]:
    seconds = []
    for _ in range(runs):
        out = Path(tempfile.mkdtemp(prefix="bench-train-"))
        start = time.perf_counter()
        # No training cache: every run trains every component from scratch.
        subprocess.run([str(VENV_BIN / "rasa"), "train", "--force", "--domain", "domain", "--out", str(out), "--quiet"],
                       cwd=ROOT, check=True, capture_output=True,
                       env={**os.environ, "RASA_MAX_CACHE_SIZE": "0"})
        seconds.append(time.perf_counter() - start)
        size_mb = sum(p.stat().st_size for p in out.glob("*.tar.gz")) / 1e6
        shutil.rmtree(out)
    return {"median_s": round(statistics.median(seconds), 1), "runs": runs,
            "all_s": [round(s, 1) for s in seconds], "model_mb": round(size_mb, 1)}


def bench_servers(model: Path, runs: int, requests: int) -> Dict[str, object]:
    log_dir = ROOT / "var" / "bench"
    backends = start_bench_backends("bench-backends-for-rasa")
    env = {"HM_NOW": BENCH_NOW, "HM_BACKENDS_URL": backends.url, "HM_BACKENDS_TOKEN": BENCH_TOKEN}
    identity_secret = local_secret(identity.SECRET_ENV).encode()
    starts, rasa_rss, action_rss, parse_ms, rest_ms = [], [], [], [], []
    gateway_rss, gateway_ms, callback_ms, wechat_ms = [], [], [], []
    rest_later_ms, gateway_later_ms = [], []
    for run in range(runs):
        actions = start_action_server(log_dir, env)
        began = time.perf_counter()
        rasa = start_rasa_server(model, actions.url, log_dir, env)
        starts.append(time.perf_counter() - began)
        gateway_db = BENCH_VAR / f"bench-gateway-{run}.sqlite3"
        for old in BENCH_VAR.glob(f"{gateway_db.name}*"):
            old.unlink()
        # One client address starts every session: no per-address limits here.
        gateway = start_gateway_server(log_dir, {**env, "HM_RASA_URL": rasa.url,
                                                 "HM_GATEWAY_DB": f"sqlite:///{gateway_db}",
                                                 "HM_CHAT_START_RATE": "off",
                                                 "HM_CHAT_ADDRESS_RATE": "off",
                                                 "HM_CHAT_MESSAGE_RATE": "off"},
                                       name="bench-gateway")
        sim, wechat = start_wechat_bench(log_dir, {**env, "HM_RASA_URL": rasa.url}, run)
        try:
            for i in range(requests):
                text = MESSAGES[i % len(MESSAGES)]
                answered, replied = wechat_turn(sim, f"oBENCH{run}_{i}", text)
                callback_ms.append(answered)
                wechat_ms.append(replied)
                parse_ms.append(post_ms(
                    f"{rasa.url}/model/parse?token={local_secret('HM_RASA_TOKEN')}",
                    {"text": text}))
                sender = uuid.uuid4().hex
                rest_ms.append(post_ms(f"{rasa.url}/webhooks/rest/webhook", {
                    "sender": sender, "message": text,
                    "metadata": identity.sign(identity_secret, sender, text,
                                              {"channel": "web", "member": sender})}))
                # The same message as a member sends it: web chat, stored, routed, stored.
                _, started = timed_request(f"{gateway.url}/chat/api/start", {})
                gateway_ms.append(timed_request(
                    f"{gateway.url}/chat/api/messages", {"text": text},
                    {"Authorization": f"Bearer {started['token']}"})[0])
            rest_later, gateway_later = conversation_turns(rasa.url, gateway.url,
                                                           identity_secret, requests)
            rest_later_ms += rest_later
            gateway_later_ms += gateway_later
            rasa_rss.append(rss_mib(rasa.process.pid))
            action_rss.append(rss_mib(actions.process.pid))
            gateway_rss.append(rss_mib(gateway.process.pid))
        finally:
            wechat.stop()
            sim.stop()
            gateway.stop()
            rasa.stop()
            actions.stop()
    backends.stop()
    return {
        "cold_start_s": round(statistics.median(starts), 1),
        "rasa_rss_mib": round(statistics.median(rasa_rss)),
        "actions_rss_mib": round(statistics.median(action_rss)),
        "parse_ms": percentiles(parse_ms),
        "rest_round_trip_ms": percentiles(rest_ms),
        "gateway_rss_mib": round(statistics.median(gateway_rss)),
        "web_chat_turn_ms": percentiles(gateway_ms),
        # Turns 1 to CONVERSATION_TURNS of the same conversations, REST and web chat.
        "rest_conversation_turn_ms": percentiles(rest_later_ms),
        "web_chat_conversation_turn_ms": percentiles(gateway_later_ms),
        # WeChat in safe mode through the simulator: until the gateway answers `success`
        # (WeChat's deadline is 5 s), and until the bot's reply reaches the member.
        "wechat_callback_answer_ms": percentiles(callback_ms),
        "wechat_turn_ms": percentiles(wechat_ms),
        "runs": runs,
        "requests_per_run": requests,
    }


def conversation_turns(rasa_url: str, gateway_url: str, identity_secret: bytes,
                       requests: int) -> Tuple[List[float], List[float]]:
    """`requests` turns in conversations of CONVERSATION_TURNS messages each, through
    Rasa's REST channel and as a member through the web chat: what a member's later
    messages cost (ms)."""
    from bot import redflags

    texts = [text for text in MESSAGES if redflags.detect(text) is None]
    rest_ms, web_ms = [], []
    for _ in range(max(1, requests // CONVERSATION_TURNS)):
        sender = uuid.uuid4().hex
        _, started = timed_request(f"{gateway_url}/chat/api/start", {})
        for turn in range(CONVERSATION_TURNS):
            text = texts[turn % len(texts)]
            rest_ms.append(post_ms(f"{rasa_url}/webhooks/rest/webhook", {
                "sender": sender, "message": text,
                "metadata": identity.sign(identity_secret, sender, text,
                                          {"channel": "web", "member": sender})}))
            web_ms.append(timed_request(
                f"{gateway_url}/chat/api/messages", {"text": text},
                {"Authorization": f"Bearer {started['token']}"})[0])
    return rest_ms, web_ms


BENCH_WECHAT = {"token": "bench-token", "app_id": "wx0000000000bench0",
                "app_secret": "bench-secret",
                "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}


def start_wechat_bench(log_dir: Path, env: Dict[str, str], run: int):
    """A simulated WeChat and a gateway running the WeChat channel in safe mode."""
    from bot.wechat_simulator import WeChatSimulator

    sim = WeChatSimulator(mode="safe", now=datetime.fromisoformat(BENCH_NOW).timestamp(),
                          **BENCH_WECHAT)
    sim.start()
    db = BENCH_VAR / f"bench-wechat-{run}.sqlite3"
    for old in BENCH_VAR.glob(f"{db.name}*"):
        old.unlink()
    gateway = start_gateway_server(log_dir, {
        **env, "HM_GATEWAY_DB": f"sqlite:///{db}", "HM_WECHAT_TOKEN": BENCH_WECHAT["token"],
        "HM_WECHAT_APPID": BENCH_WECHAT["app_id"], "HM_WECHAT_MODE": "safe",
        "HM_WECHAT_APPSECRET": BENCH_WECHAT["app_secret"],
        "HM_WECHAT_AES_KEY": BENCH_WECHAT["encoding_aes_key"], "HM_WECHAT_API_BASE": sim.url,
    }, name="bench-gateway-wechat")
    sim.callback_url = f"{gateway.url}/wechat"
    return sim, gateway


def wechat_turn(sim, openid: str, text: str) -> Tuple[float, float]:
    """(ms until the callback was answered, ms until the first reply reached the member)."""
    sim.add_member(openid)
    began = time.perf_counter()
    delivery = sim.send_text(openid, text)
    answered = delivery.attempts[0].elapsed * 1000
    deadline = began + 30
    while not sim.inbox(openid):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"no WeChat reply to {text!r} within 30 s")
        time.sleep(0.002)
    return answered, (time.perf_counter() - began) * 1000


def per_call_us(fn: Callable[[], object], number: int = 200, repeat: int = 5) -> float:
    return round(statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6, 1)


def bench_rules() -> Dict[str, float]:
    from bot import amounts, redflags, timeparse
    from bot.clock import Clock

    now = Clock.from_env({"HM_NOW": BENCH_NOW}).now()
    sentence = "你好，我想帮我妈约下周三上午九点半瑞金医院的皮肤科，大概两万块要预授权吗"
    # Alarming words that are no emergency now: the rules' time and modality checks run.
    alarming = "我爸去年中风过，现在说话还有点不利索，吃着降压药，想问问康复科能直付吗"
    return {
        "redflags_detect_us": per_call_us(lambda: redflags.detect(sentence)),
        "redflags_judge_alarming_us": per_call_us(lambda: redflags.judge(alarming)),
        "time_resolve_us": per_call_us(lambda: timeparse.resolve_booking_time(sentence, now)),
        "amount_find_us": per_call_us(lambda: amounts.find_amount(sentence)),
    }


def machine() -> Dict[str, object]:
    mem_kib = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    return {"cpus": os.cpu_count(), "memory_gib": round(mem_kib / 2**20, 1),
            "python": platform.python_version(), "platform": platform.platform()}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="server start-ups to measure")
    parser.add_argument("--requests", type=int, default=100, help="requests per start-up")
    parser.add_argument("--train-runs", type=int, default=0,
                        help="also time full training this many times (minutes each)")
    parser.add_argument("--only", choices=["backends", "rules"],
                        help="measure only this part (rules: the rule modules, --runs times)")
    args = parser.parse_args(argv)

    report: Dict[str, object] = {"when": datetime.now().isoformat(timespec="seconds"),
                                 "machine": machine()}
    if args.only == "rules":
        runs = [bench_rules() for _ in range(args.runs)]
        report["rules"] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    else:
        report["backends"] = bench_backends(args.runs, args.requests)
    if args.only is None:
        subprocess.run([str(VENV_BIN / "rasa"), "train", "--domain", "domain", "--out", "models",
                        "--quiet"], cwd=ROOT, check=True)
        model = latest_model(ROOT / "models")
        report.update(model=model.name, rules=bench_rules())
        if args.train_runs:
            report["training"] = time_training(args.train_runs)
        report["servers"] = bench_servers(model, args.runs, args.requests)

    out = ROOT / "reports" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
