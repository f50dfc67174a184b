"""The policy a change is judged by, read through git from the commit it was reviewed against.

A change must never be judged by a policy it brought with it (a pull request that adds a friend to the
compliance tier), nor by one written after it was approved (an approver removed after the merge: the
approval is tied to the moment it was given). So the gate reads `policy/policy.yml` from the pull
request's base commit (`base.sha`, as the forge reports it), and the publisher from the base of the
merge: the first parent of the merge commit, or, for a rebase merge, the first commit down the first
parents that is not one of the pull request's commits. (A merge that is the repository's very first
commit has no base: it is judged by the policy it holds, as there is no other.)
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

from ..errors import ConfigError
from ..forge.base import Commit, PullRequest
from ..i18n import _
from ..policy import POLICY_FILE, Policy, parse_policy
from .model import short


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def have_commit(root: Path, sha: str) -> bool:
    return bool(sha) and git(root, "cat-file", "-e", f"{sha}^{{commit}}").returncode == 0


def tree_of(root: Path, commit: str, rel: str) -> str | None:
    """The git tree hash of folder `rel` at `commit`, or None when the commit or folder is not there."""
    out = git(root, "rev-parse", "--verify", "--quiet", f"{commit}:{rel}")
    return out.stdout.strip() or None if out.returncode == 0 else None


def resolve(root: Path, ref: str) -> str:
    """The full commit hash `ref` names, or "" when it names none here."""
    out = git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return out.stdout.strip() if out.returncode == 0 else ""


def policy_at(root: Path, commit: str) -> Policy:
    """`policy/policy.yml` as it stands at `commit`, read through git (`git show`), never the working tree.
    Raises `ConfigError` (exit 2) when the commit is not here, and `PolicyError` when it does not validate."""
    if not have_commit(root, commit):
        raise ConfigError(
            _("commit {sha} is not in this repository, so its policy cannot be read", sha=short(commit)),
            hint=_("fetch it first: git fetch origin {sha}", sha=commit),
        )
    out = git(root, "show", f"{commit}:{POLICY_FILE}")
    if out.returncode != 0:
        raise ConfigError(_("{file} does not exist at commit {sha}", file=POLICY_FILE, sha=short(commit)))
    return parse_policy(out.stdout, source=f"{short(commit)}:{POLICY_FILE}")


def _signature(root: Path, sha: str) -> str:
    """What a rebase keeps of a commit: author, author date and message."""
    out = git(root, "show", "-s", "--format=%an%x00%ae%x00%at%x00%B", sha)
    return out.stdout if out.returncode == 0 else ""


def _first_parent(root: Path, sha: str) -> str:
    return resolve(root, f"{sha}^1")


def merge_base_commit(root: Path, pr: PullRequest, commits: Iterable[Commit]) -> str:
    """The base a merged pull request was judged against: the merge commit's first parent, stepping over the
    pull request's own commits a rebase merge put on the branch; "" when it cannot be told here."""
    merge = pr.merge_commit_sha or ""
    if not have_commit(root, merge):
        return ""
    own = {c.sha for c in commits if c.sha}
    signatures = {s for s in (_signature(root, sha) for sha in own if have_commit(root, sha)) if s}
    base = _first_parent(root, merge)
    if not base:  # the repository's first commit: there is no earlier policy than the one it holds
        return resolve(root, merge)
    for _step in range(len(own) + 1):
        if base not in own and _signature(root, base) not in signatures:
            break
        parent = _first_parent(root, base)
        if not parent:
            break
        base = parent
    return base
