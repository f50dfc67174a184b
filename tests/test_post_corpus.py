"""The bad-input corpus: every broken post yields its finding at the right line, no traceback, exit 1,
and the run goes on to the other posts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import NOW, PROJECT

from pipeline.check import CheckContext, check_folders
from pipeline.policy import load_policy

CORPUS = PROJECT / "tests" / "fixtures" / "bad-posts"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir())


def install(case: Path, root: Path) -> Path:
    slug = case.name.split("-", 1)[1]
    folder = root / "posts" / "2026" / f"12-05-{slug}"
    shutil.copytree(case, folder, symlinks=True)
    (folder / "expected.yml").unlink()
    spec = yaml.safe_load((case / "expected.yml").read_text(encoding="utf-8"))
    if spec.get("generate_size"):
        filler = "即日起本行借记卡免收年费。\n" * (spec["generate_size"] // 39 + 1)
        (folder / "index.md").write_text("---\ntitle: 大文件\n---\n" + filler, encoding="utf-8")
    return folder


@pytest.fixture
def corpus_repo(make_repo) -> Path:
    root = make_repo({}, commit=False)
    for case in CASES:
        install(case, root)
    return root


def test_corpus_has_at_least_25_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_broken_post_has_its_finding(case: Path, make_repo) -> None:
    root = make_repo({}, commit=False)
    folder = install(case, root)
    ctx = CheckContext(root=root, policy=load_policy(root), now=NOW)
    result = check_folders([folder], ctx, jobs=1)
    expect = yaml.safe_load((case / "expected.yml").read_text(encoding="utf-8"))["expect"]
    schema = [f for f in result.findings if f.rule.startswith(("schema/", "wechat/"))]
    if expect is None:
        assert schema == [], [f"{f.line}: {f.rule} {f.message}" for f in schema]
        return
    hits = [f for f in schema if f.rule == expect["rule"]]
    assert hits, f"expected {expect['rule']}, got {[(f.rule, f.line, f.message) for f in schema]}"
    assert hits[0].line == expect["line"], (hits[0].line, hits[0].message)
    assert hits[0].message and "Traceback" not in hits[0].message


def test_cli_checks_every_post_and_exits_1_without_traceback(corpus_repo: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "check",
            "--root",
            str(corpus_repo),
            "--format",
            "json",
            "--now",
            NOW.isoformat(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["summary"]["posts"] == len(CASES)
    flagged = {f["path"].split("/")[2] for f in doc["findings"] if f["severity"] == "error"}
    broken = {f"12-05-{c.name.split('-', 1)[1]}" for c in CASES if "crlf" not in c.name}
    assert broken <= flagged, broken - flagged


def test_text_output_names_path_and_line(corpus_repo: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "check",
            "--root",
            str(corpus_repo),
            str(corpus_repo / "posts/2026/12-05-unknown-unit"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "posts/2026/12-05-unknown-unit/index.md:4:" in proc.stdout
    assert "外星分行" in proc.stdout
