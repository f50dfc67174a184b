"""`wxpub check PATH…` with paths that hold no post is a usage error; no PATH on an empty posts/ is not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import post_text

from pipeline.cli import main
from pipeline.errors import UsageError
from pipeline.repo import post_folders

NOW = "2026-11-20T09:00:00+08:00"


@pytest.fixture
def root(make_repo: Callable[..., Path]) -> Path:
    root = make_repo({"2026/12-05-card": post_text()})
    (root / "docs").mkdir()
    (root / "docs" / "notes.md").write_text("# notes\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("paths", [["docs"], ["docs", "policy"], ["docs/notes.md"], ["README-less"]])
def test_explicit_paths_without_a_post_exit_2(
    root: Path, paths: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(root)
    if paths == ["README-less"]:  # a folder that exists and is empty
        (root / "README-less").mkdir()
    assert main(["check", "--root", str(root), "--now", NOW, *paths]) == 2
    err = capsys.readouterr().err
    assert f"wxpub: {', '.join(paths)}: no post (a folder with index.md) found under" in err, err
    assert "post(s) checked" not in err


def test_a_folder_outside_the_repository(root: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    elsewhere = tmp_path / "etc"
    (elsewhere / "conf.d").mkdir(parents=True)
    (elsewhere / "conf.d" / "x.conf").write_text("x\n", encoding="utf-8")
    assert main(["check", "--root", str(root), "--now", NOW, str(elsewhere)]) == 2
    assert "no post (a folder with index.md) found under it" in capsys.readouterr().err


def test_paths_with_a_post_still_check_it(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    post = root / "posts" / "2026" / "12-05-card"
    code = main(["check", "--root", str(root), "--now", NOW, str(root / "docs"), str(post)])
    assert code in (0, 1)  # checked: its findings decide
    assert "1 post(s) checked" in capsys.readouterr().out
    assert post_folders(root, [str(post / "index.md")]) == [post]
    assert post_folders(root, [str(root / "posts")]) == [post]


def test_no_path_on_an_empty_posts_folder_is_fine(
    make_repo: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({}, commit=False)
    (root / "posts").mkdir()
    assert main(["check", "--root", str(root), "--now", NOW]) == 0
    assert "0 post(s) checked" in capsys.readouterr().out
    assert post_folders(root) == []
    with pytest.raises(UsageError, match="no post"):
        post_folders(root, [str(root / "posts")])  # named explicitly: an empty posts/ is worth saying
