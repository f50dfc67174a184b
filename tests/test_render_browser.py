"""The preview in real headless Chromium: it loads, served on 127.0.0.1, with no errors and no requests out."""

from __future__ import annotations

import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from test_render import everything_repo, load

from pipeline.render import preview_html
from pipeline.render.preview import WIDTH, serve

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_preview_loads_cleanly_in_chromium(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    root = everything_repo(make_repo)
    post, policy = load(root)
    page_html = preview_html(post, root, policy)
    server = serve(page_html, port=0)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    errors: list[str] = []
    requests: list[str] = []
    failed: list[str] = []
    shot = tmp_path / "preview.png"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": WIDTH, "height": 740})
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("request", lambda r: requests.append(r.url))
                page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
                response = page.goto(url, wait_until="load")
                assert response is not None and response.status == 200
                # every image decoded (cover and body images are embedded data: URIs)
                broken = page.eval_on_selector_all(
                    "img", "els => els.filter(i => !i.complete || !i.naturalWidth).length"
                )
                assert broken == 0
                # cover, two body images, and the placeholder standing in for the missing x.png
                assert page.eval_on_selector_all("img", "els => els.length") == 4
                # the body is laid out at phone width: nothing wider than the viewport
                assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
                assert page.inner_text("h1.title") == "借记卡年费减免通知"
                assert "参考链接" in page.inner_text(".content")
                page.screenshot(path=str(shot), full_page=True)
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    assert errors == []
    assert failed == []
    assert [r for r in requests if not r.startswith("data:")] == [url]
    data = shot.read_bytes()
    width, height = png_size(data)
    assert width == WIDTH and height > 740 and len(data) > 5_000
