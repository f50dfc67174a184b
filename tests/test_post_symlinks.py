"""A post is plain files: symbolic links anywhere in it are refused (content could change after approval)."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import NOW, cover_bytes, post_text, write_post

from pipeline.check import CheckContext, check_folders
from pipeline.policy import load_policy


def run(root: Path, folder: Path) -> list[tuple[str, int, str]]:
    ctx = CheckContext(root=root, policy=load_policy(root), now=NOW)
    result = check_folders([folder], ctx, jobs=1)
    return [(f.rule, f.line, f.message) for f in result.findings if f.severity.value == "error"]


def test_symlinked_index_is_refused_and_not_read(make_repo) -> None:
    root = make_repo({}, commit=False)
    (root / "docs").mkdir()
    (root / "docs" / "faq.md").write_text(post_text(), encoding="utf-8")
    folder = root / "posts/2026/12-05-linked"
    folder.mkdir(parents=True)
    (folder / "cover.jpg").write_bytes(cover_bytes())
    os.symlink("../../../docs/faq.md", folder / "index.md")
    errors = run(root, folder)
    assert [(r, line) for r, line, _ in errors] == [("schema/symlink", 1)]
    assert "index.md" in errors[0][2]


def test_cover_through_a_symlinked_folder_is_refused(make_repo, tmp_path) -> None:
    root = make_repo({}, commit=False)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "cover.jpg").write_bytes(cover_bytes())
    folder = write_post(root, "2026/12-05-img", post_text(cover="img/cover.jpg"), cover=False)
    os.symlink(outside, folder / "img")
    rules = {r for r, _, _ in run(root, folder)}
    assert {"schema/symlink", "schema/cover"} <= rules


def test_a_link_inside_the_folder_is_refused_too(make_repo) -> None:
    root = make_repo({}, commit=False)
    folder = write_post(root, "2026/12-05-inner", post_text(cover="alias.jpg"))
    os.symlink("cover.jpg", folder / "alias.jpg")
    errors = run(root, folder)
    assert ("schema/symlink", 1) in [(r, line) for r, line, _ in errors]
    assert any(r == "schema/cover" and "symbolic link" in m for r, _, m in errors)


def test_symlinked_post_folder_keeps_its_own_id(make_repo, tmp_path) -> None:
    root = make_repo({}, commit=False)
    real = tmp_path / "elsewhere"
    write_post(tmp_path, "elsewhere-post", post_text())
    (root / "posts/2026").mkdir(parents=True)
    os.symlink(tmp_path / "posts/elsewhere-post", root / "posts/2026/12-05-folder-link")
    errors = run(root, root / "posts/2026/12-05-folder-link")
    assert errors and errors[0][0] == "schema/symlink"
    assert not real.exists()
