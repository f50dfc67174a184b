"""Advertising Law: absolute terms (Art. 9(3)) and cited figures without a source (Art. 11).

Absolute terms come from the lexicon `adlaw-absolute`, whose exceptions hold the legitimate sequence
words (第一季度, 第一次, 最新消息, ...). A cited statistic or survey without its source goes to review.
Absolute terms inside a fenced code block (published, but shown as written) are `review`, not `error`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..check import CheckContext, post_check
from ..findings import Finding, Severity
from ..post import Post
from . import lexicon
from .common import at, rule, where
from .text import scan_of

LEX_ABSOLUTE = lexicon.use("adlaw-absolute", "Advertising Law Art. 9(3): absolute terms")

R_ABSOLUTE = rule(
    "adlaw/absolute-term",
    "absolute-term",
    "AdLaw 9.3",
    Severity.ERROR,
    "absolute terms such as 最佳, 第一, 国家级 in marketing",
    help="What: superlatives and absolute claims. Why: the Advertising Law Art. 9(3) bans 国家级、最高级、最佳 "
    "and similar terms; SAMR guidance allows sequence words (第一季度, 第一次), consumer tips (最佳时间) and "
    "registered names, which the lexicon lists as exceptions.",
    instead="State the verifiable fact: 年化利率2.10%（2026年12月1日起执行） instead of 利率最高; "
    "服务周到 instead of 服务最好.",
    quote="《广告法》第九条 广告不得有下列情形：……（三）使用“国家级”、“最高级”、“最佳”等用语；",
    claim=True,
)
R_FIGURE = rule(
    "adlaw/unsourced-figure",
    "unsourced-figure",
    "AdLaw 11",
    Severity.REVIEW,
    "a cited statistic, survey or quotation without its source",
    help="What: 数据显示 / 调查显示 / 据统计 / 'N% of customers' with no source named in the same paragraph. "
    "Why: Advertising Law Art. 11 requires cited data, statistics, survey results and quotations to be "
    "true and accurate and to name their source.",
    instead="Name the source in the paragraph: 据中国人民银行《2025年支付体系运行总体情况》，……",
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


@post_check
def absolute_terms(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    scan = scan_of(post, ctx)
    for h in lexicon.hits(post, ctx).get(LEX_ABSOLUTE, ()):
        place = where(h.match.unit.name)
        # A fenced code block is published but shows text as written (a sample SMS, a form, a quotation),
        # not the bank's own claim: there an absolute term goes to review instead of blocking.
        quoted = scan.in_code_block(h.match)
        if quoted:
            place = "code block, sent to review"
        yield at(
            R_ABSOLUTE,
            post,
            h.match,
            f"“{h.match.text}” is an absolute term the Advertising Law bans in marketing"
            + (f" (in the {place})" if place else ""),
            hint=f"state a verifiable fact instead; term {h.term.raw!r} from {h.term.source}",
            severity=Severity.REVIEW if quoted else None,
        )


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
                f"“{m.group()}” cites data without naming its source",
                hint="name the source in the same paragraph (来源：…, 据…发布的…)",
            )
