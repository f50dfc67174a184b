"""Property: whatever Markdown and raw HTML an editor writes, nothing forbidden leaves the renderer."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.render import PlaceholderImages, render_body
from pipeline.render.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, STYLE_PROPERTIES

CSS = (Path(__file__).resolve().parents[1] / "policy" / "theme.css").read_text(encoding="utf-8")

URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "data:image/png;base64,iVBORw0KGgo=",
    "file:///etc/passwd",
    "//evil.example/x.png",
    "/abs/x.png",
    "../up.png",
    "chart.png",
    "./img/a b.png",
    "https://example.com/a?b=1&c=2",
    "http://mmbiz.qpic.cn/mmbiz_png/x/0",
    "https://mp.weixin.qq.com/s/abc",
    "http://127.0.0.1:8765\\@mmbiz.qpic.cn/beacon.png",  # a browser goes to 127.0.0.1
    "https://evil.example\\@mp.weixin.qq.com/s/faq",
    "https://evil.example@mp.weixin.qq.com/s/faq",
    "https://mp.weixin.qq.com@evil.example/s/faq",
    "https://mp.weixin.qq.com:8443/s/faq",
    "http://mmbiz.qpic.cn.evil.example/x.png",
    "https://mp.weixin.qq.com\t/s/x",
    "//mmbiz.qpic.cn\\@evil.example/x.png",
    "#anchor",
    "mailto:a@b.example",
    "",
]
TAGS = [
    "script",
    "style",
    "iframe",
    "img",
    "a",
    "div",
    "p",
    "span",
    "svg",
    "math",
    "object",
    "embed",
    "form",
    "input",
    "button",
    "table",
    "td",
    "ul",
    "li",
    "section",
    "link",
    "meta",
    "base",
    "video",
    "details",
    "marquee",
    "noscript",
    "template",
    "textarea",
    "title",
    "xmp",
    "plaintext",
]
CLASSES = ["highlight", "wx-code", "wx-footnotes", "footnote", "codehilite", "x"]
ATTRS = ["href", "src", "style", "class", "id", "onclick", "onerror", "ONLOAD", "formaction", "srcset", "data-x", "alt"]
STYLES = [
    "color:red",
    "position:fixed",
    "background:url(javascript:alert(1))",
    "background-image:url(https://evil.example/x.png)",
    "width:expression(alert(1))",
    "behavior:url(x.htc)",
    "-moz-binding:url(x)",
    "color:red;font-size:99px",
    "color:\\75 rl(x)",
    "background:image-set('http://127.0.0.1:8765/a.png' 1x)",
    "background:-webkit-image-set('https://evil.example/b.png' 1x);width:9999px",
    "background:cross-fade(url(a.png), url(b.png), 50%)",
    "background:image('https://evil.example/c.png')",
    "background:element(#x)",
    "background:paint(beacon)",
    "color:var(--x);--x:url(https://evil.example/d.png)",
    "width:env(safe-area-inset-left)",
    "color:attr(data-x)",
    "@import 'https://evil.example/e.css';color:red",
    "background:u\\rl(https://evil.example/f.png)",
    "background:\\69 mage-set('x' 1x)",
    "color:rgb(1,2,3);background-color:hsla(10, 20%, 30%, .5)",
    "background-color:image-set('http://127.0.0.1:8765/g.png' 1x)",  # an editor may set background-color
    "color:red;background-color:var(--x)",
    "}</style><script>alert(1)</script>",
]
MARKDOWN = [
    "# 标题\n",
    "正文**加粗**和*斜体*。\n",
    "- 一\n  - 二\n    - 三\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "> 引用\n",
    "```js\nalert(1)\n```\n",
    "---\n",
    "脚注[^1]\n\n[^1]: 注释\n",
    "[链接](javascript:alert(1))\n",
    '[链接](https://example.com/ "t")\n',
    "![图](javascript:alert(1))\n",
    "![图](chart.png)\n",
    "<https://example.com/>\n",
    "[x]: javascript:alert(1)\n\n[ref][x]\n",
    "\n",
]


@st.composite
def raw_tag(draw: st.DrawFn) -> str:
    tag = draw(st.sampled_from(TAGS))
    attrs = []
    for name in draw(st.lists(st.sampled_from(ATTRS), max_size=4)):
        if name == "style":
            value = draw(st.sampled_from(STYLES))
        elif name == "class":
            value = draw(st.sampled_from(CLASSES))
        else:
            value = draw(st.sampled_from(URLS))
        quote = draw(st.sampled_from(['"', "'", ""]))
        if not quote:
            value = value.replace(" ", "").replace(">", "") or "x"
        attrs.append(f"{name}={quote}{value}{quote}")
    inner = draw(st.text(max_size=20))
    close = draw(st.booleans())
    return f"<{tag} {' '.join(attrs)}>{inner}" + (f"</{tag}>" if close else "")


@st.composite
def styled_block(draw: st.DrawFn) -> str:
    """Raw HTML posing as the renderer's own blocks (a Pygments code block, a footnote section), with styles."""
    tag = draw(st.sampled_from(["div", "section", "p", "span"]))
    cls = draw(st.sampled_from(CLASSES))
    outer, inner = draw(st.sampled_from(STYLES)), draw(st.sampled_from(STYLES))
    q = draw(st.sampled_from(['"', "'"]))
    outer, inner = (v.replace(q, '"' if q == "'" else "'") for v in (outer, inner))
    return f"<{tag} class={q}{cls}{q} style={q}{outer}{q}><span style={q}{inner}{q}>文字</span></{tag}>"


@st.composite
def markdown_link(draw: st.DrawFn) -> str:
    url = draw(st.sampled_from(URLS))
    return draw(st.sampled_from(["[文字]({})", "![图]({})", "[文字](<{}>)", "<{}>"])).format(url)


documents = st.lists(
    st.one_of(
        st.sampled_from(MARKDOWN),
        raw_tag(),
        styled_block(),
        markdown_link(),
        st.text(max_size=40),
        st.sampled_from(["<!--", "-->", "<", ">"]),
    ),
    max_size=12,
).map(lambda parts: "\n".join(parts))


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_CSS_FUNCTION = re.compile(r"([a-zA-Z_-]*)\s*\(")
COLOUR_FUNCTIONS = {"rgb", "rgba", "hsl", "hsla"}
IMAGE_HOSTS = {"mmbiz.qpic.cn", "mmbiz.qlogo.cn"}


def assert_plain_url(value: str) -> str:
    """An address every reader takes to the same host: no backslash, user info, whitespace; returns the host."""
    assert value.isascii() and not re.search(r"[\x00-\x20\x7f\\]", value), value
    authority = re.split(r"[/?#]", value.split("://", 1)[1], maxsplit=1)[0]
    assert "@" not in authority and "%" not in authority, value
    return (urlsplit(value).hostname or "").lower()


def assert_safe(html: str, *, relative_images: bool) -> None:
    p = Collect()
    p.feed(html)
    p.close()
    for tag, attrs in p.tags:
        assert tag in ALLOWED_TAGS, tag
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, frozenset())
        for name, value in attrs:
            assert name in allowed, (tag, name)
            assert not name.startswith("on") and name not in ("class", "id")
            value = value or ""
            if name == "href":
                assert urlsplit(value).scheme == "https" and assert_plain_url(value) == "mp.weixin.qq.com", value
                assert urlsplit(value).port is None, value
            if name == "src":
                if value.lower().startswith(("http://", "https://")):
                    assert assert_plain_url(value) in IMAGE_HOSTS, value
                    continue
                assert relative_images, value
                assert not _SCHEME.match(value) and not value.startswith(("/", "\\")), value
                assert ".." not in value.split("/"), value
            if name == "style":
                low = value.lower()
                for bad in ("url(", "expression", "javascript", "vbscript", "behavior", "binding", "\\", "<", "@"):
                    assert bad not in low, value
                # a style may call no function but the colour ones (image-set, var, env, attr ... can fetch)
                for fn in _CSS_FUNCTION.findall(low):
                    assert fn in COLOUR_FUNCTIONS, value
                for decl in filter(None, value.split(";")):
                    assert decl.split(":", 1)[0].strip() in STYLE_PROPERTIES, decl
    low = html.lower()  # script URLs in visible text are only text (escaped); attributes were checked above
    assert "<script" not in low and "<style" not in low and "<iframe" not in low


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_nothing_forbidden_leaves_the_renderer(text: str) -> None:
    draft = render_body(text, css=CSS)
    assert_safe(draft.html, relative_images=True)
    published = render_body(text, css=CSS, images=PlaceholderImages())
    assert_safe(published.html, relative_images=False)
    assert draft.html.startswith("<section") and draft.html.endswith("</section>")


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_arbitrary_text_renders_safely(text: str) -> None:
    assert_safe(render_body(text, css=CSS, images={}).html, relative_images=False)


def test_the_property_catches_what_it_claims_to() -> None:
    """The checker itself: it fails on each kind of forbidden output."""
    bad = [
        "<section><script>x</script></section>",
        '<p class="x">a</p>',
        '<p onclick="x()">a</p>',
        '<a href="https://example.com/">a</a>',
        '<img src="data:image/png;base64,AA">',
        '<p style="background:url(https://x/)">a</p>',
        '<p style="position:fixed">a</p>',
        "<p style=\"background:image-set('https://x/a.png' 1x)\">a</p>",
        '<p style="color:var(--x)">a</p>',
        '<img src="http://127.0.0.1:8765\\@mmbiz.qpic.cn/x.png">',
        '<img src="https://evil.example/x.png">',
        '<a href="https://evil.example\\@mp.weixin.qq.com/s/x">a</a>',
        '<a href="https://mp.weixin.qq.com:8443/s/x">a</a>',
        "<div>a</div>",
    ]
    for html in bad:
        try:
            assert_safe(html, relative_images=True)
        except AssertionError:
            continue
        raise AssertionError(f"not caught: {html}")


def test_broken_markup_found_by_hypothesis() -> None:
    for text in ["<IFRAME>\n<![0", "<!DOCTYPE html><p>x</p>", "<![CDATA[<script>x</script>]]>", "<!---->", "<!"]:
        assert_safe(render_body(text, css=CSS).html, relative_images=True)
