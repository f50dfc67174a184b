"""`wxpub approvals --pr N`: whether a pull request's reviews satisfy every approval tier its change needs.

The tiers and approvers come from the policy at the pull request's base commit (`base.sha`, as the forge
reports it), read through git, never from the working tree: on a branch cut before `main` changed the
policy, or on a pull request that edits `policy/`, the working tree's policy is not the one in force.
The posts are read from the working tree (the pull request's head, or its merge with the base).

Exit 0 when every tier is satisfied, 1 when not, 2 when the check cannot run (no token, a token that
cannot read team membership, a base commit missing from the checkout: the gate fails closed). Prints a
table; appends the same as Markdown to `$GITHUB_STEP_SUMMARY`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import unicodedata
from pathlib import Path

from .. import report
from ..approval import TierResult, Verdict, check_pull, local_time
from ..errors import ForgeError, UsageError
from ..forge import KINDS, ReviewsFileForge, client_from_env
from ..forge.base import Forge
from ..i18n import _
from ..policy import Policy
from ._common import add_format, add_root, root_and_policy


def add_forge_options(p: argparse.ArgumentParser) -> None:
    """--forge/--repo/--forge-url: where the reviews come from (tokens come from the environment only)."""
    p.add_argument("--forge", choices=KINDS, help=_("the forge (default: forge.kind in the policy)"))
    p.add_argument("--repo", metavar="OWNER/NAME", help=_("the repository (default: GITHUB_REPOSITORY)"))
    p.add_argument(
        "--forge-url",
        metavar="URL",
        help=_("the API base (GitHub: GITHUB_API_URL; Gitea: the server, GITEA_URL)"),
    )


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "approvals",
        help=_("check a pull request's tiered approvals (Art. 8, 12, 15)"),
        description=_(
            "Evaluate the reviews of a pull request against the approval tiers its change needs, by the "
            "policy at its base commit (read through git). Exit 0 when every tier is satisfied, 1 when not, 2 when "
            "the check cannot run. Tokens: GITHUB_TOKEN or GITEA_TOKEN in the environment."
        ),
    )
    p.add_argument("--pr", type=int, metavar="N", help=_("the pull request (default: from GITHUB_EVENT_PATH)"))
    add_forge_options(p)
    p.add_argument(
        "--reviews-file", metavar="F", help=_("read the pull request and reviews from a JSON file (offline)")
    )
    p.add_argument(
        "--policy-ref",
        metavar="REF",
        help=_("judge by the policy at this git ref (default: the pull request's base commit, base.sha)"),
    )
    add_format(p, ("text", "json"))
    add_root(p)
    p.set_defaults(func=run)


def pr_number(value: int | None) -> int:
    """--pr, or the pull request of the event that started the workflow."""
    if value is not None:
        return value
    event = os.environ.get("GITHUB_EVENT_PATH")
    if event:
        try:
            number = json.loads(Path(event).read_text(encoding="utf-8")).get("pull_request", {}).get("number")
        except (OSError, ValueError, AttributeError):
            number = None
        if isinstance(number, int):
            return number
    raise UsageError(_("--pr N is required (no pull request in GITHUB_EVENT_PATH)"))


def open_forge(args: argparse.Namespace, root: Path, policy: Policy) -> Forge:
    if getattr(args, "reviews_file", None):
        return ReviewsFileForge(args.reviews_file, root=root)
    return client_from_env(args.forge or policy.forge.kind, repo=args.repo, base_url=args.forge_url)


# -- views ---------------------------------------------------------------------------------------


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, n: int) -> str:
    return s + " " * max(0, n - _width(s))


def _approvers(t: TierResult, policy: Policy) -> str:
    return ", ".join(f"{a.login} ({local_time(a.at, policy)})" for a in t.approved_by) or "-"


def to_text(verdict: Verdict, policy: Policy) -> str:
    rows = [(_("tier"), _("required"), _("approved by"), _("missing"))]
    for t in verdict.tiers:
        missing = str(t.missing) + (
            _(" (blocked: {logins})", logins=", ".join(b.login for b in t.blocked_by)) if t.blocked_by else ""
        )
        rows.append((t.name, str(t.required), _approvers(t, policy), missing))
    widths = [max(_width(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(_pad(c, widths[i]) for i, c in enumerate(r)).rstrip() for r in rows]
    head = _("pull request #{n}, head {sha}", n=verdict.pr, sha=verdict.head_sha[:7] or "?")
    state = _("approved: every tier is satisfied") if verdict.ok else _("NOT approved")
    out = [f"{head}: {state}", *lines]
    out += [f"  {r}" for r in verdict.reasons]
    out += ["  " + _("warning: {text}", text=w) for w in verdict.warnings]
    out += ["  " + _("note: {text}", text=n) for n in verdict.notes]
    return "\n".join(out)


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def to_markdown(verdict: Verdict, policy: Policy) -> str:
    mark = _("✅ approved") if verdict.ok else _("❌ not approved")
    order = _("order (sequential)") if policy.approval.sequential else _("any order")
    out = [
        _("### wxpub approvals: pull request #{n} {mark}", n=verdict.pr, mark=mark),
        "",
        _(
            "Head `{sha}`; tiers in {order}. 审批层级 (Art. 8, 12, 15)",
            sha=verdict.head_sha[:7] or "?",
            order=order,
        ),
        "",
        _("| Tier 层级 | Required | Approved by 审批人 | Missing |"),
        "|---|---:|---|---:|",
    ]
    for t in verdict.tiers:
        blocked = ", ".join(b.login for b in t.blocked_by)
        missing = str(t.missing) + (_(" (blocked by {logins})", logins=blocked) if t.blocked_by else "")
        out.append(f"| {_cell(t.name)} | {t.required} | {_cell(_approvers(t, policy))} | {_cell(missing)} |")
    if verdict.reasons:
        out += ["", _("**Why not yet:**"), *(f"- {_cell(r)}" for r in verdict.reasons)]
    if verdict.warnings:
        out += ["", _("**Approvers, please confirm 审批人请确认:**"), *(f"- ⚠️ {_cell(w)}" for w in verdict.warnings)]
    if verdict.notes:
        out += ["", "<details><summary>" + _("Reviews that did not count") + "</summary>", ""]
        out += [f"- {_cell(n)}" for n in verdict.notes]
        out += ["", "</details>"]
    return "\n".join(out) + "\n\n"


def run(args: argparse.Namespace) -> int:
    root, policy = root_and_policy(args)
    number = pr_number(args.pr)
    forge = open_forge(args, root, policy)
    try:
        verdict, _pr, posts = check_pull(forge, policy, root, number, policy_ref=args.policy_ref)
    except ForgeError as exc:
        print(f"wxpub: {exc}", file=sys.stderr)
        report.append_step_summary(
            _("### wxpub approvals: pull request #{n} ❌ could not be checked", n=number) + f"\n\n{_cell(str(exc))}\n\n"
        )
        return 2
    if args.format == "json":
        doc = {**verdict.to_dict(), "posts": [p.id for p in posts]}
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(to_text(verdict, policy))
    report.append_step_summary(to_markdown(verdict, policy))
    return 0 if verdict.ok else 1
