"""The web editor in real headless Chromium, with decap-server (git mode) on a temporary repository.

One pass through the editor: log in to the local backend, create a post through the form (title, short
name, unit, category, date, an uploaded cover, a body with an uploaded image) and save it in the editorial
workflow; then open an existing post, change its title and save. The branches decap-server made are then
read with git: the post folder, what `wxpub check`'s schema part says of it, the front matter as it
round-trips, and the keys the form does not show.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from pipeline.editor import build
from pipeline.editor.serve import DECAP_SERVER, start_local
from pipeline.policy import load_policy
from pipeline.post import load_post, split_front_matter

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "editor-xu",
    "GIT_AUTHOR_EMAIL": "editor-xu@bank.example",
    "GIT_COMMITTER_NAME": "editor-xu",
    "GIT_COMMITTER_EMAIL": "editor-xu@bank.example",
}
OLD_POST = """---
title: 旧文章
unit: 城关支行
category: notice
publish_at: 2026-12-01T10:00:00+08:00
cover: cover.jpg
sources:
  - {file: cover.jpg, source: original}
allow:
  - {rule: adlaw/superlative, match: 最, reason: 引用监管原文}
comments: fans
campaign_code: XMAS-2026
---

正文不变。
"""
NEW_BRANCH = "cms/posts/2026/12-20-branch-move/index"
OLD_BRANCH = "cms/posts/2026/12-01-old/index"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def image(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> Path:
    from PIL import Image

    Image.new("RGB", size, colour).save(path)
    return path


@pytest.fixture
def editor_repo(tmp_path: Path) -> Path:
    if not (ROOT / DECAP_SERVER).is_file() or not (ROOT / build.DECAP_DIST / "decap-cms.js").is_file():
        if os.environ.get("WXPUB_REQUIRE_BROWSER"):
            pytest.fail("node_modules is missing: run `npm ci` (scripts/bootstrap.sh does it)")
        pytest.skip("the editor's npm packages are not installed (npm ci)")
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "policy", repo / "policy")
    old = repo / "posts" / "2026" / "12-01-old"
    old.mkdir(parents=True)
    (old / "index.md").write_text(OLD_POST, encoding="utf-8")
    image(old / "cover.jpg", (900, 383), (18, 78, 140))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "policy and one post")
    return repo


def wait_for_branch(repo: Path, branch: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if branch in git(repo, "branch", "--list", "cms/*"):
            return
        time.sleep(0.2)
    raise AssertionError(f"no branch {branch}; branches: {git(repo, 'branch', '--list')}")


def front_matter(text: str) -> dict[str, object]:
    parts = split_front_matter(text)
    assert parts is not None, text
    data = yaml.safe_load(parts[0])
    assert isinstance(data, dict)
    return data


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (installed by .ci/run)")
def test_an_editor_creates_and_edits_posts_that_become_branches(editor_repo: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    repo = editor_repo
    policy = load_policy(ROOT)
    admin = tmp_path / "admin"
    build.write(tmp_path, build.generate(ROOT, policy))  # ROOT's committed files, as served
    build.copy_bundle(ROOT, policy, target=admin)
    cover = image(tmp_path / "cover.jpg", (900, 383), (200, 30, 30))
    figure = image(tmp_path / "figure.png", (600, 400), (30, 30, 200))

    main_head = git(repo, "rev-parse", "main")
    editor = start_local(admin, ROOT, repo, log=tmp_path / "decap-server.log")
    base = editor.url
    requests: list[str] = []
    errors: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            # A browser in UTC: the folder and the +08:00 must not depend on the editor's clock.
            context = browser.new_context(timezone_id="UTC", locale="zh-CN", viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))

            started = time.monotonic()
            page.goto(base)
            login = page.get_by_role("button", name="登录")
            login.wait_for()
            first_load = time.monotonic() - started
            login.click()

            # A new post through the form.
            page.goto(base + "#/collections/posts/new")
            page.get_by_role("textbox", name="标题", exact=True).fill("城关支行网点搬迁公告")
            page.locator('input[id^="slug-field"]').fill("branch-move")
            page.locator('[id^="unit-field"]').first.click()
            page.keyboard.type("城关支行")
            page.keyboard.press("Enter")
            page.locator('[id^="category-field"]').first.click()
            page.keyboard.type("公告通知")
            page.keyboard.press("Enter")
            page.locator('input[id^="publish_at-field"]').fill("2026-12-20T07:30")
            page.get_by_role("button", name="选择图片").click()
            page.locator("input[type=file]").set_input_files(str(cover))
            page.get_by_role("button", name="选用已选中项目").click()
            page.locator('input[id^="tags-field"]').fill("搬迁, 城关")
            page.locator('[data-slate-editor="true"]').click()
            page.keyboard.type("城关支行将于十二月二十日迁至新址营业，请客户留意。")
            page.keyboard.press("Enter")
            page.get_by_title("添加组件").click()
            page.get_by_text("Image", exact=True).click()
            page.get_by_role("button", name="选择图片").last.click()
            page.locator("input[type=file]").set_input_files(str(figure))
            page.get_by_role("button", name="选用已选中项目").click()
            # The preview says what it is not.
            preview = page.frame_locator("iframe").first
            expect(preview.locator(".wx-note")).to_contain_text("wxpub preview")
            expect(preview.locator(".wx-title")).to_have_text("城关支行网点搬迁公告")
            page.get_by_role("button", name="保存").click()
            wait_for_branch(repo, NEW_BRANCH)
            print(f"\nsaved the new post at {time.monotonic() - started:.1f} s")

            # An existing post: only the title changes.
            page.goto(base + "#/collections/posts/entries/2026/12-01-old/index")
            page.reload()  # a fresh editor (a hash change alone keeps the last entry's draft)
            title = page.get_by_role("textbox", name="标题", exact=True)
            expect(title).to_have_value("旧文章")
            title.fill("旧文章（已修改）")
            page.get_by_role("button", name="保存").click()
            wait_for_branch(repo, OLD_BRANCH)

            # "Ready" is never "merged": the new post goes to 就绪, and 立即发布 is refused.
            page.goto(base + "#/collections/posts/entries/2026/12-20-branch-move/index")
            page.reload()
            page.on("dialog", lambda d: d.accept())  # Decap's "publish this entry?" confirmation
            page.get_by_role("button", name="状态: 草稿").click()
            page.get_by_text("就绪", exact=True).click()
            expect(page.get_by_role("button", name="状态: 就绪")).to_be_visible()
            page.get_by_role("button", name="发布", exact=True).click()
            page.get_by_text("立即发布", exact=True).click()
            expect(page.get_by_text("编辑器不能发布或合并", exact=False)).to_be_visible()
            browser.close()
    finally:
        editor.stop()
    print(f"\n/admin/ first load on loopback: {first_load:.2f} s; bundle {build.bundle_size(admin) / 1e6:.1f} MB")

    # No request left the machine: the page, its bundle and the backend are all on 127.0.0.1.
    foreign = [u for u in requests if not u.startswith(("data:", "blob:")) and urlsplit(u).hostname != "127.0.0.1"]
    assert foreign == []
    assert errors == []

    # The new post's branch holds its folder: index.md, the cover and the image beside it.
    files = git(repo, "ls-tree", "-r", "--name-only", NEW_BRANCH).split()
    folder = "posts/2026/12-20-branch-move"
    assert {f"{folder}/index.md", f"{folder}/cover.jpg", f"{folder}/figure.png"} <= set(files)
    assert git(repo, "branch", "--show-current").strip() == "main"  # decap-server went back to main
    text = git(repo, "show", f"{NEW_BRANCH}:{folder}/index.md")
    meta = front_matter(text)
    assert meta["publish_at"] == dt.datetime(2026, 12, 20, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert "publish_at: 2026-12-20T07:30:00+08:00" in text
    assert meta["title"] == "城关支行网点搬迁公告"
    assert (meta["unit"], meta["category"], meta["cover"]) == ("城关支行", "notice", "cover.jpg")
    assert meta["tags"] == ["搬迁", "城关"]
    assert "slug" not in meta and not any(str(k).startswith("_wx") for k in meta)
    assert "![](figure.png)" in text or "](figure.png" in text

    # `wxpub check`'s schema part has nothing to say of what the form saved.
    checkout = tmp_path / "checkout"
    git(repo, "worktree", "add", "-q", str(checkout), NEW_BRANCH)
    post, findings = load_post(checkout / folder, checkout, policy)
    assert post.meta is not None
    assert [f for f in findings if f.rule.startswith(("schema/", "wechat/"))] == []
    assert post.meta.publish_at.utcoffset() == dt.timedelta(hours=8)

    # The edit kept every key the form does not show, and every value it did not change.
    before = front_matter(OLD_POST)
    after = front_matter(git(repo, "show", f"{OLD_BRANCH}:posts/2026/12-01-old/index.md"))
    assert after["title"] == "旧文章（已修改）"
    assert {k: v for k, v in after.items() if k != "title"} == {k: v for k, v in before.items() if k != "title"}
    assert git(repo, "config", f"branch.{OLD_BRANCH}.description").strip() == "decap-cms/draft"
    assert git(repo, "config", f"branch.{NEW_BRANCH}.description").strip() == "decap-cms/pending_publish"
    assert git(repo, "rev-parse", "main") == main_head  # nothing merged
    assert NEW_BRANCH in git(repo, "branch", "--list", "cms/*")
    assert first_load < 30
