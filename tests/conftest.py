"""Shared fixtures: real temporary repositories built from dicts, valid covers, a frozen clock."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from PIL import Image

if TYPE_CHECKING:
    from pipeline.findings import Finding

PROJECT = Path(__file__).resolve().parents[1]
TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """wxpub speaks Chinese by default; the tests written against its English keep their meaning: every
    test starts in English, and so do the commands it runs in subprocesses (WXPUB_LANG, and LANGUAGE for
    those that get a filtered environment). A test of the Chinese output opts in: `--lang zh_CN`, or
    `set_language("zh_CN")` (see tests/test_i18n_output.py)."""
    from pipeline.i18n import set_language

    monkeypatch.setenv("WXPUB_LANG", "en")
    monkeypatch.setenv("LANGUAGE", "en")
    set_language("en")


def cover_bytes(fmt: str = "JPEG", size: tuple[int, int] = (900, 383)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (24, 96, 160)).save(buf, format=fmt)
    return buf.getvalue()


def front_matter(**overrides: object) -> dict[str, object]:
    """Valid front matter for a product post due 2026-12-05 10:00 +08:00; overrides win (None removes)."""
    meta: dict[str, object] = {
        "title": "借记卡年费减免通知",
        "author": "个人金融部",
        "unit": "个人金融部",
        "category": "product",
        "publish_at": dt.datetime(2026, 12, 5, 10, 0, tzinfo=TZ),
        "digest": "即日起，本行借记卡免收年费和小额账户管理费。",
        "cover": "cover.jpg",
        "products": ["card"],
    }
    for k, v in overrides.items():
        if v is None:
            meta.pop(k, None)
        else:
            meta[k] = v
    return meta


def post_text(body: str = "即日起，本行借记卡免收年费。详情请咨询客服热线96588。\n", **overrides: object) -> str:
    meta = front_matter(**overrides)
    fm = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    return f"---\n{fm}---\n\n{body}"


TEAMS = {
    "compliance": "xxbank/compliance",
    "ebanking": "xxbank/ebanking",
    "leadership": "xxbank/leadership",
    "urgent": "xxbank/leadership",
    "technology": "xxbank/technology",
}


def check_body(
    make_repo: Callable[..., Path], body: str, files: dict[str, bytes] | None = None, **front: object
) -> list[Finding]:
    """The findings of one post with this body, checked as `wxpub check` does in a fresh repository: front-matter
    overrides in `front`, extra files beside it in `files`, an original cover unless `sources` says otherwise."""
    from pipeline.check import CheckContext, check_folders
    from pipeline.policy import load_policy
    from pipeline.repo import post_folders

    front.setdefault("sources", [{"file": "cover.jpg", "source": "original"}])
    spec: dict[str, object] = {"index.md": post_text(body, **front), "cover.jpg": cover_bytes(), **(files or {})}
    root = make_repo({"2026/12-05-case": spec}, commit=False)
    ctx = CheckContext(root=root, policy=load_policy(root), now=NOW)
    return check_folders(post_folders(root), ctx, jobs=1).findings


def policy_with_teams(text: str | None = None) -> str:
    """The shipped policy with a team beside the users of every role (as a bank with an org-read token has)."""
    import re

    text = text if text is not None else (PROJECT / "policy" / "policy.yml").read_text(encoding="utf-8")
    for role, team in TEAMS.items():
        text, n = re.subn(rf"^(  {role}: {{users: \[[^\]]*\])}}$", rf"\1, teams: [{team}]}}", text, flags=re.M)
        assert n == 1, role
    return text


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    import os

    full_env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Editor",
        "GIT_AUTHOR_EMAIL": "editor@bank.example",
        "GIT_COMMITTER_NAME": "Editor",
        "GIT_COMMITTER_EMAIL": "editor@bank.example",
        **(env or {}),
    }
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=full_env).stdout


def write_post(
    root: Path, post_id: str, text: str | bytes, files: dict[str, bytes] | None = None, cover: bool = True
) -> Path:
    folder = root / "posts" / post_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.md").write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    if cover:
        (folder / "cover.jpg").write_bytes(cover_bytes())
    for name, data in (files or {}).items():
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """Build a real git repository with the project's policy and the given posts, committed on main.

    `make_repo({"2026/12-05-card": post_text()})`; values may be str/bytes (index.md) or a dict
    `{"index.md": ..., "cover.jpg": ..., ...}` for full control. `teams=True` adds a team to every role.
    """

    def build(
        posts: dict[str, object] | None = None, *, commit: bool = True, policy: str | None = None, teams: bool = False
    ) -> Path:
        root = tmp_path / "repo"
        root.mkdir(exist_ok=True)
        shutil.copytree(PROJECT / "policy", root / "policy", dirs_exist_ok=True)
        if teams:
            policy = policy_with_teams(policy)
        if policy is not None:
            (root / "policy" / "policy.yml").write_text(policy, encoding="utf-8")
        for post_id, spec in (posts or {}).items():
            if isinstance(spec, dict):
                folder = root / "posts" / post_id
                folder.mkdir(parents=True, exist_ok=True)
                for name, data in spec.items():
                    (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)
            else:
                write_post(root, post_id, spec)  # type: ignore[arg-type]
        if commit:
            git(root, "init", "-q", "-b", "main")
            git(root, "add", "-A")
            git(root, "commit", "-q", "-m", "initial")
        return root

    return build


@pytest.fixture
def now() -> dt.datetime:
    return NOW


def sigint_burst(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C again and again over ~200 ms until the process is gone (a person pressing it impatiently)."""
    import signal
    import time

    for _ in range(40):
        try:
            proc.send_signal(signal.SIGINT)
        except ProcessLookupError:
            break
        time.sleep(0.005)
        if proc.poll() is not None:
            break


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests skip without Debian's chromium, except where WXPUB_REQUIRE_BROWSER demands them (CI)."""
    import os

    if Path("/usr/bin/chromium").exists() or os.environ.get("WXPUB_REQUIRE_BROWSER"):
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
