"""Documented exceptions: suppress a finding only with a reason, and show every use to the approver.

Two forms, both scoped to the post they are written in:

    allow:                                   # front matter
      - {rule: adlaw/absolute-term, match: 第一, reason: 本行为全省首家农商银行，见2025年年报}
    <!-- wxpub: allow forbidden/vice "赌博" reason="反赌博宣传" -->   # inline, anywhere in the body

`rule` is a rule id or `family/*`; `match` is compared with the finding's matched text after
normalisation (either may contain the other); an empty match covers every finding of the rule.
An exception without a reason is an error and is not applied; each finding an exception covers is
replaced by an `exception/used` info finding (the approval form lists them); an exception that
covered nothing is `exception/unused`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..check import CheckContext, post_filter
from ..findings import REGISTRY, Finding, Severity
from ..i18n import N_, _
from ..post import Post
from ..report import severity_label
from .common import rule
from .text import normalise

NOT_EXCEPTABLE = ("schema/", "exception/", "secret/credential")  # a credential is removed, never allowed
QUOTE = "第八条 行总部合规部是〔微信公众号〕信息发布的审核部门，负责审核通过〔微信公众号〕对外发布的信息的合规性。"

R_USED = rule(
    "exception/used",
    "exception-used",
    "8",
    Severity.INFO,
    N_("a finding was allowed by a documented exception"),
    help=N_(
        "What: a rule's finding covered by an `allow` entry or an inline `wxpub: allow` comment, with its reason. "
        "Why: the compliance department reviews every publication (Art. 8); every exception appears on the "
        "approval form so the approver sees and owns it."
    ),
    instead=N_("Nothing to change if the reason holds; otherwise rewrite the passage and remove the exception."),
    quote=QUOTE,
)
R_UNUSED = rule(
    "exception/unused",
    "exception-unused",
    "8",
    Severity.REVIEW,
    N_("an exception matched no finding"),
    help=N_(
        "What: an `allow` entry or inline comment whose rule and match cover nothing in the post. Why: stale "
        "exceptions would silently excuse a future violation."
    ),
    instead=N_("Remove the exception, or correct its rule id and match to the finding it is meant for."),
    quote=QUOTE,
)
R_NO_REASON = rule(
    "exception/no-reason",
    "exception-no-reason",
    "8",
    Severity.ERROR,
    N_("an exception gives no reason"),
    help=N_(
        "What: an exception without `reason`. Why: suppression needs accountability; the approver must know why "
        "the text is acceptable. The exception is not applied until it has a reason."
    ),
    instead=N_('allow: [{rule: adlaw/absolute-term, match: 第一, reason: "本行为全省首家农商银行，见2025年年报"}]'),
    quote=QUOTE,
)
R_UNKNOWN = rule(
    "exception/unknown-rule",
    "exception-unknown-rule",
    "8",
    Severity.ERROR,
    N_("an exception names a rule that does not exist or cannot be excepted"),
    help=N_(
        "What: the `rule` of an exception is not a rule id (see `wxpub rules`) or names a schema/ or exception/ "
        "rule, which no exception can switch off. Why: a misspelt id would except nothing and hide the mistake."
    ),
    instead=N_("Copy the rule id from the finding, e.g. adlaw/absolute-term, or use a family such as forbidden/*."),
    quote=QUOTE,
)

_INLINE = re.compile(
    r"<!--\s*wxpub:\s*allow\s+(?P<rule>[^\s\"“]+)"
    r"(?:\s+(?:\"(?P<m1>[^\"]*)\"|“(?P<m2>[^”]*)”))?"
    r"(?:\s+reason\s*=\s*(?:\"(?P<r1>[^\"]*)\"|“(?P<r2>[^”]*)”))?\s*-->"
)


@dataclass
class Exception_:
    rule: str
    match: str
    reason: str
    line: int
    column: int
    where: str  # "front matter" | "inline comment"
    used: int = 0

    def covers(self, f: Finding) -> bool:
        if not (f.rule == self.rule or (self.rule.endswith("/*") and f.rule.startswith(self.rule[:-1]))):
            return False
        if not self.match:
            return True
        a, b = normalise(self.match), normalise(f.match)
        return bool(b) and (a in b or b in a)


def exceptions_of(post: Post) -> list[Exception_]:
    """Every exception written in the post (front matter first, then inline comments in order)."""
    out: list[Exception_] = []
    if post.meta is not None:
        for i, a in enumerate(post.meta.allow):
            out.append(Exception_(a.rule, a.match, a.reason.strip(), post.line_of("allow", i), 1, N_("front matter")))
    if "wxpub:" in post.body:
        for m in _INLINE.finditer(post.body):
            before = post.body[: m.start()]
            out.append(
                Exception_(
                    m.group("rule"),
                    m.group("m1") or m.group("m2") or "",
                    (m.group("r1") or m.group("r2") or "").strip(),
                    post.body_line + before.count("\n"),
                    m.start() - (before.rfind("\n") + 1) + 1,
                    N_("inline comment"),
                )
            )
    return out


def _known(rule_id: str) -> bool:
    if rule_id.startswith(NOT_EXCEPTABLE):
        return False
    if rule_id.endswith("/*"):
        return any(r.startswith(rule_id[:-1]) for r in REGISTRY)
    return rule_id in REGISTRY


@post_filter
def apply_exceptions(post: Post, findings: list[Finding], ctx: CheckContext) -> list[Finding]:
    excs = exceptions_of(post)
    if not excs:
        return findings
    active: list[Exception_] = []
    out: list[Finding] = []
    for e in excs:
        if not _known(e.rule):
            out.append(
                R_UNKNOWN.finding(
                    post.path,
                    _(
                        "exception ({where}) names {rule}, which is not a rule that can be excepted",
                        where=_(e.where),
                        rule=repr(e.rule),
                    ),
                    line=e.line,
                    column=e.column,
                    match=e.rule,
                    hint=_("`wxpub rules` lists the rule ids"),
                )
            )
        elif not e.reason:
            out.append(
                R_NO_REASON.finding(
                    post.path,
                    _(
                        "exception ({where}) for {rule} “{match}” gives no reason; it is not applied",
                        where=_(e.where),
                        rule=e.rule,
                        match=e.match,
                    ),
                    line=e.line,
                    column=e.column,
                    match=e.match,
                    hint=_('add reason: "…" (why the text is acceptable)'),
                )
            )
        else:
            active.append(e)
    for f in findings:
        if f.path != post.path or f.rule.startswith(NOT_EXCEPTABLE):
            out.append(f)
            continue
        cover = next((e for e in active if e.covers(f)), None)
        if cover is None:
            out.append(f)
            continue
        cover.used += 1
        out.append(
            R_USED.finding(
                post.path,
                _(
                    "allowed [{rule}] “{match}” ({severity}): {reason} — exception in the {where} at line {line}",
                    rule=f.rule,
                    match=f.match,
                    severity=severity_label(f.severity),
                    reason=cover.reason,
                    where=_(cover.where),
                    line=cover.line,
                ),
                line=f.line,
                column=f.column,
                end_column=f.end_column,
                match=f.match,
                hint=f.message,
            )
        )
    for e in active:
        if not e.used:
            out.append(
                R_UNUSED.finding(
                    post.path,
                    _(
                        "exception ({where}) for {rule} “{match}” matched nothing; remove it",
                        where=_(e.where),
                        rule=e.rule,
                        match=e.match,
                    ),
                    line=e.line,
                    column=e.column,
                    match=e.match,
                )
            )
    return out
