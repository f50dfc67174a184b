"""`wxpub check [PATH ...]`: compliance, schema, WeChat limits and timing over post folders."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import report
from ..check import CheckContext, check_folders
from ..repo import changed_post_folders, post_folders
from ._common import add_format, add_now, add_root, parse_now, root_and_policy, use_colour


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "check",
        help="check posts: compliance, schema, WeChat limits, lead time",
        description="Check post folders (default: all of posts/). Exit 1 when any error is found.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="post folders, index.md files or folders to search")
    p.add_argument("--changed-since", metavar="REF", help="check only the posts changed since this git ref")
    add_format(p, report.FORMATS)
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
    p.add_argument("--sarif", metavar="FILE", help="also write a SARIF 2.1.0 report to FILE")
    p.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (default: all cores)")
    add_now(p)
    add_root(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root, policy = root_and_policy(args)
    now = parse_now(args.now, policy)
    if args.changed_since:
        folders = changed_post_folders(root, args.changed_since)
        if args.paths:
            wanted = set(post_folders(root, args.paths))
            folders = [f for f in folders if f in wanted]
    else:
        folders = post_folders(root, args.paths or None)
    ctx = CheckContext(
        root=root, policy=policy, now=now, options={"changed_since": args.changed_since, "submission": "auto"}
    )
    result = check_folders(folders, ctx, jobs=args.jobs or None)
    out = report.render(
        args.format,
        result.findings,
        len(result.posts),
        colour=args.format == "text" and not args.output and use_colour(),
        root=root,
    )
    if args.output:
        Path(args.output).write_text(out + "\n", encoding="utf-8")
    elif out:
        print(out)
    if args.sarif:
        Path(args.sarif).write_text(report.to_sarif(result.findings, root) + "\n", encoding="utf-8")
    if args.format == "github":
        report.append_step_summary(report.to_markdown(result.findings, len(result.posts)))
        if not args.output:
            print(report.to_text(result.findings, len(result.posts)), file=sys.stderr)
    return result.exit_code
