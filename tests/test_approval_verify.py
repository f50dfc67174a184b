"""`verify_commit`: what the publisher ships is what a merged pull request had approved (real git, stand-in forge)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, post_text, write_post
from forge_standin import FULL_TOKEN, REPO, ForgeData, GitHubStandin

from pipeline.approval import verify_commit
from pipeline.forge import GitHubForge, ReviewsFileForge
from pipeline.policy import load_policy
from pipeline.post import load_post

PID = "2026/12-05-card-offer"


def sha(root: Path, rev: str = "HEAD") -> str:
    return git(root, "rev-parse", rev).strip()


@pytest.fixture
def merged(make_repo: Callable[..., Path]) -> tuple[Path, ForgeData, str, str]:
    """A post added on a branch (head C), merged into main with a merge commit (M); reviews approve C."""
    root = make_repo({})
    git(root, "checkout", "-q", "-b", "post")
    write_post(root, PID, post_text())
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "add post")
    head = sha(root)
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "-m", "Merge #7", "post")
    merge = sha(root)
    d = ForgeData()
    d.teams.update({"xxbank/compliance": {}, "xxbank/ebanking": {}, "xxbank/leadership": {}})
    d.add_pull(
        7, head=head, merged=True, merge_commit_sha=merge, files=[f"posts/{PID}/index.md", f"posts/{PID}/cover.jpg"]
    )
    for i, user in enumerate(["li-retail", "he-compliance", "lv-ebank"]):
        d.review(7, user, "APPROVED", head, f"2026-11-20T0{i + 2}:00:00Z")
    return root, d, head, merge


def _verify(root: Path, d: ForgeData, commit: str):  # type: ignore[no-untyped-def]
    policy = load_policy(root)
    post, _ = load_post(root / "posts" / PID, root, policy)
    with GitHubStandin(d) as srv:
        forge = GitHubForge(REPO, FULL_TOKEN, base_url=srv.url)
        return verify_commit(forge, policy, root, commit, post)


def test_merged_and_approved_content_verifies(merged) -> None:  # type: ignore[no-untyped-def]
    root, d, head, merge = merged
    v = _verify(root, d, merge)
    assert v.ok, v.reasons
    assert v.pr == 7 and v.head_sha == head


def test_a_later_unrelated_commit_still_verifies(merged) -> None:  # type: ignore[no-untyped-def]
    root, d, _, _ = merged
    (root / "README.md").write_text("x\n", encoding="utf-8")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "readme")
    assert _verify(root, d, sha(root)).ok


def test_a_direct_push_changing_the_post_is_rejected(merged) -> None:  # type: ignore[no-untyped-def]
    root, d, _, _ = merged
    index = root / "posts" / PID / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("免收年费", "稳赚不赔"), encoding="utf-8")
    git(root, "commit", "-q", "-am", "sneaky edit")
    v = _verify(root, d, sha(root))
    assert not v.ok
    assert "came through no merged pull request" in v.reasons[0]


def test_squash_with_other_content_than_the_approved_head_is_rejected(merged) -> None:  # type: ignore[no-untyped-def]
    root, d, _, _ = merged
    index = root / "posts" / PID / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + "\n追加内容。\n", encoding="utf-8")
    git(root, "commit", "-q", "-am", "squashed #8")
    squash = sha(root)
    d.add_pull(8, head=sha(root, "post"), merged=True, merge_commit_sha=squash, files=[f"posts/{PID}/index.md"])
    for i, user in enumerate(["li-retail", "he-compliance", "lv-ebank"]):
        d.review(8, user, "APPROVED", sha(root, "post"), f"2026-11-21T0{i + 2}:00:00Z")
    v = _verify(root, d, squash)
    assert not v.ok
    assert any(
        r.startswith("[approval/content-changed]") and "differs from the content approved in #8" in r for r in v.reasons
    )


def test_unapproved_merge_is_rejected(merged) -> None:  # type: ignore[no-untyped-def]
    root, d, _, merge = merged
    d.reviews[7] = d.reviews[7][:2]  # no e-banking approval
    v = _verify(root, d, merge)
    assert not v.ok and any("approval/ebanking-missing" in r for r in v.reasons)


def test_approved_head_missing_locally_is_rejected(merged) -> None:  # type: ignore[no-untyped-def]
    root, d, _, merge = merged
    ghost = "9" * 40
    d.pulls[7]["head"]["sha"] = ghost
    d.commits[7].append({"sha": sha(root, "post"), "author": {"login": "editor"}, "committer": {"login": "editor"}})
    for r in d.reviews[7]:
        r["commit_id"] = ghost
    v = _verify(root, d, merge)
    assert not v.ok and any("is not in the repository" in r for r in v.reasons)


def test_verify_through_a_reviews_file(merged, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    root, _, _, merge = merged
    doc = json.loads((Path(__file__).parent / "fixtures/reviews/approved.json").read_text(encoding="utf-8"))
    doc["pull"].update({"merged": True, "head": {"sha": "git:post"}, "merge_commit_sha": "git:main"})
    for r in doc["reviews"]:
        r["commit_id"] = "git:post"
    doc["commits"] = [{"sha": "git:post", "author": {"login": "editor"}, "committer": {"login": "editor"}}]
    f = tmp_path / "reviews.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    policy = load_policy(root)
    post, _ = load_post(root / "posts" / PID, root, policy)
    assert verify_commit(ReviewsFileForge(f, root=root), policy, root, merge, post).ok
