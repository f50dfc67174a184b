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


def command_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand, or with `only` that one (start-up stays fast: a command's
    module, and what it imports, is loaded only when that command runs)."""
    parser = Parser(prog="wxpub", description="Compliance-checked, approval-gated publishing to WeChat.")
    parser.add_argument("--version", action="version", version=f"wxpub {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in command_names():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"{commands.__name__}.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    first = args_list[0] if args_list else None
    parser = build_parser(only=first if first in command_names() else None)
    try:
        args = parser.parse_args(args_list)
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
