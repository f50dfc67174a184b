"""Post discovery finds what `rglob("index.md")` finds, in the same order, and changed posts come from git."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import git, post_text, write_post

from pipeline.errors import GitError
from pipeline.post import _links_below
from pipeline.repo import changed_post_folders, post_folders


def _tree(root: Path) -> None:
    posts = root / "posts"
    for rel in ("2026/12-05-a", "2026/12-05-a-b", "2026/12-05-a/sub", "2027/01-01-x", "stray/deeper/still"):
        (posts / rel).mkdir(parents=True, exist_ok=True)
        (posts / rel / "index.md").write_text("---\n---\n", encoding="utf-8")
    (posts / "2026" / "no-index").mkdir()
    (posts / "2026" / "no-index" / "cover.jpg").write_bytes(b"x")
    (posts / "2026" / "dir-named-index" / "index.md").mkdir(parents=True)
    (posts / "2026" / "dangling").mkdir()
    os.symlink(root / "nowhere.md", posts / "2026" / "dangling" / "index.md")
    (posts / "2026" / "file-link").mkdir()
    os.symlink(posts / "2027" / "01-01-x" / "index.md", posts / "2026" / "file-link" / "index.md")
    os.symlink(posts / "2027", posts / "2026" / "folder-link")  # not followed, as rglob does not


def test_same_folders_and_order_as_rglob(tmp_path: Path) -> None:
    _tree(tmp_path)
    expected = sorted({i.parent.absolute() for i in (tmp_path / "posts").rglob("index.md")})
    assert post_folders(tmp_path) == expected
    assert post_folders(tmp_path, [str(tmp_path / "posts" / "2026")]) == [p for p in expected if "2026" in p.parts]
    names = [p.relative_to(tmp_path / "posts").as_posix() for p in expected]
    assert "2026/dangling" not in names and "2026/file-link" in names and "2026/dir-named-index" in names
    assert names.index("2026/12-05-a/sub") < names.index("2026/12-05-a-b")  # Path order, not string order


def test_changed_posts_include_untracked_and_non_ascii_names(make_repo) -> None:
    root = make_repo({"2026/12-05-card": post_text()})
    git(root, "checkout", "-q", "-b", "feature")
    write_post(root, "2026/12-06-新品", post_text())
    (root / "posts/2026/12-05-card/index.md").write_text(post_text(title="改过的标题"), encoding="utf-8")
    assert [p.relative_to(root / "posts").as_posix() for p in changed_post_folders(root, "main")] == [
        "2026/12-05-card",
        "2026/12-06-新品",
    ]
    with pytest.raises(GitError, match="git cannot compare with 'nope'"):
        changed_post_folders(root, "nope")


def test_changed_since_outside_git(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="is not a git repository"):
        changed_post_folders(tmp_path, "main")


def test_links_in_a_post_as_rglob_finds_them(tmp_path: Path) -> None:
    post = tmp_path / "post"
    (post / "img" / "sub").mkdir(parents=True)
    (post / "img-b").mkdir()
    (post / "index.md").write_text("x", encoding="utf-8")
    (post / "img" / "a.png").write_bytes(b"x")
    os.symlink(tmp_path / "elsewhere.png", post / "img" / "dangling.png")
    os.symlink(post / "index.md", post / "img" / "sub" / ".hidden-link")
    os.symlink(post / "img", post / "img-link")  # a linked folder is reported, not entered
    os.symlink(post / "index.md", post / "img-b" / "x.md")
    expected = [p.relative_to(post).as_posix() for p in sorted(post.rglob("*")) if p.is_symlink()]
    assert _links_below(post) == expected
    assert len(expected) == 4
