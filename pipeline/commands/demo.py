"""`wxpub demo`: the whole flow on the sample posts, offline, ending with the archive on localhost."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..demo import run_demo
from ..i18n import _
from ..repo import find_root


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "demo",
        help=_("run the whole flow on the sample posts against a local WeChat"),
        description=_(
            "In a temporary copy of the repository: check, lead time, approvals from "
            "sample reviews, publish to the local WeChat stand-in, build the archive and serve it."
        ),
    )
    p.add_argument("--port", type=int, default=8000, help=_("serve the archive on 127.0.0.1:PORT (default: 8000)"))
    p.add_argument("--no-serve", action="store_true", help=_("stop after building the archive"))
    p.add_argument("--workdir", metavar="DIR", help=_("work here instead of a new temporary folder"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    workdir = Path(args.workdir).resolve() if args.workdir else None
    result = run_demo(find_root(), workdir=workdir, site_port=None if args.no_serve else args.port)
    return 0 if result.ok else 1
