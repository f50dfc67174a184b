"""Who counts as whom: editors bound to their units, tiers from the products the checker detects, and
authors whose e-mail maps to no forge account. Pure evaluation on real posts, and the gate end to end
on a real git repository against the GitHub stand-in."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, policy_with_teams, post_text
from forge_standin import FULL_TOKEN, REPO, REPO_TOKEN, ForgeData, GitHubStandin
from test_approval import HEAD, Case, at, unordered

from pipeline.approval import required_tiers
from pipeline.cli import main
from pipeline.forge.base import Commit, PullRequest
from pipeline.policy import load_policy, parse_policy

PID = "2026/12-05-card-offer"
RETAIL = "  - {name: 个人金融部, kind: department, heads: {users: [li-retail]}}"
CARD = "  - {name: 银行卡部, kind: department, heads: {users: [chen-card]}}"
IDENTITY = "  li-retail: {emails: [li.retail@bank.example], names: [李零售]}"


def bound_policy(text: str) -> str:
    """The policy with editors: `editor` writes for 个人金融部, team xxbank/card-editors for 银行卡部."""
    assert RETAIL in text and CARD in text
    text = text.replace(RETAIL, RETAIL[:-1] + ", editors: {users: [editor]}}")
    text = text.replace(CARD, CARD[:-1] + ", editors: {teams: [xxbank/card-editors]}}")
    return with_identity(text)


def with_identity(text: str) -> str:
    assert "\nidentities: {}\n" in text
    return text.replace("\nidentities: {}\n", f"\nidentities:\n{IDENTITY}\n")


@pytest.fixture
def case(make_repo: Callable[..., Path]) -> Case:
    root = make_repo(commit=False, teams=True)
    policy_file = root / "policy" / "policy.yml"
    policy_file.write_text(bound_policy(policy_file.read_text(encoding="utf-8")), encoding="utf-8")
    c = Case(root, load_policy(root))
    return c


TEAMS = {
    "xxbank/compliance": [],
    "xxbank/ebanking": [],
    "xxbank/leadership": [],
    "xxbank/technology": [],
    "xxbank/card-editors": ["card-writer"],
}


def run(case: Case, policy=None):  # type: ignore[no-untyped-def]
    from pipeline.approval import evaluate

    p = policy or case.policy
    return evaluate(p, case.posts, case.paths, case.pr, case.reviews, case.commits, TEAMS)


# -- 4. editors bound to their units ---------------------------------------------------------------


def test_an_editor_submitting_for_their_own_unit_passes(case: Case) -> None:
    case.post()  # 个人金融部, by `editor`
    case.base_approvals()
    v = run(case)
    assert v.ok, v.reasons


def test_a_post_for_a_unit_the_author_does_not_edit_needs_that_heads_approval_first(case: Case) -> None:
    case.post(unit="银行卡部")
    case.review("he-compliance", hour=1)  # compliance signs before the card department's head
    case.review("chen-card", hour=2)
    case.review("lv-ebank", hour=3)
    v = run(case, unordered(case.policy))
    assert not v.ok
    reason = next(r for r in v.reasons if r.startswith("[approval/foreign-unit]"))
    assert "submitted for a unit you do not belong to" in reason
    assert "editor edits for 个人金融部, not 银行卡部" in reason and "chen-card" in reason


def test_the_named_units_head_approving_first_lifts_the_error(case: Case) -> None:
    case.post(unit="银行卡部")
    case.review("chen-card", hour=1)
    case.review("he-compliance", hour=2)
    case.review("lv-ebank", hour=3)
    v = run(case, unordered(case.policy))
    assert v.ok, v.reasons


def test_no_head_approval_at_all_is_the_foreign_unit_error_too(case: Case) -> None:
    case.post(unit="银行卡部")
    case.review("he-compliance", hour=1)
    v = run(case)
    assert not v.ok and any("[approval/foreign-unit]" in r for r in v.reasons)


def test_an_editor_through_a_team_submits_for_that_unit(case: Case) -> None:
    case.pr = PullRequest(7, "card-writer", at(0), HEAD)
    case.commits = [Commit(HEAD, "card-writer", "card-writer")]
    case.post(unit="银行卡部")
    case.review("he-compliance", hour=1)
    case.review("chen-card", hour=2)
    case.review("lv-ebank", hour=3)
    v = run(case, unordered(case.policy))
    assert v.ok, v.reasons


def test_without_editors_in_the_policy_no_unit_binding_applies(case: Case) -> None:
    case.post(unit="银行卡部")
    case.review("he-compliance", hour=1)
    case.review("chen-card", hour=2)
    case.review("lv-ebank", hour=3)
    plain = parse_policy(with_identity(policy_with_teams()))  # the shipped policy lists no editors
    v = run(case, unordered(plain))
    assert v.ok, v.reasons


def test_the_policy_validates_editors() -> None:
    from pipeline.errors import PolicyError

    text = policy_with_teams().replace(RETAIL, RETAIL[:-1] + ", editors: {user: [x]}}")
    with pytest.raises(PolicyError) as info:
        parse_policy(text)
    assert "units.3.editors.user: unknown key" in "\n".join(info.value.problems)


# -- 4. the tiers come from the products the checker detects ----------------------------------------


def test_an_undeclared_wealth_product_still_needs_leadership(case: Case) -> None:
    post = case.post(text=post_text(body="本行理财产品限时发售，欢迎咨询。\n", products=["card"]))
    specs, _ = required_tiers(case.policy, [post], case.paths)
    assert "leadership" in [s.key for s in specs]
    case.base_approvals()
    v = run(case)
    assert not v.ok and any(r.startswith("[approval/tier-missing] 行领导") for r in v.reasons)
    # declared products alone (the old behaviour) would not have asked for it
    specs, _ = required_tiers(case.policy, [post], case.paths, products={post.id: ["card"]})
    assert "leadership" not in [s.key for s in specs]


# -- 5. authors whose e-mail maps to no account -----------------------------------------------------


def test_an_unmapped_author_matched_by_the_policys_e_mail_cannot_approve(case: Case) -> None:
    case.commits = [Commit(HEAD, "", "editor", author_email="Li.Retail@bank.example", author_name="someone")]
    case.post()
    case.base_approvals()
    v = run(case)
    assert not v.ok
    assert any("li-retail approved but is the author someone <Li.Retail@bank.example>" in n for n in v.notes)


def test_an_unmapped_author_matched_by_name_cannot_approve(case: Case) -> None:
    case.commits = [Commit(HEAD, "", "editor", author_email="home@mail.example", author_name="李零售")]
    case.post()
    case.base_approvals()
    assert not run(case).ok
    case.commits = [Commit(HEAD, "", "editor", author_email="home@mail.example", author_name="He-Compliance")]
    v = run(case)
    assert not v.ok and any("he-compliance approved but is the author" in n for n in v.notes)


def test_an_unidentified_author_is_a_warning_not_a_failure(case: Case) -> None:
    case.commits = [Commit(HEAD, "", "editor", author_email="zs@bank.example", author_name="Zhang San")]
    case.post()
    case.base_approvals()
    v = run(case)
    assert v.ok, v.reasons
    assert any("[approval/unidentified-author]" in w and "Zhang San <zs@bank.example>" in w for w in v.warnings)


# -- the gate end to end on the stand-in ------------------------------------------------------------


@pytest.fixture
def repo(make_repo: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from conftest import write_post

    root = make_repo({}, policy=bound_policy(policy_with_teams()))
    git(root, "checkout", "-q", "-b", "post")
    write_post(root, PID, post_text(unit="银行卡部"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "post")
    for var in ("GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_EVENT_PATH"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    return root


def _data(root: Path, author: str = "editor") -> tuple[ForgeData, str]:
    head = git(root, "rev-parse", "HEAD").strip()
    d = ForgeData()
    d.add_pull(
        7, author=author, head=head, files=[f"posts/{PID}/index.md"], base=git(root, "rev-parse", "main").strip()
    )
    d.teams.update({t: {} for t in TEAMS})
    d.teams["xxbank/card-editors"] = {"card-writer": "active"}
    return d, head


def test_gate_foreign_unit_and_unidentified_author_on_the_standin(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    d, head = _data(repo)
    d.commits[7] = [{"sha": head, "author": None, "committer": None}]
    d.message(7, head, "post", author_email="zs@bank.example", author_name="Zhang San")
    d.review(7, "chen-card", "APPROVED", head, "2026-11-20T02:00:00Z")
    d.review(7, "he-compliance", "APPROVED", head, "2026-11-20T03:00:00Z")
    d.review(7, "lv-ebank", "APPROVED", head, "2026-11-20T04:00:00Z")
    with GitHubStandin(d) as srv:
        monkeypatch.setenv("GITHUB_API_URL", srv.url)
        monkeypatch.setenv("GITHUB_TOKEN", FULL_TOKEN)
        assert main(["approvals", "--pr", "7", "--root", str(repo)]) == 0  # the head of 银行卡部 signed first
        out = capsys.readouterr().out
        assert "warning: [approval/unidentified-author]" in out and "Zhang San <zs@bank.example>" in out
        d.reviews[7][0]["submitted_at"] = "2026-11-20T05:00:00Z"  # now the head signs after the others
        assert main(["approvals", "--pr", "7", "--root", str(repo), "--format", "json"]) == 1
        doc = json.loads(capsys.readouterr().out)
        assert any(r.startswith("[approval/foreign-unit]") for r in doc["reasons"])
        # the author's units come from a team: a token that cannot read it fails closed
        monkeypatch.setenv("GITHUB_TOKEN", REPO_TOKEN)
        assert main(["approvals", "--pr", "7", "--root", str(repo)]) == 2
    # the form lists the unidentified author for the approvers to confirm
    f = tmp_path / "pr7.json"
    f.write_text(
        json.dumps(
            {
                "pull": d.pulls[7],
                "reviews": d.reviews[7],
                "commits": d.commits[7],
                "files": d.files[7],
                "teams": {k: list(v) for k, v in d.teams.items()},
            }
        ),
        encoding="utf-8",
    )
    out_file = tmp_path / "form.md"
    assert (
        main(["form", str(repo / "posts" / PID), "--reviews-file", str(f), "-o", str(out_file), "--root", str(repo)])
        == 0
    )
    form = out_file.read_text(encoding="utf-8")
    assert "提交人身份无法核实" in form and "Zhang San" in form
