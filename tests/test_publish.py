"""The publisher end to end: a real git repository with merged posts, the real CLI in a subprocess, and the
sandbox WeChat on loopback. Crashes are real process deaths (`WXPUB_CRASH_AFTER`, `os._exit`) and lost
answers are the sandbox's `crash_after` fault; every rerun must leave exactly one article per post."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import stat
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TZ, git, post_text
from PIL import Image

from pipeline.cli import main
from pipeline.ledger import BRANCH, Record, read_records
from pipeline.publish import CRASH_EXIT, marker_for
from pipeline.wechat.sandbox import Fault, Sandbox, SandboxConfig

NOW = "2026-12-05T10:30:00+08:00"
SECRET = "sbx-secret-7d1e0c55a9f24b6b8e3f"
CARD = "2026/12-05-card"  # delivery: publish, one body image
BCAST = "2026/12-05-notice"  # delivery: broadcast
LATER = "2026/12-20-later"  # not due yet
ORIGINAL = [{"file": "cover.jpg", "source": "original"}, {"file": "chart.png", "source": "original"}]
TITLES = {CARD: "借记卡年费减免通知", BCAST: "借记卡年费减免提醒", LATER: "借记卡年费减免预告"}


def chart_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (600, 300), (200, 50, 50)).save(buf, "PNG")
    return buf.getvalue()


def posts(*ids: str) -> dict[str, Any]:
    body = "即日起，本行借记卡免收年费。\n\n![示意图](chart.png)\n\n详情请咨询客服热线96588。\n"
    specs: dict[str, Any] = {}
    for pid in ids:
        extra: dict[str, Any] = {"title": TITLES[pid], "sources": ORIGINAL}
        if pid == BCAST:
            extra["delivery"] = "broadcast"
        if pid == LATER:
            extra["publish_at"] = dt.datetime(2026, 12, 20, 10, 0, tzinfo=TZ)
        from conftest import cover_bytes

        specs[pid] = {"index.md": post_text(body=body, **extra), "cover.jpg": cover_bytes(), "chart.png": chart_png()}
    return specs


def reviews(approvers: tuple[str, ...] = ("li-retail", "he-compliance", "lv-ebank")) -> dict[str, Any]:
    """A merged PR (head = HEAD) approved by `approvers` in order, in GitHub's JSON shapes."""
    return {
        "pull": {"number": 7, "user": {"login": "editor"}, "created_at": "2026-11-20T01:00:00Z",
                 "head": {"sha": "git:HEAD"}, "base": {"ref": "main"}, "merged": True,
                 "merge_commit_sha": "git:HEAD", "title": "posts"},
        "reviews": [
            {"id": i, "user": {"login": who}, "state": "APPROVED", "commit_id": "git:HEAD",
             "submitted_at": f"2026-11-20T0{i + 1}:00:00Z"}
            for i, who in enumerate(approvers, 1)
        ],
        "commits": [{"sha": "git:HEAD", "author": {"login": "editor"}, "committer": {"login": "editor"}}],
        "files": [{"filename": "posts/x/index.md"}],
        "teams": {"xxbank/compliance": ["qian-compliance", "he-compliance"],
                  "xxbank/ebanking": ["zhou-ebank", "lv-ebank"], "xxbank/leadership": ["kong-president"],
                  "xxbank/technology": ["sun-tech", "yang-tech"]},
    }  # fmt: skip


class World:
    """A repository, a reviews file, a state dir and a running sandbox; `publish()` runs the real CLI."""

    def __init__(self, root: Path, tmp: Path, sandbox: Sandbox) -> None:
        self.root, self.tmp, self.sb = root, tmp, sandbox
        self.state = tmp / "state"
        self.reviews = tmp / "reviews.json"
        self.reviews.write_text(json.dumps(reviews()), encoding="utf-8")
        self.outputs: list[str] = []
        self.kills = 0  # publishers killed so far (their leases expire by themselves)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "WXPUB_", "GITHUB_", "GITEA_"))}
        env.pop("CI", None)  # the tests say when they run "in CI"
        env.update(WECHAT_APPID=self.sb.config.appid, WECHAT_SECRET=SECRET, WECHAT_API_BASE=self.sb.base_url,
                   WXPUB_STATE_DIR=str(self.state), GITHUB_ACTOR="publish-bot", NO_COLOR="1")  # fmt: skip
        env["WXPUB_LANG"] = "en"  # the English this file asserts (the forge's messages are Chinese by default)
        env.update(extra)
        return env

    def run(self, *args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        """The CLI: in a subprocess when it is to be killed (WXPUB_CRASH_AFTER), else in this process
        (same code, same environment, faster)."""
        if "WXPUB_CRASH_AFTER" not in env:
            return self.run_here(*args, **env)
        out = subprocess.run(
            [sys.executable, "-m", "pipeline", *args],
            cwd=cwd or self.root,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.outputs += [out.stdout, out.stderr]
        return out

    def run_here(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        saved = dict(os.environ)
        stdout, stderr = io.StringIO(), io.StringIO()
        try:
            os.environ.clear()
            os.environ.update(self.env(**env))
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                code = main(list(args))
        finally:
            os.environ.clear()
            os.environ.update(saved)
        out = subprocess.CompletedProcess(list(args), code, stdout.getvalue(), stderr.getvalue())
        self.outputs += [out.stdout, out.stderr]
        return out

    def publish(
        self, *args: str, root: Path | None = None, now: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """`wxpub publish` at `now` (default NOW). A killed publisher leaves its lease behind, and the lease
        expires 15 minutes later by the `--now` clock: after each kill, the default `now` moves on 16 minutes,
        as the next scheduled run would come."""
        when = now or (dt.datetime.fromisoformat(NOW) + dt.timedelta(minutes=16 * self.kills)).isoformat()
        out = self.run(
            "publish", "--root", str(root or self.root), "--now", when, "--reviews-file", str(self.reviews),
            "--reconcile-wait", "5", *args, cwd=root, **env,
        )  # fmt: skip
        if out.returncode == CRASH_EXIT:
            self.kills += 1
        return out

    def articles(self) -> Counter[str]:
        """Live published articles by title."""
        return Counter(a["title"] for a in self.sb.published_articles() if not a["deleted"])

    def broadcasts(self) -> Counter[str]:
        return Counter(item["title"] for m in self.sb.mass_sends() for item in m["items"])


@pytest.fixture
def world(make_repo, tmp_path: Path) -> Iterator[World]:  # type: ignore[no-untyped-def]
    root = make_repo(posts(CARD, BCAST, LATER))
    config = SandboxConfig(secret=SECRET, publish_delay=0.3, publish_polls_until_done=0)
    with Sandbox(config) as sb:
        yield World(root, tmp_path, sb)


def uploads(w: World) -> int:
    """Uploads WeChat accepted (body images and cover material)."""
    paths = ("/cgi-bin/media/uploadimg", "/cgi-bin/material/add_material")
    return sum(1 for c in w.sb.calls() if c.path in paths and c.status == 200 and not c.errcode and not c.fault)


def assert_exactly_once(
    w: World,
    root: Path | None = None,
    records_dir: Path | None = None,
    *,
    extra_uploads: int = 0,
    commits: dict[str, str] | None = None,
) -> dict[str, Record]:
    assert w.articles() == Counter({TITLES[CARD]: 1}), w.sb.published_articles()
    assert w.broadcasts() == Counter({TITLES[BCAST]: 1}), w.sb.mass_sends()
    assert w.sb.drafts() == [], "an orphan draft was left in the draft box"
    # chart + cover, shared by both posts: each image uploaded once, ever (a crash between an upload and
    # its cache entry costs one repeat of that upload, never an article)
    assert uploads(w) == 2 + extra_uploads
    recs = read_records(root or w.root, directory=records_dir)
    assert sorted(recs) == sorted([BCAST, CARD])  # nothing for the post not yet due
    card, bcast = recs[CARD], recs[BCAST]
    live = next(a for a in w.sb.published_articles() if a["title"] == TITLES[CARD])
    assert card.status == "published" and card.article_url == live["url"] and card.article_id == live["article_id"]
    assert bcast.status == "published" and bcast.delivery == "broadcast"
    sent = w.sb.mass_sends()[0]
    assert bcast.result("broadcast")["clientmsgid"] == sent["clientmsgid"]  # type: ignore[index]
    assert bcast.msg_id in ("", str(sent["msg_id"]))  # unknown only when the answer was lost
    for rec in (card, bcast):
        assert [a["login"] for a in rec.approvers] == ["li-retail", "he-compliance", "lv-ebank"]
        last_change = git(w.root, "log", "-1", "--format=%H", "--", f"posts/{rec.post_id}").strip()
        assert rec.commit == (commits or {}).get(rec.post_id, last_change)
        assert rec.published_at is not None and rec.title == TITLES[rec.post_id]
        assert sum(1 for e in rec.events if e.step == "record") == 1
    return recs


# -- the happy path ---------------------------------------------------------------------------------


def test_publish_records_and_feeds_the_archive(world: World) -> None:
    dry = world.publish("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would send" in dry.stdout and CARD in dry.stdout and BCAST in dry.stdout and LATER not in dry.stdout
    assert world.sb.calls() == [] and read_records(world.root) == {}  # nothing remote, nothing written
    head, status = git(world.root, "rev-parse", "HEAD"), git(world.root, "status", "--porcelain")

    out = world.publish()
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 due: 1 broadcast, 1 published; 1 scheduled later" in out.stdout
    assert f"{CARD}: draft created" in out.stderr  # progress, step by step
    recs = assert_exactly_once(world)
    # the checked-out branch and working tree are untouched; records are on their own branch
    assert git(world.root, "rev-parse", "HEAD") == head and git(world.root, "status", "--porcelain") == status
    assert git(world.root, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert marker_for(CARD, recs[CARD].events[0].data["tree"]) in world.sb.published_articles()[0]["content"]
    assert all(e.actor == "publish-bot" for r in recs.values() for e in r.events)
    # the approval form travels with the record (Markdown and printable HTML) for the archive
    assert "li-retail" in recs[CARD].form_markdown and recs[CARD].form_html.lstrip().startswith("<!")
    assert f"records/{CARD}.form.html" in git(world.root, "ls-tree", "-r", "--name-only", BRANCH)
    mass = world.sb.mass_sends()[0]
    assert mass["clientmsgid"] == recs[BCAST].result("broadcast")["clientmsgid"]  # type: ignore[index]

    again = world.publish()  # nothing left to do
    assert again.returncode == 0 and "0 due; 1 scheduled later; 2 published before" in again.stdout
    assert_exactly_once(world)
    # the post becomes due later: published then, once
    later = world.publish(now="2026-12-20T10:05:00+08:00")
    assert later.returncode == 0, later.stderr
    assert world.articles()[TITLES[LATER]] == 1 and read_records(world.root)[LATER].status == "published"
    assert uploads(world) == 2  # same pictures: served from the image cache on the records branch


def test_retract_deletes_the_article_and_records_who_when_why(world: World) -> None:
    assert world.publish().returncode == 0
    out = world.run(
        "retract", CARD, "--reason", "利率已调整，撤回", "--root", str(world.root), GITHUB_ACTOR="qian-compliance"
    )
    assert out.returncode == 0, out.stderr
    assert world.articles()[TITLES[CARD]] == 0
    rec = read_records(world.root)[CARD]
    assert rec.status == "retracted" and rec.retraction is not None
    assert rec.retraction["by"] == "qian-compliance" and rec.retraction["reason"] == "利率已调整，撤回"
    assert rec.article_url  # the record keeps what was published
    # a retracted post is never published again, and cannot be retracted twice
    assert world.publish().returncode == 0 and world.articles()[TITLES[CARD]] == 0
    twice = world.run("retract", CARD, "--reason", "again", "--root", str(world.root))
    assert twice.returncode != 0 and "already retracted" in twice.stderr and "Traceback" not in twice.stderr
    unknown = world.run("retract", LATER, "--reason", "x", "--root", str(world.root), WECHAT_APPID="")
    assert unknown.returncode == 2 and "no published article" in unknown.stderr


def test_retract_killed_after_the_delete_finishes_on_rerun(world: World) -> None:
    assert world.publish().returncode == 0
    args = ("retract", CARD, "--reason", "撤回", "--root", str(world.root))
    assert world.run(*args, WXPUB_CRASH_AFTER="retract:call").returncode == CRASH_EXIT
    assert world.articles()[TITLES[CARD]] == 0
    assert read_records(world.root)[CARD].status == "published"  # started, not done
    again = world.run(*args)
    assert again.returncode == 0, again.stderr
    rec = read_records(world.root)[CARD]
    assert rec.status == "retracted" and [e.status for e in rec.events if e.step == "retract"] == [
        "started",
        "started",
        "done",
    ]


def retract_events(post_id: str, root: Path) -> list[Any]:
    return [e for e in read_records(root)[post_id].events if e.step == "retract"]


def test_retract_with_another_accounts_credentials_is_not_recorded_as_done(world: World) -> None:
    """53600 from an account that never had the article is no proof of deletion: exit 1, record unconfirmed."""
    assert world.publish().returncode == 0
    other = SandboxConfig(appid="wx00000000another", secret="another-account-secret-0123456789")
    with Sandbox(other) as wrong:
        out = world.run(
            "retract", CARD, "--reason", "撤回", "--root", str(world.root),
            WECHAT_APPID=other.appid, WECHAT_SECRET=other.secret, WECHAT_API_BASE=wrong.base_url,
        )  # fmt: skip
        assert [c.errcode for c in wrong.calls() if c.path == "/cgi-bin/freepublish/delete"] == [53600]
    assert out.returncode == 1, out.stdout + out.stderr
    assert "NOT confirmed" in out.stderr and "WECHAT_APPID" in out.stderr and "Traceback" not in out.stderr
    assert world.articles()[TITLES[CARD]] == 1  # still live on the real account
    rec = read_records(world.root)[CARD]
    assert rec.status == "published" and rec.retraction is None
    last = retract_events(CARD, world.root)[-1]
    assert last.status == "failed" and last.data["unconfirmed"] is True and last.data["errcode"] == 53600
    # with the right account the retraction goes through (the refused attempt is not mistaken for a deletion)
    again = world.run("retract", CARD, "--reason", "撤回", "--root", str(world.root))
    assert again.returncode == 0, again.stderr
    assert world.articles()[TITLES[CARD]] == 0 and read_records(world.root)[CARD].status == "retracted"


def test_retract_of_an_article_already_deleted_in_the_console(world: World) -> None:
    assert world.publish().returncode == 0
    article_id = read_records(world.root)[CARD].article_id
    # deleted by hand in the WeChat console (发表记录): the account's own state
    with world.sb.platform.lock:
        for item in world.sb.platform.state["articles"][article_id]["items"]:
            item["is_deleted"] = True
    out = world.run("retract", CARD, "--reason", "已在后台删除", "--root", str(world.root))
    assert out.returncode == 0, out.stderr
    assert "already deleted on this account" in out.stdout
    done = retract_events(CARD, world.root)[-1]
    assert done.status == "done" and done.data["already_deleted"] is True and done.data["confirmed_by"] == "getarticle"
    assert read_records(world.root)[CARD].status == "retracted"


def test_retract_confirmed_by_our_own_lost_attempt_when_wechat_forgets_deleted_articles(world: World) -> None:
    assert world.publish().returncode == 0
    world.sb.config.forget_deleted = True  # getarticle answers 53600 once the article is deleted
    args = ("retract", CARD, "--reason", "撤回", "--root", str(world.root))
    assert world.run(*args, WXPUB_CRASH_AFTER="retract:call").returncode == CRASH_EXIT
    again = world.run(*args)
    assert again.returncode == 0, again.stderr
    done = retract_events(CARD, world.root)[-1]
    assert done.data["confirmed_by"] == "earlier-attempt" and read_records(world.root)[CARD].status == "retracted"


def test_retract_a_broadcast_deletes_the_mass_send(world: World) -> None:
    assert world.publish().returncode == 0
    msg_id = read_records(world.root)[BCAST].msg_id
    assert msg_id
    no_secret = world.run("retract", BCAST, "--reason", "x", "--root", str(world.root), WECHAT_SECRET="")
    assert no_secret.returncode == 2 and "WECHAT_SECRET is not set" in no_secret.stderr
    assert retract_events(BCAST, world.root) == []  # nothing started: no call can have been made
    out = world.run("retract", BCAST, "--reason", "群发内容有误", "--root", str(world.root))
    assert out.returncode == 0, out.stderr
    assert f"broadcast msg_id {msg_id} deleted" in out.stdout
    (sent,) = world.sb.mass_sends()
    assert all(item["is_deleted"] for item in sent["items"])
    rec = read_records(world.root)[BCAST]
    assert rec.status == "retracted" and rec.retraction and rec.retraction["reason"] == "群发内容有误"
    assert retract_events(BCAST, world.root)[-1].data["msg_id"] == msg_id
    assert [c.errcode for c in world.sb.calls() if c.path == "/cgi-bin/message/mass/delete"] == [0]


def test_retract_a_broadcast_whose_msg_id_was_lost_says_so(world: World) -> None:
    assert world.publish(WXPUB_CRASH_AFTER="broadcast:call").returncode == CRASH_EXIT
    assert world.publish().returncode == 0
    assert read_records(world.root)[BCAST].msg_id == ""  # the send's answer was lost
    out = world.run("retract", BCAST, "--reason", "撤回", "--root", str(world.root))
    assert out.returncode == 1 and "msg_id is unknown" in out.stderr and "群发记录" in out.stderr
    assert "Traceback" not in out.stderr
    assert not any(c.path == "/cgi-bin/message/mass/delete" for c in world.sb.calls())
    rec = read_records(world.root)[BCAST]
    assert rec.status == "published" and rec.retraction is None
    assert retract_events(BCAST, world.root)[-1].status == "failed"
    assert not any(item["is_deleted"] for item in world.sb.mass_sends()[0]["items"])


def test_dry_run_without_a_forge_token_reports_approval_not_verified(world: World) -> None:
    args = ("publish", "--root", str(world.root), "--now", NOW)
    dry = world.run(*args, "--dry-run")  # no --reviews-file, no GITHUB_TOKEN
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert dry.stdout.count("approval not verified (no forge token; the real run re-verifies)") == 2
    assert "would send" in dry.stdout and CARD in dry.stdout and BCAST in dry.stdout
    assert world.sb.calls() == [] and read_records(world.root) == {}  # nothing remote, nothing written
    real = world.run(*args)  # a real run never sends what it could not verify
    assert real.returncode == 2 and "GITHUB_TOKEN is not set" in real.stderr
    assert world.sb.calls() == [] and not any(r.published for r in read_records(world.root).values())
    # with forge credentials the dry run verifies as the real run does: no approved PR, nothing would be sent
    from forge_standin import FULL_TOKEN, REPO, ForgeData, GitHubStandin

    with GitHubStandin(ForgeData()) as gh:
        checked = world.run(*args, "--dry-run", GITHUB_TOKEN=FULL_TOKEN, GITHUB_REPOSITORY=REPO, GITHUB_API_URL=gh.url)
        assert gh.log  # the forge was asked
    assert checked.returncode == 1 and "BLOCKED" in checked.stdout and "would send" not in checked.stdout
    assert "approval not verified" not in checked.stdout
    assert world.sb.calls() == []


def test_missing_credentials_stop_the_run_with_a_message(world: World) -> None:
    dry = world.publish("--dry-run", WECHAT_APPID="", WECHAT_SECRET="")  # a dry run needs no credentials
    assert dry.returncode == 0 and "would send" in dry.stdout
    out = world.publish(WECHAT_SECRET="")
    assert out.returncode == 2 and "WECHAT_SECRET is not set" in out.stderr and "Traceback" not in out.stderr
    assert world.sb.calls() == [] and not read_records(world.root)[CARD].published


def test_records_dir_keeps_records_offline(world: World, tmp_path: Path) -> None:
    out = world.publish("--records-dir", str(tmp_path / "recs"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert (tmp_path / "recs" / "records" / f"{CARD}.json").is_file()
    assert read_records(world.root) == {}  # no branch written
    assert_exactly_once(world, records_dir=tmp_path / "recs")


# -- never what is not approved, not due, or not merged -------------------------------------------------


def test_unapproved_posts_are_not_sent(world: World) -> None:
    world.reviews.write_text(json.dumps(reviews(("li-retail", "lv-ebank"))), encoding="utf-8")  # no compliance
    out = world.publish()
    assert out.returncode == 1
    assert "BLOCKED" in out.stdout and "not approved" in out.stdout
    assert world.sb.calls() == []  # verification comes before any call to WeChat
    assert not world.articles() and not world.sb.mass_sends() and not world.sb.drafts()
    rec = read_records(world.root)[CARD]
    assert rec.status == "failed" and "not approved" in rec.error and not rec.published
    # rerunning does not grow the record with the same failure
    world.publish()
    assert read_records(world.root)[CARD].events == rec.events


def test_content_changed_after_approval_is_not_sent(world: World) -> None:
    approved = git(world.root, "rev-parse", "HEAD").strip()
    doc = reviews()
    doc["pull"]["head"]["sha"] = doc["pull"]["merge_commit_sha"] = approved
    for r in doc["reviews"]:
        r["commit_id"] = approved
    doc["commits"][0]["sha"] = approved
    world.reviews.write_text(json.dumps(doc), encoding="utf-8")
    index = world.root / "posts" / CARD / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("免收年费", "免收全部年费"), encoding="utf-8")
    git(world.root, "commit", "-qam", "unreviewed edit straight to main")
    out = world.publish()
    assert out.returncode == 1 and "BLOCKED" in out.stdout
    assert TITLES[CARD] not in world.articles()


def test_dirty_or_unmerged_posts_are_not_sent(world: World) -> None:
    index = world.root / "posts" / CARD / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + "\n未提交的修改。\n", encoding="utf-8")
    new = world.root / "posts" / "2026" / "12-04-new"
    new.mkdir()
    (new / "index.md").write_text(post_text(title="未合并"), encoding="utf-8")
    out = world.publish("--dry-run")
    assert out.returncode == 1 and "uncommitted changes" in out.stdout and "12-04-new" not in out.stdout
    git(world.root, "checkout", "-q", "-b", "feature")
    git(world.root, "commit", "-q", "--allow-empty", "-m", "work on a branch")
    off_main = world.publish()
    assert off_main.returncode == 2 and "not main" in off_main.stderr and "Traceback" not in off_main.stderr
    assert world.sb.calls() == []


# -- crashes, lost answers, transient and fatal errors ------------------------------------------------------


@pytest.mark.parametrize(
    "point", ["images:call", "cover:call", "draft:call", "submit:call", "submit:done", "poll:call", "broadcast:call"]
)
def test_killed_after_a_remote_call_reruns_exactly_once(world: World, point: str) -> None:
    crashed = world.publish(WXPUB_CRASH_AFTER=point)
    assert crashed.returncode == CRASH_EXIT, crashed.stdout + crashed.stderr
    rerun = world.publish()
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert_exactly_once(world, extra_uploads=1 if point in ("images:call", "cover:call") else 0)


def test_killed_after_every_step_in_turn(world: World) -> None:
    """One run per crash point, each resuming the last: the record stays append-only throughout."""
    points = ["verify:done", "images:started", "cover:started", "draft:started", "draft:done", "record:done",
              "broadcast:started"]  # fmt: skip
    for point in points:
        out = world.publish(WXPUB_CRASH_AFTER=point)
        assert out.returncode in (CRASH_EXIT, 0), (point, out.stdout, out.stderr)
    assert world.publish().returncode == 0
    assert_exactly_once(world)
    # append-only: every commit of the records branch only adds events to a record
    commits = git(world.root, "rev-list", "--reverse", BRANCH).split()
    seen: dict[str, list[Any]] = {}
    for c in commits:
        for pid in (CARD, BCAST):
            try:
                text = git(world.root, "show", f"{c}:records/{pid}.json")
            except subprocess.CalledProcessError:
                continue
            events = json.loads(text)["events"]
            assert events[: len(seen.get(pid, []))] == seen.get(pid, []), f"{c} rewrote {pid}"
            seen[pid] = events


def test_killed_before_submit_waits_then_resubmits_once(world: World) -> None:
    assert world.publish(WXPUB_CRASH_AFTER="submit:started").returncode == CRASH_EXIT
    soon = world.publish("--reconcile-wait", "1")  # the draft is still in the box, no article: unknown, so wait
    assert soon.returncode == 1 and "not known yet" in soon.stdout
    assert TITLES[CARD] not in world.articles()
    later = world.publish(now="2026-12-05T11:10:00+08:00")  # 40 minutes on: safe to submit again
    assert later.returncode == 0, later.stdout + later.stderr
    assert_exactly_once(world)


def test_lost_answers_are_reconciled_in_the_same_run(world: World) -> None:
    world.sb.config.faults[:] = [
        Fault("/cgi-bin/draft/add", "crash_after"),
        Fault("/cgi-bin/freepublish/submit", "crash_after"),
        Fault("/cgi-bin/message/mass/sendall", "crash_after"),
    ]
    out = world.publish()
    assert out.returncode == 0, out.stdout + out.stderr
    assert "answer was lost" in out.stderr
    assert_exactly_once(world)


def test_transient_errors_are_recovered(world: World) -> None:
    world.sb.config.faults[:] = [
        Fault("/cgi-bin/draft/add", "busy", first=2),
        Fault("/cgi-bin/freepublish/submit", "busy", first=1),
        Fault("/cgi-bin/media/uploadimg", "http", first=1),
        Fault("/cgi-bin/material/add_material", "drop", first=1),
        Fault("/cgi-bin/freepublish/get", "busy", first=2),
    ]
    out = world.publish()
    assert out.returncode == 0, out.stdout + out.stderr
    assert_exactly_once(world)


def test_fatal_errors_stop_cleanly_and_resume_later(world: World) -> None:
    world.sb.config.verified = False  # 48001 on freepublish/*
    out = world.publish()
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "48001" in out.stdout and "verified" in out.stdout
    assert "not attempted" in out.stdout  # the run stopped: the next post would fail the same way
    rec = read_records(world.root)[CARD]
    assert rec.status == "failed" and rec.draft_media_id and not rec.published
    assert len(world.sb.drafts()) == 1 and not world.articles()
    world.sb.config.verified = True
    assert world.publish().returncode == 0
    assert_exactly_once(world)


def two_prs(first: str) -> dict[str, Any]:
    """PR #7 merged `first` (both posts), PR #8 the fix at HEAD; both approved."""
    old, new = reviews(), reviews()
    text = json.dumps(old).replace("git:HEAD", first)
    old = json.loads(text)
    new["pull"]["number"] = 8
    teams = old.pop("teams")
    new.pop("teams")
    return {"pulls": [old, new], "teams": teams}


def test_a_failed_job_then_a_fixed_post_leaves_no_orphan_draft(world: World) -> None:
    world.sb.config.publish_outcome_by_title[TITLES[CARD]] = 4  # rejected by the platform's review
    out = world.publish()
    assert out.returncode == 1 and "rejected by platform review" in out.stdout
    rec = read_records(world.root)[CARD]
    assert rec.status == "failed" and len(world.sb.drafts()) == 1  # a failed job leaves its draft
    assert world.publish().returncode == 1 and len(world.sb.publish_jobs()) == 1  # never resubmitted blindly
    # the editors fix the post through a new approved PR; the next run replaces the old draft
    index = world.root / "posts" / CARD / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace(TITLES[CARD], "借记卡年费减免公告"), encoding="utf-8")
    git(world.root, "commit", "-qam", "fix the title (PR #8)")
    doc = reviews()
    doc["pull"]["number"] = 8
    world.reviews.write_text(json.dumps(doc), encoding="utf-8")
    fixed = world.publish()
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "deleted the draft of an earlier version" in fixed.stderr
    assert world.sb.drafts() == [] and world.articles() == Counter({"借记卡年费减免公告": 1})
    rec = read_records(world.root)[CARD]
    assert rec.status == "published" and rec.title == "借记卡年费减免公告"
    assert rec.commit == git(world.root, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize("point", ["draft:call", "submit:call"])
def test_killed_then_edited_before_the_rerun(world: World, point: str) -> None:
    """The runner dies, editors merge a fix before the next run: still one article and no orphan draft."""
    world.sb.config.publish_delay = 1.5  # the first version's job is still running when the rerun looks
    assert world.publish(WXPUB_CRASH_AFTER=point).returncode == CRASH_EXIT
    first = git(world.root, "rev-parse", "HEAD").strip()
    index = world.root / "posts" / CARD / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("免收年费", "免收年费和管理费"), encoding="utf-8")
    git(world.root, "commit", "-qam", "fix (PR #8)")
    world.reviews.write_text(json.dumps(two_prs(first)), encoding="utf-8")
    out = world.publish()
    assert out.returncode == 0, out.stdout + out.stderr
    assert_exactly_once(world, commits={CARD: first} if point == "submit:call" else None)
    live = next(a for a in world.sb.published_articles() if a["title"] == TITLES[CARD])
    rec = read_records(world.root)[CARD]
    assert rec.status == "published" and rec.article_id == live["article_id"]
    if point == "submit:call":  # the first version went live: it stays the publication, recorded as such
        assert "管理费" not in live["content"] and rec.commit == first
        assert "an earlier version" in out.stderr
    else:  # only a draft existed: it is deleted and the fixed version published
        assert "管理费" in live["content"] and rec.commit != first


def test_ip_whitelist_error_says_what_to_do(world: World) -> None:
    world.sb.config.whitelist_error = True
    out = world.publish()
    assert out.returncode == 1 and "40164" in out.stdout and "whitelist" in out.stdout
    assert "not attempted" in out.stdout and not world.sb.drafts()
    world.sb.config.whitelist_error = False
    assert world.publish().returncode == 0
    assert_exactly_once(world)


# -- the records branch travels: a new runner after a dead one -------------------------------------------


def test_push_lets_a_fresh_runner_resume(world: World, tmp_path: Path) -> None:
    remote = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(world.root, "remote", "add", "origin", str(remote))
    git(world.root, "push", "-q", "origin", "main")
    crashed = world.publish("--push", WXPUB_CRASH_AFTER="submit:call")
    assert crashed.returncode == CRASH_EXIT
    # the runner is gone with its checkout; a new one clones and runs again
    fresh = tmp_path / "runner2"
    git(tmp_path, "clone", "-q", "-b", "main", str(remote), str(fresh))
    out = world.publish("--push", root=fresh)
    assert out.returncode == 0, out.stdout + out.stderr
    assert_exactly_once(world, fresh)
    assert read_records(remote)[CARD].status == "published"


# -- secrets --------------------------------------------------------------------------------------------


def _all_git_objects(root: Path) -> bytes:
    listing = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch-check=%(objectname)"], cwd=root,
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    return subprocess.run(["git", "cat-file", "--batch"], cwd=root, input=listing.encode(), capture_output=True,
                          check=True).stdout  # fmt: skip


def test_the_secret_and_the_token_never_leak(world: World) -> None:
    world.sb.config.faults[:] = [Fault("/cgi-bin/draft/add", "busy", first=1)]
    world.publish(WXPUB_CRASH_AFTER="draft:call")
    world.sb.invalidate_tokens()  # forces a refresh on the rerun
    world.publish()
    world.run("retract", CARD, "--reason", "测试", "--root", str(world.root))
    tokens = list(world.sb.platform.state["tokens"]) + [c for c in [world.sb.platform.state["current"]["stable"]] if c]
    assert tokens and SECRET
    needles = [SECRET, *tokens]
    text = "\n".join(world.outputs)
    for n in needles:
        assert n not in text
    blobs = _all_git_objects(world.root)
    files = [p for p in world.root.rglob("*") if p.is_file()]
    for n in needles:
        assert n.encode() not in blobs
        assert not any(n.encode() in p.read_bytes() for p in files)
    # the state dir holds the token cache (mode 0600) and never the secret
    cache = [p for p in world.state.rglob("*") if p.is_file()]
    assert cache
    for p in cache:
        assert SECRET.encode() not in p.read_bytes()
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
