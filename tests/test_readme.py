"""The README tells the truth: its rule ids exist, its exception example works, its commands exist."""

from __future__ import annotations

import re

import yaml
from conftest import NOW, PROJECT, post_text, write_post

from pipeline.check import CheckContext, check_folders
from pipeline.cli import command_names
from pipeline.findings import all_rules
from pipeline.policy import load_policy

README = (PROJECT / "README.md").read_text(encoding="utf-8")
RULE_ID = re.compile(
    r"\b((?:schema|wechat|forbidden|adlaw|finance|pii|secret|copyright|brand|leadtime|render|"
    r"exception|approval)/[a-z0-9-]+)"
)


def test_rule_ids_in_readme_and_docs_exist() -> None:
    known = {r.id for r in all_rules()}
    for doc in [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]:
        named = set(RULE_ID.findall(doc.read_text(encoding="utf-8")))
        assert named - known == set(), doc.name


def test_the_two_commands_come_first_and_exist() -> None:
    block = README.split("```")[1]
    assert "./scripts/demo.sh" in block and "./scripts/test.sh" in block
    assert (PROJECT / "scripts/demo.sh").is_file() and (PROJECT / "scripts/test.sh").is_file()
    assert "bash scripts/test.sh" in (PROJECT / ".ci/run").read_text(encoding="utf-8")


def test_wxpub_commands_in_readme_exist() -> None:
    used = set(re.findall(r"(?:`|/|^[ \t]*)wxpub ([a-z]+)", README, re.M))
    assert {"check", "new", "preview", "rules"} <= used
    assert used - set(command_names()) == set()


def test_readme_exception_example_suppresses_the_finding(make_repo) -> None:
    example = re.search(r"```yaml\n(allow:\n.*?)```", README, re.S)
    assert example
    allow = yaml.safe_load(example.group(1))["allow"]
    body = "本行是全省第一家开通手机银行的农商银行，感谢您的支持。\n"
    root = make_repo({}, commit=False)
    sources = [{"file": "cover.jpg", "source": "original"}]
    bare = write_post(root, "2026/12-05-award", post_text(body=body, sources=sources))
    allowed = write_post(root, "2026/12-06-award", post_text(body=body, allow=allow, sources=sources))
    ctx = CheckContext(root=root, policy=load_policy(root), now=NOW)
    result = check_folders([bare, allowed], ctx, jobs=1)
    by_path = {
        p: [f.rule for f in result.findings if p in f.path and f.severity.value == "error"]
        for p in ("12-05-award", "12-06-award")
    }
    assert by_path["12-05-award"] == [allow[0]["rule"]]
    assert by_path["12-06-award"] == []
    assert any(f.rule == "exception/used" and "12-06-award" in f.path for f in result.findings)
