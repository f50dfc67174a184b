"""Options shared by several subcommands."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..errors import UsageError
from ..policy import Policy, load_policy
from ..repo import find_root


def add_now(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--now",
        metavar="ISO-8601",
        help="pretend the time is this (default: the clock); e.g. 2026-12-01T09:00:00+08:00",
    )


def add_format(p: argparse.ArgumentParser, choices: tuple[str, ...]) -> None:
    p.add_argument("--format", choices=choices, default=choices[0], help=f"output format (default: {choices[0]})")


def add_root(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", metavar="DIR", help="the repository (default: the nearest folder with policy/)")


def parse_now(value: str | None, policy: Policy | None = None) -> dt.datetime:
    """The `--now` value as an aware datetime; a naive value is read in the policy's timezone."""
    if not value:
        return dt.datetime.now(dt.UTC)
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--now {value!r}: expected ISO-8601 such as 2026-12-01T09:00:00+08:00") from None
    if t.tzinfo is None:
        if policy is None:
            raise UsageError(f"--now {value!r}: add a timezone offset such as +08:00")
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
