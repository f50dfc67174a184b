"""Submission time from git history, an Actions event file and the forge; the timing rules end to end.

Real temporary git repositories (branches, author dates), a real loopback HTTP server in GitHub's
shape for `--pr`, and publication records written by the ledger's own `DirectoryLedger`.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import NOW, TZ, git, post_text, write_post

from pipeline.check import CheckContext, check_folders
from pipeline.cli import main
from pipeline.leadtime import PullInfo, Submissions, pull_from_event, submission_time
from pipeline.ledger import DirectoryLedger, Event, Record
from pipeline.policy import load_policy
from pipeline.post import Post, load_post

CARD = "2026/12-05-card"


def t(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=TZ)


def commit(root: Path, message: str, when: str, *paths: str) -> str:
    """Commit `paths` (all when empty) with author and committer date `when` (+08:00)."""
    git(root, "add", *(paths or ("-A",)))
    stamp = t(when).isoformat()
    git(root, "commit", "-q", "-m", message, env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
    return git(root, "rev-parse", "HEAD").strip()


def load(root: Path, post_id: str = CARD) -> Post:
    post, findings = load_post(root / "posts" / post_id, root, load_policy(root))
    assert post.ok, findings
    return post


def write_record(
    directory: Path,
    post_id: str,
    *,
    publish_at: str,
    delivery: str = "broadcast",
    commit_sha: str = "",
    status: str = "published",
    title: str = "已发布的文章",
    url: str = "",
) -> Record:
    """A record as the publish job leaves it: due, verify, ..., record done (and retract done)."""
    ledger = DirectoryLedger(directory)
    at = t(publish_at)
    rec = Record(post_id)
    header = {
        "title": title,
        "unit": "电子银行部",
        "category": "campaign",
        "delivery": delivery,
        "publish_at": at.isoformat(),
        "path": f"posts/{post_id}/index.md",
    }
    rec = ledger.append(rec, Event(at, "due", "done", actor="publish-job", commit=commit_sha, data=header))
    rec = ledger.append(rec, Event(at, "verify", "done", actor="publish-job", commit=commit_sha, data={}))
    if status == "failed":
        return ledger.append(rec, Event(at, "submit", "failed", commit=commit_sha, data={"error": "45009"}))
    data = {"published_at": at.isoformat(), "article_url": url or f"https://mp.weixin.qq.com/s/{post_id[-6:]}"}
    rec = ledger.append(rec, Event(at, "record", "done", actor="publish-job", commit=commit_sha, data=data))
    if status == "retracted":
        later = at + dt.timedelta(hours=2)
        rec = ledger.append(rec, Event(later, "retract", "done", actor="zhou-ebank", data={"reason": "信息有误"}))
    return rec


# -- submission time -------------------------------------------------------------------------------


def test_uncommitted_post_is_submitted_now(make_repo: Callable[..., Path]) -> None:
    root = make_repo({})
    write_post(root, CARD, post_text())
    sub = submission_time(root, load(root), NOW)
    assert sub.source == "uncommitted" and sub.at == NOW
    assert sub.detail == "index.md is not committed yet: submitted now, 2026-11-26 09:00 +08:00"


def test_outside_git_is_submitted_now(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    root = make_repo({CARD: post_text()}, commit=False)
    sub = submission_time(root, load(root), NOW)
    assert sub.source == "uncommitted" and "not in a git repository" in sub.detail


def test_author_time_of_the_commit_that_added_it(make_repo: Callable[..., Path]) -> None:
    root = make_repo({}, commit=False)
    git(root, "init", "-q", "-b", "main")
    commit(root, "policy", "2026-11-01 09:00")
    write_post(root, CARD, post_text())
    sha = commit(root, "add the card post", "2026-11-20 10:00")
    write_post(root, CARD, post_text(title="借记卡年费减免"))
    commit(root, "retitle", "2026-11-25 10:00")
    sub = submission_time(root, load(root), NOW)
    assert sub.source == "commit" and sub.at == t("2026-11-20 10:00")
    assert sub.detail == f"commit {sha[:10]} added it, 2026-11-20 10:00 +08:00"


def test_first_commit_on_the_branch(make_repo: Callable[..., Path]) -> None:
    root = make_repo({}, commit=False)
    git(root, "init", "-q", "-b", "main")
    write_post(root, "2026/12-01-old", post_text(publish_at=t("2026-12-01 10:00")))
    commit(root, "an older post", "2026-11-01 09:00")
    git(root, "checkout", "-q", "-b", "post/card")
    write_post(root, CARD, post_text())
    first = commit(root, "draft", "2026-11-18 15:00")
    git(root, "rm", "-q", "-r", f"posts/{CARD}")
    commit(root, "withdraw", "2026-11-19 15:00")
    write_post(root, CARD, post_text(title="借记卡年费减免"))
    commit(root, "again", "2026-11-21 15:00")
    subs = Submissions(root, NOW, TZ, base="main")
    card = subs.get(load(root))
    assert card.at == t("2026-11-18 15:00") and f"commit {first[:10]} added it on this branch" in card.detail
    old = subs.get(load(root, "2026/12-01-old"))
    assert old.at == t("2026-11-01 09:00") and "on this branch" not in old.detail


def test_a_commit_after_now_counts_as_now(make_repo: Callable[..., Path]) -> None:
    root = make_repo({}, commit=False)
    git(root, "init", "-q", "-b", "main")
    write_post(root, CARD, post_text())
    commit(root, "add", "2026-12-01 10:00")
    sub = submission_time(root, load(root), NOW)
    assert sub.at == NOW and "dated after now (2026-11-26 09:00 +08:00): using now" in sub.detail


def _event(tmp_path: Path, created: str, base_sha: str = "", number: int = 12) -> Path:
    path = tmp_path / "event.json"
    doc = {
        "action": "synchronize",
        "number": number,
        "pull_request": {"number": number, "created_at": created, "base": {"ref": "main", "sha": base_sha}},
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_pull_request_event_file(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    root = make_repo({}, commit=False)
    git(root, "init", "-q", "-b", "main")
    write_post(root, "2026/12-01-old", post_text(publish_at=t("2026-12-01 10:00")))
    base = commit(root, "an older post", "2026-11-01 09:00")
    git(root, "checkout", "-q", "-b", "post/card")
    write_post(root, CARD, post_text())
    commit(root, "draft", "2026-11-10 15:00")  # drafted early, submitted later
    event = _event(tmp_path, "2026-11-29T02:00:00Z", base)
    card = submission_time(root, load(root), NOW, event)
    assert card.source == "pr" and card.at == t("2026-11-29 10:00")
    assert card.detail == "pull request #12 opened 2026-11-29 10:00 +08:00"
    old = submission_time(root, load(root, "2026/12-01-old"), NOW, event)
    assert old.source == "commit" and old.at == t("2026-11-01 09:00")
    assert pull_from_event(_event(tmp_path, "")) is None  # not a pull request's event


def test_event_file_errors(tmp_path: Path) -> None:
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="event file not found"):
        pull_from_event(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read the event file"):
        pull_from_event(bad)


def test_check_reads_the_event_file_and_fails_a_late_submission(
    tmp_path: Path, make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({}, commit=False)
    git(root, "init", "-q", "-b", "main")
    base = commit(root, "policy", "2026-11-01 09:00")
    git(root, "checkout", "-q", "-b", "post/card")
    write_post(root, CARD, post_text())
    commit(root, "draft", "2026-11-20 15:00")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(_event(tmp_path, "2026-11-28T02:01:00Z", base)))
    monkeypatch.delenv("GITHUB_BASE_REF", raising=False)
    code = main(["check", "--root", str(root), "--now", "2026-11-28T12:00:00+08:00", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    rules = [f["rule"] for f in doc["findings"]]
    assert code == 1 and "leadtime/one-week" in rules
    (f,) = [f for f in doc["findings"] if f["rule"] == "leadtime/one-week"]
    assert "pull request #12 opened 2026-11-28 10:01 +08:00" in f["message"]
    assert "submit by 2026-11-28 10:00 +08:00" in f["message"]
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(_event(tmp_path, "2026-11-28T02:00:00Z", base)))
    assert main(["leadtime", "--root", str(root), "--now", "2026-11-28T12:00:00+08:00"]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_library_default_ignores_the_environment(
    tmp_path: Path, make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the CLI (options submission=auto) reads $GITHUB_EVENT_PATH; a library caller passes it in."""
    root = make_repo({})
    write_post(root, CARD, post_text())  # new in this change: not on main
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(_event(tmp_path, "2026-12-04T02:00:00Z")))

    def timing(options: dict[str, object]) -> list[str]:
        ctx = CheckContext(root=root, policy=load_policy(root), now=NOW, options=options)
        return [f.rule for f in check_folders([root / "posts" / CARD], ctx).findings if f.rule.startswith("leadtime/")]

    assert timing({}) == []
    assert timing({"pull": PullInfo(3, t("2026-12-04 10:00"))}) == ["leadtime/one-week"]
    assert timing({"submission": "auto"}) == ["leadtime/one-week"]


# -- --pr N against a forge on loopback ----------------------------------------------------------------


class _Forge(BaseHTTPRequestHandler):
    pulls: ClassVar[dict[int, dict[str, object]]] = {}
    seen: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization", "")))
        prefix = "/repos/xxbank/wechat/pulls/"
        body: object = {"message": "Not Found"}
        status = 404
        if self.path.startswith(prefix) and self.path[len(prefix) :].isdigit():
            n = int(self.path[len(prefix) :])
            if n in self.pulls:
                body, status = self.pulls[n], 200
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def forge(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Forge]]:
    handler = type("Forge", (_Forge,), {"pulls": {}, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("GITHUB_TOKEN", "test-token")
    monkeypatch.setenv("GITHUB_REPOSITORY", "xxbank/wechat")
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


def test_pr_from_the_forge(
    forge: type[_Forge], make_repo: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({}, commit=False)
    git(root, "init", "-q", "-b", "main")
    commit(root, "policy", "2026-11-01 09:00")
    git(root, "checkout", "-q", "-b", "post/card")
    write_post(root, CARD, post_text())
    commit(root, "draft", "2026-11-20 15:00")
    forge.pulls[7] = {
        "number": 7,
        "user": {"login": "editor"},
        "created_at": "2026-12-01T01:00:00Z",
        "head": {"sha": "a" * 40},
        "base": {"ref": "main"},
        "title": "card",
    }
    args = ["leadtime", "--root", str(root), "--pr", "7", "--now", "2026-12-01T12:00:00+08:00", "--format", "json"]
    assert main(args) == 1
    (f,) = json.loads(capsys.readouterr().out)["findings"]
    assert f["rule"] == "leadtime/one-week" and "pull request #7 opened 2026-12-01 09:00 +08:00" in f["message"]
    assert [p for p, _ in forge.seen] == ["/repos/xxbank/wechat/pulls/7"] and "test-token" in forge.seen[0][1]
    assert main([*args[:3], "--pr", "8", *args[5:]]) == 1  # no such pull request: a forge error, exit 1
    err = capsys.readouterr().err
    assert "wxpub:" in err and "test-token" not in err


# -- the broadcast quota and edits after publication, end to end ---------------------------------------


def test_fifth_broadcast_counts_records_main_and_the_change(
    tmp_path: Path, make_repo: Callable[..., Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    monkeypatch.delenv("GITHUB_BASE_REF", raising=False)
    root = make_repo({}, commit=False)
    git(root, "init", "-q", "-b", "main")
    write_post(root, "2026/12-03-b", post_text(publish_at=t("2026-12-03 10:00"), delivery="broadcast"))
    write_post(root, "2026/12-06-x", post_text(publish_at=t("2026-12-06 10:00")))  # not a broadcast
    commit(root, "two posts", "2026-11-01 09:00")
    git(root, "checkout", "-q", "-b", "post/fifth")
    write_post(root, "2026/12-20-fifth", post_text(publish_at=t("2026-12-20 10:00"), delivery="broadcast"))
    commit(root, "the fifth", "2026-11-10 09:00")
    git(root, "checkout", "-q", "main")  # meanwhile, main gains another broadcast
    write_post(root, "2026/12-12-c", post_text(publish_at=t("2026-12-12 10:00"), delivery="broadcast"))
    commit(root, "merged after the branch point", "2026-11-11 09:00")
    git(root, "checkout", "-q", "post/fifth")
    records = tmp_path / "records"
    write_record(records, "2026/12-01-a", publish_at="2026-12-01 10:00")
    write_record(records, "2026/12-02-r", publish_at="2026-12-02 10:00", status="retracted")
    write_record(records, "2026/12-04-f", publish_at="2026-12-04 10:00", status="failed")
    args = ["leadtime", "--root", str(root), "--now", NOW.isoformat(), "--records-dir", str(records)]
    assert main([*args, "--changed-since", "main", "--format", "json"]) == 1
    (f,) = json.loads(capsys.readouterr().out)["findings"]
    assert f["rule"] == "leadtime/broadcast-month" and f["path"] == "posts/2026/12-20-fifth/index.md"
    assert f["message"].startswith(
        "5 broadcasts in 2026-12, over the quota of 4 a month: 2026/12-01-a (12-01, published)"
    )
    assert "2026/12-02-r (12-02, published and retracted)" in f["message"]
    assert "2026/12-12-c (12-12, on main)" in f["message"] and "12-04-f" not in f["message"]
    assert "2026/12-03-b (12-03)" in f["message"]
    # The post of main that is not part of the change is not reported on.
    assert main([*args, "--changed-since", "main"]) == 1
    out = capsys.readouterr().out
    assert "posts/2026/12-20-fifth/index.md:" in out and "posts/2026/12-03-b/index.md:" not in out


def test_edit_after_publication_end_to_end(
    tmp_path: Path, make_repo: Callable[..., Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    root = make_repo({CARD: post_text()})
    published = git(root, "rev-parse", "HEAD").strip()
    records = tmp_path / "records"
    write_record(records, CARD, publish_at="2026-12-05 10:00", commit_sha=published, delivery="publish")
    args = ["leadtime", "--root", str(root), "--now", "2026-12-06T09:00:00+08:00", "--records-dir", str(records)]
    assert main(args) == 0  # unchanged: nothing to say (and its lead time is history)
    capsys.readouterr()
    write_post(root, CARD, post_text(digest="更正后的摘要。"))
    assert main([*args, "--format", "json"]) == 1
    (f,) = json.loads(capsys.readouterr().out)["findings"]
    assert f["rule"] == "leadtime/edit-after-publication" and "changed since: front matter digest" in f["message"]
    assert f"from commit {published[:10]}" in f["message"]
    write_post(root, CARD, post_text(), files={"extra.png": b"\x89PNG\r\n\x1a\n"})
    assert main([*args, "--format", "json"]) == 1
    (f,) = json.loads(capsys.readouterr().out)["findings"]
    assert "changed since: extra.png" in f["message"]


@pytest.mark.parametrize("many_commits", [False, True])
def test_unchanged_since_their_commit(
    make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, many_commits: bool
) -> None:
    """Both ways of reading the folders at the record commits agree (ls-tree per commit, or one lookup)."""
    import pipeline.leadtime as lt

    if many_commits:
        monkeypatch.setattr(lt, "LS_TREE_COMMITS", 0)
    root = make_repo({"2026/12-01-a": post_text(), "2026/12-02-b": post_text(), "2026/12-03-c": post_text()})
    first = git(root, "rev-parse", "HEAD").strip()
    write_post(root, "2026/12-03-c", post_text(title="改过的标题"))
    commit(root, "edit c", "2026-12-01 09:00")
    second = git(root, "rev-parse", "HEAD").strip()
    (root / "posts" / "2026" / "12-02-b" / "notes.txt").write_text("untracked", encoding="utf-8")
    a, b, c = (load(root, pid) for pid in ("2026/12-01-a", "2026/12-02-b", "2026/12-03-c"))
    assert lt.unchanged_since(root, [(a, first), (b, first), (c, first)]) == {"2026/12-01-a"}
    assert lt.unchanged_since(root, [(c, second), (a, "f" * 40), (b, "")]) == {"2026/12-03-c"}


def test_a_repository_without_commits(make_repo: Callable[..., Path]) -> None:
    root = make_repo({CARD: post_text()}, commit=False)
    git(root, "init", "-q", "-b", "main")
    sub = submission_time(root, load(root), NOW)
    assert sub.source == "uncommitted" and sub.detail.startswith("index.md is not committed yet")


def test_pull_request_merge_checkout_without_a_base_ref(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    """Actions checks out refs/pull/N/merge: with no base ref fetched, its first parent is the base."""
    root = make_repo({}, commit=False)
    git(root, "init", "-q", "-b", "trunk")
    write_post(root, "2026/12-01-old", post_text(publish_at=t("2026-12-01 10:00")))
    commit(root, "an older post", "2026-11-01 09:00")
    git(root, "checkout", "-q", "-b", "post/card")
    write_post(root, CARD, post_text())
    commit(root, "draft", "2026-11-10 15:00")
    git(root, "checkout", "-q", "trunk")
    git(root, "merge", "-q", "--no-ff", "-m", "merge", "post/card")
    pull = PullInfo(5, t("2026-11-20 10:00"))
    subs = Submissions(root, NOW, TZ, pull=pull, base=None)
    assert subs.get(load(root)).source == "pr"
    assert subs.get(load(root, "2026/12-01-old")).at == t("2026-11-01 09:00")


def test_quota_reads_neighbouring_months_written_in_another_timezone(
    make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Posts of other months are skipped unparsed, but a December broadcast written in UTC on Nov 30 counts."""
    monkeypatch.delenv("GITHUB_BASE_REF", raising=False)
    utc = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)  # 2026-12-01 01:00 in Shanghai
    posts: dict[str, object] = {"2026/12-01-utc": post_text(publish_at=utc, delivery="broadcast")}
    for day in (2, 3, 4):
        posts[f"2026/12-0{day}-b"] = post_text(publish_at=t(f"2026-12-0{day} 10:00"), delivery="broadcast")
    posts["2026/08-01-summer"] = post_text(publish_at=t("2026-08-01 10:00"), delivery="broadcast")
    root = make_repo(posts)
    write_post(root, "2026/12-20-fifth", post_text(publish_at=t("2026-12-20 10:00"), delivery="broadcast"))
    ctx = CheckContext(root=root, policy=load_policy(root), now=NOW)
    result = check_folders([root / "posts" / "2026" / "12-20-fifth"], ctx)
    (f,) = [f for f in result.findings if f.rule == "leadtime/broadcast-month"]
    assert "2026/12-01-utc (12-01)" in f.message and "summer" not in f.message


def test_github_format_annotates_and_writes_the_job_summary(
    tmp_path: Path, make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    root = make_repo({})
    write_post(root, CARD, post_text(publish_at=t("2026-11-30 10:00")))
    assert main(["leadtime", "--root", str(root), "--now", NOW.isoformat(), "--format", "github"]) == 1
    out = capsys.readouterr()
    assert out.out.startswith(f"::error file=posts/{CARD}/index.md,line=6,")
    assert "title=leadtime/one-week (Art. 15)::publish_at 2026-11-30 10:00 +08:00 is only 4 days 1 h" in out.out
    assert "1 post(s) checked: 1 error(s)" in out.err
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("### wxpub leadtime") and "`leadtime/one-week`" in text
