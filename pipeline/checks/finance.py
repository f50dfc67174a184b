"""Financial marketing, product-aware: what a post may say depends on the products it markets.

The front matter's `products` says which products a post is about; product words found in the text
but not declared are findings (they change the approval chain and the rules that apply). 保本 is
legitimate in a deposit-only post (deposit insurance) and banned for wealth, fund and insurance products;
other promises of returns go to review whatever `products` says (a post must not dodge the rule by
declaring no investment product); the deposit deny list applies everywhere; the disclosures each
product needs are policy data (`compliance.products.<product>.disclosures`); shown yields or past performance need the
past-performance disclaimer (`compliance.past_performance_disclaimer`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..check import CheckContext, post_check
from ..findings import Finding, Severity
from ..policy import PRODUCTS
from ..post import Post
from . import lexicon
from .common import at, rule, where
from .text import CJK, Match, normalise, scan_of

INVESTMENT = ("wealth", "fund", "insurance")
DEPOSIT_LEGITIMATE = frozenset({"保本"})  # guarantee terms a post declaring only `deposit` may use
LEX_GUARANTEE = lexicon.use("finance-guarantee", "保本/无风险/保收益 and promised returns (wealth, fund, insurance)")
LEX_DEPOSIT = lexicon.use("finance-deposit", "deposit-marketing deny list (高息揽储, 贴息, ...)")
PRODUCT_LEX = {p: lexicon.use(f"product-{p}", f"words that show a post markets {p} products") for p in PRODUCTS}
PRODUCT_NAMES = {
    "deposit": "存款",
    "wealth": "理财",
    "fund": "基金",
    "insurance": "保险",
    "loan": "贷款",
    "card": "银行卡",
    "payment": "支付",
    "other": "其他",
}
AD25 = (
    "《广告法》第二十五条 招商等有投资回报预期的商品或者服务广告，"
    "应当对可能存在的风险以及风险责任承担有合理提示或者警示……"
)

R_GUARANTEE = rule(
    "finance/guaranteed-return",
    "guaranteed-return",
    "AdLaw 25",
    Severity.ERROR,
    "保本, 无风险, 保收益 or a promised return for a wealth, fund or insurance product",
    help="What: stating or implying capital protection, no risk or a guaranteed return for a product whose "
    "value can fall. Why: Advertising Law Art. 25 (and the financial-marketing rules) ban it; for "
    "deposits 保本 is legitimate (deposit insurance). An error when the post declares or names a wealth, fund "
    "or insurance product; `review` otherwise (whatever `products` says, a promise of returns needs compliance's "
    "eyes), except 保本 in a post whose `products` is exactly `[deposit]`.",
    instead="理财非存款，产品有风险，投资须谨慎。业绩比较基准3.0%-3.5%（年化），不代表产品实际收益。",
    quote="《广告法》第二十五条 ……不得含有下列内容：（一）对未来效果、收益或者与其相关的情况作出保证性承诺，"
    "明示或者暗示保本、无风险或者保收益等，国家另有规定的除外；",
)
R_DEPOSIT = rule(
    "finance/deposit-deny",
    "deposit-deny-list",
    "AdLaw 4",
    Severity.ERROR,
    "deposit-marketing words on the deny list (高息揽储, 贴息, 返现揽储, 存款送礼 ...)",
    help="What: words that attract deposits with irregular interest, gifts or cash back, or claim zero risk. "
    "Why: deposit-taking by improper means and exaggerated claims are banned by the financial-marketing "
    "rules and deposit-rate self-discipline.",
    instead="State the listed rate and its date: 三年期整存整取年利率2.35%（2026年12月1日起执行）。",
    quote="《广告法》第四条 广告不得含有虚假或者引人误解的内容，不得欺骗、误导消费者。",
)
R_UNDECLARED = rule(
    "finance/undeclared-product",
    "undeclared-product",
    "8",
    Severity.ERROR,
    "the text markets a product that front-matter `products` does not declare",
    help="What: product words (理财, 基金, 保险, 存款 ...) in a post whose `products` omits that product. Why: "
    "the declared products choose the approval tiers (wealth needs leadership) and the disclosure rules; "
    "an undeclared investment product is an error, other products are sent to review.",
    instead="Declare it, e.g. `products: [deposit, wealth]`, and add the disclosures the policy lists.",
    quote="第八条 行总部合规部是〔微信公众号〕信息发布的审核部门，负责审核通过〔微信公众号〕对外发布的信息的合规性。",
)
R_DISCLOSURE = rule(
    "finance/missing-disclosure",
    "missing-disclosure",
    "AdLaw 25",
    Severity.ERROR,
    "a required risk disclosure for a marketed product is missing",
    help="What: the policy's disclosures for each declared product (compliance.products) must appear somewhere "
    "in the post. Why: wealth marketing must carry 理财非存款，产品有风险，投资须谨慎; funds 基金有风险，投资需谨慎.",
    instead="Add the sentence exactly, e.g. a closing line: 理财非存款，产品有风险，投资须谨慎。",
    quote=AD25,
)
R_PAST = rule(
    "finance/past-performance",
    "past-performance-disclaimer",
    "AdLaw 25",
    Severity.ERROR,
    "yields or past performance shown without the past-performance disclaimer",
    help="What: a yield, return or past-performance figure of a wealth or fund product without the policy's "
    "past_performance_disclaimer. Why: past performance must not be presented as future returns.",
    instead="Add: 过往业绩不代表其未来表现，不等于理财产品实际收益，投资须谨慎。",
    quote=AD25,
)

R_BASIS = rule(
    "finance/yield-basis",
    "yield-basis",
    "AdLaw 25",
    Severity.REVIEW,
    "a benchmark or expected yield of a wealth or fund product is shown without its basis (测算依据)",
    help="What: 业绩比较基准 or 预期收益 with a figure, and no 测算依据 in the post. Why: a yield figure shown to "
    "customers must say how it was derived, so it is not read as a promised return.",
    instead="Add a sentence: 业绩比较基准的测算依据：本产品主要投资于……根据拟投资资产的收益水平和投资策略测算得出。",
    quote=AD25,
)

_BASIS_FIGURE = re.compile(r"(?:业绩比较基准|预期收益率?|预期年化收益率?)[^。\n]{0,12}?\d+(?:\.\d+)?\s*%")
_PERFORMANCE = re.compile(
    r"(?:年化|收益率|收益|业绩|涨幅|回报|净值增长|成立以来|近[一二三两1-3]年)[^。\n]{0,15}?\d+(?:\.\d+)?\s*%"
    r"|业绩比较基准|历史业绩|过往业绩|往期收益|历史收益"
)
_NOT_TEXT = re.compile(rf"[^{CJK}0-9a-z%]+")


def _squeeze(s: str) -> str:
    return _NOT_TEXT.sub("", s)


def products_in_text(post: Post, ctx: CheckContext) -> dict[str, Match]:
    """Each product the text mentions, with its first mention."""
    found = lexicon.hits(post, ctx)
    out: dict[str, Match] = {}
    for product, lex in PRODUCT_LEX.items():
        hs = found.get(lex)
        if hs:  # hits come in document order: title, author, digest, body
            out[product] = hs[0].match
    return out


def products_offered(post: Post, ctx: CheckContext) -> frozenset[str]:
    """The products a post is about for the approval tiers: those it declares and those its text markets.
    The approval gate picks the tiers from this, so an editor cannot drop a tier by leaving `products` out."""
    assert post.meta is not None
    return frozenset(post.meta.products) | frozenset(p for p in products_in_text(post, ctx) if p != "other")


@post_check
def finance_rules(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    assert post.meta is not None
    declared = set(post.meta.products)
    mentioned = products_in_text(post, ctx)
    found = lexicon.hits(post, ctx)

    for product, m in mentioned.items():
        if product in declared or product == "other":
            continue
        sev = Severity.ERROR if product in INVESTMENT else Severity.REVIEW
        yield at(
            R_UNDECLARED,
            post,
            m,
            f"“{m.text}” markets {PRODUCT_NAMES[product]} ({product}) but `products` does not declare it",
            hint=f"add {product} to products in the front matter (line {post.line_of('products')})",
            severity=sev,
        )

    involved = declared | set(mentioned)
    investment = sorted(involved & set(INVESTMENT))
    deposit_only = declared == {"deposit"} and not investment
    for h in found.get(LEX_GUARANTEE, ()):
        place = f" (in the {where(h.match.unit.name)})" if where(h.match.unit.name) else ""
        if investment:
            yield at(
                R_GUARANTEE,
                post,
                h.match,
                f"“{h.match.text}” promises safety or returns for a {'/'.join(investment)} product" + place,
                hint="non-guaranteed products must not state or imply 保本、无风险、保收益",
            )
        elif deposit_only and h.term.term in DEPOSIT_LEGITIMATE:
            continue  # deposits are protected by deposit insurance
        else:  # no investment product declared or named: a promise of returns still needs compliance's eyes
            yield at(
                R_GUARANTEE,
                post,
                h.match,
                f"“{h.match.text}” promises safety or returns, yet no wealth, fund or insurance product is declared "
                "or named" + place,
                hint="if the post markets an investment product declare it in `products`; otherwise drop the promise",
                severity=Severity.REVIEW,
            )
    for h in found.get(LEX_DEPOSIT, ()):
        yield at(R_DEPOSIT, post, h.match, f"“{h.match.text}” is on the deposit-marketing deny list")

    shadow = None
    products_line = post.line_of("products")
    for product in sorted(declared):
        rules = ctx.policy.compliance.products.get(product)
        if rules is None:
            continue
        for disclosure in rules.disclosures:
            if shadow is None:
                shadow = _squeeze(scan_of(post, ctx).shadow())
            if _squeeze(normalise(disclosure)) not in shadow:
                yield R_DISCLOSURE.finding(
                    post.path,
                    f"the post markets {PRODUCT_NAMES.get(product, product)} ({product}) but lacks the disclosure "
                    f"“{disclosure}”",
                    line=products_line,
                    match=product,
                    hint="add the sentence anywhere in the body, e.g. as the closing line",
                )

    if involved & {"wealth", "fund"}:
        for view in scan_of(post, ctx).views("data"):
            fig = _BASIS_FIGURE.search(view.text)
            if fig is None:
                continue
            if "测算依据" not in scan_of(post, ctx).shadow():
                yield at(
                    R_BASIS,
                    post,
                    view.match(fig.start(), fig.end()),
                    f"“{fig.group()}” shows a yield without its basis (测算依据)",
                    hint="explain how the benchmark was derived, in the same post",
                )
            break

    disclaimer = ctx.policy.compliance.past_performance_disclaimer
    if disclaimer and involved & {"wealth", "fund"}:
        for view in scan_of(post, ctx).views("data"):
            perf = _PERFORMANCE.search(view.text)
            if perf is None:
                continue
            if shadow is None:
                shadow = _squeeze(scan_of(post, ctx).shadow())
            if _squeeze(normalise(disclaimer)) not in shadow:
                yield at(
                    R_PAST,
                    post,
                    view.match(perf.start(), perf.end()),
                    f"“{perf.group()}” shows yields or past performance without “{disclaimer}”",
                    hint="add the past-performance disclaimer to the post",
                )
            break
