"""Options shared by several subcommands."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..errors import UsageError
from ..findings import Finding
from ..i18n import _
from ..policy import Policy, load_policy
from ..repo import find_root


def add_now(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--now",
        metavar="ISO-8601",
        help=_("pretend the time is this (default: the clock); e.g. 2026-12-01T09:00:00+08:00"),
    )


def add_format(p: argparse.ArgumentParser, choices: tuple[str, ...]) -> None:
    p.add_argument(
        "--format",
        choices=choices,
        default=choices[0],
        help=_("output format (default: {default})", default=choices[0]),
    )


def add_root(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", metavar="DIR", help=_("the repository (default: the nearest folder with policy/)"))


def parse_now(value: str | None, policy: Policy | None = None) -> dt.datetime:
    """The `--now` value as an aware datetime; a naive value is read in the policy's timezone."""
    if not value:
        return dt.datetime.now(dt.UTC)
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            _("--now {value}: expected ISO-8601 such as 2026-12-01T09:00:00+08:00", value=repr(value))
        ) from None
    if t.tzinfo is None:
        if policy is None:
            raise UsageError(_("--now {value}: add a timezone offset such as +08:00", value=repr(value)))
        t = t.replace(tzinfo=policy.tz)
    return t


def root_and_policy(args: argparse.Namespace) -> tuple[Path, Policy]:
    root = Path(args.root).resolve() if getattr(args, "root", None) else find_root()
    return root, load_policy(root)


def use_colour(stream: object | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    import os

    target = sys.stdout if stream is None else stream
    return bool(getattr(target, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def add_post_selection(p: argparse.ArgumentParser) -> None:
    """PATH... and --changed-since: which posts a findings command looks at."""
    p.add_argument("paths", nargs="*", metavar="PATH", help=_("post folders, index.md files or folders to search"))
    p.add_argument("--changed-since", metavar="REF", help=_("check only the posts changed since this git ref"))


def selected_folders(root: Path, args: argparse.Namespace) -> list[Path]:
    """The post folders `add_post_selection`'s arguments name: changed since REF (within PATHs), or PATHs,
    or all of posts/."""
    from ..repo import changed_post_folders, post_folders

    if args.changed_since:
        folders = changed_post_folders(root, args.changed_since)
        if args.paths:
            wanted = set(post_folders(root, args.paths))
            folders = [f for f in folders if f in wanted]
        return folders
    return post_folders(root, args.paths or None)


def add_report_options(p: argparse.ArgumentParser) -> None:
    """--format (text, json, github, sarif) and --output for a findings report."""
    from .. import report

    add_format(p, report.FORMATS)
    p.add_argument("--output", "-o", metavar="FILE", help=_("write the report to FILE instead of standard output"))


def emit_report(args: argparse.Namespace, findings: list[Finding], posts: int, root: Path, title: str) -> None:
    """Print or write the findings in `--format`; under `github`, also the job summary and the full text
    report on standard error (GitHub shows only ten annotations a step)."""
    from .. import report

    out = report.render(
        args.format, findings, posts, colour=args.format == "text" and not args.output and use_colour(), root=root
    )
    if args.output:
        Path(args.output).write_text(out + "\n", encoding="utf-8")
    elif out:
        print(out)
    if args.format == "github":
        report.append_step_summary(report.to_markdown(findings, posts, title=title))
        if not args.output:
            print(report.to_text(findings, posts), file=sys.stderr)
