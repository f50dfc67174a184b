"""Late publication: the calendar places a post on its publish_at and shows when it really went out.

A publish job that did not run for weeks sends every due post in one run. The calendar is the plan: the
posts stay on their publish_at days, clashes are counted there (not at the hour of the late run), and
each late one is shown beside its slot and in a "published late" list; `wxpub status` says so too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import post_text
from test_leadtime_git import t

from pipeline.cli import main
from pipeline.ledger import DirectoryLedger, Event, Record
from pipeline.policy import load_policy
from pipeline.schedule import Slot, build_schedule, to_markdown, to_text

NOW = "2027-01-06T13:00:00+08:00"
LATE_RUN = "2027-01-06 12:00"  # the run that finally sent everything
PERIOD = ["--from", "2026-12-01", "--to", "2027-01-31"]


def sent(directory: Path, post_id: str, *, publish_at: str, published_at: str, delivery: str = "publish") -> Record:
    """A record as the publish job leaves it, sent at `published_at` (its events then too)."""
    ledger, plan, when = DirectoryLedger(directory), t(publish_at), t(published_at)
    header = {
        "title": f"标题 {post_id[-4:]}",
        "unit": "电子银行部",
        "category": "campaign",
        "delivery": delivery,
        "publish_at": plan.isoformat(),
        "path": f"posts/{post_id}/index.md",
    }
    rec = ledger.append(Record(post_id), Event(when, "due", "done", actor="publish-job", data=header))
    rec = ledger.append(rec, Event(when, "verify", "done", actor="publish-job", data={}))
    data = {"published_at": when.isoformat(), "article_url": f"https://mp.weixin.qq.com/s/{post_id[-4:]}"}
    return ledger.append(rec, Event(when, "record", "done", actor="publish-job", data=data))


@pytest.fixture
def repo(tmp_path: Path, make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Six posts due in December, all sent by one run on 2027-01-06 12:00; one sent 7 minutes late."""
    monkeypatch.delenv("GITHUB_BASE_REF", raising=False)
    root = make_repo({"2026/12-16-cast": post_text(publish_at=t("2026-12-16 18:00"), delivery="broadcast")})
    records = tmp_path / "records"
    sent(records, "2026/12-16-aaaa", publish_at="2026-12-16 12:00", published_at=LATE_RUN, delivery="broadcast")
    sent(records, "2026/12-16-bbbb", publish_at="2026-12-16 12:30", published_at=LATE_RUN)
    sent(records, "2026/12-18-cccc", publish_at="2026-12-18 09:00", published_at=LATE_RUN)
    sent(records, "2026/12-21-dddd", publish_at="2026-12-21 10:00", published_at=LATE_RUN, delivery="broadcast")
    sent(records, "2026/12-28-eeee", publish_at="2026-12-28 10:00", published_at=LATE_RUN)
    sent(records, "2027/01-05-ffff", publish_at="2027-01-05 15:00", published_at=LATE_RUN)
    sent(records, "2026/12-30-gggg", publish_at="2026-12-30 10:00", published_at="2026-12-30 10:07")
    return root, records


def schedule(root: Path, records: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    args = ["schedule", "--root", str(root), "--records-dir", str(records), "--now", NOW, *PERIOD, *extra]
    assert main(args) == 0
    return capsys.readouterr().out


def test_posts_sit_on_their_publish_at_and_clash_there(
    repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, records = repo
    doc = json.loads(schedule(root, records, capsys, "--format", "json"))
    days = {d["date"]: [p["post"] for p in d["posts"]] for d in doc["days"]}
    assert days == {
        "2026-12-16": ["2026/12-16-aaaa", "2026/12-16-bbbb", "2026/12-16-cast"],
        "2026-12-18": ["2026/12-18-cccc"],
        "2026-12-21": ["2026/12-21-dddd"],
        "2026-12-28": ["2026/12-28-eeee"],
        "2026-12-30": ["2026/12-30-gggg"],
        "2027-01-05": ["2027/01-05-ffff"],
    }
    first = doc["days"][0]["posts"][0]
    assert first["at"] == "2026-12-16T12:00:00+08:00"
    assert first["published_at"] == "2027-01-06T12:00:00+08:00"
    assert first["late_minutes"] == 21 * 24 * 60
    clashes = {(c["kind"], c["when"]): c["posts"] for c in doc["clashes"]}
    # On publish_at: 12:00 and 12:30 share an hour; the late broadcast and the tree's both on 12-16.
    assert clashes == {
        ("same-hour", "2026-12-16 12:00"): ["2026/12-16-aaaa", "2026/12-16-bbbb"],
        ("broadcast-day", "2026-12-16"): ["2026/12-16-aaaa", "2026/12-16-cast"],
    }
    assert not any(c["when"].startswith("2027-01-06") for c in doc["clashes"])  # not the late run's hour
    late = {item["post"]: item for item in doc["late"]}
    assert set(late) == {
        "2026/12-16-aaaa",
        "2026/12-16-bbbb",
        "2026/12-18-cccc",
        "2026/12-21-dddd",
        "2026/12-28-eeee",
        "2027/01-05-ffff",
    }  # not the one 7 minutes after its time
    assert late["2026/12-18-cccc"] == {
        "post": "2026/12-18-cccc",
        "title": "标题 cccc",
        "delivery": "publish",
        "publish_at": "2026-12-18T09:00:00+08:00",
        "published_at": "2027-01-06T12:00:00+08:00",
        "late_minutes": 19 * 24 * 60 + 3 * 60,
        "late": "19 days late",
    }
    assert late["2027/01-05-ffff"]["late"] == "21 hours late"
    assert [(m["month"], m["used"]) for m in doc["broadcasts"]] == [("2026-12", 3), ("2027-01", 0)]


def test_text_view_shows_the_publication_time_beside_the_slot(
    repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, records = repo
    text = schedule(root, records, capsys)
    assert "2026/12-16-aaaa  标题 aaaa published 2027-01-06 12:00, 21 days late" in text
    assert "2026/12-30-gggg  标题 gggg published 2026-12-30 10:07, 7 minutes late" in text
    assert "Published late (6): check the publish job's runs" in text
    assert (
        "  2026/12-21-dddd  due 2026-12-21 10:00, published 2027-01-06 12:00: 16 days late "
        "(counted here in 2026-12; WeChat counted the broadcast in 2027-01)"
    ) in text
    assert "2026/12-16-bbbb  due 2026-12-16 12:30, published 2027-01-06 12:00: 20 days late\n" in text
    assert "2026/12-30-gggg  due" not in text
    assert "posts in the hour 2027-01-06" not in text
    assert "2 posts in the hour 2026-12-16 12:00: 2026/12-16-aaaa, 2026/12-16-bbbb" in text
    # Sections in order: days, quota, late list, clashes.
    assert text.index("Broadcasts per month:") < text.index("Published late") < text.index("Clashes:")


def test_markdown_view(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, records = repo
    md = schedule(root, records, capsys, "--format", "markdown")
    assert "| 2026-12-16 Wed | 12:00 | broadcast |" in md
    assert "| published 2027-01-06 12:00, 21 days late |" in md
    assert "**Published late** (6): check the publish job's runs" in md
    assert "- `2026/12-28-eeee` due 2026-12-28 10:00, published 2027-01-06 12:00: 9 days late" in md


def test_status_says_a_post_went_out_late(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, records = repo
    base = ["status", "--root", str(root), "--records-dir", str(records), "--now", NOW]
    assert main([*base, "2026/12-21-dddd"]) == 0
    text = capsys.readouterr().out
    assert "2026/12-21-dddd: published" in text
    assert "published 2027-01-06 12:00 +08:00" in text
    assert "published 16 days late: its publish_at was 2026-12-21 10:00 +08:00; check the publish job's runs" in text
    assert main([*base, "2026/12-30-gggg", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["late_minutes"] == 7 and doc["details"] == []  # within the hour: on time enough
    assert main([*base, "2026/12-16-aaaa", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["late_minutes"] == 21 * 24 * 60


def test_an_on_time_slot_has_no_note_and_early_is_early() -> None:
    from pipeline.schedule import lateness

    policy = load_policy(Path(__file__).resolve().parents[1])
    at = t("2026-12-05 10:00")
    slots = [
        Slot("2026/12-05-a", at, status="published", published_at=at + dt.timedelta(seconds=20)),
        Slot("2026/12-05-b", at + dt.timedelta(hours=2), status="published"),
    ]
    sched = build_schedule(slots, policy, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert sched.late == [] and "published 2026" not in to_text(sched) and "published 2026" not in to_markdown(sched)
    assert lateness(dt.timedelta(minutes=-5)) == "5 minutes early"
    assert lateness(dt.timedelta(minutes=90)) == "90 minutes late"
    assert lateness(dt.timedelta(hours=1, minutes=59, seconds=59)) == "119 minutes late"
    assert lateness(dt.timedelta(hours=47)) == "47 hours late"
    assert lateness(dt.timedelta(days=1)) == "24 hours late"
    assert lateness(dt.timedelta(days=2)) == "2 days late"
