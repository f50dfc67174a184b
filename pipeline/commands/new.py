"""`wxpub new`: scaffold a post folder with valid front matter, from flags or prompts."""

from __future__ import annotations

import argparse
import sys

from ..errors import UsageError
from ..i18n import _
from ..policy import CATEGORIES
from ..scaffold import NewPost, create, default_publish_at
from ._common import add_now, add_root, parse_now, root_and_policy


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "new",
        help=_("create a new post folder with valid front matter"),
        description=_(
            "Create posts/<yyyy>/<mm-dd>-<slug>/ with index.md and a placeholder cover. "
            "Missing values are asked for on a terminal."
        ),
    )
    p.add_argument("--title")
    p.add_argument("--unit", help=_("the submitting department or branch, as named in the policy"))
    p.add_argument("--category", choices=CATEGORIES)
    p.add_argument("--slug", help=_("short English name for the folder, e.g. card-fee-waiver"))
    p.add_argument("--publish-at", metavar="ISO-8601", help=_("default: the first 10:00 after the lead time"))
    p.add_argument("--author", default="")
    p.add_argument("--digest", default="")
    p.add_argument("--products", default="", help=_("comma-separated, e.g. wealth,fund"))
    p.add_argument("--delivery", choices=("publish", "broadcast"), default="publish")
    add_now(p)
    add_root(p)
    p.set_defaults(func=run)


def _ask(label: str, value: str | None) -> str:
    if value:
        return value
    if not sys.stdin.isatty():
        raise UsageError(
            _("missing --{flag}", flag=label), hint=_("give it as a flag, or run on a terminal to be asked")
        )
    return input(f"{label}: ").strip()


def run(args: argparse.Namespace) -> int:
    root, policy = root_and_policy(args)
    now = parse_now(args.now, policy)
    category = _ask("category", args.category)
    publish_at = parse_now(args.publish_at, policy) if args.publish_at else default_publish_at(policy, now, category)
    spec = NewPost(
        title=_ask("title", args.title),
        unit=_ask("unit", args.unit),
        category=category,
        slug=_ask("slug", args.slug),
        publish_at=publish_at,
        author=args.author,
        digest=args.digest,
        products=[p.strip() for p in args.products.split(",") if p.strip()],
        delivery=args.delivery,
    )
    folder = create(root, spec, policy)
    where = folder.relative_to(root)
    print(_("created {path}; edit it, then run: wxpub check {folder}", path=where / "index.md", folder=where))
    return 0
