"""A run spread over worker processes finds exactly what a run in one process finds, edits after publication
included (the posts come back without their text; the edit rule reads it again)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import NOW, git, post_text, write_post
from test_leadtime_git import write_record

from pipeline import check
from pipeline.check import CheckContext, check_folders, full_post
from pipeline.policy import load_policy
from pipeline.repo import post_folders


def test_parallel_equals_serial(
    tmp_path: Path, make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    ids = [f"2026/12-{d:02d}-post" for d in range(5, 11)]
    root = make_repo({i: post_text(body=f"第{n}篇。本行服务最好。\n") for n, i in enumerate(ids)})
    published = git(root, "rev-parse", "HEAD").strip()
    records = tmp_path / "records"
    write_record(records, ids[0], publish_at="2026-12-05 10:00", commit_sha=published, delivery="publish")
    write_post(root, ids[0], post_text(body="第0篇。本行服务最好。\n改过的正文。\n"))  # edited after publication
    policy = load_policy(root)
    ctx = dict(root=root, policy=policy, now=NOW, options={"records_dir": str(records)})
    serial = check_folders(post_folders(root), CheckContext(**ctx), jobs=1)  # type: ignore[arg-type]
    monkeypatch.setattr(check, "PARALLEL_THRESHOLD", 2)
    monkeypatch.setattr(check, "CHUNK", 2)
    parallel = check_folders(post_folders(root), CheckContext(**ctx), jobs=2)  # type: ignore[arg-type]
    assert parallel.findings == serial.findings
    assert any(f.rule == "leadtime/edit-after-publication" and "the body" in f.message for f in parallel.findings)
    assert all(p.text == "" for p in parallel.posts) and all(p.text for p in serial.posts)
    assert full_post(parallel.posts[0], CheckContext(**ctx)).text == serial.posts[0].text  # type: ignore[arg-type]
