"""Benchmarks of the running assistant: `python -m bot.bench [--runs N] [--train-runs N]`.

Measures, as medians over several runs on this machine: training time (optional), Rasa
server cold start, resident memory of the Rasa and action servers, NLU parse latency and
full REST-channel round trips, and the rule modules' per-call cost. Prints a report and
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
from typing import Callable, Dict, List, Optional

from bot.evaluate import latest_model
from bot.processes import ROOT, VENV_BIN, Server, start_action_server, start_rasa_server

MESSAGES = [
    "直付是什么意思", "化疗要预授权吗", "管家几点上班", "明天下午三点约瑞金皮肤科",
    "理赔要什么材料", "电子直付卡在哪里看", "我爸突然说话不利索", "你好",
]
BENCH_NOW = "2026-11-24T10:00:00+08:00"


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


def post_ms(url: str, body: dict) -> float:
    import urllib.request

    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
    return (time.perf_counter() - start) * 1000


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
    env = {"HM_NOW": BENCH_NOW}
    starts, rasa_rss, action_rss, parse_ms, rest_ms = [], [], [], [], []
    for _ in range(runs):
        actions = start_action_server(log_dir, env)
        began = time.perf_counter()
        rasa = start_rasa_server(model, actions.url, log_dir, env)
        starts.append(time.perf_counter() - began)
        try:
            for i in range(requests):
                text = MESSAGES[i % len(MESSAGES)]
                parse_ms.append(post_ms(f"{rasa.url}/model/parse", {"text": text}))
                rest_ms.append(post_ms(f"{rasa.url}/webhooks/rest/webhook",
                                       {"sender": uuid.uuid4().hex, "message": text}))
            rasa_rss.append(rss_mib(rasa.process.pid))
            action_rss.append(rss_mib(actions.process.pid))
        finally:
            rasa.stop()
            actions.stop()
    return {
        "cold_start_s": round(statistics.median(starts), 1),
        "rasa_rss_mib": round(statistics.median(rasa_rss)),
        "actions_rss_mib": round(statistics.median(action_rss)),
        "parse_ms": percentiles(parse_ms),
        "rest_round_trip_ms": percentiles(rest_ms),
        "runs": runs,
        "requests_per_run": requests,
    }


def per_call_us(fn: Callable[[], object], number: int = 200, repeat: int = 5) -> float:
    return round(statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6, 1)


def bench_rules() -> Dict[str, float]:
    from bot import amounts, redflags, timeparse
    from bot.clock import Clock

    now = Clock.from_env({"HM_NOW": BENCH_NOW}).now()
    sentence = "你好，我想帮我妈约下周三上午九点半瑞金医院的皮肤科，大概两万块要预授权吗"
    return {
        "redflags_detect_us": per_call_us(lambda: redflags.detect(sentence)),
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
    args = parser.parse_args(argv)

    subprocess.run([str(VENV_BIN / "rasa"), "train", "--domain", "domain", "--out", "models", "--quiet"],
                   cwd=ROOT, check=True)
    model = latest_model(ROOT / "models")
    report: Dict[str, object] = {"when": datetime.now().isoformat(timespec="seconds"),
                                 "machine": machine(), "model": model.name,
                                 "rules": bench_rules()}
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
