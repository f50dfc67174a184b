"""Small helpers shared by the rule families: declaring a rule, turning a match into a finding."""

from __future__ import annotations

from ..findings import Finding, Rule, Severity, register
from ..i18n import N_, _
from ..post import Post
from .text import Match


def rule(
    id_: str,
    name: str,
    article: str,
    severity: Severity,
    summary: str,
    *,
    help: str,
    instead: str,
    quote: str,
    example: str = "",
    claim: bool = False,
) -> Rule:
    """Register a content rule; every content rule carries help, a compliant rewrite and the quoted requirement."""
    return register(
        Rule(
            id=id_,
            name=name,
            article=article,
            severity=severity,
            summary=summary,
            help=help,
            instead=instead,
            quote=quote,
            example=example,
            claim=claim,
        )
    )


def at(r: Rule, post: Post, m: Match, message: str, *, hint: str = "", severity: Severity | None = None) -> Finding:
    """A finding for rule `r` pointing at the original text of a match."""
    return r.finding(
        post.path,
        message,
        line=m.line,
        column=m.column,
        end_column=m.end_column,
        match=m.text,
        hint=hint,
        severity=severity,
    )


def where(unit_name: str) -> str:
    """A short Chinese/English label for where a match sits (the title is read first)."""
    label = WHERE.get(unit_name, "")
    return _(label) if label else ""


WHERE = {"title": N_("标题 title"), "author": N_("作者 author"), "digest": N_("摘要 digest")}
