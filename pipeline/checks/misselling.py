"""Misselling patterns regulators cite, beyond the guarantee words: the `finance/` rules of class 5.

- implied safety for an investment or insurance product (安全可靠, 五重保障, 本金安全 ...);
- promises of income (躺着赚钱, 年入百万, 月入过万 ...);
- insurance sold with deposit words (存单变保单: 存款, 储蓄, 存单, 利息, 存5年 for an insurance product);
- comparison with deposits to imply safety or a better return (比存款收益高, 跑赢定期存款);
- pressure to buy a financial product (即将停售, 限时抢购, 额度有限): `review`;
- endorsements by experts, authorities or regulators (专家推荐, 权威推荐, 国资背景): Advertising Law 25(2).

Fixed phrases live in lexicons the bank extends (`finance-safety`, `finance-income`, `finance-pressure`,
`finance-endorsement`); the few patterns with a number (N重保障, 月入过万, 比存款高) are regular
expressions that run only when a literal cue is in the post. Every rule here is a claim rule
(`claim=True`): quoted in a warning (警惕“稳赚不赔”), cited or negated, the frame pass changes the
severity and says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..check import CheckContext, post_check
from ..findings import Finding, Rule, Severity
from ..i18n import N_, _
from ..post import Post
from . import lexicon, products
from .common import at, rule
from .text import Match, View, normalise, scan_of

LEX_SAFETY = lexicon.use("finance-safety", "implied safety of investment or insurance products (安全可靠 ...)")
LEX_INCOME = lexicon.use("finance-income", "promises of income (躺着赚钱, 年入百万 ...)")
LEX_PRESSURE = lexicon.use("finance-pressure", "pressure to buy financial products (即将停售, 限时抢购 ...)")
LEX_ENDORSE = lexicon.use("finance-endorsement", "endorsements by experts, authorities, regulators (专家推荐 ...)")

AD25 = (
    "《广告法》第二十五条 招商等有投资回报预期的商品或者服务广告，应当对可能存在的风险以及风险责任承担有合理提示"
    "或者警示，并不得含有下列内容：（一）对未来效果、收益或者与其相关的情况作出保证性承诺，明示或者暗示保本、无风险"
    "或者保收益等，国家另有规定的除外；（二）利用学术机构、行业协会、专业人士、受益者的名义或者形象作推荐、证明。"
)
AD4 = "《广告法》第四条 广告不得含有虚假或者引人误解的内容，不得欺骗、误导消费者。"

R_SAFETY = rule(
    "finance/implied-safety",
    "implied-safety",
    "AdLaw 25",
    Severity.ERROR,
    N_("implied safety for an investment or insurance product (安全可靠, 五重保障, 本金安全)"),
    help=N_(
        "What: words that tell the customer an investment or insurance product cannot lose: 安全可靠, 安全稳健, "
        "本金安全, 收益有保障, 低风险高收益, a number of layers of protection (三重保障, 五重保障). Why: the "
        "Advertising Law Art. 25 bans stating or implying capital protection or no risk; regulators fine these "
        "words as implied guarantees. Only where the post is about a wealth, fund or insurance product (a "
        "sentence about the safety of mobile banking is not concerned)."
    ),
    instead="本产品风险等级为R2（中低风险），不保证本金和收益，请根据自身风险承受能力审慎选择。",
    quote=AD25,
    claim=True,
)
R_INCOME = rule(
    "finance/income-promise",
    "income-promise",
    "AdLaw 25",
    Severity.ERROR,
    N_("a promise of income (躺着赚钱, 年入百万, 月入过万)"),
    help=N_(
        "What: promises that buying or investing brings a sure or large income: 躺着赚钱, 躺赚, 轻松赚钱, "
        "年入百万, 月入过万, 收益翻倍. Why: Advertising Law Art. 25(1) bans promises about future returns; "
        "an error where an investment product is involved, `review` elsewhere."
    ),
    instead=N_("Describe the product and its risk level; leave out any promise of income."),
    quote=AD25,
    claim=True,
)
R_INSURANCE_DEPOSIT = rule(
    "finance/insurance-as-deposit",
    "insurance-as-deposit",
    "AdLaw 4",
    Severity.ERROR,
    N_("an insurance product presented with deposit words (存单变保单)"),
    help=N_(
        "What: an insurance product and deposit words in one clause (存款, 储蓄, 存单, 定存, 存钱, 利息, 存5年, "
        "到期还本), or insurance equated with a deposit (相当于高息定期); in a product or campaign post that sells "
        "insurance and no deposit, deposit words anywhere. Why: selling insurance as a deposit (存单变保单) is the "
        "misselling regulators fine most often in bank-agency insurance; the customer must know it is insurance, "
        "from an insurer, with surrender costs. A clause that tells the two apart (保险不是存款) is fine."
    ),
    instead="本产品为XX人寿保险股份有限公司的年金保险，不是存款，提前退保可能损失本金。",
    quote=AD4,
    claim=True,
)
R_COMPARE = rule(
    "finance/deposit-comparison",
    "deposit-comparison",
    "AdLaw 4",
    Severity.ERROR,
    N_("an investment or insurance product compared with deposits (比存款收益高)"),
    help=N_(
        "What: a return or safety compared with deposits: 比存款收益高, 高于定期存款, 跑赢存款, 是存款利息的3倍, "
        "和存款一样安全. Why: comparing a product that can lose with deposits implies the same safety and misleads "
        "(an improper analogy); a post that declares only deposits, comparing its own products, is exempt."
    ),
    instead=N_("State the product's own benchmark, risk level and basis, without comparing it with deposits."),
    quote=AD4,
    claim=True,
)
R_PRESSURE = rule(
    "finance/pressure-sale",
    "pressure-sale",
    "AdLaw 4",
    Severity.REVIEW,
    N_("pressure to buy a financial product (即将停售, 限时抢购, 额度有限)"),
    help=N_(
        "What: urgency for an investment or insurance product: 即将停售, 限时抢购, 额度有限, 售完即止, 先到先得. "
        "Why: pressure tactics push customers past the risk assessment and are cited in regulators' misselling "
        "cases; compliance decides whether the limit is true and stated fairly."
    ),
    instead=N_("State the real subscription period: 募集期为2026年12月15日至12月21日。"),
    quote=AD4,
    claim=True,
)
R_ENDORSE = rule(
    "finance/endorsement",
    "endorsement",
    "AdLaw 25",
    Severity.ERROR,
    N_("an endorsement by experts, authorities or regulators (专家推荐, 权威推荐)"),
    help=N_(
        "What: 专家保证, 专家推荐, 权威推荐, 名人推荐, 监管背书, 国资背景: a product recommended or vouched for "
        "by experts, authorities or the regulator. Why: Advertising Law Art. 25(2) bans recommendations and "
        "testimonials by academics, associations, professionals or beneficiaries in investment advertising, "
        "and no one may use a regulator's approval as a guarantee."
    ),
    instead=N_("Let the product's documents speak: 详见产品说明书和风险揭示书。"),
    quote=AD25,
    claim=True,
)

RULES: tuple[Rule, ...] = (R_SAFETY, R_INCOME, R_INSURANCE_DEPOSIT, R_COMPARE, R_PRESSURE, R_ENDORSE)

_LAYERS = re.compile(r"(?:[双两三四五六七八九十多]|\d+)重(?:安全)?(?:保障|保护|保险|防护)")
_LAYER_CUES = re.compile("重(?:保|安全|防护)")
_CHANNEL = re.compile(r"手机银行|网银|网上银行|app|系统|密码|验证码|u盾|支付|账户安全|信息安全|网点")
_INVESTMENT_WORD = re.compile(r"理财|基金|保险|险|收益|投资|回报|产品")
_INCOME = re.compile(
    r"[年月日周天]入(?:过|超|上|破)?(?:\d+|[一二三四五六七八九十两百千万]+)(?:元|块)?"
    r"|[年月日周天]赚(?:\d+|[一二三四五六七八九十两百千万]+)|收益翻(?:倍|番|\d+倍)"
    r"|躺(?:着|平)?[^。，,！!？?;；\n]{0,4}?赚"
)
_INCOME_CUES = re.compile("[年月日周天][入赚]|收益翻|躺")
_DEPOSIT_WORDS = re.compile(
    r"存款|储蓄|存单|定存|存钱|存入|零存整取|整存整取|存期|利息|年利率|"
    r"存(?:\d+|[一二三四五六七八九十两])年|到期(?:还本|返本|本息)|"
    r"(?:相当于|等同于?|就像|如同|堪比|好比)[^，。,；;\n]{0,8}?(?:定期|存款|储蓄|存单)"
)
_NOT_DEPOSIT = re.compile(r"存款保险|被保险存款|投保机构")
# a clause that tells insurance and deposits apart, or describes the misselling, does not sell one as the other
_CONTRAST = re.compile(
    r"不是|并非|而非|不等于|不属于|没有|不具有|不具备|不含|区别|不同|有别|还是|而是|说成|当成|当作|混淆|误导|变成|变保单|"
    r"冒充|不计|不支付|不返还|非存款|非储蓄|名义"
)
# 没有区别, 没什么两样: the contrast words that say the two are the same
_SAME = re.compile(r"(?:没有|没|无|并无)(?:什么)?(?:区别|差别|两样|不同)")
# a clause that says the policy IS a deposit, without an insurance word in it: 相当于高息定期, 就像存款一样
_EQUATES = re.compile(r"(?:相当于|等同于?|就像|如同|堪比|好比)|(?:没有|没|无|并无)(?:什么)?(?:区别|差别|两样)")
_INSURANCE_WORD = re.compile(r"保险|保单|险")
_CLAUSE = re.compile(r"[^，。！？；：,!?;:\n]+")
_COMPARE = re.compile(
    r"比(?:放|存|买)?(?:银行)?(?:定期)?(?:存款|储蓄|定存|存银行)[^。，,！？!?;；\n]{0,8}?(?:高|多|强|划算|好|赚|香)"
    r"|(?:高于|超过|远超|跑赢|胜过|秒杀|完胜|超越|碾压|好过)(?:同期)?(?:银行)?(?:定期)?(?:存款|储蓄|定存)"
    r"|(?:存款|储蓄|定存)(?:的)?(?:利息|收益|利率)?(?:太低|不如|远低于|比不上|跑不赢)"
    r"|是(?:同期)?(?:银行)?(?:定期)?(?:存款|储蓄)(?:利率|利息|收益)?的(?:\d+(?:\.\d+)?|[两三四五六七八九十])倍"
    r"|[和跟与同像](?:银行)?(?:定期)?(?:存款|储蓄|定存)一样(?:安全|稳|保本|放心|可靠)?"
    r"|(?:安全|风险|保障)(?:性)?(?:等同|等同于|堪比|相当于|媲美)(?:银行)?(?:定期)?(?:存款|储蓄|定存)"
)
_COMPARE_CUES = re.compile("存款|储蓄|定存|存银行")


def _lexicon_view(post: Post, ctx: CheckContext) -> View:
    return scan_of(post, ctx).views("lexicon")[0]


def _regex_hits(view: View, pattern: re.Pattern[str], cues: re.Pattern[str]) -> Iterator[tuple[Match, str]]:
    """Matches of `pattern` in the post's lexicon view with their sentences. The pattern runs only on the
    sentences that hold one of its literal cues (every match contains a cue), never over the whole post."""
    text = view.text
    spans: set[tuple[int, int]] = set()
    for c in cues.finditer(text):
        spans.add(products.sentence_span(text, c.start(), c.end()))
    for s, e in sorted(spans):
        for m in pattern.finditer(text, s, e):
            yield view.match(m.start(), m.end()), text[s:e]


def _merge(first: list[Match], more: list[Match]) -> list[Match]:
    """`first`, then the matches of `more` that overlap none of them (a phrase found by the lexicon and a pattern)."""
    out = list(first)
    for m in more:
        if not any(o.unit is m.unit and o.start < m.end and m.start < o.end for o in out):
            out.append(m)
    return out


def _shadow_sentence(m: Match) -> str:
    return normalise(products.sentence(m.unit.text, m.start, m.end))


def _insurance_as_deposit(post: Post, ctx: CheckContext, found: dict[str, list[lexicon.Hit]]) -> Iterator[Finding]:
    assert post.meta is not None
    insurance = found.get(products.PRODUCT_LEX["insurance"], ())
    places: list[tuple[Match, str]] = [(h.match, _shadow_sentence(h.match)) for h in insurance]
    declared = set(post.meta.products)
    sells_insurance = (
        "insurance" in declared and "deposit" not in declared and post.meta.category in ("product", "campaign")
    )
    if sells_insurance:  # every sentence of the post speaks of the insurance product
        view = _lexicon_view(post, ctx)
        # sentences compared in one form: a hit's offsets are its unit's, not the view's
        seen = {s for _m, s in places}
        for d in _DEPOSIT_WORDS.finditer(_NOT_DEPOSIT.sub("\x00", view.text)):
            sent = normalise(products.sentence(view.text, d.start(), d.end()))
            if sent not in seen:
                seen.add(sent)
                places.append((view.match(d.start(), d.end()), sent))
    reported: set[str] = set()
    for m, sent in places:
        if sent in reported:
            continue
        word = _deposit_word(sent, sells_insurance)
        if word is None:
            continue
        reported.add(sent)
        yield at(
            R_INSURANCE_DEPOSIT,
            post,
            m,
            _("an insurance product is presented with the deposit word “{word}”", word=word),
            hint=_("say it is insurance from an insurer, not a deposit; drop the deposit words"),
        )


def _deposit_word(sent: str, anywhere: bool = False) -> str | None:
    """The first deposit word of a sentence in a clause that does not tell insurance and deposits apart. The
    clause names the insurance too (这款保险存5年) or equates the two (相当于高息定期), unless the whole post sells
    insurance and no deposit (`anywhere`): there every clause speaks of the policy."""
    cleaned = _NOT_DEPOSIT.sub("\x00", sent)
    for clause in _CLAUSE.finditer(cleaned):
        text = clause.group()
        d = _DEPOSIT_WORDS.search(text)
        if d is None or (_CONTRAST.search(text) and not _SAME.search(text)):
            continue
        if not (anywhere or _INSURANCE_WORD.search(text) or _EQUATES.search(text)):
            continue
        if d.group() == "利息" and "贷款" in cleaned:
            continue  # interest on a policy loan is a cost the customer must be told about
        return d.group()
    return None


@post_check
def misselling_rules(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    assert post.meta is not None
    found = lexicon.hits(post, ctx)
    analysis = products.analyse(post, ctx)
    investment = analysis.investment(post.meta.products)
    what = "/".join(products.product_word(p) for p in investment)
    view: View | None = None

    # implied safety: only about an investment or insurance product
    if investment:
        safety = [(h.match, _shadow_sentence(h.match)) for h in found.get(LEX_SAFETY, ())]
        view = view or _lexicon_view(post, ctx)
        extra = list(_regex_hits(view, _LAYERS, _LAYER_CUES))
        kept = _merge([m for m, _s in safety], [m for m, _s in extra])
        safety = [pair for pair in safety + extra if pair[0] in kept]
        for m, sent in safety:
            if products.negated(m.unit.text, m.start):
                continue  # 不等于没有风险: the warning, not the claim
            if _CHANNEL.search(sent) and not _INVESTMENT_WORD.search(sent.replace(m.text, "")):
                continue  # the safety of a channel (mobile banking, passwords), not of a product
            yield at(
                R_SAFETY,
                post,
                m,
                _("“{term}” implies that a {product} product is safe", term=m.text, product=what),
                hint=_("state the risk level and that principal and returns are not guaranteed"),
            )

    # promises of income
    income = [h.match for h in found.get(LEX_INCOME, ())]
    view = view or _lexicon_view(post, ctx)
    income = _merge(income, [m for m, _s in _regex_hits(view, _INCOME, _INCOME_CUES)])
    for m in income:
        yield at(
            R_INCOME,
            post,
            m,
            _("“{term}” promises income", term=m.text),
            hint=_("describe the product and its risks; promise no income"),
            severity=None if investment else Severity.REVIEW,
        )

    # insurance with deposit words: in the sentence of an insurance word, or anywhere in a post that markets
    # insurance and no deposit
    yield from _insurance_as_deposit(post, ctx, found)

    # comparison with deposits: whatever is compared with deposits is not one (a deposit-only post compares its own)
    if not (set(post.meta.products) <= {"deposit"} and post.meta.products and not investment):
        view = view or _lexicon_view(post, ctx)
        for m, _sent in _regex_hits(view, _COMPARE, _COMPARE_CUES):
            if "国债" in products.clause(m.unit.text, m.start, m.end):
                continue  # savings bonds are state-backed: their rate stated against deposits is a fact
            yield at(
                R_COMPARE,
                post,
                m,
                _("“{term}” compares a return or safety with deposits", term=m.text),
                hint=_("state the product's own benchmark and risk; do not compare it with deposits"),
            )

    # pressure to buy: for investment and insurance products
    if investment:
        for h in found.get(LEX_PRESSURE, ()):
            yield at(
                R_PRESSURE,
                post,
                h.match,
                _("“{term}” pressures the customer to buy a {product} product", term=h.match.text, product=what),
                hint=_("state the real subscription period or quota instead of urgency"),
            )

    for h in found.get(LEX_ENDORSE, ()):
        yield at(
            R_ENDORSE,
            post,
            h.match,
            _("“{term}” uses an endorsement to recommend a product", term=h.match.text),
            hint=_("no experts, authorities or regulators as guarantors; refer to the product documents"),
        )
