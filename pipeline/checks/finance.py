"""Financial marketing, product-aware: what a post may say depends on the products it markets.

The front matter's `products` says which products a post is about. A product word in the text is a
mention; only a sentence that offers the product (a named product, 认购/起购/募集/发行, a yield or a
term with its figure, the bank selling it) markets it (`products.analyse`). A product the text offers but
`products` does not declare is a finding (it changes the approval chain and the rules that apply);
`products_offered` gives the approval gate declared ∪ offered.

保本 is legitimate in a deposit-only post (deposit insurance) and banned for wealth, fund and insurance
products; other promises of returns go to review whatever `products` says (a post must not dodge the rule
by declaring no investment product); a negated guarantee (不保证本金和收益) is the disclosure, not a
guarantee (lexicon exceptions). The deposit deny list applies everywhere.

The disclosures each product needs are policy data (`compliance.products.<product>.disclosures`, with
their published variants in `compliance.variants`); they are demanded where the post markets the product (an
offer in the text, or a `product`/`campaign` post), not of an education piece that declares it, and not
of the product's own disclosure documents (NAV, maturity, benchmark-change notices). Shown yields or past
performance need the past-performance disclaimer (`compliance.past_performance_disclaimer`); the field
业绩比较基准 (a required label, and the sentences saying it is no promise) is not past performance, its
figure needs its basis (测算依据). The misselling patterns of regulators' cases are in `misselling`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..check import CheckContext, post_check
from ..findings import Finding, Severity
from ..i18n import N_, _
from ..post import Post
from . import lexicon, products
from . import misselling as misselling  # the misselling rules of the finance family register with this module
from .common import at, rule, where
from .products import INVESTMENT, MARKETING_CATEGORIES, PRODUCT_LEX, PRODUCT_NAMES, product_word
from .text import CJK, Match, normalise, scan_of

__all__ = ["INVESTMENT", "PRODUCT_LEX", "PRODUCT_NAMES", "products_in_text", "products_offered"]

# guarantee terms a post declaring only `deposit` may use (deposit insurance)
DEPOSIT_LEGITIMATE = frozenset({"保本", "有保障", "本金无忧", "连本带利", "到期本息全拿回"})
LEX_GUARANTEE = lexicon.use("finance-guarantee", "保本/无风险/保收益 and promised returns (wealth, fund, insurance)")
LEX_DEPOSIT = lexicon.use("finance-deposit", "deposit-marketing deny list (高息揽储, 贴息, ...)")
AD25 = (
    "《广告法》第二十五条 招商等有投资回报预期的商品或者服务广告，"
    "应当对可能存在的风险以及风险责任承担有合理提示或者警示……"
)

R_GUARANTEE = rule(
    "finance/guaranteed-return",
    "guaranteed-return",
    "AdLaw 25",
    Severity.ERROR,
    N_("保本, 无风险, 保收益 or a promised return for a wealth, fund or insurance product"),
    help=N_(
        "What: stating or implying capital protection, no risk or a guaranteed return for a product whose "
        "value can fall. Why: Advertising Law Art. 25 (and the financial-marketing rules) ban it; for "
        "deposits 保本 is legitimate (deposit insurance). An error when the post declares or names a wealth, fund "
        "or insurance product; `review` otherwise (whatever `products` says, a promise of returns needs "
        "compliance's eyes), except 保本 in a post whose `products` is exactly `[deposit]`. A negated guarantee "
        "(不保证本金和收益, 非保本) is the required disclosure, not a guarantee."
    ),
    instead="理财非存款，产品有风险，投资须谨慎。业绩比较基准3.0%-3.5%（年化），不代表产品实际收益。",
    quote="《广告法》第二十五条 ……不得含有下列内容：（一）对未来效果、收益或者与其相关的情况作出保证性承诺，"
    "明示或者暗示保本、无风险或者保收益等，国家另有规定的除外；",
    claim=True,
)
R_DEPOSIT = rule(
    "finance/deposit-deny",
    "deposit-deny-list",
    "AdLaw 4",
    Severity.ERROR,
    N_("deposit-marketing words on the deny list (高息揽储, 贴息, 返现揽储, 存款送礼 ...)"),
    help=N_(
        "What: words that attract deposits with irregular interest, gifts or cash back, or claim zero risk. "
        "Why: deposit-taking by improper means and exaggerated claims are banned by the financial-marketing "
        "rules and deposit-rate self-discipline."
    ),
    instead="三年期整存整取年利率2.35%（2026年12月1日起执行）。",
    quote="《广告法》第四条 广告不得含有虚假或者引人误解的内容，不得欺骗、误导消费者。",
    claim=True,
)
R_UNDECLARED = rule(
    "finance/undeclared-product",
    "undeclared-product",
    "8",
    Severity.ERROR,
    N_("the text markets a product that front-matter `products` does not declare"),
    help=N_(
        "What: a sentence that offers a product (a named product; 认购, 起购, 募集, 发行; a yield, term or rate "
        "with its figure; the bank selling it) in a post whose `products` omits that product. A mention is not "
        "an offer: 养老理财骗局, 理财小知识, 中国银行保险监督管理委员会, or 基金 in the legal definition of illegal "
        "fundraising market nothing. Why: the declared products choose the approval tiers (wealth needs "
        "leadership) and the disclosure rules; an undeclared investment product is an error, other products "
        "are sent to review."
    ),
    instead=N_("Declare it, e.g. `products: [deposit, wealth]`, and add the disclosures the policy lists."),
    quote="第八条 行总部合规部是〔微信公众号〕信息发布的审核部门，负责审核通过〔微信公众号〕对外发布的信息的合规性。",
)
R_DISCLOSURE = rule(
    "finance/missing-disclosure",
    "missing-disclosure",
    "AdLaw 25",
    Severity.ERROR,
    N_("a required risk disclosure for a marketed product is missing"),
    help=N_(
        "What: a post that markets a product (an offer in the text, or a `product`/`campaign` post declaring it) "
        "must carry the policy's disclosures for it (compliance.products), in one of their accepted wordings. "
        "An education piece that declares a product without offering it, and a product's own disclosure "
        "documents (NAV, maturity, benchmark-change notices), are not asked for them. Why: wealth marketing "
        "must carry 理财非存款，产品有风险，投资须谨慎; funds 基金有风险，投资需谨慎."
    ),
    instead="理财非存款，产品有风险，投资须谨慎。",
    quote=AD25,
)
R_PAST = rule(
    "finance/past-performance",
    "past-performance-disclaimer",
    "AdLaw 25",
    Severity.ERROR,
    N_("yields or past performance shown without the past-performance disclaimer"),
    help=N_(
        "What: a yield, return or past-performance figure (年化收益率4.5%, 4.5%年化收益率, 成立以来收益12%) without "
        "the policy's past_performance_disclaimer: an error for a wealth or fund product, `review` where no such "
        "product is declared or named. The field 业绩比较基准 with its range is not past performance (its "
        "figure needs its basis, finance/yield-basis), nor is a disclaimer sentence. Why: past performance must "
        "not be presented as future returns."
    ),
    instead="过往业绩不代表其未来表现，不等于理财产品实际收益，投资须谨慎。",
    quote=AD25,
    claim=True,
)
R_BASIS = rule(
    "finance/yield-basis",
    "yield-basis",
    "AdLaw 25",
    Severity.REVIEW,
    N_("a benchmark or expected yield of a wealth or fund product is shown without its basis (测算依据)"),
    help=N_(
        "What: 业绩比较基准 or 预期收益 with a figure, and no 测算依据 in the post. Why: a yield figure shown to "
        "customers must say how it was derived, so it is not read as a promised return."
    ),
    instead="业绩比较基准的测算依据：本产品主要投资于……根据拟投资资产的收益水平和投资策略测算得出。",
    quote=AD25,
    claim=True,
)

_PCT = r"\d+(?:\.\d+)?\s*%"
_BASIS_FIGURE = re.compile(
    rf"(?:业绩比较基准|预期收益率?|预期年化收益率?)[^。\n]{{0,12}}?{_PCT}"
    rf"|{_PCT}(?:的)?(?:预期年化收益率?|预期收益率?)"
)
_PERFORMANCE = re.compile(
    rf"(?:年化|收益率|收益|业绩|涨幅|回报|净值增长|成立以来|近[一二三两1-3]年)[^。\n]{{0,15}}?{_PCT}"
    rf"|{_PCT}\s*(?:的)?(?:年化|预期)?(?:收益率?|回报率?|涨幅)"
    r"|历史业绩|过往业绩|往期收益|历史收益"
)
_PERFORMANCE_CUES = ("%", "业绩", "往期收益", "历史收益")  # every _PERFORMANCE match holds one
_YIELD_WORD = re.compile(r"收益|回报|涨幅|业绩|净值增长")
_DISCLAIMING = re.compile(r"不代表|不预示|并不|不等于|不构成|仅供参考|不作为|不是")
_PAST = re.compile(r"历史|过往|往期|成立以来|今年以来|近[一二三两0-9]+个?[年月]|实际|已实现|上一?期|兑付")
# a promise split by words the lexicon cannot list: 保证每年收益, 保证年化回报 (保证收益 itself is a lexicon term)
_PROMISED = re.compile(r"保证(?:每年|每月|年化|年|月|到期)[^。，,；;！!？?\n]{0,4}?(?:收益|回报|利息|分红)")
_NOT_TEXT = re.compile(rf"[^{CJK}0-9a-z%]+")


def _squeeze(s: str) -> str:
    """A wording as compared: no punctuation or spaces, and 需 read as 须 (both are published)."""
    return _NOT_TEXT.sub("", s).replace("需", "须")


def _carried(wordings: tuple[str, ...], shadow: str) -> bool:
    return any(_squeeze(normalise(w)) in shadow for w in wordings)


def products_in_text(post: Post, ctx: CheckContext) -> dict[str, Match]:
    """Each product the text mentions outside warnings and definitions, with its first mention."""
    return dict(products.analyse(post, ctx).mentioned)


def products_offered(post: Post, ctx: CheckContext) -> frozenset[str]:
    """The products a post is about for the approval tiers: those it declares and those its text offers.
    The approval gate picks the tiers from this, so an editor cannot drop a tier by leaving `products` out;
    a product only mentioned (a warning, a lesson, a regulator's name) adds no tier."""
    assert post.meta is not None
    offered = products.analyse(post, ctx).offered
    return frozenset(post.meta.products) | frozenset(p for p in offered if p != "other")


def _performance(text: str) -> re.Match[str] | None:
    """The first figure or phrase in `text` that shows yields or past performance as such: not the benchmark
    field and its range (a label), and not a sentence that disclaims past performance."""
    for m in _PERFORMANCE.finditer(text):
        sent = products.sentence(text, m.start(), m.end())
        if m.group() in ("历史业绩", "过往业绩", "往期收益", "历史收益"):
            if _DISCLAIMING.search(sent):
                continue  # 过往业绩不代表……, 过往业绩……不构成……的保证: the disclaimer itself
            return m
        if "比较基准" in sent and not _PAST.search(sent):
            continue  # the benchmark (a required label with its range), or a sentence about it
        if _DISCLAIMING.search(sent) and not _PAST.search(m.group()):
            continue
        return m
    return None


@post_check
def finance_rules(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    assert post.meta is not None
    declared = set(post.meta.products)
    analysis = products.analyse(post, ctx)
    found = lexicon.hits(post, ctx)

    for product, m in analysis.offered.items():
        if product in declared or product == "other":
            continue
        sev = Severity.ERROR if product in INVESTMENT else Severity.REVIEW
        yield at(
            R_UNDECLARED,
            post,
            m,
            _(
                "“{term}” offers {name} ({product}) but `products` does not declare it",
                term=m.text,
                name=PRODUCT_NAMES[product],
                product=product,
            ),
            hint=_(
                "add {product} to products in the front matter (line {line})",
                product=product,
                line=post.line_of("products"),
            ),
            severity=sev,
        )

    investment = analysis.investment(declared)
    deposit_only = declared == {"deposit"} and not investment
    promises = [(h.match, h.term.term) for h in found.get(LEX_GUARANTEE, ())]
    view = scan_of(post, ctx).views("lexicon")[0]
    if "保证" in view.text:  # 保证每年收益4.5%, 保证年化回报: the verb and its object apart
        promises += [(view.match(m.start(), m.end()), "") for m in _PROMISED.finditer(view.text)]
    for m, term in promises:
        if products.negated(m.unit.text, m.start) or products.answered_no(m.unit.text, m.end):
            continue  # 不保证本金和收益, 不代表产品保本, 能保本吗？不能: the disclosure, not a guarantee
        place = where(m.unit.name)
        if investment:
            message = _(
                "“{term}” promises safety or returns for a {product} product",
                term=m.text,
                product="/".join(product_word(p) for p in investment),
            )
            yield at(
                R_GUARANTEE,
                post,
                m,
                message + (_(" (in the {place})", place=place) if place else ""),
                hint=_("non-guaranteed products must not state or imply 保本、无风险、保收益"),
            )
        elif deposit_only and term in DEPOSIT_LEGITIMATE:
            continue  # deposits are protected by deposit insurance
        else:  # no investment product declared or named: a promise of returns still needs compliance's eyes
            message = _(
                "“{term}” promises safety or returns, yet no wealth, fund or insurance product is declared or named",
                term=m.text,
            )
            yield at(
                R_GUARANTEE,
                post,
                m,
                message + (_(" (in the {place})", place=place) if place else ""),
                hint=_(
                    "if the post markets an investment product declare it in `products`; otherwise drop the promise"
                ),
                severity=Severity.REVIEW,
            )
    for h in found.get(LEX_DEPOSIT, ()):
        yield at(R_DEPOSIT, post, h.match, _("“{term}” is on the deposit-marketing deny list", term=h.match.text))

    if analysis.disclosure_document:
        return  # a NAV, maturity or benchmark notice is itself the disclosure: nothing more is demanded of it

    shadow: str | None = None
    products_line = post.line_of("products")
    marketing = post.meta.category in MARKETING_CATEGORIES
    for product in sorted(declared):
        rules = ctx.policy.compliance.products.get(product)
        if rules is None or not (marketing or product in analysis.offered):
            continue
        for disclosure in rules.disclosures:
            wordings = ctx.policy.compliance.wordings(disclosure)
            if shadow is None:
                shadow = _squeeze(scan_of(post, ctx).shadow())
            if not _carried(wordings, shadow):
                yield R_DISCLOSURE.finding(
                    post.path,
                    _(
                        "the post markets {name} ({product}) but lacks the disclosure “{disclosure}”",
                        name=PRODUCT_NAMES.get(product, product),
                        product=product,
                        disclosure=disclosure,
                    ),
                    line=products_line,
                    match=product,
                    hint=_("add the sentence anywhere in the body, e.g. as the closing line")
                    + (
                        _(" (accepted wordings: {wordings})", wordings=" / ".join(wordings))
                        if len(wordings) > 1
                        else ""
                    ),
                )

    involved = declared | set(analysis.mentioned)
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
                    _("“{term}” shows a yield without its basis (测算依据)", term=fig.group()),
                    hint=_("explain how the benchmark was derived, in the same post"),
                )
            break

    disclaimer = ctx.policy.compliance.past_performance_disclaimer
    if not disclaimer:
        return
    accepted = ctx.policy.compliance.wordings(disclaimer)
    for view in scan_of(post, ctx).views("data"):
        if not any(cue in view.text for cue in _PERFORMANCE_CUES):
            break
        perf = _performance(view.text)
        if perf is None:
            continue
        severity: Severity | None = None
        if not involved & {"wealth", "fund"}:
            if deposit_only or not _YIELD_WORD.search(perf.group()) or "%" not in perf.group():
                break  # without a wealth or fund product, only a yield figure as such needs compliance's eyes
            severity = Severity.REVIEW
        if shadow is None:
            shadow = _squeeze(scan_of(post, ctx).shadow())
        if not _carried(accepted, shadow):
            yield at(
                R_PAST,
                post,
                view.match(perf.start(), perf.end()),
                _(
                    "“{term}” shows yields or past performance without “{disclaimer}”",
                    term=perf.group(),
                    disclaimer=disclaimer,
                ),
                hint=_("add the past-performance disclaimer to the post"),
                severity=severity,
            )
        break
