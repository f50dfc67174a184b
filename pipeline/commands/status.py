"""`wxpub status POST`: where a post is in its life, from the checks, the forge and the records."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..check import CheckContext, check_folders
from ..errors import UsageError
from ..i18n import _
from ..post import POST_ID_RE
from ..repo import POSTS_DIR, post_folders
from ..schedule import base_version, default_base, life_of, life_text, merged_on, read_records
from ._common import add_format, add_now, add_root, parse_now, root_and_policy


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "status",
        help=_("where a post is: failing checks, waiting for a tier, scheduled, published, retracted"),
        description=_(
            "Show where a post is in its life: the checks' errors, the approval tier it waits for (with --pr N "
            "or --reviews-file F), whether it is merged and scheduled, published (URL and time) or retracted. "
            "Exit 1 when the post fails its checks."
        ),
    )
    p.add_argument(
        "post", metavar="POST", help=_("a post folder, its index.md, or its id such as 2026/12-05-card-offer")
    )
    p.add_argument(
        "--pr", type=int, metavar="N", help=_("the pull request that submits it (reads approvals from the forge)")
    )
    p.add_argument("--reviews-file", metavar="F", help=_("read the pull request and its reviews from a JSON file"))
    p.add_argument("--forge", choices=("github", "gitea"), help=_("the forge (default: forge.kind in the policy)"))
    p.add_argument("--base", metavar="REF", help=_("the branch posts are merged on (default: origin/main or main)"))
    p.add_argument("--records-dir", metavar="DIR", help=_("read publication records from DIR instead of git"))
    add_format(p, ("text", "json"))
    add_now(p)
    add_root(p)
    p.set_defaults(func=run)


def _locate(root: Path, value: str) -> tuple[str, Path | None]:
    """(post id, folder or None when it is not in the working tree)."""
    path = Path(value)
    if path.exists():
        folders = post_folders(root, [value])
        if len(folders) != 1:
            raise UsageError(
                _("{value}: names {count} posts; give one post folder or index.md", value=value, count=len(folders))
            )
        folder = folders[0]
        try:
            pid = folder.resolve().relative_to((root / POSTS_DIR).resolve()).as_posix()
        except ValueError:
            raise UsageError(_("{value}: not a post under {posts}", value=value, posts=root / POSTS_DIR)) from None
        return pid, folder
    pid = value.strip().strip("/").removeprefix(f"{POSTS_DIR}/").removesuffix("/index.md")
    if not POST_ID_RE.match(pid):
        raise UsageError(_("{value}: no such post folder, and not a post id like 2026/12-05-card-offer", value=value))
    folder = root / POSTS_DIR / pid
    return pid, folder if (folder / "index.md").is_file() else None


def _pr_number(args: argparse.Namespace) -> int | None:
    if args.pr:
        return int(args.pr)
    if args.reviews_file:  # a file holding one pull request names it
        try:
            doc = json.loads(Path(args.reviews_file).read_text(encoding="utf-8"))
            return int(doc["pull"]["number"])
        except (OSError, ValueError, KeyError, TypeError):
            raise UsageError(_("--reviews-file holds several pull requests (or none): add --pr N")) from None
    return None


def run(args: argparse.Namespace) -> int:
    root, policy = root_and_policy(args)
    now = parse_now(args.now, policy)
    pid, folder = _locate(root, args.post)
    records = read_records(root, directory=Path(args.records_dir) if args.records_dir else None)
    record = records.get(pid)
    base = default_base(root, args.base, strict=True)
    number = _pr_number(args)
    post, findings, verdict, merged, earlier = None, [], None, None, None
    if folder is not None:
        options: dict[str, object] = {"submission": "auto", "base": base}
        if args.records_dir:
            options["records_dir"] = args.records_dir
        forge = None
        if number is not None:
            from ..forge import ReviewsFileForge, client_from_env

            forge = (
                ReviewsFileForge(args.reviews_file, root=root)
                if args.reviews_file
                else client_from_env(args.forge or policy.forge.kind)
            )
            from ..leadtime import PullInfo

            pr = forge.pull(number)
            if pr.created_at is not None:
                options["pull"] = PullInfo(number=pr.number, created_at=pr.created_at, base_ref=pr.base_ref)
        ctx = CheckContext(root=root, policy=policy, now=now, options=options)
        result = check_folders([folder], ctx, jobs=1)
        post, findings = result.posts[0], result.findings
        rel = (folder / "index.md").relative_to(root).as_posix()
        merged = merged_on(root, base, rel)
        if merged is False:
            earlier = base_version(root, base, pid)
        if forge is not None and number is not None and not merged and record is None:
            from ..approval import check_pull

            verdict = check_pull(forge, policy, root, number)[0]
    elif record is None:
        raise UsageError(
            _(
                "{post}: no such post in {posts} and no publication record for {id}",
                post=args.post,
                posts=root / POSTS_DIR,
                id=pid,
            )
        )
    life = life_of(
        pid,
        policy=policy,
        now=now,
        post=post,
        findings=findings,
        record=record,
        merged=merged,
        base=base,
        verdict=verdict,
        base_version=earlier,
    )
    if args.format == "json":
        print(json.dumps(life.to_dict(policy.tz), ensure_ascii=False, indent=2))
    else:
        print(life_text(life, policy.tz))
    return 1 if life.stage == "failing-checks" else 0
