"""Which products a post is about: a mention is not marketing.

A product word (理财, 基金, 保险, 存款 ...) from the `product-*` lexicons is a *mention*. Institution
names and compounds that are not products (中国银行保险监督管理委员会, 存款保险, 社会保险, 公积金) are
lexicon exceptions, so they are not even mentions. A mention *offers* the product only when its
sentence does what a launch or a promotion does:

- a named product: a quoted name (“稳享”理财, 《…》), or a series, issue or number next to the word
  (稳享系列第12期理财产品);
- an offer verb: 认购, 申购, 起购, 募集, 发行, 发售, 在售, 热销, 推出, 预约, 代销 ..., or an invitation
  (可/欢迎/立即/快来 + 购买/办理/申请/投保 ...), or a promotion (优惠, 有礼, 专享, 立减 ...);
- a figure of the offer: 收益率, 年化, 业绩比较基准, 利率, 期限, 起购金额, 额度 ... followed by a number;
- the bank as the seller: 我行/本行/our names + 推出, 发行, 代理销售, 在售 ...

A sentence that warns (骗局, 诈骗, 非法, 不法分子, 警惕, 冒充, 以…为名, 打着 ...) or defines (是指, 定义)
offers nothing: 养老理财骗局, 理财小知识, 非法集资的法律定义 mention products and market none. A
product's own disclosure documents (NAV, valuation, maturity, benchmark-change, dividend notices) inform
holders; they are not offers either (`disclosure_document`).

`analyse(post, ctx)` computes this once per post (cached on the scan) for the finance rules and for
`finance.products_offered`, which the approval gate calls to pick the tiers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..check import CheckContext
from ..i18n import language
from ..policy import PRODUCT_NAMES, PRODUCTS
from ..post import Post
from . import lexicon
from .text import Match, scan_of


def product_word(product: str) -> str:
    """How a message names a product kind: its Chinese name (理财) in Chinese, its `products` code in English."""
    return PRODUCT_NAMES.get(product, product) if language() == "zh_CN" else product


PRODUCT_LEX = {p: lexicon.use(f"product-{p}", f"words that show a post is about {p} products") for p in PRODUCTS}
INVESTMENT = ("wealth", "fund", "insurance")
MARKETING_CATEGORIES = ("product", "campaign")  # a post of these categories markets what it declares

# Sentence ends; a table cell ends a sentence too.
_END = "。！？!?；;\n|"
# A sentence that warns, or teaches or defines, offers nothing.
WARNING = re.compile(
    r"骗|诈|陷阱|非法|不法|违法|犯罪|传销|警惕|谨防|提防|防范|识别|冒充|假冒|虚假|伪造|所谓|声称|号称|幌子|"
    r"以[^。！？；\n]{1,12}为名|打着|切勿|不要轻信|不轻信|严禁|禁止|不得|套路|洗钱|跑路|维权|投诉|"
    r"是指|定义|小知识|知识|科普|课堂|答疑|说成|当成|当作|混淆|误导|"
    r"投资范围|投资于|投资对象|底层资产|资产配置"  # asset classes of a product (银行存款、债券), not offers
)
OFFER = re.compile(
    r"认购|申购|起购|起投|起存|募集|发行|发售|开售|在售|热销|热卖|抢购|上线|推出|首发|新发|预约|代销|代理销售|"
    r"开门红|优惠|有礼|送礼|礼品|立减|减免|免费办理|专享|特供|限时|火热|"
    r"(?:可|即可|均可|欢迎|立即|马上|快来|赶快|速来|敬请|请到|前来|一键)[^。！？；\n]{0,4}"
    r"(?:办理|申请|购买|投保|选购|存入|认购|咨询|体验|参与|开通|领取)"
)
FIGURE = re.compile(
    r"(?:收益率|收益|年化|业绩比较基准|利率|期限|起购金额|起点金额|购买起点|额度|费率|保费|保额|缴费|保障期|领取)"
    r"[^。！？；\n]{0,12}?\d"
)
_QUOTED_NAME = r"[“「『《\"](?:(?!理财|基金|保险|存款|存单|贷款)[^”」』》\"\n]){1,20}[”」』》\"]"
NAMED = re.compile(
    rf"{_QUOTED_NAME}(?:系列|牌)?(?:[^。！？；，,\n]{{0,4}}?)(?:理财|基金|保险|险|存款|存单|贷)"
    rf"|(?:理财|基金|保险)(?:产品|计划)?{_QUOTED_NAME}"
    r"|(?:系列|第\d+期|\d+号|\d+期|[A-Z]{2,}\d+)[^。！？；\n]{0,8}(?:理财|基金|保险|险|存单)"
)
SELLER = re.compile(
    r"本产品|该产品|此产品|本期产品|这款|此款|该款|(?:我行|本行)[^。！？；\n]{0,10}(?:推出|发行|代销|代理|销售|售|提供|推荐|为您|上新|开办)"
)
# the product as the subject of an offer: 贷款申请流程简便, 理财产品认购期, 信用卡办理
_SUBJECT = re.compile(r"(?:产品)?(?:申请|办理|认购|申购|发售|开售|上线|募集|发行|热销|在售)")
DISCLOSURE_DOC = re.compile(
    r"(?:净值|估值|到期|兑付|清算|成立|终止|分红|收益分配|份额|信息披露|募集结果|募集情况|发行结果|发行情况|暂停|恢复|"
    r"业绩比较基准[^。\n]{0,8}(?:调整|变更)"
    r"|(?:调整|变更)[^。\n]{0,20}业绩比较基准|(?:运作|定期|季度|半年度|年度)报告)[^。\n]{0,12}(?:公告|报告|披露)"
)


# a clause that says what is not a deposit (基金和保险不是存款) or names a misuse (以存款名义): no offer in it
_DENIED = re.compile(r"(?:不是|并非|不属于|非)(?:银行)?(?:存款|储蓄)|不受存款保险|以[^，。！？；\n]{1,8}名义")
_CLAUSE_END = "，。！？；：,!?;:\n"
_CLAUSE_END_RE = re.compile(f"[{_CLAUSE_END}]")


_REACH = 200  # a sentence is read up to this many characters either side of the term


_END_RE = re.compile(f"[{re.escape(_END)}]")
_ENDS = {_END: _END_RE, _CLAUSE_END: _CLAUSE_END_RE}


def _around(text: str, start: int, end: int, ends: str) -> tuple[int, int]:
    lo, hi = max(0, start - _REACH), min(len(text), end + _REACH)
    pattern = _ENDS[ends]
    # backwards: the nearest full stop or line break first, then any other end between it and the term
    s = max(text.rfind("。", lo, start), text.rfind("\n", lo, start)) + 1 or lo
    s = max(s, lo)
    for m in pattern.finditer(text, s, start):
        s = m.end()
    after = pattern.search(text, end, hi)
    return s, after.start() if after else hi


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the sentence around [start, end): from the last sentence end before it to the next one (at
    most `_REACH` characters either side: a few searches near the term, whatever the length of the post)."""
    return _around(text, start, end, _END)


def sentence(text: str, start: int, end: int) -> str:
    """The sentence of `text` around [start, end) (see `sentence_span`)."""
    s, e = sentence_span(text, start, end)
    return text[s:e]


# Negators that deny what follows them in the clause: 不保证本金, 不等于没有风险, 更不是承诺收益, 不得承诺保本.
_NEGATOR = re.compile(
    r"(?:不等于|不等同于|不是|并非|不代表|不意味着|不再有|不再|没有|并不|不会|不能|无法|不得|不可|不应|不存在|禁止|严禁|杜绝|"
    r"不承诺|不保证|不构成|不属于|而非|绝非|不设|未设|不提供)[^，。！？；：,!?;:\n]{0,8}$"
)
_QUOTES = re.compile(r"[“”‘’「」『』\"'《》]")


def clause(text: str, start: int, end: int) -> str:
    """The clause of `text` around [start, end) (between commas, colons and sentence ends)."""
    s, e = _around(text, start, end, _CLAUSE_END)
    return text[s:e]


def negated(text: str, start: int) -> bool:
    """Whether a negator before `start`, in the same clause and at most 8 characters before, denies the term:
    不保证本金和收益, 不等于“没有风险”, 不代表产品保本. A negation of something else does not count:
    不要错过！保本保收益 and 别犹豫，稳赚不赔 keep their claims (the clause ends before the term)."""
    before = text[max(0, start - 16) : start]
    cut = [m.end() for m in _CLAUSE_END_RE.finditer(before)]
    before = _QUOTES.sub("", before[cut[-1] :] if cut else before)
    return bool(_NEGATOR.search(before))


_ANSWERED_NO = re.compile(r"[^。！？!?\n]{0,12}?[吗么][？?]\s*(?:答[：:]?\s*)?(?:不|没有|否|并非|当然不|绝不)")


def answered_no(text: str, end: int) -> bool:
    """Whether the term ends a question that the next words answer with no: 理财能保本吗？答：不能。
    A rhetorical question with no denial after it (想要保本吗？选稳享！) stays a claim."""
    return bool(_ANSWERED_NO.match(text, end))


def offers(sent: str) -> bool:
    """Whether a sentence (with a product word) offers it: named, an offer verb, a figure or the bank selling."""
    if WARNING.search(sent):
        return False
    return bool(OFFER.search(sent) or FIGURE.search(sent) or NAMED.search(sent) or SELLER.search(sent))


def _strong(sent: str) -> bool:
    """A named product, a figure of the offer or the bank selling: an offer whatever the product word's form."""
    return bool(FIGURE.search(sent) or NAMED.search(sent) or SELLER.search(sent))


def _listed(text: str, start: int, end: int) -> bool:
    """A product word in a list of kinds (理财、基金、保险等产品): a category, not a product on offer."""
    return text[end : end + 1] in ("、", "等", "及") or text[start - 1 : start] == "、"


MAX_HITS = 6  # mentions read per product: a post that has not offered it by then is not about it


@dataclass(frozen=True)
class Products:
    """What the text says about products: first mentions outside warnings, first offers, and the document kind."""

    mentioned: dict[str, Match]  # outside warning and definition sentences (a declared product: its first word)
    offered: dict[str, Match]  # offered in the text (not read for what a product or campaign post declares)
    disclosure_document: bool

    def investment(self, declared: Iterable[str]) -> list[str]:
        """The investment products (wealth, fund, insurance) declared or mentioned, sorted."""
        return sorted((set(declared) | set(self.mentioned)) & set(INVESTMENT))


def is_disclosure_document(post: Post) -> bool:
    """A NAV, valuation, maturity, benchmark-change or dividend notice (its title, or the body's first line)."""
    title = post.meta.title if post.meta is not None else ""
    first = post.body.lstrip().split("\n", 1)[0][:80]
    return bool(DISCLOSURE_DOC.search(title) or DISCLOSURE_DOC.search(first))


def analyse(post: Post, ctx: CheckContext) -> Products:
    scan = scan_of(post, ctx)
    cached = scan.memo.get("products")
    if isinstance(cached, Products):
        return cached
    found = lexicon.hits(post, ctx)
    doc = is_disclosure_document(post)
    mentioned: dict[str, Match] = {}
    offered: dict[str, Match] = {}
    # sentence -> (warns, offers, offers whatever the word's form): products share sentences
    verdicts: dict[str, tuple[bool, bool, bool]] = {}
    settled: set[str] = set()  # declared in a product or campaign post: marketed, whatever its text says
    if post.meta is not None and post.meta.category in MARKETING_CATEGORIES:
        settled = set(post.meta.products)
    for product, lex in PRODUCT_LEX.items():
        hits = found.get(lex, ())
        if product in settled:
            if hits:
                mentioned[product] = hits[0].match
            continue
        for h in hits[:MAX_HITS]:  # hits come in document order: title, author, digest, body
            m = h.match
            sent = sentence(m.unit.text, m.start, m.end)
            verdict = verdicts.get(sent)
            if verdict is None:
                warns = bool(WARNING.search(sent))
                offer = not warns and not doc and offers(sent)
                verdict = verdicts[sent] = (warns, offer, offer and _strong(sent))
            if verdict[0]:
                continue
            if negated(m.unit.text, m.start) or _DENIED.search(clause(m.unit.text, m.start, m.end)):
                continue  # 不是银行理财产品, 基金和保险不是存款, 以存款名义: denied or misnamed, not offered
            mentioned.setdefault(product, m)
            if verdict[2] or (verdict[1] and not _listed(m.unit.text, m.start, m.end)):
                offered[product] = m
                break
            if not doc and _SUBJECT.match(m.unit.text, m.end):
                offered[product] = m
                break
    result = Products(mentioned, offered, doc)
    scan.memo["products"] = result
    return result
