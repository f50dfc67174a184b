"""The scanning engine: what of a post is content, and a normalised shadow of it that maps back.

Scope: the title, author and digest from the front matter are scanned like the body. In the body,
URLs (and Markdown link targets), HTML tags and HTML comments are masked: the renderer drops comments
and a URL is an address, not a claim. Inline code and fenced code blocks are published (the renderer
shows them), so they are scanned like any other text by every view; a comment, tag or link target
written inside code is shown literally, so it is scanned too. `Scan.in_code_block` tells a rule
that a match sits in a fenced block (adlaw lowers its absolute terms there to review).

The shadow text is normalised so evasions still match: NFKC (full-width -> half-width, ① -> 1,
⑴ -> (1), ㈠ -> (一)), traditional -> simplified (OpenCC t2s, one character at a time, memoised),
lower case, and separators inserted between CJK characters removed (`赌*博`, `赌 博`, `赌·博`).
Every shadow offset maps back to the original offset, and from there to index.md line and column.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..check import CheckContext
    from ..post import Post

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Characters an evader slips between the letters of a term (matched on the normalised text, so the
# full-width forms －＿～／ arrive here as -_~/). Runs are removed only between two CJK characters:
# `2026—2027年` or `A-B` keep their dashes. Dashes: ‐‑‒–—― − ⸺⸻ 〜 ー; invisible: soft hyphen, zero-width
# (space, non-joiner, joiner, word joiner, BOM), bidi marks, invisible operators; the backtick of inline code.
SEPARATORS = (
    " \t\u00a0*·•・‧.\\-_~|/\\\\+=#^&@`\n"
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\u301c\u30fc"
    "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
    "\x01"  # HIDDEN: a comment or inline tag, which the reader never sees (`赌<!-- -->博` reads 赌博)
)
_SEP_RUN = re.compile(rf"(?<=[{CJK}])[{SEPARATORS}]+(?=[{CJK}])")
_NEWLINE = re.compile("\n")
BARRIER = "\x00"  # stands in for masked text: never part of a term, never removed
HIDDEN = "\x01"  # stands in for markup that renders as nothing inside a line: removed between CJK like a separator

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}\1[ \t]*$|\Z)", re.M | re.S)
_INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_TAG = re.compile(r"</?[A-Za-z][^<>\n]*>")
_LINK_TARGET = re.compile(r"\]\([^()\s]*(?:\s+\"[^\"\n]*\")?\)")
URL_RE = re.compile(r"(?:https?|ftp)://[^\s<>()（）\[\]\"'，。、；！？]+|www\.[A-Za-z0-9-]+\.[^\s<>()（）\[\]\"'，。]+")

LEXICON_MASKS = (_COMMENT, _TAG, _LINK_TARGET, URL_RE)  # code is published: never masked for lexicon rules
DATA_MASKS = LEXICON_MASKS
_MARKUP = (_COMMENT, _TAG, _LINK_TARGET)  # markup only outside code: inside code it is shown as text
_INLINE_TAG = re.compile(
    r"</?(?:a|abbr|b|bdi|bdo|cite|del|dfn|em|font|i|ins|kbd|mark|q|s|samp|small|span|strong|sub|sup|u|var)\b[^<>]*>",
    re.I,
)


# -- character normalisation -------------------------------------------------------------------

_converter = None


def _t2s(s: str) -> str:
    global _converter
    if _converter is None:
        import opencc  # imported lazily: only when a non-ASCII character is first seen

        _converter = opencc.OpenCC("t2s")
    return str(_converter.convert(s))


class _CharMap(dict[int, str]):
    """`str.translate` table computed on demand and memoised: NFKC, then t2s, then lower case."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if code < 0x80:
            out = ch.lower()
        else:
            out = unicodedata.normalize("NFKC", ch)
            if any(ord(c) >= 0x3400 for c in out):
                out = _t2s(out)
            out = out.lower()
        if BARRIER in out and ch != BARRIER:
            out = out.replace(BARRIER, "")
        if len(out) != 1:
            RESIZING.add(ch)
        self[code] = out
        return out


RESIZING: set[str] = set()  # characters whose normal form is not exactly one character


CHAR_MAP = _CharMap()


class OffsetMap:
    """Piecewise-linear map from positions in a derived string back to its source."""

    __slots__ = ("dst", "src")

    def __init__(self) -> None:
        self.dst: list[int] = [0]
        self.src: list[int] = [0]

    def add(self, dst: int, src: int) -> None:
        if self.dst[-1] == dst:
            self.src[-1] = src
        else:
            self.dst.append(dst)
            self.src.append(src)

    def __call__(self, i: int) -> int:
        k = bisect.bisect_right(self.dst, i) - 1
        return self.src[k] + (i - self.dst[k])


def normalise_chars(text: str) -> tuple[str, OffsetMap | None]:
    """NFKC + t2s + lower case; the map is None when every character stayed one character."""
    out = text.translate(CHAR_MAP)
    if not RESIZING or RESIZING.isdisjoint(text):
        return out, None
    omap = OffsetMap()
    parts: list[str] = []
    pos = 0
    for i, ch in enumerate(text):
        rep = CHAR_MAP[ord(ch)]
        if len(rep) != 1:
            for j in range(len(rep)):
                omap.add(pos + j, i)
            omap.add(pos + len(rep), i + 1)
        parts.append(rep)
        pos += len(rep)
    return "".join(parts), omap


def join_separators(text: str) -> tuple[str, OffsetMap | None]:
    """Remove separator runs between two CJK characters (at most one line break in a run)."""
    omap: OffsetMap | None = None
    parts: list[str] = []
    last = 0
    removed = 0
    for m in _SEP_RUN.finditer(text):
        if m.group().count("\n") > 1:
            continue
        if omap is None:
            omap = OffsetMap()
        parts.append(text[last : m.start()])
        removed += m.end() - m.start()
        last = m.end()
        omap.add(m.start() - (removed - (m.end() - m.start())), m.end())
    if omap is None:
        return text, None
    parts.append(text[last:])
    return "".join(parts), omap


def normalise(text: str) -> str:
    """The shadow form of a string (terms, allow-matches and disclosures are compared in it)."""
    out = text.translate(CHAR_MAP)
    return _SEP_RUN.sub(_drop_separators, out)


def _drop_separators(m: re.Match[str]) -> str:
    return m.group() if m.group().count("\n") > 1 else ""


def _same_length_normal(text: str) -> str | None:
    """The text through the char map when no character changes length (the common case), else None."""
    out = text.translate(CHAR_MAP)
    return out if not RESIZING or RESIZING.isdisjoint(text) else None


def code_spans(text: str) -> list[tuple[int, int]]:
    """The spans of fenced code blocks and inline code spans (both are shown as written)."""
    spans = [m.span() for m in _FENCE.finditer(text)] if "```" in text or "~~~" in text else []
    spans.extend(m.span() for m in _INLINE_CODE.finditer(text))
    return spans


def mask(text: str, patterns: tuple[re.Pattern[str], ...]) -> str:
    """Replace the spans the patterns match by barrier characters of the same length; comments and inline tags
    (which render as nothing inside a line) by `HIDDEN`, which the lexicon view removes between CJK letters."""
    spans: list[tuple[re.Pattern[str], int, int]] = []
    code: list[tuple[int, int]] | None = None
    for pat in patterns:
        if pat is _FENCE and "```" not in text and "~~~" not in text:
            continue
        if pat is _INLINE_CODE and "`" not in text:
            continue
        if pat is _COMMENT and "<!--" not in text:
            continue
        if pat is _TAG and "<" not in text:
            continue
        if pat is _LINK_TARGET and "](" not in text:
            continue
        found = [m.span() for m in pat.finditer(text)]
        if found and pat in _MARKUP and _FENCE not in patterns and ("`" in text or "~~~" in text):
            if code is None:
                code = code_spans(text)
            found = [sp for sp in found if not any(a <= sp[0] < b for a, b in code)]
        spans.extend((pat, s, e) for s, e in found)
    if not spans:
        return text
    chars = list(text)
    hidden: list[tuple[int, int]] = []
    for pat, s, e in spans:
        if pat is _COMMENT or (pat is _TAG and _INLINE_TAG.fullmatch(text, s, e)):
            hidden.append((s, e))
            continue
        for i in range(s, e):
            if chars[i] != "\n":
                chars[i] = BARRIER
    for s, e in hidden:  # last: a URL inside a comment is hidden with it
        for i in range(s, e):
            if chars[i] != "\n":
                chars[i] = HIDDEN
    return "".join(chars)


# -- units, views, matches ---------------------------------------------------------------------


@dataclass
class Unit:
    """A piece of content and where its first character stands in index.md."""

    name: str  # title | author | digest | body
    text: str
    line: int
    column: int = 1
    _newlines: list[int] | None = field(default=None, repr=False)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) in index.md of an offset into `text`."""
        if self.name != "body":
            return self.line, self.column + offset
        if self._newlines is None:
            self._newlines = [m.start() for m in _NEWLINE.finditer(self.text)]
        k = bisect.bisect_left(self._newlines, offset)
        if k == 0:
            return self.line, offset + 1
        return self.line + k, offset - self._newlines[k - 1]


@dataclass
class Match:
    """A span of original content that a rule matched, located in index.md."""

    unit: Unit
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.unit.text[self.start : self.end]

    @property
    def line(self) -> int:
        return self.unit.position(self.start)[0]

    @property
    def column(self) -> int:
        return self.unit.position(self.start)[1]

    @property
    def end_column(self) -> int:
        col = self.unit.position(self.start)[1]
        first = self.text.split("\n", 1)[0]
        return col + max(len(first), 1)


class View:
    """The shadow of one or more units (joined by `UNIT_SEP`) with the maps back to the original."""

    __slots__ = ("_starts", "chars", "joins", "text", "units")

    def __init__(
        self, units: list[tuple[int, Unit]], text: str, chars: OffsetMap | None, joins: OffsetMap | None
    ) -> None:
        self.units = units  # (offset of the unit's first character in the joined original, unit)
        self._starts = [start for start, _ in units]
        self.text = text
        self.chars = chars
        self.joins = joins

    def orig(self, i: int) -> int:
        """The offset in the joined original text of shadow offset `i`."""
        if self.joins is not None:
            i = self.joins(i)
        if self.chars is not None:
            i = self.chars(i)
        return i

    def match(self, start: int, end: int) -> Match:
        """The original span of shadow span [start, end), in the unit it falls in."""
        s = self.orig(start)
        e = self.orig(end - 1) + 1 if end > start else s
        base, unit = self.units[bisect.bisect_right(self._starts, s) - 1]
        return Match(unit, s - base, min(e - base, len(unit.text)))


UNIT_SEP = BARRIER + "\n\n"  # between units: no term, sentence or paragraph spans two of them


def _mask_units(text: str, placed: list[tuple[int, Unit]], masks: tuple[re.Pattern[str], ...]) -> str:
    """Mask the joined units: markup (comments, tags, link targets) only in the body, which is Markdown;
    the title, author and digest are plain text that WeChat shows as written, so only their URLs go."""
    start = next((pos for pos, u in placed if u.name == "body"), None)
    plain = tuple(p for p in masks if p not in _MARKUP)
    if start is None or plain == masks:
        return mask(text, plain if start is None else masks)
    return mask(text[:start], plain) + mask(text[start:], masks)


def make_view(
    units: Unit | list[Unit], masks: tuple[re.Pattern[str], ...], *, join: bool, normalised: str | None = None
) -> View:
    """The shadow of units joined by `UNIT_SEP`. `normalised` (the joined text through the char map, when no
    character changed length) lets several views share one translation; masks then run on the normal form."""
    units = [units] if isinstance(units, Unit) else units
    placed: list[tuple[int, Unit]] = []
    pos = 0
    for u in units:
        placed.append((pos, u))
        pos += len(u.text) + len(UNIT_SEP)
    if normalised is not None:
        norm, chars = _mask_units(normalised, placed, masks), None
    else:
        norm, chars = normalise_chars(_mask_units(UNIT_SEP.join(u.text for u in units), placed, masks))
    joins = None
    if join:
        norm, joins = join_separators(norm)
    return View(placed, norm, chars, joins)


def _front_unit(post: Post, key: str, value: str) -> Unit:
    line = post.line_of(key)
    lines = post.text.split("\n", line)
    raw = lines[line - 1] if 0 < line <= len(lines) else ""
    col = raw.find(value) if value else -1
    if col < 0:  # quoted with escapes or folded: point at the value's start
        m = re.match(rf"\s*{re.escape(key)}\s*:\s*", raw)
        col = m.end() if m else 0
    return Unit(key, value, line, col + 1)


@dataclass
class Scan:
    """Everything the content rules read about one post, computed once."""

    post: Post
    units: list[Unit]
    _views: dict[str, list[View]] = field(default_factory=dict)
    _normal: list[str | None] | None = None  # the joined units through the char map (None: resized)
    memo: dict[str, object] = field(default_factory=dict)

    def views(self, kind: str = "lexicon") -> list[View]:
        """`lexicon`: URLs/tags/comments masked, separators joined; `data`: the same masks, nothing joined.

        One view covers every unit (title, author, digest, body joined by `UNIT_SEP`), so each rule
        searches one string per post; `View.match` finds the unit a span falls in."""
        if kind not in self._views:
            if kind not in ("lexicon", "data"):
                raise ValueError(f"unknown view {kind!r}")
            if self._normal is None:
                self._normal = [_same_length_normal(UNIT_SEP.join(u.text for u in self.units))]
            masks, join = (LEXICON_MASKS, True) if kind == "lexicon" else (DATA_MASKS, False)
            self._views[kind] = [make_view(self.units, masks, join=join, normalised=self._normal[0])]
        return self._views[kind]

    @property
    def body(self) -> Unit:
        return self.units[-1]

    def shadow(self) -> str:
        """The whole post's lexicon shadow (title, author, digest, body) for document-level rules."""
        return self.views("lexicon")[0].text

    def in_code_block(self, m: Match) -> bool:
        """Whether a match lies inside a fenced code block of the body."""
        if m.unit.name != "body":
            return False
        fences = self.memo.get("text.fences")
        if not isinstance(fences, list):
            body = m.unit.text
            fences = [f.span() for f in _FENCE.finditer(body)] if "```" in body or "~~~" in body else []
            self.memo["text.fences"] = fences
        return any(a <= m.start < b for a, b in fences)


def scan_of(post: Post, ctx: CheckContext | None = None) -> Scan:
    """The post's `Scan`, cached on the context for the post being checked (one at a time)."""
    cache = ctx.cache if ctx is not None else {}
    hit = cache.get("checks.scan")
    if isinstance(hit, Scan) and hit.post is post:
        return hit
    units: list[Unit] = []
    meta = post.meta
    if meta is not None:
        for key in ("title", "author", "digest"):
            value = getattr(meta, key)
            if value:
                units.append(_front_unit(post, key, value))
    units.append(Unit("body", post.body, post.body_line))
    scan = Scan(post, units)
    cache["checks.scan"] = scan
    return scan
