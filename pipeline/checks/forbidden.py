"""Art. 14: the eight groups of forbidden content, one lexicon and one rule per group.

Groups (3) unverified news, (7) trade secrets and (8) brand-negative need judgement, so they are
`review`: they do not block a merge, they put the passage in front of the compliance approver and on
the approval form. The other groups are `error`. A business figure about the bank that is not in
`compliance.published_figures` is also sent to review (14.7: unpublished business data).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..check import CheckContext, post_check
from ..findings import Finding, Rule, Severity
from ..i18n import N_, _
from ..post import Post
from . import lexicon
from .common import at, rule, where
from .text import normalise, scan_of

ART14 = "第十四条 禁止发布以下内容："

# (item, rule id, lexicon, severity, name, summary, help, instead, quote)
GROUPS: tuple[tuple[int, str, str, Severity, str, str, str, str, str], ...] = (
    (
        1,
        "forbidden/illegal",
        "forbidden-illegal",
        Severity.ERROR,
        "illegal-content",
        N_("content that breaks the law (selling cards, fake invoices, card cash-out ...)"),
        N_(
            "What: words that offer or promote illegal services. Why: Art. 14(1) forbids content against the "
            "constitution, laws and regulations; a bank account repeating them also breaks anti-fraud rules."
        ),
        N_(
            "Remove the offer; if the post warns customers against it, write it as a warning "
            "(警惕“出租出借银行卡”骗局, 切勿出租银行卡): the frame pass then reads it as one and lowers "
            "the finding to info."
        ),
        ART14 + "（一）违反中华人民共和国宪法和法律法规的言论。",
    ),
    (
        2,
        "forbidden/national",
        "forbidden-national",
        Severity.ERROR,
        "national-security-ethnic-religion",
        N_("national security, ethnic hatred, religious policy or superstition"),
        N_(
            "What: words about subverting the state, secession, ethnic hatred, cults or superstition. Why: "
            "Art. 14(2) forbids them; a bank account has no business near them."
        ),
        N_("Remove the passage. Luck and fortune themes for festivals can use 吉祥、如意、平安 instead of 算命、转运."),
        ART14 + "（二）损害国家荣誉和利益、泄露国家秘密、颠覆国家政权、破坏国家统一和影响社会稳定的言论。"
        "煽动民族仇恨、民族歧视、破坏民族团结、破坏国家宗教政策、宣扬〔邪教〕和封建迷信的言论。",
    ),
    (
        3,
        "forbidden/unverified-news",
        "forbidden-news",
        Severity.REVIEW,
        "unverified-news",
        N_("rumours and unverified news (据传, 网传, 小道消息 ...)"),
        N_(
            "What: phrases that introduce rumour or unconfirmed news. Why: Art. 14(3) forbids unverified "
            "political, military, economic and social news; compliance must confirm the source."
        ),
        N_("Cite the official source instead: 据中国人民银行2026年11月20日公告 ..."),
        ART14 + "（三）未经公开报道、未经证实的政治、军事、经济、社会消息。",
    ),
    (
        4,
        "forbidden/insult",
        "forbidden-insult",
        Severity.ERROR,
        "insult-defamation",
        N_("insults, defamation, personal attacks"),
        N_(
            "What: abusive or defamatory words. Why: Art. 14(4) forbids insulting or defaming others and "
            "personal attacks; the bank's voice must stay courteous, also towards competitors."
        ),
        N_("Describe facts politely, without labels for people or other institutions."),
        ART14 + "（四）利用互联网侮辱或者诽谤他人，发布人身攻击、谩骂、诋毁的言论，侵害他人合法权益的。",
    ),
    (
        5,
        "forbidden/vice",
        "forbidden-vice",
        Severity.ERROR,
        "obscenity-gambling-violence-terror",
        N_("obscenity, gambling, violence, murder, terror, incitement to crime"),
        N_(
            "What: words of obscenity, gambling, violence, terror or crime. Why: Art. 14(5) forbids spreading "
            "them. Anti-gambling or anti-fraud education is fine: phrases such as 远离赌博 are exceptions."
        ),
        N_("Remove the words; for education, phrase it as a warning (远离赌博、拒绝毒品) or add an exception."),
        ART14 + "（五）散布〔淫秽〕、〔色〕情、赌博、暴力、凶杀、恐怖或者教唆犯罪的，及其他法律法规禁止的内容。",
    ),
    (
        6,
        "forbidden/piracy",
        "forbidden-piracy",
        Severity.ERROR,
        "copyright-infringement",
        N_("offers of pirated or unlicensed works"),
        N_(
            "What: words offering pirated software, films or books. Why: Art. 14(6) forbids infringing "
            "copyright; images and reprints are checked separately by the copyright/ rules."
        ),
        N_("Link only to licensed, official sources; remove 破解版/盗版 offers."),
        ART14 + "（六）侵犯他人著作权、版权的。",
    ),
    (
        7,
        "forbidden/trade-secret",
        "forbidden-trade-secret",
        Severity.REVIEW,
        "trade-secret",
        N_("possible trade secrets: unpublished plans, litigation, pay, personnel changes, forecasts"),
        N_(
            "What: signals of the bank's non-public information. Why: Art. 14(7) forbids publishing trade "
            "secrets such as undisclosed business data, acquisition plans, litigation, policy changes, "
            "marketing plans, new-product information, earnings forecasts, management changes and pay."
        ),
        N_("Publish only what has been disclosed officially; quote the public announcement and its date."),
        ART14 + "（七）我行商业秘密，如未经公开披露的经营数据、收购计划、诉讼案件、政策调整、市场营销计划、"
        "新产品信息以及业绩预测、管理人员调整、薪酬福利制度等。",
    ),
    (
        8,
        "forbidden/brand-negative",
        "forbidden-brand",
        Severity.REVIEW,
        "brand-negative",
        N_("sensitive or negative information about the bank (bank run, fines, complaints ...)"),
        N_(
            "What: words about negative events around the bank. Why: Art. 14(8) (and Art. 12) forbid "
            "information that damages the brand or is sensitive or negative about the bank; compliance decides."
        ),
        N_("Leave negative events to official disclosures; service posts may name the complaint hotline."),
        ART14 + "（八）有损品牌声誉、涉及我行的敏感或负面信息。",
    ),
)

# Groups whose hits would be the bank saying or offering something (claim rules: the frame pass reads
# 切勿出租银行卡, 远离赌博, 警惕网传消息 as warnings). Trade secrets are facts, not claims.
CLAIM_ITEMS = frozenset({1, 2, 3, 4, 5, 6, 8})

RULES: dict[str, tuple[Rule, str]] = {}
for _item, _id, _lex, _sev, _name, _summary, _help, _instead, _quote in GROUPS:
    lexicon.use(_lex, f"Art. 14({_item}): {_summary}")
    RULES[_lex] = (
        rule(
            _id,
            _name,
            f"14.{_item}",
            _sev,
            _summary,
            help=_help,
            instead=_instead,
            quote=_quote,
            claim=_item in CLAIM_ITEMS,
        ),
        _summary,
    )

R_FIGURE = rule(
    "forbidden/unpublished-figure",
    "unpublished-business-figure",
    "14.7",
    Severity.REVIEW,
    N_("a business figure about the bank that is not among the published figures"),
    help=N_(
        "What: a figure such as 存款余额突破120亿元 in a sentence about the bank (我行/本行). Why: Art. 14(7) "
        "forbids publishing business data not yet disclosed; figures already published are listed in "
        "policy compliance.published_figures."
    ),
    instead=N_(
        "Use the figure as published in the annual report or an official announcement, and add it to "
        "compliance.published_figures once disclosed."
    ),
    quote=ART14 + "（七）我行商业秘密，如未经公开披露的经营数据……以及业绩预测……",
)

R_PLAN = rule(
    "forbidden/unpublished-plan",
    "unpublished-plan",
    "14.7",
    Severity.REVIEW,
    N_("a plan of the bank written as an intention (拟收购, 计划于…调整管理人员): is it disclosed?"),
    help=N_(
        "What: an intention marker (拟, 计划, 准备, 筹划, 正在研发, 将于) followed in the same sentence by one of the "
        "plans Art. 14(7) names: an acquisition or restructuring (收购, 并购, 重组, 上市), litigation (起诉, 诉讼, "
        "仲裁), a change of policy or pricing (调整…政策/定价/制度), a change of management (管理人员/高管/行长…调整), "
        "pay (薪酬/福利…调整), or a new product still in development (正在研发的新产品拟于…上线). Why: Art. 14(7) "
        "forbids publishing trade secrets such as acquisition plans, litigation, policy changes, new-product "
        "information and management changes before they are disclosed. Ordinary service notices (将于12月5日进行"
        "系统升级, 将于…起调整营业时间, 将于…推出) are not plans of that kind and are not flagged; a plan of a "
        "regulator or the government (人民银行拟…) is public policy, not the bank's secret."
    ),
    instead=N_(
        "Publish a plan only after its official disclosure, quoting the announcement and its date: "
        "根据本行2026年12月1日发布的公告，……"
    ),
    quote=ART14 + "（七）我行商业秘密，如未经公开披露的经营数据、收购计划、诉讼案件、政策调整、市场营销计划、"
    "新产品信息以及业绩预测、管理人员调整、薪酬福利制度等。",
)

_INTENT = r"(?:拟|计划|打算|准备|筹划|筹备|酝酿|将于|将在|即将|有望|将)"
_STRONG_INTENT = r"(?:拟|计划|打算|准备|筹划|筹备|酝酿|正在研发|研发中|内测中?)"
_GAP = r"[^，,。；;！？!?\n]{0,24}?"
_OBJECT = r"(?:政策|定价|制度|考核办法|组织架构|机构设置|薪酬|福利)"
_PEOPLE = r"(?:管理人员|高管|高级管理人员|行长|副行长|董事长?|监事长?|领导班子|人事|中层干部)"
_PLAN = re.compile(
    rf"{_INTENT}{_GAP}(?:收购|并购|兼并|重组|合并|入股|控股|增资扩股|上市|起诉|提起诉讼|申请仲裁|撤并|裁员"
    rf"|(?:调整|修订|改革|变更){_GAP}{_OBJECT}|{_OBJECT}(?:调整|改革|变更)"
    rf"|{_PEOPLE}{_GAP}(?:调整|变动|任免|调任|离任|更换|变更)|(?:调整|更换|任免){_GAP}{_PEOPLE})"
    rf"|{_STRONG_INTENT}{_GAP}(?:新产品|新业务|新系统){_GAP}(?:上线|推出|发布|发行|上市)"
    rf"|(?:正在研发|研发中|内测)的?{_GAP}(?:新产品|新业务){_GAP}(?:上线|推出|发布|发行|上市)"
)
# A plan of a regulator or the government is public policy, not the bank's secret.
_AUTHORITY = re.compile(
    r"人民银行|央行|国务院|国家|政府|监管部门|金融监管总局|银保监会|证监会|财政部|发改委|人社部|医保局|税务"
)
_PLAN_WORD = re.compile(
    r"收购|并购|兼并|重组|合并|入股|控股|增资|上市|起诉|诉讼|仲裁|撤并|裁员|政策|定价|制度|考核办法|架构|机构设置|薪酬|福利"
    r"|管理人员|高管|行长|董事|监事|领导班子|人事|干部|新产品|新业务|新系统"
)
_PLAN_CUE = re.compile(r"拟|计划|打算|准备|筹|酝酿|将|研发|内测|有望")


@post_check
def unpublished_plans(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    """Intentions of the bank of the kinds Art. 14(7) names: sent to the compliance approver."""
    for view in scan_of(post, ctx).views("data"):
        text = view.text
        if not _PLAN_CUE.search(text):
            continue
        done = -1
        for word in _PLAN_WORD.finditer(text):  # literal plan words first: the full pattern only around them
            if word.start() < done:
                continue
            m = _PLAN.search(text, max(done, word.start() - 40), word.end() + 30)
            if m is None or m.end() < word.start():
                continue
            done = m.end()
            clause = max(text.rfind(c, 0, m.start()) for c in "，,：:。！？!?；;\n") + 1
            if _AUTHORITY.search(text, clause, m.start()):
                continue  # the intention is a regulator's or the government's, in the same clause
            yield at(
                R_PLAN,
                post,
                view.match(m.start(), m.end()),
                _("“{plan}” announces a plan of the bank; is it already disclosed?", plan=m.group()),
                hint=_("Art. 14(7): publish plans only after their official disclosure, and cite it"),
            )


_BANK = re.compile(r"我行|本行|全行|我们银行|农商银行|农商行")
_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:亿元|亿|万户|万人|万笔|万张)")
_SENTENCE = re.compile(r"[^。！？!?\n]+")


@post_check
def forbidden_terms(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    """One finding per Art. 14 lexicon hit."""
    found = lexicon.hits(post, ctx)
    for lex, (r, summary) in RULES.items():
        for h in found.get(lex, ()):
            place = where(h.match.unit.name)
            message = (
                _("“{term}”: {summary} (in the {place})", term=h.match.text, summary=_(summary), place=place)
                if place
                else _("“{term}”: {summary}", term=h.match.text, summary=_(summary))
            )
            yield at(
                r,
                post,
                h.match,
                message,
                hint=_("term {term} from {source}", term=repr(h.term.raw), source=h.term.source),
            )


@post_check
def unpublished_figures(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    """Business figures in sentences about the bank that the policy does not list as published."""
    published = {normalise(f) for f in ctx.policy.compliance.published_figures}
    for view in scan_of(post, ctx).views("data"):
        if not _FIGURE.search(view.text) or not _BANK.search(view.text):
            continue
        for sent in _SENTENCE.finditer(view.text):
            if not _BANK.search(sent.group()):
                continue
            for m in _FIGURE.finditer(sent.group()):
                value = m.group()
                if normalise(value) in published:
                    continue
                s = sent.start() + m.start()
                yield at(
                    R_FIGURE,
                    post,
                    view.match(s, s + len(value)),
                    _("“{figure}” is a business figure about the bank; is it already published?", figure=value),
                    hint=_("add it to compliance.published_figures once disclosed, or cite the announcement"),
                )
