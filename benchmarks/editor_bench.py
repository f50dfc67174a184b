"""Measure the web editor: the bytes /admin/ serves, and the time to a usable page on loopback.

    .venv/bin/python benchmarks/editor_bench.py [--runs 3]

Serves admin/ (after `wxpub editor build`) with decap-server on a throwaway git repository, then in
headless Chromium: the first load (a new browser profile, nothing cached) and warm reloads, each until the
login button is there, with the bytes of every response summed. The baseline measured in the same run is
the browser's own floor: a page of a few bytes from the same server. Figures, not gates (issue 19).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.editor import build  # noqa: E402
from pipeline.editor.serve import start_local  # noqa: E402
from pipeline.policy import load_policy  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="warm reloads to time (default 3)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    policy = load_policy(ROOT)
    with tempfile.TemporaryDirectory(prefix="wxpub-editor-bench-") as tmp:
        work = Path(tmp)
        admin = work / "admin"
        build.write(work, build.generate(ROOT, policy))
        build.copy_bundle(ROOT, policy, target=admin)
        (admin / "floor.html").write_text("<!doctype html><title>floor</title><p>ok</p>", encoding="utf-8")
        repo = work / "repo"
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        editor = start_local(admin, ROOT, repo, log=work / "decap-server.log")
        base = editor.url
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                page = browser.new_page()
                sizes: list[int] = []
                page.on("response", lambda r: sizes.append(len(r.body()) if r.ok else 0))
                t0 = time.monotonic()
                page.goto(base + "floor.html")
                floor = time.monotonic() - t0
                sizes.clear()
                t0 = time.monotonic()
                page.goto(base)
                page.get_by_role("button", name="登录").wait_for()
                cold = time.monotonic() - t0
                cold_bytes = sum(sizes)
                warm = []
                for _ in range(args.runs):
                    t0 = time.monotonic()
                    page.reload()
                    page.get_by_role("button", name="登录").wait_for()
                    warm.append(time.monotonic() - t0)
                browser.close()
        finally:
            editor.stop()
        print(f"bundle in admin/ (decap-cms.js, chunks, YAML, scripts, theme): {build.bundle_size(admin) / 1e6:.2f} MB")
        print(f"bytes loaded by the first visit until the login button: {cold_bytes / 1e6:.2f} MB (uncompressed)")
        print(f"baseline: a tiny page from the same server: {floor * 1000:.0f} ms")
        print(f"first load of /admin/ (cold browser): {cold:.2f} s")
        print(f"reload (warm, {args.runs} runs): median {statistics.median(warm):.2f} s, max {max(warm):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
