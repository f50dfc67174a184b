"""The judgement corpus (tests/judgement): its files are well formed, and the pattern table's verdicts hold.

The pattern table says, row by row, what a compliance officer's verdict on a sentence is. Each row runs
through the real checker (benchmarks/judgement.py builds the post). Rows the checker gets wrong today are
listed in `XFAIL` below (none today), the one place to edit: strict, so a row that starts passing fails until its id
is removed from the set (the engine and finance work lands class by class).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def _load_benchmark() -> ModuleType:
    name = "judgement_benchmark"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PROJECT / "benchmarks" / "judgement.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


J = _load_benchmark()

# Minimums of the corpus (the issue's held-out corpus had 64 articles and 35 sentences).
MIN_ARTICLES = 50
MIN_VIOLATIONS = 40
MIN_PATTERNS = 100
ARTICLE_CHARS = (300, 1500)

# Pattern rows today's checker gets wrong (see the module doc). Remove an id when its row passes.
XFAIL: frozenset[str] = frozenset()  # every row passes since the frames, segmenter and finance work landed


# -- the corpus files ------------------------------------------------------------------------------------


def test_articles_are_well_formed() -> None:
    articles = J.load_articles()
    assert len(articles) >= MIN_ARTICLES
    lo, hi = ARTICLE_CHARS
    for a in articles:
        n = len(a.body.strip())
        assert lo <= n <= hi, f"{a.path.name}: body of {n} characters; an article has {lo}-{hi}"
        assert a.unit in {u.name for u in _policy().units}, f"{a.path.name}: unit {a.unit!r} is not in the policy"
    bodies = [a.body.strip() for a in articles]
    assert len(bodies) == len(set(bodies)), "two articles have the same body"


def test_violations_are_well_formed() -> None:
    rows = J.load_violations()
    assert len(rows) >= MIN_VIOLATIONS
    assert all(v.family in J.CONTENT_FAMILIES for v in rows)
    rule_ids = _rule_ids()
    for v in rows:
        assert v.expected in rule_ids or v.expected == v.family, f"{v.id}: expected rule {v.expected!r} is unknown"
        assert v.expected.split("/", 1)[0] == v.family, f"{v.id}: expected rule {v.expected!r} is not of {v.family}"


def test_patterns_are_well_formed() -> None:
    rows = J.load_patterns()
    assert len(rows) >= MIN_PATTERNS
    ids = [p.id for p in rows]
    assert len(ids) == len(set(ids)), "pattern ids repeat"
    assert set(XFAIL) <= set(ids), f"XFAIL names rows that do not exist: {sorted(set(XFAIL) - set(ids))}"
    by_polarity = {pol: sum(1 for p in rows if p.polarity == pol) for pol in J.POLARITIES}
    assert all(by_polarity.values()), f"every polarity needs rows: {by_polarity}"


def test_no_sentence_twice() -> None:
    sentences = [v.sentence for v in J.load_violations()] + [p.sentence for p in J.load_patterns()]
    seen: set[str] = set()
    twice = [s for s in sentences if s in seen or seen.add(s)]  # type: ignore[func-returns-value]
    assert not twice, f"sentences repeated across violations.tsv and patterns.tsv: {twice}"


HEADER = "family\texpected rule\tproducts\tsentence\taddress\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("family\texpected rule\tproducts\tsentence\n", "header must be the columns"),
        (HEADER + "adlaw\tadlaw\t-\t最佳\n", "4 cells, expected 5"),
        (HEADER + "adlaw\tadlaw\t-\t \thttps://a.example/\n", "is empty"),
        (HEADER + "adlaw\tadlaw\t-\t最佳\tnot-an-address\n", "not a public"),
        (HEADER + "adlaw\tadlaw\tstocks\t最佳\thttps://a.example/\n", "product"),
    ],
)
def test_a_broken_table_is_an_error_with_its_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "violations.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(J.CorpusError, match=message) as err:
        J.load_violations(path)
    assert "violations.tsv:" in str(err.value)


# -- the pattern table against the real checker -----------------------------------------------------------


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    yield J.Checker(tmp_path_factory.mktemp("judgement") / "repo")


def _params() -> list[object]:
    return [
        pytest.param(p, id=p.id, marks=[pytest.mark.xfail(strict=True, reason="known defect")] if p.id in XFAIL else [])
        for p in J.load_patterns()
    ]


@pytest.mark.parametrize("row", _params())
def test_pattern_verdict(checker: object, row: object) -> None:
    judged = checker.check_sentence(row.sentence, row.category, row.products, row.bare)  # type: ignore[attr-defined]
    assert not judged.other, f"harness problem: {judged.other}"
    got = J.verdict(judged.findings)
    shown = [(f.rule, str(f.severity), f.match) for f in judged.findings]
    assert J.accepts(row.verdict, got), f"{row.id}: expected {row.verdict}, got {got}: {shown}"  # type: ignore[attr-defined]


# -- the benchmark's arithmetic -------------------------------------------------------------------------------


def _tiny_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "judgement"
    (corpus / "approved").mkdir(parents=True)
    head = "---\nkind: k\nsource: https://a.example/\ntitle: 通知\nunit: 办公室\ncategory: {cat}\nproducts: []\n---\n"
    (corpus / "approved" / "a.md").write_text(head.format(cat="notice") + "本行营业时间调整为九点开门。\n", "utf-8")
    (corpus / "approved" / "b.md").write_text(head.format(cat="campaign") + "本行服务全市最佳。\n", "utf-8")
    (corpus / "violations.tsv").write_text(
        "family\texpected rule\tproducts\tsentence\taddress\n"
        "adlaw\tadlaw/absolute-term\t-\t本行利率全市第一。\thttps://a.example/\n"
        "adlaw\tadlaw/absolute-term\t-\t本行服务好得没话说。\thttps://a.example/\n",
        "utf-8",
    )
    (corpus / "patterns.tsv").write_text(
        "id\tpattern\tpolarity\tcontext\tsentence\tverdict\taddress\n"
        "p1\tranking\tpositive\tcampaign\t全市第一的服务。\terror\thttps://a.example/\n"
        "p2\tnone\tnegative\tnotice\t本行营业时间不变。\tclean\thttps://a.example/\n",
        "utf-8",
    )
    return corpus


def test_benchmark_counts_precision_recall_and_the_naive_baseline(tmp_path: Path) -> None:
    m = J.measure(_tiny_corpus(tmp_path))
    assert (m["approved"], m["error_free_articles"], m["precision"]) == (2, 1, 50.0)
    assert (m["violations"], m["flagged"], m["recall"]) == (2, 1, 50.0)
    assert m["naive"]["error_free_articles"] == 1 and m["naive"]["flagged"] == 1
    assert list(m["false_errors_by_rule"]) == ["adlaw/absolute-term"]
    assert [x["sentence"] for x in m["missed"]] == ["本行服务好得没话说。"]
    assert m["pattern_agreement"] == 100.0
    assert m["per_family"]["adlaw"]["recall"] == 50.0
    assert not m["harness_findings"]
    assert "precision (articles error-free)" in J.report(m, 5)


def test_benchmark_cli_json_and_a_broken_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    corpus = _tiny_corpus(tmp_path)
    assert J.main(["--json", "--corpus", str(corpus)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["precision"] == 50.0 and out["naive"]["recall"] == 50.0
    with (corpus / "violations.tsv").open("a", encoding="utf-8") as f:
        f.write("adlaw\tadlaw\t-\t最佳\n")
    assert J.main(["--corpus", str(corpus)]) == 2
    err = capsys.readouterr().err
    assert "violations.tsv:4: 4 cells, expected 5" in err and "Traceback" not in err


def test_a_demoted_review_is_no_flag() -> None:
    from pipeline.findings import get_rule

    err, rev = get_rule("adlaw/absolute-term"), get_rule("adlaw/unsourced-figure")
    assert err is not None and rev is not None
    assert J.counts_as_flag(err.finding("p", "m"))
    assert J.counts_as_flag(rev.finding("p", "m"))
    assert not J.counts_as_flag(err.finding("p", "m", severity=rev.severity))


# -- helpers ----------------------------------------------------------------------------------------------


def _policy() -> object:
    from pipeline.policy import load_policy

    return load_policy(PROJECT)


def _rule_ids() -> set[str]:
    from pipeline.findings import all_rules

    return {r.id for r in all_rules()}


def test_the_issue_targets_hold_on_the_development_corpus() -> None:
    """Issue 14's goals on our own corpus: >= 95% of approved-like articles without an `error`, >= 90% of
    violations flagged, and the checker well ahead of the naive substring baseline measured in the same run."""
    m = J.measure()
    assert not m["harness_findings"], m["harness_findings"]
    assert m["precision"] >= 95.0, (m["precision"], m["false_errors_by_rule"])
    assert m["recall"] >= 90.0, (m["recall"], m["missed"])
    naive = m["naive"]
    assert isinstance(naive, dict)
    assert m["precision"] > naive["precision"] and m["recall"] > naive["recall"]
