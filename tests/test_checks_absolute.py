"""Absolute terms (issue 14, classes 3 and 4): words, not substrings, and the SAMR guide's open class and exemptions.

`VERDICTS` drives `adlaw.judge` on single sentences: positive rows (claims), negative rows (numbers,
sequence words, names: not the term at all) and the guide's exemptions, with adversarial rows where an
exemption's look-alike stays a claim. `POSTS` runs whole posts and asserts the finding's severity.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import check_body

from pipeline.checks import words
from pipeline.checks.adlaw import (
    _OPEN,
    EXEMPT_AWARD,
    EXEMPT_GOAL,
    EXEMPT_LIMIT,
    EXEMPT_OWN,
    EXEMPT_TIP,
    judge,
)
from pipeline.findings import Severity


def verdicts(text: str) -> list[tuple[str, str, str]]:
    low = text.lower()
    return [(v.term, v.kind, v.reason) for m in _OPEN.finditer(low) for v in [judge(low, m.start(), m.end())]]


# (sentence, expected (term, kind, reason) of the first open-class candidate)
VERDICTS: list[tuple[str, tuple[str, str, str]]] = [
    # the open class: claims
    ("办卡最快捷，审批最轻松。", ("最快捷", "claim", "")),
    ("这是本市最强的信用卡。", ("最强", "claim", "")),
    ("全网首发，No.1的信用卡权益。", ("全网首发", "claim", "")),
    ("No.1的信用卡权益。", ("no.1", "claim", "")),
    ("TOP1手机银行。", ("top1", "claim", "")),
    ("我行是全省第一家农商银行。", ("全省第一", "claim", "")),
    ("本行服务位居全市第一。", ("全市第一", "claim", "")),
    ("本行服务排名第一。", ("第一", "claim", "")),
    ("销量冠军，值得信赖。", ("冠军", "claim", "")),
    ("顶级服务，尊享礼遇。", ("顶级", "claim", "")),
    ("极致体验，一键办理。", ("极致", "claim", "")),
    ("首推产品：快e贷。", ("首推", "claim", "")),
    ("本地唯一指定代发银行。", ("唯一", "claim", "")),
    # words, not substrings: numbers, sequence words, names
    ("依照《中华人民共和国刑法》第一百七十六条追究刑事责任。", ("第一百七", "word", "")),
    ("2026年第一季度起执行。", ("第一季度", "word", "")),
    ("第一次办卡的客户免年费。", ("第一次", "word", "")),
    ("本次活动是我行举办的第一届知识竞赛。", ("第一届", "word", "")),
    ("第一，保护好密码；第二，不点陌生链接。", ("第一", "word", "")),
    ("请及时更新您最新的联系地址和手机号码。", ("最新", "word", "")),
    ("最新消息：借记卡免收年费。", ("最新消息", "word", "")),
    ("最高人民法院发布典型案例。", ("最高人民法院", "word", "")),
    ("最近有不法分子冒充客服。", ("最近", "word", "")),
    ("最后，请核对收款人信息。", ("最后", "word", "")),
    ("风险揭示书是最需要读懂的文件之一。", ("最需要", "word", "")),
    # exemptions of the SAMR guide
    ("客服热线全天候在线，我们追求最好的服务体验。", ("最好", "exempt", EXEMPT_GOAL)),
    ("我们致力于提供最优质的服务。", ("最优质", "exempt", EXEMPT_GOAL)),
    ("每天上午是办理业务的最佳时间。", ("最佳", "exempt", EXEMPT_TIP)),
    ("您最好提前预约。", ("最好", "exempt", EXEMPT_TIP)),
    ("我行荣获省银行业协会颁发的“年度最佳服务网点”称号。", ("最佳", "exempt", EXEMPT_AWARD)),
    ("活动期间，单笔最高优惠50元，每户限享一次。", ("最高", "exempt", EXEMPT_LIMIT)),
    ("贷款额度最高30万元，期限最长3年。", ("最高", "exempt", EXEMPT_LIMIT)),
    ("存款保险实行限额偿付，最高偿付限额为50万元。", ("最高", "exempt", EXEMPT_LIMIT)),
    ("在我行各网点中城关支行最大。", ("最大", "exempt", EXEMPT_OWN)),
    # adversarial: returns and safety stay claims whatever else the sentence says
    ("本产品收益最高。", ("最高", "claim", "")),
    ("年化收益率最高可达5%。", ("最高", "claim", "")),
    ("这是最安全的理财。", ("最安全", "claim", "")),
    ("我们追求最高收益。", ("最高", "claim", "")),
    ("本行理财产品中收益最高的一款。", ("最高", "claim", "")),
    # adversarial: look-alikes of an exemption
    ("本行借记卡服务全市最好。", ("最好", "claim", "")),
    ("我行是最好的银行，荣获好评。", ("最好", "claim", "")),
    ("审批最快，当天放款。", ("最快", "claim", "")),
    # holdout corpus: how often something is asked; a cap stated beside 利息 (deposit insurance)
    ("这是客户问得最多的问题之一。", ("最多", "word", "")),
    ("存款本金和利息合计在最高50万元以内的，全额偿付。", ("最高", "exempt", "a fact limited in amount, time or place")),
    # adversarial: a return with a figure but no cap, a bestseller
    ("本产品收益最高可达8%。", ("最高", "claim", "")),
    ("这是我行卖得最多的理财。", ("最多", "claim", "")),
]


@pytest.mark.parametrize(("text", "expected"), VERDICTS)
def test_absolute_verdicts(text: str, expected: tuple[str, str, str]) -> None:
    assert verdicts(text)[0] == expected


def test_segmenter_is_lazy_and_counts_its_time() -> None:
    before = words.STATS["sentences"]
    toks = words.tokens("依照刑法第一百七十六条")
    assert "".join(t.word for t in toks) == "依照刑法第一百七十六条"
    assert all(toks[i].end == toks[i + 1].start for i in range(len(toks) - 1))
    assert words.STATS["sentences"] == before + 1
    words.tokens("依照刑法第一百七十六条")  # memoised
    assert words.STATS["sentences"] == before + 1


def run(make_repo: Callable[..., Path], body: str, **front: object) -> list[tuple[str, Severity, str]]:
    return [
        (f.match, f.severity, f.message)
        for f in check_body(make_repo, body, **front)
        if f.rule == "adlaw/absolute-term"
    ]


# (body, expected (severity, phrase in the message) per adlaw/absolute-term finding)
POSTS: list[tuple[str, list[tuple[Severity, str]]]] = [
    ("办卡最快捷，审批最轻松。", [(Severity.ERROR, "最快捷"), (Severity.ERROR, "最轻松")]),
    ("依照《刑法》第一百七十六条追究刑事责任。", []),
    ("选择最低还款后，未还部分按日计收利息。", []),  # the lexicon's exception binds the open class too
    ("活动期间，单笔最高优惠50元。", [(Severity.INFO, "fact limited")]),
    ("我们追求最好的服务体验。", [(Severity.INFO, "service attitude")]),
    ("本理财产品收益最高。", [(Severity.ERROR, "最高")]),
    ("```\n全网第一\n```\n", [(Severity.REVIEW, "code block")]),
    ("存款本息合计在**最高50万元**以内的，实行全额偿付。", [(Severity.INFO, "fact limited")]),  # bold in a limit
]


@pytest.mark.parametrize(("body", "expected"), POSTS)
def test_absolute_terms_in_posts(
    make_repo: Callable[..., Path], body: str, expected: list[tuple[Severity, str]]
) -> None:
    found = run(make_repo, body, category="knowledge", products=[])
    got = [(sev, msg) for _, sev, msg in found]
    assert [sev for sev, _ in got] == [sev for sev, _ in expected], found
    for (_, msg), (_, phrase) in zip(got, expected, strict=True):
        assert phrase in msg, found


def test_segmenter_writes_nothing_and_prints_nothing(tmp_path: Path) -> None:
    """The dictionary ships in the wheel: segmenting downloads nothing, writes no cache file, logs nothing."""
    import subprocess
    import sys

    code = "from pipeline.checks import words; print(len(words.tokens('依照刑法第一百七十六条')))"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip().isdigit(), done.stderr
    assert done.stderr == ""
    assert list(tmp_path.iterdir()) == []
