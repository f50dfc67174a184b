"""Exactly once under the faults found from outside (issue 15): a send that failed, was corrected and
failed again; a cached cover WeChat no longer knows; a broadcast without evidence; what a broadcast's
record keeps. The real CLI against the sandbox on loopback and a real git repository, as in test_publish."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import git
from test_publish import BCAST, CARD, TITLES, World, assert_exactly_once, two_prs
from test_publish import world as world  # the fixture

from pipeline.ledger import GitLedger, read_records
from pipeline.wechat.sandbox import Fault

SENDALL = "/cgi-bin/message/mass/sendall"
SUBMIT = "/cgi-bin/freepublish/submit"
LATER_40 = "2026-12-05T11:10:00+08:00"
LATER_80 = "2026-12-05T11:50:00+08:00"


def correct(w: World, post_id: str) -> str:
    """Editors fix the post's body through a second approved PR; returns the first version's commit."""
    first = git(w.root, "rev-parse", "HEAD").strip()
    index = w.root / "posts" / post_id / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("免收年费", "免收年费和管理费"), encoding="utf-8")
    git(w.root, "commit", "-qam", "fix (PR #8)")
    w.reviews.write_text(json.dumps(two_prs(first)), encoding="utf-8")
    return first


def test_a_broadcast_failed_corrected_and_failed_again_is_never_recorded_as_sent(world: World) -> None:
    world.sb.config.faults[:] = [Fault(SENDALL, "http", status=503, first=10)]  # both runs: retries run out
    first = world.publish("--reconcile-wait", "0")
    assert first.returncode == 1 and world.broadcasts() == Counter()
    correct(world, BCAST)
    second = world.publish("--reconcile-wait", "0")
    assert second.returncode == 1, second.stdout + second.stderr
    assert "deleted the draft of an earlier version" in second.stderr and world.broadcasts() == Counter()
    rec = read_records(world.root)[BCAST]
    settled = [e for e in rec.events if e.step == "broadcast" and e.status == "skipped"]
    assert settled and settled[0].data["evidence"] == "draft-in-box"  # recorded before the draft was deleted
    discard = next(i for i, e in enumerate(rec.events) if e.step == "discard" and e.status == "started")
    assert rec.events.index(settled[0]) < discard
    world.sb.config.faults[:] = []
    third = world.publish()
    assert third.returncode == 0, third.stdout + third.stderr
    assert world.broadcasts() == Counter({TITLES[BCAST]: 1}) and world.sb.drafts() == []
    sent = world.sb.mass_sends()[0]
    assert "管理费" in sent["items"][0]["content"]  # the corrected version went out, once
    rec = read_records(world.root)[BCAST]
    final = rec.result("record")
    assert final is not None and not final.get("earlier_version")
    assert rec.commit == git(world.root, "rev-parse", "HEAD").strip()
    assert rec.msg_id == str(sent["msg_id"]) and rec.msg_data_id == str(sent["msg_data_id"])


def test_a_publication_failed_corrected_and_failed_again_is_not_stuck(world: World) -> None:
    world.sb.config.faults[:] = [Fault(SUBMIT, "http", status=503, first=2)]  # one 503 in each failing run
    assert world.publish("--reconcile-wait", "0").returncode == 1
    correct(world, CARD)
    second = world.publish("--reconcile-wait", "0", now=LATER_40)
    assert second.returncode == 1 and not world.articles(), second.stdout + second.stderr
    assert "deleted the draft of an earlier version" in second.stderr
    third = world.publish("--reconcile-wait", "0", now=LATER_80)
    assert third.returncode == 0, third.stdout + third.stderr
    assert_exactly_once(world)
    live = next(a for a in world.sb.published_articles() if a["title"] == TITLES[CARD])
    assert "管理费" in live["content"]
    rec = read_records(world.root)[CARD]
    assert [e.data["evidence"] for e in rec.events if e.step == "submit" and e.status == "skipped"] == ["no-article"]


def test_a_broadcast_without_evidence_stops_with_the_remedy(world: World) -> None:
    """The draft of a broadcast whose answer may be lost is gone (deleted in the console): WeChat neither
    confirms the send (no 45065) nor can the publisher tell; it says so, exits 1, and an operator decides."""
    assert world.publish(WXPUB_CRASH_AFTER="broadcast:started").returncode == 70
    (draft,) = world.sb.drafts()
    with world.sb.platform.lock:
        del world.sb.platform.state["drafts"][draft["media_id"]]
    out = world.publish()
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "no evidence" in out.stdout and f"--resolve {BCAST}=sent" in out.stdout
    assert world.broadcasts() == Counter() and not read_records(world.root)[BCAST].published
    again = world.publish()
    assert again.returncode == 1 and "no evidence" in again.stdout  # still no guess
    verdict = world.run(
        "publish", "--root", str(world.root), "--resolve", f"{BCAST}=not-sent", "--reason", "群发记录里没有"
    )
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    done = world.publish()
    assert done.returncode == 0, (
        done.stdout
        + done.stderr
        + "\n".join(f"{e.step} {e.status} {e.commit[:6]} {e.data}" for e in read_records(world.root)[BCAST].events)
    )
    assert world.broadcasts() == Counter({TITLES[BCAST]: 1}) and world.sb.drafts() == []
    rec = read_records(world.root)[BCAST]
    skipped = [e for e in rec.events if e.step == "broadcast" and e.status == "skipped"]
    assert skipped[0].data["evidence"] == "operator" and skipped[0].data["reason"] == "群发记录里没有"


def test_an_operator_confirms_a_broadcast_seen_in_the_console(world: World) -> None:
    assert world.publish(WXPUB_CRASH_AFTER="broadcast:started").returncode == 70
    with world.sb.platform.lock:
        world.sb.platform.state["drafts"].clear()
    assert world.publish().returncode == 1
    verdict = world.run(
        "publish", "--root", str(world.root), "--resolve", f"{BCAST}=sent", "--reason", "已在群发记录中看到"
    )
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    assert world.publish().returncode == 0
    rec = read_records(world.root)[BCAST]
    assert rec.published and rec.result("record")["confirmed_by"] == "operator"  # type: ignore[index]
    assert world.broadcasts() == Counter()  # nothing sent by the publisher


def test_a_cached_cover_wechat_no_longer_knows_is_uploaded_again_once(world: World) -> None:
    assert world.publish(WXPUB_CRASH_AFTER="cover:done").returncode == 70
    cache = GitLedger(world.root).images()
    (stale,) = [v["media_id"] for k, v in cache.items() if k.startswith("cover:")]
    world.sb.forget_media(stale)  # deleted in the console
    out = world.publish()
    assert out.returncode == 0, out.stdout + out.stderr
    assert_exactly_once(world, extra_uploads=1)
    rec = read_records(world.root)[CARD]
    dropped = [e for e in rec.events if e.step == "cover" and e.status == "failed"]
    assert dropped and dropped[0].data["errcode"] == 40007 and dropped[0].data["media_id"] == stale
    fresh = rec.result("cover")
    assert fresh is not None and fresh["replaces"] == stale and fresh["media_id"] != stale
    (entry,) = [v for k, v in GitLedger(world.root).images().items() if k.startswith("cover:")]
    assert entry["media_id"] == fresh["media_id"]


def test_a_cover_refused_twice_fails_after_one_new_upload(world: World) -> None:
    world.sb.config.faults[:] = [Fault("/cgi-bin/draft/add", "busy", errcode=40007, first=2)]
    out = world.publish()
    assert out.returncode == 1 and "40007" in out.stdout
    calls = world.sb.call_counts()
    # the card: refused, its cover uploaded again, refused again: it fails; the broadcast then goes out
    assert calls["/cgi-bin/draft/add"] == 3 and calls["/cgi-bin/material/add_material"] == 2
    assert read_records(world.root)[CARD].status == "failed" and world.broadcasts() == Counter({TITLES[BCAST]: 1})


def test_a_broadcast_record_keeps_what_wechat_answered(world: World) -> None:
    world.sb.config.mass_answer_url = True
    assert world.publish().returncode == 0
    sent = world.sb.mass_sends()[0]
    rec = read_records(world.root)[BCAST]
    final = rec.result("record")
    assert final is not None
    assert final["msg_id"] == str(sent["msg_id"]) and final["msg_data_id"] == str(sent["msg_data_id"])
    assert rec.article_url == sent["items"][0]["url"]
    assert rec.summary()["msg_data_id"] == str(sent["msg_data_id"])


@pytest.mark.parametrize(
    ("point", "lean"),
    [
        ("draft:call", ()),
        ("submit:call", ()),
        ("draft:call", ("title", "thumb_media_id")),
        ("submit:call", ("thumb_media_id",)),
    ],
)
def test_without_comments_a_crash_then_an_approved_edit_never_adopts_the_old_version(
    world: World, point: str, lean: tuple[str, ...]
) -> None:
    """WeChat may strip HTML comments (the marker's hint): the versions are told apart by their fingerprints
    (title, cover and text, which WeChat keeps), so the old draft is replaced, and an old article is found."""
    world.sb.config.strip_comments = True
    world.sb.config.listing_omits = lean
    world.sb.config.publish_delay = 1.0
    assert world.publish(WXPUB_CRASH_AFTER=point).returncode == 70
    assert all("wxpub-" not in d["articles"][0]["content"] for d in world.sb.drafts())
    first = correct(world, CARD)  # same title, same cover: only the text changes
    out = world.publish()
    assert out.returncode == 0, out.stdout + out.stderr
    assert_exactly_once(world, commits={CARD: first} if point == "submit:call" else None)
    live = next(a for a in world.sb.published_articles() if a["title"] == TITLES[CARD])
    rec = read_records(world.root)[CARD]
    if point == "draft:call":  # the old draft was deleted, the approved edit published
        assert "管理费" in live["content"] and rec.commit != first
        assert "deleted the draft of an earlier version" in out.stderr
    else:  # the old version went live: it stays the publication
        assert "管理费" not in live["content"] and rec.commit == first


def test_reconciling_a_lost_answer_costs_one_listing_pass_without_content(world: World) -> None:
    world.sb.fill(articles=300, drafts=50)
    world.sb.config.listing_order = "shuffled"
    world.sb.config.publish_delay = 1.0  # the job is still running when the publisher first looks
    world.sb.config.faults[:] = [
        Fault("/cgi-bin/draft/add", "crash_after", first=1),
        Fault(SUBMIT, "crash_after", first=1),
    ]
    out = world.publish()
    assert out.returncode == 0, out.stdout + out.stderr
    calls = world.sb.call_counts()
    # one pass over 50 drafts (3 pages) and one over 300 articles (15 pages), stopping at the match
    assert calls["/cgi-bin/draft/batchget"] <= 3 + 1, calls
    assert calls["/cgi-bin/freepublish/batchget"] <= 15, calls
    assert calls.get("/cgi-bin/freepublish/getarticle", 0) <= 1 and calls.get("/cgi-bin/draft/get", 0) <= 12


def test_reconciliation_stops_at_the_policys_call_budget(world: World) -> None:
    policy = world.root / "policy" / "policy.yml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("reconcile_max_calls: 1000", "reconcile_max_calls: 10"),
        encoding="utf-8",
    )
    git(world.root, "commit", "-q", "--amend", "-a", "--no-edit")  # merged with the posts
    world.sb.fill(articles=400)
    world.sb.config.listing_order = "oldest"  # ours comes last: past the budget
    world.sb.config.faults[:] = [Fault(SUBMIT, "crash_after", first=1)]
    out = world.publish()
    assert out.returncode == 1 and "budget" in out.stdout and "reconcile_max_calls" in out.stdout
    assert world.sb.call_counts()["/cgi-bin/freepublish/batchget"] <= 10
