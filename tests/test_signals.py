"""The foreground servers (`wxpub preview --serve`, `wxpub archive serve`; `wxpub sandbox` in
test_wechat_sandbox.py) stop with exit 0 on Ctrl-C or SIGTERM at any moment: real subprocesses, real signals.

Each waits for the server's banner (readiness) and a real request before signalling; the burst sends
SIGINT every few milliseconds until the process has gone, so a signal lands during the shutdown too.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import post_text, sigint_burst

PROJECT = Path(__file__).resolve().parents[1]
PID = "2026/12-05-card-offer"


def serve_and_stop(args: list[str], pattern: str, how: str, argv: list[str] | None = None) -> tuple[int, str]:
    proc = subprocess.Popen(
        [sys.executable, *(argv or ["-m", "pipeline", *args])],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        while True:  # readiness: the banner with the URL
            line = proc.stdout.readline()
            assert line, "".join(seen)
            seen.append(line)
            m = re.search(pattern, line)
            if m:
                break
        with urllib.request.urlopen(m.group(1), timeout=10) as resp:
            assert resp.status == 200
        if how == "SIGTERM":
            proc.send_signal(signal.SIGTERM)
        else:
            sigint_burst(proc)
        rest, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, "".join(seen) + rest


@pytest.mark.parametrize("how", ["SIGINT burst", "SIGTERM"])
def test_archive_serve_stops_cleanly(tmp_path: Path, how: str) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!DOCTYPE html><title>archive</title>", encoding="utf-8")
    args = ["archive", "serve", "--root", str(PROJECT), "--site-dir", str(site), "--port", "0"]
    code, out = serve_and_stop(args, r"(http://127\.0\.0\.1:\d+/)", how)
    assert code == 0, out
    assert "Traceback" not in out


@pytest.mark.parametrize("how", ["SIGINT burst", "SIGTERM"])
def test_preview_serve_stops_cleanly(make_repo: Callable[..., Path], tmp_path: Path, how: str) -> None:
    root = make_repo({PID: post_text("预览正文。\n")}, commit=False)
    args = ["preview", str(root / "posts" / PID), "--serve", "--port", "0", "-o", str(tmp_path / "p.html")]
    code, out = serve_and_stop([*args, "--root", str(root)], r"serving (http://127\.0\.0\.1:\d+/)", how)
    assert code == 0, out
    assert "Traceback" not in out


def test_demo_archive_server_serves_and_stops_cleanly(tmp_path: Path) -> None:
    """`wxpub demo` ends by serving the archive it built (`_serve`) until Ctrl-C."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!DOCTYPE html><title>demo</title>", encoding="utf-8")
    script = tmp_path / "serve.py"
    script.write_text(
        "import sys\nfrom pathlib import Path\nfrom pipeline.demo import _serve\n"
        "_serve(Path(sys.argv[1]), 0, lambda s: print(s, flush=True))\n",
        encoding="utf-8",
    )
    code, out = serve_and_stop(
        [], r"archive: (http://127\.0\.0\.1:\d+/)", "SIGINT burst", argv=[str(script), str(site)]
    )
    assert code == 0, out
    assert "Traceback" not in out
