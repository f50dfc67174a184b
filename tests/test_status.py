"""`wxpub status POST` on a real temporary repository: checks, approvals (reviews file), merge, records."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, write_post
from conftest import post_text as _post_text
from test_leadtime_git import commit, t, write_record

from pipeline.cli import main

CARD = "2026/12-20-card"


def post_text(**fm: object) -> str:
    """A post that passes every content check (its cover declared the bank's own)."""
    return _post_text(sources=[{"file": "cover.jpg", "source": "original"}], **fm)


@pytest.fixture
def repo(make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """main holds a scheduled post; branch post/card adds CARD (submitted 2026-11-20)."""
    for name in ("GITHUB_EVENT_PATH", "GITHUB_BASE_REF"):
        monkeypatch.delenv(name, raising=False)
    root = make_repo({}, commit=False)
    git(root, "init", "-q", "-b", "main")
    write_post(root, "2026/12-05-old", post_text(publish_at=t("2026-12-05 10:00")))
    commit(root, "a scheduled post", "2026-11-01 09:00")
    git(root, "checkout", "-q", "-b", "post/card")
    write_post(root, CARD, post_text(publish_at=t("2026-12-20 10:00")))
    commit(root, "the card post", "2026-11-20 09:00")
    return root


def status(
    root: Path, capsys: pytest.CaptureFixture[str], *args: str, now: str = "2026-11-26T09:00:00+08:00"
) -> tuple[int, dict]:
    code = main(["status", "--root", str(root), "--now", now, "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def reviews_file(root: Path, approvers: list[str]) -> Path:
    """A reviews file in GitHub's shapes: PR #9 by `editor`, approvals on its head in the given order."""
    reviews = [
        {
            "id": i + 1,
            "user": {"login": login},
            "state": "APPROVED",
            "commit_id": "git:HEAD",
            "submitted_at": f"2026-11-2{i + 1}T02:00:00Z",
        }
        for i, login in enumerate(approvers)
    ]
    doc = {
        "pull": {
            "number": 9,
            "title": "card",
            "user": {"login": "editor"},
            "created_at": "2026-11-20T01:00:00Z",
            "head": {"sha": "git:HEAD"},
            "base": {"ref": "main", "sha": "git:main"},
            "merged": False,
        },
        "reviews": reviews,
        "commits": [{"sha": "git:HEAD", "author": {"login": "editor"}, "committer": {"login": "editor"}}],
        "files": [{"filename": f"posts/{CARD}/index.md"}, {"filename": f"posts/{CARD}/cover.jpg"}],
        "teams": {"xxbank/compliance": [], "xxbank/ebanking": [], "xxbank/leadership": []},
    }
    path = root.parent / "reviews.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_scheduled_on_main(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = status(repo, capsys, "2026/12-05-old")
    assert doc["stage"] == "scheduled", doc
    assert code == 0 and doc["merged"] is True
    assert doc["summary"] == "merged on main: scheduled for 2026-12-05 10:00 +08:00 (publish)"


def test_due_after_its_time(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = status(repo, capsys, f"{repo}/posts/2026/12-05-old", now="2026-12-05T10:30:00+08:00")
    assert code == 0 and doc["stage"] == "due" and "waiting for the publish job" in doc["summary"]


def test_not_submitted_without_a_pull_request(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = status(repo, capsys, CARD)
    assert code == 0 and doc["stage"] == "not-submitted" and doc["merged"] is False
    assert doc["summary"].startswith("not on main yet: open a pull request")


def test_waiting_for_a_tier(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = reviews_file(repo, ["li-retail"])  # the unit head only
    code, doc = status(repo, capsys, CARD, "--reviews-file", str(path))
    assert code == 0 and doc["stage"] == "awaiting-approval"
    assert doc["summary"].startswith("pull request #9 is waiting for 合规部")
    assert doc["waiting_for"][0].startswith("合规部") and len(doc["waiting_for"]) == 2
    assert doc["approval"]["tiers"][0]["ok"] is True
    main(["status", "--root", str(repo), "--now", "2026-11-26T09:00:00+08:00", CARD, "--reviews-file", str(path)])
    text = capsys.readouterr().out
    assert f"{CARD}: awaiting-approval" in text and "(li-retail)" in text and ": waiting" in text


def test_approved_waiting_to_be_merged(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = reviews_file(repo, ["li-retail", "he-compliance", "lv-ebank"])
    code, doc = status(repo, capsys, CARD, "--reviews-file", str(path), "--pr", "9")
    assert code == 0 and doc["stage"] == "approved" and doc["waiting_for"] == []
    assert doc["summary"] == "pull request #9 is approved by every tier: waiting to be merged"


def test_failing_checks_come_first(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_post(repo, CARD, post_text(publish_at=t("2026-11-26 10:00")))  # PR opened 11-20 09:00: 6 days
    code, doc = status(repo, capsys, CARD, "--reviews-file", str(reviews_file(repo, ["li-retail"])))
    assert code == 1 and doc["stage"] == "failing-checks"
    rules = [f["rule"] for f in doc["checks"]["errors"]]
    assert "leadtime/one-week" in rules
    main(["status", "--root", str(repo), "--now", "2026-11-26T09:00:00+08:00", CARD])
    text = capsys.readouterr().out
    assert "error [leadtime/one-week]" in text and f"posts/{CARD}/index.md:" in text


def test_published_and_retracted_from_the_records(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = tmp_path / "records"
    write_record(
        records,
        "2026/12-05-old",
        publish_at="2026-12-05 10:00",
        delivery="publish",
        url="https://mp.weixin.qq.com/s/old",
    )
    write_record(records, CARD, publish_at="2026-12-20 10:00", delivery="publish", status="retracted")
    code, doc = status(repo, capsys, "2026/12-05-old", "--records-dir", str(records), now="2026-12-06T09:00:00+08:00")
    assert code == 0 and doc["stage"] == "published"
    assert doc["url"] == "https://mp.weixin.qq.com/s/old" and doc["published_at"] == "2026-12-05T10:00:00+08:00"
    assert doc["summary"] == "published 2026-12-05 10:00 +08:00: https://mp.weixin.qq.com/s/old"
    code, doc = status(repo, capsys, CARD, "--records-dir", str(records), now="2026-12-21T09:00:00+08:00")
    assert doc["stage"] == "retracted"
    assert doc["retraction"] == {"by": "zhou-ebank", "at": "2026-12-20T12:00:00+08:00", "reason": "信息有误"}
    assert doc["summary"].startswith("retracted 2026-12-20 12:00 +08:00 by zhou-ebank: 信息有误")


def test_a_deleted_post_still_has_its_record(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = tmp_path / "records"
    write_record(records, "2026/11-30-gone", publish_at="2026-11-30 10:00", title="已删除的帖子")
    code, doc = status(repo, capsys, "2026/11-30-gone", "--records-dir", str(records))
    assert code == 0 and doc["stage"] == "published" and doc["title"] == "已删除的帖子"


def test_failed_publication(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = tmp_path / "records"
    write_record(records, "2026/12-05-old", publish_at="2026-12-05 10:00", delivery="publish", status="failed")
    code, doc = status(repo, capsys, "2026/12-05-old", "--records-dir", str(records), now="2026-12-05T11:00:00+08:00")
    assert code == 0 and doc["stage"] == "failed" and doc["summary"].startswith("publication failed: 45009")


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("2026/12-31-nothing", "no such post in"),
        ("not-a-post", "not a post id like 2026/12-05-card-offer"),
        ("2026/12-05-old --base nowhere", "'nowhere' names no commit"),
    ],
)
def test_unknown_posts(repo: Path, capsys: pytest.CaptureFixture[str], arg: str, message: str) -> None:
    assert main(["status", "--root", str(repo), *arg.split()]) == 2
    assert message in capsys.readouterr().err


def test_an_edit_of_a_scheduled_post(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_post(repo, "2026/12-05-old", post_text(publish_at=t("2026-12-05 11:00")))
    code, doc = status(repo, capsys, "2026/12-05-old")
    assert code == 0 and doc["stage"] == "not-submitted" and doc["merged"] is False
    assert doc["summary"].startswith("this version is not on main yet")
    assert doc["details"] == [
        "main has another version of this post, due 2026-12-05 10:00 +08:00: this change edits it"
    ]


def test_waiting_for_a_tier_from_the_forge(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--pr N` reads the pull request and its reviews from GitHub (the stand-in on loopback)."""
    from forge_standin import FULL_TOKEN, REPO, ForgeData, GitHubStandin

    head = git(repo, "rev-parse", "HEAD").strip()
    data = ForgeData()
    base = git(repo, "rev-parse", "main").strip()
    data.add_pull(11, head=head, files=[f"posts/{CARD}/index.md"], created_at="2026-11-20T01:00:00Z", base=base)
    data.review(11, "li-retail", "APPROVED", head, "2026-11-21T02:00:00Z")
    data.review(11, "he-compliance", "APPROVED", head, "2026-11-22T02:00:00Z")
    data.teams.update({"xxbank/compliance": {}, "xxbank/ebanking": {}, "xxbank/leadership": {}})
    with GitHubStandin(data) as gh:
        monkeypatch.setenv("GITHUB_API_URL", gh.url)
        monkeypatch.setenv("GITHUB_TOKEN", FULL_TOKEN)
        monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
        code, doc = status(repo, capsys, CARD, "--pr", "11")
    assert code == 0 and doc["stage"] == "awaiting-approval"
    assert doc["summary"].startswith("pull request #11 is waiting for 电子银行部")
    assert [t["ok"] for t in doc["approval"]["tiers"]] == [True, True, False]
