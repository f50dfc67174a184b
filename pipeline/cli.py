"""The `wxpub` command line: parse arguments, call the library, print, return an exit code.

Each subcommand lives in `pipeline/commands/<name>.py` with `add_parser(subparsers)`, which sets
`func(args) -> int`. Exit codes: 0 all good, 1 the content or the approvals fall short, 2 usage or
configuration error. `main(argv)` returns the code; it never lets a traceback reach a person for
bad input.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from . import __version__, commands
from .errors import WxpubError


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="wxpub", description="Compliance-checked, approval-gated publishing to WeChat.")
    parser.add_argument("--version", action="version", version=f"wxpub {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except WxpubError as exc:
        print(f"wxpub: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("wxpub: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
