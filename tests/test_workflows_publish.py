"""The publish workflow's own step, run for real: its `run:` script and `env:` from publish.yml, a runner
checkout made without stored credentials, an authenticating git server over HTTP on loopback, and the
sandbox WeChat. It proves the credential helper in the step's environment pushes the records branch,
and that no token is left in the checkout's git config.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import TZ, git, post_text

from pipeline.ledger import read_records
from pipeline.wechat.sandbox import Sandbox, SandboxConfig

ROOT = Path(__file__).resolve().parents[1]
PUSH_TOKEN = "ghs_test_push_token_5e0b1c"
SECRET = "sbx-secret-for-workflow-test-91f3"
POST = "2026/11-01-card"


class GitHttpServer:
    """`git http-backend` behind HTTP Basic auth (user x-access-token, password the token), on 127.0.0.1."""

    def __init__(self, project_root: Path, token: str) -> None:
        self.project_root, self.token = project_root, token
        self.unauthorised = 0
        self.authorised = 0

    def __enter__(self) -> GitHttpServer:
        outer = self
        expected = "Basic " + base64.b64encode(f"x-access-token:{self.token}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._backend()

            def do_POST(self) -> None:
                self._backend()

            def _backend(self) -> None:
                if self.headers.get("Authorization") != expected:
                    outer.unauthorised += 1
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                outer.authorised += 1
                path, _, query = self.path.partition("?")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                env = {
                    "PATH": os.environ["PATH"],
                    "GIT_PROJECT_ROOT": str(outer.project_root),
                    "GIT_HTTP_EXPORT_ALL": "1",
                    "PATH_INFO": path,
                    "QUERY_STRING": query,
                    "REQUEST_METHOD": self.command,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(len(body)),
                    "REMOTE_USER": "x-access-token",
                    "REMOTE_ADDR": "127.0.0.1",
                    "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                    "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                }
                out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
                sep = b"\r\n\r\n" if b"\r\n\r\n" in out else b"\n\n"
                head, _, rest = out.partition(sep)
                status, headers = 200, []
                for line in head.decode("latin-1").splitlines():
                    name, _, value = line.partition(":")
                    if name.lower() == "status":
                        status = int(value.split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(rest)))
                self.end_headers()
                self.wfile.write(rest)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def publish_step(job: str = "publish", command: str = "wxpub publish") -> dict[str, Any]:
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8"))
    return next(s for s in wf["jobs"][job]["steps"] if command in s.get("run", ""))


@pytest.fixture
def origin(make_repo: Any, tmp_path: Path) -> Iterator[Path]:
    """A bare `origin` holding main with one due post; the policy trusts branch protection (no forge here)."""
    from conftest import cover_bytes

    policy = (ROOT / "policy" / "policy.yml").read_text(encoding="utf-8")
    policy = policy.replace("trust_branch_protection: false", "trust_branch_protection: true")
    assert "trust_branch_protection: true" in policy
    post = {
        "index.md": post_text(
            publish_at=dt.datetime(2026, 11, 1, 10, 0, tzinfo=TZ),
            sources=[{"file": "cover.jpg", "source": "original"}],
        ),
        "cover.jpg": cover_bytes(),
    }
    root = make_repo({POST: post}, policy=policy)
    # The archive's configuration, as the real repository has it.
    (root / "mkdocs.yml").write_bytes((ROOT / "mkdocs.yml").read_bytes())
    shutil.copytree(ROOT / "pipeline", root / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    git(root, "add", "mkdocs.yml", "pipeline")
    git(root, "commit", "-q", "-m", "archive configuration")
    bare = tmp_path / "srv" / "wechat.git"
    bare.parent.mkdir()
    git(tmp_path, "clone", "-q", "--bare", str(root), str(bare))
    yield bare


def test_publish_and_retract_steps_push_records_over_http_with_the_job_token_and_keep_none(
    origin: Path, tmp_path: Path
) -> None:
    step = publish_step()
    with (
        GitHttpServer(origin.parent, PUSH_TOKEN) as srv,
        Sandbox(SandboxConfig(secret=SECRET, publish_delay=0.2, publish_polls_until_done=0)) as sb,
    ):
        # What actions/checkout does with persist-credentials: false: a clone whose origin is the plain URL.
        runner = tmp_path / "runner"
        git(tmp_path, "clone", "-q", str(origin), str(runner))
        git(runner, "remote", "set-url", "origin", f"{srv.url}/wechat.git")
        values = {
            "WECHAT_APPID": sb.config.appid,
            "WECHAT_SECRET": SECRET,
            "WECHAT_API_BASE": sb.base_url,
            "WXPUB_STATE_DIR": str(tmp_path / "state"),
            "GITHUB_TOKEN": "unused-forge-token",
            "GITEA_TOKEN": "unused-forge-token",
            "WXPUB_PUSH_TOKEN": PUSH_TOKEN,
        }
        literal = {k: str(v) for k, v in step["env"].items() if k.startswith("GIT_CONFIG_")}
        assert set(step["env"]) == set(values) | set(literal), "the step's env changed: update the test"
        assert "${{" not in "".join(literal.values())
        base = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "WXPUB_", "GITHUB_", "GIT_"))}
        env = {
            **base,
            **values,
            **literal,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "GIT_TERMINAL_PROMPT": "0",
            "HOME": str(tmp_path / "home"),
            "NO_COLOR": "1",
        }
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=runner,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        titles = [a["title"] for a in sb.published_articles()]
        assert read_records(origin)[POST].status == "published"

        # The retract job's step, with the dispatch inputs arriving through env (never interpolated).
        retract = publish_step("retract", "wxpub retract")
        reason = 'wrong rate; "quoted" $(not run)'
        extra = {"POST": POST, "REASON": reason}
        assert set(retract["env"]) == set(values) - {"GITHUB_TOKEN", "GITEA_TOKEN"} | set(literal) | set(extra)
        proc2 = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", retract["run"]],
            cwd=runner,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc2.returncode == 0, proc2.stdout + proc2.stderr
        live = [a["title"] for a in sb.published_articles() if not a["deleted"]]
    assert titles == ["借记卡年费减免通知"] and live == []
    record = read_records(origin)[POST]
    assert record.status == "retracted" and record.retraction and record.retraction["reason"] == reason

    # The archive workflow's build step, in a fresh full-history checkout (origin/wxpub-records included).
    archive = tmp_path / "archive-runner"
    git(tmp_path, "clone", "-q", str(origin), str(archive))
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "archive.yml").read_text(encoding="utf-8"))
    build = next(s for s in wf["jobs"]["build"]["steps"] if "wxpub archive build" in s.get("run", ""))
    proc3 = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", build["run"]],
        cwd=archive,
        env={**base, "PATH": env["PATH"], "HOME": env["HOME"], "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc3.returncode == 0, proc3.stdout + proc3.stderr
    upload = next(s for s in wf["jobs"]["build"]["steps"] if "upload-artifact" in s.get("uses", ""))
    site = archive / upload["with"]["path"]
    pages = "".join(p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*.html"))
    assert "借记卡年费减免通知" in pages
    assert PUSH_TOKEN not in pages and SECRET not in pages
    # The records reached origin through the authenticated HTTP push...
    assert srv.unauthorised >= 1 and srv.authorised >= 2
    # ...and nothing on the runner's disk holds the token or the secret.
    config = (runner / ".git" / "config").read_text(encoding="utf-8")
    assert PUSH_TOKEN not in config and "extraheader" not in config
    for text in (proc.stdout, proc.stderr, proc2.stdout, proc2.stderr):
        assert PUSH_TOKEN not in text and SECRET not in text


def test_without_the_token_the_push_is_refused(origin: Path, tmp_path: Path) -> None:
    """The server really authenticates: a plain git push from the runner checkout is refused."""
    with GitHttpServer(origin.parent, PUSH_TOKEN) as srv:
        runner = tmp_path / "runner"
        git(tmp_path, "clone", "-q", str(origin), str(runner))
        git(runner, "remote", "set-url", "origin", f"{srv.url}/wechat.git")
        proc = subprocess.run(
            ["git", "push", "origin", "main:refs/heads/elsewhere"],
            cwd=runner,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "HOME": str(tmp_path / "home")},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode != 0
    assert srv.authorised == 0
