"""Measure the compliance checker's judgement on a development corpus of bank texts, against a naive baseline.

    .venv/bin/python benchmarks/judgement.py [--json] [--show N] [--corpus DIR]

The corpus lives beside this script, in ../tests/judgement (found from this file, so the script runs
the same from any worktree): approved-like articles (`approved/*.md`), offending sentences
(`violations.tsv`) and the pattern table (`patterns.tsv`); tests/judgement/README.md describes them.
The checker is the `pipeline` package of the Python that runs the script, with the policy and lexicons
of that package's project (`<project>/policy`), so a worktree's venv measures that worktree's code.

Every text becomes a real post (front matter, cover image, sources) in a temporary repository and goes
through `pipeline.check.check_post`, the per-post checks `wxpub check` runs. Findings of the content
families (adlaw, brand, copyright, finance, forbidden, pii, secret, and any family a new engine adds)
are judged; a finding about the post's form (schema, lead time, rendering, WeChat limits, approvals) is
a harness problem and is printed as such.

Figures, for the checker and, in the same run, for the naive approach (a plain substring match of
every term of the judging lexicons, exceptions ignored, no context):

- precision: the share of approved-like articles with zero `error` findings;
- recall: the share of violations flagged: an `error`, or a `review` from a rule whose own severity is
  review (a demoted `review` of an error rule does not count);
- the same per rule family, the false errors per rule on approved texts, the missed violations, and
  the pattern rows whose verdict differs from the expected one.

`--corpus DIR` measures another corpus laid out the same way (a held-out one, say).
It is a report, not a gate: the exit status is 0 whatever the figures (2 only for a broken corpus file,
with `path:line: what is wrong`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "judgement"
APPROVED = CORPUS / "approved"
VIOLATIONS = CORPUS / "violations.tsv"
PATTERNS = CORPUS / "patterns.tsv"

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
PUBLISH_AT = dt.datetime(2026, 12, 9, 10, 0, tzinfo=TZ)  # a Wednesday, two weeks after NOW: no lead-time finding

CONTENT_FAMILIES = ("adlaw", "brand", "copyright", "finance", "forbidden", "pii", "secret")
# Families about the post's form, timing and approvals: a finding of theirs on a corpus text is a harness
# problem. Any other family (the shipped content families, or one a new engine adds) is judged.
FORM_FAMILIES = ("approval", "exception", "leadtime", "render", "schema", "wechat")
CATEGORIES = ("product", "campaign", "notice", "service", "knowledge", "other")
PRODUCTS = ("deposit", "wealth", "fund", "insurance", "loan", "card", "payment", "other")
VERDICTS = ("clean", "info", "review", "error")
POLARITIES = ("positive", "negative", "adversarial")
# The naive baseline's lexicons: every list whose hits are findings of their own (product words are not).
NAIVE_LEXICON_PREFIXES = ("adlaw-", "finance-", "forbidden-", "copyright-", "secret-")

VIOLATION_COLUMNS = ("family", "expected rule", "products", "sentence", "address")
PATTERN_COLUMNS = ("id", "pattern", "polarity", "context", "sentence", "verdict", "address")
ARTICLE_KEYS = ("kind", "source", "title", "unit", "category", "products")


class CorpusError(Exception):
    """A corpus file is malformed: the message says `path:line: what is wrong, what to do`."""


# -- the corpus ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    id: str
    path: Path
    kind: str
    source: str
    title: str
    unit: str
    category: str
    products: tuple[str, ...]
    body: str


@dataclass(frozen=True)
class Violation:
    id: str  # violations.tsv:LINE
    line: int
    family: str
    expected: str
    products: tuple[str, ...]
    sentence: str
    address: str


@dataclass(frozen=True)
class Pattern:
    id: str
    line: int
    pattern: str
    polarity: str
    category: str
    products: tuple[str, ...]
    bare: bool  # no disclosures appended for the declared products
    sentence: str
    verdict: str
    address: str


def _rel(path: Path) -> str:
    try:
        return path.relative_to(CORPUS.parents[1]).as_posix()
    except ValueError:
        return path.as_posix()


def _products(value: str, where: str) -> tuple[str, ...]:
    if value.strip() in ("", "-"):
        return ()
    out = tuple(p.strip() for p in value.split(",") if p.strip())
    bad = [p for p in out if p not in PRODUCTS]
    if bad:
        raise CorpusError(f"{where}: unknown product {bad[0]!r}; use one of {', '.join(PRODUCTS)} or -")
    return out


def _address(value: str, where: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise CorpusError(f"{where}: the address {value!r} is not a public http(s) address; give the page's URL")
    return value


def _unescape(cell: str) -> str:
    """A cell's text: `\\n` stands for a line break (a table or two paragraphs in one row)."""
    return cell.replace("\\n", "\n")


def read_tsv(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a TSV file with exactly `columns` (header first), as (line, row); no empty cell allowed."""
    if not path.is_file():
        raise CorpusError(f"{_rel(path)}: missing; the judgement corpus needs it")
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].rstrip("\r").split("\t") if lines else []
    if tuple(header) != columns:
        raise CorpusError(f"{_rel(path)}:1: the header must be the columns {' | '.join(columns)}, tab-separated")
    rows = []
    for n, line in enumerate(lines[1:], 2):
        line = line.rstrip("\r")
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != len(columns):
            raise CorpusError(f"{_rel(path)}:{n}: {len(cells)} cells, expected {len(columns)} separated by tabs")
        for name, cell in zip(columns, cells, strict=True):
            if not cell.strip():
                raise CorpusError(f"{_rel(path)}:{n}: the cell {name!r} is empty; fill it (use - for none)")
        rows.append((n, dict(zip(columns, (c.strip() for c in cells), strict=True))))
    return rows


def load_violations(path: Path = VIOLATIONS) -> list[Violation]:
    out = []
    for n, row in read_tsv(path, VIOLATION_COLUMNS):
        where = f"{_rel(path)}:{n}"
        out.append(
            Violation(
                id=f"violations.tsv:{n}",
                line=n,
                family=row["family"],
                expected=row["expected rule"],
                products=_products(row["products"], where),
                sentence=_unescape(row["sentence"]),
                address=_address(row["address"], where),
            )
        )
    return out


def load_patterns(path: Path = PATTERNS) -> list[Pattern]:
    out = []
    for n, row in read_tsv(path, PATTERN_COLUMNS):
        where = f"{_rel(path)}:{n}"
        parts = row["context"].split(":")
        category, products, bare = parts[0], "", False
        if len(parts) > 1:
            products = parts[1]
        if len(parts) > 2:
            if parts[2] != "bare" or len(parts) > 3:
                raise CorpusError(f"{where}: context {row['context']!r}: write category[:products[:bare]]")
            bare = True
        if category not in CATEGORIES:
            raise CorpusError(f"{where}: context category {category!r} is not one of {', '.join(CATEGORIES)}")
        if row["verdict"] not in VERDICTS:
            raise CorpusError(f"{where}: verdict {row['verdict']!r} is not one of {', '.join(VERDICTS)}")
        if row["polarity"] not in POLARITIES:
            raise CorpusError(f"{where}: polarity {row['polarity']!r} is not one of {', '.join(POLARITIES)}")
        out.append(
            Pattern(
                id=row["id"],
                line=n,
                pattern=row["pattern"],
                polarity=row["polarity"],
                category=category,
                products=_products(products, where),
                bare=bare,
                sentence=_unescape(row["sentence"]),
                verdict=row["verdict"],
                address=_address(row["address"], where),
            )
        )
    return out


def load_article(path: Path) -> Article:
    text = path.read_text(encoding="utf-8")
    where = _rel(path)
    if not text.startswith("---\n"):
        raise CorpusError(f"{where}:1: an article starts with a `---` header ({', '.join(ARTICLE_KEYS)})")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise CorpusError(f"{where}:1: the header is not closed: add a `---` line after it")
    head = yaml.safe_load(text[4:end]) or {}
    if not isinstance(head, dict) or set(head) != set(ARTICLE_KEYS):
        got = sorted(head) if isinstance(head, dict) else []
        raise CorpusError(f"{where}:2: the header needs exactly the keys {', '.join(ARTICLE_KEYS)}; has {got}")
    for key in ARTICLE_KEYS[:-1]:
        if not isinstance(head[key], str) or not head[key].strip():
            raise CorpusError(f"{where}:2: header key {key!r} is empty; fill it")
    if head["category"] not in CATEGORIES:
        raise CorpusError(f"{where}:2: category {head['category']!r} is not one of {', '.join(CATEGORIES)}")
    products = head["products"] or []
    if not isinstance(products, list):
        raise CorpusError(f"{where}:2: products is a list, e.g. [wealth] or []")
    return Article(
        id=path.stem,
        path=path,
        kind=head["kind"],
        source=_address(head["source"], f"{where}:2"),
        title=head["title"],
        unit=head["unit"],
        category=head["category"],
        products=_products(",".join(products), f"{where}:2"),
        body=text[end + 5 :].lstrip("\n"),
    )


def load_articles(folder: Path = APPROVED) -> list[Article]:
    if not folder.is_dir():
        raise CorpusError(f"{_rel(folder)}: missing; the approved-like articles go there, one .md file each")
    return [load_article(p) for p in sorted(folder.glob("*.md"))]


# -- the checker ----------------------------------------------------------------------------------------


def _cover() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (900, 383), (24, 96, 160)).save(buf, format="JPEG")
    return buf.getvalue()


def project_of_pipeline() -> Path:
    import pipeline

    return Path(pipeline.__file__).resolve().parents[1]


@dataclass
class Judged:
    """The content findings on one text, and any other finding (a harness problem)."""

    findings: list[object] = field(default_factory=list)
    other: list[object] = field(default_factory=list)


class Checker:
    """Runs the real per-post checks on texts written as posts into one temporary repository."""

    def __init__(self, root: Path) -> None:
        from pipeline.check import CheckContext, load_checks
        from pipeline.policy import load_policy

        shutil.copytree(project_of_pipeline() / "policy", root / "policy")
        (root / "posts" / "2026").mkdir(parents=True)
        self.root = root
        self.policy = load_policy(root)
        self.ctx = CheckContext(root=root, policy=self.policy, now=NOW)
        self.cover = _cover()
        self.count = 0
        load_checks()

    def disclosures(self, products: Iterable[str]) -> list[str]:
        out = []
        for p in products:
            rules = self.policy.compliance.products.get(p)
            if rules is not None:
                out.extend(rules.disclosures)
        return out

    def check(self, *, title: str, unit: str, category: str, products: Iterable[str], body: str) -> Judged:
        from pipeline.check import check_post
        from pipeline.post import load_post

        self.count += 1
        folder = self.root / "posts" / "2026" / f"12-09-text{self.count:04d}"
        folder.mkdir()
        meta = {
            "title": title,
            "author": unit,
            "unit": unit,
            "category": category,
            "publish_at": PUBLISH_AT,
            "cover": "cover.jpg",
            "products": list(products),
            "sources": [{"file": "cover.jpg", "source": "original"}],
        }
        front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
        (folder / "index.md").write_text(f"---\n{front}---\n\n{body.rstrip()}\n", encoding="utf-8")
        (folder / "cover.jpg").write_bytes(self.cover)
        post, findings = load_post(folder, self.root, self.policy)
        if post.ok:
            findings += check_post(post, self.ctx)
        shutil.rmtree(folder)
        judged = Judged()
        for f in findings:
            (judged.other if family_of(f.rule) in FORM_FAMILIES else judged.findings).append(f)
        return judged

    def check_sentence(self, sentence: str, category: str, products: tuple[str, ...], bare: bool = False) -> Judged:
        """One sentence as the body of a post; the declared products' disclosures follow it (unless bare)."""
        body = sentence if bare else "\n\n".join([sentence, *self.disclosures(products)])
        return self.check(title="信息发布", unit="电子银行部", category=category, products=products, body=body)


@contextmanager
def checker() -> Iterator[Checker]:
    with tempfile.TemporaryDirectory(prefix="wxpub-judgement-") as tmp:
        yield Checker(Path(tmp) / "repo")


# -- verdicts ------------------------------------------------------------------------------------------


def _sev(f: object) -> str:
    return str(f.severity)  # type: ignore[attr-defined]


def verdict(findings: list[object]) -> str:
    """The strongest severity among the findings: error, review, info, or clean when there is none."""
    sevs = {_sev(f) for f in findings}
    return next((v for v in ("error", "review", "info") if v in sevs), "clean")


def accepts(expected: str, got: str) -> bool:
    """Whether a pattern row's verdict matches: `info` accepts info or clean (a frame may show a note or none)."""
    return got in ("info", "clean") if expected == "info" else got == expected


def counts_as_flag(f: object) -> bool:
    """An error, or a review from a rule whose own severity is review (a demoted error does not count)."""
    from pipeline.findings import get_rule

    sev = _sev(f)
    if sev == "error":
        return True
    if sev == "review":
        rule = get_rule(f.rule)  # type: ignore[attr-defined]
        return rule is not None and str(rule.severity) == "review"
    return False


def family_of(rule_id: str) -> str:
    return rule_id.split("/", 1)[0]


# -- the naive baseline --------------------------------------------------------------------------------


def naive_terms(policy_dir: Path) -> dict[str, list[str]]:
    """family -> every term of its lexicons (the first token of each line), exceptions ignored."""
    out: dict[str, list[str]] = defaultdict(list)
    lexdir = policy_dir / "lexicons"
    for path in sorted(lexdir.glob("*.txt")):
        if not path.name.startswith(NAIVE_LEXICON_PREFIXES):
            continue
        family = path.name.split("-", 1)[0]
        for line in path.read_text(encoding="utf-8").splitlines():
            s = line.strip()
            if s and not s.startswith("#"):
                out[family].append(s.split()[0])
    return dict(out)


def naive_hits(terms: dict[str, list[str]], text: str) -> dict[str, list[str]]:
    return {fam: hit for fam, ts in terms.items() if (hit := [t for t in ts if t in text])}


# -- the measurement -----------------------------------------------------------------------------------


def pct(n: int, d: int) -> float:
    return round(100.0 * n / d, 1) if d else 100.0


def _finding_dict(f: object) -> dict[str, object]:
    return {
        "rule": f.rule,  # type: ignore[attr-defined]
        "severity": _sev(f),
        "line": f.line,  # type: ignore[attr-defined]
        "match": f.match,  # type: ignore[attr-defined]
        "message": f.message,  # type: ignore[attr-defined]
    }


def measure(corpus: Path = CORPUS) -> dict[str, object]:
    """Every figure of the report, as a JSON-ready dict, for the corpus in `corpus` (default: beside this script)."""
    articles = load_articles(corpus / "approved")
    violations = load_violations(corpus / "violations.tsv")
    patterns = load_patterns(corpus / "patterns.tsv")
    started = time.perf_counter()
    terms = naive_terms(project_of_pipeline() / "policy")
    harness: list[dict[str, object]] = []

    with checker() as chk:
        # approved-like articles: precision
        art_rows = []
        for a in articles:
            j = chk.check(title=a.title, unit=a.unit, category=a.category, products=a.products, body=a.body)
            errors = [f for f in j.findings if _sev(f) == "error"]
            reviews = [f for f in j.findings if _sev(f) == "review"]
            naive = naive_hits(terms, a.title + "\n" + a.body)
            art_rows.append({"id": a.id, "kind": a.kind, "errors": errors, "reviews": reviews, "naive": naive})
            harness += [{"text": a.id, **_finding_dict(f)} for f in j.other]

        # violations: recall
        vio_rows = []
        for v in violations:
            j = chk.check_sentence(v.sentence, "product", v.products)
            flags = [f for f in j.findings if counts_as_flag(f)]
            naive = naive_hits(terms, v.sentence)
            vio_rows.append({"v": v, "flags": flags, "all": j.findings, "naive": naive})
            harness += [{"text": v.id, **_finding_dict(f)} for f in j.other]

        # patterns: agreement with the expected verdicts
        pat_rows = []
        for p in patterns:
            j = chk.check_sentence(p.sentence, p.category, p.products, p.bare)
            got = verdict(j.findings)
            pat_rows.append({"p": p, "got": got, "ok": accepts(p.verdict, got), "findings": j.findings})
            harness += [{"text": p.id, **_finding_dict(f)} for f in j.other]
    elapsed = time.perf_counter() - started

    seen = {family_of(f.rule) for r in art_rows for f in r["errors"]} | {
        family_of(f.rule) for r in vio_rows for f in r["flags"]
    }
    families = sorted(set(CONTENT_FAMILIES) | {v.family for v in violations} | seen)
    n_art = len(art_rows)
    clean = sum(1 for r in art_rows if not r["errors"])
    naive_clean = sum(1 for r in art_rows if not r["naive"])
    flagged = sum(1 for r in vio_rows if r["flags"])
    expected_hit = sum(
        1
        for r in vio_rows
        if any(f.rule == r["v"].expected or family_of(f.rule) == r["v"].expected for f in r["flags"])  # type: ignore[attr-defined]
    )
    naive_flagged = sum(1 for r in vio_rows if r["naive"])

    per_family: dict[str, dict[str, object]] = {}
    for fam in families:
        art_ok = sum(1 for r in art_rows if not any(family_of(f.rule) == fam for f in r["errors"]))
        naive_art_ok = sum(1 for r in art_rows if fam not in r["naive"])
        rows = [r for r in vio_rows if r["v"].family == fam]
        got = sum(1 for r in rows if r["flags"])
        naive_got = sum(1 for r in rows if r["naive"])
        per_family[fam] = {
            "precision": pct(art_ok, n_art),
            "false_error_articles": n_art - art_ok,
            "violations": len(rows),
            "recall": pct(got, len(rows)) if rows else None,
            "naive_precision": pct(naive_art_ok, n_art),
            "naive_recall": pct(naive_got, len(rows)) if rows else None,
        }

    by_kind: dict[str, dict[str, int]] = {}
    for r in art_rows:
        k = by_kind.setdefault(str(r["kind"]), {"articles": 0, "error_free": 0})
        k["articles"] += 1
        k["error_free"] += 0 if r["errors"] else 1

    false_by_rule: dict[str, list[dict[str, object]]] = defaultdict(list)
    for r in art_rows:
        for f in r["errors"]:
            false_by_rule[f.rule].append({"article": r["id"], **_finding_dict(f)})
    review_by_rule = Counter(f.rule for r in art_rows for f in r["reviews"])

    missed = [
        {
            "id": r["v"].id,
            "family": r["v"].family,
            "expected": r["v"].expected,
            "sentence": r["v"].sentence,
            "got": [_finding_dict(f) for f in r["all"]],
        }
        for r in vio_rows
        if not r["flags"]
    ]
    pattern_misses = [
        {
            "id": r["p"].id,
            "pattern": r["p"].pattern,
            "polarity": r["p"].polarity,
            "sentence": r["p"].sentence,
            "expected": r["p"].verdict,
            "got": r["got"],
            "findings": [_finding_dict(f) for f in r["findings"]],
        }
        for r in pat_rows
        if not r["ok"]
    ]
    by_polarity = {
        pol: {
            "rows": sum(1 for r in pat_rows if r["p"].polarity == pol),
            "agree": sum(1 for r in pat_rows if r["p"].polarity == pol and r["ok"]),
        }
        for pol in POLARITIES
    }
    return {
        "checker": str(project_of_pipeline()),
        "corpus": str(corpus),
        "seconds": round(elapsed, 2),
        "approved": n_art,
        "violations": len(vio_rows),
        "patterns": len(pat_rows),
        "precision": pct(clean, n_art),
        "error_free_articles": clean,
        "false_errors": sum(len(r["errors"]) for r in art_rows),
        "reviews_on_approved": sum(len(r["reviews"]) for r in art_rows),
        "recall": pct(flagged, len(vio_rows)),
        "flagged": flagged,
        "expected_rule_recall": pct(expected_hit, len(vio_rows)),
        "naive": {
            "precision": pct(naive_clean, n_art),
            "error_free_articles": naive_clean,
            "recall": pct(naive_flagged, len(vio_rows)),
            "flagged": naive_flagged,
        },
        "per_family": per_family,
        "per_kind": dict(sorted(by_kind.items())),
        "false_errors_by_rule": {k: false_by_rule[k] for k in sorted(false_by_rule)},
        "reviews_by_rule": dict(sorted(review_by_rule.items())),
        "missed": missed,
        "pattern_agreement": pct(sum(1 for r in pat_rows if r["ok"]), len(pat_rows)),
        "pattern_by_polarity": by_polarity,
        "pattern_misses": pattern_misses,
        "harness_findings": harness,
    }


# -- output --------------------------------------------------------------------------------------------


def _fmt(v: object) -> str:
    return "   -  " if v is None else f"{v:5.1f}%"


def report(m: dict[str, object], show: int) -> str:
    out = io.StringIO()
    w = out.write
    naive = m["naive"]
    assert isinstance(naive, dict)
    w(f"judgement benchmark: checker {m['checker']}\n")
    w(f"corpus {m['corpus']}: {m['approved']} approved-like articles, {m['violations']} violations, ")
    w(f"{m['patterns']} pattern rows ({m['seconds']} s)\n\n")
    w(f"{'':34}{'checker':>16}{'naive substring':>20}\n")
    w(
        f"{'precision (articles error-free)':34}{m['precision']:6.1f}% ({m['error_free_articles']}/{m['approved']})"
        f"{naive['precision']:11.1f}% ({naive['error_free_articles']}/{m['approved']})\n"
    )
    w(
        f"{'recall (violations flagged)':34}{m['recall']:6.1f}% ({m['flagged']}/{m['violations']})"
        f"{naive['recall']:11.1f}% ({naive['flagged']}/{m['violations']})\n"
    )
    w(f"{'recall by the expected rule':34}{m['expected_rule_recall']:6.1f}%\n")
    w(f"false errors on approved articles: {m['false_errors']}; reviews on approved articles: ")
    w(f"{m['reviews_on_approved']}\n")
    w(f"pattern rows agreeing with their expected verdict: {m['pattern_agreement']:.1f}%  (")
    pol = m["pattern_by_polarity"]
    assert isinstance(pol, dict)
    w(", ".join(f"{k} {v['agree']}/{v['rows']}" for k, v in pol.items()) + ")\n\n")

    w(f"{'per family':12}{'precision':>10}{'recall':>9}{'rows':>6}{'naive prec':>12}{'naive rec':>11}\n")
    fams = m["per_family"]
    assert isinstance(fams, dict)
    for fam, d in fams.items():
        w(
            f"{fam:12}{_fmt(d['precision']):>10}{_fmt(d['recall']):>9}{d['violations']:>6}"
            f"{_fmt(d['naive_precision']):>12}{_fmt(d['naive_recall']):>11}\n"
        )

    kinds = m["per_kind"]
    assert isinstance(kinds, dict)
    w("\nerror-free articles by kind:\n")
    for kind, d in sorted(kinds.items(), key=lambda kv: kv[1]["error_free"] / kv[1]["articles"]):
        w(f"  {d['error_free']:>3}/{d['articles']:<3} {kind}\n")

    fe = m["false_errors_by_rule"]
    assert isinstance(fe, dict)
    w("\nfalse errors by rule on approved texts:\n" if fe else "\nno false errors on approved texts\n")
    for rule, items in sorted(fe.items(), key=lambda kv: -len(kv[1])):
        w(f"  {rule}: {len(items)} in {len({i['article'] for i in items})} article(s)\n")
        for i in items[:show]:
            w(f"    {i['article']}:{i['line']}  “{i['match']}”  {i['message']}\n")
    rv = m["reviews_by_rule"]
    assert isinstance(rv, dict)
    if rv:
        w("reviews on approved texts by rule: " + ", ".join(f"{k} {v}" for k, v in rv.items()) + "\n")

    missed = m["missed"]
    assert isinstance(missed, list)
    w(f"\nmissed violations ({len(missed)}):\n" if missed else "\nno missed violations\n")
    for x in missed[:show]:
        got = ", ".join(f"{g['rule']}={g['severity']}" for g in x["got"]) or "nothing"
        w(f"  {x['id']} [{x['expected']}] {x['sentence']}  -> {got}\n")

    pm = m["pattern_misses"]
    assert isinstance(pm, list)
    if pm:
        w(f"\npattern rows with another verdict ({len(pm)}):\n")
        for x in pm[:show]:
            got = ", ".join(f"{g['rule']}={g['severity']}" for g in x["findings"]) or "nothing"
            w(f"  {x['id']} ({x['polarity']}) expected {x['expected']}, got {x['got']}: {x['sentence']}  -> {got}\n")
    hf = m["harness_findings"]
    assert isinstance(hf, list)
    if hf:
        w(f"\nHARNESS PROBLEM: {len(hf)} non-content finding(s), e.g. ")
        w("; ".join(f"{h['text']}: {h['rule']} {h['message']}" for h in hf[:3]) + "\n")
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--show", type=int, default=1000, help="at most N examples per list (default: all)")
    ap.add_argument(
        "--corpus",
        type=Path,
        default=CORPUS,
        help="a folder laid out like tests/judgement (approved/, violations.tsv, patterns.tsv); default: %(default)s",
    )
    args = ap.parse_args(argv)
    try:
        m = measure(args.corpus)
    except CorpusError as exc:
        print(f"judgement: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(m, ensure_ascii=False, indent=1))
    else:
        print(report(m, args.show), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
