"""Seeding the members the load benchmark uses (bot/backends/seed.py, `seed --load-members`)."""
from __future__ import annotations

import os
import subprocess
from datetime import datetime
from pathlib import Path

from bot.backends import rules
from bot.backends.db import Database, migrate
from bot.backends.members import find_by_channel
from bot.backends.seed import load_member, seed_load_members
from bot.catalog import load_catalog
from bot.clock import SHANGHAI, default_calendar
from bot.processes import ROOT, VENV_BIN

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)


def fresh_database(tmp_path: Path) -> Database:
    db = Database.from_url(f"sqlite:///{tmp_path / 'backends.sqlite3'}")
    migrate(db)
    return db


def test_load_members_are_ready_to_book_on_both_channels(tmp_path: Path) -> None:
    db = fresh_database(tmp_path)
    try:
        assert seed_load_members(db, NOW, default_calendar(), load_catalog(), 5) == 5
        with db.reading() as session:
            for index in range(1, 6):
                web = find_by_channel(session, "web", f"load-{index:05d}")
                wechat = find_by_channel(session, "wechat", f"oLOAD_{index:05d}")
                assert web is not None and wechat is not None and web.id == wechat.id
                assert web.policy_number == load_member(index).policy_number
                terms = rules.PolicyTerms(web.policy_start, web.policy_end,
                                          web.waiting_period_end)
                assert rules.policy_active_on(terms, NOW.date())
                assert not rules.in_waiting_period(terms, NOW.date())
                assert web.no_show_count == 0
    finally:
        db.dispose()


def test_seeding_load_members_again_adds_only_the_missing_ones(tmp_path: Path) -> None:
    db = fresh_database(tmp_path)
    try:
        calendar, catalog = default_calendar(), load_catalog()
        assert seed_load_members(db, NOW, calendar, catalog, 3) == 3
        assert seed_load_members(db, NOW, calendar, catalog, 3) == 0
        assert seed_load_members(db, NOW, calendar, catalog, 7) == 4
    finally:
        db.dispose()


def test_load_members_numbers_are_unique() -> None:
    members = [load_member(index) for index in (1, 2, 99999)]
    for field in ("web_id", "wechat_openid", "id_number", "policy_number", "direct_pay_card"):
        assert len({getattr(m, field) for m in members}) == 3, field
    assert all(len(m.policy_number) == 14 and len(m.direct_pay_card) == 16 for m in members)


def test_the_seed_command_adds_load_members(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'command.sqlite3'}"
    subprocess.run([str(VENV_BIN / "python"), "-m", "bot.backends", "seed", "--load-members", "4"],
                   cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "HM_BACKENDS_DB": url, "HM_NOW": NOW.isoformat()})
    db = Database.from_url(url)
    try:
        with db.reading() as session:
            assert find_by_channel(session, "web", "load-00004") is not None
            assert find_by_channel(session, "web", "load-00005") is None
            assert find_by_channel(session, "web", "demo-ready") is not None
    finally:
        db.dispose()
