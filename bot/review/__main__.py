"""Command line of conversation review, on the gateway database (HM_GATEWAY_DB):

    python -m bot.review inbox [--limit N] [--all] [--intent X] [--below T] [--channel C]
    python -m bot.review clusters [--threshold T] [--similarity S] [--min-size N]
    python -m bot.review export [--dry-run]

Texts are printed masked (bot.privacy). docs/review.md describes the rest."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from bot.review.filters import PERIODS, FilterError, InboxFilter


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
    return parser


def _confidence(value: Optional[float]) -> str:
    return "  -  " if value is None else f"{value:.2f}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)

    from bot.clock import Clock
    from bot.db import Database
    from bot.gateway.settings import db_url_from_env
    from bot.gateway.store import migrate

    db = Database.from_url(db_url_from_env())
    migrate(db)
    now = Clock.from_env().now()
    try:
        if args.command == "inbox":
            return _inbox(db, now, args)
        if args.command == "clusters":
            return _clusters(db, now, args)
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


if __name__ == "__main__":
    sys.exit(main())
