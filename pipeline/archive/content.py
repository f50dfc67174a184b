"""A post's Markdown as archive HTML: converted, sanitised, and with no image from another host.

The archive converts Markdown itself (not through the WeChat renderer) because its pages take the
site's own look, must stay small, and must never make the reader's browser fetch from outside the
intranet: images on other hosts are dropped (their alt text stays), and only images inside the post
folder are kept (and copied into the site beside the page).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

import markdown
import nh3
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString

from ..post import IMAGE_SUFFIXES, resolve_inside

TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ATTRIBUTES = {
    "*": {"id", "class", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
}
_EXTERNAL = re.compile(r"^([a-z][a-z0-9+.-]*:|//)", re.I)


def local_image(folder: Path | None, root: Path, src: str) -> str | None:
    """The post-relative path of an image inside the post folder, or None (external, missing, escaping)."""
    if folder is None or not src or _EXTERNAL.match(src.strip()):
        return None
    name = unquote(urlsplit(src.strip()).path)
    if Path(name).suffix.lower() not in IMAGE_SUFFIXES and Path(name).suffix.lower() not in (".gif", ".webp"):
        return None
    path, why = resolve_inside(folder, name, root)
    return None if path is None or why else Path(name).as_posix()


def tree_image(files: Mapping[str, str], src: str) -> str | None:
    """The post-relative path of an image among `files` (a post folder at a commit), or None."""
    if not src or _EXTERNAL.match(src.strip()):
        return None
    name = unquote(urlsplit(src.strip()).path)
    if Path(name).suffix.lower() not in IMAGE_SUFFIXES and Path(name).suffix.lower() not in (".gif", ".webp"):
        return None
    norm = posixpath.normpath(name)
    return norm if norm in files else None


# Every inline pattern of Python-Markdown (code, escapes, links and images, autolinks and inline HTML,
# entities, emphasis, hard line breaks) and its placeholders start with one of these.
_INLINE_TRIGGER = re.compile(r"[`\\\[\]<>&*_!\x02\x03]| {2}\n")


class _FastInline(InlineProcessor):
    """Python-Markdown's inline processor, skipping the text in which no inline pattern can match (most
    Chinese prose): trying every pattern on it is most of the time of a conversion, for the same output."""

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if not isinstance(data, AtomicString) and _INLINE_TRIGGER.search(data) is None:
            return data
        handle: Callable[[InlineProcessor, str, int], str] = InlineProcessor._InlineProcessor__handleInline  # type: ignore[attr-defined]
        return handle(self, data, patternIndex)


class Converter:
    """Markdown -> safe HTML. One instance per process; `convert` is not thread-safe."""

    def __init__(self, *, fast: bool = True) -> None:
        self._md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
        if fast:
            self._md.treeprocessors.register(_FastInline(self._md), "inline", 20)

    def convert(self, text: str, keep_image: Callable[[str], str | None] | None = None) -> tuple[str, list[str]]:
        """(HTML, local images kept). `keep_image(src)` returns the path to keep, or None to drop the image."""
        kept: list[str] = []

        def attribute_filter(tag: str, attr: str, value: str) -> str | None:
            if tag == "img" and attr == "src":
                name = keep_image(value) if keep_image else None
                if name is None:
                    return None
                kept.append(name)
                return name
            return value

        return self.clean(self._md.reset().convert(text), attribute_filter), list(dict.fromkeys(kept))

    def clean(self, html: str, attribute_filter: Callable[[str, str, str], str | None] | None = None) -> str:
        """Sanitise HTML: known tags and attributes only; images keep a `src` only when the filter allows."""
        return nh3.clean(
            html,
            tags=TAGS,
            attributes=ATTRIBUTES,
            attribute_filter=attribute_filter or _no_images,
            url_schemes={"http", "https", "mailto", "tel"},
            link_rel="noopener noreferrer",
            strip_comments=True,
        )


def _no_images(tag: str, attr: str, value: str) -> str | None:
    return None if tag == "img" and attr == "src" else value
