"""Command line of conversation review, on the gateway database (HM_GATEWAY_DB):

    python -m bot.review inbox [--limit N] [--all] [--intent X] [--below T] [--channel C]
    python -m bot.review clusters [--threshold T] [--similarity S] [--min-size N]
    python -m bot.review export [--dry-run]
    python -m bot.review gate [--dry-run] [--config C] [--epochs N] [--keep-models]
    python -m bot.review purge [--days N] [--dry-run] [--every 24h]
    python -m bot.review story <conversation id> [--rasa] [--dir tests/stories]
    python -m bot.review faq [--since 2026-11-01] [--min-size N]

Texts are printed masked (bot.privacy). docs/review.md describes the rest."""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from bot import runtime
from bot.review.filters import PERIODS, FilterError, InboxFilter

RETRY_SECONDS = 60  # a failed scheduled purge is tried again this soon


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.review",
                                     description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    inbox = commands.add_parser("inbox", help="待审核消息，置信度最低的在前")
    inbox.add_argument("--limit", type=int, default=30)
    which = inbox.add_mutually_exclusive_group()
    which.add_argument("--unreviewed", dest="unreviewed", action="store_true", default=True,
                       help="只看未审核的（默认）")
    which.add_argument("--all", dest="unreviewed", action="store_false", help="包括已审核的")
    inbox.add_argument("--intent")
    inbox.add_argument("--below", type=float, help="置信度低于此值")
    inbox.add_argument("--channel")
    inbox.add_argument("--period", choices=tuple(PERIODS))

    clusters = commands.add_parser("clusters", help="未识别消息的聚类")
    clusters.add_argument("--threshold", type=float,
                          help="置信度低于此值算未识别（默认：回退阈值）")
    clusters.add_argument("--similarity", type=float, help="聚成一类的最低相似度")
    clusters.add_argument("--min-size", type=int, default=2, help="至少几种说法才列出")
    clusters.add_argument("--period", choices=tuple(PERIODS))

    export = commands.add_parser("export", help="把采纳和改标的样例写入 data/nlu/reviewed.yml")
    export.add_argument("--dry-run", action="store_true", help="只报告，不写文件")
    export.add_argument("--data-dir", type=Path, help="训练数据目录（默认 data/）")

    gate = commands.add_parser("gate", help="导出、校验、训练前后两个模型并评估，没有变差才保留")
    gate.add_argument("--dry-run", action="store_true",
                      help="只在临时副本里评估，不改训练数据和数据库")
    gate.add_argument("--config", type=Path, help="训练配置（默认 config.yml）")
    gate.add_argument("--epochs", type=int, help="DIET 的训练轮数（默认按配置）")
    gate.add_argument("--keep-models", action="store_true",
                      help="把两个模型和评测报告留在 var/review/gate/<导出编号>/")
    gate.add_argument("--data-dir", type=Path, help="训练数据目录（默认 data/）")

    purge = commands.add_parser("purge", help="删除超过保留期限的会话（保留脱敏的审核标注）")
    purge.add_argument("--days", type=int, help="保留天数（默认 HM_RETENTION_DAYS 或 365）")
    purge.add_argument("--dry-run", action="store_true", help="只统计，不删除")
    purge.add_argument("--every", help="常驻：每隔这么久执行一次（如 24h）")

    story = commands.add_parser("story", help="把审核过的会话存为测试故事")
    story.add_argument("conversation_id", type=int)
    story.add_argument("--rasa", action="store_true",
                       help="从 Rasa 的对话记录取动作名（HM_RASA_URL、HM_RASA_TOKEN）")
    story.add_argument("--dir", type=Path, help="故事目录（默认 tests/stories）")

    faq = commands.add_parser("faq", help="转人工会话中管家的回答，按相似问题分组")
    faq.add_argument("--since", help="只看此日期以来的消息（YYYY-MM-DD）")
    faq.add_argument("--min-size", type=int, default=1, help="至少几种问法才列出")
    return parser


def _confidence(value: Optional[float]) -> str:
    return "  -  " if value is None else f"{value:.2f}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    # Private files and masked logs for every command (docs/security.md).
    runtime.prepare(fmt="%(asctime)s %(name)s %(message)s")

    from bot.clock import Clock
    from bot.db import Database
    from bot.gateway.settings import db_url_from_env
    from bot.gateway.store import migrate

    db = Database.from_url(db_url_from_env())
    if args.command == "purge" and args.every:
        try:  # a long-running process under supervisord: it migrates (and retries) itself
            return _purge(db, args)
        finally:
            db.dispose()
    migrate(db)
    now = Clock.from_env().now()
    try:
        if args.command == "inbox":
            return _inbox(db, now, args)
        if args.command == "clusters":
            return _clusters(db, now, args)
        if args.command == "gate":
            return _gate(db, now, args)
        if args.command == "purge":
            return _purge(db, args)
        if args.command == "story":
            return _story(db, now, args)
        if args.command == "faq":
            return _faq(db, args)
        return _export(db, now, args)
    except FilterError as error:
        print(f"bot.review: {error}", file=sys.stderr)
        return 2
    finally:
        db.dispose()


def _inbox(db, now, args) -> int:
    from bot.review.inbox import inbox

    filters = InboxFilter(unreviewed=args.unreviewed, intent=args.intent, below=args.below,
                          channel=args.channel, period=args.period)
    with db.reading() as session:
        page = inbox(session, now, filters, per_page=max(1, args.limit))
    print(f"共 {page.total} 条不同的消息（显示 {len(page.items)} 条）")
    for item in page.items:
        ranking = "，".join(f"{r['name']} {r['confidence']:.2f}" for r in item.intent_ranking[:3])
        decided = f" [已审核：{item.decision.action} {item.decision.intent or ''}]" \
            if item.decision else ""
        print(f"{_confidence(item.confidence)} ×{item.count:<3} {item.intent:<24} {item.text}"
              f"  （会话 {item.conversation_id}，消息 {item.message_id}"
              f"{'；候选 ' + ranking if ranking else ''}）{decided}")
    return 0


def _clusters(db, now, args) -> int:
    from bot.review.clusters import DEFAULT_THRESHOLD, cluster
    from bot.review.inbox import unrecognised

    with db.reading() as session:
        items = unrecognised(session, now, args.threshold,
                             InboxFilter(unreviewed=False, period=args.period))
    found = cluster([i.text for i in items], [i.count for i in items],
                    threshold=args.similarity or DEFAULT_THRESHOLD)
    shown = [c for c in found if c.size >= args.min_size]
    print(f"{len(items)} 条不同的未识别消息，{len(shown)} 类（至少 {args.min_size} 种说法）")
    for c in shown:
        print(f"\n{c.count} 条消息，{c.size} 种说法：{c.representative}")
        for example in c.examples:
            print(f"    {example}")
    return 0


def _export(db, now, args) -> int:
    from bot.review.export import DATA_DIR, ExportError, export

    try:
        with db.writing() as session:
            report = export(session, now, None, data_dir=args.data_dir or DATA_DIR,
                            dry_run=args.dry_run)
    except ExportError as error:
        print(f"bot.review: {error}", file=sys.stderr)
        return 1
    print(report.as_text())
    return 0


def _gate(db, now, args) -> int:
    from bot.review.export import DATA_DIR
    from bot.review.gate import GateSettings, Project, run_gate

    project = Project(data_dir=args.data_dir or DATA_DIR,
                      **({"config": args.config} if args.config else {}))
    epochs = {"DIETClassifier": args.epochs} if args.epochs else None
    result = run_gate(db, now, GateSettings(project=project, epochs=epochs,
                                            keep_models=args.keep_models,
                                            dry_run=args.dry_run))
    return result.exit_code


def _purge(db, args) -> int:
    from bot.review.retention import RetentionError, RetentionSettings, parse_every

    logger = logging.getLogger("bot.review.retention")
    try:
        days = args.days or RetentionSettings.from_env().days
        every = parse_every(args.every) if args.every else None
    except RetentionError as error:
        print(f"bot.review: {error}", file=sys.stderr)
        return 2
    if every is None:
        report, trackers = _purge_once(db, days, args.dry_run)
        print(report.as_text())
        if trackers is not None:
            print(f"Rasa 会话记录（tracker store）：{'将删除' if args.dry_run else '已删除'} "
                  f"{trackers} 个")
        return 0
    from bot.gateway.store import migrate

    while True:  # the run command's scheduler: one process, one purge a period
        try:
            # The gateway migrates at start too: on a fresh database the two may race,
            # so a failure is retried soon rather than ending the process (which
            # supervisord would count towards a crash storm).
            migrate(db)
            report, trackers = _purge_once(db, days, args.dry_run)
            logger.info("retention %s days: %s", days,
                        {**report.as_json(), "rasa_conversations": trackers})
            pause = every
        except Exception:  # noqa: BLE001 - keep the schedule
            logger.exception("retention purge failed; retrying in a minute")
            pause = min(every, RETRY_SECONDS)
        time.sleep(pause)


def _purge_once(db, days: int, dry_run: bool):
    """The gateway's conversations, then Rasa's tracker store when it is a database
    (HM_RASA_TRACKER_DB, the production profile; None otherwise): the same rule."""
    import os

    from bot.clock import Clock
    from bot.review.retention import purge, purge_tracker_store

    now = Clock.from_env().now()
    with db.writing() as session:
        report = purge(session, now, days, dry_run)
    tracker_db = os.environ.get("HM_RASA_TRACKER_DB", "").strip()
    trackers = purge_tracker_store(tracker_db, now, days, dry_run) if tracker_db else None
    return report, trackers


def _story(db, now, args) -> int:
    from bot.review.stories import STORIES_DIR, StoryError, save_story

    tracker = None
    if args.rasa:
        tracker = _tracker(db, args.conversation_id)
        if tracker is None:
            return 1
    try:
        with db.reading() as session:
            path = save_story(session, args.conversation_id, now,
                              stories_dir=args.dir or STORIES_DIR, tracker=tracker)
    except StoryError as error:
        print(f"未保存：{error}", file=sys.stderr)
        return 1
    print(f"测试故事已保存：{path}")
    return 0


def _tracker(db, conversation_id: int):
    """Rasa's tracker of the conversation, or None (said why)."""
    import asyncio

    from bot.gateway.models import Conversation
    from bot.gateway.rasa import RasaClient, RasaUnavailable
    from bot.gateway.settings import Settings

    with db.reading() as session:
        found = session.get(Conversation, conversation_id)
        sender = found.rasa_sender if found is not None else None
    if sender is None:
        print(f"未保存：没有会话 #{conversation_id}。", file=sys.stderr)
        return None
    settings = Settings.from_env()

    async def fetch():
        client = RasaClient(settings.rasa_url, settings.rasa_timeout, settings.rasa_token)
        await client.start()
        try:
            return await client.tracker(sender)
        finally:
            await client.stop()
    try:
        return asyncio.run(fetch())
    except RasaUnavailable as error:
        print(f"未保存：取不到 Rasa 的对话记录（{error}）。", file=sys.stderr)
        return None


def _faq(db, args) -> int:
    from datetime import datetime

    from bot.clock import SHANGHAI
    from bot.review.stories import faq_candidates

    since = None
    if args.since:
        since = datetime.strptime(args.since, "%Y-%m-%d").replace(tzinfo=SHANGHAI)
    with db.reading() as session:
        found = faq_candidates(session, since, min_size=args.min_size)
    print(f"{len(found)} 组管家回答过的问题")
    for candidate in found:
        print(f"\n{candidate.count} 次，{candidate.conversations} 个会话：")
        for question in candidate.questions[:5]:
            print(f"  问：{question}")
        for answer in candidate.answers:
            print(f"  答：{answer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
