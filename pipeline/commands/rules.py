"""`wxpub rules [RULE] [--by-article]`: the rules, generated from the code's own registry."""

from __future__ import annotations

import argparse
import json

from ..errors import UsageError
from ..findings import Rule, all_rules, get_rule


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "rules",
        help="list the rules, explain one, or map them to the regulation's articles",
        description="List every rule with its id, article and severity; `wxpub rules RULE` "
        "explains one; --by-article maps the regulation's articles to the controls that enforce them.",
    )
    p.add_argument("rule", nargs="?", metavar="RULE", help="a rule id, e.g. forbidden/gambling")
    p.add_argument("--by-article", action="store_true", help="group by the regulation's articles (Art. 1-22, Annex 1)")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.set_defaults(func=run)


def explain(rule: Rule) -> str:
    art = f"Art. {rule.article}" if rule.article[:1].isdigit() else rule.article
    lines = [
        f"{rule.id} ({rule.name})",
        f"  article:  {art}",
        f"  severity: {rule.severity.value}",
        f"  summary:  {rule.summary}",
    ]
    from ..regulation import quote_for

    quote = quote_for(rule)
    if quote:
        lines.append(f"  requirement: {quote}")
    if rule.help:
        lines.append(f"  why: {rule.help}")
    if rule.example:
        lines.append(f"  example: {rule.example}")
    if rule.instead:
        lines.append(f"  instead: {rule.instead}")
    if rule.claim:
        from ..checks.frames import EXPLAINED, FRAMES_QUOTE
        from ..i18n import _

        lines.append(f"  frames: {_(EXPLAINED)}")
        lines.append(f"  frames, why: {FRAMES_QUOTE}")
    if not rule.id.startswith(("schema/", "wechat/", "leadtime/", "approval/")):
        lines.append(
            f'  exception: allow: [{{rule: {rule.id}, match: "…", reason: "…"}}] in front matter, or '
            f'<!-- wxpub: allow {rule.id} "…" reason="…" -->'
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    rules = all_rules()
    if args.rule:
        rule = get_rule(args.rule)
        if rule is None:
            close = [r.id for r in rules if args.rule.split("/")[-1] in r.id]
            raise UsageError(
                f"no rule {args.rule!r}",
                hint=f"did you mean {', '.join(close[:5])}?" if close else "wxpub rules lists them all",
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
        print("| rule | article | severity | summary |\n|---|---|---|---|")
        for r in rules:
            print(f"| `{r.id}` | {r.article} | {r.severity.value} | {r.summary} |")
    else:
        width = max((len(r.id) for r in rules), default=10)
        for r in rules:
            print(f"{r.id:<{width}}  {r.article:<10} {r.severity.value:<7} {r.summary}")
        print(f"{len(rules)} rules; `wxpub rules RULE` explains one")
    return 0


def _rule_dict(r: Rule) -> dict[str, str]:
    return {
        "id": r.id,
        "name": r.name,
        "article": r.article,
        "severity": r.severity.value,
        "summary": r.summary,
        "help": r.help,
        "instead": r.instead,
        "quote": r.quote,
        "example": r.example,
    }
