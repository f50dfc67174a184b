"""`wxpub approvals`: exit codes, the table, JSON and the step summary, against reviews files and stand-ins."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, post_text
from forge_standin import FULL_TOKEN, REPO, REPO_TOKEN, ForgeData, GiteaStandin, GitHubStandin

from pipeline.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "reviews"
PID = "2026/12-05-card-offer"


@pytest.fixture
def repo(make_repo: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo({PID: post_text()}, teams=True)
    for var in ("GITHUB_TOKEN", "GITEA_TOKEN", "GITHUB_API_URL", "GITEA_URL", "GITHUB_EVENT_PATH", "GITHUB_SERVER_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    return root


def summary(tmp_path: Path) -> str:
    return (tmp_path / "summary.md").read_text(encoding="utf-8")


def forge_data(root: Path, *, compliance: str = "he-compliance") -> ForgeData:
    head = git(root, "rev-parse", "HEAD").strip()
    d = ForgeData()
    base = git(root, "rev-parse", "main").strip()
    d.add_pull(7, author="editor", head=head, files=[f"posts/{PID}/index.md"], base=base)
    d.teams.update(
        {"xxbank/compliance": {"compliance-staff": "active"}, "xxbank/ebanking": {}, "xxbank/leadership": {}}
    )
    d.review(7, "li-retail", "APPROVED", head, "2026-11-20T02:00:00Z")
    d.review(7, compliance, "APPROVED", head, "2026-11-20T03:00:00Z")
    d.review(7, "lv-ebank", "APPROVED", head, "2026-11-20T04:00:00Z")
    return d


def test_approved_reviews_file_exits_0_and_writes_the_summary(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["approvals", "--pr", "7", "--reviews-file", str(FIXTURES / "approved.json"), "--root", str(repo)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "approved: every tier is satisfied" in out
    assert "个人金融部负责人" in out and "li-retail (2026-11-20 10:00)" in out
    md = summary(tmp_path)
    assert "### wxpub approvals: pull request #7 ✅ approved" in md
    assert "| 合规部 (compliance) | 1 | he-compliance (2026-11-20 11:00) | 0 |" in md


def test_changes_requested_exits_1(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = str(FIXTURES / "changes-requested.json")
    code = main(["approvals", "--pr", "7", "--reviews-file", f, "--root", str(repo), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert doc["ok"] is False and doc["posts"] == [PID]
    compliance = next(t for t in doc["tiers"] if t["key"] == "compliance")
    assert compliance["blocked_by"][0]["login"] == "qian-compliance"
    assert "blocked by qian-compliance" in summary(tmp_path)
    assert "❌ not approved" in summary(tmp_path)


def test_github_standin_pass_and_fail(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    d = forge_data(repo)
    with GitHubStandin(d) as srv:
        monkeypatch.setenv("GITHUB_API_URL", srv.url)
        monkeypatch.setenv("GITHUB_TOKEN", FULL_TOKEN)
        assert main(["approvals", "--pr", "7", "--root", str(repo)]) == 0
        d.reviews[7][1]["commit_id"] = "0" * 40  # compliance approved an older head
        assert main(["approvals", "--pr", "7", "--root", str(repo)]) == 1
    out = capsys.readouterr().out
    assert "he-compliance approved commit 0000000" in out
    assert FULL_TOKEN not in out


def test_pr_number_from_the_event_file(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "submitted", "pull_request": {"number": 7}}), encoding="utf-8")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    assert main(["approvals", "--reviews-file", str(FIXTURES / "approved.json"), "--root", str(repo)]) == 0
    monkeypatch.delenv("GITHUB_EVENT_PATH")
    assert main(["approvals", "--reviews-file", str(FIXTURES / "approved.json"), "--root", str(repo)]) == 2


def test_token_that_cannot_read_teams_fails_closed_with_exit_2(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    d = forge_data(repo, compliance="compliance-staff")  # counts only through team membership
    with GitHubStandin(d) as srv:
        monkeypatch.setenv("GITHUB_API_URL", srv.url)
        monkeypatch.setenv("GITHUB_TOKEN", REPO_TOKEN)
        code = main(["approvals", "--pr", "7", "--root", str(repo)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Members: read" in err and "xxbank/compliance" in err and REPO_TOKEN not in err
    assert "could not be checked" in summary(tmp_path)


def test_missing_token_is_a_config_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["approvals", "--pr", "7", "--root", str(repo)]) == 2
    assert "GITHUB_TOKEN is not set" in capsys.readouterr().err


def test_gitea_forge_flag(repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    d = forge_data(repo, compliance="compliance-staff")
    with GiteaStandin(d) as srv:
        monkeypatch.setenv("GITEA_TOKEN", FULL_TOKEN)
        args = ["approvals", "--pr", "7", "--forge", "gitea", "--forge-url", srv.url, "--root", str(repo)]
        assert main(args) == 0
        d.review(7, "compliance-staff", "CHANGES_REQUESTED", d.pulls[7]["head"]["sha"], "2026-11-20T05:00:00Z")
        assert main(args) == 1
    assert "blocked: compliance-staff" in capsys.readouterr().out


def _reviews_file(tmp_path: Path, d: ForgeData, n: int = 7) -> str:
    f = tmp_path / f"pr{n}.json"
    teams = {t: [] for t in ("xxbank/compliance", "xxbank/ebanking", "xxbank/leadership", "xxbank/technology")}
    doc = {"pull": d.pulls[n], "reviews": d.reviews[n], "commits": d.commits[n], "files": d.files[n], "teams": teams}
    f.write_text(json.dumps(doc), encoding="utf-8")
    return str(f)


def test_a_pull_request_cannot_lower_its_own_bar(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = git(repo, "rev-parse", "main").strip()
    git(repo, "checkout", "-q", "-b", "lower-the-bar")
    policy_file = repo / "policy" / "policy.yml"
    text = policy_file.read_text(encoding="utf-8")
    policy_file.write_text(text.replace("technology: {users: [sun-tech, yang-tech]", "technology: {users: [mallory]"))
    git(repo, "commit", "-q", "-am", "policy: make mallory technology")
    head = git(repo, "rev-parse", "HEAD").strip()
    d = ForgeData()
    d.add_pull(7, author="editor", head=head, files=["policy/policy.yml"], base=base)
    d.review(7, "mallory", "APPROVED", head, "2026-11-20T02:00:00Z")
    d.review(7, "lv-ebank", "APPROVED", head, "2026-11-20T03:00:00Z")
    f = _reviews_file(tmp_path, d)
    # Judged by the base branch's policy (main), mallory is nobody: not approved.
    assert main(["approvals", "--pr", "7", "--reviews-file", f, "--root", str(repo)]) == 1
    out = capsys.readouterr().out
    assert f"read from the policy at {base[:7]} (main)" in out and "mallory approved but is not an approver" in out
    # With the base commit missing from the checkout the gate cannot know the bar: it fails closed.
    d.pulls[7]["base"]["sha"] = "9" * 40
    f = _reviews_file(tmp_path, d)
    assert main(["approvals", "--pr", "7", "--reviews-file", f, "--root", str(repo)]) == 2
    err = capsys.readouterr().err
    assert "must be judged by the policy at its base" in err and "git fetch origin 9999999" in err
    # The same reviews on the proposed policy would pass: the base-branch rule is what stops it.
    assert main(["approvals", "--pr", "7", "--reviews-file", f, "--root", str(repo), "--policy-ref", "HEAD"]) == 0


def test_the_checkout_must_be_the_reviewed_head_or_its_merge(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(repo, "checkout", "-q", "-b", "pr")
    index = repo / "posts" / PID / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + "\n补充说明。\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "edit the post")
    d = forge_data(repo)  # the PR head is the tip of `pr`
    git(repo, "checkout", "-q", "main")
    (repo / "README.md").write_text("base moved on\n", encoding="utf-8")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "base")
    # GitHub checks out refs/pull/N/merge: a merge commit whose second parent is the head.
    git(repo, "checkout", "-q", "-b", "merge-ref")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "pr")
    assert main(["approvals", "--pr", "7", "--reviews-file", _reviews_file(tmp_path, d), "--root", str(repo)]) == 0
    # A checkout that is neither: the posts read may not be the posts reviewed.
    git(repo, "checkout", "-q", "main")
    assert main(["approvals", "--pr", "7", "--reviews-file", _reviews_file(tmp_path, d), "--root", str(repo)]) == 1
    assert "the posts read are not the ones reviewed" in capsys.readouterr().out


def test_a_token_that_cannot_read_teams_fails_closed_whoever_reviewed(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    d = forge_data(repo)  # li-retail, he-compliance, lv-ebank: every one listed by login in the policy
    with GitHubStandin(d) as srv:
        monkeypatch.setenv("GITHUB_API_URL", srv.url)
        monkeypatch.setenv("GITHUB_TOKEN", REPO_TOKEN)
        assert main(["approvals", "--pr", "7", "--root", str(repo)]) == 2
        assert "Members: read" in capsys.readouterr().err
        monkeypatch.setenv("GITHUB_TOKEN", FULL_TOKEN)
        assert main(["approvals", "--pr", "7", "--root", str(repo)]) == 0
