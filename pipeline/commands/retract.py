"""`wxpub retract POST --reason "…"`: delete a published article on WeChat and record who, when and why."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UsageError
from ..i18n import _
from ..ledger import actor
from ..repo import POSTS_DIR
from ..retraction import retract
from ._common import add_root, root_and_policy
from .publish import add_push, client_factory, decide_push, make_ledger


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "retract",
        help=_("delete a published article on WeChat and record the retraction"),
        description=_(
            "Delete the post's article on WeChat (freepublish/delete; a broadcast: message/mass/delete "
            "by its msg_id; irreversible) and append the retraction (who: $GITHUB_ACTOR or the git user; when; why) "
            "to its record. A deleted broadcast's card stays on followers' phones, its page shows as deleted. Exit 1 "
            "when WeChat cannot confirm the deletion on this account (the record then says so)."
        ),
    )
    p.add_argument("post", metavar="POST", help=_("the post: its id (2026/12-05-card-offer) or its folder"))
    p.add_argument("--reason", required=True, help=_("why the article is withdrawn (kept in the record)"))
    p.add_argument("--records-dir", metavar="DIR", help=_("records in this folder instead of the wxpub-records branch"))
    add_push(p)
    p.add_argument("--state-dir", metavar="DIR", help=_("token cache folder, outside the repository"))
    add_root(p)
    p.set_defaults(func=run)


def post_id_of(root: Path, value: str) -> str:
    """A post id from an id or a path to the post's folder or index.md."""
    path = Path(value)
    if path.name == "index.md":
        path = path.parent
    if path.exists():
        try:
            return path.resolve().relative_to((root / POSTS_DIR).resolve()).as_posix()
        except ValueError:
            raise UsageError(
                _("{value}: not a post folder under {folder}", value=value, folder=str(root / POSTS_DIR))
            ) from None
    cleaned = value.strip().strip("/").removeprefix(POSTS_DIR + "/")
    if not cleaned:
        raise UsageError(_("POST: name a post id such as 2026/12-05-card-offer"))
    return cleaned


def run(args: argparse.Namespace) -> int:
    root, _policy = root_and_policy(args)
    if not args.reason.strip():
        raise UsageError(_('--reason: say why the article is withdrawn, e.g. --reason "利率已调整"'))
    post_id = post_id_of(root, args.post)
    push = decide_push(root, args, command="retract")
    # no lease: a retraction touches only a published post, which no publisher sends again; the records
    # of both merge event by event
    ledger = make_ledger(root, args.records_dir, push=push, dry_run=False)
    record = retract(ledger, post_id, args.reason.strip(), client_factory(args.state_dir), who=actor())
    info = record.retraction or {}
    done = record.last("retract", "done")
    data = done.data if done is not None else {}
    if data.get("msg_id") and not data.get("article_id"):
        what = _("broadcast msg_id {msg_id} deleted on WeChat (message/mass/delete)", msg_id=data["msg_id"])
    else:
        what = _("article {article} deleted on WeChat", article=record.article_id)
    if data.get("already_deleted"):
        what = _(
            "article {article} was already deleted on this account ({evidence})",
            article=record.article_id,
            evidence=data.get("confirmed_by", ""),
        )
    print(_("retracted {post}: {what}", post=post_id, what=what))
    print(
        _(
            "  by {who} at {when}: {reason}",
            who=info.get("by", ""),
            when=info["at"].isoformat() if info.get("at") else "",
            reason=info.get("reason", ""),
        )
    )
    return 0
