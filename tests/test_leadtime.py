"""Timing rules as a table of cases: Art. 15 one week, Art. 20 working days, urgent, quota, hours.

The rules are pure: a loaded post, a submission time, the policy and the calendar in, findings out.
Cases cross the 2026 National Day holiday and its adjusted workdays (Sun 09-20 and Sat 10-10 are
worked), the 2026 Mid-Autumn Festival, the 2027 Spring Festival (from a calendar.yml the test writes,
as the bank would once the State Council announces 2027), and a year neither source knows.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT, TZ, post_text, write_post

from pipeline.calendar import UnknownYearError, WorkCalendar, package_years, parse_calendar
from pipeline.errors import PolicyError
from pipeline.findings import Severity
from pipeline.leadtime import (
    Submission,
    edit_findings,
    hours_findings,
    lead_time_findings,
    maintenance_findings,
    quota_findings,
)
from pipeline.policy import Policy, load_policy
from pipeline.post import Post, load_post
from pipeline.schedule import Slot

POLICY = load_policy(PROJECT)

# A 2027 arrangement written for this test only (the shape the bank adds when the notice is out).
CALENDAR_2027 = """\
version: 1
years:
  2027:
    notice: test arrangement
    holidays: [2027-01-01, 2027-02-05..2027-02-11]
    workdays: [2027-02-20]
"""


def t(s: str) -> dt.datetime:
    """`2026-09-30 10:00` in +08:00."""
    return dt.datetime.fromisoformat(s).replace(tzinfo=TZ)


def sub(s: str) -> Submission:
    return Submission(t(s), "pr", f"pull request #1 opened {s}")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    shutil.copytree(PROJECT / "policy", r / "policy")
    (r / "policy" / "calendar.yml").write_text(CALENDAR_2027, encoding="utf-8")
    return r


# The years whose official notice holidays 0.109 ships; pinned so that a later release carrying 2027's
# notice cannot change what these tests mean (2027 comes from the test's calendar.yml).
OFFICIAL = frozenset(range(2001, 2027))


@pytest.fixture
def calendar(root: Path) -> WorkCalendar:
    return WorkCalendar(POLICY, root, official_years=OFFICIAL)


def make_post(root: Path, post_id: str = "2026/12-05-card", policy: Policy = POLICY, **fm: object) -> Post:
    folder = write_post(root, post_id, post_text(**fm))
    post, findings = load_post(folder, root, policy)
    assert post.ok, findings
    return post


def notice(root: Path, publish: str, start: str, **fm: object) -> Post:
    start_t = t(start)
    return make_post(
        root,
        "2026/10-01-upgrade",
        category="notice",
        products=None,
        publish_at=t(publish),
        maintenance={"start": start_t, "end": start_t + dt.timedelta(hours=6)},
        **fm,
    )


# -- the calendar ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-09-19", False),  # Saturday
        ("2026-09-20", True),  # Sunday worked for National Day (调休)
        ("2026-09-25", False),  # Mid-Autumn Festival, a Friday
        ("2026-09-30", True),
        ("2026-10-01", False),
        ("2026-10-05", False),  # Monday, National Day week
        ("2026-10-07", False),  # Wednesday, day off in exchange for Sat 10-10
        ("2026-10-08", True),
        ("2026-10-10", True),  # Saturday worked
        ("2026-10-11", False),
        ("2027-02-04", True),
        ("2027-02-08", False),  # Spring Festival (from calendar.yml)
        ("2027-02-11", False),
        ("2027-02-12", True),
        ("2027-02-20", True),  # Saturday worked (from calendar.yml)
        ("2027-02-21", False),
    ],
)
def test_working_days(calendar: WorkCalendar, day: str, working: bool) -> None:
    assert calendar.is_working_day(dt.date.fromisoformat(day)) is working


def test_add_working_days_crosses_the_holiday(calendar: WorkCalendar) -> None:
    assert calendar.add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert calendar.add_working_days(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)
    assert calendar.add_working_days(dt.date(2026, 10, 12), -3) == dt.date(2026, 10, 8)
    assert calendar.working_days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 12)) == 3
    assert "adjusted workday" in calendar.describe(dt.date(2026, 10, 10))
    assert "国庆节" in calendar.describe(dt.date(2026, 10, 1))


def test_unknown_year_says_how_to_fix(calendar: WorkCalendar, root: Path) -> None:
    with pytest.raises(UnknownYearError) as err:
        calendar.is_working_day(dt.date(2028, 3, 1))
    assert "no official holiday calendar for 2028" in err.value.message
    assert "policy/calendar.yml adds 2027" in err.value.message
    assert "years: 2028:" in (err.value.hint or "")
    (root / "policy" / "calendar.yml").write_text("", encoding="utf-8")  # named by the policy: empty, not gone
    with pytest.raises(UnknownYearError, match="2027"):
        WorkCalendar(POLICY, root, official_years=OFFICIAL).is_working_day(dt.date(2027, 2, 8))


def test_package_years_stop_at_the_newest_notice(root: Path) -> None:
    """The package computes later years from rules, but without the 调休 they are not official: not known."""
    (root / "policy" / "calendar.yml").write_text("", encoding="utf-8")
    newest = max(package_years())
    assert newest >= 2026 and package_years() >= OFFICIAL
    cal = WorkCalendar(POLICY, root)
    assert cal.knows(newest) and cal.knows(2001) and not cal.knows(newest + 1) and not cal.knows(2000)
    import holidays

    assert holidays.country_holidays("CN", years=newest + 1)  # computed, yet not counted as known


def test_calendar_file_overrides_a_package_year(root: Path) -> None:
    (root / "policy" / "calendar.yml").write_text(
        "years:\n  2026:\n    holidays: [2026-12-31]\n    workdays: [2026-12-27]\n", encoding="utf-8"
    )
    cal = WorkCalendar(POLICY, root, official_years=OFFICIAL)
    assert not cal.is_working_day(dt.date(2026, 12, 31))
    assert cal.is_working_day(dt.date(2026, 12, 27))
    assert not cal.is_working_day(dt.date(2026, 10, 1))  # the package still speaks for the rest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "years:\n  2027:\n    holidays: [2027-02-30]\n",
            "policy/calendar.yml:3: invalid YAML value: day is out of range",
        ),
        ("years:\n  2027:\n    workdays: [2027-02-17]\n", "2027-02-17 is a Wednesday, already a working day"),
        ("years:\n  2027:\n    holiday: [2027-02-08]\n", "policy/calendar.yml:3: years.2027.holiday: unknown key"),
        ("years:\n  twenty:\n    holidays: []\n", "policy/calendar.yml:2: years.twenty: expected a year"),
        (
            "years:\n  2027:\n    holidays: [2027-02-13]\n    workdays: [2027-02-13]\n",
            "2027-02-13 is listed both as a holiday and as a workday",
        ),
        ("years:\n  2027:\n    holidays: [2027-02-11..2027-02-05]\n", "is not a range of dates like"),
        ("years:\n  2027:\n    holidays: [soon]\n", "policy/calendar.yml:3: years.2027.holidays: 'soon' is not a date"),
        ("years:\n  2027:\n    holidays: [2029-02-05]\n", "2029-02-05 is not in or next to 2027"),
        ("yeers: {}\n", "policy/calendar.yml:1: yeers: unknown key"),
        ("years: [2027]\n", "years: expected a mapping"),
        ("years:\n  2027:\n    holidays: 2027-02-05\n", "expected a list of dates"),
    ],
)
def test_calendar_file_errors_have_lines(text: str, expected: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_calendar(text)
    assert expected in str(err.value)


def test_shipped_calendar_file_loads() -> None:
    WorkCalendar(POLICY, PROJECT)  # does not raise


# -- Art. 15: one week ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("submitted", "publish", "rule"),
    [
        ("2026-11-28 10:01", "2026-12-05 10:00", "leadtime/one-week"),  # 7 days less one minute
        ("2026-11-28 10:00", "2026-12-05 10:00", None),  # exactly 7 days
        ("2026-11-01 09:00", "2026-12-05 10:00", None),
        ("2026-12-05 10:00", "2026-12-05 10:00", "leadtime/past-publish-at"),
        ("2026-12-06 09:00", "2026-12-05 10:00", "leadtime/past-publish-at"),
    ],
)
def test_one_week(root: Path, submitted: str, publish: str, rule: str | None) -> None:
    post = make_post(root, publish_at=t(publish))
    found = lead_time_findings(post, sub(submitted), POLICY)
    assert [f.rule for f in found] == ([rule] if rule else [])


def test_one_week_message_names_both_limits(root: Path) -> None:
    post = make_post(root, publish_at=t("2026-12-05 10:00"))
    (f,) = lead_time_findings(post, sub("2026-11-28 10:01"), POLICY)
    assert f.severity is Severity.ERROR and f.article == "15"
    assert "only 6 days 23 h 59 min after submission" in f.message
    assert "publish at 2026-12-05 10:01 +08:00 or later" in f.message
    assert "or submit by 2026-11-28 10:00 +08:00" in f.message
    assert f.line == post.line_of("publish_at") and f.line > 1


def test_one_week_per_category(root: Path) -> None:
    policy = POLICY.model_copy(update={"leadtime": POLICY.leadtime.model_copy(update={"by_category": {"service": 3}})})
    service = make_post(root, "2026/12-05-faq", category="service", products=None, publish_at=t("2026-12-05 10:00"))
    product = make_post(root, publish_at=t("2026-12-05 10:00"))
    assert lead_time_findings(service, sub("2026-12-01 10:00"), policy) == []
    (f,) = lead_time_findings(product, sub("2026-12-01 10:00"), policy)
    assert "needs 7 days for a product post" in f.message


def test_urgent_waives_pending_approval(root: Path) -> None:
    post = make_post(root, publish_at=t("2026-12-05 10:00"), urgent={"reason": "系统故障紧急通知"})
    (f,) = lead_time_findings(post, sub("2026-12-04 18:00"), POLICY)
    assert f.rule == "leadtime/urgent-waiver" and f.severity is Severity.REVIEW
    assert "waived, pending urgent approval (系统故障紧急通知)" in f.message
    assert f.line == post.line_of("urgent")
    relaxed = lead_time_findings(post, sub("2026-11-01 10:00"), POLICY)
    assert [(x.rule, x.severity) for x in relaxed] == [("leadtime/urgent-waiver", Severity.INFO)]


# -- Art. 20: working days before the maintenance window -------------------------------------------------


@pytest.mark.parametrize(
    ("submitted", "start", "have", "ok"),
    [
        # National Day 2026: Oct 1-7 off, Sat Oct 10 worked.
        ("2026-09-30 10:00", "2026-10-09 00:00", 1, False),  # only Thu 10-08 between
        ("2026-09-30 10:00", "2026-10-10 00:00", 2, False),  # 10-08, 10-09
        ("2026-09-30 10:00", "2026-10-11 02:00", 3, True),  # + Saturday 10-10, an adjusted workday
        ("2026-09-30 10:00", "2026-10-12 00:00", 3, True),
        # Sunday 09-20 is worked: Fri 09-18 -> Wed 09-23 has 09-20, 09-21, 09-22.
        ("2026-09-18 17:00", "2026-09-23 00:00", 3, True),
        # Mid-Autumn, Fri 09-25: Tue 09-22 -> Mon 09-28 has only 09-23 and 09-24.
        ("2026-09-22 09:00", "2026-09-28 00:00", 2, False),
        # An ordinary week: Mon -> Fri has Tue, Wed, Thu.
        ("2026-11-30 09:00", "2026-12-04 22:00", 3, True),
        ("2026-12-01 09:00", "2026-12-04 22:00", 2, False),
        # Spring Festival 2027 (calendar.yml): Feb 5-11 off.
        ("2027-02-03 10:00", "2027-02-15 00:00", 2, False),  # 02-04, 02-12
        ("2027-02-03 10:00", "2027-02-16 00:00", 3, True),  # + 02-15
    ],
)
def test_maintenance_working_days(
    root: Path, calendar: WorkCalendar, submitted: str, start: str, have: int, ok: bool
) -> None:
    post = notice(root, publish=submitted[:10] + " 21:00", start=start)
    found = maintenance_findings(post, sub(submitted), POLICY, calendar)
    if ok:
        assert found == []
    else:
        (f,) = found
        assert f.rule == "leadtime/maintenance-notice" and f.article == "20"
        assert f"only {have} working day(s)" in f.message
        assert f.line == post.line_of("maintenance", "start")


def test_maintenance_message_says_when_to_submit(root: Path, calendar: WorkCalendar) -> None:
    post = notice(root, publish="2026-09-30 21:00", start="2026-10-09 00:00")
    (f,) = maintenance_findings(post, sub("2026-09-30 10:00"), POLICY, calendar)
    # three working days before Fri 10-09 are 09-30, 10-08 (and 09-29): submit by the end of Mon 09-28.
    assert "submit by the end of 2026-09-28 (Mon, working day)" in f.message
    assert "move the window to start on 2026-10-11 or later" in f.message


def test_maintenance_in_an_unknown_year(root: Path, calendar: WorkCalendar) -> None:
    post = notice(root, publish="2027-12-20 10:00", start="2028-01-05 00:00")
    (f,) = maintenance_findings(post, sub("2027-12-01 10:00"), POLICY, calendar)
    assert f.rule == "leadtime/calendar-year" and f.severity is Severity.ERROR
    assert "no official holiday calendar for 2028" in f.message
    assert "add them to policy/calendar.yml under `years: 2028:" in f.message


def test_notice_published_after_the_window_starts(root: Path, calendar: WorkCalendar) -> None:
    post = notice(root, publish="2026-12-10 10:00", start="2026-12-10 00:00")
    rules = [f.rule for f in maintenance_findings(post, sub("2026-11-01 10:00"), POLICY, calendar)]
    assert rules == ["leadtime/maintenance-after-start"]


def test_reversed_window_is_an_error(root: Path) -> None:
    start = t("2026-12-10 06:00")
    folder = write_post(
        root,
        "2026/12-05-upgrade",
        post_text(category="notice", products=None, maintenance={"start": start, "end": start - dt.timedelta(hours=6)}),
    )
    _post, findings = load_post(folder, root, POLICY)
    assert any(f.rule == "schema/type" and "maintenance.end must come after" in f.message for f in findings)


def test_urgent_waives_working_days(root: Path, calendar: WorkCalendar) -> None:
    post = notice(root, publish="2026-09-30 21:00", start="2026-10-09 00:00", urgent={"reason": "安全补丁"})
    (f,) = maintenance_findings(post, sub("2026-09-30 10:00"), POLICY, calendar)
    assert f.rule == "leadtime/urgent-waiver" and "working-day notice waived, pending urgent approval" in f.message


# -- publishing hours ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("publish", "warned"),
    [("2026-12-05 06:59", True), ("2026-12-05 07:00", False), ("2026-12-05 22:00", False), ("2026-12-05 22:01", True)],
)
def test_publishing_hours(root: Path, publish: str, warned: bool) -> None:
    post = make_post(root, publish_at=t(publish))
    found = hours_findings(post, POLICY)
    assert [(f.rule, f.severity) for f in found] == ([("leadtime/publishing-hours", Severity.REVIEW)] if warned else [])


def test_publishing_hours_in_the_policy_timezone(root: Path) -> None:
    utc = dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
    assert hours_findings(make_post(root, publish_at=utc), POLICY) == []


# -- the broadcast quota --------------------------------------------------------------------------------


def slot(pid: str, when: str, source: str = "tree", status: str = "scheduled") -> Slot:
    return Slot(post_id=pid, at=t(when), delivery="broadcast", source=source, status=status)


def test_fifth_broadcast_in_a_month(root: Path) -> None:
    post = make_post(root, "2026/12-20-fifth", publish_at=t("2026-12-20 10:00"), delivery="broadcast")
    slots = {
        "2026/12-01-a": slot("2026/12-01-a", "2026-12-01 10:00", "record", "published"),
        "2026/12-03-b": slot("2026/12-03-b", "2026-12-03 10:00", "record", "retracted"),
        "2026/12-08-c": slot("2026/12-08-c", "2026-12-08 10:00", "base"),
        "2026/12-15-d": slot("2026/12-15-d", "2026-12-15 10:00"),
        "2026/12-09-failed": slot("2026/12-09-failed", "2026-12-09 10:00", "record", "failed"),
        "2026/11-30-e": slot("2026/11-30-e", "2026-11-30 23:00"),  # another month
        "2027/01-01-f": slot("2027/01-01-f", "2027-01-01 00:30"),
        post.id: Slot(post.id, t("2026-12-20 10:00"), delivery="broadcast", source="change"),
    }
    (f,) = quota_findings([post], slots, POLICY)
    assert f.rule == "leadtime/broadcast-month" and f.line == post.line_of("delivery")
    assert f.message.startswith("5 broadcasts in 2026-12, over the quota of 4 a month: ")
    for name in (
        "2026/12-01-a (12-01, published)",
        "2026/12-03-b (12-03, published and retracted)",
        "2026/12-08-c (12-08, on main)",
        "2026/12-15-d (12-15)",
        "2026/12-20-fifth (12-20)",
    ):
        assert name in f.message
    assert "failed" not in f.message and "11-30" not in f.message
    del slots["2026/12-15-d"]
    assert quota_findings([post], slots, POLICY) == []  # the fourth is fine


def test_month_is_counted_in_the_policy_timezone(root: Path) -> None:
    post = make_post(root, "2026/12-20-x", publish_at=t("2026-12-20 10:00"), delivery="broadcast")
    # 2026-11-30 17:00 UTC is 2026-12-01 01:00 in Shanghai: December.
    early = Slot("2026/12-01-early", dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC), delivery="broadcast")
    slots = {s.post_id: s for s in [early, *(slot(f"2026/12-0{i}-s", f"2026-12-0{i} 10:00") for i in (2, 3, 4))]}
    slots[post.id] = Slot(post.id, t("2026-12-20 10:00"), delivery="broadcast", source="change")
    assert [f.rule for f in quota_findings([post], slots, POLICY)] == ["leadtime/broadcast-month"]


def test_two_broadcasts_on_one_day(root: Path) -> None:
    post = make_post(root, "2026/12-20-x", publish_at=t("2026-12-20 19:00"), delivery="broadcast")
    slots = {
        "2026/12-20-y": slot("2026/12-20-y", "2026-12-20 08:00", "base"),
        post.id: Slot(post.id, t("2026-12-20 19:00"), delivery="broadcast", source="change"),
    }
    (f,) = quota_findings([post], slots, POLICY)
    assert f.rule == "leadtime/broadcast-day"
    assert (
        "2 broadcasts on 2026-12-20, over the quota of 1 a day; also broadcasting that day: 2026/12-20-y, on main"
        in (f.message)
    )


def test_publish_delivery_does_not_count(root: Path) -> None:
    post = make_post(root, publish_at=t("2026-12-20 10:00"))
    slots = {f"2026/12-0{i}-s": slot(f"2026/12-0{i}-s", f"2026-12-0{i} 10:00") for i in range(1, 6)}
    assert quota_findings([post], slots, POLICY) == []


# -- edits after publication ----------------------------------------------------------------------------


class FakeRecord:
    """The attributes of `pipeline.ledger.Record` the edit rule reads (a plain value object)."""

    def __init__(self, status: str = "published") -> None:
        self.status = status
        self.commit = "0123456789abcdef"
        self.published_at = t("2026-12-05 10:00")


def test_edit_after_publication(root: Path) -> None:
    old = post_text(publish_at=t("2026-12-05 10:00"))
    post = make_post(root, title="借记卡年费减免通知（更正）", publish_at=t("2026-12-05 10:00"))
    (f,) = edit_findings(post, FakeRecord(), POLICY, old_text=old)
    assert f.rule == "leadtime/edit-after-publication" and f.severity is Severity.ERROR
    assert "published 2026-12-05 10:00 +08:00 from commit 0123456789" in f.message
    assert "changed since: front matter title" in f.message
    assert f.line == post.line_of("title")
    assert edit_findings(post, FakeRecord("failed"), POLICY, old_text=old) == []


def test_edit_of_an_allowed_key(root: Path) -> None:
    policy = POLICY.model_copy(
        update={"leadtime": POLICY.leadtime.model_copy(update={"editable_after_publication": ("tags",)})}
    )
    old = post_text(publish_at=t("2026-12-05 10:00"))
    post = make_post(root, publish_at=t("2026-12-05 10:00"), tags=["更正"])
    assert edit_findings(post, FakeRecord(), policy, old_text=old) == []
    (f,) = edit_findings(post, FakeRecord(), policy, old_text=old, other_files=["cover.jpg"])
    assert "changed since: cover.jpg" in f.message and "only tags may change" in f.hint
    post2 = make_post(root, "2026/12-05-b", publish_at=t("2026-12-05 10:00"), body="新的正文。\n")
    (g,) = edit_findings(post2, FakeRecord("retracted"), policy, old_text=old)
    assert "published and retracted" in g.message and "the body" in g.message


def test_edit_without_the_published_commit_goes_to_review(root: Path) -> None:
    post = make_post(root, publish_at=t("2026-12-05 10:00"))
    (f,) = edit_findings(post, FakeRecord(), POLICY, old_text=None)
    assert f.severity is Severity.REVIEW and "fetch the full history" in f.message
    record = FakeRecord()
    record.commit = ""
    (g,) = edit_findings(post, record, POLICY, old_text=None)
    assert "its record names no commit" in g.message
