"""The archive in real headless Chromium: browse, read a post's form, search in Chinese, stay on the intranet."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_archive import CARD, FRAUD, LOAN, make_archive_repo, records

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
            assert "审批单" in form.inner_text() and "同意发布（编号FORM-0）" in form.inner_text()
            link = page.locator("a.wxpub-article-link")
            assert link.get_attribute("href") == "https://mp.weixin.qq.com/s/article0"

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
            assert "类别" in filters and "单位" in filters

            page.click(".wxpub-search__result-link")
            page.wait_for_url(f"**/p/{LOAN}/")
            assert "群发" in page.locator(".wxpub-meta").inner_text()
            # filtering by category alone (no word) lists that category's posts
            page.goto(base + "search/")
            page.click(".wxpub-search__filter-name:text('类别')")
            page.check(".wxpub-search__filter-value:has-text('知识科普') input")
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
