"""The JSON report is exactly what `json.dumps(doc, ensure_ascii=False, indent=2)` writes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import report
from pipeline.findings import Finding, Severity

CHARS = ['"', "\\", "\n", "\t", "\x00", "\x1f", "\u2028", "中", "a", " ", "/", "é", "😀"]
TEXT = st.text(alphabet=st.sampled_from(CHARS))


def reference(findings: list[Finding], posts: int) -> str:
    doc = {
        "version": report.JSON_SCHEMA_VERSION,
        "tool": {"name": "wxpub", "version": report.__version__},
        "findings": [f.to_dict() for f in findings],
        "summary": report.summary(findings, posts),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.builds(
            Finding,
            path=TEXT,
            line=st.integers(0, 10**6),
            column=st.integers(0, 10**4),
            end_column=st.integers(0, 10**4),
            rule=TEXT,
            article=TEXT,
            severity=st.sampled_from(list(Severity)),
            message=TEXT,
            match=TEXT,
            hint=TEXT,
        ),
        max_size=5,
    ),
    st.integers(0, 10**5),
)
def test_same_bytes_as_json_dumps(findings: list[Finding], posts: int) -> None:
    assert report.to_json(findings, posts) == reference(findings, posts)


def test_a_value_json_writes_differently_falls_back_to_json() -> None:
    """Only flat strings, integers and null are written by hand; anything else goes through json."""
    item = {"path": "p", "where": [1, {"a": None}], "ok": True, "x": 0.5}
    whole = json.dumps({"k": [item, item]}, ensure_ascii=False, indent=2)
    assert whole == '{\n  "k": [\n' + ",\n".join([report._json_item(item)] * 2) + "\n  ]\n}"
