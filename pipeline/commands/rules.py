"""`wxpub rules [RULE] [--by-article]`: the rules, generated from the code's own registry."""

from __future__ import annotations

import argparse
import json

from ..errors import UsageError
from ..findings import Rule, all_rules, get_rule
from ..i18n import _
from ..report import article_column, article_label, severity_label


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "rules",
        help=_("list the rules, explain one, or map them to the regulation's articles"),
        description=_(
            "List every rule with its id, article and severity; `wxpub rules RULE` "
            "explains one; --by-article maps the regulation's articles to the controls that enforce them."
        ),
    )
    p.add_argument("rule", nargs="?", metavar="RULE", help=_("a rule id, e.g. forbidden/gambling"))
    p.add_argument(
        "--by-article", action="store_true", help=_("group by the regulation's articles (Art. 1-22, Annex 1)")
    )
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.set_defaults(func=run)


def explain(rule: Rule) -> str:
    """One rule as `wxpub rules RULE` shows it; the rule's texts (written in English where the rule is
    defined, marked with N_) are translated here, when shown."""
    lines = [
        f"{rule.id} ({rule.name})",
        _("  article:  {article}", article=article_label(rule.article)),
        _("  severity: {severity}", severity=severity_label(rule.severity)),
        _("  summary:  {summary}", summary=_(rule.summary)),
    ]
    from ..regulation import quote_for

    quote = quote_for(rule)
    if quote:
        lines.append(_("  requirement: {quote}", quote=quote))
    if rule.help:
        lines.append(_("  why: {why}", why=_(rule.help)))
    if rule.example:
        lines.append(_("  example: {example}", example=_(rule.example)))
    if rule.instead:
        lines.append(_("  instead: {instead}", instead=_(rule.instead)))
    if rule.claim:
        from ..checks.frames import EXPLAINED, FRAMES_QUOTE

        lines.append(_("  frames: {frames}", frames=_(EXPLAINED)))
        lines.append(_("  frames, why: {quote}", quote=FRAMES_QUOTE))
    if not rule.id.startswith(("schema/", "wechat/", "leadtime/", "approval/")):
        front_matter = f'allow: [{{rule: {rule.id}, match: "…", reason: "…"}}]'
        inline = f'<!-- wxpub: allow {rule.id} "…" reason="…" -->'
        lines.append(
            _("  exception: {front_matter} in front matter, or {inline}", front_matter=front_matter, inline=inline)
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    rules = all_rules()
    if args.rule:
        rule = get_rule(args.rule)
        if rule is None:
            close = [r.id for r in rules if args.rule.split("/")[-1] in r.id]
            raise UsageError(
                _("no rule {rule}", rule=repr(args.rule)),
                hint=_("did you mean {rules}?", rules=", ".join(close[:5]))
                if close
                else _("wxpub rules lists them all"),
            )
        print(json.dumps(_rule_dict(rule), ensure_ascii=False, indent=2) if args.format == "json" else explain(rule))
        return 0
    if args.by_article:
        from ..regulation import by_article, render_by_article

        entries = by_article(rules)
        print(render_by_article(entries, args.format))
        return 0
    if args.format == "json":
        print(json.dumps([_rule_dict(r) for r in rules], ensure_ascii=False, indent=2))
    elif args.format == "markdown":
        print(_("| rule | article | severity | summary |") + "\n|---|---|---|---|")
        for r in rules:
            print(f"| `{r.id}` | {r.article} | {severity_label(r.severity)} | {_(r.summary)} |")
    else:
        width = max((len(r.id) for r in rules), default=10)
        for r in rules:
            article, severity = _pad(article_column(r.article), 10), _pad(severity_label(r.severity), 7)
            print(f"{r.id:<{width}}  {article} {severity} {_(r.summary)}")
        print(_("{count} rules; `wxpub rules RULE` explains one", count=len(rules)))
    return 0


def _pad(text: str, width: int) -> str:
    """`text` left-aligned in `width` terminal columns (a Chinese character takes two)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def _rule_dict(r: Rule) -> dict[str, str]:
    return {
        "id": r.id,
        "name": r.name,
        "article": r.article,
        "severity": r.severity.value,
        "summary": _(r.summary),
        "help": _(r.help) if r.help else "",
        "instead": _(r.instead) if r.instead else "",
        "quote": r.quote,
        "example": r.example,
    }
