"""Timing rules: Art. 15 one week, Art. 20 three working days, the broadcast quota, publishing hours,
and no edits after publication.

The rules are pure functions (a post, its submission time, the policy and the calendar in; findings
out): `lead_time_findings`, `maintenance_findings`, `hours_findings`, `quota_findings`,
`edit_findings`. The edge is `Submissions` (when was each post submitted: the pull request's
`created_at` from `$GITHUB_EVENT_PATH` or the forge, else the author time of the commit that added
its index.md, else now) and `check_timing`, which gathers the records, the base branch and the git
history once per run and is registered with `wxpub check`. All times are shown in the policy's
timezone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import yamlsafe
from .calendar import UnknownYearError, WorkCalendar
from .check import CheckContext, full_post, run_check
from .errors import ConfigError, ForgeError
from .findings import Finding, Rule, Severity, register
from .i18n import N_, _, ngettext
from .policy import Policy, category_label
from .post import Post, split_front_matter
from .repo import POSTS_DIR
from .schedule import Slot, collect_slots, counted_broadcasts, default_base, read_records, resolve

# -- rules --------------------------------------------------------------------------------------------

R_ONE_WEEK = register(
    Rule(
        id="leadtime/one-week",
        name="one-week-lead-time",
        article="15",
        severity=Severity.ERROR,
        summary=N_("publish_at is less than the lead time (7 days) after the post was submitted"),
        help=N_(
            "Units send the content and the approval form to e-banking one week before publication (Art. 15). "
            "Submission is when the pull request was opened (outside a PR: the commit that added the post); "
            "the lead time runs from then to publish_at. The policy may set another number of days per category."
        ),
        instead=N_(
            "Move publish_at later, or submit earlier; in a real emergency add `urgent: {reason: ...}` "
            "and get the urgent tier's approval."
        ),
        quote="第十五条 …各部门应将拟发布的信息内容及《XX农商银行信息发布审批表》提前1周报送电子银行部。",
        example=N_("submitted 2026-11-30 10:00, publish_at 2026-12-05 10:00: only 5 days"),
    )
)
R_MAINTENANCE = register(
    Rule(
        id="leadtime/maintenance-notice",
        name="maintenance-working-days",
        article="20",
        severity=Severity.ERROR,
        summary=N_("a downtime notice is submitted less than 3 working days before the maintenance window"),
        help=N_(
            "Upgrades and maintenance are announced at least 3 working days ahead (Art. 20). Working days are "
            "whole days strictly between the submission and the window's start: weekends and China's public "
            "holidays do not count, adjusted workdays (调休) do."
        ),
        instead=N_("Submit the notice earlier, or move the maintenance window later."),
        quote="第二十条 技术支持部门如需对…的软硬件进行升级、调试等，须提前3个工作日通知管理部门，以便做好应急准备。",
        example=N_("submitted Wed 2026-09-30 for a window on Fri 2026-10-09: Oct 8 is the only working day between"),
    )
)
R_MAINTENANCE_LATE = register(
    Rule(
        id="leadtime/maintenance-after-start",
        name="notice-after-window",
        article="20",
        severity=Severity.ERROR,
        summary=N_("a downtime notice is published after its maintenance window has started"),
        help=N_("A notice that appears once the downtime has begun warns nobody: publish_at must precede the window."),
        instead=N_("Set publish_at before maintenance.start (ideally a day or more before)."),
        example=N_("publish_at 2026-12-19 08:00 for a window from 2026-12-19 00:00"),
        quote="第二十条 …以便做好应急准备。",
    )
)
R_CALENDAR = register(
    Rule(
        id="leadtime/calendar-year",
        name="calendar-year-unknown",
        article="20",
        severity=Severity.ERROR,
        summary=N_("working days cannot be counted: the year's official holidays are not known"),
        help=N_(
            "Working days follow the State Council's yearly holiday notice. The holidays package ships the years "
            "it has official notices for; the bank adds newer years to policy/calendar.yml."
        ),
        instead=N_("Add the year's holidays and adjusted workdays to policy/calendar.yml (or upgrade `holidays`)."),
        example=N_("a maintenance window in 2028 while the calendar knows up to 2027"),
    )
)
R_PAST = register(
    Rule(
        id="leadtime/past-publish-at",
        name="publish-at-in-the-past",
        article="15",
        severity=Severity.ERROR,
        summary=N_("publish_at was already past when the post was submitted"),
        help=N_("A post cannot be approved for a time that had passed when it was submitted (Art. 15)."),
        instead=N_("Set publish_at to a future time that leaves the lead time."),
        example=N_("a pull request opened 2026-12-06 for publish_at 2026-12-05 10:00"),
    )
)
R_URGENT = register(
    Rule(
        id="leadtime/urgent-waiver",
        name="urgent-waiver",
        article="15",
        severity=Severity.REVIEW,
        summary=N_("the lead time is waived for an urgent post, pending the urgent tier's approval"),
        help=N_(
            "`urgent: {reason: ...}` waives the one-week and working-day lead times; the approval gate then "
            "requires the policy's urgent tier. The check reports the waiver so reviewers see it."
        ),
        instead=N_("Remove `urgent` when the post can wait for the normal lead time."),
        example=N_("urgent: {reason: 系统故障紧急通知} on a post submitted the day before publication"),
    )
)
R_QUOTA_MONTH = register(
    Rule(
        id="leadtime/broadcast-month",
        name="broadcast-monthly-quota",
        article="WeChat",
        severity=Severity.ERROR,
        summary=N_("more broadcasts in a calendar month than the quota (4 for a service account)"),
        help=N_(
            "A service account reaches each follower at most 4 times a month. Broadcasts are counted per calendar "
            "month in the policy's timezone over the publication records, the posts on main and this change."
        ),
        instead=N_(
            "Publish some of them with `delivery: publish` (no push to followers) or move one to another month."
        ),
        example=N_("a fifth `delivery: broadcast` post in December 2026"),
    )
)
R_QUOTA_DAY = register(
    Rule(
        id="leadtime/broadcast-day",
        name="broadcast-daily-quota",
        article="WeChat",
        severity=Severity.ERROR,
        summary=N_("more broadcasts on one day than the quota (1 a day)"),
        help=N_("WeChat allows one send-to-all a day; a second broadcast on the same day would fail at publication."),
        instead=N_("Move one broadcast to another day, or publish it with `delivery: publish`."),
        example=N_("two broadcasts on 2026-12-20, at 08:00 and 19:00"),
    )
)
R_HOURS = register(
    Rule(
        id="leadtime/publishing-hours",
        name="publishing-hours",
        article="7",
        severity=Severity.REVIEW,
        summary=N_("publish_at is outside the policy's publishing hours"),
        help=N_(
            "E-banking publishes within the hours the policy sets (leadtime.publishing_hours), when someone "
            "can watch the account and answer customers (Art. 7, 12)."
        ),
        instead=N_("Move publish_at inside the publishing hours."),
        example=N_("publish_at 2026-12-05T23:30:00+08:00 with hours 07:00-22:00"),
    )
)
R_EDIT = register(
    Rule(
        id="leadtime/edit-after-publication",
        name="edit-after-publication",
        article="19",
        severity=Severity.ERROR,
        summary=N_("a post that was already published (or is being published) was changed"),
        help=N_(
            "WeChat cannot edit a published article, and the record shows what was approved and sent (Art. 18, "
            "19). Only the front-matter keys listed in leadtime.editable_after_publication may change afterwards."
        ),
        instead=N_("Revert the change; publish a correction as a new post (and retract the old one if needed)."),
        example=N_("a title corrected after the post was published on 2026-12-05"),
    )
)


# -- time as messages show it -------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def fmt(t: dt.datetime, tz: dt.tzinfo) -> str:
    """`2026-12-05 10:00 +08:00` (memoised: a run formats the same commit times and `now` for many posts)."""
    local = t.astimezone(tz)
    off = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {off[:3]}:{off[3:]}"


def span(delta: dt.timedelta) -> str:
    """`6 days 23 h 59 min`."""
    secs = int(delta.total_seconds())
    sign = "-" if secs < 0 else ""
    secs = abs(secs)
    d, rem = divmod(secs, 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    parts = [ngettext("{n} day", "{n} days", d)] if d else []
    if h:
        parts.append(_("{n} h", n=h))
    if m or not parts:
        parts.append(_("{n} min", n=m))
    return sign + " ".join(parts)


# -- submission time: the edge ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """When a post was submitted, and how wxpub knows: source is `pr`, `commit` or `uncommitted`."""

    at: dt.datetime
    source: str
    detail: str


@dataclass(frozen=True)
class PullInfo:
    number: int
    created_at: dt.datetime
    base_sha: str = ""
    base_ref: str = ""


def pull_from_event(path: Path) -> PullInfo | None:
    """The pull request of a GitHub/Gitea Actions event file, or None when the event is not a PR's."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            _("{path}: event file not found", path=path), hint=_("unset GITHUB_EVENT_PATH outside Actions")
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(_("{path}: cannot read the event file: {reason}", path=path, reason=exc)) from None
    pr = doc.get("pull_request") if isinstance(doc, dict) else None
    if not isinstance(pr, dict) or not pr.get("created_at"):
        return None
    from .forge.base import parse_time

    try:
        created = parse_time(pr.get("created_at"))
    except ForgeError as exc:
        raise ConfigError(_("{path}: pull_request.created_at: {reason}", path=path, reason=exc.message)) from None
    if created is None:
        return None
    base_obj = pr.get("base")
    base: dict[str, Any] = base_obj if isinstance(base_obj, dict) else {}
    return PullInfo(
        number=int(pr.get("number") or doc.get("number") or 0),
        created_at=created,
        base_sha=str(base.get("sha") or ""),
        base_ref=str(base.get("ref") or ""),
    )


def pull_from_forge(policy: Policy, number: int) -> PullInfo:
    """`GET /repos/{owner}/{repo}/pulls/{n}` through the forge client configured by the environment."""
    from .forge import client_from_env

    pr = client_from_env(policy.forge.kind).pull(number)
    if pr.created_at is None:
        raise ForgeError(_("pull request #{number} has no created_at", number=number))
    return PullInfo(number=pr.number, created_at=pr.created_at, base_ref=pr.base_ref)


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=300)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.decode("utf-8", "replace") if out.returncode == 0 else None


_MARK = "\x1e"


def _adds(
    root: Path, rev_range: str, prefix: str, pathspec: tuple[str, ...] = (POSTS_DIR,)
) -> list[tuple[str, dt.datetime, str]]:
    """(path, author time, sha) of every commit in `rev_range` adding an index.md, newest first."""
    out = _git(
        root,
        "log",
        "--no-renames",
        "--diff-filter=A",
        f"--format={_MARK}%H %aI",
        "--name-only",
        rev_range,
        "--",
        *pathspec,
    )
    if not out:
        return []
    rows: list[tuple[str, dt.datetime, str]] = []
    for chunk in out.split(_MARK)[1:]:
        lines = chunk.strip("\n").split("\n")
        sha, _, when = lines[0].partition(" ")
        at = dt.datetime.fromisoformat(when)
        for name in lines[1:]:
            name = name.strip()
            if name.endswith("/index.md") and name.startswith(prefix):
                rows.append((name[len(prefix) :], at, sha))
    return rows


class Submissions:
    """Submission times of the posts of one run; git and the event file are read once.

    - In a pull request (`pull` given, from the event file or the forge): posts whose index.md is not on
      the base commit were submitted when the PR was opened. Posts already on the base keep their history.
    - Otherwise: the author time of the earliest commit not on the base branch that added index.md (the
      branch's), else of the latest commit that added it on the current history (main).
    - A post whose index.md is not committed: now, said as such.

    A commit dated after `now` (a frozen or `--now` clock) counts as submitted now.
    """

    def __init__(
        self,
        root: Path,
        now: dt.datetime,
        tz: dt.tzinfo,
        *,
        pull: PullInfo | None = None,
        base: str | None = None,
    ) -> None:
        self.root = root
        self.now = now
        self.tz = tz
        self.pull = pull
        self.base = base
        self.paths: frozenset[str] | None = None  # when set: git reads the history of these index.md only
        self._reset()

    def _reset(self) -> None:
        self._loaded = False
        self.branch: dict[str, tuple[dt.datetime, str]] = {}
        self.main: dict[str, tuple[dt.datetime, str]] = {}
        self.at_base: set[str] | None = None
        self.is_git = False
        self._tracked: set[str] = set()

    def focus(self, paths: Iterable[str]) -> None:
        """Read the history of only these index.md paths (a few posts in a large repository), if nothing was
        read yet. Asking later about another post reads everything then."""
        if not self._loaded:
            self.paths = frozenset(paths)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        pathspec = tuple(f":(literal){p}" for p in sorted(self.paths)) if self.paths is not None else (POSTS_DIR,)
        prefix = _git(self.root, "rev-parse", "--show-prefix")
        if prefix is None:
            return
        self.is_git = True
        head = resolve(self.root, "HEAD")
        if head is None:  # a repository without commits: nothing is committed yet
            return
        prefix = prefix.strip()
        base_commit = None
        if self.pull and self.pull.base_sha and resolve(self.root, self.pull.base_sha):
            base_commit = self.pull.base_sha
        elif self.base:
            base_commit = resolve(self.root, self.base)
        if self.pull and not base_commit:  # a shallow PR checkout: the merge commit's first parent is the base
            parents = (_git(self.root, "rev-list", "--parents", "-n", "1", "HEAD") or "").split()
            if len(parents) == 3:
                base_commit = parents[1]
        fork = None
        if base_commit:
            mb = _git(self.root, "merge-base", base_commit, "HEAD")
            fork = mb.strip() if mb else None
        if fork and fork != head:
            for path, at, sha in _adds(self.root, f"{fork}..HEAD", prefix, pathspec):
                self.branch[path] = (at, sha)  # newest first: the last one seen is the earliest
        for path, at, sha in _adds(self.root, "HEAD", prefix, pathspec):
            self.main.setdefault(path, (at, sha))  # newest first: keep the latest add
        if self.pull and base_commit:
            listing = _git(self.root, "ls-tree", "-r", "--name-only", "--full-tree", base_commit, "--", POSTS_DIR)
            if listing is not None:
                names = {n for n in listing.splitlines() if n.endswith("/index.md")}
                self.at_base = {n[len(prefix) :] for n in names if n.startswith(prefix)}
        self._tracked = set((_git(self.root, "ls-files", "--", *pathspec) or "").splitlines())

    def _capped(self, at: dt.datetime, what: str) -> Submission:
        if at > self.now:
            return Submission(
                self.now,
                "commit",
                _("{what}, dated after now ({now}): using now", what=what, now=fmt(self.now, self.tz)),
            )
        return Submission(at, "commit", what)

    def _now(self, why: str) -> Submission:
        return Submission(
            self.now, "uncommitted", _("{why}: submitted now, {now}", why=why, now=fmt(self.now, self.tz))
        )

    def get(self, post: Post) -> Submission:
        """The submission time of `post` (its `path` is relative to the repository root)."""
        if self.paths is not None and post.path not in self.paths:
            self.paths = None
            self._reset()
        self._load()
        path = post.path
        if self.pull is not None and (self.at_base is None or path not in self.at_base):
            what = _(
                "pull request #{number} opened {time}",
                number=self.pull.number,
                time=fmt(self.pull.created_at, self.tz),
            )
            return Submission(self.pull.created_at, "pr", what)
        if not self.is_git:
            return self._now(_("not in a git repository"))
        if path not in self._tracked and path not in self.main:
            return self._now(_("index.md is not committed yet"))
        if path in self.branch:
            at, sha = self.branch[path]
            return self._capped(
                at, _("commit {sha} added it on this branch, {time}", sha=sha[:10], time=fmt(at, self.tz))
            )
        if path in self.main:
            at, sha = self.main[path]
            return self._capped(at, _("commit {sha} added it, {time}", sha=sha[:10], time=fmt(at, self.tz)))
        return self._now(_("index.md is not committed yet"))


def submission_time(
    root: Path,
    post: Post,
    now: dt.datetime,
    event_path: Path | str | None = None,
    *,
    tz: dt.tzinfo | None = None,
    pull: PullInfo | None = None,
    base: str | None = None,
) -> Submission:
    """When `post` was submitted: the PR's `created_at` (event file or `pull`), else git history, else now."""
    if pull is None and event_path:
        pull = pull_from_event(Path(event_path))
    zone = tz or now.tzinfo or dt.UTC
    return Submissions(root, now, zone, pull=pull, base=base or default_base(root)).get(post)


# -- the rules, pure -------------------------------------------------------------------------------------


def lead_time_findings(post: Post, sub: Submission, policy: Policy) -> list[Finding]:
    """Art. 15: one week (per category) from submission to publish_at; the past; the urgent waiver."""
    assert post.meta is not None
    m, tz = post.meta, policy.tz
    line = post.line_of("publish_at")
    days = policy.leadtime.days_for(m.category)
    need = dt.timedelta(days=days)
    have = m.publish_at - sub.at
    out: list[Finding] = []
    if m.publish_at <= sub.at:
        out.append(
            R_PAST.finding(
                post.path,
                _(
                    "publish_at {publish_at} was already past when the post was submitted ({submitted}); "
                    "set it to {earliest} or later",
                    publish_at=fmt(m.publish_at, tz),
                    submitted=sub.detail,
                    earliest=fmt(sub.at + need, tz),
                ),
                line=line,
            )
        )
        return out
    if have >= need:
        if m.urgent is not None:
            out.append(
                R_URGENT.finding(
                    post.path,
                    _(
                        "urgent is set but the {days}-day lead time is met ({have} after submission): nothing to "
                        "waive; remove `urgent` unless it must skip the queue",
                        days=days,
                        have=span(have),
                    ),
                    line=post.line_of("urgent"),
                    severity=Severity.INFO,
                )
            )
        return out
    msg = _(
        "publish_at {publish_at} is only {have} after submission ({submitted}); Art. 15 needs {days} days for a "
        "{category} post: publish at {earliest} or later, or submit by {latest}",
        publish_at=fmt(m.publish_at, tz),
        have=span(have),
        submitted=sub.detail,
        days=days,
        category=category_label(m.category),
        earliest=fmt(sub.at + need, tz),
        latest=fmt(m.publish_at - need, tz),
    )
    if m.urgent is not None:
        out.append(
            R_URGENT.finding(
                post.path,
                _(
                    "lead time waived, pending urgent approval ({reason}): {message}",
                    reason=m.urgent.reason,
                    message=msg,
                ),
                line=post.line_of("urgent"),
            )
        )
    else:
        out.append(R_ONE_WEEK.finding(post.path, msg, line=line))
    return out


def maintenance_findings(post: Post, sub: Submission, policy: Policy, calendar: WorkCalendar) -> list[Finding]:
    """Art. 20: a downtime notice needs N working days before the window, and must appear before it."""
    assert post.meta is not None
    m, tz = post.meta, policy.tz
    window = m.maintenance
    if window is None or window.end <= window.start:  # a reversed window is a schema error already
        return []
    out: list[Finding] = []
    start = window.start
    if m.publish_at >= start:
        out.append(
            R_MAINTENANCE_LATE.finding(
                post.path,
                _(
                    "publish_at {publish_at} is not before the maintenance window starts ({start}); publish the "
                    "notice before the downtime",
                    publish_at=fmt(m.publish_at, tz),
                    start=fmt(start, tz),
                ),
                line=post.line_of("publish_at"),
            )
        )
    need = policy.leadtime.maintenance_working_days
    sub_day, start_day = sub.at.astimezone(tz).date(), start.astimezone(tz).date()
    try:
        have = calendar.working_days_between(sub_day, start_day) if start_day > sub_day else 0
        latest = calendar.add_working_days(start_day, -need) - dt.timedelta(days=1) if need else start_day
    except UnknownYearError as exc:
        out.append(
            R_CALENDAR.finding(
                post.path,
                _(
                    "cannot count working days before the maintenance window: {reason}; {hint}",
                    reason=exc.message,
                    hint=exc.hint,
                ),
                line=post.line_of("maintenance", "start"),
            )
        )
        return out
    if have >= need:
        return out
    msg = _(
        "the maintenance window starts {start} but only {have} working day(s) lie between submission "
        "({submitted}) and {start_day}; Art. 20 needs {need}: submit by the end of {latest} or move the window "
        "to start on {earliest} or later",
        start=fmt(start, tz),
        have=have,
        submitted=sub.detail,
        start_day=start_day,
        need=need,
        latest=calendar.describe(latest),
        earliest=calendar.add_working_days(sub_day, need) + dt.timedelta(days=1),
    )
    if m.urgent is not None:
        out.append(
            R_URGENT.finding(
                post.path,
                _(
                    "working-day notice waived, pending urgent approval ({reason}): {message}",
                    reason=m.urgent.reason,
                    message=msg,
                ),
                line=post.line_of("urgent"),
            )
        )
    else:
        out.append(R_MAINTENANCE.finding(post.path, msg, line=post.line_of("maintenance", "start")))
    return out


def hours_findings(post: Post, policy: Policy) -> list[Finding]:
    """publish_at outside the policy's publishing hours."""
    assert post.meta is not None
    hours = policy.leadtime.publishing_hours
    local = post.meta.publish_at.astimezone(policy.tz)
    if hours.contains(local.time().replace(second=0, microsecond=0)) and not (
        local.time() > dt.time.fromisoformat(hours.end)
    ):
        return []
    return [
        R_HOURS.finding(
            post.path,
            _(
                "publish_at {publish_at} is outside the publishing hours {start}-{end} ({timezone})",
                publish_at=fmt(post.meta.publish_at, policy.tz),
                start=hours.start,
                end=hours.end,
                timezone=policy.timezone,
            ),
            line=post.line_of("publish_at"),
        )
    ]


def quota_findings(posts: Iterable[Post], slots: Mapping[str, Slot], policy: Policy) -> list[Finding]:
    """The broadcast quota per calendar month and per day, for the broadcasts among `posts`.

    `slots` is everything known (records, main, the change; see `schedule.collect_slots`) by post id.
    """
    tz = policy.tz
    counted = counted_broadcasts(slots.values())
    by_month: dict[str, list[Slot]] = {}
    by_day: dict[dt.date, list[Slot]] = {}
    for s in counted:
        local = s.at.astimezone(tz)
        by_month.setdefault(local.strftime("%Y-%m"), []).append(s)
        by_day.setdefault(local.date(), []).append(s)
    out: list[Finding] = []
    for post in posts:
        if post.meta is None or post.meta.delivery != "broadcast":
            continue
        mine = slots.get(post.id)
        if mine is None or mine.source == "record":  # already sent: the edit rule speaks for it
            continue
        local = mine.at.astimezone(tz)
        month = sorted(by_month.get(local.strftime("%Y-%m"), []), key=lambda s: (s.at, s.post_id))
        line = post.line_of("delivery")
        if len(month) > policy.broadcast.per_month:
            names = ", ".join(f"{s.post_id} ({s.at.astimezone(tz):%m-%d}{_src(s)})" for s in month)
            out.append(
                R_QUOTA_MONTH.finding(
                    post.path,
                    _(
                        "{count} broadcasts in {month}, over the quota of {quota} a month: {names}; make one "
                        "`delivery: publish` or move it to another month",
                        count=len(month),
                        month=local.strftime("%Y-%m"),
                        quota=policy.broadcast.per_month,
                        names=names,
                    ),
                    line=line,
                )
            )
        day = sorted(by_day.get(local.date(), []), key=lambda s: (s.at, s.post_id))
        if len(day) > policy.broadcast.per_day:
            others = ", ".join(f"{s.post_id}{_src(s)}" for s in day if s.post_id != post.id)
            out.append(
                R_QUOTA_DAY.finding(
                    post.path,
                    _(
                        "{count} broadcasts on {day}, over the quota of {quota} a day; also broadcasting that day: "
                        "{others}",
                        count=len(day),
                        day=local.date(),
                        quota=policy.broadcast.per_day,
                        others=others,
                    ),
                    line=line,
                )
            )
    return out


def _src(s: Slot) -> str:
    return {
        "record": _(", published") if s.status != "retracted" else _(", published and retracted"),
        "base": _(", on main"),
    }.get(s.source, "")


def _front(text: str) -> tuple[dict[str, Any], str] | None:
    parts = split_front_matter(text.replace("\r\n", "\n"))
    if parts is None:
        return None
    try:
        data = yamlsafe.load(parts[0]).data
    except yamlsafe.YamlProblem:
        return None
    return (data if isinstance(data, dict) else {}), parts[1]


def changed_keys(old_text: str, new_text: str) -> tuple[list[str], bool]:
    """(front-matter keys whose value differs, whether the body differs) between two index.md texts."""
    a, b = _front(old_text), _front(new_text)
    if a is None or b is None:
        return ["(front matter)"], old_text != new_text
    keys = sorted(k for k in set(a[0]) | set(b[0]) if a[0].get(k) != b[0].get(k))
    return [str(k) for k in keys], a[1].strip() != b[1].strip()


def edit_findings(
    post: Post,
    record: Any,
    policy: Policy,
    *,
    old_text: str | None,
    other_files: Iterable[str] = (),
) -> list[Finding]:
    """A post with a publication record changed since the published commit (`old_text` is index.md then).

    `other_files` are the post's other files (images) that changed since then. With `old_text` None the
    published content cannot be read (history missing): that is said, for review.
    """
    status = getattr(record, "status", "")
    if status not in ("pending", "in-progress", "published", "retracted"):
        return []
    commit = getattr(record, "commit", "")
    when = getattr(record, "published_at", None)
    what = _("published {time}", time=fmt(when, policy.tz)) if when else _("being published ({status})", status=status)
    if status == "retracted":
        what = _("published and retracted")
    if old_text is None:
        why = (
            _(
                "from commit {commit}, which is not in this clone; cannot tell whether it changed: fetch the "
                "full history (fetch-depth: 0)",
                commit=commit[:10],
            )
            if commit
            else _("but its record names no commit; cannot tell whether it changed since: compare it by hand")
        )
        return [
            R_EDIT.finding(post.path, _("this post was {what} {why}", what=what, why=why), severity=Severity.REVIEW)
        ]
    keys, body = changed_keys(old_text, post.text)
    allowed = set(policy.leadtime.editable_after_publication)
    bad = [k for k in keys if k not in allowed]
    files = sorted(other_files)
    if not bad and not body and not files:
        return []
    parts = []
    if bad:
        parts.append(_("front matter {keys}", keys=", ".join(bad)))
    if body:
        parts.append(_("the body"))
    if files:
        parts.append(", ".join(files))
    hint = (
        _("only {keys} may change after publication", keys=", ".join(sorted(allowed)))
        if allowed
        else _("the policy allows no key to change after publication (leadtime.editable_after_publication)")
    )
    line = post.line_of(bad[0]) if bad and bad[0] in post.raw else (post.body_line if body else 1)
    return [
        R_EDIT.finding(
            post.path,
            _(
                "this post was {what} from commit {commit}; changed since: {changes}. WeChat cannot edit a "
                "published article: revert, and publish a correction as a new post",
                what=what,
                commit=commit[:10],
                changes="; ".join(parts),
            ),
            line=line,
            hint=hint,
        )
    ]


# -- the run check (edge: git, records, event file) ------------------------------------------------------


@dataclass
class TimingContext:
    """What the timing rules read from the outside world, gathered once per run."""

    submissions: Submissions
    calendar: WorkCalendar
    records: dict[str, Any]
    base: str | None
    slots: dict[str, Slot] | None = None
    notes: list[str] = field(default_factory=list)


def timing_context(ctx: CheckContext) -> TimingContext:
    """Build (once per `CheckContext`) the submissions, calendar and records the rules need.

    Options read from `ctx.options`: `pull` (a `PullInfo`), `pr` (a number: asks the forge),
    `event_path` (an Actions event file), `submission` = "auto" (the CLI: also read
    `$GITHUB_EVENT_PATH`), `changed_since` / `base` (the base branch), `records_dir`.
    """
    cached = ctx.cache.get("leadtime")
    if isinstance(cached, TimingContext):
        return cached
    opts = ctx.options
    given = opts.get("pull")
    pull: PullInfo | None = given if isinstance(given, PullInfo) else None
    if pull is None and opts.get("pr"):
        pull = pull_from_forge(ctx.policy, int(str(opts["pr"])))
    if pull is None:
        event = opts.get("event_path")
        if not event and opts.get("submission") == "auto":
            event = os.environ.get("GITHUB_EVENT_PATH") or None
        if event:
            pull = pull_from_event(Path(str(event)))
    base_opt = opts.get("base") or opts.get("changed_since")
    base = default_base(ctx.root, str(base_opt) if base_opt else None)
    if pull is not None and pull.base_ref and not base_opt:
        base = default_base(ctx.root, f"origin/{pull.base_ref}") or base
    records_dir = opts.get("records_dir")
    records = read_records(ctx.root, directory=Path(str(records_dir)) if records_dir else None)
    tc = TimingContext(
        submissions=Submissions(ctx.root, ctx.now, ctx.policy.tz, pull=pull, base=base),
        calendar=WorkCalendar(ctx.policy, ctx.root),
        records=records,
        base=base,
    )
    ctx.cache["leadtime"] = tc
    return tc


SENT = frozenset({"pending", "in-progress", "published", "retracted"})
FOCUS_POSTS = 64  # up to this many posts in a run: git reads only their history (see Submissions.focus)


LS_TREE_COMMITS = 40  # up to this many distinct record commits: one `ls-tree` each; beyond: per-path lookups


def _folder_trees(root: Path, commit: str) -> dict[str, str]:
    """post folder (repo-root relative, as `Post.path` is) -> tree id at `commit`, in one `ls-tree`."""
    out = _git(root, "ls-tree", "-r", "-d", "--format=%(objectname) %(path)", commit, "--", POSTS_DIR) or ""
    trees: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, path = line.partition(" ")
        if path.count("/") == 2:
            trees[path] = sha
    return trees


def _lookup(root: Path, queries: list[str]) -> list[str] | None:
    """`rev:path` -> object id (or `... missing`) for many queries in one `git cat-file --batch-check`."""
    if not queries:
        return []
    try:
        proc = subprocess.run(
            ["git", "cat-file", "--batch-check=%(objectname)"],
            cwd=root,
            input=("\n".join(queries) + "\n").encode(),
            capture_output=True,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    answers = proc.stdout.decode("utf-8", "replace").splitlines()
    return answers if proc.returncode == 0 and len(answers) == len(queries) else None


def unchanged_since(root: Path, items: list[tuple[Post, str]]) -> set[str]:
    """Ids of the posts whose folder is the same in the working tree as at their commit.

    A few git calls for the whole run: the folder trees at HEAD and at each record commit (`ls-tree`, or
    one batched lookup when the records name many commits) and one `git status` for uncommitted changes.
    """
    items = [(p, c) for p, c in items if c]
    if not items or resolve(root, "HEAD") is None:
        return set()
    prefix = (_git(root, "rev-parse", "--show-prefix") or "").strip()
    folders = [p.path.rsplit("/", 1)[0] for p, _ in items]
    head = _folder_trees(root, "HEAD")
    commits = sorted({c for _, c in items})
    then: dict[int, str] = {}
    if len(commits) <= LS_TREE_COMMITS:
        maps = {c: _folder_trees(root, c) for c in commits}
        then = {i: maps[c].get(folders[i], "") for i, (_, c) in enumerate(items)}
    else:
        answers = _lookup(root, [f"{c}:{prefix}{f}" for (_, c), f in zip(items, folders, strict=True)])
        if answers is None:
            return set()
        then = {i: a for i, a in enumerate(answers) if not a.endswith("missing")}
    status = _git(root, "status", "--porcelain", "--no-renames", "--untracked-files=all", "--", POSTS_DIR) or ""
    dirty = set()
    for line in status.splitlines():
        name = line[3:].strip().strip('"').removeprefix(prefix)  # porcelain paths are from the top level
        dirty.add("/".join(name.split("/")[:3]))
    same: set[str] = set()
    for i, (post, _commit) in enumerate(items):
        if then.get(i) and then[i] == head.get(folders[i]) and folders[i] not in dirty:
            same.add(post.id)
    return same


def _published_content(root: Path, post: Post, commit: str) -> tuple[str | None, list[str]]:
    """index.md at `commit` and the post's other files that differ now, or (None, []) without the commit."""
    if not commit or resolve(root, commit) is None:
        return None, []
    prefix = (_git(root, "rev-parse", "--show-prefix") or "").strip()
    old = _git(root, "show", f"{commit}:{prefix}{post.path}")
    if old is None:
        return "", []
    folder = post.path.rsplit("/", 1)[0]
    changed = (_git(root, "diff", "--name-only", "--no-renames", commit, "--", folder) or "").splitlines()
    changed += (_git(root, "ls-files", "--others", "--exclude-standard", "--", folder) or "").splitlines()
    others = sorted({c.rsplit("/", 1)[-1] for c in changed if not c.endswith("/index.md") and c != "index.md"})
    return old, others


def check_timing(posts: list[Post], ctx: CheckContext) -> list[Finding]:
    """Every timing rule over the posts of a run (their front matter validated)."""
    posts = [p for p in posts if p.meta is not None]
    if not posts:
        return []
    tc = timing_context(ctx)
    policy = ctx.policy
    out: list[Finding] = []
    sent = {
        p.id: tc.records[p.id] for p in posts if p.id in tc.records and getattr(tc.records[p.id], "status", "") in SENT
    }
    same = unchanged_since(ctx.root, [(p, getattr(sent[p.id], "commit", "")) for p in posts if p.id in sent])
    if len(posts) <= FOCUS_POSTS:
        tc.submissions.focus(p.path for p in posts)
    for post in posts:
        record = sent.get(post.id)
        if record is not None:
            if post.id in same:
                continue  # already sent and unchanged: the timing of its submission is history
            old, others = _published_content(ctx.root, post, getattr(record, "commit", ""))
            out += edit_findings(full_post(post, ctx), record, policy, old_text=old, other_files=others)
            continue  # already sent: the timing of its submission is history
        sub = tc.submissions.get(post)
        out += lead_time_findings(post, sub, policy)
        out += maintenance_findings(post, sub, policy, tc.calendar)
        out += hours_findings(post, policy)
    if any(p.meta is not None and p.meta.delivery == "broadcast" for p in posts):
        if tc.slots is None:
            months = _months_around(p.meta.publish_at for p in posts if p.meta and p.meta.delivery == "broadcast")
            tc.slots = collect_slots(
                ctx.root, records=tc.records, change=posts, base=tc.base, only_broadcast=True, months=months
            )
        out += quota_findings(posts, tc.slots, policy)
    return out


def _months_around(times: Iterable[dt.datetime]) -> frozenset[str]:
    """`YYYY-MM` of each time and of the months on either side (a month is read before timezone conversion)."""
    out: set[str] = set()
    for t in times:
        first = t.date().replace(day=1)
        for d in (first - dt.timedelta(days=1), first, first + dt.timedelta(days=32)):
            out.add(d.strftime("%Y-%m"))
    return frozenset(out)


@run_check
def _timing(posts: list[Post], ctx: CheckContext) -> list[Finding]:
    return check_timing(posts, ctx)
