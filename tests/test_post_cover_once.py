"""load_post resolves the cover once; cover_path answers from it, and resolves afresh for a changed post."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from conftest import post_text

from pipeline.policy import load_policy
from pipeline.post import cover_path, load_post


def test_cover_resolved_once(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"2026/12-05-card": post_text()})
    post, _ = load_post(root / "posts" / "2026" / "12-05-card", root, load_policy(root))
    assert post.meta is not None and post.resolved_cover is not None
    assert cover_path(post, root) == post.folder / post.meta.cover
    (post.folder / post.meta.cover).unlink()  # the answer is the one from loading time, like the text
    assert cover_path(post, root) == post.folder / post.meta.cover
    fresh = dataclasses.replace(post)  # a new Post (e.g. edited by a caller) carries no resolution
    assert fresh.resolved_cover is None and cover_path(fresh, root) is None
    other = post.meta.model_copy(update={"cover": "nope.jpg"})
    post.meta = other  # a different cover name is resolved again
    assert cover_path(post, root) is None
