"""`wxpub leadtime [PATH ...]`: only the timing rules (Art. 15, Art. 20, broadcast quota, hours, edits)."""

from __future__ import annotations

import argparse

from ..check import CheckContext
from ..i18n import _
from ..leadtime import check_timing
from ..post import load_post
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
        "leadtime",
        help=_("check timing: one-week lead time, working days before maintenance, broadcast quota"),
        description=_(
            "Check the timing rules on post folders (default: all of posts/). Submission time: the pull "
            "request's created_at ($GITHUB_EVENT_PATH or --pr N), else the commit that added the post, else now. "
            "Exit 1 when any error is found."
        ),
    )
    add_post_selection(p)
    p.add_argument("--pr", type=int, metavar="N", help=_("read the submission time of pull request N from the forge"))
    p.add_argument("--records-dir", metavar="DIR", help=_("read publication records from DIR instead of git"))
    add_report_options(p)
    add_now(p)
    add_root(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root, policy = root_and_policy(args)
    now = parse_now(args.now, policy)
    folders = selected_folders(root, args)
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
    emit_report(args, findings, len(posts), root, title="wxpub leadtime")
    return 1 if any(f.severity.value == "error" for f in findings) else 0
