"""Re-verification for the publisher: what is about to be sent came through a merged pull request that was
approved on exactly that content, by the policy in force when it was merged.

`verify_commit(forge, policy, root, commit, post)` finds the last commit at or before `commit` that changed
the post's folder, the merged pull request(s) containing it, and for each:

- reads the policy from the base of the merge (`basepolicy.merge_base_commit`: the merge commit's first
  parent) through git, and evaluates the reviews by it. Never by `policy` (the caller's, i.e. main's
  after the merge): a pull request that edits the policy would otherwise be judged by the policy it
  introduced. The commit used is returned in `Verdict.policy_commit`, for the publication record.
- compares the post folder's git tree at the approved head with the tree at `commit`.
- compares each counted approver with `policy` (the current one): an approver removed since keeps their
  approval (it is tied to the moment it was given) but is marked `revoked` and listed in the warnings,
  so the approval form shows it (`approval/approver-revoked`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import GitError, WxpubError
from ..i18n import _
from ..policy import Approvers, Policy
from ..post import Post
from .basepolicy import git, have_commit, merge_base_commit, policy_at, tree_of
from .model import Verdict, short
from .rules import R_CONTENT, R_REVOKED
from .sequence import Eligibility, evaluate

if TYPE_CHECKING:
    from ..forge.base import Forge, PullRequest


def _approvers_now(policy: Policy, key: str) -> Approvers | None:
    if key.startswith("unit_head:"):
        unit = policy.unit(key.split(":", 1)[1])
        return unit.heads if unit is not None else None
    return policy.roles.get(key)


def mark_revoked(verdict: Verdict, current: Policy, eligible: Eligibility) -> None:
    """Mark each counted approval whose approver the current policy no longer names for that tier."""
    for t in verdict.tiers:
        approvers = _approvers_now(current, t.key)
        for i, a in enumerate(t.approved_by):
            if approvers is not None and eligible.of(approvers, a.login):
                continue
            why = _("no longer an approver of this tier in the current policy")
            t.approved_by[i] = a._replace(revoked=why)
            verdict.warnings.append(
                _(
                    "[{rule}] {tier}: {user} approved under the policy at {base} but is no longer an approver in "
                    "the current policy; the approval stands (it is judged by the policy in force at the merge)",
                    rule=R_REVOKED.id,
                    tier=t.name,
                    user=a.login,
                    base=short(verdict.policy_commit),
                )
            )


def _unverified(reason: str, pr: PullRequest, policy_commit: str = "") -> Verdict:
    return Verdict(False, [], [reason], pr=pr.number, head_sha=pr.head_sha, policy_commit=policy_commit)


def verify_pull(forge: Forge, current: Policy, root: Path, pr: PullRequest, rel: str, post: Post) -> Verdict:
    """One merged pull request: judged by the policy at its merge's base; the approved head's content."""
    commits = forge.commits(pr.number)
    base = merge_base_commit(root, pr, commits)
    if not base:
        return _unverified(
            _(
                "[{rule}] {path}: the merge commit {sha} of #{n} is not in the repository, so the policy it was "
                "judged by cannot be read; fetch the history (git fetch origin, actions/checkout fetch-depth: 0)",
                rule=R_CONTENT.id,
                path=rel,
                sha=short(pr.merge_commit_sha),
                n=pr.number,
            ),
            pr,
        )
    try:
        policy = policy_at(root, base)
    except WxpubError as exc:
        return _unverified(
            _(
                "[{rule}] {path}: the policy at the base {sha} of #{n} cannot be read: {error}",
                rule=R_CONTENT.id,
                path=rel,
                sha=short(base),
                n=pr.number,
                error=exc.message,
            ),
            pr,
            base,
        )
    eligible = Eligibility(forge.is_member)
    verdict = evaluate(
        policy, [post], forge.files(pr.number), pr, forge.reviews(pr.number), commits, eligible.is_member
    )
    verdict.policy_commit = base
    verdict.policy_source = _("the base {sha} of #{n}", sha=short(base), n=pr.number)
    mark_revoked(verdict, current, eligible)
    return verdict


def verify_commit(forge: Forge, policy: Policy, root: Path, commit_sha: str, post: Post) -> Verdict:
    """Whether the post as it stands at `commit_sha` came through a merged pull request approved on exactly
    that content, by the policy at the merge's base (`policy` is the current one: only for `revoked`).

    The approved head must be in the local repository; for squash merges it is fetched from
    `refs/pull/N/head` when `origin` exists."""
    try:
        rel = post.folder.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise GitError(_("{folder} is not inside the repository {root}", folder=post.folder, root=root)) from None
    out = git(root, "log", "-1", "--format=%H", commit_sha, "--", rel)
    if out.returncode != 0:
        raise GitError(
            _(
                "git cannot read the history of {path} at {sha}: {error}",
                path=rel,
                sha=commit_sha,
                error=out.stderr.strip(),
            )
        )
    last = out.stdout.strip()
    if not last:
        reason = _(
            "[{rule}] {path}: no commit at {sha} added this post", rule=R_CONTENT.id, path=rel, sha=short(commit_sha)
        )
        return Verdict(False, [], [reason])
    published_tree = tree_of(root, commit_sha, rel)
    prs = [p for p in forge.pulls_for_commit(last) if p.merged]
    if not prs:
        reason = _(
            "[{rule}] {path}: commit {sha} that last changed it came through no merged pull request",
            rule=R_CONTENT.id,
            path=rel,
            sha=short(last),
        )
        return Verdict(False, [], [reason])
    best: Verdict | None = None
    for listed in prs:
        pr = forge.pull(listed.number)
        if not have_commit(root, pr.head_sha):
            git(root, "fetch", "--quiet", "--no-tags", "origin", f"+refs/pull/{pr.number}/head")
        verdict = verify_pull(forge, policy, root, pr, rel, post)
        approved_tree = tree_of(root, pr.head_sha, rel)
        if approved_tree is None:
            verdict.ok = False
            verdict.reasons.append(
                _(
                    "[{rule}] {path}: the approved head {sha} of #{n} is not in the repository or lacks the post; "
                    "fetch it (git fetch origin pull/{n}/head)",
                    rule=R_CONTENT.id,
                    path=rel,
                    sha=short(pr.head_sha),
                    n=pr.number,
                )
            )
        elif approved_tree != published_tree:
            verdict.ok = False
            verdict.reasons.append(
                _(
                    "[{rule}] {path}: the content at {sha} differs from the content approved in #{n} at {head}",
                    rule=R_CONTENT.id,
                    path=rel,
                    sha=short(commit_sha),
                    n=pr.number,
                    head=short(pr.head_sha),
                )
            )
        if verdict.ok:
            return verdict
        best = best or verdict
    assert best is not None
    return best
