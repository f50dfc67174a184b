"""A post's Markdown as archive HTML: the renderer's Markdown and footnotes, sanitised, no image from another host.

The body comes from the WeChat renderer's own stages (`pipeline.render`): its Markdown converter (the
same extensions, nested lists re-indented the same way) and, when the post has footnotes, its footnote
step (`shape.footnotes`: 注1 in the text, the notes under 注释 at the end), so the archive cannot drift
from what WeChat received on either. Not the whole renderer, for two reasons:

- its output is made for WeChat: the HQ theme inlined into every element, classes dropped, links
  turned into a numbered reference list. The archive has its own stylesheet (its pages carry a
  Content-Security-Policy and the site's look) and keeps links clickable;
- it costs ~2.4 ms a post against ~0.8 ms for these two stages: ~16 s more CPU for 10,000 posts,
  over the archive's 15 s budget for a full build.

Pages must never make the reader's browser fetch from outside the intranet: images on other hosts are
dropped (their alt text stays), and only images inside the post folder are kept (and copied into the
site beside the page).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nh3

from ..post import IMAGE_SUFFIXES, resolve_inside
from ..render import shape
from ..render.dom import parse, serialize
from ..render.markdown import normalise_lists, to_html

TAGS = {
    "section",
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


def footnotes_as_published(html: str) -> str:
    """The renderer's footnote step on converted HTML: `注1` in the text, the notes under 注释 at the end."""
    tree = parse(html)
    shape.footnotes(list(tree.root.iter()))
    return serialize(tree.root)


class Converter:
    """Markdown -> safe HTML. One instance per process; `convert` is not thread-safe."""

    def convert(self, text: str, keep_image: Callable[[str], str | None] | None = None) -> tuple[str, list[str]]:
        """(HTML, local images kept). `keep_image(src)` returns the path to keep, or None to drop the image."""
        kept: list[str] = []

        def attribute_filter(tag: str, attr: str, value: str) -> str | None:
            if attr == "class" and value.startswith("wxpub-code-"):
                return None  # the renderer's code-block class: random per process
            if tag == "img" and attr == "src":
                name = keep_image(value) if keep_image else None
                if name is None:
                    return None
                kept.append(name)
                return name
            return value

        html = to_html(normalise_lists(text).text)
        if 'class="footnote' in html:
            html = footnotes_as_published(html)
        return _no_broken_images(self.clean(html, attribute_filter)), list(dict.fromkeys(kept))

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
            clean_content_tags={"title", "style", "script"},  # a whole HTML document: its body only
        )


_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)([^>]*)>")
_ALT = re.compile(r'\salt="([^"]*)"')


def _no_broken_images(html: str) -> str:
    """An image left without a source (on another host, or not in the post) as a note, not a broken icon:
    WeChat did not get it either."""

    def note(m: re.Match[str]) -> str:
        alt = _ALT.search(m.group(1))
        what = f"：{alt.group(1)}" if alt and alt.group(1).strip() else ""
        return f'<span class="wxpub-noimage" data-pagefind-ignore>［图片{what}（不在文章文件夹中，未发布）］</span>'

    return _IMG_WITHOUT_SRC.sub(note, html)


def _no_images(tag: str, attr: str, value: str) -> str | None:
    if attr == "class" and value.startswith("wxpub-code-"):
        return None
    return None if tag == "img" and attr == "src" else value
