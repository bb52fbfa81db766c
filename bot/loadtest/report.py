"""Figures from the runs: per run msg/s, p50/p95/p99 and errors; per target and level the
median and min–max over the rounds and the ratio to the stock assistant (per round, the
runs next to each other in time); the issue's targets; a table, JSON and a chart."""
from __future__ import annotations

import statistics
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy

from bot.loadtest.drive import LevelRun
from bot.loadtest.members import OK, OUTCOMES

STOCK = "stock"
LABELS = {"stock": "stock Rasa, REST", "rest": "product, REST", "web": "product, web chat",
          "wechat": "product, WeChat"}
# The targets on 2 cores (issue 14).
RATIO_TARGET = 2.0
RATIO_LEVELS = (8, 32)
P95_TARGET_MS = 300.0
P95_LEVEL = 8
NO_ERRORS_LEVEL = 64
MEMORY_TARGET_MIB = 2.5 * 1000 ** 3 / 1024 ** 2  # 2.5 GB
MEMBER_PATHS = ("web", "wechat")
# The soak: gateway memory is flat when the last tenth of the run holds no more than
# this much over the second tenth (after warm-up), in MiB or as a share.
FLAT_MIB = 16.0
FLAT_SHARE = 0.05


def run_figures(run: LevelRun) -> Dict[str, Any]:
    latencies = [s.latency_ms for s in run.samples if s.latency_ms is not None]
    outcomes = Counter(s.outcome for s in run.samples)
    errors = [s for s in run.samples if s.outcome != OK]

    def pct(q: float) -> Optional[float]:
        return round(float(numpy.percentile(latencies, q)), 1) if latencies else None

    return {
        "target": run.target, "concurrency": run.concurrency, "messages": len(run.samples),
        "elapsed_s": round(run.elapsed_s, 2),
        "msg_per_s": round(len(run.samples) / run.elapsed_s, 2) if run.elapsed_s else 0.0,
        "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
        "errors": len(errors) + len(run.open_errors),
        "outcomes": {k: outcomes.get(k, 0) for k in OUTCOMES},
        "open_errors": len(run.open_errors),
        "kinds": dict(Counter(s.kind for s in run.samples)),
        # Where the time goes by kind of message (bookings call the backends twice).
        "p50_ms_by_kind": {kind: round(float(numpy.percentile(values, 50)), 1)
                           for kind, values in _by_kind(run).items()},
        "error_examples": [{"outcome": s.outcome, "kind": s.kind, "text": s.text,
                            "reply": s.reply, "detail": s.detail} for s in errors[:5]]
                          + [{"outcome": "open", "detail": e} for e in run.open_errors[:3]],
    }


def _by_kind(run: LevelRun) -> Dict[str, List[float]]:
    found: Dict[str, List[float]] = {}
    for sample in run.samples:
        if sample.latency_ms is not None:
            found.setdefault(sample.kind, []).append(sample.latency_ms)
    return found


def spread(values: Sequence[Optional[float]]) -> Optional[Dict[str, float]]:
    present = [v for v in values if v is not None]
    if not present:
        return None
    return {"median": round(statistics.median(present), 2), "min": round(min(present), 2),
            "max": round(max(present), 2)}


def summarize(runs: List[Dict[str, Any]]) -> Dict[str, Dict[str, Dict[str, Any]]]:
    """target -> concurrency -> figures over the rounds."""
    summary: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for run in runs:
        level = summary.setdefault(run["target"], {}).setdefault(str(run["concurrency"]),
                                                                  {"rounds": []})
        level["rounds"].append(run)
    stock = summary.get(STOCK, {})
    for target, levels in summary.items():
        for concurrency, level in levels.items():
            rounds = level.pop("rounds")
            level.update({key: spread([r[key] for r in rounds])
                          for key in ("msg_per_s", "p50_ms", "p95_ms", "p99_ms")})
            level["errors"] = sum(r["errors"] for r in rounds)
            level["messages"] = sum(r["messages"] for r in rounds)
            level["rounds"] = len(rounds)
            if target != STOCK and concurrency in stock:
                # Per round: each product run against the stock run of the same round.
                stock_rounds = {r["round"]: r["msg_per_s"] for r in runs
                                if r["target"] == STOCK and str(r["concurrency"]) == concurrency}
                level["ratio_to_stock"] = spread([
                    r["msg_per_s"] / stock_rounds[r["round"]] for r in rounds
                    if stock_rounds.get(r["round"])])
    return summary


def check_targets(summary: Dict[str, Dict[str, Dict[str, Any]]], memory: Dict[str, Any],
                  soak: Optional[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Each of the issue's targets: what was measured and whether it is met (None: not
    measured in this run)."""
    checks: List[Dict[str, Any]] = []

    def level(target: str, concurrency: int) -> Optional[Dict[str, Any]]:
        return summary.get(target, {}).get(str(concurrency))

    for target in MEMBER_PATHS:
        if target not in summary:
            continue
        for concurrency in RATIO_LEVELS:
            figures = level(target, concurrency)
            ratio = (figures or {}).get("ratio_to_stock")
            checks.append({"target": f"{LABELS[target]}: msg/s >= {RATIO_TARGET:g}x stock at "
                                     f"{concurrency} concurrent",
                           "measured": None if ratio is None else f"{ratio['median']:.2f}x "
                           f"({ratio['min']:.2f}-{ratio['max']:.2f})",
                           "met": None if ratio is None else ratio["median"] >= RATIO_TARGET})
        figures = level(target, P95_LEVEL)
        p95 = (figures or {}).get("p95_ms")
        checks.append({"target": f"{LABELS[target]}: p95 < {P95_TARGET_MS:g} ms at {P95_LEVEL} "
                                 "concurrent",
                       "measured": None if p95 is None else f"{p95['median']:.0f} ms "
                       f"({p95['min']:.0f}-{p95['max']:.0f})",
                       "met": None if p95 is None else p95["median"] < P95_TARGET_MS})
        figures = level(target, NO_ERRORS_LEVEL)
        checks.append({"target": f"{LABELS[target]}: no errors at {NO_ERRORS_LEVEL} concurrent",
                       "measured": None if figures is None else
                       f"{figures['errors']} errors in {figures['messages']} messages",
                       "met": None if figures is None else figures["errors"] == 0})
    total = memory.get("group_peak_mib", {}).get("product")
    checks.append({"target": "all product processes together < 2.5 GB (peak)",
                   "measured": None if total is None else f"{total:,.0f} MiB",
                   "met": None if total is None else total < MEMORY_TARGET_MIB})
    checks.append({"target": "gateway memory flat over the soak",
                   "measured": None if not soak else soak["verdict"],
                   "met": None if not soak else soak["flat"]})
    return checks


def soak_figures(series: List[Any], name: str = "gateway") -> Dict[str, Any]:
    """Gateway RSS over a soak: the second tenth (after warm-up) against the last."""
    points = [(messages, mib[name]) for _, messages, mib in series if name in mib]
    if len(points) < 10:
        return {"flat": None, "verdict": "too few samples", "points": points}
    tenth = len(points) // 10
    early = statistics.median(m for _, m in points[tenth:2 * tenth])
    late = statistics.median(m for _, m in points[-tenth:])
    growth = late - early
    flat = growth <= max(FLAT_MIB, FLAT_SHARE * early)
    xs = numpy.array([p[0] for p in points[tenth:]], dtype=float)
    ys = numpy.array([p[1] for p in points[tenth:]], dtype=float)
    slope = float(numpy.polyfit(xs, ys, 1)[0]) * 1000 if len(set(xs)) > 1 else 0.0
    return {
        "flat": flat,
        "start_mib": round(points[0][1], 1), "after_warmup_mib": round(early, 1),
        "end_mib": round(late, 1), "peak_mib": round(max(m for _, m in points), 1),
        "growth_mib": round(growth, 1), "slope_mib_per_1000": round(slope, 2),
        "verdict": (f"{early:.0f} -> {late:.0f} MiB ({growth:+.0f} MiB, "
                    f"{slope:+.2f} MiB per 1,000 messages): {'flat' if flat else 'growing'}"),
        "points": [(m, round(v, 1)) for m, v in points],
    }


# ------------------------------------------------------------------ output


def _range(figures: Optional[Dict[str, float]], digits: int = 1) -> str:
    if not figures:
        return "-"
    if figures["min"] == figures["max"]:
        return f"{figures['median']:.{digits}f}"
    return f"{figures['median']:.{digits}f} ({figures['min']:.{digits}f}-{figures['max']:.{digits}f})"


def table(summary: Dict[str, Dict[str, Dict[str, Any]]], targets: Sequence[str],
          levels: Sequence[int]) -> str:
    """Markdown: one row per level and target, median (min-max) over the rounds."""
    lines = ["| concurrent | target | msg/s | p50 ms | p95 ms | p99 ms | errors | x stock |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for concurrency in levels:
        for target in targets:
            figures = summary.get(target, {}).get(str(concurrency))
            if figures is None:
                continue
            ratio = figures.get("ratio_to_stock")
            lines.append(
                f"| {concurrency} | {LABELS.get(target, target)} | {_range(figures['msg_per_s'])} "
                f"| {_range(figures['p50_ms'], 0)} | {_range(figures['p95_ms'], 0)} "
                f"| {_range(figures['p99_ms'], 0)} | {figures['errors']}/{figures['messages']} "
                f"| {_range(ratio, 2) if ratio else ''} |")
    return "\n".join(lines)


def cores(before: Dict[str, float], after: Dict[str, float],
          elapsed_s: float) -> Dict[str, float]:
    """Cores each process kept busy over a run (CPU seconds / wall seconds); the
    processes that used next to nothing are left out."""
    if not elapsed_s:
        return {}
    used = {name: (after[name] - before[name]) / elapsed_s
            for name in after if name in before}
    return {name: round(value, 2) for name, value in used.items() if value >= 0.01}


def cores_table(runs: Sequence[Dict[str, Any]], targets: Sequence[str],
                levels: Sequence[int]) -> str:
    """Markdown: per level and target, the cores each process kept busy (median over
    the rounds), busiest first."""
    lines = ["| concurrent | target | cores busy, by process |", "| --- | --- | --- |"]
    for concurrency in levels:
        for target in targets:
            measured = [r.get("cores") or {} for r in runs
                        if r["target"] == target and r["concurrency"] == concurrency]
            if not any(measured):
                continue
            names = {name for m in measured for name in m}
            median = {name: float(numpy.median([m.get(name, 0.0) for m in measured]))
                      for name in names}
            busiest = sorted(median.items(), key=lambda item: -item[1])
            shown = ", ".join(f"{name} {value:.2f}" for name, value in busiest)
            lines.append(f"| {concurrency} | {LABELS.get(target, target)} "
                         f"| {shown} (all {sum(median.values()):.2f}) |")
    return "\n".join(lines)


def memory_table(memory: Dict[str, Any]) -> str:
    lines = ["| process | group | peak MiB | at the end MiB |", "| --- | --- | --- | --- |"]
    for name, figures in sorted(memory.get("processes", {}).items(),
                                key=lambda item: (item[1]["group"], -item[1]["peak_mib"])):
        lines.append(f"| {name} | {figures['group']} | {figures['peak_mib']:,.0f} "
                     f"| {figures['last_mib']:,.0f} |")
    for group, peak in sorted(memory.get("group_peak_mib", {}).items()):
        lines.append(f"| **all {group} processes together** | {group} | {peak:,.0f} | |")
    return "\n".join(lines)


def checks_text(checks: List[Dict[str, Any]]) -> str:
    marks = {True: "met", False: "MISSED", None: "not measured"}
    return "\n".join(f"- {marks[c['met']]}: {c['target']}"
                     + (f" — {c['measured']}" if c["measured"] else "") for c in checks)


def _pyplot() -> Any:
    """matplotlib's pyplot without a display. The matplotlib Rasa pins (3.5) calls
    pyparsing 3's old names while it imports: deprecation warnings that are not ours."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    return plt


def chart(summary: Dict[str, Dict[str, Dict[str, Any]]], targets: Sequence[str],
          levels: Sequence[int], path: Path, title: str) -> None:
    """msg/s and p95 against concurrency, one line per target, min-max as error bars."""
    plt = _pyplot()
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for target in targets:
        points = [(c, summary[target][str(c)]) for c in levels
                  if str(c) in summary.get(target, {})]
        if not points:
            continue
        xs = [c for c, _ in points]
        for axis, key in ((left, "msg_per_s"), (right, "p95_ms")):
            values = [f[key] for _, f in points]
            if any(v is None for v in values):
                continue
            medians = [v["median"] for v in values]
            errors = [[m - v["min"] for m, v in zip(medians, values)],
                      [v["max"] - m for m, v in zip(medians, values)]]
            axis.errorbar(xs, medians, yerr=errors, marker="o", capsize=3,
                          label=LABELS.get(target, target),
                          linestyle="--" if target == STOCK else "-")
    left.set(title="throughput", xlabel="concurrent members", ylabel="messages per second")
    left.set_ylim(bottom=0)
    right.set(title="p95 latency (send to last reply)", xlabel="concurrent members",
              ylabel="ms", yscale="log")
    right.axhline(P95_TARGET_MS, color="grey", linewidth=0.8, linestyle=":",
                  label=f"target at {P95_LEVEL}: {P95_TARGET_MS:g} ms")
    for axis in (left, right):
        axis.set_xscale("log", base=2)
        axis.set_xticks(list(levels), [str(c) for c in levels])
        axis.grid(alpha=0.3)
        # Plain numbers on the log axes (matplotlib's default labels are mathtext).
        for ticks in (axis.xaxis, axis.yaxis):
            ticks.set_minor_formatter(NullFormatter())
    right.yaxis.set_major_formatter(ScalarFormatter())
    left.legend(fontsize=8)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def soak_chart(soak: Dict[str, Any], path: Path, title: str) -> None:
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(7, 3.6))
    points = soak.get("points") or []
    axis.plot([m for m, _ in points], [v for _, v in points], linewidth=1)
    axis.set(title=title, xlabel="messages answered", ylabel="gateway RSS, MiB")
    axis.set_ylim(bottom=0)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
