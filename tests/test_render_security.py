"""The renderer's security review (M1-M3): forged code blocks, CSS that fetches, and addresses a browser
reads differently from Python; and the preview's Content-Security-Policy, in real Chromium."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import NOW, post_text
from test_render import POST_ID, load

from pipeline.check import CheckContext, check_folders
from pipeline.render import PlaceholderImages, preview_html, render_body
from pipeline.render.links import is_wechat_article
from pipeline.render.markdown import CODE_CLASS
from pipeline.render.preview import CSP
from pipeline.render.sanitize import css_value_ok, filter_style, sanitize
from pipeline.urls import WECHAT_ARTICLE_HOSTS, WECHAT_IMAGE_HOSTS, vet_url

CSS = (Path(__file__).resolve().parents[1] / "policy" / "theme.css").read_text(encoding="utf-8")
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

# Every way the review found (or that CSS offers) to make a style value fetch something.
FETCHING_CSS = [
    "background:image-set('http://127.0.0.1:8765/a.png' 1x)",
    "background:-webkit-image-set('http://127.0.0.1:8765/a.png' 1x)",
    "background:cross-fade(url(a.png), url(b.png), 50%)",
    "background:image('http://127.0.0.1:8765/a.png')",
    "background:element(#beacon)",
    "background:paint(beacon)",
    "background:var(--beacon)",
    "width:env(safe-area-inset-left)",
    "color:attr(data-x)",
    "background:\\75 rl(http://127.0.0.1:8765/a.png)",
    "background:u\\rl(http://127.0.0.1:8765/a.png)",
    "background:\\69 mage-set('http://127.0.0.1:8765/a.png' 1x)",
    "background:url(http://127.0.0.1:8765/a.png)",
    "background:URL(http://127.0.0.1:8765/a.png)",
    "background:u/**/rl(http://127.0.0.1:8765/a.png)",
    "background:red;@import 'http://127.0.0.1:8765/a.css'",
    "background:expression(alert(1))",
]
_FUNCTION = re.compile(r"([a-z-]*)\s*\(", re.I)


def styles(html: str) -> list[str]:
    return re.findall(r'style="([^"]*)"', html)


def assert_no_fetching_style(html: str) -> None:
    for style in styles(html):
        assert "\\" not in style and "@" not in style and "/*" not in style, style
        assert {f.lower() for f in _FUNCTION.findall(style)} <= {"rgb", "rgba", "hsl", "hsla"}, style


# -- M1: styles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("css", FETCHING_CSS)
@pytest.mark.parametrize(
    "html",
    [
        '<div class="highlight" style="{css}">温馨提示</div>',  # a forged Pygments block
        '<div class="highlight"><span style="{css}">温馨提示</span></div>',
        '<div class="wx-code"><span style="{css}">温馨提示</span></div>',  # the renderer's own hook class
        '<section class="wx-code"><p style="{css}">温馨提示</p></section>',
        '<span style="{css}">温馨提示</span>',
        '<p style="{css}">温馨提示</p>',
    ],
)
def test_no_style_that_fetches_leaves_the_renderer(html: str, css: str) -> None:
    body = "正文\n\n" + html.format(css=css.replace('"', "'")) + "\n"
    for images in (None, PlaceholderImages()):
        out = render_body(body, css=CSS, images=images).html
        assert "温馨提示" in out
        assert_no_fetching_style(out)
        assert "127.0.0.1" not in out and "beacon" not in out


def test_a_forged_code_block_is_narrowed_like_any_raw_html() -> None:
    out = render_body('<div class="highlight" style="width:9999px;color:red">x</div>\n', css=CSS).html
    assert "9999px" not in out and "color:red" in out


def test_real_code_blocks_keep_their_pygments_colours() -> None:
    out = render_body("```python\nx = 1  # 注释\n```\n", css=CSS).html
    assert CODE_CLASS.startswith("wxpub-code-") and CODE_CLASS not in out  # the marker never leaves
    assert "background:#f0f0f0" in out.replace(" ", "")  # the block's Pygments background
    assert "font-style:italic" in out.replace(" ", "")  # the comment's Pygments style


def test_the_final_sanitiser_applies_the_grammar_to_every_style() -> None:
    """Even HTML that never went through the reshaping steps (the security boundary on its own)."""
    for css in FETCHING_CSS:
        out = sanitize(f'<section style="{css.replace(chr(34), chr(39))};color:#333">x</section>')
        assert_no_fetching_style(out)
    assert sanitize('<p style="color: rgb(1, 2, 3); margin:0 0 16px">x</p>') == (
        '<p style="color:rgb(1, 2, 3);margin:0 0 16px">x</p>'
    )


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("#0b5d3b", True),
        ("1px solid #cfded6", True),
        ("0 0 16px", True),
        ("125%", True),
        ("Menlo, Consolas, monospace", True),
        ('"PingFang SC", sans-serif', True),
        ("rgba(0, 0, 0, .3)", True),
        ("hsl(120 50% 50% / 0.5)", True),
        ("red !important", True),
        ("calc(1px + 2px)", False),
        ("rgb(var(--x), 0, 0)", False),
        ("rgb(1,2,3) url(x)", False),
        ("'Noto Sans'", True),  # a plain string fetches nothing
        ("'http://x/a.png'", False),
        ("", False),
    ],
)
def test_css_value_grammar(value: str, ok: bool) -> None:
    assert css_value_ok(value) is ok


def test_filter_style_drops_everything_after_an_escape_or_comment() -> None:
    assert filter_style("color:red;background:\\75 rl(x)") == ""
    assert filter_style("color:red/**/;width:1px") == ""
    assert filter_style("COLOR : Red ; position:fixed; width: 10px") == "color:Red;width:10px"


# -- M2/M3: addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "hosts", "schemes", "expected"),
    [
        (
            "https://mp.weixin.qq.com/s/abc?x=1#y",
            WECHAT_ARTICLE_HOSTS,
            ("https",),
            "https://mp.weixin.qq.com/s/abc?x=1#y",
        ),
        ("HTTPS://MP.WEIXIN.QQ.COM/s/abc", WECHAT_ARTICLE_HOSTS, ("https",), "https://mp.weixin.qq.com/s/abc"),
        ("https://mp.weixin.qq.com:443/s/abc", WECHAT_ARTICLE_HOSTS, ("https",), "https://mp.weixin.qq.com/s/abc"),
        (
            "http://mmbiz.qpic.cn/mmbiz_png/x/0?wx_fmt=png",  # http: WeChat's own scheme for images
            WECHAT_IMAGE_HOSTS,
            ("http", "https"),
            "http://mmbiz.qpic.cn/mmbiz_png/x/0?wx_fmt=png",
        ),
        ("https://evil.example\\@mp.weixin.qq.com/s/faq", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("http://127.0.0.1:8765\\@mmbiz.qpic.cn/x.png", WECHAT_IMAGE_HOSTS, ("http", "https"), None),
        ("https://evil.example@mp.weixin.qq.com/s/faq", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("https://mp.weixin.qq.com@evil.example/s/faq", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("https://user:pw@mp.weixin.qq.com/s/faq", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("https://mp.weixin.qq.com:8443/s/faq", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("http://mp.weixin.qq.com/s/faq", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("https://mp.weixin.qq.com./s/faq", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("https://x.mp.weixin.qq.com/s/faq", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("https://mp.weixin.qq.com.evil.example/s", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("https://mp.weixin.qq.com\t/s/faq", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("https://mp.weixin.qq.com/s/a b", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("https://mp.weixin.qq.com/s/\x00", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("https://mp%2eweixin.qq.com/s", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("https://[::1]/s", None, ("https",), None),
        ("https:/mp.weixin.qq.com/s", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("https:\\\\mp.weixin.qq.com/s", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("//mp.weixin.qq.com/s", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("javascript://mp.weixin.qq.com/%0aalert(1)", WECHAT_ARTICLE_HOSTS, ("https",), None),
        ("http://127.0.0.1:8080/mmbiz/x.png", None, ("http", "https"), None),
    ],
)
def test_vet_url(url: str, hosts: frozenset[str] | None, schemes: tuple[str, ...], expected: str | None) -> None:
    assert vet_url(url, hosts, schemes=schemes) == expected


def test_vet_url_any_port_keeps_a_port_only_when_asked() -> None:
    assert vet_url("http://127.0.0.1:8080/mmbiz/x.png", None, schemes=("http",), any_port=True) == (
        "http://127.0.0.1:8080/mmbiz/x.png"
    )
    assert vet_url("http://127.0.0.1:99999/x", None, schemes=("http",), any_port=True) is None


def test_image_host_differential_is_not_a_wechat_image() -> None:
    body = "![](http://127.0.0.1:8765\\@mmbiz.qpic.cn/beacon.png)\n\n<img src='http://127.0.0.1:8765\\@mmbiz.qpic.cn/b.png'>\n"
    for images in (None, PlaceholderImages()):
        r = render_body(body, css=CSS, images=images)
        assert "<img" not in r.html and "127.0.0.1" not in r.html
        assert [f.rule for f in r.findings] == ["render/image-source", "render/image-source"]


def test_wechat_images_are_kept_re_serialised() -> None:
    r = render_body("![图](HTTP://MMBIZ.QPIC.CN:80/mmbiz_png/x/0?wx_fmt=png)\n", css=CSS, images={})
    assert 'src="http://mmbiz.qpic.cn/mmbiz_png/x/0?wx_fmt=png"' in r.html
    assert r.findings == []


@pytest.mark.parametrize(
    "link",
    [
        "[官方解答](https://evil.example\\@mp.weixin.qq.com/s/faq)",
        '<a href="https://evil.example\\@mp.weixin.qq.com/s/faq">官方解答</a>',
        '<a href="https://evil.example&#92;@mp.weixin.qq.com/s/faq">官方解答</a>',
        "[官方解答](https://evil.example@mp.weixin.qq.com/s/faq)",
        "[官方解答](https://mp.weixin.qq.com:8443/s/faq)",
    ],
)
def test_link_host_differential_is_not_clickable(link: str) -> None:
    r = render_body(f"更多问题请见{link}。\n", css=CSS)
    assert "<a " not in r.html
    assert not is_wechat_article("https://evil.example\\@mp.weixin.qq.com/s/faq")
    assert len(r.references) == 1 and "官方解答" in r.html


def test_wechat_article_links_stay_clickable_as_https() -> None:
    r = render_body("[上一期](http://mp.weixin.qq.com/s/abc) [下一期](https://mp.weixin.qq.com/s/def)\n", css=CSS)
    assert re.findall(r'<a href="([^"]+)"', r.html) == [
        "https://mp.weixin.qq.com/s/abc",
        "https://mp.weixin.qq.com/s/def",
    ]
    assert r.references == []


def test_the_external_link_check_reads_the_link_as_a_browser_does(make_repo: Callable[..., Path]) -> None:
    body = "更多问题请见[官方解答](https://evil.example\\@mp.weixin.qq.com/s/faq)。\n\n[上一期](https://mp.weixin.qq.com/s/ok)\n"
    root = make_repo({POST_ID: post_text(body)}, commit=False)
    _, policy = load(root)
    result = check_folders([root / "posts" / POST_ID], CheckContext(root=root, policy=policy, now=NOW), jobs=1)
    links = [f for f in result.findings if f.rule == "wechat/external-link"]
    assert [f.match for f in links] == ["https://evil.example\\@mp.weixin.qq.com/s/faq"]
    assert "evil.example" in links[0].message


# -- the preview's Content-Security-Policy, in Chromium -------------------------------------------


class _Beacon(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def beacon() -> Iterator[tuple[int, list[str]]]:
    hits: ClassVar[list[str]] = []
    handler = type("Beacon", (_Beacon,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], hits
    finally:
        server.shutdown()
        server.server_close()


def _load_in_chromium(path: Path) -> tuple[list[str], int]:
    """Page errors, and how many images did not load."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            broken = page.eval_on_selector_all("img", "els => els.filter(i => !i.naturalWidth).length")
        finally:
            browser.close()
    return errors, int(broken)


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed")
def test_preview_loads_nothing_even_if_something_got_past_the_renderer(
    make_repo: Callable[..., Path], tmp_path: Path, beacon: tuple[int, list[str]]
) -> None:
    port, hits = beacon
    body = (
        f'正文\n\n<div class="highlight" style="background:image-set(\'http://127.0.0.1:{port}/imageset.png\' 1x)">'
        f"温馨提示</div>\n\n![](http://127.0.0.1:{port}\\@mmbiz.qpic.cn/img.png)\n"
    )
    root = make_repo({POST_ID: post_text(body)}, commit=False)
    post, policy = load(root)
    page = preview_html(post, root, policy)
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    clean = tmp_path / "clean.html"
    clean.write_text(page, encoding="utf-8")
    # the same page with what the renderer would have let through before, to show the policy holds on its own
    leak = (
        f"<div style=\"background:image-set('http://127.0.0.1:{port}/csp-imageset.png' 1x)\">x</div>"
        f'<img src="http://127.0.0.1:{port}/csp-img.png" alt=""><link rel="stylesheet" href="http://127.0.0.1:{port}/c.css">'
    )
    leaked = tmp_path / "leaked.html"
    leaked.write_text(page.replace('<div class="content">', '<div class="content">' + leak), encoding="utf-8")
    assert _load_in_chromium(clean) == ([], 0)  # the policy leaves the preview itself working
    assert _load_in_chromium(leaked) == ([], 1)  # the injected image is blocked, not fetched
    assert hits == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://mp.weixin.qq.com/s/abc", "https://mp.weixin.qq.com/s/abc"),
        ("http://127.0.0.1:8080/s/1/1", "http://127.0.0.1:8080/s/1/1"),  # the sandbox's articles
        ("https://evil.example\\@mp.weixin.qq.com/s/abc", None),
        ("https://user@mp.weixin.qq.com/s/abc", None),
        ("javascript:alert(1)", None),
    ],
)
def test_archive_links_the_wechat_article_only_when_well_formed(url: str, shown: str | None) -> None:
    import datetime as dt

    from pipeline.archive.model import Entry
    from pipeline.archive.pages import post_html

    when = dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC)
    entry = Entry("2026/12-05-x", "标题", "个人金融部", "product", "published", "publish", when, article_url=url)
    links = re.findall(r'class="wxpub-article-link" href="([^"]*)"', post_html(entry, "<p>正文</p>", "", None))
    assert links == ([shown] if shown else [])
