"""Output formats are views of the same findings: JSON against its schema, GitHub escaping, SARIF."""

from __future__ import annotations

import json

import jsonschema
from conftest import PROJECT

from pipeline import report
from pipeline.findings import Finding, Severity

SCHEMA = json.loads((PROJECT / "pipeline" / "schemas" / "findings.schema.json").read_text(encoding="utf-8"))


def f(**kw: object) -> Finding:
    base = dict(
        path="posts/2026/12-05-x/index.md",
        line=3,
        column=5,
        end_column=7,
        rule="forbidden/gambling",
        article="14.5",
        severity=Severity.ERROR,
        message="赌博: forbidden",
        match="赌博",
        hint="",
    )
    base.update(kw)
    return Finding(**base)  # type: ignore[arg-type]


def test_json_validates_against_documented_schema() -> None:
    doc = json.loads(report.to_json([f(), f(severity=Severity.REVIEW, rule="forbidden/rumour")], posts=2))
    jsonschema.validate(doc, SCHEMA)
    assert doc["summary"] == {"posts": 2, "errors": 1, "reviews": 1, "infos": 0, "files": 1}


def test_json_schema_rejects_a_malformed_document() -> None:
    doc = json.loads(report.to_json([f()], posts=1))
    doc["findings"][0]["severity"] = "fatal"
    try:
        jsonschema.validate(doc, SCHEMA)
    except jsonschema.ValidationError:
        return
    raise AssertionError("schema accepted an unknown severity")


def test_github_annotations_escape_properties_and_data() -> None:
    out = report.to_github([f(path="posts/a,b:c/index.md", message="50% off\nnext line")])
    assert out.startswith("::error file=posts/a%2Cb%3Ac/index.md,line=3,col=5,endColumn=7,")
    assert out.endswith("::50%25 off%0Anext line")
    assert "title=forbidden/gambling (Art. 14.5)" in out


def test_review_is_a_warning_and_info_a_notice() -> None:
    out = report.to_github([f(severity=Severity.REVIEW), f(severity=Severity.INFO, line=4)]).split("\n")
    assert out[0].startswith("::warning ") and out[1].startswith("::notice ")


def test_step_summary_is_appended(tmp_path, monkeypatch) -> None:
    target = tmp_path / "summary.md"
    target.write_text("before\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    report.append_step_summary(report.to_markdown([f(message="a|b")], posts=1))
    text = target.read_text(encoding="utf-8")
    assert text.startswith("before\n### wxpub check")
    assert "a\\|b" in text and "**1 error(s)**" in text


def test_sarif_has_rules_and_utf16_columns(tmp_path) -> None:
    path = tmp_path / "posts" / "index.md"
    path.parent.mkdir()
    path.write_text("a\nb\n𠀀赌博\n", encoding="utf-8")  # U+20000 is two UTF-16 code units
    doc = json.loads(report.to_sarif([f(path="posts/index.md", column=2, end_column=4)], root=tmp_path))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "schema/unit" in ids
    region = run["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 3, "endColumn": 5}
    assert run["results"][0]["level"] == "error"
    assert run["results"][0]["partialFingerprints"]


def test_text_groups_by_file() -> None:
    out = report.to_text([f(), f(line=9)], posts=1)
    lines = out.split("\n")
    assert lines[0] == "posts/2026/12-05-x/index.md"
    assert lines[1].startswith("  posts/2026/12-05-x/index.md:3:5: error [forbidden/gambling]")
    assert lines[-1] == "1 post(s) checked: 2 error(s), 0 for review, 0 info"
