"""The repository at the edge: where the posts are, and which of them a git change touches."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import GitError, UsageError

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
    raise UsageError(f"no policy/policy.yml in {here} or above", hint="run wxpub inside a wxpub repository")


def post_folders(root: Path, paths: list[str] | None = None) -> list[Path]:
    """Post folders under the given paths (files, post folders or any folder), or all of `posts/`.

    A folder is a post when it holds an `index.md`. Sorted by path, each at most once.
    """
    targets = [Path(p) for p in paths] if paths else [root / POSTS_DIR]
    found: dict[Path, None] = {}
    for t in targets:
        t = t if t.is_absolute() else (Path.cwd() / t)
        if not t.exists() and not t.is_symlink():
            raise UsageError(f"{t}: no such file or folder")
        if t.name == "index.md" or t.is_file():
            found[t.parent.absolute()] = None
            continue
        if (t / "index.md").exists() or (t / "index.md").is_symlink():
            found[t.absolute()] = None
            continue
        for index in sorted(t.rglob("index.md")):
            found[index.parent.absolute()] = None
    return sorted(found)


def changed_post_folders(root: Path, ref: str) -> list[Path]:
    """Post folders touched by the change from `ref` (merge base) to the working tree, untracked included."""
    try:
        import git
    except ImportError as exc:  # pragma: no cover - a dependency
        raise GitError(f"GitPython is not installed: {exc}") from None
    try:
        repo = git.Repo(root, search_parent_directories=False)
        base = repo.git.merge_base(ref, "HEAD")
        names = repo.git.diff("--name-only", "--no-renames", base, "--", POSTS_DIR).splitlines()
        names += repo.git.ls_files("--others", "--exclude-standard", "--", POSTS_DIR).splitlines()
    except git.InvalidGitRepositoryError:
        raise GitError(f"{root} is not a git repository; --changed-since needs one") from None
    except git.GitCommandError as exc:
        raise GitError(
            f"git cannot compare with {ref!r}: {exc.stderr.strip() or exc}",
            hint="fetch the base branch first, e.g. git fetch origin main",
        ) from None
    folders: dict[Path, None] = {}
    for name in names:
        parts = Path(name).parts
        if len(parts) < 4 or parts[0] != POSTS_DIR:
            continue
        folder = root.joinpath(*parts[:3])
        if (folder / "index.md").exists():
            folders[folder] = None
    return sorted(folders)
