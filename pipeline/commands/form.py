"""`wxpub form POST`: the Annex 1 approval form (信息发布审批表) of a post, as Markdown or printable A4 HTML."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..approval import evaluate, judging_policy
from ..errors import UsageError
from ..forge import ReviewsFileForge
from ..form import render_form
from ..i18n import _
from ..post import load_post
from ..repo import post_folders
from ._common import add_now, add_root, parse_now, root_and_policy
from .approvals import add_forge_options, open_forge


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "form",
        help=_("render a post's approval form (Annex 1, 信息发布审批表)"),
        description=_(
            "Render the approval form of a post: its fields, compliance notes, exceptions and, with "
            "--pr or --reviews-file, every tier's reviewer, decision, time and commit."
        ),
    )
    p.add_argument("post", metavar="POST", help=_("the post folder or its index.md"))
    src = p.add_mutually_exclusive_group()
    src.add_argument("--pr", type=int, metavar="N", help=_("read the approvals of pull request N from the forge"))
    src.add_argument("--reviews-file", metavar="F", help=_("read the approvals from a reviews file (offline)"))
    add_forge_options(p)
    p.add_argument("--format", choices=("markdown", "html"), default="markdown", help=_("default: markdown"))
    p.add_argument("--output", "-o", metavar="FILE", help=_("write the form to FILE instead of standard output"))
    add_now(p)
    add_root(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root, policy = root_and_policy(args)
    now = parse_now(args.now, policy)
    folders = post_folders(root, [args.post])
    if len(folders) != 1:
        raise UsageError(
            _("{post}: expected one post folder, found {n}: name a single post", post=args.post, n=len(folders))
        )
    post, findings = load_post(folders[0], root, policy)
    if post.meta is None:
        problems = "; ".join(f"{f.path}:{f.line}: {f.message}" for f in findings[:3])
        raise UsageError(
            _("{path}: the post cannot be read: {problems}", path=post.path, problems=problems),
            hint=_("run wxpub check on it"),
        )
    verdict = pr = None
    number = args.pr
    if args.reviews_file or args.pr is not None:
        forge = open_forge(args, root, policy)
        if number is None:
            assert isinstance(forge, ReviewsFileForge)
            number = forge.pull_touching(post.path)
        pr = forge.pull(number)
        paths = forge.files(number)
        commits = forge.commits(number)
        # judged as the gate and the publisher judge it: by the policy at the base, not the working tree's
        judged_by, source, commit = judging_policy(root, pr, commits)
        verdict = evaluate(judged_by, [post], paths, pr, forge.reviews(number), commits, forge.is_member)
        verdict.policy_commit, verdict.policy_source = commit, source
    form = render_form(post, root, policy, verdict=verdict, pr=pr, now=now)
    text = form.html if args.format == "html" else form.markdown
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return 0
