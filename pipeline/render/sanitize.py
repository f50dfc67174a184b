"""The allowlist: the only tags, attributes, URL schemes and CSS that leave the renderer.

The final pass runs nh3 (ammonia) over the styled HTML. It keeps no `class` or `id`, no `<style>` or
`<script>`, no event handler, and only http(s) URLs: `href` only on links to WeChat articles (the
link transform already turned every other link into a reference), `src` only on images. Relative
image paths survive only in the unmapped ("draft") and preview modes; `data:` never survives here
(the preview embeds its images after this pass). Inline styles keep only known properties, and never
a value that could fetch or run something (`url(`, `expression(`, `javascript:` ...).
"""

from __future__ import annotations

import re
from functools import cache

import nh3

ALLOWED_TAGS = frozenset(
    {
        "section",
        "p",
        "br",
        "span",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "del",
        "s",
        "sup",
        "sub",
        "code",
        "pre",
        "blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "caption",
        "hr",
        "img",
        "figure",
        "figcaption",
        "a",
        "mark",
    }
)
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset({"style"}),
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan"}),
    "ol": frozenset({"start"}),
}
URL_SCHEMES = frozenset({"http", "https"})
# Removed together with their content (the tree builder already drops most of them).
CLEAN_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "svg"})

# CSS properties the theme and Pygments may set. Anything else is dropped from style attributes.
STYLE_PROPERTIES = frozenset(
    {
        "background",
        "background-color",
        "border",
        "border-bottom",
        "border-collapse",
        "border-color",
        "border-left",
        "border-radius",
        "border-right",
        "border-spacing",
        "border-style",
        "border-top",
        "border-width",
        "box-sizing",
        "color",
        "display",
        "font-family",
        "font-size",
        "font-style",
        "font-weight",
        "height",
        "letter-spacing",
        "line-height",
        "list-style-type",
        "margin",
        "margin-bottom",
        "margin-left",
        "margin-right",
        "margin-top",
        "max-width",
        "min-width",
        "overflow",
        "overflow-wrap",
        "overflow-x",
        "padding",
        "padding-bottom",
        "padding-left",
        "padding-right",
        "padding-top",
        "text-align",
        "text-decoration",
        "text-indent",
        "vertical-align",
        "white-space",
        "width",
        "word-break",
        "word-wrap",
    }
)
# What an editor's own raw HTML may set (the theme decides the rest).
EDITOR_STYLE_PROPERTIES = frozenset(
    {"color", "background-color", "font-weight", "font-style", "text-decoration", "text-align"}
)
_BAD_VALUE = re.compile(r"url\s*\(|expression|javascript|vbscript|behavior|binding|@import|[\\<>]|/\*", re.I)


def filter_style(value: str, allowed: frozenset[str] = STYLE_PROPERTIES) -> str:
    """Keep only `prop: value` declarations with an allowed property and a harmless value."""
    kept = []
    for decl in value.split(";"):
        prop, sep, val = decl.partition(":")
        prop, val = prop.strip().lower(), val.strip()
        if sep and prop in allowed and val and not _BAD_VALUE.search(val):
            kept.append(f"{prop}:{val}")
    return ";".join(kept)


def _is_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def _attribute_filter(relative_images: bool):  # type: ignore[no-untyped-def]
    def check(tag: str, attr: str, value: str) -> str | None:
        if attr == "style":  # nh3 keeps only STYLE_PROPERTIES; values are checked here
            return (filter_style(value) or None) if _BAD_VALUE.search(value) else value
        if attr == "href":
            return value if _is_http(value) else None
        if attr == "src":
            if _is_http(value):
                return value
            return value if relative_images and _is_relative_path(value) else None
        return value

    return check


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _is_relative_path(url: str) -> bool:
    """A plain relative file path: no scheme, not absolute, not protocol-relative, no parent step."""
    u = url.strip()
    return bool(u) and not _SCHEME.match(u) and not u.startswith(("/", "\\")) and ".." not in u.split("/")


@cache
def cleaner(relative_images: bool) -> nh3.Cleaner:
    """The final sanitiser; `relative_images` keeps relative image paths (draft and preview only)."""
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(CLEAN_CONTENT),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter(relative_images),
        strip_comments=True,
        link_rel=None,
        url_schemes=set(URL_SCHEMES),
        url_relative="pass_through" if relative_images else "deny",
        filter_style_properties=set(STYLE_PROPERTIES),
    )


def sanitize(html: str, *, relative_images: bool = False) -> str:
    return cleaner(relative_images).clean(html)
