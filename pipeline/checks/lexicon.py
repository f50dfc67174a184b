"""Term lists the bank edits without code: `policy/lexicons/*.txt`, matched with Aho-Corasick.

File format (documented again at the top of every shipped list):

    # a comment line; blank lines are ignored
    赌博 !远离赌博 !拒绝赌博      <- a term, then exceptions: longer phrases containing it that are fine
    第一 !第一季度 !第一次

A file `NAME.txt` feeds the lexicon `NAME`; `NAME+anything.txt` (e.g. `forbidden-vice+branch.txt`) is
merged into it, so a bank adds its own terms in its own file. Which rule reads which lexicon is fixed
in code (`use()`); a file whose name no rule reads is a policy error, so a misspelt file never drops
terms silently. Terms and exceptions are normalised like the text (full-width, traditional, case),
so one spelling covers every variant. The directory is the policy key `compliance.lexicons`.

All lexicons go into one automaton, built once per process and per set of files, and every post's
shadow is scanned once; rules then read the hits for their lexicons.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import PolicyError
from ..i18n import _
from .text import BARRIER, CHAR_MAP, RESIZING, SEPARATORS, Match, normalise, scan_of

if TYPE_CHECKING:
    from ..check import CheckContext
    from ..policy import Policy
    from ..post import Post

# lexicon name -> what it is for (registered by the rule modules)
KNOWN: dict[str, str] = {}


def use(name: str, purpose: str) -> str:
    """Declare that a rule reads the lexicon `name` (so its file is expected and documented)."""
    KNOWN[name] = purpose
    return name


class Term(NamedTuple):
    lexicon: str
    term: str  # normalised
    raw: str
    exceptions: tuple[str, ...]  # normalised
    source: str  # file:line


@dataclass(frozen=True)
class Hit:
    term: Term
    match: Match


def parse_line(text: str, source: str) -> tuple[str, tuple[str, ...]] | None:
    """(term, exceptions) of one line, None for blank and comment lines."""
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        return None
    if " #" in stripped:
        stripped = stripped.split(" #", 1)[0].strip()
    tokens = stripped.split()
    term, rest = tokens[0], tokens[1:]
    if term.startswith("!"):
        raise PolicyError(
            _(
                "{source}: a line starts with the term, then its exceptions: {line}",
                source=source,
                line=repr(stripped),
            )
        )
    bad = [t for t in rest if not t.startswith("!") or len(t) < 2]
    if bad:
        raise PolicyError(
            _(
                "{source}: {bad}: one term a line; exceptions follow it written as !phrase (e.g. 第一 !第一季度)",
                source=source,
                bad=repr(bad[0]),
            )
        )
    return term, tuple(t[1:] for t in rest)


class Lexicons:
    """Every term of every lexicon, and one Aho-Corasick automaton over their normalised forms."""

    def __init__(self, terms: list[Term]) -> None:
        self.terms: dict[str, list[Term]] = defaultdict(list)
        by_key: dict[str, list[Term]] = defaultdict(list)
        for t in terms:
            self.terms[t.lexicon].append(t)
            by_key[t.term].append(t)
        self._by_key = {k: tuple(v) for k, v in by_key.items()}
        self._automaton: Any = None

    @property
    def automaton(self) -> Any:
        if self._automaton is None:
            import ahocorasick

            a = ahocorasick.Automaton()
            for key, terms in self._by_key.items():
                a.add_word(key, (len(key), terms))
            if self._by_key:
                a.make_automaton()
            self._automaton = a
        return self._automaton

    def find(self, text: str) -> list[tuple[Term, int, int]]:
        """(term, start, end) of every term occurrence in a shadow text, exceptions applied."""
        if not self._by_key or not text:
            return []
        out: list[tuple[Term, int, int]] = []
        for end_index, (length, terms) in self.automaton.iter(text):
            start, end = end_index - length + 1, end_index + 1
            for t in terms:
                if t.exceptions and _excepted(text, start, t):
                    continue
                out.append((t, start, end))
        return out


def _excepted(text: str, start: int, term: Term) -> bool:
    for exc in term.exceptions:
        k = exc.find(term.term)
        while k >= 0:
            s = start - k
            if s >= 0 and text.startswith(exc, s):
                return True
            k = exc.find(term.term, k + 1)
    return False


def lexicon_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.txt") if p.is_file())


def read_lexicons(directory: Path, root: Path | None = None) -> Lexicons:
    """Parse every list in `directory` (raises PolicyError naming file:line for a bad line)."""
    terms: list[Term] = []
    for path in lexicon_files(directory):
        name = path.stem.split("+", 1)[0]
        shown = path.relative_to(root).as_posix() if root and path.is_relative_to(root) else path.as_posix()
        if name not in KNOWN:
            raise PolicyError(
                _(
                    "{path}: no rule reads a lexicon named {name}; name the file after one of {known} "
                    "(or NAME+yours.txt to add terms to NAME)",
                    path=shown,
                    name=repr(name),
                    known=", ".join(sorted(KNOWN)),
                )
            )
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(_("{path}: cannot read: {error}", path=shown, error=exc)) from None
        lines = content.split("\n")
        # Fast path for 10,000s of terms: translate the whole file in one call, then take plain lines as they are.
        translated = content.translate(CHAR_MAP)  # fills RESIZING for characters seen first here
        normal = translated.split("\n") if RESIZING.isdisjoint(content) else None
        if normal is not None and len(normal) != len(lines):
            normal = None
        for n, line in enumerate(lines, 1):
            line = line.rstrip("\r")
            if normal is not None and line and _PLAIN.fullmatch(line):
                key = normal[n - 1].rstrip("\r")
                if _NEEDS_JOIN.search(key):
                    key = normalise(line)
                excs: tuple[str, ...] = ()
                term = line
            else:
                parsed = parse_line(line, f"{shown}:{n}")
                if parsed is None:
                    continue
                term, raw_excs = parsed
                key = normalise(term)
                excs = tuple(normalise(e) for e in raw_excs)
            if not key or BARRIER in key:
                continue
            terms.append(Term(name, key, term, excs, f"{shown}:{n}"))
    return Lexicons(terms)


_PLAIN = re.compile(r"[^\s#!]+")
_NEEDS_JOIN = re.compile(rf"[{SEPARATORS}]")


_CACHE: dict[tuple[object, ...], Lexicons] = {}


def lexicons_for(root: Path, policy: Policy) -> Lexicons:
    """The lexicons the policy names, parsed and compiled once per process while the files are unchanged."""
    directory = (root / policy.compliance.lexicons).resolve()
    if not directory.is_dir():
        raise PolicyError(
            _(
                "policy/policy.yml: compliance.lexicons: {folder} is not a folder; "
                "point it at the folder of term lists, normally policy/lexicons",
                folder=repr(policy.compliance.lexicons),
            )
        )
    files = lexicon_files(directory)
    key: tuple[object, ...] = (directory, *((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files))
    lex = _CACHE.get(key)
    if lex is None:
        lex = read_lexicons(directory, root.resolve())
        _CACHE.clear()
        _CACHE[key] = lex
    return lex


def hits(post: Post, ctx: CheckContext) -> dict[str, list[Hit]]:
    """Every lexicon hit in the post's content, by lexicon; inner hits of a longer one are dropped."""
    scan = scan_of(post, ctx)
    cached = scan.memo.get("lexicon.hits")
    if cached is not None:
        return cached  # type: ignore[return-value]
    lookup = ctx.cache.get("checks.lexicons")
    if not isinstance(lookup, Lexicons):
        lookup = lexicons_for(ctx.root, ctx.policy)
        ctx.cache["checks.lexicons"] = lookup
    out: dict[str, list[Hit]] = defaultdict(list)
    for view in scan.views("lexicon"):
        found = lookup.find(view.text)
        if not found:
            continue
        by_lex: dict[str, list[tuple[Term, int, int]]] = defaultdict(list)
        for t, s, e in found:
            by_lex[t.lexicon].append((t, s, e))
        for lex, items in by_lex.items():
            items.sort(key=lambda x: (x[1], -x[2]))
            kept_end = -1
            for t, s, e in items:
                if e <= kept_end:  # inside a longer hit of the same lexicon
                    continue
                kept_end = max(kept_end, e)
                out[lex].append(Hit(t, view.match(s, e)))
    result = dict(out)
    scan.memo["lexicon.hits"] = result
    return result
