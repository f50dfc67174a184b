"""The one vocabulary of every check: `Rule` (what is checked, under which law) and `Finding`.

Rules register themselves in `REGISTRY` when their module is imported; `all_rules()` imports every
module that defines rules so `wxpub rules` and the regulation map see them all. Output formats
(`pipeline.report`) are views over lists of findings.
"""

from __future__ import annotations

import enum
import importlib
from dataclasses import dataclass, replace
from pathlib import Path


class Severity(enum.StrEnum):
    """`error` blocks a merge; `review` needs the compliance approver's eyes; `info` only informs."""

    ERROR = "error"
    REVIEW = "review"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Rule:
    """A rule with a stable id (never reused), the article or law it enforces, and its help.

    `article` uses the regulation's numbering (`14.5` is Art. 14 item (5), `15`, `20`) or a law's
    short name (`AdLaw 9.3`, `PIPL 28`, `WeChat`, `Schema`). `help` is written as what / why;
    `instead` says what a compliant rewrite looks like; `quote` quotes the requirement in Chinese.
    """

    id: str
    name: str
    article: str
    severity: Severity
    summary: str
    help: str = ""
    instead: str = ""
    quote: str = ""
    example: str = ""
    # A claim rule: its hits are something the bank would be saying. A hit inside a frame (a warning, a
    # negation, a quotation, a citation, a label) is not the bank's claim, and the frame pass changes its
    # severity visibly (the message says which frame). Rules about facts (PII, credentials, links) are not.
    claim: bool = False

    def finding(
        self,
        path: str,
        message: str,
        *,
        line: int = 1,
        column: int = 1,
        end_column: int | None = None,
        match: str = "",
        hint: str = "",
        severity: Severity | None = None,
    ) -> Finding:
        return Finding(
            path=path,
            line=line,
            column=column,
            end_column=end_column if end_column is not None else column + max(len(match), 1),
            rule=self.id,
            article=self.article,
            severity=severity or self.severity,
            message=message,
            match=match,
            hint=hint,
        )


@dataclass(frozen=True, order=True)
class Finding:
    """One thing a check found. Lines and columns are 1-based; columns count characters."""

    path: str
    line: int
    column: int
    end_column: int
    rule: str
    article: str
    severity: Severity
    message: str
    match: str = ""
    hint: str = ""

    def with_severity(self, severity: Severity) -> Finding:
        return replace(self, severity=severity)

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_column": self.end_column,
            "rule": self.rule,
            "article": self.article,
            "severity": self.severity.value,
            "message": self.message,
            "match": self.match,
            "hint": self.hint,
        }


REGISTRY: dict[str, Rule] = {}

# Modules that define rules. Add a module here when it defines rules at import time.
RULE_MODULES: tuple[str, ...] = (
    "pipeline.post",
    "pipeline.checks",
    "pipeline.leadtime",
    "pipeline.approval",
    "pipeline.render",
)


def register(rule: Rule) -> Rule:
    """Add a rule to the registry; ids are stable and unique."""
    existing = REGISTRY.get(rule.id)
    if existing is not None and existing != rule:
        raise ValueError(f"rule id {rule.id!r} registered twice")
    REGISTRY[rule.id] = rule
    return rule


def all_rules() -> list[Rule]:
    """Every rule the product knows, sorted by id (imports every rule module)."""
    for name in RULE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a module not built yet defines no rules
            if exc.name != name:
                raise
    return sorted(REGISTRY.values(), key=lambda r: r.id)


def get_rule(rule_id: str) -> Rule | None:
    all_rules()
    return REGISTRY.get(rule_id)


def relpath(path: Path, root: Path) -> str:
    """A path as findings show it: relative to the repository root, with forward slashes."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
