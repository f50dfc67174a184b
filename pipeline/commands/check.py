"""`wxpub check [PATH ...]`: compliance, schema, WeChat limits and timing over post folders."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import report
from ..check import CheckContext, check_folders
from ..i18n import _
from ._common import (
    add_now,
    add_post_selection,
    add_report_options,
    add_root,
    emit_report,
    parse_now,
    root_and_policy,
    selected_folders,
)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "check",
        help=_("check posts: compliance, schema, WeChat limits, lead time"),
        description=_("Check post folders (default: all of posts/). Exit 1 when any error is found."),
    )
    add_post_selection(p)
    add_report_options(p)
    p.add_argument("--sarif", metavar="FILE", help=_("also write a SARIF 2.1.0 report to FILE"))
    p.add_argument("--jobs", "-j", type=int, default=0, help=_("worker processes (default: all cores)"))
    add_now(p)
    add_root(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root, policy = root_and_policy(args)
    now = parse_now(args.now, policy)
    folders = selected_folders(root, args)
    ctx = CheckContext(
        root=root, policy=policy, now=now, options={"changed_since": args.changed_since, "submission": "auto"}
    )
    result = check_folders(folders, ctx, jobs=args.jobs or None)
    emit_report(args, result.findings, len(result.posts), root, title="wxpub check")
    if args.sarif:
        Path(args.sarif).write_text(report.to_sarif(result.findings, root) + "\n", encoding="utf-8")
    return result.exit_code
