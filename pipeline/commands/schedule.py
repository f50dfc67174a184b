"""`wxpub schedule`: the publication calendar, broadcasts used and left per month, gaps and clashes."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from ..errors import UsageError
from ..i18n import _
from ..schedule import FORMATS, build_schedule, collect_slots, default_base, read_records, render
from ._common import add_format, add_now, add_root, parse_now, root_and_policy


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "schedule",
        help=_("the publication calendar: scheduled and published posts, broadcast quota, clashes"),
        description=_(
            "Show each day's posts at their publish_at (time, delivery, category, unit; when one went out at "
            "another time, that time beside it), the broadcasts used and left per month, posts published late, "
            "posts in the same hour, extra broadcasts on one day and days with nothing scheduled. Reads the "
            "posts of the working tree and of the base branch, and the publication records. "
            "Default period: this month and the next."
        ),
    )
    p.add_argument("--from", dest="start", metavar="DATE", help=_("first day, YYYY-MM-DD (default: 1st of this month)"))
    p.add_argument("--to", dest="end", metavar="DATE", help=_("last day, YYYY-MM-DD (default: end of next month)"))
    add_format(p, FORMATS)
    p.add_argument("--output", "-o", metavar="FILE", help=_("write to FILE instead of standard output"))
    p.add_argument("--gap-days", type=int, default=3, metavar="N", help=_("report runs of N+ empty days (default: 3)"))
    p.add_argument("--base", metavar="REF", help=_("the branch posts are merged on (default: origin/main or main)"))
    p.add_argument("--records-dir", metavar="DIR", help=_("read publication records from DIR instead of git"))
    add_now(p)
    add_root(p)
    p.set_defaults(func=run)


def _date(value: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            _("{flag} {value}: expected a date such as 2026-12-01", flag=flag, value=repr(value))
        ) from None


def period(start: str | None, end: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """--from/--to, defaulting to this month and the next."""
    first = _date(start, "--from") if start else today.replace(day=1)
    if end:
        last = _date(end, "--to")
    else:
        year, month = (first.year + (first.month + 1) // 13, (first.month % 12) + 1)
        after = dt.date(year + (month == 12), month % 12 + 1, 1)
        last = after - dt.timedelta(days=1)
    if last < first:
        raise UsageError(_("--to {last} is before --from {first}", last=last, first=first))
    if (last - first).days > 3660:
        raise UsageError(_("the period is longer than ten years; narrow --from/--to"))
    return first, last


def run(args: argparse.Namespace) -> int:
    root, policy = root_and_policy(args)
    now = parse_now(args.now, policy)
    start, end = period(args.start, args.end, now.astimezone(policy.tz).date())
    records = read_records(root, directory=Path(args.records_dir) if args.records_dir else None)
    slots = collect_slots(root, records=records, base=default_base(root, args.base, strict=True))
    sched = build_schedule(slots.values(), policy, start, end, now=now, gap_days=args.gap_days)
    out = render(args.format, sched)
    if args.output:
        Path(args.output).write_text(out if out.endswith("\n") else out + "\n", encoding="utf-8")
    else:
        print(out, end="" if out.endswith("\n") else "\n")
    return 0
