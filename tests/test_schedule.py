"""`wxpub schedule` on a real temporary repository with records of published and retracted posts."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import TZ, git, post_text, write_post
from test_leadtime_git import commit, t, write_record

from pipeline.cli import main
from pipeline.commands.schedule import period
from pipeline.errors import UsageError
from pipeline.policy import load_policy
from pipeline.schedule import (
    Slot,
    build_schedule,
    collect_slots,
    counted_broadcasts,
    read_records,
    to_markdown,
    to_text,
)

NOW = "2026-12-10T09:00:00+08:00"


@pytest.fixture
def repo(tmp_path: Path, make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """main: four posts; a branch adds one; main gains one after the branch point; records of three."""
    monkeypatch.delenv("GITHUB_BASE_REF", raising=False)
    root = make_repo({}, commit=False)
    git(root, "init", "-q", "-b", "main")
    write_post(root, "2026/12-03-loan", post_text(publish_at=t("2026-12-03 10:00"), delivery="broadcast", title="贷"))
    write_post(root, "2026/12-03-faq", post_text(publish_at=t("2026-12-03 10:30"), category="service", title="问答"))
    write_post(root, "2026/12-08-card", post_text(publish_at=t("2026-12-08 10:00"), title="借记卡"))
    write_post(root, "2026/12-20-gift", post_text(publish_at=t("2026-12-20 10:00"), delivery="broadcast", title="礼"))
    commit(root, "four posts", "2026-11-01 09:00")
    git(root, "checkout", "-q", "-b", "post/x")
    write_post(root, "2026/12-24-eve", post_text(publish_at=t("2026-12-24 20:00"), delivery="broadcast", title="平安"))
    commit(root, "branch post", "2026-11-02 09:00")
    git(root, "checkout", "-q", "main")
    write_post(root, "2026/12-03-news", post_text(publish_at=t("2026-12-03 18:00"), delivery="broadcast", title="新"))
    commit(root, "merged later", "2026-11-03 09:00")
    git(root, "checkout", "-q", "post/x")
    records = tmp_path / "records"
    write_record(
        records, "2026/12-01-hello", publish_at="2026-12-01 09:00", title="你好", url="https://mp.weixin.qq.com/s/hello"
    )
    write_record(records, "2026/12-02-oops", publish_at="2026-12-02 09:00", status="retracted", title="更正")
    write_record(records, "2026/12-08-card", publish_at="2026-12-08 10:00", delivery="publish", status="failed")
    return root, records


def run_json(root: Path, records: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, object]:
    args = ["schedule", "--root", str(root), "--records-dir", str(records), "--now", NOW, "--format", "json", *extra]
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def test_calendar_from_posts_main_and_records(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, records = repo
    doc = run_json(root, records, capsys, "--from", "2026-12-01", "--to", "2026-12-31")
    days = {d["date"]: [(p["post"], p["status"], p["source"]) for p in d["posts"]] for d in doc["days"]}
    assert days["2026-12-01"] == [("2026/12-01-hello", "published", "record")]
    assert days["2026-12-02"] == [("2026/12-02-oops", "retracted", "record")]
    assert days["2026-12-03"] == [
        ("2026/12-03-loan", "due", "tree"),
        ("2026/12-03-faq", "due", "tree"),
        ("2026/12-03-news", "due", "base"),  # merged on main after the branch point
    ]
    assert days["2026-12-08"] == [("2026/12-08-card", "failed", "tree")]
    assert days["2026-12-24"] == [("2026/12-24-eve", "scheduled", "tree")]
    first = doc["days"][0]["posts"][0]
    assert first["url"] == "https://mp.weixin.qq.com/s/hello" and first["at"] == "2026-12-01T09:00:00+08:00"
    (month,) = doc["broadcasts"]
    # hello, oops (retracted, but it reached followers), loan, news, gift, eve; not the failed one
    assert month == {
        "month": "2026-12",
        "used": 6,
        "left": 0,
        "quota": 4,
        "over": True,
        "posts": [
            "2026/12-01-hello",
            "2026/12-02-oops",
            "2026/12-03-loan",
            "2026/12-03-news",
            "2026/12-20-gift",
            "2026/12-24-eve",
        ],
    }
    clashes = {(c["kind"], c["when"]): c["posts"] for c in doc["clashes"]}
    assert clashes[("same-hour", "2026-12-03 10:00")] == ["2026/12-03-loan", "2026/12-03-faq"]
    assert clashes[("broadcast-day", "2026-12-03")] == ["2026/12-03-loan", "2026/12-03-news"]
    assert ("broadcast-month", "2026-12") in clashes
    assert len(clashes) == 3
    assert doc["gaps"] == [
        {"from": "2026-12-04", "to": "2026-12-07", "days": 4},
        {"from": "2026-12-09", "to": "2026-12-19", "days": 11},
        {"from": "2026-12-21", "to": "2026-12-23", "days": 3},
        {"from": "2026-12-25", "to": "2026-12-31", "days": 7},
    ]


def test_default_period_is_this_month_and_the_next(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, records = repo
    doc = run_json(root, records, capsys)
    assert (doc["from"], doc["to"]) == ("2026-12-01", "2027-01-31")
    assert [m["month"] for m in doc["broadcasts"]] == ["2026-12", "2027-01"]
    assert doc["broadcasts"][1]["left"] == 4


def test_text_and_markdown_views(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, records = repo
    base = ["schedule", "--root", str(root), "--records-dir", str(records), "--now", NOW]
    assert main([*base, "--from", "2026-12-01", "--to", "2026-12-31"]) == 0
    text = capsys.readouterr().out
    assert "2026-12-03 Thu" in text
    assert "  10:00  broadcast  product    个人金融部  2026/12-03-loan  贷 due" in text
    assert "2026/12-02-oops  更正 RETRACTED" in text
    assert "  2026-12: 6 used, 0 left of 4  OVER by 2" in text
    assert "2 broadcasts on 2026-12-03 (at most 1 a day): 2026/12-03-loan, 2026/12-03-news" in text
    assert "  2026-12-09..2026-12-19 (11 days)" in text
    out = root / "summary.md"
    assert main([*base, "--from", "2026-12-01", "--to", "2026-12-31", "--format", "markdown", "-o", str(out)]) == 0
    md = out.read_text(encoding="utf-8")
    assert md.startswith("### Publication calendar 2026-12-01 – 2026-12-31\n")
    assert (
        "| 2026-12-01 Tue | 09:00 | broadcast | campaign | 电子银行部 | [你好](https://mp.weixin.qq.com/s/hello)" in md
    )
    assert "| 2026-12 | **6** (over) | 0 | 4 |" in md
    assert "**Clashes**" in md and "`2026/12-03-faq`" in md


def test_empty_period(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, records = repo
    doc = run_json(root, records, capsys, "--from", "2027-03-01", "--to", "2027-03-05")
    assert doc["days"] == [] and doc["clashes"] == []
    assert doc["gaps"] == [{"from": "2027-03-01", "to": "2027-03-05", "days": 5}]
    assert (
        main(
            [
                "schedule",
                "--root",
                str(root),
                "--records-dir",
                str(records),
                "--from",
                "2027-03-01",
                "--to",
                "2027-03-05",
            ]
        )
        == 0
    )
    assert "nothing scheduled or published in this period" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-13-01", None, "--from '2026-13-01': expected a date"),
        ("2026-12-10", "2026-12-01", "--to 2026-12-01 is before --from 2026-12-10"),
        ("2026-01-01", "2046-01-01", "longer than ten years"),
    ],
)
def test_bad_periods(start: str, end: str | None, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        period(start, end, dt.date(2026, 12, 10))


def test_bad_period_on_the_command_line(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = repo
    assert main(["schedule", "--root", str(root), "--from", "soon"]) == 2
    assert "wxpub: --from 'soon': expected a date such as 2026-12-01" in capsys.readouterr().err


def test_records_from_the_records_branch(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """Without --records-dir the records come from the wxpub-records branch (the ledger's GitLedger)."""
    from pipeline.ledger import GitLedger, Record

    root, records = repo
    ledger = GitLedger(root)
    for pid, rec in read_records(root, directory=records).items():
        new = Record(pid)
        for ev in rec.events:
            new = ledger.append(new, ev)
    assert set(read_records(root)) == {"2026/12-01-hello", "2026/12-02-oops", "2026/12-08-card"}
    assert main(["schedule", "--root", str(root), "--now", NOW, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["days"][0]["posts"][0]["status"] == "published"
    assert git(root, "status", "--porcelain") == ""  # the working tree is untouched


def test_collect_prefers_records_and_skips_unusable_posts(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    root = make_repo({"2026/12-05-card": post_text()})
    write_post(root, "2026/12-06-naive", "---\ntitle: x\npublish_at: 2026-12-06T10:00:00\n---\nbody\n")
    write_post(root, "2026/12-07-broken", "no front matter\n")
    records = tmp_path / "records"
    write_record(records, "2026/12-05-card", publish_at="2026-12-05 10:07", delivery="publish")
    slots = collect_slots(root, records=read_records(root, directory=records), base="main")
    assert set(slots) == {"2026/12-05-card"}
    assert slots["2026/12-05-card"].source == "record" and slots["2026/12-05-card"].at == t("2026-12-05 10:07")


def test_build_schedule_counts_months_in_the_policy_timezone() -> None:
    policy = load_policy(Path(__file__).resolve().parents[1])
    utc = dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC)  # 2027-01-01 01:00 in Shanghai
    sched = build_schedule(
        [Slot("2027/01-01-x", utc, delivery="broadcast")], policy, dt.date(2026, 12, 1), dt.date(2027, 1, 31)
    )
    assert [(m.month, m.used) for m in sched.months] == [("2026-12", 0), ("2027-01", 1)]
    assert list(sched.days) == [dt.date(2027, 1, 1)]
    assert "01:00" in to_text(sched) and "| 2027-01-01 Fri | 01:00 |" in to_markdown(sched)
    assert sched.slots[0].at.astimezone(TZ).hour == 1


def test_a_failed_broadcast_still_counts_and_a_broken_record_is_an_error(
    tmp_path: Path, make_repo: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({"2026/12-05-b": post_text(publish_at=t("2026-12-05 10:00"), delivery="broadcast")})
    records = tmp_path / "records"
    write_record(records, "2026/12-05-b", publish_at="2026-12-05 10:00", status="failed")
    slots = collect_slots(root, records=read_records(root, directory=records))
    assert slots["2026/12-05-b"].status == "failed" and slots["2026/12-05-b"].source == "tree"
    assert [s.post_id for s in counted_broadcasts(slots.values())] == ["2026/12-05-b"]  # it will be retried
    (records / "records" / "2026" / "12-06-x.json").write_text("{not json", encoding="utf-8")
    assert main(["schedule", "--root", str(root), "--records-dir", str(records)]) == 2
    assert "cannot read the publication records" in capsys.readouterr().err
