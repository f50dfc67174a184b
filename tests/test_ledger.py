"""Publication records: derived views, the stable JSON format, the records branch and pushing it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import TZ, git, post_text

from pipeline.errors import GitError
from pipeline.ledger import (
    BRANCH,
    DirectoryLedger,
    Event,
    GitLedger,
    Record,
    merge_record_text,
    read_records,
    record_path,
)

T0 = dt.datetime(2026, 12, 5, 10, 0, tzinfo=TZ)
PID = "2026/12-05-card"


def ev(step: str, status: str = "done", minutes: int = 0, commit: str = "abc123", **data: object) -> Event:
    return Event(
        at=T0 + dt.timedelta(minutes=minutes), step=step, status=status, actor="ci-bot", commit=commit, data=dict(data)
    )


HEADER = {
    "title": "借记卡年费减免通知",
    "unit": "个人金融部",
    "category": "product",
    "delivery": "publish",
    "publish_at": T0.isoformat(),
    "path": "posts/2026/12-05-card/index.md",
}


def full_record() -> Record:
    rec = Record(PID)
    for e in [
        ev("due", **HEADER),
        ev("verify", approvers=[{"tier": "compliance", "login": "qian-compliance"}], pr=12),
        ev("draft", "started", 1),
        ev("draft", "done", 1, media_id="DRAFT1"),
        ev("submit", "done", 2, publish_id="99"),
        ev("poll", "done", 3, article_id="ART1", article_url="https://mp.weixin.qq.com/s/x"),
        ev(
            "record",
            "done",
            3,
            article_id="ART1",
            article_url="https://mp.weixin.qq.com/s/x",
            published_at=(T0 + dt.timedelta(minutes=3)).isoformat(),
        ),
    ]:
        rec = rec.appended(e)
    return rec


def test_derived_views_follow_the_events() -> None:
    rec = Record(PID)
    assert rec.status == "pending" and rec.published_at is None and rec.retraction is None
    rec = rec.appended(ev("due", **HEADER))
    assert rec.status == "pending" and rec.title == "借记卡年费减免通知" and rec.publish_at == T0
    rec = rec.appended(ev("draft", "started", 1))
    assert rec.status == "in-progress"
    rec = rec.appended(ev("draft", "failed", 1, error="WeChat error 48001"))
    assert rec.status == "failed" and "48001" in rec.error
    full = full_record()
    assert full.status == "published" and full.published
    assert full.article_url == "https://mp.weixin.qq.com/s/x" and full.article_id == "ART1"
    assert full.published_at == T0 + dt.timedelta(minutes=3)
    assert full.draft_media_id == "DRAFT1" and full.publish_id == "99" and full.commit == "abc123"
    assert full.approvers == [{"tier": "compliance", "login": "qian-compliance"}] and full.pr == 12
    assert (full.unit, full.category, full.delivery) == ("个人金融部", "product", "publish")
    gone = full.appended(ev("retract", "done", 60, reason="利率已调整"))
    assert gone.status == "retracted" and gone.published
    assert gone.retraction == {"by": "ci-bot", "at": T0 + dt.timedelta(minutes=60), "reason": "利率已调整"}
    assert gone.result("draft") == {"media_id": "DRAFT1"} and gone.result("draft", commit="other") is None


def test_json_is_stable_utf8_sorted_and_round_trips() -> None:
    rec = full_record()
    text = rec.dumps()
    assert "借记卡" in text and "\\u" not in text and text.endswith("}\n")
    obj = json.loads(text)
    assert list(obj) == sorted(obj) and obj["schema"] == 1 and obj["summary"]["status"] == "published"
    assert list(obj["events"][0]) == sorted(obj["events"][0])
    again = Record.loads(text)
    assert again.events == rec.events and again.dumps() == text


def test_merging_two_versions_keeps_every_event_once() -> None:
    base = full_record()
    ours = base.appended(ev("retract", "done", 60, reason="a"))
    theirs = base.appended(ev("retract", "started", 59, reason="a"))
    merged = Record.loads(merge_record_text(ours.dumps(), theirs.dumps()))
    assert len(merged.events) == len(base.events) + 2
    assert Record.loads(merge_record_text(ours.dumps(), base.dumps())).events == ours.events


def test_record_paths_refuse_escapes() -> None:
    assert record_path(PID) == "records/2026/12-05-card.json"
    for bad in ("", "../x", "2026/../../etc", "a//b", "a\\b"):
        with pytest.raises(ValueError):
            record_path(bad)


def test_directory_ledger_round_trip(tmp_path: Path) -> None:
    led = DirectoryLedger(tmp_path / "recs")
    rec = led.append(Record(PID), ev("due", **HEADER), form_markdown="# 审批单\n", form_html="<h1>审批单</h1>")
    led.append(rec, ev("verify", minutes=1), images={"body:aa": {"url": "http://mmbiz.qpic.cn/a"}})
    assert (tmp_path / "recs" / "records" / "2026" / "12-05-card.json").is_file()
    got = read_records(tmp_path, directory=tmp_path / "recs")
    assert list(got) == [PID] and len(got[PID].events) == 2 and got[PID].form_markdown == "# 审批单\n"
    assert got[PID].form_html == "<h1>审批单</h1>"
    assert led.images() == {"body:aa": {"url": "http://mmbiz.qpic.cn/a"}}
    # a records folder itself (no records/ inside) reads the same
    flat = read_records(tmp_path, directory=tmp_path / "recs" / "records")
    assert list(flat) == [PID] and flat[PID].events == got[PID].events
    assert read_records(tmp_path, directory=tmp_path / "nothing") == {}


def _state(root: Path) -> tuple[str, str, str, str]:
    return (
        git(root, "rev-parse", "HEAD"),
        git(root, "symbolic-ref", "HEAD"),
        git(root, "status", "--porcelain"),
        git(root, "ls-files", "-s"),
    )


def test_git_ledger_commits_to_the_records_branch_only(make_repo) -> None:  # type: ignore[no-untyped-def]
    root = make_repo({PID: post_text()})
    (root / "untracked.txt").write_text("x", encoding="utf-8")
    before = _state(root)
    assert read_records(root) == {}
    led = GitLedger(root)
    rec = led.append(Record(PID), ev("due", **HEADER), form_markdown="# 表\n")
    rec = led.append(rec, ev("verify", minutes=1))
    led.add_images({"cover:bb": {"media_id": "M1", "url": "http://mmbiz.qpic.cn/c"}})
    assert _state(root) == before  # working tree, index, HEAD and branch untouched
    log = git(root, "log", "--format=%s", BRANCH).splitlines()
    assert log == ["image cache", f"{PID}: verify done", f"{PID}: due done"]
    files = git(root, "ls-tree", "-r", "--name-only", BRANCH).split()
    assert files == ["records/2026/12-05-card.form.md", "records/2026/12-05-card.json", "records/_images.json"]
    got = read_records(root)
    assert list(got) == [PID] and got[PID].events == rec.events and got[PID].form_markdown == "# 表\n"
    assert GitLedger(root).images()["cover:bb"]["media_id"] == "M1"
    git(root, "fsck", "--strict", "--no-dangling")  # the objects written in-process are well-formed
    # an explicit ref reads history
    first = read_records(root, ref=f"{BRANCH}~2")
    assert len(first[PID].events) == 1
    with pytest.raises(GitError):
        read_records(root, ref="no-such-ref")


def test_read_records_outside_git_is_empty(tmp_path: Path) -> None:
    assert read_records(tmp_path) == {}


def test_compare_and_swap_retries_on_a_moved_branch(make_repo) -> None:  # type: ignore[no-untyped-def]
    root = make_repo({PID: post_text()})
    other = "2026/12-06-other"

    class Racing(GitLedger):
        raced = False

        def commit_files(self, parent, files, message, extra_parents=()):  # type: ignore[no-untyped-def]
            if not Racing.raced:  # another writer moves the branch between our read and our update-ref
                Racing.raced = True
                GitLedger(self.root).append(Record(other), ev("due", title="别的"))
            return super().commit_files(parent, files, message, extra_parents)

    Racing(root).append(Record(PID), ev("due", **HEADER))
    got = read_records(root)
    assert sorted(got) == [PID, other]
    assert git(root, "log", "--format=%s", BRANCH).splitlines() == [f"{PID}: due done", f"{other}: due done"]


def test_push_merges_on_non_fast_forward(tmp_path: Path, make_repo) -> None:  # type: ignore[no-untyped-def]
    root = make_repo({PID: post_text()})
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))

    a = GitLedger(root)
    rec = a.append(Record(PID), ev("due", **HEADER))
    a.push()
    git(clone, "fetch", "-q", "origin")
    b = GitLedger(clone)  # starts from origin/wxpub-records
    assert b.get(PID).events == rec.events
    b.append(b.get(PID), ev("retract", "done", 90, reason="撤回"))
    b.push()
    a.append(a.get(PID), ev("verify", minutes=1))  # diverged from what b pushed
    a.append(Record("2026/12-07-x"), ev("due", minutes=2))
    pushed = a.push()
    assert pushed == git(remote, "rev-parse", BRANCH).strip()
    merged = read_records(remote)
    assert sorted(merged) == [PID, "2026/12-07-x"]
    steps = [e.step for e in merged[PID].events]
    assert steps == ["due", "retract", "verify"]
    # history is append-only: both sides' commits are ancestors of the pushed tip
    git(remote, "merge-base", "--is-ancestor", b.tip() or "", BRANCH)
    # the reader prefers origin's branch when the local one is behind, and so does a ledger opened
    # without syncing (a dry run), which moves no ref
    git(clone, "fetch", "-q", "origin")
    before = git(clone, "rev-parse", BRANCH)
    assert sorted(read_records(clone)) == [PID, "2026/12-07-x"]
    assert sorted(GitLedger(clone, sync=False).records()) == [PID, "2026/12-07-x"]
    assert git(clone, "rev-parse", BRANCH) == before
    with pytest.raises(GitError):
        GitLedger(clone, sync=False).append(Record(PID), ev("verify"))


def test_commit_identity_from_an_environment_that_sets_all_four_git_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI systems set GIT_AUTHOR_NAME/EMAIL and GIT_COMMITTER_NAME/EMAIL together: the records use them."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "commit", "-q", "--allow-empty", "-m", "init")
    for key, value in {
        "GIT_AUTHOR_NAME": "ci author",
        "GIT_AUTHOR_EMAIL": "author@ci.example",
        "GIT_COMMITTER_NAME": "ci committer",
        "GIT_COMMITTER_EMAIL": "committer@ci.example",
    }.items():
        monkeypatch.setenv(key, value)
    ledger = GitLedger(root)
    ledger.append(Record(PID), ev("due", **HEADER))
    assert git(root, "log", "-1", "--format=%an <%ae> / %cn <%ce>", BRANCH).strip() == (
        "ci author <author@ci.example> / ci committer <committer@ci.example>"
    )
