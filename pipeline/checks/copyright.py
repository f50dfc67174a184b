"""Copyright (Art. 14(6)): every image a post uses is declared original or has a named source.

`sources: [{file, source, license}]` in the front matter covers the cover, body images and, with
`file: index.md`, reprinted text; `source: original` declares the bank's own work. A source that
names nobody (网络, 网图, unknown) is not a source. An entry for a file the post does not use is a
finding too (it is stale, or the image it meant was renamed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

from ..check import CheckContext, post_check
from ..findings import Finding, Severity
from ..i18n import N_, _
from ..post import Post
from . import lexicon
from .common import at, rule
from .text import mask, normalise, scan_of

LEX_REPRINT = lexicon.use("copyright-reprint", "Art. 14(6): words that say the text is reprinted (转载自, 来源：网络)")

QUOTE = "第十四条 禁止发布以下内容：……（六）侵犯他人著作权、版权的。"
R_IMAGE = rule(
    "copyright/image-source",
    "image-source",
    "14.6",
    Severity.ERROR,
    N_("an image (cover or body) is neither declared original nor given a source"),
    help=N_(
        "What: each image the post uses needs a `sources` entry. Why: Art. 14(6) forbids infringing copyright; "
        "the approver must see where every picture comes from."
    ),
    instead=N_(
        "Add to the front matter: sources: [{file: cover.jpg, source: original}] for the bank's own work, or "
        "{file: chart.png, source: 国家统计局官网, license: 注明出处可转载}."
    ),
    quote=QUOTE,
)
R_UNNAMED = rule(
    "copyright/unnamed-source",
    "unnamed-source",
    "14.6",
    Severity.ERROR,
    N_("a `sources` entry does not name a real source (网络, 网图, unknown ...)"),
    help=N_(
        "What: 'from the internet' names nobody. Why: a reprint needs its source named so the right to use it "
        "can be checked (Art. 14(6))."
    ),
    instead=N_(
        "Name the author or site and the licence: {file: photo.jpg, source: 新华社 记者张三, license: 已购买授权}."
    ),
    quote=QUOTE,
)
R_REPRINT = rule(
    "copyright/reprint-unsourced",
    "reprint-unsourced",
    "14.6",
    Severity.ERROR,
    N_("the text says it is reprinted but no source for the text is declared"),
    help=N_(
        "What: 转载自 / 来源：网络 in the text with no `sources` entry for index.md and no source_url. Why: a "
        "reprint needs its source named and the right to reprint (Art. 14(6))."
    ),
    instead=N_(
        "Add sources: [{file: index.md, source: 人民网 2026-11-20 《……》, license: 授权转载}] and name it in the text."
    ),
    quote=QUOTE,
)
R_UNUSED = rule(
    "copyright/unused-source",
    "unused-source",
    "14.6",
    Severity.REVIEW,
    N_("a `sources` entry names a file the post does not use"),
    help=N_(
        "What: an entry whose file is neither the cover, a body image nor index.md. Why: a stale entry usually "
        "means an image was renamed and the new one has no declared source."
    ),
    instead=N_("Remove the entry, or correct its file name to the image the post uses."),
    quote=QUOTE,
)

VAGUE = {
    normalise(s)
    for s in (
        "网络",
        "网图",
        "互联网",
        "来源网络",
        "来源于网络",
        "图片来源于网络",
        "网上",
        "百度",
        "百度图片",
        "internet",
        "web",
        "unknown",
        "未知",
        "不详",
        "n/a",
        "none",
        "-",
    )
}
_IMG_MD = re.compile(r"!\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^\"'\n]*[\"'])?\s*\)")
_IMG_HTML = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']([^\"']+)[\"']", re.I)


def _clean(name: str) -> str:
    name = unquote(name.strip())
    while name.startswith("./"):
        name = name[2:]
    return name


def body_image_refs(body: str) -> list[tuple[str, int]]:
    """(image path as written, offset in body) for Markdown and HTML images outside code and comments."""
    from .text import _COMMENT, _FENCE, _INLINE_CODE

    masked = mask(body, (_FENCE, _INLINE_CODE, _COMMENT)) if ("`" in body or "~~~" in body or "<!--" in body) else body
    out = [(m.group(1), m.start(1)) for m in _IMG_MD.finditer(masked)]
    if "<img" in masked or "<IMG" in masked:
        out += [(m.group(1), m.start(1)) for m in _IMG_HTML.finditer(masked)]
    return sorted(out, key=lambda x: x[1])


def images_of(post: Post, ctx: CheckContext) -> list[tuple[str, int]]:
    """`body_image_refs` of the post, computed once per post."""
    memo = scan_of(post, ctx).memo
    if "images" not in memo:
        memo["images"] = body_image_refs(post.body)
    return memo["images"]  # type: ignore[return-value]


def _line_col(post: Post, offset: int) -> tuple[int, int]:
    before = post.body[:offset]
    return post.body_line + before.count("\n"), offset - (before.rfind("\n") + 1) + 1


@post_check
def copyright_rules(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    meta = post.meta
    assert meta is not None
    declared: dict[str, int] = {}
    for i, src in enumerate(meta.sources):
        declared.setdefault(_clean(src.file), i)
        if src.source.strip().lower() != "original" and normalise(src.source) in VAGUE:
            yield R_UNNAMED.finding(
                post.path,
                _(
                    "sources[{i}] for {file}: “{source}” does not name a source",
                    i=i,
                    file=repr(src.file),
                    source=src.source,
                ),
                line=post.line_of("sources", i, "source"),
                match=src.source,
            )
    used: set[str] = set()
    if meta.cover:
        cover = _clean(meta.cover)
        used.add(cover)
        if cover not in declared:
            yield R_IMAGE.finding(
                post.path,
                _("cover {cover} has no sources entry: declare it original or name its source", cover=repr(meta.cover)),
                line=post.line_of("cover"),
                match=meta.cover,
                hint=_("sources: [{{file: {file}, source: original}}]", file=meta.cover),
            )
    for ref, offset in images_of(post, ctx):
        name = _clean(ref)
        if name in used:
            continue
        used.add(name)
        if name not in declared:
            line, col = _line_col(post, offset)
            yield R_IMAGE.finding(
                post.path,
                _("image {ref} has no sources entry: declare it original or name its source", ref=repr(ref)),
                line=line,
                column=col,
                match=ref,
                hint=_("sources: [{{file: {file}, source: original}}]", file=name),
            )
    text_declared = "index.md" in declared or meta.source_url is not None
    used.add("index.md")
    if not text_declared:
        for h in lexicon.hits(post, ctx).get(LEX_REPRINT, ())[:1]:
            yield at(
                R_REPRINT,
                post,
                h.match,
                _("“{text}”: the text is reprinted but no source for it is declared", text=h.match.text),
                hint=_("add sources: [{file: index.md, source: <who published it>, license: <permission>}]"),
            )
    for name, i in declared.items():
        if name not in used:
            yield R_UNUSED.finding(
                post.path,
                _("sources[{i}] names {file}, which the post does not use", i=i, file=repr(meta.sources[i].file)),
                line=post.line_of("sources", i, "file"),
                match=meta.sources[i].file,
            )
