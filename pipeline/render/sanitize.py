"""The allowlist: the only tags, attributes, URL schemes and CSS that leave the renderer.

The final pass runs nh3 (ammonia) over the styled HTML. It keeps no `class` or `id`, no `<style>` or
`<script>`, no event handler, and only http(s) URLs: `href` only on links to WeChat articles (the
link transform already turned every other link into a reference), `src` only on images. Relative
image paths survive only in the unmapped ("draft") and preview modes; `data:` never survives here
(the preview embeds its images after this pass). Addresses are read as a browser reads them
(`pipeline.urls.vet_url`): no backslash, user name, whitespace or control character.

Inline styles are allowed by a grammar, not a deny-list (`filter_style`): a declaration survives only
with a known property and a value made of colours (`#hex`, `rgb()`, `rgba()`, `hsl()`, `hsla()`),
numbers, lengths and percentages, keywords and plain quoted font names. Any other function (`url(`,
`image-set(`, `var(`, `env(`, `attr(` ...), any backslash escape, `@` or comment drops the declaration,
and a backslash or comment anywhere drops the whole attribute (it could hide a declaration boundary).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import nh3

from ..urls import WECHAT_ARTICLE_HOSTS, vet_url

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
_NUMBER = r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)"
_UNIT = r"(?:px|em|rem|ex|ch|pt|pc|cm|mm|in|vw|vh|vmin|vmax|deg|%)"
_COLOUR_ARG = rf"{_NUMBER}%?"
# One component of a value, matched from where the last one ended. Nothing here can name a resource.
_TOKEN = re.compile(
    rf"""
    \s*(?:
        \#[0-9a-fA-F]{{3,8}}(?![\w-])                              # hex colour
      | (?:rgba?|hsla?)\(\s*{_COLOUR_ARG}(?:\s*[,/]?\s*{_COLOUR_ARG}){{2,3}}\s*\)   # the colour functions only
      | {_NUMBER}{_UNIT}?(?![\w(-])                                   # number, length, percentage
      | -?[a-zA-Z][a-zA-Z0-9-]*(?![\w(-])                            # keyword (never a function name)
      | "[a-zA-Z0-9 _\u3000-\u9fff-]*" | '[a-zA-Z0-9 _\u3000-\u9fff-]*'   # a quoted font name
      | ,                                                              # list separator (font families)
    )\s*
    """,
    re.X,
)
_IMPORTANT = re.compile(r"\s*!\s*important\s*$", re.I)
_PROPERTY = re.compile(r"^[a-z-]+$")
_NEVER = re.compile(r"[\\\x00-\x08\x0b\x0e-\x1f\x7f]|/\*|\*/|<|>")


def css_value_ok(value: str) -> bool:
    """Whether `value` is a sequence of the harmless components `_TOKEN` allows (see the module doc)."""
    value = _IMPORTANT.sub("", value).strip()
    if not value:
        return False
    pos = 0
    while pos < len(value):
        m = _TOKEN.match(value, pos)
        if m is None or m.end() == pos:
            return False
        pos = m.end()
    return True


def filter_style(value: str, allowed: frozenset[str] = STYLE_PROPERTIES) -> str:
    """Keep only `prop:value` declarations with an allowed property and a value of the allowed grammar."""
    if _NEVER.search(value):  # an escape or a comment could hide where a declaration ends: drop it all
        return ""
    kept = []
    for decl in value.split(";"):
        prop, sep, val = decl.partition(":")
        prop, val = prop.strip().lower(), val.strip()
        if sep and _PROPERTY.match(prop) and prop in allowed and css_value_ok(val):
            kept.append(f"{prop}:{val}")
    return ";".join(kept)


def _is_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


@lru_cache(maxsize=4096)
def _style(value: str) -> str:
    """`filter_style` memoised: the theme gives every element of a kind the same style, post after post."""
    return filter_style(value)


def _attribute_filter(relative_images: bool):  # type: ignore[no-untyped-def]
    def check(tag: str, attr: str, value: str) -> str | None:
        if attr == "style":  # every element's, code blocks' too: by the grammar
            return _style(value) or None
        if attr == "href":  # only links to WeChat articles are left (pipeline.render.links)
            return vet_url(value, WECHAT_ARTICLE_HOSTS, schemes=("https",))
        if attr == "src":
            if _is_http(value):  # WeChat's image URLs (or the publisher's mapping): any host, but well-formed
                return vet_url(value, None, schemes=("http", "https"), any_port=True)
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
    )


def sanitize(html: str, *, relative_images: bool = False) -> str:
    return cleaner(relative_images).clean(html)
