"""The README's first command, end to end: the demo runs every step and leaves a consistent result."""

from __future__ import annotations

import subprocess

import pytest
from conftest import PROJECT

from pipeline.demo import run_demo
from pipeline.ledger import read_records


@pytest.mark.slow
def test_demo_runs_the_whole_flow(tmp_path) -> None:
    lines: list[str] = []
    result = run_demo(PROJECT, workdir=tmp_path / "demo", out=lines.append, site_port=None)
    text = "\n".join(lines)
    assert result.ok, text
    assert [code for _, code, _ in result.steps] == [0] * 8
    posts = sorted(p.parent.relative_to(PROJECT / "posts").as_posix() for p in (PROJECT / "posts").rglob("index.md"))
    broadcasts = 1  # 2026/12-22-inclusive-farmer-loan is delivered as a mass send
    # exactly once: one article per published post, one mass send per broadcast post, after three runs
    assert len(result.articles) == len(posts) - broadcasts
    assert len({a["title"] for a in result.articles}) == len(result.articles)
    assert len(result.mass_sends) == broadcasts
    # the first run (12 December) sends only what is due by then
    assert "3 due: 3 published; 6 scheduled later" in text
    assert "0 due; 0 scheduled later; 9 published before" in text
    repo = result.workdir / "repo"
    records = read_records(repo)
    assert sorted(records) == posts
    assert {r.status for r in records.values()} == {"published"}
    assert all(r.approvers for r in records.values())
    form = subprocess.run(
        ["git", "show", f"wxpub-records:records/{posts[0]}.form.md"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "信息发布审批表" in form
    site = result.site
    assert (site / "index.html").is_file()
    assert (site / "pagefind").is_dir()
    # the demo never writes into the project itself
    status = subprocess.run(
        ["git", "status", "--porcelain", "--", "posts", "policy"], cwd=PROJECT, capture_output=True, text=True
    ).stdout
    assert status == ""
