"""The gate on a pull request (`wxpub approvals`): the forge's data, the posts of the checkout, the base policy.

`check_pull` always judges by the policy at the base commit the forge reports (`base.sha`), read through
git: never the working tree's, which on a branch cut before `main` revoked an approver (or on a pull
request that edits `policy/`) is not the policy in force. When that commit is not in the checkout the
gate stops with exit 2 and says how to fetch it. It refuses a checkout that is neither the reviewed head
nor its merge with the base (the posts read would not be the ones reviewed).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..i18n import _
from ..policy import Policy
from ..post import Post
from .basepolicy import git, have_commit, merge_base_commit, policy_at, resolve
from .model import Verdict, short
from .rules import R_CONTENT
from .sequence import evaluate

if TYPE_CHECKING:
    from ..forge.base import Commit, Forge, PullRequest


def changed_post_folders(root: Path, paths: Iterable[str]) -> list[Path]:
    """The post folders (posts/<yyyy>/<mm-dd-slug>) the changed paths touch that exist in the working tree."""
    folders: dict[Path, None] = {}
    for name in paths:
        parts = Path(name).parts
        if len(parts) >= 4 and parts[0] == "posts":
            folder = root.joinpath(*parts[:3])
            if (folder / "index.md").is_file():
                folders[folder] = None
    return sorted(folders)


def gate_policy(root: Path, pr: PullRequest, ref: str | None = None) -> tuple[Policy, str, str]:
    """(the policy a pull request is judged by, where it came from for people, its commit).

    From `ref` when given (`--policy-ref`), else from the base commit the forge reports (`base.sha`),
    always through git. Fails closed with `ConfigError` (exit 2) when that commit is not in the checkout."""
    if ref:
        commit = resolve(root, ref)
        if not commit:
            raise ConfigError(
                _("--policy-ref {ref} names no commit in this checkout", ref=ref),
                hint=_("fetch it first: git fetch origin {ref}", ref=ref),
            )
        return policy_at(root, commit), ref, commit
    if not pr.base_sha:
        raise ConfigError(
            _("the forge reports no base commit (base.sha) for pull request #{n}", n=pr.number),
            hint=_("name the policy to judge by with --policy-ref REF (e.g. origin/main)"),
        )
    if not have_commit(root, pr.base_sha):
        raise ConfigError(
            _(
                "the base commit {sha} of pull request #{n} is not in this checkout: the pull request must be "
                "judged by the policy at its base",
                sha=short(pr.base_sha),
                n=pr.number,
            ),
            hint=_(
                "fetch it first: git fetch origin {sha} (in a workflow: actions/checkout with fetch-depth: 0)",
                sha=pr.base_sha,
            ),
        )
    where = f"{short(pr.base_sha)} ({pr.base_ref})" if pr.base_ref else short(pr.base_sha)
    return policy_at(root, pr.base_sha), where, pr.base_sha


def judging_policy(
    root: Path, pr: PullRequest, commits: Iterable[Commit], ref: str | None = None
) -> tuple[Policy, str, str]:
    """The policy a pull request's approvals are judged by, wherever they are shown: once merged, the policy
    at its merge's base (as the publisher judges it); before, the policy at its base commit (`gate_policy`)."""
    if ref is None and pr.merged:
        base = merge_base_commit(root, pr, commits)
        if base:
            return policy_at(root, base), _("the base {sha} of #{n}", sha=short(base), n=pr.number), base
    return gate_policy(root, pr, ref)


def checked_out(root: Path) -> tuple[str, ...] | None:
    """The commit checked out and, for a merge commit (GitHub's refs/pull/N/merge), its second parent;
    None when `root` is not a git repository."""
    out = git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    if out.returncode != 0 or not out.stdout.strip():
        return None
    second = git(root, "rev-parse", "--verify", "--quiet", "HEAD^2")
    return (out.stdout.strip(), *([second.stdout.strip()] if second.returncode == 0 else []))


def check_pull(
    forge: Forge, policy: Policy, root: Path, number: int, *, policy_ref: str | None = None
) -> tuple[Verdict, PullRequest, list[Post]]:
    """Evaluate pull request `number`: its changed files, reviews, commits and team memberships from the
    forge; its posts from the working tree (the PR head checkout); the tiers and approvers from the policy
    at its base commit (`gate_policy`). `policy` (the working tree's) is not used to judge."""
    from ..post import load_post

    pr = forge.pull(number)
    paths = forge.files(number)
    judged_by, source, commit = gate_policy(root, pr, policy_ref)
    posts = [load_post(folder, root, judged_by)[0] for folder in changed_post_folders(root, paths)]
    verdict = evaluate(judged_by, posts, paths, pr, forge.reviews(number), forge.commits(number), forge.is_member)
    verdict.policy_commit = commit
    verdict.policy_source = source
    checkout = checked_out(root)
    if checkout is not None and pr.head_sha and pr.head_sha not in checkout:
        verdict.ok = False
        verdict.reasons.append(
            _(
                "[{rule}] the checkout ({sha}) is neither the head {head} of #{n} nor its merge with the base: the "
                "posts read are not the ones reviewed; run on the head",
                rule=R_CONTENT.id,
                sha=short(checkout[0]),
                head=short(pr.head_sha),
                n=pr.number,
            )
        )
    verdict.notes.insert(
        0, _("tiers and approvers read from the policy at {source}, not from this pull request", source=source)
    )
    return verdict, pr, posts
