"""`wxpub leadtime [PATH ...]`: only the timing rules (Art. 15, Art. 20, broadcast quota, hours, edits)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import report
from ..check import CheckContext
from ..leadtime import check_timing
from ..post import load_post
from ..repo import changed_post_folders, post_folders
from ._common import add_format, add_now, add_root, parse_now, root_and_policy, use_colour


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "leadtime",
        help="check timing: one-week lead time, working days before maintenance, broadcast quota",
        description=(
            "Check the timing rules on post folders (default: all of posts/). Submission time: the pull "
            "request's created_at ($GITHUB_EVENT_PATH or --pr N), else the commit that added the post, else now. "
            "Exit 1 when any error is found."
        ),
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="post folders, index.md files or folders to search")
    p.add_argument("--changed-since", metavar="REF", help="check only the posts changed since this git ref")
    p.add_argument("--pr", type=int, metavar="N", help="read the submission time of pull request N from the forge")
    p.add_argument("--records-dir", metavar="DIR", help="read publication records from DIR instead of git")
    add_format(p, report.FORMATS)
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
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
    options: dict[str, object] = {"changed_since": args.changed_since, "submission": "auto"}
    if args.pr:
        options["pr"] = args.pr
    if args.records_dir:
        options["records_dir"] = args.records_dir
    ctx = CheckContext(root=root, policy=policy, now=now, options=options)
    posts, findings = [], []
    for folder in folders:
        post, loaded = load_post(folder, root, policy)
        posts.append(post)
        if not post.ok:  # say why it could not be timed
            findings += [f for f in loaded if f.severity.value == "error"]
    findings = sorted(findings + check_timing([p for p in posts if p.ok], ctx))
    out = report.render(
        args.format,
        findings,
        len(posts),
        colour=args.format == "text" and not args.output and use_colour(sys.stdout),
        root=root,
    )
    if args.output:
        Path(args.output).write_text(out + "\n", encoding="utf-8")
    elif out:
        print(out)
    if args.format == "github":
        report.append_step_summary(report.to_markdown(findings, len(posts), title="wxpub leadtime"))
        if not args.output:
            print(report.to_text(findings, len(posts)), file=sys.stderr)
    return 1 if any(f.severity.value == "error" for f in findings) else 0
