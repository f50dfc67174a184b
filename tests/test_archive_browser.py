"""The archive in real headless Chromium: browse, read a post's form, search in Chinese, stay on the intranet."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import PROJECT
from test_archive import BROADCAST_MSG_ID, CARD, CARD_URL, FRAUD, LOAN, WEALTH, make_archive_repo, records

from pipeline.archive import build_archive, serve_in_thread, url_of
from pipeline.archive.samples import write_records

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("archive-browser")
    root = make_archive_repo(base / "repo")
    write_records(base / "records", records())
    build_archive(root, base / "site", base / "records")
    return base / "site"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (installed by .ci/run)")
def test_browse_read_form_and_search_in_chinese_without_leaving_the_site(site: Path) -> None:
    from playwright.sync_api import sync_playwright

    server = serve_in_thread(site)
    base = url_of(server)
    foreign: list[str] = []
    failed: list[str] = []
    console_errors: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page()

            def watch(request: object) -> None:
                url = request.url  # type: ignore[attr-defined]
                if urlsplit(url).hostname not in ("127.0.0.1", "localhost") and not url.startswith(("data:", "blob:")):
                    foreign.append(url)

            page.on("request", watch)
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

            page.goto(base)
            assert page.locator("h1").first.inner_text() == "最新发布"
            page.click("text=借记卡年费减免通知")
            page.wait_for_url(f"**/p/{CARD}/")
            assert page.title().startswith("借记卡年费减免通知")
            form = page.locator("#approval")
            assert "信息发布审批表" in form.inner_text() and "同意发布（编号FORM-0）" in form.inner_text()
            link = page.locator("a.wxpub-article-link")
            assert link.get_attribute("href") == CARD_URL

            for word, expected, absent in (
                ("年费", "借记卡年费减免通知", "反诈小课堂"),
                ("反诈专线", "反诈小课堂", "惠农贷助力春耕"),
                ("种养殖户", "惠农贷助力春耕", "借记卡年费减免通知"),
            ):
                page.goto(base + "search/")
                page.fill(".wxpub-search__input", word)
                page.wait_for_selector(".wxpub-search__result-link", timeout=15_000)
                page.wait_for_load_state("networkidle")
                titles = page.locator(".wxpub-search__result-link").all_inner_texts()
                assert expected in titles, (word, titles)
                assert absent not in titles, (word, titles)

            # filters by category and unit are offered
            filters = page.locator(".wxpub-search__filter-name").all_inner_texts()
            assert filters == ["类别", "单位", "状态"]

            page.click(".wxpub-search__result-link")
            page.wait_for_url(f"**/p/{LOAN}/")
            assert "群发" in page.locator(".wxpub-meta").inner_text()
            # filtering by category alone (no word) lists that category's posts; the choices carry counts
            page.goto(base + "search/")
            select = page.locator(".wxpub-search__filter:has-text('类别') select")
            select.wait_for()
            assert "知识科普（1）" in select.locator("option").all_inner_texts()
            select.select_option("知识科普")
            page.wait_for_selector(".wxpub-search__result-link", timeout=15_000)
            assert page.locator(".wxpub-search__result-link").all_inner_texts() == ["反诈小课堂"]
            page.goto(base + f"p/{FRAUD}/")
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    assert foreign == [], foreign
    assert failed == [], failed
    assert not [e for e in console_errors if "Content Security Policy" in e or "Refused" in e], console_errors


SCREENSHOTS = PROJECT / "build" / "screenshots"  # git-ignored: for a person to look at after the tests
WIDTHS = (360, 390, 1280)
PAGE_KINDS = {  # every kind of page the archive has, by a name for its screenshot
    "home": "",
    "post": f"p/{CARD}/",
    "post-footnotes": f"p/{FRAUD}/",
    "post-broadcast": f"p/{LOAN}/",
    "post-retracted": f"p/{WEALTH}/",
    "form": f"p/{CARD}/form/",
    "all": "all/",
    "archive": "archive/",
    "month": "archive/2026/12/",
    "category": "category/",
    "unit": "unit/个人金融部/",
    "tags": "tags/",
}


def search(page: Any, base: str, word: str) -> list[str]:
    """Search `word` on the search page; the titles found (waits for the message saying how many)."""
    page.goto(base + "search/")
    page.wait_for_selector(".wxpub-search__filter select")
    page.fill(".wxpub-search__input", word)
    page.locator(".wxpub-search__message", has_text="找到").wait_for()
    return [str(t) for t in page.locator(".wxpub-search__result-link").all_inner_texts()]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (installed by .ci/run)")
def test_every_page_fits_a_phone_shows_what_was_published_and_the_form_prints_on_one_a4_page(site: Path) -> None:
    """At 360, 390 and 1280 px: no page scrolls sideways; footnotes as WeChat showed them; search results
    say 已撤回 and do not match every post on its status or unit; the form prints on one A4 page.
    Screenshots of every page kind go to build/screenshots/<kind>-<width>.png."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    server = serve_in_thread(site)
    base = url_of(server)
    overflow: list[tuple[str, int, int]] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 800})
                for kind, path in PAGE_KINDS.items():
                    page.goto(base + path)
                    wide = page.evaluate("document.documentElement.scrollWidth")
                    if wide > width:
                        overflow.append((kind, width, wide))
                    if width != 360:
                        page.screenshot(path=str(SCREENSHOTS / f"{kind}-{width}.png"), full_page=True)
                titles = search(page, base, "理财")
                page.screenshot(path=str(SCREENSHOTS / f"search-{width}.png"), full_page=True)
                if page.evaluate("document.documentElement.scrollWidth") > width:
                    overflow.append(("search", width, page.evaluate("document.documentElement.scrollWidth")))
                if width == 390:
                    # the retracted post is found, and the result says it was retracted
                    assert "稳健理财新品发布" in titles, titles
                    result = page.locator(".wxpub-search__result:has-text('稳健理财新品发布')")
                    assert "已撤回" in result.inner_text()
                    # the status and the unit are filters, not text: a post matches only on what it says
                    # (the retracted post's title says 发布); the published posts that do not say it are not found
                    found = search(page, base, "已发布")
                    assert "借记卡年费减免通知" not in found and "惠农贷助力春耕" not in found, found
                    assert search(page, base, "个人金融部") == []
                    assert search(page, base, "城关支行") == []  # the fraud post's unit
                    assert search(page, base, "春耕") == ["惠农贷助力春耕"]  # the title is indexed
                    # footnotes as WeChat got them: 注1 in the text, the notes under 注释
                    page.goto(base + PAGE_KINDS["post-footnotes"])
                    body = page.locator(".wxpub-content").inner_text()
                    assert "诈骗注1。" in body and "96110注2" in body, body
                    assert "注释" in body and "全天接听" in body and "^1" not in body
                    # a broadcast without a link says what it was
                    page.goto(base + PAGE_KINDS["post-broadcast"])
                    assert f"群发消息（消息 ID {BROADCAST_MSG_ID}）" in page.locator(".wxpub-meta").inner_text()
                page.close()

            page = browser.new_page()
            page.goto(base + PAGE_KINDS["form"])
            pdf = page.pdf(format="A4", print_background=True)
            (SCREENSHOTS / "form-print.pdf").write_bytes(pdf)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    assert overflow == [], overflow
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    # the PDF's text as a reader copies it: the font's radical forms and ligatures (⾏, ﬀ) mapped back, no
    # spaces (the title is letter-spaced)
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", reader.pages[0].extract_text()))
    for shown in (
        "信息发布审批表",
        "借记卡年费减免通知",
        CARD,
        "0" * 40,
        "审批表生成时间:2026-11-2210:05",
        "签字",
        "合规部",
    ):
        assert shown in text, (shown, text)
    assert "返回文章" not in text and "最新发布" not in text  # no navigation on paper
