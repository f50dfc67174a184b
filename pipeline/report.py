"""Findings as text, JSON, GitHub workflow commands (+ job summary) and SARIF 2.1.0.

Every format is a view over the same list of `Finding`s. The JSON schema is documented in
`pipeline/schemas/findings.schema.json` and is stable: fields are only ever added.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from itertools import groupby
from pathlib import Path

from . import __version__
from .findings import Finding, Rule, Severity, all_rules
from .i18n import N_, _

FORMATS = ("text", "json", "github", "sarif")
JSON_SCHEMA_VERSION = 1


def summary(findings: list[Finding], posts: int) -> dict[str, int]:
    c = Counter(f.severity.value for f in findings)
    return {
        "posts": posts,
        "errors": c["error"],
        "reviews": c["review"],
        "infos": c["info"],
        "files": len({f.path for f in findings}),
    }


# -- words of the report ------------------------------------------------------------------------

# what a person reads for a severity (the JSON and SARIF `severity` values stay error/review/info)
SEVERITY_LABELS = {Severity.ERROR: N_("error"), Severity.REVIEW: N_("review"), Severity.INFO: N_("info")}


def severity_label(severity: Severity) -> str:
    return _(SEVERITY_LABELS[severity])


def article_label(article: str) -> str:
    """An article as people read it: `15` -> Art. 15 (第15条), `14.6` -> Art. 14.6 (第14条第（6）项),
    `AdLaw 25` -> 《广告法》第25条, `WeChat` -> 微信平台规则; anything else as written."""
    law, _sep, number = article.rpartition(" ")
    main, dot, item = number.partition(".")
    if not main.isdigit() or (dot and not item.isdigit()):
        return _(article) if article in ("WeChat", "Schema") else article
    if law == "":
        return _("Art. {article}.{item}", article=main, item=item) if dot else _("Art. {article}", article=main)
    if law == "AdLaw":
        return _("AdLaw {article}.{item}", article=main, item=item) if dot else _("AdLaw {article}", article=main)
    if law == "PIPL":
        return _("PIPL {article}.{item}", article=main, item=item) if dot else _("PIPL {article}", article=main)
    return article


# the non-numbered "articles" a rule may name, for extraction (shown through article_label)
_ARTICLE_WORDS = (N_("WeChat"), N_("Schema"))


def summary_line(s: dict[str, int]) -> str:
    return _(
        "{posts} post(s) checked: {errors} error(s), {reviews} for review, {infos} info",
        posts=s["posts"],
        errors=s["errors"],
        reviews=s["reviews"],
        infos=s["infos"],
    )


# -- text --------------------------------------------------------------------------------------

_COLOURS = {Severity.ERROR: "\033[31m", Severity.REVIEW: "\033[33m", Severity.INFO: "\033[36m"}


def to_text(findings: list[Finding], posts: int, *, colour: bool = False) -> str:
    out: list[str] = []
    for path, group in groupby(findings, key=lambda f: f.path):
        out.append(f"\033[1m{path}\033[0m" if colour else path)
        for f in group:
            label = severity_label(f.severity)
            sev = f"{_COLOURS[f.severity]}{label}\033[0m" if colour else label
            line = f"  {path}:{f.line}:{f.column}: {sev} [{f.rule}] {f.message}"
            if f.article and f.article not in ("Schema",):
                line += _(" ({article})", article=article_label(f.article))
            out.append(line)
            if f.hint:
                out.append("      " + _("hint: {hint}", hint=f.hint))
    out.append(summary_line(summary(findings, posts)))
    return "\n".join(out)


# -- JSON --------------------------------------------------------------------------------------


def to_json(findings: list[Finding], posts: int) -> str:
    """The report as `json.dumps(doc, ensure_ascii=False, indent=2)` writes it, byte for byte.

    json's indenting encoder is pure Python (~0.5 s for 30,000 findings); a finding is a flat object of
    strings and numbers, so each is written here with json's own string encoder instead."""
    doc = {
        "version": JSON_SCHEMA_VERSION,
        "tool": {"name": "wxpub", "version": __version__},
        "findings": [],
        "summary": summary(findings, posts),
    }
    items = ",\n".join(_json_item(f.to_dict()) for f in findings)
    parts = []
    for key, value in doc.items():
        text = f"[\n{items}\n  ]" if key == "findings" and items else _json_indented(value, "  ")
        parts.append(f"  {_json_str(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}"


_json_str = json.encoder.encode_basestring  # the encoder json.dumps uses for strings with ensure_ascii=False


def _json_indented(value: object, indent: str) -> str:
    """`value` as json.dumps(indent=2) writes it at a depth where lines start with `indent`."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + indent)


def _json_item(d: dict[str, object]) -> str:
    """One finding as an element of the findings list (depth 2)."""
    lines = []
    for key, value in d.items():
        if isinstance(value, str):
            text = _json_str(value)
        elif value is None:
            text = "null"
        elif isinstance(value, bool) or not isinstance(value, int):
            return "    " + _json_indented(d, "    ")  # anything else: json's own writer
        else:
            text = int.__repr__(value)
        lines.append(f"      {_json_str(key)}: {text}")
    return "    {\n" + ",\n".join(lines) + "\n    }" if lines else "    {}"


# -- GitHub workflow commands ------------------------------------------------------------------


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


_LEVEL = {Severity.ERROR: "error", Severity.REVIEW: "warning", Severity.INFO: "notice"}


def _title(f: Finding) -> str:
    """An annotation's title: the rule, and the article when the regulation numbers it."""
    return f"{f.rule} ({article_label(f.article)})" if f.article[:1].isdigit() else f.rule


def to_github(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        props = ",".join(
            [
                f"file={_escape_property(f.path)}",
                f"line={f.line}",
                f"col={f.column}",
                f"endColumn={f.end_column}",
                f"title={_escape_property(_title(f))}",
            ]
        )
        lines.append(f"::{_LEVEL[f.severity]} {props}::{_escape_data(f.message)}")
    return "\n".join(lines)


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def to_markdown(findings: list[Finding], posts: int, title: str = "wxpub check") -> str:
    s = summary(findings, posts)
    out = [
        f"### {title}",
        "",
        _(
            "{posts} post(s) checked: **{errors} error(s)**, {reviews} for compliance review, {infos} info.",
            posts=s["posts"],
            errors=s["errors"],
            reviews=s["reviews"],
            infos=s["infos"],
        ),
        "",
    ]
    if findings:
        out += [_("| severity | file | line | rule | article | message |"), "|---|---|---|---|---|---|"]
        for f in findings:
            out.append(
                f"| {severity_label(f.severity)} | {_md_cell(f.path)} | {f.line} | `{f.rule}` | "
                f"{_md_cell(article_column(f.article))} | {_md_cell(f.message)} |"
            )
    return "\n".join(out) + "\n"


def article_column(article: str) -> str:
    """An article in a table column: as written in English (`15`, `AdLaw 25`), spelt out in other languages."""
    from .i18n import language

    return article if language() == "en" else article_label(article)


def append_step_summary(markdown: str) -> None:
    """Append to `$GITHUB_STEP_SUMMARY` when running in GitHub (or Gitea) Actions."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(markdown)


# -- SARIF 2.1.0 -------------------------------------------------------------------------------


def _utf16_col(text_line: str | None, col: int) -> int:
    if text_line is None:
        return col
    prefix = text_line[: col - 1]
    return len(prefix.encode("utf-16-le")) // 2 + 1


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.REVIEW: "warning", Severity.INFO: "note"}


def _sarif_rule(r: Rule) -> dict[str, object]:
    return {
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": _(r.summary)},
        "fullDescription": {"text": _(r.help or r.summary)},
        "help": {
            "text": "\n".join(
                x
                for x in (r.help and _(r.help), r.instead and _("Instead: {instead}", instead=_(r.instead)), r.quote)
                if x
            )
        },
        "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
        "properties": {"article": r.article, "severity": r.severity.value},
    }


def to_sarif(findings: list[Finding], root: Path | None = None) -> str:
    rules = all_rules()
    index = {r.id: i for i, r in enumerate(rules)}
    cache: dict[str, list[str] | None] = {}

    def line_text(path: str, line: int) -> str | None:
        if path not in cache:
            try:
                cache[path] = (root / path if root else Path(path)).read_text(encoding="utf-8").split("\n")
            except (OSError, UnicodeDecodeError):
                cache[path] = None
        lines = cache[path]
        return lines[line - 1] if lines and 0 < line <= len(lines) else None

    results = []
    for f in findings:
        text = line_text(f.path, f.line)
        result: dict[str, object] = {
            "ruleId": f.rule,
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path},
                        "region": {
                            "startLine": f.line,
                            "startColumn": _utf16_col(text, f.column),
                            "endColumn": _utf16_col(text, f.end_column),
                        },
                    }
                }
            ],
            "partialFingerprints": {"wxpub/v1": f"{f.rule}:{f.path}:{f.match or f.message}"},
            "properties": {"article": f.article, "severity": f.severity.value},
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "wxpub",
                        "version": __version__,
                        "rules": [_sarif_rule(r) for r in rules],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


def render(fmt: str, findings: Iterable[Finding], posts: int, *, colour: bool = False, root: Path | None = None) -> str:
    items = list(findings)
    if fmt == "json":
        return to_json(items, posts)
    if fmt == "github":
        return to_github(items)
    if fmt == "sarif":
        return to_sarif(items, root)
    return to_text(items, posts, colour=colour)
