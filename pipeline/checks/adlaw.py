"""Advertising Law: absolute terms (Art. 9(3)) and cited figures without a source (Art. 11).

Absolute terms are an open class judged in context, following the SAMR 《广告绝对化用语执法指南》 (2023):
candidates come from the lexicon `adlaw-absolute` and from the guide's patterns (最 + adjective, 首推/首家,
唯一, 第一/No.1 as rankings, 冠军, 顶级, 极致, 全网/全国 + 首/第一); `judge` reads each in its sentence with
the segmenter (`words`): part of another word, a number or a sequence word is no finding; the guide's
exemptions (a goal, a consumer tip, an award's name, a stated limit, the bank's own products) are `info`
with the reason; returns and safety are never exempt. The frame pass (`frames`) then reads warnings and
citations around the remaining claims. Absolute terms inside a fenced code block (published, but shown as
written) are `review`, not `error`. A cited statistic or survey without its source goes to review.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from ..check import CheckContext, post_check
from ..findings import Finding, Severity
from ..i18n import N_, _
from ..post import Post
from . import frames, lexicon, words
from .common import at, rule, where
from .text import Match, scan_of

LEX_ABSOLUTE = lexicon.use("adlaw-absolute", "Advertising Law Art. 9(3): absolute terms")

GUIDE = "《广告绝对化用语执法指南》（市场监管总局2023年第6号公告）"
R_ABSOLUTE = rule(
    "adlaw/absolute-term",
    "absolute-term",
    "AdLaw 9.3",
    Severity.ERROR,
    N_(
        "absolute terms such as 最佳, 第一, 国家级 in marketing: an open class judged in context, following the SAMR "
        "guide 《广告绝对化用语执法指南》 (2023)"
    ),
    help=N_(
        "What: superlatives and absolute claims, an open class: the lexicon adlaw-absolute, and the patterns of the "
        "SAMR guide on absolute terms (2023): 最 + adjective (最轻松, 最快捷, 最强), 首推/首家/首发/首选, 唯一, "
        "第一 and No.1/TOP1 as rankings, 冠军, 顶级, 极致, 全网/全国/全球 + 首/第一. Why: the Advertising Law "
        "Art. 9(3) bans 国家级、最高级、最佳 and terms of the same meaning; the guide says to judge them in context, "
        "as a whole. "
        "Words first: a segmenter tells 第一 in 第一百一十六条 (a number) or 第一次 (a sequence) from a ranking, and "
        "最高 in 最高人民法院 from a claim; those are not findings. Exemptions of the guide, reported as info with "
        "the reason: a service attitude or goal (追求最好的服务); a comparison among the bank's own products; a "
        "consumer tip (最佳时间, 您最好提前预约); a grade of a national or industry standard; an award's or a "
        "product's name (荣获“年度最佳服务网点”称号); a fact limited in time, place or amount (额度最高30万元, "
        "单笔最高优惠50元). Not exempt: in financial and wealth-product advertising, an absolute term about returns "
        "or safety (收益最高, 最安全) stays an error. Frames apply (a warning or a citation quoting the term)."
    ),
    instead=N_(
        "State the verifiable fact: 年化利率2.10%（2026年12月1日起执行） instead of 利率最高; 服务周到 instead of "
        "服务最好; a ranking only with its source and date, and an allow exception with the reason."
    ),
    quote="《广告法》第九条 广告不得有下列情形：……（三）使用“国家级”、“最高级”、“最佳”等用语；"
    + GUIDE
    + "（要点）：仅表明商品经营者的服务态度或者经营理念、企业文化、主观愿望的，仅表达商品经营者目标追求的，"
    "不适用广告法关于绝对化用语的规定；仅用于同一品牌或同一企业商品之间的自我比较、仅用于宣传商品的使用方法、"
    "使用时间、保存期限等消费提示的、依据国家标准或行业标准划分的商品等级、商品名称或注册商标、依法获得的奖项或称号、"
    "在限定具体时间或地域等条件下表述事实信息，不具有误导消费者或贬低其他经营者客观效果的，一般不予处罚；"
    "医疗、金融、投资理财等广告中使用绝对化用语的，不属于情节轻微。",
    claim=True,
)
R_FIGURE = rule(
    "adlaw/unsourced-figure",
    "unsourced-figure",
    "AdLaw 11",
    Severity.REVIEW,
    N_("a cited statistic, survey or quotation without its source"),
    help=N_(
        "What: 数据显示 / 调查显示 / 据统计 / N%的客户 with no source named in the same paragraph. "
        "Why: Advertising Law Art. 11 requires cited data, statistics, survey results and quotations to be "
        "true and accurate and to name their source."
    ),
    instead=N_("Name the source in the paragraph: 据中国人民银行《2025年支付体系运行总体情况》，……"),
    quote="《广告法》第十一条 广告使用数据、统计资料、调查结果、文摘、引用语等引证内容的，应当真实、准确，并表明出处。",
)

_CITED = re.compile(
    r"数据显示|调查显示|统计显示|研究表明|研究显示|报告显示|据统计|调查发现|"
    r"\d+(?:\.\d+)?\s*%\s*的(?:用户|客户|人|消费者|市民|受访者|家庭)|"
    r"(?:超过|逾|近)?\d+(?:\.\d+)?\s*(?:万|亿)?(?:名|位)?(?:用户|客户|消费者)(?:选择|认可|好评|信赖)"
)
# literal cues, cheap to search, that any _CITED match contains
_CUE = re.compile(r"显示|表明|统计|调查发现|%\s*的|(?:用户|客户|消费者)(?:选择|认可|好评|信赖)")
_SOURCE = re.compile(r"来源|出处|资料来自|引自|据[^，。,;；\n]{1,30}(?:统计|报告|数据|发布|公告|调查)|《[^》]{2,40}》")
_PARAGRAPH = re.compile(r"[^\n]+(?:\n[^\n]+)*")


# The open class of the SAMR guide, found in the lexicon view beside the lexicon's fixed terms.
_OPEN = re.compile(
    r"(?:全网|全国|全球|全省|全市|全县|全行业|业内|同业|行业)(?:首[家发创个款推]?|第一|领先)"
    r"|最[\u4e00-\u9fff]|首[推家发选创]|唯一|第一|no\.?1(?![0-9])|top ?1(?![0-9])|冠军|顶级|顶尖|极致"
)
# Superlatives of time, order or amount: neutral words, or a stated limit when a figure follows.
_NEUTRAL = frozenset(
    {"最近", "最后", "最终", "最初", "最早", "最晚", "最迟", "最先", "最末", "最为", "最大限度", "最大程度", "最低限度"}
    # advice to the reader, not a property of the goods (最需要读懂的文件, 最容易上当的情形, 最重要的是)
    | {"最需要", "最应该", "最应当", "最容易", "最常见", "最重要", "最关键", "最基本", "最主要", "最根本", "最值得注意"}
)
_LIMIT_WORDS = frozenset(
    {"最高", "最低", "最多", "最少", "最长", "最短", "最大", "最小", "最快", "最慢", "最迟", "最晚", "最早"}
)
_FIGURE_AFTER = re.compile(r"^[^，,。；;]{0,10}?(?:\d|[一二两三四五六七八九十百千万]+[元万亿个天年月日期笔次]|t\+)")
_LIMIT_BEFORE = re.compile(
    r"(?:单笔|每笔|每户|每人|每日|每天|每月|每年|每次|额度|限额|期限|可贷|可借|贷款|授信|优惠|减免|"
    r"补贴|偿付|赔付|返还|立减|奖励|积分|金额|不超过|上限|下限|起存|起购|办理时间|到账)[^，,。；;]{0,8}$"
)
_ASKED_BEFORE = re.compile(r"(?:问|提|咨询|反映|投诉|遇到|碰到)得$")
# A figure closed as a cap (最高50万元以内, 最多3次为限): a limit the sentence states, even beside 利息 or 保障.
_CAP_AFTER = re.compile(
    r"^[^，,。；;]{0,10}?\d[\d.,]*\s*[万亿千百]?[元个天年月日期笔次%]?[*_\s]*(?:以内|以下|为限|封顶)"
)
# Returns and safety: there an absolute term stays an error, whatever else the sentence says.
_RETURNS = re.compile(r"收益|回报|利率|利息|收益率|年化|盈利|赚|分红|安全|保本|本金|风险|稳健|稳妥|稳赚|无忧|可靠|保障")
_GOAL_BEFORE = re.compile(
    r"(?:追求|致力于?|力争|力求|努力|争取|立志|秉承|坚持|用心|倾力|全力|争做|打造)[^，,。；;]{0,8}$"
)
_TIP_AFTER = re.compile(r"^(?:的)?[^，,。；;的]{0,4}?(?:时间|时机|时段|方法|途径|办法|习惯|做法|期限|保存|使用)")
_AWARD_BEFORE = re.compile(r"(?:荣获|获得|获评|被评为|评为|授予|荣膺|获颁|入选|摘得|荣登)[^，,。；;]{0,30}$")
_AWARD_AFTER = re.compile(r"^[^，,。；;]{0,20}?[”」』》]?(?:奖|称号|荣誉|奖项|榜单)")
_OWN_BEFORE = re.compile(r"(?:我行|本行)[^，,。；;]{0,14}(?:产品|系列|网点|渠道)中[^，,。；;]{0,6}$")
_RANK_BEFORE = re.compile(
    r"(?:全网|全国|全球|全省|全市|全县|行业|同业|业内|国内|省内|市内|县内|本地|销量|排名|位居|位列|名列|荣登|勇夺|问鼎|稳居|综合)"
    r"[^，,。；;]{0,4}$"
)
_RANK_MEASURES = ("家", "名", "位", "品牌", "大")
_SEQUENCE = re.compile(
    r"^第一(?:[百十千零〇两二三四五六七八九]|次|季度|届|批|期|步|条|章|天|年|个|阶段|部分|周|时间|课|节|轮|"
    r"款|项|类|种|个月|笔|张|站|环节|点|层|排|页|号|版|单元|组|梯队|书记|责任人|线)"
)


class Verdict(NamedTuple):
    kind: str  # claim | exempt | word (not the term: part of another word, a number, a sequence word)
    reason: str = ""  # for exempt: a message id (N_) naming the guide's exemption
    term: str = ""


EXEMPT_GOAL = N_("a service attitude or goal")
EXEMPT_TIP = N_("a consumer tip")
EXEMPT_AWARD = N_("an award's or a product's name")
EXEMPT_OWN = N_("a comparison among the bank's own products")
EXEMPT_LIMIT = N_("a fact limited in amount, time or place")


def judge(sentence: str, s: int, e: int) -> Verdict:
    """Whether the candidate at [s, e) of a normalised sentence is an absolute claim (SAMR guide, 2023)."""
    toks = _tokens_around(sentence, s, e)
    i = words.token_at(toks, s)
    term = sentence[s:e]
    if i >= 0:
        tok = toks[i]
        if tok.start < s and not sentence[tok.start : s].startswith(("全", "行业", "同业", "业内")):
            return Verdict("word", term=tok.word)  # the candidate starts inside another word
        if tok.end > e:  # a longer word: a name, a number, a sequence word, or the term's longer form
            if tok.tag in ("nt", "nr", "ns", "nz") and len(tok.word) > 3:
                return Verdict("word", term=tok.word)
            if tok.word.startswith("第一"):
                rest = tok.word[2:]
                if not rest.startswith(_RANK_MEASURES) or _SEQUENCE.match(tok.word):
                    return Verdict("word", term=tok.word)
            term = tok.word
            e = tok.end
        elif tok.word == "最" and i + 1 < len(toks) and toks[i + 1].tag not in ("x", "m", "uj"):
            term = "最" + toks[i + 1].word  # 最 + adjective: 最 | 快捷
            e = toks[i + 1].end
    before, after = sentence[:s], sentence[e:]
    if term.startswith("第一") and _SEQUENCE.match(term + after):
        return Verdict("word", term=term)
    if term == "第一" and not _RANK_BEFORE.search(before) and not after.startswith(_RANK_MEASURES):
        return Verdict("word", term=term)  # an enumeration (第一，…) or a heading, not a ranking
    if term == "绝对化" or (term == "绝对" and re.match(r"^(?:不|没|无|禁|化)", after)):
        return Verdict("word", term=term)  # 绝对不允许: an intensifier of a negation, not a claim
    if term in ("第一家", "第一名", "首家") and not (
        _RANK_BEFORE.search(before) or re.match(r"^[^，,。；;]{0,16}(?:银行|金融机构|农商行|机构|企业|品牌)", after)
    ):
        return Verdict("word", term=term)  # the first of the bank's own (第一家营业网点), not a ranking among others
    if term in _LIMIT_WORDS and _ASKED_BEFORE.search(before):
        return Verdict("word", term=term)  # 问得最多的问题: how often something is asked, not a property
    if term in _NEUTRAL or (term.startswith("最新") and not re.match(r"^(?:的)?(?:技术|科技|工艺|发明)", after)):
        return Verdict("word", term=term)
    clause = (
        before[max((before.rfind(c) for c in "，,；;：:"), default=-1) + 1 :] + term + re.split(r"[，,。；;]", after)[0]
    )
    if _RETURNS.search(clause) and not _LIMIT_BEFORE.search(before) and not _CAP_AFTER.search(after):
        return Verdict("claim", term=term)  # returns or safety: never exempt (financial advertising)
    if term in _LIMIT_WORDS and (_FIGURE_AFTER.search(after) or _LIMIT_BEFORE.search(before)):
        return Verdict("exempt", EXEMPT_LIMIT, term)
    if _GOAL_BEFORE.search(before):
        return Verdict("exempt", EXEMPT_GOAL, term)
    if _AWARD_BEFORE.search(before) and (_AWARD_AFTER.search(after) or re.search(r"[“「『《][^”」』》]*$", before)):
        return Verdict("exempt", EXEMPT_AWARD, term)
    if (term == "最好" and _tip_verb(toks, e)) or (term.startswith("最") and _TIP_AFTER.search(after)):
        return Verdict("exempt", EXEMPT_TIP, term)
    if _OWN_BEFORE.search(before):
        return Verdict("exempt", EXEMPT_OWN, term)
    return Verdict("claim", term=term)


WINDOW = 24  # characters segmented on either side of a candidate, within its clause


def _tokens_around(sentence: str, s: int, e: int) -> list[words.Token]:
    """The words of the candidate's clause, at most `WINDOW` characters either side of it (the segmenter's cost
    grows with the text, and a word's reading depends on its neighbours, not on the whole sentence)."""
    ws = max(0, s - WINDOW, max(sentence.rfind(c, 0, s) for c in "，,；;") + 1)
    ends = [k for k in (sentence.find(c, e) for c in "，,；;") if k >= 0]
    we = min(len(sentence), e + WINDOW, min(ends) if ends else len(sentence))
    return [words.Token(t.word, t.tag, t.start + ws, t.end + ws) for t in words.tokens(sentence[ws:we])]


def _tip_verb(toks: list[words.Token], end: int) -> bool:
    """您最好提前预约: 最好 followed by a verb or an adverb is advice to the reader."""
    nxt = next((t for t in toks if t.start >= end), None)
    return nxt is not None and nxt.tag in ("v", "vn", "d", "df", "p", "c")


def _candidates(post: Post, ctx: CheckContext) -> list[tuple[Match, str]]:
    """Lexicon hits and open-class matches, one per span (the longer wins), in text order."""
    found: dict[tuple[str, int], tuple[Match, str]] = {}
    for h in lexicon.hits(post, ctx).get(LEX_ABSOLUTE, ()):
        found[(h.match.unit.name, h.match.start)] = (
            h.match,
            _("term {term} from {source}", term=repr(h.term.raw), source=h.term.source),
        )
    excepted = _exception_pattern(ctx)
    for view in scan_of(post, ctx).views("lexicon"):
        if not _CUE_CHARS.search(view.text):
            continue
        for om in _OPEN.finditer(view.text):
            if excepted is not None and any(
                x.start() <= om.start() and om.end() <= x.end()
                for x in excepted.finditer(view.text, max(0, om.start() - 12), om.end() + 12)
            ):
                continue  # inside a phrase the lexicon lists as fine (最低还款, 最高额度, 第一季度)
            match = view.match(om.start(), om.end())
            key = (match.unit.name, match.start)
            if key not in found or len(found[key][0].text) < len(match.text):
                found[key] = (match, "")
    out = sorted(found.values(), key=lambda x: (x[0].unit.name, x[0].start, -x[0].end))
    kept: list[tuple[Match, str]] = []
    for m, src in out:
        if kept and kept[-1][0].unit is m.unit and m.end <= kept[-1][0].end:
            continue  # inside a longer candidate
        kept.append((m, src))
    return kept


_EXCEPTIONS: dict[int, tuple[object, re.Pattern[str] | None]] = {}


def _exception_pattern(ctx: CheckContext) -> re.Pattern[str] | None:
    """One regex over the exceptions of the lexicon adlaw-absolute (its legitimate phrases bind the open class)."""
    lex = ctx.cache.get("checks.lexicons")
    if not isinstance(lex, lexicon.Lexicons):
        return None
    hit = _EXCEPTIONS.get(id(lex))
    if hit is not None and hit[0] is lex:
        return hit[1]
    phrases = sorted({e for t in lex.terms.get(LEX_ABSOLUTE, ()) for e in t.exceptions}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(p) for p in phrases)) if phrases else None
    _EXCEPTIONS.clear()
    _EXCEPTIONS[id(lex)] = (lex, pattern)
    return pattern


def _widen(match: Match, term: str) -> Match:
    """The match grown to the whole word the judge read (最 -> 最安全), when the text spells it so."""
    if len(term) > len(match.text) and match.unit.text[match.start : match.start + len(term)].lower() == term:
        return Match(match.unit, match.start, match.start + len(term))
    return match


_CUE_CHARS = re.compile(r"[最首唯第冠顶极]|no|top")


@post_check
def absolute_terms(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    scan = scan_of(post, ctx)
    for match, source in _candidates(post, ctx):
        around = frames.sentence_at(match.unit, match.start, match.end, scan.memo)
        if around is None:
            continue
        sentence, s, e, _lead = around
        verdict = judge(sentence, s, e)
        if verdict.kind == "word":
            continue
        match = _widen(match, verdict.term)
        place = where(match.unit.name)
        if verdict.kind == "exempt":
            yield at(
                R_ABSOLUTE,
                post,
                match,
                _(
                    "“{term}” is exempt under the SAMR guide on absolute terms: {reason}",
                    term=verdict.term or match.text,
                    reason=_(verdict.reason),
                ),
                hint=_("the guide exempts it when true and not misleading; keep it provable"),
                severity=Severity.INFO,
            )
            continue
        # A fenced code block is published but shows text as written (a sample SMS, a form, a quotation),
        # not the bank's own claim: there an absolute term goes to review instead of blocking.
        quoted = scan.in_code_block(match)
        if quoted:
            message = _(
                "“{term}” is an absolute term the Advertising Law bans in marketing (in a code block, sent to review)",
                term=verdict.term or match.text,
            )
        elif place:
            message = _(
                "“{term}” is an absolute term the Advertising Law bans in marketing (in the {place})",
                term=verdict.term or match.text,
                place=place,
            )
        else:
            message = _(
                "“{term}” is an absolute term the Advertising Law bans in marketing", term=verdict.term or match.text
            )
        hint = _("state a verifiable fact instead")
        if source:
            hint = _("{hint}; {source}", hint=hint, source=source)
        yield at(R_ABSOLUTE, post, match, message, hint=hint, severity=Severity.REVIEW if quoted else None)


@post_check
def unsourced_figures(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    for view in scan_of(post, ctx).views("data"):
        if not _CUE.search(view.text) or not _CITED.search(view.text):
            continue
        for para in _PARAGRAPH.finditer(view.text):
            text = para.group()
            m = _CITED.search(text)
            if m is None or _SOURCE.search(text):
                continue
            s = para.start() + m.start()
            yield at(
                R_FIGURE,
                post,
                view.match(s, s + len(m.group())),
                _("“{figure}” cites data without naming its source", figure=m.group()),
                hint=_("name the source in the same paragraph (来源：…, 据…发布的…)"),
            )
