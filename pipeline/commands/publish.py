"""`wxpub publish`: send every due, approved post to WeChat exactly once and record it.

Progress goes to standard error, one line per step; the summary to standard output. Exit 0 when every
due post was published (or nothing was due), 1 when any post failed or was blocked (the others are still
published and recorded), 2 on usage or configuration errors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ConfigError, GitError, UsageError
from ..i18n import N_, _
from ..lease import Lease
from ..ledger import REMOTE, GitLedger, Ledger, actor, open_ledger
from ..policy import Policy
from ..post import Post
from ..publish import ApprovalNotVerified, Publisher, RunSummary, resolve
from ._common import add_now, add_root, parse_now, root_and_policy, use_colour


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "publish",
        help=_("publish due, approved posts to WeChat exactly once and record them"),
        description=_(
            "Publish every post merged on main whose publish_at has come and that has no successful "
            "record: re-verify its approval, render, upload images and cover, create the draft, publish or "
            "broadcast, and record each step on the wxpub-records branch. A rerun resumes where a run stopped."
        ),
    )
    p.add_argument(
        "--dry-run", action="store_true", help=_("show what would be sent; touch nothing remote, write nothing")
    )
    add_now(p)
    p.add_argument(
        "--reviews-file",
        metavar="FILE",
        help=_(
            "verify approvals against this JSON file (GitHub's shapes; see pipeline/forge/reviews_file.py) "
            "instead of the forge API"
        ),
    )
    p.add_argument(
        "--records-dir", metavar="DIR", help=_("keep records in this folder instead of the wxpub-records branch")
    )
    add_push(p)
    p.add_argument(
        "--lease-wait",
        type=float,
        default=0.0,
        metavar="S",
        help=_("seconds to wait for another publisher's lease to end before giving up (exit 0; default: 0)"),
    )
    p.add_argument(
        "--break-lease",
        action="store_true",
        help=_(
            "end another publisher's lease by hand (with --reason \"…\", kept in the lease's history); "
            "publishes nothing"
        ),
    )
    p.add_argument(
        "--state-dir", metavar="DIR", help=_("token cache folder, outside the repository (default: $WXPUB_STATE_DIR)")
    )
    p.add_argument(
        "--poll-timeout",
        type=float,
        default=600.0,
        metavar="S",
        help=_("seconds to wait for a publish job (default: 600)"),
    )
    p.add_argument(
        "--resolve",
        metavar="POST=sent|not-sent",
        help=_(
            "record what you found in the WeChat console about a send WeChat cannot confirm (the run said "
            '"no evidence"), with --reason; publishes nothing'
        ),
    )
    p.add_argument("--reason", default="", help=_("why (kept in the record): with --resolve or --break-lease"))
    p.add_argument(
        "--reconcile-wait",
        type=float,
        default=30.0,
        metavar="S",
        help=_("seconds to look for the article of a submit whose answer was lost (default: 30)"),
    )
    add_root(p)
    p.set_defaults(func=run)


def event_clock(now_arg: str | None, now: dt.datetime) -> Callable[[], dt.datetime]:
    """Event times: the clock, or, under --now, the pretended time plus the time elapsed since the start."""
    if not now_arg:
        return lambda: dt.datetime.now(dt.UTC)
    start = time.monotonic()
    return lambda: now + dt.timedelta(seconds=time.monotonic() - start)


CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITEA_ACTIONS")


def add_push(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--push",
        action="store_true",
        help=_(
            "fetch, then push the wxpub-records branch after every step (the default when the repository "
            "has an `origin` remote)"
        ),
    )
    p.add_argument(
        "--no-push",
        action="store_true",
        help=_("keep the records in this checkout only: for local trials (refused in CI)"),
    )


def in_ci(environ: dict[str, str] | None = None) -> bool:
    """True under a CI system (`CI=true`, `GITHUB_ACTIONS=true`, `GITEA_ACTIONS=true`)."""
    env = dict(os.environ) if environ is None else environ
    return any(env.get(name, "").strip().lower() in ("true", "1", "yes") for name in CI_VARIABLES)


def has_remote(root: Path, remote: str = REMOTE) -> bool:
    out = subprocess.run(["git", "remote", "get-url", remote], cwd=root, capture_output=True, text=True, timeout=30)
    return out.returncode == 0 and bool(out.stdout.strip())


def decide_push(root: Path, args: argparse.Namespace, *, command: str) -> bool:
    """Whether the records are pushed: by default whenever the repository has a remote; `--no-push` for
    local trials. In CI, where the checkout is thrown away, a run whose records would not reach the
    remote is refused: the next run would not know what was sent."""
    if getattr(args, "dry_run", False):
        return False
    if args.push and args.no_push:
        raise UsageError(_("--push and --no-push contradict each other"), hint=_("choose one"))
    remote = has_remote(root)
    push = bool(args.push) or (remote and not args.no_push and not args.records_dir)
    if in_ci() and not push:
        why = (
            _("--no-push was given")
            if args.no_push
            else _("--records-dir keeps the records in a folder")
            if args.records_dir
            else _("the repository has no remote named {remote}", remote=REMOTE)
        )
        raise UsageError(
            _(
                "in CI, {command} refuses to run unless its records reach the remote ({why}): the checkout is "
                "thrown away after the job, and the next run would send everything again",
                command=f"wxpub {command}",
                why=why,
            ),
            hint=_("run in a checkout whose `origin` is the repository, without --no-push or --records-dir"),
        )
    return push


def make_ledger(root: Path, records_dir: str | None, *, push: bool, dry_run: bool) -> Ledger:
    if records_dir and push:
        raise UsageError(_("--push needs the records branch; drop --records-dir"))
    if records_dir:
        ledger: Ledger = open_ledger(root, directory=Path(records_dir))
    else:
        ledger = GitLedger(root, sync=not dry_run)  # a dry run moves no ref either
    if push and isinstance(ledger, GitLedger) and not dry_run:
        ledger.fetch()
        ledger.push()  # anything a previous run recorded but could not push
        ledger.auto_push = True
    return ledger


def make_verifier(
    root: Path, policy: Policy, reviews_file: str | None, *, dry_run: bool = False
) -> Callable[[Post, str], Any] | None:
    """The approval check per (post, commit); None when the policy trusts branch protection.

    In a dry run without forge credentials (no token), every post gets `ApprovalNotVerified` instead of a
    verdict, so the dry run still shows what would be sent; a real run stops on the missing token."""
    if policy.approval.trust_branch_protection and not reviews_file:
        return None
    forge: list[Any] = []

    def verify(post: Post, commit: str) -> Any:
        from ..approval import verify_commit
        from ..forge import ReviewsFileForge, client_from_env

        if not forge:
            if reviews_file:
                forge.append(ReviewsFileForge(reviews_file, root=root))
            else:
                try:
                    forge.append(client_from_env(policy.forge.kind))
                except ConfigError as exc:
                    if not dry_run:
                        raise
                    missing = (
                        _("no forge token")
                        if "TOKEN" in exc.message
                        else _("forge not configured: {problem}", problem=exc.message)
                    )
                    forge.append(ApprovalNotVerified(missing))
        if isinstance(forge[0], ApprovalNotVerified):
            return forge[0]
        return verify_commit(forge[0], policy, root, commit, post)

    return verify


def make_form_maker(
    root: Path, policy: Policy, reviews_file: str | None, now: dt.datetime
) -> Callable[..., Any] | None:
    """The approval form (markdown, html) for the record, when `pipeline.form` is available."""
    try:
        from .. import form as form_module
    except ImportError:
        return None
    maker = getattr(form_module, "form_for_commit", None)
    if maker is None:
        return None

    def make(post: Post, commit: str, verdict: Any) -> tuple[str, str] | None:
        data = maker(root, policy, post, commit, verdict=verdict, reviews_file=reviews_file, now=now)
        return (data.markdown, data.html) if data is not None else None

    return make


def client_factory(state_dir: str | None) -> Callable[[], Any]:
    def make() -> Any:
        from ..wechat.client import WeChatClient

        return WeChatClient.from_env(state_dir)

    return make


def run(args: argparse.Namespace) -> int:
    root, policy = root_and_policy(args)
    now = parse_now(args.now, policy)
    colour = use_colour(sys.stderr)

    def progress(line: str) -> None:
        print(f"\033[2m{line}\033[0m" if colour else line, file=sys.stderr, flush=True)

    push = decide_push(root, args, command="publish")
    clock = event_clock(args.now, now)
    if args.dry_run:
        return run_publisher(args, root, policy, None, push=False, now=now, clock=clock, progress=progress)
    lease = Lease(root, remote=REMOTE if push else None, clock=clock, who=actor(), progress=progress)
    if args.break_lease:
        broken = lease.break_(args.reason)
        what = (
            _("the lease of {who} (since {since})", who=broken.who, since=broken.since.isoformat())
            if broken is not None and broken.live(clock())
            else _("no live lease")
        )
        print(_("broke {what}: {reason}", what=what, reason=args.reason.strip()))
        return 0
    if lease.acquire(wait=args.lease_wait) is None:
        other = lease.blocker
        assert other is not None
        print(
            _(
                "another publisher holds the lease ({who}, since {since}, until {until}); nothing done",
                who=other.who,
                since=other.since.isoformat(),
                until=other.until.isoformat(),
            )
        )
        return 0
    try:
        return run_publisher(args, root, policy, lease, push=push, now=now, clock=clock, progress=progress)
    finally:
        try:
            lease.release()
        except GitError as exc:  # it expires by itself; never hide what the run itself reported
            progress(_("the lease could not be released ({problem}); it expires by itself", problem=exc.message))


def run_publisher(
    args: argparse.Namespace,
    root: Path,
    policy: Policy,
    lease: Lease | None,
    *,
    push: bool,
    now: dt.datetime,
    clock: Callable[[], dt.datetime],
    progress: Callable[[str], None],
) -> int:
    """Under the lease: the records are fetched only now, so they include the last holder's work."""
    ledger = make_ledger(root, args.records_dir, push=push, dry_run=args.dry_run)
    if args.resolve:
        return run_resolve(args, ledger, clock)
    publisher = Publisher(
        root,
        policy,
        ledger,
        now=now,
        client_factory=client_factory(args.state_dir),
        verifier=make_verifier(root, policy, args.reviews_file, dry_run=args.dry_run),
        form_maker=make_form_maker(root, policy, args.reviews_file, now),
        clock=clock,
        progress=progress,
        dry_run=args.dry_run,
        poll_timeout=args.poll_timeout,
        reconcile_wait=args.reconcile_wait,
        resubmit_after=policy.publish.resubmit_after_minutes * 60.0,
        reconcile_max_calls=policy.publish.reconcile_max_calls,
        lease=lease,
    )
    summary = publisher.run()
    print(format_summary(summary, dry_run=args.dry_run))
    try:
        from ..report import append_step_summary

        append_step_summary(format_summary(summary, dry_run=args.dry_run, markdown=True))
    except ImportError:  # pragma: no cover - part of the core
        pass
    return summary.exit_code


def run_resolve(args: argparse.Namespace, ledger: Ledger, clock: Callable[[], dt.datetime]) -> int:
    post_id, sep, outcome = str(args.resolve).rpartition("=")
    if not sep or not post_id:
        raise UsageError(
            _("--resolve {value}: expected POST=sent or POST=not-sent", value=args.resolve),
            hint=_('e.g. --resolve 2026/12-05-notice=sent --reason "seen in 群发记录"'),
        )
    post_id = post_id.strip().strip("/").removeprefix("posts/")
    record = resolve(ledger, post_id, outcome.strip(), args.reason, clock=clock, who=actor())
    last = record.events[-1]
    print(
        _(
            "{post}: recorded as {outcome} by {who} ({reason}); the next run acts on it",
            post=post_id,
            outcome=outcome.strip(),
            who=last.actor,
            reason=args.reason.strip(),
        )
    )
    return 0


LABELS = {
    "published": N_("published"),
    "broadcast": N_("broadcast"),
    "would-publish": N_("would send"),
    "failed": N_("FAILED"),
    "blocked": N_("BLOCKED"),
    "dirty": N_("SKIPPED"),
}


def label(result: str) -> str:
    return _(LABELS[result]) if result in LABELS else result


def format_summary(summary: RunSummary, *, dry_run: bool = False, markdown: bool = False) -> str:
    lines: list[str] = []
    if markdown:
        lines += ["## wxpub publish" + (" (dry run)" if dry_run else ""), ""]
        if summary.outcomes:
            lines += ["| post | result | details |", "|---|---|---|"]
    for o in summary.outcomes:
        detail = o.article_url or o.message
        if o.hint and not o.ok:
            detail += f" ({o.hint})"
        if o.step and not o.ok:
            detail = f"{o.step}: {detail}"
        if markdown:
            lines.append(f"| `{o.post_id}` | {label(o.result)} | {detail.replace('|', '/')} |")
        else:
            lines.append(f"{label(o.result):<10} {o.post_id}  {o.title}")
            if detail:
                lines.append(f"           {detail}")
    counts: dict[str, int] = {}
    for o in summary.outcomes:
        counts[o.result] = counts.get(o.result, 0) + 1
    due = len(summary.outcomes)
    parts = [_("{n} {label}", n=n, label=label(k).lower()) for k, n in sorted(counts.items())]
    due_text = _("{due} due", due=due) + (_(": {parts}", parts=_(", ").join(parts)) if parts else "")
    tail = _(
        "{due}; {scheduled} scheduled later; {before} published before",
        due=due_text,
        scheduled=len(summary.scheduled),
        before=len(summary.done_before),
    )
    if markdown:
        lines += ["", tail]
    else:
        lines.append(_("dry run: {summary}", summary=tail) if dry_run else tail)
    return "\n".join(lines)
