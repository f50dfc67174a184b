"""The CLI: exit codes, --now, --changed-since on a real repository, `new`, `rules`, help everywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NOW, PROJECT, git, post_text, write_post

from pipeline.cli import build_parser, main


def wxpub(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_every_command_has_help() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"check", "rules", "new"} <= set(sub.choices)
    for name, p in sub.choices.items():
        assert p.description or p.format_help(), name
        assert sub._choices_actions and any(c.dest == name and c.help for c in sub._choices_actions), name


def test_usage_error_exits_2(capsys) -> None:
    assert main(["check", "--format", "yaml"]) == 2
    assert main(["no-such-command"]) == 2
    assert main([]) == 2


def test_bad_now_is_a_usage_error(make_repo) -> None:
    root = make_repo({"2026/12-05-card": post_text()})
    proc = wxpub("check", "--root", str(root), "--now", "tomorrow")
    assert proc.returncode == 2
    assert "--now 'tomorrow': expected ISO-8601" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_path_is_a_usage_error(make_repo) -> None:
    root = make_repo({})
    proc = wxpub("check", "--root", str(root), str(root / "posts/nowhere"))
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr


def test_outside_a_repository(tmp_path) -> None:
    proc = wxpub("check", cwd=tmp_path)
    assert proc.returncode == 2
    assert "no policy/policy.yml" in proc.stderr and "Traceback" not in proc.stderr


def test_broken_policy_exits_2_naming_the_key(make_repo) -> None:
    text = (PROJECT / "policy/policy.yml").read_text(encoding="utf-8").replace("per_day: 1", "per_dya: 1")
    root = make_repo({}, policy=text)
    proc = wxpub("check", "--root", str(root))
    assert proc.returncode == 2
    assert "broadcast.per_dya: unknown key" in proc.stderr


def test_changed_since_checks_only_the_changed_post(make_repo) -> None:
    root = make_repo({"2026/12-05-card": post_text(), "2026/12-06-other": post_text(title="另一篇")})
    git(root, "checkout", "-q", "-b", "feature")
    write_post(root, "2026/12-07-new", post_text(unit="外星分行"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "new post")
    proc = wxpub("check", "--root", str(root), "--changed-since", "main", "--format", "json", "--now", NOW.isoformat())
    doc = json.loads(proc.stdout)
    assert doc["summary"]["posts"] == 1
    assert {f["path"] for f in doc["findings"]} == {"posts/2026/12-07-new/index.md"}
    assert proc.returncode == 1
    # an uncommitted edit counts as changed too
    (root / "posts/2026/12-05-card/index.md").write_text(post_text(title="改过的标题"), encoding="utf-8")
    doc = json.loads(wxpub("check", "--root", str(root), "--changed-since", "main", "--format", "json").stdout)
    assert doc["summary"]["posts"] == 2


def test_changed_since_unknown_ref(make_repo) -> None:
    root = make_repo({"2026/12-05-card": post_text()})
    proc = wxpub("check", "--root", str(root), "--changed-since", "origin/nope")
    assert proc.returncode == 2 and "git cannot compare with 'origin/nope'" in proc.stderr


def test_new_creates_a_post_that_passes(make_repo) -> None:
    root = make_repo({})
    proc = wxpub(
        "new",
        "--root",
        str(root),
        "--title",
        "手机银行新版上线",
        "--unit",
        "电子银行部",
        "--category",
        "product",
        "--slug",
        "app-release",
        "--products",
        "payment",
        "--now",
        "2026-11-26T09:00:00+08:00",
    )
    assert proc.returncode == 0, proc.stderr
    folder = root / "posts/2026/12-04-app-release"
    assert (folder / "index.md").is_file() and (folder / "cover.jpg").is_file()
    check = wxpub("check", "--root", str(root), str(folder), "--format", "json", "--now", NOW.isoformat())
    errors = [x for x in json.loads(check.stdout)["findings"] if x["severity"] == "error"]
    assert errors == []
    again = wxpub(
        "new",
        "--root",
        str(root),
        "--title",
        "x",
        "--unit",
        "电子银行部",
        "--category",
        "product",
        "--slug",
        "app-release",
        "--publish-at",
        "2026-12-04T10:00:00+08:00",
    )
    assert again.returncode == 2 and "already exists" in again.stderr


def test_new_rejects_bad_values_without_prompting(make_repo) -> None:
    root = make_repo({})
    proc = wxpub(
        "new",
        "--root",
        str(root),
        "--title",
        "x",
        "--unit",
        "外星分行",
        "--category",
        "product",
        "--slug",
        "Not_A_Slug",
    )
    assert proc.returncode == 2
    assert "--unit '外星分行' is not in the policy" in proc.stderr and "--slug 'Not_A_Slug'" in proc.stderr
    missing = wxpub("new", "--root", str(root), "--title", "x")
    assert missing.returncode == 2 and "missing --category" in missing.stderr


def test_rules_lists_and_explains() -> None:
    listing = wxpub("rules")
    assert listing.returncode == 0 and "schema/unit" in listing.stdout
    one = wxpub("rules", "schema/category")
    assert one.returncode == 0 and "Art. 13" in one.stdout and "第十三条" in one.stdout
    rules = json.loads(wxpub("rules", "--format", "json").stdout)
    assert all(r["help"] and r["article"] and r["summary"] for r in rules)
    missing = wxpub("rules", "schema/nope")
    assert missing.returncode == 2


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_every_format_runs_on_the_samples(fmt: str, tmp_path) -> None:
    summary = tmp_path / "summary.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "check",
            "--root",
            str(PROJECT),
            "--format",
            fmt,
            "--now",
            "2026-11-26T09:00:00+08:00",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if fmt == "github":
        assert summary.read_text(encoding="utf-8").startswith("### wxpub check")


def test_text_check_in_process_under_capsys(capsys) -> None:
    post = str(PROJECT / "posts/2026/12-08-debit-card-fee-waiver")
    assert main(["check", "--root", str(PROJECT), post, "--now", "2026-11-26T09:00:00+08:00"]) == 0
    assert "1 post(s) checked: 0 error(s)" in capsys.readouterr().out


def test_every_rule_explains_its_requirement_in_chinese() -> None:
    from pipeline.commands.rules import explain
    from pipeline.findings import all_rules

    for rule in all_rules():
        text = explain(rule)
        assert "requirement: " in text, rule.id
        requirement = text.split("requirement: ", 1)[1].split("\n", 1)[0]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in requirement), rule.id
