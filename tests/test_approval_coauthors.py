"""Self-approval through `Co-authored-by:` trailers: a co-author cannot approve, like an author.

Pure evaluation with `Commit` values, and end to end through the GitHub and Gitea stand-ins and a reviews
file (the forges return the trailers only inside `commit.message`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, post_text
from forge_standin import FULL_TOKEN, REPO, ForgeData, GiteaStandin, GitHubStandin
from test_approval import HEAD, Case

from pipeline.approval import co_author_login
from pipeline.cli import main
from pipeline.forge.base import CoAuthor, Commit, co_authors_of, commit_from_json
from pipeline.policy import load_policy

PID = "2026/12-05-card-offer"


@pytest.fixture
def case(make_repo: Callable[..., Path]) -> Case:
    root = make_repo(commit=False)
    c = Case(root, load_policy(root))
    c.post()
    c.base_approvals()
    return c


def with_co_author(case: Case, name: str, email: str, **commit: str) -> None:
    case.commits = [Commit(HEAD, "editor", "editor", co_authors=(CoAuthor(name, email),), **commit)]  # type: ignore[arg-type]


# -- parsing -----------------------------------------------------------------------------------


def test_trailers_are_read_from_the_message() -> None:
    msg = (
        "Post: card offer\n\nBody text.\n\n"
        "Co-authored-by: Li Wei <1234+li-retail@users.noreply.github.com>\n"
        "co-authored-by:  Zhang San  <zhangsan@bank.example>\n"
        "Co-Authored-By: Li Wei <1234+li-retail@users.noreply.github.com>\n"
        "Co-authored-by: he-compliance\n"
        "Signed-off-by: Editor <editor@bank.example>\n"
    )
    assert co_authors_of(msg) == (
        CoAuthor("Li Wei", "1234+li-retail@users.noreply.github.com"),
        CoAuthor("Zhang San", "zhangsan@bank.example"),
        CoAuthor("he-compliance", ""),
    )
    c = commit_from_json({"sha": "a" * 40, "commit": {"message": msg, "author": {"email": "ed@bank.example"}}})
    assert len(c.co_authors) == 3 and c.author_email == "ed@bank.example"
    assert commit_from_json({"sha": "b" * 40, "message": "x\n\nCo-authored-by: a <a@b.c>"}).co_authors  # flat shape
    assert commit_from_json({"sha": "c" * 40}).co_authors == ()


@pytest.mark.parametrize(
    ("email", "login"),
    [
        ("1234+li-retail@users.noreply.github.com", "li-retail"),
        ("li-retail@users.noreply.github.com", "li-retail"),
        ("LI-Retail@Users.NoReply.GitHub.com", "LI-Retail"),
        ("li-retail@noreply.git.bank.example", "li-retail"),  # Gitea's hidden address
        ("li@bank.example", ""),
        ("li-retail@users.noreply.github.com.evil.example", ""),
    ],
)
def test_co_author_login_from_noreply_addresses(email: str, login: str) -> None:
    assert co_author_login(CoAuthor("Li", email), {}) == login


# -- evaluation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "email", "commit"),
    [
        ("Li Wei", "98765+li-retail@users.noreply.github.com", {}),
        ("Li Wei", "li-retail@users.noreply.github.com", {}),
        ("li-retail", "li.wei@home.example", {}),  # the trailer's name is the reviewer's login
    ],
)
def test_a_co_author_cannot_approve(case: Case, name: str, email: str, commit: dict[str, str]) -> None:
    assert case.run().ok  # the unit head's approval counts...
    with_co_author(case, name, email, **commit)
    verdict = case.run()
    assert not verdict.ok  # ...not once they are named as co-author
    assert any("li-retail approved but is named as co-author of hhhhhhh" in n for n in verdict.notes), verdict.notes


def test_a_co_author_known_by_a_commit_e_mail_cannot_approve(case: Case) -> None:
    case.commits = [
        Commit(HEAD, "editor", "editor", co_authors=(CoAuthor("Li Wei", "li.wei@bank.example"),)),
        Commit("e" * 40, "li-retail", "li-retail", author_email="Li.Wei@bank.example"),
    ]
    verdict = case.run()
    assert not verdict.ok and verdict.warnings == []


def test_an_unverifiable_co_author_is_a_warning_not_a_failure(case: Case) -> None:
    with_co_author(case, "Zhang San", "zhangsan@bank.example")
    verdict = case.run()
    assert verdict.ok and verdict.reasons == []
    [warning] = verdict.warnings
    assert warning.startswith("[approval/unverified-co-author] commit hhhhhhh names co-author Zhang San")
    assert verdict.to_dict()["warnings"] == verdict.warnings


# -- end to end: forges, reviews file, the gate's output and the form --------------------------


def forge_data(root: Path) -> tuple[ForgeData, str]:
    head = git(root, "rev-parse", "HEAD").strip()
    d = ForgeData()
    d.add_pull(7, author="editor", head=head, files=[f"posts/{PID}/index.md"], base=head)
    d.teams.update({"xxbank/compliance": {}, "xxbank/ebanking": {}, "xxbank/leadership": {}})
    d.review(7, "li-retail", "APPROVED", head, "2026-11-20T02:00:00Z")
    d.review(7, "he-compliance", "APPROVED", head, "2026-11-20T03:00:00Z")
    d.review(7, "lv-ebank", "APPROVED", head, "2026-11-20T04:00:00Z")
    return d, head


@pytest.fixture
def repo(make_repo: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo({PID: post_text()})
    for var in ("GITHUB_TOKEN", "GITEA_TOKEN", "GITHUB_API_URL", "GITEA_URL", "GITHUB_EVENT_PATH", "GITHUB_SERVER_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    return root


def test_github_and_gitea_gates_refuse_a_co_author_s_approval(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    d, head = forge_data(repo)
    monkeypatch.setenv("GITHUB_TOKEN", FULL_TOKEN)
    monkeypatch.setenv("GITEA_TOKEN", FULL_TOKEN)
    with GitHubStandin(d) as gh, GiteaStandin(d) as gt:
        monkeypatch.setenv("GITHUB_API_URL", gh.url)
        gitea = ["--forge", "gitea", "--forge-url", gt.url]
        assert main(["approvals", "--pr", "7", "--root", str(repo)]) == 0
        assert main(["approvals", "--pr", "7", "--root", str(repo), *gitea]) == 0
        d.message(7, head, "Add post\n\nCo-authored-by: Li Wei <4242+li-retail@users.noreply.github.com>\n")
        capsys.readouterr()
        assert main(["approvals", "--pr", "7", "--root", str(repo)]) == 1
        assert main(["approvals", "--pr", "7", "--root", str(repo), *gitea]) == 1
    out = capsys.readouterr().out
    assert out.count("li-retail approved but is named as co-author") == 2


def test_unverifiable_co_author_is_printed_by_the_gate_and_listed_on_the_form(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d, head = forge_data(repo)
    d.message(
        7, head, "Add post\n\nCo-authored-by: Zhang San <zhangsan@bank.example>\n", author_email="ed@bank.example"
    )
    f = tmp_path / "pr7.json"
    names = ("xxbank/compliance", "xxbank/ebanking", "xxbank/leadership", "xxbank/technology")
    teams: dict[str, list[str]] = {t: [] for t in names}
    doc = {"pull": d.pulls[7], "reviews": d.reviews[7], "commits": d.commits[7], "files": d.files[7], "teams": teams}
    f.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["approvals", "--pr", "7", "--reviews-file", str(f), "--root", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "warning: [approval/unverified-co-author]" in out and "Zhang San <zhangsan@bank.example>" in out
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "审批人请确认" in summary and "Zhang San" in summary
    for fmt in ("markdown", "html"):
        out_file = tmp_path / f"form.{fmt}"
        args = ["form", str(repo / "posts" / PID), "--reviews-file", str(f), "--format", fmt, "-o", str(out_file)]
        assert main([*args, "--root", str(repo)]) == 0
        form = out_file.read_text(encoding="utf-8")
        assert "审批提示（审批人须确认）" in form and "Zhang San" in form and "合著者身份无法核实" in form
