"""Approvals judged by the policy the change was reviewed against (the base), everywhere: the publisher's
re-verification, `wxpub approvals` on a stale branch, revocation after the merge. Real git repositories,
the GitHub stand-in on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, post_text, write_post
from forge_standin import FULL_TOKEN, REPO, ForgeData, GitHubStandin
from test_publish import CARD, World, world  # noqa: F401 (the publisher's world fixture)

from pipeline.approval import merge_base_commit, verify_commit
from pipeline.cli import main
from pipeline.forge import GitHubForge
from pipeline.forge.base import Commit, PullRequest
from pipeline.form import render_form
from pipeline.policy import load_policy
from pipeline.post import load_post

PID = "2026/12-05-card-offer"
POLICY = "policy/policy.yml"


def sha(root: Path, rev: str = "HEAD") -> str:
    return git(root, "rev-parse", rev).strip()


def edit_policy(root: Path, old: str, new: str, message: str) -> None:
    f = root / POLICY
    text = f.read_text(encoding="utf-8")
    assert old in text
    f.write_text(text.replace(old, new), encoding="utf-8")
    git(root, "commit", "-q", "-am", message)


COMPLIANCE = "compliance: {users: [qian-compliance, he-compliance]}"


def approve(d: ForgeData, n: int, head: str, users: list[str], day: int = 20) -> None:
    for i, user in enumerate(users):
        d.review(n, user, "APPROVED", head, f"2026-11-{day}T0{i + 2}:00:00Z")


def merged_pr(root: Path, *, friend: bool = False, how: str = "merge") -> tuple[ForgeData, str, str, str]:
    """Branch `post` adds the post (and, with `friend`, makes mallory a compliance approver); merged into
    main by `how` (merge, squash or rebase). Returns (forge data, head, merge commit, base)."""
    base = sha(root)
    git(root, "checkout", "-q", "-b", "post")
    if friend:
        edit_policy(root, COMPLIANCE, "compliance: {users: [qian-compliance, he-compliance, mallory]}", "policy")
    write_post(root, PID, post_text())
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "add post")
    head = sha(root)
    git(root, "checkout", "-q", "main")
    if how == "merge":
        git(root, "merge", "-q", "--no-ff", "-m", "Merge #7", "post")
    elif how == "squash":
        git(root, "merge", "-q", "--squash", "post")
        git(root, "commit", "-q", "-m", "post (#7)")
    else:
        git(root, "cherry-pick", f"{base}..post")
    merge = sha(root)
    d = ForgeData()
    files = [f"posts/{PID}/index.md", f"posts/{PID}/cover.jpg"] + ([POLICY] if friend else [])
    own = [(c, "editor", "editor") for c in git(root, "rev-list", "--reverse", f"{base}..post").split()]
    d.add_pull(7, head=head, merged=True, merge_commit_sha=merge, files=files, base=base, commits=own)
    return d, head, merge, base


def verify(root: Path, d: ForgeData, commit: str):  # type: ignore[no-untyped-def]
    policy = load_policy(root)  # the caller's: main's working tree, after the merge
    post, _ = load_post(root / "posts" / PID, root, policy)
    with GitHubStandin(d) as srv:
        return verify_commit(GitHubForge(REPO, FULL_TOKEN, base_url=srv.url), policy, root, commit, post)


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo({})


# -- 1. the publisher re-verifies by the policy at the merge's first parent --------------------------


@pytest.mark.parametrize("how", ["merge", "squash", "rebase"])
def test_a_pr_that_adds_a_friend_to_compliance_is_not_verified_after_the_merge(repo: Path, how: str) -> None:
    d, head, merge, base = merged_pr(repo, friend=True, how=how)
    approve(d, 7, head, ["li-retail", "mallory", "lv-ebank"])
    v = verify(repo, d, merge)
    assert not v.ok, "judged by the policy the pull request brought with it"
    assert v.policy_commit == base
    assert any("approval/compliance-missing" in r for r in v.reasons)
    assert any("mallory approved but is not an approver" in n for n in v.notes)


def test_the_same_merge_approved_by_a_real_officer_verifies_and_names_the_policy_commit(repo: Path) -> None:
    d, head, merge, base = merged_pr(repo, friend=True)
    approve(d, 7, head, ["li-retail", "he-compliance", "sun-tech", "lv-ebank"])  # a policy change: technology too
    v = verify(repo, d, merge)
    assert v.ok, v.reasons
    assert v.policy_commit == base and v.to_dict()["policy_commit"] == base


def test_the_base_of_a_rebase_merge_steps_over_the_pull_requests_own_commits(repo: Path) -> None:
    base = sha(repo)
    git(repo, "checkout", "-q", "-b", "post")
    edit_policy(repo, COMPLIANCE, "compliance: {users: [mallory]}", "policy first")
    write_post(repo, PID, post_text())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "then the post")
    own = git(repo, "rev-list", f"{base}..post").split()
    git(repo, "checkout", "-q", "main")
    git(repo, "cherry-pick", f"{base}..post")  # the rebased copies: other shas, same authors and dates
    pr = PullRequest(7, "editor", None, sha(repo, "post"), merged=True, merge_commit_sha=sha(repo))
    assert merge_base_commit(repo, pr, [Commit(c) for c in own]) == base
    assert merge_base_commit(repo, pr, []) == sha(repo, "HEAD^")  # without the commits: only the first parent


def test_a_merge_commit_missing_locally_is_not_verified(repo: Path) -> None:
    d, head, merge, _ = merged_pr(repo)
    approve(d, 7, head, ["li-retail", "he-compliance", "lv-ebank"])
    d.pulls[7]["merge_commit_sha"] = "9" * 40
    v = verify(repo, d, merge)
    assert not v.ok and any("cannot be read" in r for r in v.reasons)


# -- 3. revocation after the merge -----------------------------------------------------------------


def test_an_approver_removed_after_the_merge_still_counts_and_is_shown_revoked(repo: Path) -> None:
    d, head, _merge, base = merged_pr(repo)
    approve(d, 7, head, ["li-retail", "he-compliance", "lv-ebank"])
    edit_policy(repo, COMPLIANCE, "compliance: {users: [qian-compliance]}", "he-compliance leaves")
    v = verify(repo, d, sha(repo))
    assert v.ok, v.reasons  # tied to the moment it was given: the policy at the merge's base
    assert v.policy_commit == base
    (tier, approval) = v.revoked[0]
    assert approval.login == "he-compliance" and tier.startswith("合规部")
    assert any(w.startswith("[approval/approver-revoked]") and "he-compliance" in w for w in v.warnings)
    policy = load_policy(repo)
    post, _ = load_post(repo / "posts" / PID, repo, policy)
    form = render_form(post, repo, policy, verdict=v)
    assert "he-compliance（资格已撤销）" in form.markdown and "审批人已不在现行审批名单中" in form.markdown
    assert base[:10] in form.markdown  # the policy version the approval was judged by
    assert "he-compliance（资格已撤销）" in form.html


def test_the_publication_record_names_the_policy_commit(world: World, tmp_path: Path) -> None:  # noqa: F811
    """The real `wxpub publish` against the WeChat sandbox records which policy judged the approval."""
    out = world.publish("--records-dir", str(tmp_path / "recs"))
    assert out.returncode == 0, out.stdout + out.stderr
    record = json.loads((tmp_path / "recs" / "records" / f"{CARD}.json").read_text(encoding="utf-8"))
    verify_events = [e for e in record["events"] if e.get("step") == "verify" and e.get("status") == "done"]
    assert verify_events, json.dumps(record["events"], ensure_ascii=False)[:1500]
    assert verify_events[0]["data"]["policy_commit"] == sha(world.root)


# -- 2. `wxpub approvals` reads the policy at the base commit the forge reports ----------------------


@pytest.fixture
def stale_branch(repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, ForgeData]:
    """A branch cut before main revoked he-compliance, checked out at its head; the PR's base is main."""
    for var in ("GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_EVENT_PATH"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    git(repo, "checkout", "-q", "-b", "post")
    write_post(repo, PID, post_text())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add post")
    git(repo, "checkout", "-q", "main")
    edit_policy(repo, COMPLIANCE, "compliance: {users: [qian-compliance]}", "revoke he-compliance")
    git(repo, "checkout", "-q", "post")
    d = ForgeData()
    d.add_pull(7, head=sha(repo), files=[f"posts/{PID}/index.md"], base=sha(repo, "main"))
    return repo, d


def test_approvals_on_a_stale_branch_use_the_base_commits_policy(
    stale_branch: tuple[Path, ForgeData], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, d = stale_branch
    approve(d, 7, sha(repo), ["li-retail", "he-compliance", "lv-ebank"])
    with GitHubStandin(d) as srv:
        monkeypatch.setenv("GITHUB_API_URL", srv.url)
        monkeypatch.setenv("GITHUB_TOKEN", FULL_TOKEN)
        assert main(["approvals", "--pr", "7", "--root", str(repo)]) == 1
        out = capsys.readouterr().out
        assert "he-compliance approved but is not an approver" in out
        assert f"read from the policy at {sha(repo, 'main')[:7]} (main)" in out
        d.review(7, "qian-compliance", "APPROVED", sha(repo), "2026-11-20T05:00:00Z")
        d.review(7, "lv-ebank", "APPROVED", sha(repo), "2026-11-20T06:00:00Z")
        assert main(["approvals", "--pr", "7", "--root", str(repo), "--format", "json"]) == 0
        doc = json.loads(capsys.readouterr().out)
    assert doc["policy_commit"] == sha(repo, "main")


def test_approvals_exit_2_when_the_base_commit_is_not_here(
    stale_branch: tuple[Path, ForgeData], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, d = stale_branch
    approve(d, 7, sha(repo), ["li-retail", "qian-compliance", "lv-ebank"])
    d.pulls[7]["base"]["sha"] = "e" * 40  # a base this clone never fetched (a shallow checkout)
    with GitHubStandin(d) as srv:
        monkeypatch.setenv("GITHUB_API_URL", srv.url)
        monkeypatch.setenv("GITHUB_TOKEN", FULL_TOKEN)
        assert main(["approvals", "--pr", "7", "--root", str(repo)]) == 2
    err = capsys.readouterr().err
    assert "base commit eeeeeee of pull request #7 is not in this checkout" in err
    assert f"git fetch origin {'e' * 40}" in err and "Traceback" not in err


def test_the_form_of_a_pull_request_is_judged_by_the_base_commits_policy_too(
    stale_branch: tuple[Path, ForgeData], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo, d = stale_branch
    approve(d, 7, sha(repo), ["li-retail", "he-compliance", "lv-ebank"])
    out = tmp_path / "form.md"
    with GitHubStandin(d) as srv:
        monkeypatch.setenv("GITHUB_API_URL", srv.url)
        monkeypatch.setenv("GITHUB_TOKEN", FULL_TOKEN)
        args = ["form", str(repo / "posts" / PID), "--pr", "7", "-o", str(out), "--root", str(repo)]
        assert main(args) == 0
    form = out.read_text(encoding="utf-8")
    assert "未通过" in form and "已通过全部审批层级" not in form  # he-compliance was revoked on main
    assert f"| 审批依据的政策版本 | {sha(repo, 'main')[:10]} |" in form


def test_approvals_on_gitea_read_the_base_commits_policy_too(
    stale_branch: tuple[Path, ForgeData], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from forge_standin import GiteaStandin

    repo, d = stale_branch
    approve(d, 7, sha(repo), ["li-retail", "he-compliance", "lv-ebank"])
    monkeypatch.setenv("GITEA_TOKEN", FULL_TOKEN)
    with GiteaStandin(d) as srv:
        args = ["approvals", "--pr", "7", "--forge", "gitea", "--forge-url", srv.url, "--root", str(repo)]
        assert main(args) == 1
    assert "he-compliance approved but is not an approver" in capsys.readouterr().out
