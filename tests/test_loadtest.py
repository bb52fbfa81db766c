"""The load benchmark (bot/loadtest): its scripts, and a few messages through a real
gateway (web chat and the WeChat simulator) and Rasa's REST channel, run as
`python -m bot.loadtest --gateway-url ...` runs against a deployment."""
from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest

from bot.backends import schedule
from bot.catalog import load_catalog
from bot.loadtest import mix
from bot.loadtest.__main__ import main
from bot.loadtest.members import OUTCOMES, handed_off
from bot.loadtest.wechat import LOCAL_ACCOUNT, gateway_env
from bot.processes import ROOT, VENV_BIN, Server, free_port
from tests.conftest import Backends, GatewayProcess, start_gateway

LOAD_MEMBERS = 40


def test_booking_clinics_are_departments_their_hospitals_run() -> None:
    catalog = load_catalog()
    for hospital_alias, department_alias in mix.BOOKING_CLINICS:
        hospital = catalog.hospital_by_alias(hospital_alias)
        department = catalog.department_by_alias(department_alias)
        assert hospital is not None and department is not None, (hospital_alias, department_alias)
        assert department.id in schedule.offered_departments(hospital, catalog)
        weekdays = {f"{day}{half}" for day in range(1, 6) for half in ("am", "pm")}
        assert weekdays <= set(schedule.department_pattern(department.id))


def test_the_mix_keeps_its_shares_and_is_the_same_for_a_seed() -> None:
    drawn = [s for s, _ in zip(mix.product_mix(seed=3), range(4000))]
    kinds = Counter(s.kind for s in drawn)
    total = sum(mix.PRODUCT_SHARES.values())
    for kind, share in mix.PRODUCT_SHARES.items():
        assert abs(kinds[kind] / 4000 - share / total) < 0.02, kind
    assert drawn[:50] == [s for s, _ in zip(mix.product_mix(seed=3), range(50))]


def test_bookings_spread_over_clinics_and_days() -> None:
    first = {mix.booking(n).steps[0].text for n in range(len(mix.BOOKING_CLINICS) * 4)}
    assert len(first) == len(mix.BOOKING_CLINICS) * 4


def test_a_members_own_bookings_fall_on_different_half_days() -> None:
    for member in range(1, 50):
        days = [mix.booking(7, member, earlier).steps[0].text for earlier in range(4)]
        halves = [max((d for d in mix.BOOKING_DAYS if d in text), key=len) for text in days]
        assert len(set(halves)) == 4, halves


def test_a_handoff_step_is_answered_by_a_handoff_only() -> None:
    step = mix.Step("找人工", handoff=True)
    assert not step.answered(["好的"], handed_off=False)
    assert step.answered(["已为您转接私人健康管家"], handed_off(["已为您转接私人健康管家"]))
    assert mix.Step("直付是啥意思", ("直付",)).answered(["直付医疗服务：…"], False)
    assert not mix.Step("直付是啥意思", ("直付",)).answered(["抱歉，我没太明白"], False)


# ------------------------------------------------------------------ a short real run


@pytest.fixture(scope="module")
def wechat_gateway(rasa_server: Server, conversation_backends: Backends
                   ) -> Iterator[tuple]:
    """A gateway with the WeChat channel pointed at the port the benchmark's simulated
    WeChat will serve on, and load members in the conversations' backends."""
    subprocess.run([str(VENV_BIN / "python"), "-m", "bot.backends", "seed", "--load-members",
                    str(LOAD_MEMBERS)], cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "HM_BACKENDS_DB": conversation_backends.db_url,
                        "HM_NOW": "2026-11-24T10:00:00+08:00"})
    port = free_port()
    env = {**gateway_env(LOCAL_ACCOUNT, f"http://127.0.0.1:{port}"),
           "HM_WECHAT_MAX_SKEW": "86400", "HM_CHAT_MESSAGE_RATE": "off",
           "HM_WECHAT_MEMBER_RATE": "off"}
    gateway = start_gateway("gateway-loadtest", rasa_server.url, conversation_backends, env=env)
    yield gateway, port
    gateway.server.stop()


@pytest.mark.slow
def test_a_short_run_reports_every_figure(wechat_gateway: tuple, rasa_server: Server,
                                          tmp_path: Path, monkeypatch, capsys) -> None:
    gateway, port = wechat_gateway
    gateway: GatewayProcess
    for key, name in (("token", "HM_WECHAT_TOKEN"), ("app_id", "HM_WECHAT_APPID"),
                      ("app_secret", "HM_WECHAT_APPSECRET"),
                      ("encoding_aes_key", "HM_WECHAT_AES_KEY")):
        monkeypatch.setenv(name, LOCAL_ACCOUNT[key])
    assert main(["--gateway-url", gateway.url, "--rasa-url", rasa_server.url,
                 "--wechat-port", str(port), "--targets", "rest,web,wechat",
                 "--levels", "1,2", "--messages", "5", "--rounds", "1",
                 "--members", str(LOAD_MEMBERS), "--out", str(tmp_path)]) == 0

    report = json.loads(next(tmp_path.glob("loadtest-*.json")).read_text())
    assert next(tmp_path.glob("loadtest-*.png")).stat().st_size > 0
    assert [(r["target"], r["concurrency"]) for r in report["runs"]] == [
        ("rest", 1), ("web", 1), ("wechat", 1), ("rest", 2), ("web", 2), ("wechat", 2)]
    for run in report["runs"]:
        assert 1 <= run["messages"] <= 5
        assert set(run["outcomes"]) == set(OUTCOMES)
        assert sum(run["outcomes"].values()) == run["messages"]
        # The transport is sound; a small test model may still misread a message.
        assert run["outcomes"]["http_error"] == run["outcomes"]["timeout"] == 0, run
        assert run["msg_per_s"] > 0 and run["p50_ms"] <= run["p95_ms"] <= run["p99_ms"]
    for target in ("rest", "web", "wechat"):
        assert set(report["summary"][target]) == {"1", "2"}
        assert report["summary"][target]["2"]["msg_per_s"]["median"] > 0
    assert report["memory"]["group_peak_mib"]["product"] > 0
    # Where the cores went: the watched processes' CPU over each run.
    assert any(run["cores"] for run in report["runs"])
    assert {c["met"] for c in report["targets"]} <= {True, False, None}
    out = capsys.readouterr().out
    assert "| concurrent | target | msg/s |" in out and "product, WeChat" in out
    assert "| concurrent | target | cores busy, by process |" in out


def test_cores_are_cpu_seconds_over_wall_seconds_of_the_busy_processes() -> None:
    from bot.loadtest import report

    busy = report.cores({"rasa": 10.0, "gateway": 2.0, "idle": 1.0},
                        {"rasa": 19.0, "gateway": 5.0, "idle": 1.0, "new": 3.0}, 10.0)
    assert busy == {"rasa": 0.9, "gateway": 0.3}  # a process seen only after: left out
    runs = [{"target": "web", "concurrency": 8, "cores": busy},
            {"target": "web", "concurrency": 8, "cores": {"rasa": 1.1, "gateway": 0.3}}]
    table = report.cores_table(runs, ["web"], [8])
    assert "| 8 | product, web chat | rasa 1.00, gateway 0.30 (all 1.30) |" in table


def test_the_production_benchmark_gives_the_gateways_the_simulated_wechat_account() -> None:
    """scripts/loadtest-production.sh evaluates these lines before the profile starts."""
    import shlex
    import subprocess
    import sys

    from bot.loadtest.wechat import LOCAL_ACCOUNT, gateway_env

    out = subprocess.run([sys.executable, "-m", "bot.loadtest.wechat", "http://127.0.0.1:8290"],
                         capture_output=True, text=True, check=True).stdout
    exported = dict(shlex.split(line)[1].split("=", 1) for line in out.splitlines())
    assert exported == gateway_env(LOCAL_ACCOUNT, "http://127.0.0.1:8290")
