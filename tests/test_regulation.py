"""docs/regulation.md and the code agree (issue 10): every article has a control or is organisational,
every rule's article is in the document, every rule id the document names exists.

The audit (`pipeline.regulation.audit_document`) runs on the real document and registry (no problem
allowed), and on deliberately broken documents and rules (each problem must be reported).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline import regulation
from pipeline.findings import Rule, Severity, all_rules
from pipeline.regulation import ARTICLE_NUMBERS, ARTICLES, article_of, audit_document, by_article, parse_document

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "regulation.md"


def rule(rule_id: str, article: str) -> Rule:
    return Rule(rule_id, rule_id, article, Severity.ERROR, f"summary of {rule_id}", instead="write it so")


@pytest.fixture(scope="module")
def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


# -- the real document against the real registry -----------------------------------------------


def test_document_agrees_with_the_rule_registry(doc_text: str) -> None:
    problems = audit_document(doc_text, all_rules())
    assert problems == [], "\n".join(["run: python -m pipeline.regulation --write", *problems])


def test_the_tests_the_document_cites_exist(doc_text: str) -> None:
    problems = [p for p in audit_document(doc_text, all_rules(), ROOT) if "matches no test file" in p]
    assert problems == []


def test_every_article_of_the_regulation_is_covered(doc_text: str) -> None:
    sections = parse_document(doc_text)
    assert list(sections) == list(ARTICLE_NUMBERS)
    for number, sec in sections.items():
        assert sec.rows or sec.status == "organisational", number


def test_every_rule_is_filed_under_an_article() -> None:
    unfiled = [f"{r.id} ({r.article})" for r in regulation.unfiled(all_rules())]
    assert unfiled == [], "file these laws in pipeline.regulation.LAW_FILING"


def test_every_rule_says_what_a_compliant_rewrite_looks_like_and_quotes_chinese() -> None:
    for r in all_rules():
        assert r.instead.strip(), f"{r.id}: no `instead` (what a compliant rewrite looks like)"
        if re.fullmatch(r"\d+(\.\d+)?", r.article):
            assert re.search(r"[\u4e00-\u9fff]", regulation.quote_for(r)), f"{r.id}: no Chinese requirement"


def test_the_articles_list_is_the_regulation() -> None:
    assert tuple(a.number for a in ARTICLES) == ARTICLE_NUMBERS
    assert len(ARTICLES) == 23
    for a in ARTICLES:
        assert re.search(r"[\u4e00-\u9fff]", a.quote) and a.summary and a.title, a.number
        assert a.controls or a.organisational, a.number
        for c in a.controls:
            assert c.kind in regulation.CONTROL_KINDS, (a.number, c)
    # Key requirements appear in the quotes as the regulation words them.
    quotes = {a.number: a.quote for a in ARTICLES}
    assert "提前1周" in quotes["15"] and "提前3个工作日" in quotes["20"] and "合规部" in quotes["8"]


# -- the pieces --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("14.5", "14"),
        ("14", "14"),
        ("14(7)", "14"),
        ("Art. 20", "20"),
        ("15", "15"),
        ("AdLaw 9.3", "14"),
        ("PBOC 316", "14"),
        ("PIPL 28", "17"),
        ("WeChat", "2"),
        ("Schema", "Annex 1"),
        ("Annex 1", "Annex 1"),
        ("23", None),
        ("0", None),
        ("GDPR 5", None),
        ("", None),
    ],
)
def test_article_of(reference: str, expected: str | None) -> None:
    assert article_of(reference) == expected


def test_by_article_joins_rules_to_their_articles() -> None:
    rules = [rule("forbidden/x", "14.5"), rule("adlaw/y", "AdLaw 9.3"), rule("pii/z", "PIPL 28"), rule("s/q", "Schema")]
    entries = {e.number: e for e in by_article(rules)}
    assert list(entries) == list(ARTICLE_NUMBERS)
    assert entries["14"].rule_ids == ("adlaw/y", "forbidden/x")
    assert entries["17"].rule_ids == ("pii/z",)
    assert entries["Annex 1"].rule_ids == ("s/q",)
    assert entries["1"].rule_ids == () and entries["1"].organisational
    assert entries["14"].quote.startswith("禁止发布以下内容")
    assert "tests/test_checks*.py" in entries["14"].tests
    assert any(c.name == "approval.sequential" for c in entries["15"].controls)


def test_markdown_round_trips_through_the_parser() -> None:
    rules = [rule("forbidden/x", "14.5"), rule("leadtime/y", "20")]
    text = regulation.to_markdown(by_article(rules))
    sections = parse_document(text)
    assert sections["14"].rule_ids == ["forbidden/x"]
    assert sections["20"].rule_ids == ["leadtime/y"]
    assert sections["1"].status == "organisational" and sections["14"].status == "enforced"
    assert audit_document(text, rules) == []
    assert "Art. 14" in regulation.to_text(by_article(rules))


def test_wxpub_rules_by_article_prints_the_mapping_from_the_registry() -> None:
    import json
    import subprocess
    import sys

    def rules_cli(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline", "rules", "--by-article", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    data = json.loads(rules_cli("--format", "json"))
    assert [a["article"] for a in data] == list(ARTICLE_NUMBERS)
    listed = {r["id"] for a in data for r in a["rules"]}
    assert listed == {r.id for r in all_rules()}
    assert audit_document(rules_cli("--format", "markdown"), all_rules()) == []
    assert "Art. 15" in rules_cli()


# -- every problem is caught -------------------------------------------------------------------

RULES = [rule("forbidden/x", "14.5"), rule("leadtime/y", "20")]


def good() -> str:
    return regulation.to_markdown(by_article(RULES))


def test_a_rule_whose_article_is_missing_from_the_document_is_caught() -> None:
    text = re.sub(r"## Art\. 20 .*?(?=## Art\. 21)", "", good(), flags=re.S)
    problems = audit_document(text, RULES)
    assert "Art. 20: no section in docs/regulation.md" in problems
    assert any("leadtime/y: names Art. 20" in p for p in problems)


def test_a_rule_missing_from_its_article_is_caught() -> None:
    problems = audit_document(good(), [*RULES, rule("forbidden/new", "14.2")])
    assert any("forbidden/new: not listed under 14" in p for p in problems)


def test_a_rule_id_that_does_not_exist_is_caught() -> None:
    problems = audit_document(good(), [RULES[1]])
    assert any("rule forbidden/x does not exist" in p for p in problems)


def test_a_rule_under_the_wrong_article_is_caught() -> None:
    problems = audit_document(good(), [rule("forbidden/x", "17"), RULES[1]])
    assert any("forbidden/x is listed under 14 but names 17" in p for p in problems)


def test_an_unfiled_law_is_caught() -> None:
    problems = audit_document(good(), [*RULES, rule("odd/z", "GDPR 5")])
    assert any("odd/z: article 'GDPR 5'" in p for p in problems)


def test_an_article_with_neither_control_nor_organisational_status_is_caught() -> None:
    text = good()
    start = text.index("## Art. 16 ")
    end = text.index("## Art. 17 ")
    bare = "## Art. 16 · 风险管理范围 · Risk\n\n> 风险管理\n\n**Status:** enforced\n\n"
    problems = audit_document(text[:start] + bare + text[end:], RULES)
    assert "Art. 16: neither a control nor an explicit organisational status" in problems


def test_a_cited_test_that_does_not_exist_is_caught(tmp_path: Path) -> None:
    problems = audit_document(good(), RULES, tmp_path)
    assert any("cites tests/test_checks*.py, which matches no test file" in p for p in problems)
