"""The publication calendar: what is scheduled or published when, the broadcast quota, gaps and clashes.

A `Slot` is one post at one time, from one of three places, in order of authority:

1. the publication records (`pipeline.ledger.read_records`): what was published (or is being); a
   retracted broadcast still reached the followers, so it still counts;
2. the posts in the working tree (`posts/`), which on a branch are main as of the branch point plus
   the change;
3. the posts of the base branch (`main` / `origin/main`) merged after the branch point, read from git.

`collect_slots` merges them by post id (a record beats a post; the working tree beats the base). The
reading is light: front matter only, no cover or body checks, so it is cheap on thousands of posts.
The calendar is a plan: every slot sits at its `publish_at`, also when the publish job sent it later,
and clashes and quota are counted there; the time it actually went out (`Slot.published_at`) is shown
beside it, and a post that went out `LATE_AFTER` or more after its time is listed as published late.
`build_schedule` turns slots into days, monthly quota use, clashes and late publications; `to_text`,
`to_json` and `to_markdown` are views of it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import yamlsafe
from .i18n import N_, _, ngettext
from .policy import Policy
from .post import POST_ID_RE, Post, split_front_matter
from .repo import POSTS_DIR

# Record statuses whose post reached (or is reaching) WeChat: they occupy their slot for good.
SENT_STATUSES = frozenset({"pending", "in-progress", "published", "retracted"})

# Published this long after publish_at, or more, is late (the publish job runs every 10 minutes, and
# within the hour a post still meets its slot).
LATE_AFTER = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Slot:
    """One post at one time. `at` is its `publish_at` (the plan); `published_at` when it went out, if it did."""

    post_id: str
    at: dt.datetime
    title: str = ""
    unit: str = ""
    category: str = ""
    delivery: str = "publish"
    source: str = "tree"  # record | change | tree | base
    status: str = "scheduled"  # scheduled | pending | in-progress | published | failed | retracted
    path: str = ""
    url: str = ""
    published_at: dt.datetime | None = None

    @property
    def broadcast(self) -> bool:
        return self.delivery == "broadcast"

    @property
    def late_by(self) -> dt.timedelta | None:
        """How long after its `publish_at` it went out (negative: early); None when it has not."""
        return None if self.published_at is None else self.published_at - self.at

    def is_late(self, after: dt.timedelta = LATE_AFTER) -> bool:
        return self.late_by is not None and self.late_by >= after

    def to_dict(self, tz: dt.tzinfo) -> dict[str, Any]:
        return {
            "post": self.post_id,
            "at": self.at.astimezone(tz).isoformat(),
            "title": self.title,
            "unit": self.unit,
            "category": self.category,
            "delivery": self.delivery,
            "status": self.status,
            "source": self.source,
            "url": self.url,
            "published_at": self.published_at.astimezone(tz).isoformat() if self.published_at else None,
            "late_minutes": _minutes(self.late_by),
        }


def _minutes(delta: dt.timedelta | None) -> int | None:
    """Whole minutes of `delta` (towards zero), or None."""
    return None if delta is None else int(delta.total_seconds() / 60)


def lateness(delta: dt.timedelta) -> str:
    """`21 days late`, `3 hours late`, `7 minutes late`, `5 minutes early`."""
    secs = delta.total_seconds()
    late = secs >= 0
    secs = abs(secs)
    if secs < 60:
        return _("less than a minute late") if late else _("less than a minute early")
    if secs < 2 * 3600:
        n = int(secs // 60)
        if late:
            return ngettext("{n} minute late", "{n} minutes late", n)
        return ngettext("{n} minute early", "{n} minutes early", n)
    if secs < 2 * 86400:
        n = int(secs // 3600)
        if late:
            return ngettext("{n} hour late", "{n} hours late", n)
        return ngettext("{n} hour early", "{n} hours early", n)
    n = int(secs // 86400)
    if late:
        return ngettext("{n} day late", "{n} days late", n)
    return ngettext("{n} day early", "{n} days early", n)


def published_note(s: Slot, tz: dt.tzinfo) -> str:
    """`published 2027-01-06 12:00, 21 days late` when it went out at another minute than planned, else ``."""
    if s.published_at is None or s.late_by is None:
        return ""
    when, plan = s.published_at.astimezone(tz), s.at.astimezone(tz)
    if f"{when:%Y-%m-%d %H:%M}" == f"{plan:%Y-%m-%d %H:%M}":
        return ""
    return _("published {time}, {lateness}", time=when.strftime("%Y-%m-%d %H:%M"), lateness=lateness(s.late_by))


# -- reading -----------------------------------------------------------------------------------------


def slot_from_text(post_id: str, text: str, *, source: str = "tree", path: str = "") -> Slot | None:
    """A slot from index.md's front matter, or None when it has no usable `publish_at`."""
    parts = split_front_matter(text.replace("\r\n", "\n"))
    if parts is None:
        return None
    try:
        data = yamlsafe.load(parts[0]).data
    except yamlsafe.YamlProblem:
        return None
    if not isinstance(data, dict):
        return None
    at = data.get("publish_at")
    if isinstance(at, str):
        try:
            at = dt.datetime.fromisoformat(at)
        except ValueError:
            return None
    if not isinstance(at, dt.datetime) or at.tzinfo is None:
        return None
    delivery = data.get("delivery", "publish")
    return Slot(
        post_id=post_id,
        at=at,
        title=str(data.get("title") or ""),
        unit=str(data.get("unit") or ""),
        category=str(data.get("category") or ""),
        delivery=delivery if delivery in ("publish", "broadcast") else "publish",
        source=source,
        path=path,
    )


def slot_from_post(post: Post, *, source: str = "change") -> Slot | None:
    if post.meta is None:
        return None
    m = post.meta
    return Slot(
        post_id=post.id,
        at=m.publish_at,
        title=m.title,
        unit=m.unit,
        category=m.category,
        delivery=m.delivery,
        source=source,
        path=post.path,
    )


def _post_dirs(posts_dir: Path) -> list[str]:
    """Post ids `<yyyy>/<mm-dd-slug>` of the folders two levels under `posts/` (no stat of each post)."""
    ids: list[str] = []
    try:
        years = sorted(e.name for e in os.scandir(posts_dir) if e.is_dir())
    except OSError:
        return ids
    for year in years:
        try:
            ids += sorted(f"{year}/{e.name}" for e in os.scandir(posts_dir / year) if e.is_dir())
        except OSError:
            continue
    return ids


_PUBLISH_MONTH = re.compile(rb"^publish_at:\s*['\"]?(\d{4}-\d{2})-", re.M)


def _wanted(data: bytes, only_broadcast: bool, months: frozenset[str] | None) -> bool:
    """A cheap look at index.md before parsing its YAML: could it be a slot we want?"""
    if only_broadcast and b"broadcast" not in data:
        return False
    if months is not None:
        m = _PUBLISH_MONTH.search(data)
        if m is not None and m.group(1).decode() not in months:
            return False
    return True


def tree_slots(
    root: Path,
    *,
    only_broadcast: bool = False,
    skip: frozenset[str] = frozenset(),
    months: frozenset[str] | None = None,
) -> dict[str, Slot]:
    """Slots of the posts in the working tree's `posts/` (but those in `skip`, already known).

    `months` (`YYYY-MM` as written in publish_at) skips posts of other months before parsing them.
    """
    out: dict[str, Slot] = {}
    posts_dir = root / POSTS_DIR
    for pid in _post_dirs(posts_dir):
        if pid in skip or not POST_ID_RE.match(pid):
            continue
        try:
            data = (posts_dir / pid / "index.md").read_bytes()
        except OSError:
            continue
        if not _wanted(data, only_broadcast, months):
            continue
        slot = slot_from_text(pid, data.decode("utf-8", "replace"), path=f"{POSTS_DIR}/{pid}/index.md")
        if slot is not None:
            out[pid] = slot
    return out


def _git(root: Path, *args: str) -> str | None:
    import subprocess

    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.decode("utf-8", "replace") if out.returncode == 0 else None


def resolve(root: Path, ref: str) -> str | None:
    """The commit `ref` names in the repository at `root`, or None."""
    out = _git(root, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}")
    return (out.strip() or None) if out else None


def base_slots(
    root: Path, ref: str, *, only_broadcast: bool = False, months: frozenset[str] | None = None
) -> dict[str, Slot]:
    """Slots of the posts on `ref` (e.g. main) that differ from HEAD: merged after the branch point."""
    base, head = resolve(root, ref), resolve(root, "HEAD")
    if base is None or base == head:
        return {}
    if head is None:
        names = _git(root, "ls-tree", "-r", "--name-only", base, "--", POSTS_DIR)
    else:
        names = _git(
            root,
            "diff",
            "--relative",
            "--name-only",
            "--no-renames",
            "--diff-filter=AM",
            f"{head}...{base}",
            "--",
            POSTS_DIR,
        )
    wanted = [n for n in (names or "").splitlines() if n.endswith("/index.md") and n.count("/") == 3]
    prefix = (_git(root, "rev-parse", "--show-prefix") or "").strip()
    out: dict[str, Slot] = {}
    for name, data in _blobs(root, base, wanted, prefix).items():
        if not _wanted(data, only_broadcast, months):
            continue
        pid = name[len(POSTS_DIR) + 1 : -len("/index.md")]
        slot = slot_from_text(pid, data.decode("utf-8", "replace"), source="base", path=name)
        if slot is not None:
            out[pid] = slot
    return out


def _blobs(root: Path, commit: str, paths: list[str], prefix: str = "") -> dict[str, bytes]:
    """`commit:path` for many paths in one `git cat-file --batch`."""
    import subprocess

    if not paths:
        return {}
    try:
        proc = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=root,
            input="".join(f"{commit}:{prefix}{p}\n" for p in paths).encode(),
            capture_output=True,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    data, pos, out = proc.stdout, 0, {}
    for p in paths:
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        header = data[pos:nl].split()
        if len(header) < 3 or header[-1] == b"missing":
            pos = nl + 1
            continue
        size = int(header[2])
        out[p] = data[nl + 1 : nl + 1 + size]
        pos = nl + 1 + size + 1
    return out


def record_slots(records: Mapping[str, Any]) -> dict[str, Slot]:
    """Slots of the publication records (`pipeline.ledger.Record`), keyed by post id."""
    out: dict[str, Slot] = {}
    for pid, rec in records.items():
        at = rec.publish_at or rec.published_at  # the plan; when it went out is kept beside it
        if at is None:
            continue
        out[pid] = Slot(
            post_id=pid,
            at=at,
            title=rec.title,
            unit=rec.unit,
            category=rec.category,
            delivery=rec.delivery,
            source="record",
            status=rec.status,
            path=getattr(rec, "path", ""),
            url=rec.article_url,
            published_at=rec.published_at,
        )
    return out


def read_records(root: Path, *, directory: Path | None = None) -> dict[str, Any]:
    """The publication records, or {} when the ledger is not available (not built, or no git)."""
    try:
        from .ledger import read_records as _read
    except ImportError:  # the ledger is optional for timing checks
        return {}
    from .errors import ConfigError, GitError

    try:
        return dict(_read(root, directory=directory))
    except GitError:
        return {}
    except (ValueError, UnicodeDecodeError) as exc:  # a record file that is not a record
        where = directory or _("the wxpub-records branch")
        raise ConfigError(
            _("{where}: cannot read the publication records: {reason}", where=where, reason=exc)
        ) from None


def default_base(root: Path, explicit: str | None = None, *, strict: bool = False) -> str | None:
    """The base branch to compare with: `explicit`, `$GITHUB_BASE_REF` on origin, origin/main, or main.

    With `strict`, an `explicit` ref that names no commit is an error rather than skipped.
    """
    import os

    if explicit and strict and resolve(root, explicit) is None:
        from .errors import GitError

        raise GitError(
            _("{ref} names no commit in {root}", ref=repr(explicit), root=root),
            hint=_("fetch it first, e.g. git fetch origin main"),
        )
    candidates = [explicit] if explicit else []
    env = os.environ.get("GITHUB_BASE_REF", "").strip()
    if env:
        candidates += [f"origin/{env}", env]
    candidates += ["origin/main", "main"]
    for ref in candidates:
        if ref and resolve(root, ref):
            return ref
    return None


def collect_slots(
    root: Path,
    *,
    records: Mapping[str, Any] | None = None,
    change: Iterable[Post] = (),
    base: str | None = None,
    only_broadcast: bool = False,
    months: frozenset[str] | None = None,
) -> dict[str, Slot]:
    """Every known slot by post id: records, then the change, the working tree, and the base branch.

    `months` (`YYYY-MM`) lets the posts of other months be skipped unparsed; give the neighbouring months
    too, since a month is read from publish_at as written, before conversion to the policy's timezone.
    """
    slots: dict[str, Slot] = {}
    change = list(change)
    if base:
        slots.update(base_slots(root, base, only_broadcast=only_broadcast, months=months))
    known = frozenset(p.id for p in change if p.meta is not None)
    slots.update(tree_slots(root, only_broadcast=only_broadcast, skip=known, months=months))
    for post in change:
        slot = slot_from_post(post)
        if slot is not None and (not only_broadcast or slot.broadcast):
            slots[post.id] = slot
    for pid, slot in record_slots(records or {}).items():
        if slot.status in SENT_STATUSES:
            slots[pid] = slot
        elif pid in slots:  # a failed publication: the post stays scheduled, but say so
            slots[pid] = _with_status(slots[pid], slot.status)
        if only_broadcast and pid in slots and not slots[pid].broadcast:
            del slots[pid]
    return slots


def _with_status(slot: Slot, status: str) -> Slot:
    from dataclasses import replace

    return replace(slot, status=status)


# -- the calendar --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clash:
    kind: str  # same-hour | broadcast-day | broadcast-month
    when: str  # 2026-12-05 10:00, 2026-12-05 or 2026-12
    posts: tuple[str, ...]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "when": self.when, "posts": list(self.posts), "message": self.message}


@dataclass(frozen=True)
class MonthQuota:
    month: str  # 2026-12
    broadcasts: tuple[str, ...]
    quota: int

    @property
    def used(self) -> int:
        return len(self.broadcasts)

    @property
    def left(self) -> int:
        return max(self.quota - self.used, 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "used": self.used,
            "left": self.left,
            "quota": self.quota,
            "over": self.used > self.quota,
            "posts": list(self.broadcasts),
        }


@dataclass
class Schedule:
    start: dt.date
    end: dt.date
    timezone: str
    days: dict[dt.date, list[Slot]] = field(default_factory=dict)
    months: list[MonthQuota] = field(default_factory=list)
    clashes: list[Clash] = field(default_factory=list)
    gaps: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    late: list[Slot] = field(default_factory=list)  # went out LATE_AFTER or more after publish_at

    @property
    def slots(self) -> list[Slot]:
        return [s for day in sorted(self.days) for s in self.days[day]]

    def to_dict(self) -> dict[str, Any]:
        tz = _tz(self.timezone)
        return {
            "version": 1,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "timezone": self.timezone,
            "days": [
                {"date": day.isoformat(), "posts": [s.to_dict(tz) for s in self.days[day]]} for day in sorted(self.days)
            ],
            "broadcasts": [m.to_dict() for m in self.months],
            "clashes": [c.to_dict() for c in self.clashes],
            "late": [_late_dict(s, tz) for s in self.late],
            "gaps": [{"from": a.isoformat(), "to": b.isoformat(), "days": (b - a).days + 1} for a, b in self.gaps],
        }


def _late_dict(s: Slot, tz: dt.tzinfo) -> dict[str, Any]:
    assert s.published_at is not None and s.late_by is not None
    return {
        "post": s.post_id,
        "title": s.title,
        "delivery": s.delivery,
        "publish_at": s.at.astimezone(tz).isoformat(),
        "published_at": s.published_at.astimezone(tz).isoformat(),
        "late_minutes": _minutes(s.late_by),
        "late": lateness(s.late_by),
    }


def _tz(name: str) -> dt.tzinfo:
    import zoneinfo

    return zoneinfo.ZoneInfo(name)


def month_key(t: dt.datetime, tz: dt.tzinfo) -> str:
    return t.astimezone(tz).strftime("%Y-%m")


def counted_broadcasts(slots: Iterable[Slot]) -> list[Slot]:
    """The broadcasts that use the quota: sent, being sent or scheduled.

    A post whose last attempt failed is still scheduled (the publish job retries it), so it counts; a
    failed record with no post left reached nobody and does not.
    """
    return [s for s in slots if s.broadcast and not (s.source == "record" and s.status == "failed")]


def build_schedule(
    slots: Iterable[Slot],
    policy: Policy,
    start: dt.date,
    end: dt.date,
    *,
    now: dt.datetime | None = None,
    gap_days: int = 3,
    late_after: dt.timedelta = LATE_AFTER,
) -> Schedule:
    """The calendar from `start` to `end` (inclusive, in the policy's timezone), by `publish_at`.

    With `now`, posts still `scheduled` whose time has passed are shown as `due` (waiting for the job).
    Gaps are runs of at least `gap_days` days with nothing scheduled or published. Posts that went out
    `late_after` or more after their `publish_at` are listed in `late`.
    """
    tz = policy.tz
    every = sorted(slots, key=lambda s: (s.at, s.post_id))
    if now is not None:
        every = [_with_status(s, "due") if s.status == "scheduled" and s.at <= now else s for s in every]
    sched = Schedule(start=start, end=end, timezone=policy.timezone)
    in_range = [s for s in every if start <= s.at.astimezone(tz).date() <= end]
    for s in in_range:
        sched.days.setdefault(s.at.astimezone(tz).date(), []).append(s)
    sched.late = [s for s in in_range if s.is_late(late_after)]

    # Broadcast quota per month: count over every slot in the months the range touches.
    months: dict[str, list[str]] = defaultdict(list)
    for s in counted_broadcasts(every):
        months[month_key(s.at, tz)].append(s.post_id)
    first = dt.date(start.year, start.month, 1)
    month = first
    while month <= end:
        key = month.strftime("%Y-%m")
        sched.months.append(MonthQuota(key, tuple(months.get(key, ())), policy.broadcast.per_month))
        month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)

    # Clashes.
    by_hour: dict[str, list[str]] = defaultdict(list)
    by_day: dict[dt.date, list[str]] = defaultdict(list)
    for s in in_range:
        if s.source == "record" and s.status == "failed":
            continue
        local = s.at.astimezone(tz)
        by_hour[local.strftime("%Y-%m-%d %H:00")].append(s.post_id)
        if s.broadcast:
            by_day[local.date()].append(s.post_id)
    for when, ids in sorted(by_hour.items()):
        if len(ids) > 1:
            sched.clashes.append(
                Clash("same-hour", when, tuple(ids), _("{count} posts in the hour {hour}", count=len(ids), hour=when))
            )
    for day, ids in sorted(by_day.items()):
        if len(ids) > policy.broadcast.per_day:
            sched.clashes.append(
                Clash(
                    "broadcast-day",
                    day.isoformat(),
                    tuple(ids),
                    _(
                        "{count} broadcasts on {day} (at most {quota} a day)",
                        count=len(ids),
                        day=day,
                        quota=policy.broadcast.per_day,
                    ),
                )
            )
    for m in sched.months:
        if m.used > m.quota:
            sched.clashes.append(
                Clash(
                    "broadcast-month",
                    m.month,
                    m.broadcasts,
                    _(
                        "{count} broadcasts in {month} (at most {quota} a month)",
                        count=m.used,
                        month=m.month,
                        quota=m.quota,
                    ),
                )
            )

    # Gaps: runs of days with nothing published or scheduled.
    run_start: dt.date | None = None
    runs: list[tuple[dt.date, dt.date]] = []
    day = start
    while day <= end:
        if day in sched.days:
            if run_start is not None:
                runs.append((run_start, day - dt.timedelta(days=1)))
                run_start = None
        elif run_start is None:
            run_start = day
        day += dt.timedelta(days=1)
    if run_start is not None:
        runs.append((run_start, end))
    sched.gaps = [(a, b) for a, b in runs if (b - a).days + 1 >= max(gap_days, 1)]
    return sched


# -- views -----------------------------------------------------------------------------------------------


# what people read for a slot's status, delivery, category and weekday
STATUS_LABELS = {
    "published": N_("published"),
    "retracted": N_("RETRACTED"),
    "pending": N_("pending"),
    "in-progress": N_("in-progress"),
    "failed": N_("failed"),
}
DELIVERY_LABELS = {"publish": N_("publish"), "broadcast": N_("broadcast")}
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def weekday(day: dt.date) -> str:
    return _(WEEKDAYS[day.weekday()])


def _status(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def _line(s: Slot, tz: dt.tzinfo) -> str:
    from .policy import category_label

    local = s.at.astimezone(tz)
    state = "" if s.status == "scheduled" else f" {_status(s.status)}"
    note = published_note(s, tz)
    if note:
        state = f" {note}" if s.status == "published" else f"{state} ({note})"
    cast = _(DELIVERY_LABELS["broadcast" if s.broadcast else "publish"])
    return (
        f"  {local:%H:%M}  {_pad(cast, 9)}  {_pad(category_label(s.category), 9)}  {s.unit}  {s.post_id}  "
        f"{s.title}{state}"
    ).rstrip()


def _late_text(s: Slot, tz: dt.tzinfo) -> str:
    """`2026/12-16-x  due 2026-12-16 12:00, published 2027-01-06 12:00: 21 days late`."""
    assert s.published_at is not None and s.late_by is not None
    sent = s.published_at.astimezone(tz)
    text = _(
        "{post}  due {due}, published {sent}: {lateness}",
        post=s.post_id,
        due=s.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        sent=sent.strftime("%Y-%m-%d %H:%M"),
        lateness=lateness(s.late_by),
    )
    if s.broadcast and month_key(s.at, tz) != month_key(sent, tz):
        text += _(
            " (counted here in {month}; WeChat counted the broadcast in {sent_month})",
            month=month_key(s.at, tz),
            sent_month=sent.strftime("%Y-%m"),
        )
    return text


def _gap_text(a: dt.date, b: dt.date) -> str:
    n = (b - a).days + 1
    return f"{a}" + (f"..{b}" if b != a else "") + " " + ngettext("({n} day)", "({n} days)", n)


def to_text(sched: Schedule) -> str:
    tz = _tz(sched.timezone)
    out = [
        _(
            "Publication calendar {start} .. {end} ({timezone})",
            start=sched.start,
            end=sched.end,
            timezone=sched.timezone,
        )
    ]
    if not sched.days:
        out.append("  " + _("nothing scheduled or published in this period"))
    for day in sorted(sched.days):
        out.append(f"{day} {weekday(day)}")
        out += [_line(s, tz) for s in sched.days[day]]
    out.append(_("Broadcasts per month:"))
    for m in sched.months:
        over = _("  OVER by {count}", count=m.used - m.quota) if m.used > m.quota else ""
        out.append(
            "  "
            + _("{month}: {used} used, {left} left of {quota}", month=m.month, used=m.used, left=m.left, quota=m.quota)
            + over
        )
    if sched.late:
        out.append(_("Published late ({count}): check the publish job's runs", count=len(sched.late)))
        out += [f"  {_late_text(s, tz)}" for s in sched.late]
    if sched.clashes:
        out.append(_("Clashes:"))
        out += [f"  {c.message}: {', '.join(c.posts)}" for c in sched.clashes]
    if sched.gaps:
        out.append(_("Days with nothing scheduled:"))
        out += [f"  {_gap_text(a, b)}" for a, b in sched.gaps]
    return "\n".join(out)


def to_json(sched: Schedule) -> str:
    return json.dumps(sched.to_dict(), ensure_ascii=False, indent=2)


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def to_markdown(sched: Schedule) -> str:
    tz = _tz(sched.timezone)
    from .policy import category_label

    out = ["### " + _("Publication calendar {start} – {end}", start=sched.start, end=sched.end), ""]
    if sched.days:
        out += [_("| date | time | delivery | category | unit | post | status |"), "|---|---|---|---|---|---|---|"]
        for s in sched.slots:
            local = s.at.astimezone(tz)
            post = f"[{_cell(s.title or s.post_id)}]({s.url})" if s.url else _cell(s.title or s.post_id)
            note = published_note(s, tz)
            shown = _status(s.status) if s.status != "scheduled" else _("scheduled")
            status = (note if s.status == "published" else f"{shown} ({note})") if note else shown
            delivery = _(DELIVERY_LABELS[s.delivery]) if s.delivery in DELIVERY_LABELS else s.delivery
            out.append(
                f"| {local:%Y-%m-%d} {weekday(local.date())} | {local:%H:%M} | {delivery} | "
                f"{category_label(s.category)} | {_cell(s.unit)} | {post} (`{s.post_id}`) | {status} |"
            )
    else:
        out.append(_("Nothing scheduled or published in this period."))
    out += ["", _("| month | broadcasts used | left | quota |"), "|---|---|---|---|"]
    for m in sched.months:
        used = _("**{used}** (over)", used=m.used) if m.used > m.quota else str(m.used)
        out.append(f"| {m.month} | {used} | {m.left} | {m.quota} |")
    if sched.late:
        out += ["", _("**Published late** ({count}): check the publish job's runs", count=len(sched.late)), ""]
        out += [f"- `{s.post_id}` {_cell(_late_text(s, tz).removeprefix(s.post_id).strip())}" for s in sched.late]
    if sched.clashes:
        out += ["", _("**Clashes**"), ""]
        out += [f"- {_cell(c.message)}: {', '.join(f'`{p}`' for p in c.posts)}" for c in sched.clashes]
    if sched.gaps:
        out += ["", _("**Days with nothing scheduled:**") + " " + ", ".join(_gap_text(a, b) for a, b in sched.gaps)]
    return "\n".join(out) + "\n"


FORMATS = ("text", "json", "markdown")


def render(fmt: str, sched: Schedule) -> str:
    if fmt == "json":
        return to_json(sched)
    if fmt == "markdown":
        return to_markdown(sched)
    return to_text(sched)


# -- a post's life (`wxpub status`) ------------------------------------------------------------------

STAGES = (
    "failing-checks",  # the checks find errors: nothing can move until they are fixed
    "awaiting-approval",  # not on the base branch; the pull request lacks tiers
    "approved",  # every tier approved; waiting to be merged
    "not-submitted",  # not on the base branch and no pull request given
    "scheduled",  # merged; publish_at is still ahead
    "due",  # merged and due: waiting for the publish job
    "publishing",  # the publish job has started on it
    "failed",  # the last publication attempt failed
    "published",
    "retracted",
)


@dataclass
class Life:
    """Where one post is in its life: checks, approval, merge, publication, retraction."""

    post_id: str
    stage: str
    summary: str
    title: str = ""
    publish_at: dt.datetime | None = None
    delivery: str = ""
    errors: list[Any] = field(default_factory=list)  # Findings of severity error
    reviews: list[Any] = field(default_factory=list)  # Findings for compliance review
    merged: bool | None = None  # on the base branch with this content (None: no base branch)
    base: str | None = None
    waiting_for: list[str] = field(default_factory=list)
    approval: Any = None  # pipeline.approval.Verdict when a pull request was given
    record: Any = None  # pipeline.ledger.Record when there is one
    url: str = ""
    published_at: dt.datetime | None = None
    late_by: dt.timedelta | None = None  # how long after the record's publish_at it went out
    retraction: dict[str, Any] | None = None
    details: list[str] = field(default_factory=list)

    def to_dict(self, tz: dt.tzinfo) -> dict[str, Any]:
        def when(t: dt.datetime | None) -> str | None:
            return t.astimezone(tz).isoformat() if t else None

        retraction = None
        if self.retraction:
            retraction = {**self.retraction, "at": when(self.retraction.get("at"))}
        return {
            "version": 1,
            "post": self.post_id,
            "stage": self.stage,
            "summary": self.summary,
            "title": self.title,
            "publish_at": when(self.publish_at),
            "delivery": self.delivery,
            "checks": {
                "errors": [f.to_dict() for f in self.errors],
                "reviews": [f.to_dict() for f in self.reviews],
            },
            "merged": self.merged,
            "base": self.base,
            "waiting_for": self.waiting_for,
            "approval": self.approval.to_dict() if self.approval is not None else None,
            "published_at": when(self.published_at),
            "late_minutes": _minutes(self.late_by),
            "url": self.url,
            "retraction": retraction,
            "details": self.details,
        }


def _fmt(t: dt.datetime | None, tz: dt.tzinfo) -> str:
    if t is None:
        return _("(unknown)")
    local = t.astimezone(tz)
    off = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {off[:3]}:{off[3:]}"


def _note_lateness(life: Life, record: Any, tz: dt.tzinfo) -> None:
    """Set `late_by` from the record, and say so in the details when it went out late."""
    planned, sent = record.publish_at, record.published_at
    if planned is None or sent is None:
        return
    life.late_by = sent - planned
    if life.late_by >= LATE_AFTER:
        life.details.append(
            _(
                "published {lateness}: its publish_at was {planned}; check the publish job's runs",
                lateness=lateness(life.late_by),
                planned=_fmt(planned, tz),
            )
        )


def base_version(root: Path, base: str | None, post_id: str) -> Slot | None:
    """The post as it is on `base` (e.g. main), or None when it is not there."""
    if not base or resolve(root, base) is None:
        return None
    prefix = (_git(root, "rev-parse", "--show-prefix") or "").strip()
    rel = f"{POSTS_DIR}/{post_id}/index.md"
    text = _git(root, "show", f"{base}:{prefix}{rel}")
    return slot_from_text(post_id, text, source="base", path=rel) if text else None


def merged_on(root: Path, base: str | None, rel: str) -> bool | None:
    """Is index.md at `rel` on `base` with the same content as in the working tree? None without a base."""
    if not base or resolve(root, base) is None:
        return None
    prefix = (_git(root, "rev-parse", "--show-prefix") or "").strip()
    there = _git(root, "rev-parse", "--verify", "-q", f"{base}:{prefix}{rel}")
    if not there:
        return False
    here = _git(root, "hash-object", "--", rel)
    return here is not None and here.strip() == there.strip()


def life_of(
    post_id: str,
    *,
    policy: Policy,
    now: dt.datetime,
    post: Post | None = None,
    findings: Iterable[Any] = (),
    record: Any = None,
    merged: bool | None = None,
    base: str | None = None,
    verdict: Any = None,
    base_version: Slot | None = None,
) -> Life:
    """Decide the stage of a post from what is known of it (pure: everything is passed in)."""
    tz = policy.tz
    meta = post.meta if post is not None else None
    errors = [f for f in findings if f.severity.value == "error"]
    reviews = [f for f in findings if f.severity.value == "review"]
    life = Life(
        post_id=post_id,
        stage="not-submitted",
        summary="",
        title=meta.title if meta else (record.title if record is not None else ""),
        publish_at=meta.publish_at if meta else (record.publish_at if record is not None else None),
        delivery=meta.delivery if meta else (record.delivery if record is not None else ""),
        errors=errors,
        reviews=reviews,
        merged=merged,
        base=base,
        approval=verdict,
        record=record,
    )
    status = getattr(record, "status", None) if record is not None else None
    if status == "retracted":
        life.stage = "retracted"
        life.url = record.article_url
        life.published_at = record.published_at
        life.retraction = record.retraction
        r = record.retraction or {}
        life.summary = _(
            "retracted {time} by {who}: {reason}; it had been published {published}",
            time=_fmt(r.get("at"), tz),
            who=r.get("by") or _("(unknown)"),
            reason=r.get("reason") or _("(no reason)"),
            published=_fmt(record.published_at, tz),
        )
        _note_lateness(life, record, tz)
        return life
    if status == "published":
        life.stage = "published"
        life.url = record.article_url
        life.published_at = record.published_at
        life.summary = _("published {time}", time=_fmt(record.published_at, tz)) + (
            f": {record.article_url}" if record.article_url else ""
        )
        _note_lateness(life, record, tz)
        if errors:
            life.details.append(_("{count} check error(s) now: the post changed after publication?", count=len(errors)))
        return life
    if status in ("pending", "in-progress"):
        life.stage = "publishing"
        life.summary = _(
            "the publish job is on it ({status}); last step at {time}",
            status=_status(status),
            time=_fmt(record.updated_at, tz),
        )
        return life
    if status == "failed":
        life.details.append(_("the last publication attempt failed: {error}", error=record.error or _("(no message)")))
    if post is None:
        life.summary = _("no such post in the working tree and no publication record")
        return life
    if meta is None or errors:
        life.stage = "failing-checks"
        life.summary = _("{count} check error(s) to fix before anything else", count=len(errors))
        return life
    if status == "failed":
        life.stage = "failed"
        life.summary = _(
            "publication failed: {error}; the publish job retries it on its next run",
            error=record.error or _("(no message)"),
        )
        return life
    if merged:
        if meta.publish_at > now:
            life.stage = "scheduled"
            life.summary = _(
                "merged on {base}: scheduled for {time} ({delivery})",
                base=base,
                time=_fmt(meta.publish_at, tz),
                delivery=_(DELIVERY_LABELS[meta.delivery]),
            )
        else:
            life.stage = "due"
            life.summary = _(
                "merged on {base} and due since {time}: waiting for the publish job",
                base=base,
                time=_fmt(meta.publish_at, tz),
            )
        return life
    if base_version is not None:
        life.details.append(
            _(
                "{base} has another version of this post, due {time}: this change edits it",
                base=base,
                time=_fmt(base_version.at, tz),
            )
        )
    if verdict is not None:
        missing = [t for t in verdict.tiers if not t.ok]
        life.waiting_for = [t.name for t in missing]
        if verdict.ok:
            life.stage = "approved"
            life.summary = _(
                "pull request #{number} is approved by every tier: waiting to be merged", number=verdict.pr
            )
        else:
            life.stage = "awaiting-approval"
            first = missing[0] if missing else None
            who = f" ({first.who})" if first is not None and first.who else ""
            life.summary = (
                _("pull request #{number} is waiting for {tier}{who}", number=verdict.pr, tier=first.name, who=who)
                if first is not None
                else _(
                    "pull request #{number} is not approved: {reasons}",
                    number=verdict.pr,
                    reasons="; ".join(verdict.reasons) or _("see the gate"),
                )
            )
        return life
    where = _("not on {base} yet", base=base) if base else _("not merged yet")
    if base_version is not None:
        where = _("this version is not on {base} yet", base=base)
    life.summary = _(
        "{where}: open a pull request (or pass --pr N / --reviews-file F to see its approvals)", where=where
    )
    return life


# the stages of `wxpub status`, as people read them (the JSON keeps the ids)
STAGE_LABELS = {
    "not-submitted": N_("not-submitted"),
    "failing-checks": N_("failing-checks"),
    "awaiting-approval": N_("awaiting-approval"),
    "approved": N_("approved"),
    "scheduled": N_("scheduled"),
    "due": N_("due"),
    "publishing": N_("publishing"),
    "published": N_("published"),
    "failed": N_("failed"),
    "retracted": N_("retracted"),
}


def life_text(life: Life, tz: dt.tzinfo) -> str:
    from .report import severity_label

    stage = _(STAGE_LABELS[life.stage]) if life.stage in STAGE_LABELS else life.stage
    out = [f"{life.post_id}: {stage}", f"  {life.summary}"]
    if life.title:
        out.append("  " + _("title: {title}", title=life.title))
    if life.publish_at:
        delivery = _(DELIVERY_LABELS[life.delivery]) if life.delivery in DELIVERY_LABELS else life.delivery
        out.append("  " + _("publish_at: {time} ({delivery})", time=_fmt(life.publish_at, tz), delivery=delivery))
    if life.url:
        out.append("  " + _("article: {url}", url=life.url))
    out.append(
        "  " + _("checks: {errors} error(s), {reviews} for review", errors=len(life.errors), reviews=len(life.reviews))
    )
    for f in [*life.errors, *life.reviews]:
        out.append(f"    {f.path}:{f.line}: {severity_label(f.severity)} [{f.rule}] {f.message}")
    if life.approval is not None:
        for t in life.approval.tiers:
            mark = _("ok") if t.ok else _("waiting")
            by = ", ".join(a.login for a in t.approved_by)
            out.append(
                "  "
                + _("tier {tier}: {state}", tier=t.name, state=mark)
                + (f" ({by})" if by else "")
                + (_("; needs {who}", who=t.who) if not t.ok and t.who else "")
            )
    out += [f"  {d}" for d in life.details]
    return "\n".join(out)
