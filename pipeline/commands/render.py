"""`wxpub render POST`: print the exact HTML body that would be sent to WeChat.

Local images keep their paths relative to the post folder (the publisher replaces them with the URLs
WeChat's upload returns); everything else is byte for byte what the draft's `content` carries.
Findings go to standard error; exit 1 when any is an error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import report
from ..errors import PostError, UsageError
from ..findings import Finding, Severity
from ..i18n import _
from ..policy import Policy
from ..post import Post, load_post
from ..render import render_post
from ._common import add_root, root_and_policy


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "render",
        help=_("print the HTML body that would be sent to WeChat"),
        description=_(
            "Render a post's body to the HTML WeChat receives (theme inlined, sanitised, links as references). "
            "Local images keep their relative paths; at publish time they become the URLs WeChat assigns."
        ),
    )
    p.add_argument("post", metavar="POST", help=_("a post folder or its index.md"))
    p.add_argument("--output", "-o", metavar="FILE", help=_("write the HTML to FILE instead of standard output"))
    add_root(p)
    p.set_defaults(func=run)


def load_one(arg: str, root: Path, policy: Policy) -> tuple[Post, list[Finding]]:
    """The post named on the command line (a folder or its index.md)."""
    path = Path(arg)
    folder = path.parent if path.name == "index.md" or path.is_file() else path
    if not (folder / "index.md").is_file():
        raise UsageError(
            _("{path}: not a post (no index.md)", path=arg), hint=_("name a post folder such as posts/2026/12-05-slug")
        )
    post, findings = load_post(folder.resolve(), root, policy)
    if not post.text:
        detail = "; ".join(f.message for f in findings) or _("cannot read it")
        raise PostError(f"{post.path}: {detail}")
    return post, findings


def run(args: argparse.Namespace) -> int:
    root, policy = root_and_policy(args)
    post, findings = load_one(args.post, root, policy)
    rendered = render_post(post, root, policy)
    findings = sorted(findings + rendered.findings)
    if args.output:
        Path(args.output).write_text(rendered.html + "\n", encoding="utf-8")
    else:
        print(rendered.html)
    if findings:
        print(report.to_text(findings, 1), file=sys.stderr)
    return 1 if any(f.severity is Severity.ERROR for f in findings) else 0
