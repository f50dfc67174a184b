"""The scanning engine and its edges: line/column mapping, normalisation, lexicon files, exceptions, JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from conftest import NOW, PROJECT, cover_bytes, post_text

from pipeline.check import CheckContext, check_folders
from pipeline.checks.lexicon import parse_line, read_lexicons
from pipeline.checks.text import Unit, make_view, normalise
from pipeline.cli import main
from pipeline.errors import PolicyError
from pipeline.findings import Finding, Severity
from pipeline.policy import load_policy
from pipeline.repo import post_folders

ORIGINAL = [{"file": "cover.jpg", "source": "original"}]

INDEX = """---
title: 全市最佳借记卡
author: 个人金融部
unit: 个人金融部
category: product
publish_at: 2026-12-05T10:00:00+08:00
cover: cover.jpg
products: [card]
sources: [{file: cover.jpg, source: original}]
---

借记卡，最好。
⑴⑵赌*博，全角１００％。
```
全市第一
```
"""


def check(root: Path) -> list[Finding]:
    ctx = CheckContext(root=root, policy=load_policy(root), now=NOW)
    return check_folders(post_folders(root), ctx, jobs=1).findings


def one(make_repo: Callable[..., Path], index: str, extra: dict[str, object] | None = None) -> list[Finding]:
    root = make_repo(
        {"2026/12-05-case": {"index.md": index, "cover.jpg": cover_bytes(), **(extra or {})}}, commit=False
    )
    return check(root)


def test_line_and_column_map_back_to_index_md(make_repo: Callable[..., Path]) -> None:
    findings = one(make_repo, INDEX)
    by = {(f.rule, f.match): f for f in findings}
    title = by[("adlaw/absolute-term", "最佳")]
    assert (title.line, title.column, title.end_column) == (2, 10, 12)
    body = by[("adlaw/absolute-term", "最好")]
    assert (body.line, body.column, body.end_column) == (12, 5, 7)
    evasion = by[("forbidden/vice", "赌*博")]
    assert (evasion.line, evasion.column, evasion.end_column) == (13, 3, 6)
    wide = by[("adlaw/absolute-term", "１００％")]
    assert (wide.line, wide.column) == (13, 9)
    code = [f for f in findings if f.match == "全市第一"]  # inside a fenced code block: published, quoted text
    assert [(f.rule, f.severity, f.line) for f in code] == [("adlaw/absolute-term", Severity.REVIEW, 15)]


def test_normalise_folds_width_script_case_and_separators() -> None:
    assert normalise("賭·博") == "赌博"
    assert normalise("赌 * 博") == "赌博"
    assert normalise("ＡＢＣ１２３") == "abc123"
    assert normalise("㈠①") == "(一)1"
    assert normalise("a b") == "a b"  # only separators between CJK characters go
    assert normalise("赌\n\n博") == "赌\n\n博"  # a paragraph break is not a separator
    assert normalise("赌——博") == normalise("赌\u200b博") == normalise("赌－博") == "赌博"
    assert normalise("2026—2027年") == "2026—2027年"  # dashes are dropped only between two CJK characters
    assert normalise("A—B，3－5") == "a—b,3-5"


def test_view_offsets_survive_expansion_and_joins() -> None:
    unit = Unit("body", "⑴x賭 · 博y", 1)
    view = make_view(unit, (), join=True)
    assert view.text == "(1)x赌博y"
    s = view.text.index("赌博")
    m = view.match(s, s + 2)
    assert m.text == "賭 · 博"
    assert (m.line, m.column) == (1, 3)


def test_lexicon_line_format() -> None:
    assert parse_line("# comment", "f:1") is None
    assert parse_line("   ", "f:2") is None
    assert parse_line("第一 !第一季度 !第一次", "f:3") == ("第一", ("第一季度", "第一次"))
    assert parse_line("赌博  # why", "f:4") == ("赌博", ())
    with pytest.raises(PolicyError, match="f:5"):
        parse_line("第一 第一季度", "f:5")


def test_shipped_lexicons_parse_and_document_their_format() -> None:
    lex = read_lexicons(PROJECT / "policy" / "lexicons", PROJECT)
    assert all(lex.terms[name] for name in ("forbidden-vice", "adlaw-absolute", "secret-markers"))
    for path in (PROJECT / "policy" / "lexicons").glob("*.txt"):
        assert "# Format:" in path.read_text(encoding="utf-8"), path


def test_bank_extends_a_lexicon_without_code(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"2026/12-05-case": post_text("借记卡免年费，来玩老虎機。", sources=ORIGINAL)}, commit=False)
    assert not [f for f in check(root) if f.rule == "forbidden/vice"]
    (root / "policy" / "lexicons" / "forbidden-vice+bank.txt").write_text("# 本行补充\n老虎机\n", encoding="utf-8")
    hits = [f for f in check(root) if f.rule == "forbidden/vice"]
    assert [h.match for h in hits] == ["老虎機"]


def test_unknown_lexicon_file_and_bad_line_are_policy_errors(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"2026/12-05-case": post_text(sources=ORIGINAL)}, commit=False)
    bad = root / "policy" / "lexicons" / "forbiden-vice.txt"
    bad.write_text("赌场\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="forbiden-vice"):
        check(root)
    bad.unlink()
    (root / "policy" / "lexicons" / "forbidden-vice+x.txt").write_text("赌场 远离赌场\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"forbidden-vice\+x.txt:1"):
        check(root)


def test_inline_exception_used_and_reported(make_repo: Callable[..., Path]) -> None:
    body = '<!-- wxpub: allow forbidden/vice "赌博" reason="反赌博宣传，引用公安机关通报" -->\n网上赌博平台都是骗局。\n'
    text = post_text(body, sources=ORIGINAL)
    findings = one(make_repo, text)
    assert not [f for f in findings if f.rule == "forbidden/vice"]
    used = [f for f in findings if f.rule == "exception/used"]
    assert len(used) == 1 and used[0].severity is Severity.INFO
    assert "反赌博宣传" in used[0].message and used[0].match == "赌博"
    line = next(i for i, t in enumerate(text.split("\n"), 1) if t.startswith("网上赌博"))
    assert (used[0].line, used[0].column) == (line, 3)  # where the excepted text is, not the comment


def test_inline_exception_without_reason_is_error_and_not_applied(make_repo: Callable[..., Path]) -> None:
    body = '<!-- wxpub: allow forbidden/vice "赌博" -->\n网上赌博平台都是骗局。\n'
    findings = one(make_repo, post_text(body, sources=ORIGINAL))
    rules = {f.rule for f in findings}
    assert {"exception/no-reason", "forbidden/vice"} <= rules
    assert "exception/used" not in rules


def test_front_matter_exception_family_and_unused(make_repo: Callable[..., Path]) -> None:
    allow = [
        {"rule": "forbidden/*", "match": "赌博", "reason": "反赌博宣传"},
        {"rule": "adlaw/absolute-term", "match": "唯一", "reason": "不再使用"},
    ]
    findings = one(make_repo, post_text("网上赌博平台都是骗局。\n", sources=ORIGINAL, allow=allow))
    assert sorted(f.rule for f in findings if f.rule.startswith(("forbidden/", "exception/"))) == [
        "exception/unused",
        "exception/used",
    ]
    unused = next(f for f in findings if f.rule == "exception/unused")
    assert unused.severity is Severity.REVIEW and "唯一" in unused.message


def test_schema_rules_cannot_be_excepted(make_repo: Callable[..., Path]) -> None:
    allow = [{"rule": "schema/cover", "match": "", "reason": "赶时间"}]
    findings = one(make_repo, post_text(sources=ORIGINAL, allow=allow))
    assert [f.rule for f in findings if f.rule.startswith("exception/")] == ["exception/unknown-rule"]


def test_json_output_validates_against_documented_schema(
    make_repo: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({"2026/12-05-case": post_text("全市最好的借记卡，联系13812345678。", sources=ORIGINAL)})
    code = main(["check", "--root", str(root), "--format", "json", "--now", NOW.isoformat()])
    doc = json.loads(capsys.readouterr().out)
    schema = json.loads((PROJECT / "pipeline" / "schemas" / "findings.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)
    assert code == 1
    assert {"adlaw/absolute-term", "pii/mobile"} <= {f["rule"] for f in doc["findings"]}


def test_traditional_and_full_width_terms_in_a_lexicon_file(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {"2026/12-05-case": post_text("借记卡免年费，不去赌场，不买ＶＩＰ彩票。", sources=ORIGINAL)}, commit=False
    )
    (root / "policy" / "lexicons" / "forbidden-vice+bank.txt").write_text("賭場\nvip彩票\n", encoding="utf-8")
    hits = sorted(f.match for f in check(root) if f.rule == "forbidden/vice")
    assert hits == sorted(["ＶＩＰ彩票", "赌场"])


def test_image_size_reads_headers_without_pillow(tmp_path: Path) -> None:
    from pipeline.checks.wechat import image_size

    for fmt, size in (("JPEG", (900, 383)), ("PNG", (640, 480))):
        path = tmp_path / f"x.{fmt.lower()}"
        path.write_bytes(cover_bytes(fmt, size))
        assert image_size(path) == size


def test_no_match_spans_two_units_and_digest_is_located(make_repo: Callable[..., Path]) -> None:
    text = post_text(
        "好用的借记卡。\n", title="借记卡年费减免最", digest="即日起免年费，据传还有礼品。", sources=ORIGINAL
    )
    findings = one(make_repo, text)
    assert not [f for f in findings if f.rule == "adlaw/absolute-term"]
    news = next(f for f in findings if f.rule == "forbidden/unverified-news")
    line = next(i for i, t in enumerate(text.split("\n"), 1) if t.startswith("digest:"))
    assert (news.line, news.column) == (line, len("digest: 即日起免年费，") + 1)
    assert "digest" in news.message


CODE_BODY = """正文<!-- 注释里的赌博 -->开始。

行内 `代开发票` 与 `全市第一`。

```
内部资料
全市最佳
赌博
```
"""


def test_published_code_is_scanned_at_rule_severity_and_comments_are_dropped(make_repo: Callable[..., Path]) -> None:
    from pipeline.post import load_post
    from pipeline.render import render_post

    text = post_text(CODE_BODY, sources=ORIGINAL)
    root = make_repo({"2026/12-05-case": text}, commit=False)
    findings = check(root)
    sev = {(f.rule, f.match): f.severity for f in findings}
    assert sev[("forbidden/illegal", "代开发票")] is Severity.ERROR  # inline code: ordinary text
    assert sev[("adlaw/absolute-term", "全市第一")] is Severity.ERROR  # the ranking, 全市 included
    assert sev[("secret/marker", "内部资料")] is Severity.ERROR  # fenced: the rule's own severity
    assert sev[("forbidden/vice", "赌博")] is Severity.ERROR
    assert sev[("adlaw/absolute-term", "最佳")] is Severity.REVIEW  # quoted in a fenced block
    vice = [f for f in findings if f.rule == "forbidden/vice"]
    assert [f.line for f in vice] == [text.split("\n").index("赌博") + 1]  # not the 赌博 in the comment
    # the scope follows the renderer: comments dropped, inline and fenced code shown
    policy = load_policy(root)
    post, _ = load_post(root / "posts" / "2026" / "12-05-case", root, policy)
    html = render_post(post, root, policy).html
    assert "注释里的赌博" not in html
    assert all(word in html for word in ("代开发票", "全市第一", "内部资料", "全市最佳"))


def test_checker_is_type_clean(tmp_path: Path) -> None:
    """mypy over pipeline/checks (the project's mypy settings), so a type slip fails CI, not only review."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy"), "pipeline/checks"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
