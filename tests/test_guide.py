"""docs/guide.zh.md tells the truth, as the README does: its commands, rule ids and exception example work."""

from __future__ import annotations

import re
import shlex

import yaml
from conftest import NOW, PROJECT, post_text, write_post
from test_i18n_output import english_runs

from pipeline.check import CheckContext, check_folders
from pipeline.cli import command_names, main
from pipeline.findings import all_rules
from pipeline.policy import load_policy

GUIDE = (PROJECT / "docs" / "guide.zh.md").read_text(encoding="utf-8")
RULE_ID = re.compile(
    r"\b((?:schema|wechat|forbidden|adlaw|finance|pii|secret|copyright|brand|leadtime|render|exception|approval)"
    r"/[a-z0-9-]+)"
)


def test_the_readme_links_the_guide_and_says_how_to_get_english() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert "(docs/guide.zh.md)" in readme
    assert "--lang en" in readme and "WXPUB_LANG=en" in readme


def test_the_guide_covers_what_the_issue_asks() -> None:
    for heading in ("写一篇稿件", "头信息", "图片和来源", "例外", "看懂检查结果", "审批", "提前期", "群发次数额度"):
        assert heading in GUIDE, heading
    assert "--lang en" in GUIDE


def test_its_rule_ids_exist() -> None:
    named = set(RULE_ID.findall(GUIDE))
    assert len(named) >= 10
    assert named - {r.id for r in all_rules()} == set()


def test_its_commands_exist() -> None:
    used = set(re.findall(r"wxpub (?:--lang \w+ )?([a-z]+)", GUIDE))
    assert {"new", "check", "preview", "rules", "form", "status", "leadtime", "schedule"} <= used
    assert used - set(command_names()) == set()


def test_its_shell_commands_run_on_the_samples(capsys, monkeypatch) -> None:
    """Every `.venv/bin/wxpub …` line of a sh block that only reads (not new, not --serve) runs, in Chinese."""
    monkeypatch.chdir(PROJECT)
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE, re.S)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    runs = [shlex.split(line)[1:] for line in lines if line.startswith(".venv/bin/wxpub")]
    ran = 0
    for args in runs:
        if args[0] == "new" or "--serve" in args:
            continue
        code = main(["--lang", "zh_CN", *args, "--now", "2026-12-01T09:00:00+08:00"])
        out = capsys.readouterr()
        assert code == 0, (args, out.err)
        assert english_runs(out.out + out.err) == [], args
        ran += 1
    assert ran >= 3


def test_its_exception_example_suppresses_the_finding(make_repo) -> None:
    example = re.search(r"```yaml\n(allow:\n.*?)```", GUIDE, re.S)
    assert example
    allow = yaml.safe_load(example.group(1))["allow"]
    body = "本行是全省第一家开通手机银行的农商银行，感谢您的支持。\n"
    root = make_repo({}, commit=False)
    sources = [{"file": "cover.jpg", "source": "original"}]
    bare = write_post(root, "2026/12-05-award", post_text(body=body, sources=sources))
    allowed = write_post(root, "2026/12-06-award", post_text(body=body, allow=allow, sources=sources))
    result = check_folders([bare, allowed], CheckContext(root=root, policy=load_policy(root), now=NOW), jobs=1)
    errors = {p: [f.rule for f in result.findings if p in f.path and f.severity.value == "error"] for p in ("05", "06")}
    assert errors["05"] == [allow[0]["rule"]]
    assert errors["06"] == []
    assert any(f.rule == "exception/used" and "12-06-award" in f.path for f in result.findings)
