"""Stage due: which posts are due (merged on main, `publish_at <= now`, not published yet), read from git."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import GitError
from ..findings import Severity
from ..i18n import _
from ..ledger import Record
from ..post import load_post
from ..repo import POSTS_DIR, post_folders
from .base import PublisherBase
from .model import Job, Outcome, RunSummary, _findings_text

# -- git at the edge ----------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git {args[0]} failed: {exc}") from None
    if out.returncode != 0:
        raise GitError(f"git {' '.join(args[:2])} failed: {out.stderr.strip()}")
    return out.stdout


def ensure_on_branch(root: Path, branch: str = "main") -> str:
    """HEAD's commit, when HEAD is `branch` (or a detached checkout of its tip). Raises GitError otherwise."""
    try:
        head = _git(root, "rev-parse", "--verify", "HEAD").strip()
    except GitError:
        raise GitError(
            _("{root} has no commit to publish from", root=str(root)), hint=_("publish runs in a checkout of main")
        ) from None
    try:
        current = _git(root, "symbolic-ref", "-q", "--short", "HEAD").strip()
    except GitError:
        current = ""
    if current == branch:
        return head
    for ref in (f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"):
        try:
            if _git(root, "rev-parse", "--verify", "-q", ref).strip() == head:
                return head
        except GitError:
            continue
    raise GitError(
        _("HEAD is {head}, not {branch}: only merged posts are published", head=current or head[:12], branch=branch),
        hint=_("run wxpub publish in a checkout of {branch}", branch=branch),
    )


def committed_trees(root: Path) -> dict[str, str]:
    """Post folder path (posts/yyyy/mm-dd-slug) -> tree id at HEAD."""
    out = _git(root, "ls-tree", "-r", "-d", "HEAD", "--", POSTS_DIR + "/")
    trees: dict[str, str] = {}
    for line in out.splitlines():
        meta, _, path = line.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "tree" and path.count("/") == 2:
            trees[path] = parts[2]
    return trees


def dirty_paths(root: Path) -> set[str]:
    out = _git(root, "status", "--porcelain", "--untracked-files=all", "--", POSTS_DIR + "/")
    return {line[3:].strip().strip('"') for line in out.splitlines() if line.strip()}


def last_commit(root: Path, folder: str) -> str:
    return _git(root, "log", "-1", "--format=%H", "HEAD", "--", folder + "/").strip()


class Due(PublisherBase):
    def due(self) -> tuple[list[Job], RunSummary]:
        """The due posts as jobs, plus a summary holding the posts that cannot be published."""
        ensure_on_branch(self.root, self.branch)
        summary = RunSummary()
        trees = committed_trees(self.root)
        dirty = dirty_paths(self.root)
        records = self.ledger.records() if self.ledger is not None else {}
        jobs: list[Job] = []
        for folder in post_folders(self.root):
            rel = folder.relative_to(self.root).as_posix()
            tree = trees.get(rel)
            if tree is None:
                continue  # not merged: nothing to do with it
            post, findings = load_post(folder, self.root, self.policy)
            record = records.get(post.id) or Record(post.id)
            if record.published:
                summary.done_before.append(post.id)
                continue
            if post.meta is None:
                errors = [f for f in findings if f.severity is Severity.ERROR]
                summary.outcomes.append(
                    Outcome(
                        post.id, "blocked", message=_findings_text(errors), step="due", hint=_("fix the front matter")
                    )
                )
                continue
            if post.meta.publish_at > self.now:
                summary.scheduled.append(post.id)
                continue
            if any(p == rel or p.startswith(rel + "/") for p in dirty):
                summary.outcomes.append(
                    Outcome(
                        post.id,
                        "dirty",
                        post.meta.title,
                        _("the post folder has uncommitted changes"),
                        hint=_("publish only what was merged: run in a clean checkout of main"),
                        step="due",
                    )
                )
                continue
            jobs.append(Job(post=post, commit=last_commit(self.root, rel), tree=tree, record=record))
        jobs.sort(key=lambda j: (j.post.meta.publish_at if j.post.meta else self.now, j.id))
        return jobs, summary

    def stage_due(self, job: Job) -> None:
        meta = job.post.meta
        assert meta is not None
        header = {
            "title": meta.title,
            "unit": meta.unit,
            "category": meta.category,
            "delivery": meta.delivery,
            "publish_at": meta.publish_at.isoformat(),
            "path": job.post.path,
            "tree": job.tree,
        }
        current = job.record.last("due", "done", commit=job.commit)
        if self.dry_run or (current is not None and current.data == header):
            return
        self._event(job, "due", "done", **header)
