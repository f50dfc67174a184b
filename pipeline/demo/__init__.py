"""`wxpub demo`: the whole flow on the sample posts, offline, in a temporary copy of the repository.

1. copy the repository (posts, policy, pipeline, mkdocs.yml, ...) into a new git repository; the posts
   are committed as a pull request's head on the demo's "submission day" (the reviews file's `created_at`);
2. `wxpub check` and `wxpub leadtime` as CI runs them on the pull request;
3. `wxpub approvals` from the sample reviews (`reviews.json`, GitHub's shapes);
4. `wxpub publish` to the local WeChat (the sandbox, on loopback) as the scheduled job would run it on
   two days, then once more: only due posts go out, each exactly once, with re-verification, rendering,
   uploads, drafts, publication and the records on `wxpub-records`;
5. `wxpub schedule` over the records; 6. `wxpub archive build`, then the site served on 127.0.0.1;
7. beside it, the web editor at /admin/ with the local backend (decap-server) on the demo's repository:
   a post saved there becomes a `cms/posts/...` branch of that repository.

Every step is the real command in a subprocess; nothing needs credentials or the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WxpubError
from ..i18n import _

if TYPE_CHECKING:
    from ..editor.serve import LocalEditor

HERE = Path(__file__).resolve().parent
REVIEWS = HERE / "reviews.json"
SUBMITTED = "2026-11-20T09:00:00+08:00"  # the demo pull request's created_at
FIRST_RUN = "2026-12-12T10:05:00+08:00"  # three sample posts are due by then
PUBLISH_NOW = "2027-01-06T12:00:00+08:00"  # every sample post is due by then
# What the demo copies: the repository as a bank would have it, without local caches and build output.
IGNORE = (
    ".git",
    ".venv",
    "site",
    "build",
    "__pycache__",
    "*.egg-info",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".wxpub",
    "tests",
    "benchmarks",
    "node_modules",
)


@dataclass
class Step:
    title: str
    args: list[str]
    ok_codes: tuple[int, ...] = (0,)
    show: int = 14
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class DemoResult:
    workdir: Path
    site: Path
    steps: list[tuple[str, int, float]]
    articles: list[dict[str, object]] = field(default_factory=list)
    mass_sends: list[dict[str, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(code == 0 for _, code, _ in self.steps)


def _git(cwd: Path, *args: str, date: str | None = None) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "editor-xu",
        "GIT_AUTHOR_EMAIL": "editor-xu@bank.example",
        "GIT_COMMITTER_NAME": "editor-xu",
        "GIT_COMMITTER_EMAIL": "editor-xu@bank.example",
    }
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)


def prepare(source: Path, workdir: Path) -> Path:
    """A fresh repository with the samples, committed on the submission day, and a bare `origin` beside it
    that receives the records branch (publishing pushes by default when there is a remote)."""
    repo = workdir / "repo"
    shutil.copytree(source, repo, ignore=shutil.ignore_patterns(*IGNORE), symlinks=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "December posts for the WeChat account", date=SUBMITTED)
    # the records travel to a remote, as in CI (where a run whose records stay behind is refused)
    remote = workdir / "origin.git"
    _git(workdir, "init", "-q", "--bare", str(remote))
    _git(repo, "remote", "add", "origin", str(remote))
    _git(repo, "push", "-q", "origin", "main")
    return repo


def run_demo(
    source: Path, *, workdir: Path | None = None, out: Callable[[str], None] = print, site_port: int | None = 8000
) -> DemoResult:
    from ..wechat.sandbox import Sandbox, SandboxConfig

    started = time.monotonic()
    workdir = workdir or Path(tempfile.mkdtemp(prefix="wxpub-demo-"))
    out(_("wxpub demo: working in {workdir} (a temporary copy; your repository is not touched)", workdir=workdir))
    repo = prepare(source, workdir)
    site = workdir / "site"
    state = workdir / "state"
    state.mkdir()
    results: list[tuple[str, int, float]] = []
    config = SandboxConfig(publish_delay=0.2, publish_polls_until_done=1)
    with Sandbox(config) as sandbox:
        base_url = sandbox.base_url
        env = {
            "WECHAT_APPID": config.appid,
            "WECHAT_SECRET": config.secret,
            "WECHAT_API_BASE": base_url,
            "WXPUB_STATE_DIR": str(state),
            "GITHUB_ACTOR": "ebank-publisher",
        }
        out(_("local WeChat (sandbox) listening on {url}", url=base_url))
        steps = [
            Step(_("1. compliance check on the pull request (Art. 8, 13, 14, 17)"), ["check", "--now", SUBMITTED]),
            Step(_("2. lead time and broadcast quota (Art. 15, 20)"), ["leadtime", "--now", SUBMITTED]),
            Step(
                _("3. tiered approvals from the pull request's reviews (Art. 8, 12, 15)"),
                ["approvals", "--reviews-file", str(REVIEWS), "--pr", "1"],
                show=30,
            ),
            Step(
                _("4. the publish job runs on 12 December: only what is due goes out (Art. 12, 18)"),
                ["publish", "--now", FIRST_RUN, "--reviews-file", str(REVIEWS), "--poll-timeout", "30"],
                show=16,
                env=env,
            ),
            Step(
                _("5. the publish job runs on 6 January: the rest, each exactly once"),
                ["publish", "--now", PUBLISH_NOW, "--reviews-file", str(REVIEWS), "--poll-timeout", "30"],
                show=24,
                env=env,
            ),
            Step(
                _("6. it runs again: nothing is sent twice"),
                ["publish", "--now", PUBLISH_NOW, "--reviews-file", str(REVIEWS)],
                show=6,
                env=env,
            ),
            Step(_("7. the publication calendar"), ["schedule", "--from", "2026-12-01", "--to", "2027-01-31"], show=30),
            Step(
                _("8. the archive site with every publication and its approval form (Art. 15, 18)"),
                ["archive", "build", "--site-dir", str(site)],
                show=10,
            ),
        ]
        for step in steps:
            results.append(_run(step, repo, out))
        published = sandbox.published_articles()
        mass_sends = sandbox.mass_sends()
    out("")
    out(_("published on the local WeChat: {count} article(s)", count=len(published)))
    for art in published[:20]:
        out(f"  {art.get('title', '')}  {art.get('url', '')}")
    out(
        _(
            "records: {command}   (one commit per step, append-only)",
            command="git -C " + str(repo) + " log --oneline wxpub-records",
        )
    )
    out(_("approval forms: {command}", command="git -C " + str(repo) + " show wxpub-records:records/<post-id>.form.md"))
    out(_("site: {path}", path=site))
    elapsed = time.monotonic() - started
    failed = [t for t, code, _took in results if code != 0]
    out(
        _(
            "demo finished in {seconds} s: {done}/{total} steps as expected",
            seconds=round(elapsed, 1),
            done=len(results) - len(failed),
            total=len(results),
        )
    )
    if failed:
        raise WxpubError(_("demo step(s) failed: {steps}", steps="; ".join(failed)))
    if site_port is not None:
        editor = start_editor(source, repo, site_port + 1 if site_port else 0, out)
        try:
            _serve(site, site_port, out)
        finally:
            if editor is not None:
                editor.stop()
    return DemoResult(workdir=workdir, site=site, steps=results, articles=published, mass_sends=mass_sends)


def start_editor(source: Path, repo: Path, port: int, out: Callable[[str], None]) -> LocalEditor | None:
    """Serve /admin/ with decap-server on the demo's repository, and say how to use it; None if it cannot."""
    from ..editor import build
    from ..editor.serve import start_local
    from ..i18n import _
    from ..policy import load_policy

    try:
        build.copy_bundle(source, load_policy(repo), target=repo / build.ADMIN_DIR)
        editor = start_local(repo / build.ADMIN_DIR, source, repo, port=port)
    except WxpubError as exc:
        out(_("web editor: not started ({reason})", reason=str(exc)))
        return None
    url = editor.url
    out("")
    out(_("web editor (Decap CMS, local backend on the demo's repository): {url}", url=url))
    out(_("   1. click 登录 (the local backend asks for no password), then 新建文章"))
    out(_("   2. fill in 标题, 英文短名, 信息发布单位, 内容类别, 发布时间, 封面 and 正文, then click 保存"))
    out(_("   3. the save is a branch of the demo's repository: git -C {repo} branch --list 'cms/*'", repo=repo))
    out(_("      its files: git -C {repo} show --stat 'cms/posts/<yyyy>/<mm-dd>-<slug>/index'", repo=repo))
    return editor


def _run(step: Step, repo: Path, out: Callable[[str], None]) -> tuple[str, int, float]:
    out("")
    out(f"== {step.title}")
    out(f"$ wxpub {' '.join(step.args)}")
    t0 = time.monotonic()
    env = {**os.environ, **step.env, "NO_COLOR": "1"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", *step.args],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    took = time.monotonic() - t0
    lines = proc.stdout.rstrip().split("\n")
    shown = (
        lines
        if len(lines) <= step.show
        else [*lines[: step.show - 2], _("… ({count} more lines)", count=len(lines) - step.show + 2), lines[-1]]
    )
    for line in shown:
        out(f"   {line}")
    code = 0 if proc.returncode in step.ok_codes else proc.returncode or 1
    out("   " + _("-> exit {code} in {seconds} s", code=proc.returncode, seconds=round(took, 1)))
    return step.title, code, took


def _serve(site: Path, port: int, out: Callable[[str], None]) -> None:
    import functools
    import http.server

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))  # (a partial cannot be subclassed)
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise WxpubError(
            _("cannot serve the archive on {address}: {reason}", address="127.0.0.1:" + str(port), reason=exc.strerror),
            hint=_("free the port, or run wxpub demo --port N"),
        ) from None
    import threading

    from ..signals import stop_on_signals, wait_for

    with stop_on_signals() as stop:  # Ctrl-C at any moment (even twice) stops cleanly
        threading.Thread(target=server.serve_forever, name="wxpub-demo", daemon=True).start()
        try:
            out("")
            url = f"http://127.0.0.1:{server.server_address[1]}/"
            out(_("archive: {url}   (Ctrl-C to stop)", url=url))
            wait_for(stop)
        finally:
            server.shutdown()
            server.server_close()
