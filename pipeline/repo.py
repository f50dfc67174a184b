"""The repository at the edge: where the posts are, and which of them a git change touches."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .errors import GitError, UsageError
from .i18n import _, ngettext

POSTS_DIR = "posts"


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder upwards holding `policy/policy.yml`.

    `WXPUB_ROOT` in the environment overrides the search.
    """
    env = os.environ.get("WXPUB_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "policy" / "policy.yml").is_file():
            return folder
    raise UsageError(
        _("no policy/policy.yml in {here} or above", here=here), hint=_("run wxpub inside a wxpub repository")
    )


def post_folders(root: Path, paths: list[str] | None = None) -> list[Path]:
    """Post folders under the given paths (files, post folders or any folder), or all of `posts/`.

    A folder is a post when it holds an `index.md`. Sorted by path, each at most once. Explicit `paths`
    holding no post at all are a `UsageError` (a mistyped path must not pass as "0 posts checked"); all
    of an empty `posts/` is an empty list (a fresh repository).
    """
    targets = [Path(p) for p in paths] if paths else [root / POSTS_DIR]
    found: dict[Path, None] = {}
    for t in targets:
        t = t if t.is_absolute() else (Path.cwd() / t)
        if not t.exists() and not t.is_symlink():
            raise UsageError(_("{path}: no such file or folder", path=t))
        if t.name == "index.md" or t.is_file():
            if t.name == "index.md" or (t.parent / "index.md").exists():  # a file of a post: that post
                found[t.parent.absolute()] = None
            continue
        if (t / "index.md").exists() or (t / "index.md").is_symlink():
            found[t.absolute()] = None
            continue
        for folder in _index_folders(t.absolute()):
            found[folder] = None
    if paths and not found:
        named = ", ".join(paths)
        raise UsageError(
            ngettext(
                "{paths}: no post (a folder with index.md) found under it",
                "{paths}: no post (a folder with index.md) found under them",
                len(paths),
                paths=named,
            ),
            hint=_("name post folders such as posts/2026/12-05-card-offer, or give no PATH to take all of posts/"),
        )
    return sorted(found)


def _index_folders(top: Path) -> list[Path]:
    """Folders below `top` holding an existing `index.md`, as `top.rglob("index.md")` finds them (symbolic
    links to folders are not followed), from one `scandir` a folder: a fraction of rglob's time."""
    out: list[str] = []
    stack = [str(top)]
    while stack:
        here = stack.pop()
        try:
            with os.scandir(here) as it:
                entries = list(it)
        except OSError:  # unreadable, or gone meanwhile: rglob skips it too
            continue
        for entry in entries:
            if entry.name == "index.md" and (not entry.is_symlink() or os.path.exists(entry.path)):
                out.append(here)
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
    out.sort(key=lambda p: p.split(os.sep))  # the order of the Paths (by parts): sorting them again is linear
    return [Path(p) for p in out]


def _git_failed(root: Path, ref: str, stderr: str) -> GitError:
    if "not a git repository" in stderr:
        return GitError(_("{root} is not a git repository; --changed-since needs one", root=root))
    return GitError(
        _("git cannot compare with {ref}: {reason}", ref=repr(ref), reason=stderr.strip()),
        hint=_("fetch the base branch first, e.g. git fetch origin main"),
    )


def changed_post_folders(root: Path, ref: str) -> list[Path]:
    """Post folders touched by the change from `ref` (merge base) to the working tree, untracked included.

    Plain `git` subprocesses (no GitPython import on this path, which must start fast); the two listings,
    each a walk over the working tree, run at the same time.
    """

    def start(*args: str) -> subprocess.Popen[bytes]:
        try:
            return subprocess.Popen(["git", *args], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise GitError(
                _("cannot run git: {reason}", reason=exc), hint=_("install git; --changed-since needs it")
            ) from None

    def output(proc: subprocess.Popen[bytes]) -> str:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise _git_failed(root, ref, err.decode("utf-8", "replace"))
        return out.decode("utf-8", "replace")

    base = output(start("merge-base", ref, "HEAD")).strip()
    changed = start("diff", "--name-only", "--no-renames", "--relative", "-z", base, "--", POSTS_DIR)
    untracked = start("ls-files", "-z", "--others", "--exclude-standard", "--", POSTS_DIR)
    names = output(changed).split("\0") + output(untracked).split("\0")
    folders: dict[Path, None] = {}
    for name in names:
        parts = Path(name).parts
        if len(parts) < 4 or parts[0] != POSTS_DIR:
            continue
        folder = root.joinpath(*parts[:3])
        if (folder / "index.md").exists():
            folders[folder] = None
    return sorted(folders)
