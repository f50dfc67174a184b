"""The `wxpub` command line: parse arguments, call the library, print, return an exit code.

Each subcommand lives in `pipeline/commands/<name>.py` with `add_parser(subparsers)`, which sets
`func(args) -> int`. Exit codes: 0 all good, 1 the content or the approvals fall short, 2 usage or
configuration error. `main(argv)` returns the code; it never lets a traceback reach a person for
bad input.

`--lang en|zh_CN` (anywhere on the line) picks the language before anything is built, so the help texts
are in it too; without it, `pipeline.i18n` decides (zh_CN by default).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from . import __version__, commands
from .errors import UsageError, WxpubError
from .i18n import N_, _, ngettext, set_language

# argparse's own words (usage, option groups, its errors), as Python 3.11+ writes them: argparse looks
# them up through `argparse._` / `argparse.ngettext`, which `translate_argparse` points at the catalog.
ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("the following arguments are required: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("unrecognized arguments: %s"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("expected at most one argument"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
    N_("ignored explicit argument %r"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
)


def _argparse_ngettext(singular: str, plural: str, n: int) -> str:
    return ngettext(singular, plural, n).replace("{n}", str(n))


def translate_argparse() -> None:
    """Let argparse speak the chosen language (its messages are looked up when used, so after
    `set_language` every parser built or run speaks it)."""
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = _argparse_ngettext  # type: ignore[attr-defined]


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(_("{prog}: error: {message}", prog=self.prog, message=message), file=sys.stderr)
        raise SystemExit(2)


def take_lang(args: list[str]) -> tuple[str | None, list[str]]:
    """(the `--lang` value, the other arguments); `--lang X` and `--lang=X` anywhere before `--`."""
    lang, rest, i = None, [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg == "--lang":
            if i + 1 >= len(args):
                raise UsageError(_("--lang needs a value: zh_CN or en"))
            lang, i = args[i + 1], i + 2
            continue
        if arg.startswith("--lang="):
            lang, i = arg.removeprefix("--lang="), i + 1
            continue
        rest.append(arg)
        i += 1
    return lang, rest


def command_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand, or with `only` that one (start-up stays fast: a command's
    module, and what it imports, is loaded only when that command runs)."""
    parser = Parser(
        prog="wxpub",
        description=_("Compliance-checked, approval-gated publishing to WeChat."),
        epilog=_("Language: Chinese by default; --lang en (or WXPUB_LANG=en) for English."),
    )
    parser.add_argument("--version", action="version", version=f"wxpub {__version__}", help=_("show the version"))
    parser.add_argument(
        "--lang", metavar="LANG", help=_("language of every message: zh_CN (default) or en; also WXPUB_LANG")
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser, title=_("commands"))
    for name in command_names():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"{commands.__name__}.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        lang, args_list = take_lang(list(sys.argv[1:] if argv is None else argv))
        set_language(lang)
    except UsageError as exc:
        print(f"wxpub: {exc}", file=sys.stderr)
        return exc.exit_code
    translate_argparse()
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
        print(_("wxpub: interrupted"), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
