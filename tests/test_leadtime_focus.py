"""A run of a few posts reads only their history from git; the answers are the same as reading all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from conftest import NOW, TZ, git, post_text, write_post

from pipeline.leadtime import Submissions
from pipeline.policy import load_policy
from pipeline.post import Post, load_post


def _commit(root: Path, when: str) -> str:
    git(root, "add", "-A")
    stamp = dt.datetime.fromisoformat(when).replace(tzinfo=TZ).isoformat()
    git(root, "commit", "-q", "-m", when, env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
    return git(root, "rev-parse", "HEAD").strip()


def _load(root: Path, post_id: str) -> Post:
    post, findings = load_post(root / "posts" / post_id, root, load_policy(root))
    assert post.ok, findings
    return post


def test_focused_answers_equal_full_ones(make_repo: Callable[..., Path]) -> None:
    root = make_repo({}, commit=False)
    git(root, "init", "-q", "-b", "main")
    write_post(root, "2026/12-01-old", post_text())
    write_post(root, "2026/12-02-[odd]", post_text())  # a name with glob characters
    _commit(root, "2026-11-01 09:00")
    git(root, "checkout", "-q", "-b", "post/card")
    write_post(root, "2026/12-05-card", post_text())
    _commit(root, "2026-11-18 15:00")
    write_post(root, "2026/12-06-draft", post_text())  # not committed
    posts = [_load(root, i) for i in ("2026/12-01-old", "2026/12-02-[odd]", "2026/12-05-card", "2026/12-06-draft")]

    full = Submissions(root, NOW, TZ, base="main")
    focused = Submissions(root, NOW, TZ, base="main")
    focused.focus(p.path for p in posts[1:])
    assert [focused.get(p) for p in posts[1:]] == [full.get(p) for p in posts[1:]]
    assert focused.paths is not None and set(focused.main) == {"posts/2026/12-02-[odd]/index.md", posts[2].path}
    # a post outside the focus: everything is read, and the answer is still right
    assert focused.get(posts[0]) == full.get(posts[0]) and focused.paths is None
    assert focused.get(posts[0]).detail.startswith("commit ")
    assert focused.get(posts[3]).source == "uncommitted"
