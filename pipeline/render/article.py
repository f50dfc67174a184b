"""A post's body as the HTML WeChat receives: Markdown, reshaped, themed, sanitised.

The steps, in order:
1. Markdown to HTML (`markdown.py`; nested lists re-indented first).
2. Parse into a small tree (`dom.py`), dropping scripts, frames and event handlers.
3. Reshape for WeChat (`shape.py`; images and links here): footnotes, code blocks and `<div>`s
   become `<section>`s; classes and ids go; an editor's inline styles keep only colours and emphasis;
   blocks written inside a paragraph are lifted out; images are checked, mapped to their WeChat URLs
   and given captions; links become numbered references (`links.py`); lists deeper than two levels
   are flattened; tables get a scrolling wrapper; line breaks beside Chinese characters are removed
   (a browser would show them as spaces); code keeps its lines as `<br>`.
4. The theme (`policy/theme.css`) inlined into style attributes (`theme.py`).
5. The allowlist (`sanitize.py`): the security boundary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..findings import Finding
from ..i18n import _
from ..policy import Policy
from ..post import Post
from . import rules, shape
from .dom import Element, lift_out, parse, serialize
from .images import Kind, classify, file_problem, make_figure
from .links import convert_links, reference_section
from .markdown import normalise_lists, to_html
from .sanitize import sanitize
from .theme import inline, theme_css

MAX_CHARS = 20_000
MAX_BYTES = 1_000_000
_ITEM_TEXT = re.compile(r"^\s*([-*+]|\d{1,9}[.)])\s*")
_UNSAFE_SOURCE = re.compile(
    r"<\s*(script|iframe|frame|object|embed|applet|form|base|meta|link)\b|\son\w+\s*=|script:", re.I
)


@dataclass
class Rendered:
    """The article body (`html`), the addresses listed as references, the local images in order, findings."""

    html: str
    references: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


class PlaceholderImages(Mapping[str, str]):
    """Maps every image to a URL as long as the ones WeChat assigns, to measure the body before publishing."""

    URL = "http://mmbiz.qpic.cn/mmbiz_png/" + "x" * 88 + "/0?wx_fmt=png"

    def __getitem__(self, key: str) -> str:
        return self.URL

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def render_post(post: Post, root: Path, policy: Policy, images: Mapping[str, str] | None = None) -> Rendered:
    """Render a post's body. With `images` (publish mode) every local image must map to its WeChat URL;
    without, local images keep their relative paths (what `wxpub render` shows)."""
    return render_body(
        post.body,
        css=theme_css(root, policy),
        images=images,
        folder=post.folder,
        root=root,
        path=post.path,
        body_line=post.body_line,
    )


def body_images(post: Post) -> list[str]:
    """The local images the body shows, as keys for the publisher's mapping, in order, once each."""
    tree = parse(to_html(normalise_lists(post.body).text))
    seen: list[str] = []
    for img in tree.root.iter("img"):
        src = classify(img.attrs.get("src", ""))
        if src.kind is Kind.LOCAL and src.key not in seen:
            seen.append(src.key)
    return seen


def render_body(
    body: str,
    *,
    css: str,
    images: Mapping[str, str] | None = None,
    folder: Path | None = None,
    root: Path | None = None,
    path: str = "",
    body_line: int = 1,
    relative_images: bool | None = None,
) -> Rendered:
    """The renderer proper, on a Markdown text (folder None: image files are not checked)."""
    lines = body.split("\n")
    findings: list[Finding] = []
    lists = normalise_lists(body)
    tree = parse(to_html(lists.text))
    top = tree.root

    elements = list(top.iter())  # one walk; the steps below add or move elements but need no fresh walk
    shape.footnotes(elements)
    shape.tidy(elements)
    for block in [e for e in elements if e.tag in shape.BLOCK_IN_P and e.parent is not None and e.parent.tag == "p"]:
        if block.parent is not None and block.parent.tag == "p" and block.parent.parent is not None:
            lift_out(block)  # e.g. a fenced block written right under a paragraph line
    local = _images([e for e in elements if e.tag == "img"], images, folder, root, path, body_line, lines, findings)
    refs = convert_links(top, [e for e in elements if e.tag == "a"])
    flattened = shape.flatten_lists([e for e in elements if e.tag in ("ul", "ol")])
    shape.wrap_tables([e for e in elements if e.tag == "table"])
    shape.join_cjk_lines(top)
    for pre in (e for e in elements if e.tag == "pre"):
        shape.hard_code_lines(pre)
    shape.compact(top)

    article = Element("section", {"class": "wx-article"})
    for node in list(top.children):
        article.append(node)
    footnotes = next((c for c in article.children if isinstance(c, Element) and "wx-footnotes" in c.classes()), None)
    if footnotes is not None:  # keep the notes last but before the references
        article.children.remove(footnotes)
        article.append(footnotes)
    section = reference_section(refs)
    if section is not None:
        article.append(section)
    # one block per line: readable in `wxpub render`, one character each in WeChat's count
    article.children = [c for i, n in enumerate(article.children) for c in (("\n", n) if i else (n,))]

    styled = inline(serialize(article), css)
    relative = images is None if relative_images is None else relative_images
    html = sanitize(styled, relative_images=relative)

    if flattened:
        findings += _list_findings(lists.deep or [0], lines, path, body_line)
    if tree.dropped or refs.unsafe:
        findings.append(
            _unsafe_finding(sorted(set(tree.dropped)) + [u[:40] for u in refs.unsafe], lines, path, body_line)
        )
    findings += _length_findings(html, path, body_line)
    return Rendered(html=html, references=list(refs.urls), images=local, findings=findings)


# -- steps ---------------------------------------------------------------------------------------


def _images(
    imgs: list[Element],
    images: Mapping[str, str] | None,
    folder: Path | None,
    root: Path | None,
    path: str,
    body_line: int,
    lines: list[str],
    findings: list[Finding],
) -> list[str]:
    local: list[str] = []
    reported: set[tuple[str, str]] = set()
    search_from = 0

    def report(rule_suffix: str, message: str, needle: str) -> None:
        nonlocal search_from
        if (rule_suffix, needle) in reported:
            return
        reported.add((rule_suffix, needle))
        pattern = re.compile(rf"\]\(\s*<?{re.escape(needle)}|src\s*=\s*[\"']?{re.escape(needle)}")
        offset = _line_of(lines, pattern, search_from, default=-1)
        offset = offset if offset >= 0 else _line_of(lines, needle, search_from)
        search_from = offset
        rule = {
            "missing": rules.R_IMAGE_MISSING,
            "source": rules.R_IMAGE_SOURCE,
            "format": rules.R_IMAGE_FORMAT,
            "convert": rules.R_IMAGE_FORMAT,
            "size": rules.R_IMAGE_SIZE,
            "unmapped": rules.R_IMAGE_UNMAPPED,
        }[rule_suffix]
        severity = rules.Severity.ERROR if rule_suffix == "format" else None
        column = lines[offset].find(needle) + 1 if offset < len(lines) else 0
        findings.append(
            rule.finding(path, message, line=body_line + offset, column=max(column, 1), match=needle, severity=severity)
        )

    for img in imgs:
        raw = img.attrs.get("src", "")
        alt = img.attrs.get("alt", "")
        img.attrs = {"src": raw, "alt": alt} if alt else {"src": raw}
        if not raw.strip():
            img.replace_with()
            continue
        src = classify(raw)
        if src.kind is Kind.WECHAT:
            img.attrs["src"] = src.key  # re-serialised from the vetted parts
            make_figure(img)
            continue
        if src.kind is Kind.REMOTE:
            report(
                "source",
                _("image {name} is a web address; WeChat shows only images uploaded to it", name=repr(raw)),
                raw,
            )
            img.replace_with()
            continue
        if src.kind is Kind.BAD:
            shown = raw if len(raw) <= 60 else raw[:57] + "..."
            report("source", _("image {name} is not a file in the post folder", name=repr(shown)), raw[:60])
            img.replace_with()
            continue
        if src.key not in local:
            local.append(src.key)
        problem = ""
        if folder is not None and root is not None:
            problem, message = file_problem(folder, src.key, root)
            if problem:
                report(problem, message, raw)
        if images is not None:
            url = images.get(src.key) or images.get(src.written)
            if not url or not url.lower().startswith(("http://", "https://")):
                if problem not in ("missing", "source"):
                    report(
                        "unmapped", _("image {name} has no WeChat URL; it would be dropped", name=repr(src.key)), raw
                    )
                img.replace_with()
                continue
            img.attrs["src"] = url
        elif problem in ("source",):
            img.replace_with()
            continue
        else:
            img.attrs["src"] = src.key
        make_figure(img)
    return local


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _line_of(lines: list[str], needle: str | re.Pattern[str], start: int = 0, default: int = 0) -> int:
    """0-based index of the first body line (from `start`, then from the top) containing `needle`."""
    for rng in (range(start, len(lines)), range(0, start)):
        for i in rng:
            if needle.search(lines[i]) if isinstance(needle, re.Pattern) else needle in lines[i]:
                return i
    return default


# -- findings ------------------------------------------------------------------------------------


def _list_findings(offsets: list[int], lines: list[str], path: str, body_line: int) -> list[Finding]:
    out = []
    for offset in offsets:
        line = lines[offset] if offset < len(lines) else ""
        out.append(
            rules.R_LIST_DEPTH.finding(
                path,
                _("list nested more than two levels: WeChat shows two, so the deeper items were lifted to level 2"),
                line=body_line + offset,
                column=_indent(line) + 1,
                match=_ITEM_TEXT.sub("", line).strip(),
            )
        )
    return out


def _unsafe_finding(what: list[str], lines: list[str], path: str, body_line: int) -> Finding:
    offset = _line_of(lines, _UNSAFE_SOURCE)
    hit = _UNSAFE_SOURCE.search(lines[offset]) if offset < len(lines) else None
    return rules.R_UNSAFE_HTML.finding(
        path,
        _("raw HTML removed: {what}; WeChat would remove it too", what=", ".join(what)),
        line=body_line + offset,
        column=hit.start() + 1 + (len(hit.group(0)) - len(hit.group(0).lstrip())) if hit else 1,
        match=hit.group(0).strip() if hit else "",
        hint=_("write the content in Markdown or plain formatting tags"),
    )


def _length_findings(html: str, path: str, body_line: int) -> list[Finding]:
    chars, size = len(html), len(html.encode("utf-8"))
    if chars < MAX_CHARS and size < MAX_BYTES:
        return []
    return [
        rules.R_BODY_LENGTH.finding(
            path,
            _(
                "the rendered article is {chars} characters ({size} KB); WeChat accepts less than {limit} characters "
                "and 1 MB",
                chars=format(chars, ","),
                size=format(round(size / 1000), ","),
                limit=format(MAX_CHARS, ","),
            ),
            line=body_line,
            hint=_("split it into two posts or shorten it"),
        )
    ]
