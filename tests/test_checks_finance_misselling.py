"""Misselling patterns from regulators' cases (issue 14, class 5): positive, negative and adversarial rows.

Every sentence is our own, written after reading the public page in the `seen` column (a pattern, never a
copied sentence). Each row builds a real post in a temporary repository and runs the real checker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import check_body

from pipeline.findings import Finding, Severity

SLOGAN = "理财非存款，产品有风险，投资须谨慎。"
ORIGINAL = [{"file": "cover.jpg", "source": "original"}]

# where the patterns were seen (public pages; patterns only)
CQN = "https://www.cqn.com.cn/cj/content/2016-12/06/content_3679532.htm"  # 五重保障 in a P2P ad, AdLaw 25 fine
ZJ = "http://www.dsdod.com/a/20180816/68541"  # 稳健高收益, 零风险, 本金收益有保障: provincial typical cases
BOC = "http://www.szbyj.cn/aboutboc/BCP/202503/t20250309_25288010.html"  # 保本保息, 限时抢购, 名额有限 (anti-fraud)
CQBOC = "http://investsc.cn/n2/2024/0913/c367643-40976799.html"  # 稳赚不赔, 专家推荐, 全民疯抢 (illegal ads)
MINSHENG = "https://m.sinotf.com/News/index/id/37660.html"  # insurance as savings, compared with time deposits
DEPINS = "http://news.43b.com.cn/a/755375.html"  # 存款变保险: 高息存款, 存5年, 到期返本 for annuity insurance
PENSION = "http://jsdzs.cn/nannvjiankang/127430.html"  # 定存 sold, a whole-life care policy delivered


def run(make_repo: Callable[..., Path], body: str, **front: object) -> list[Finding]:
    front.setdefault("title", "农商银行金融课堂")  # the default title and digest name a debit card
    front.setdefault("digest", "本期内容")
    return check_body(make_repo, body, **front)


# (rule, body, products, expected severities of that rule's findings, where the pattern was seen)
MISSELLING: list[tuple[str, str, list[str], list[Severity], str]] = [
    # implied safety, only about an investment or insurance product
    ("finance/implied-safety", f"稳享理财产品安全可靠，五重保障。{SLOGAN}", ["wealth"], [Severity.ERROR] * 2, CQN),
    ("finance/implied-safety", f"本产品本金安全，收益有保障。{SLOGAN}", ["wealth"], [Severity.ERROR] * 2, ZJ),
    ("finance/implied-safety", "这款年金保险低风险高收益。", ["insurance"], [Severity.ERROR], ZJ),
    ("finance/implied-safety", f"别担心，稳享理财安全可靠。{SLOGAN}", ["wealth"], [Severity.ERROR], ZJ),  # reassurance
    ("finance/implied-safety", "手机银行采用多重安全保障，安全可靠。", ["card"], [], CQN),  # no investment product
    ("finance/implied-safety", f"稳享理财今日开售。手机银行登录有三重保护，安全可靠。{SLOGAN}", ["wealth"], [], CQN),
    # promises of income
    ("finance/income-promise", f"买稳享理财，躺着赚钱。{SLOGAN}", ["wealth"], [Severity.ERROR], CQBOC),
    ("finance/income-promise", f"稳享理财让您躺着也能赚。{SLOGAN}", ["wealth"], [Severity.ERROR], CQBOC),  # split
    ("finance/income-promise", f"投资稳享理财，年入百万不是梦。{SLOGAN}", ["wealth"], [Severity.ERROR], CQBOC),
    ("finance/income-promise", "加入我们，月入过万。", [], [Severity.REVIEW], CQBOC),  # no product: review
    ("finance/income-promise", f"月赚3000元，稳享理财帮你实现。{SLOGAN}", ["wealth"], [Severity.ERROR], CQBOC),
    ("finance/income-promise", "工资每月入账后可设置自动转存。", ["deposit"], [], CQBOC),  # 月入账 is no income
    ("finance/income-promise", "家庭年收入过万的农户可申请。", ["loan"], [], CQBOC),
    ("finance/income-promise", "新春快乐，恭祝财源广进、生意兴隆。理财经理为您服务。", [], [], CQBOC),
    # insurance sold with deposit words
    ("finance/insurance-as-deposit", "这款保险存5年，到期还本。", ["insurance"], [Severity.ERROR], DEPINS),
    ("finance/insurance-as-deposit", "储蓄型保险，利息比定期高。", ["insurance"], [Severity.ERROR], MINSHENG),
    ("finance/insurance-as-deposit", "年金险就像定存一样安心。", ["insurance"], [Severity.ERROR], PENSION),
    (
        "finance/insurance-as-deposit",
        "分红险也能存钱。",
        ["deposit"],
        [Severity.ERROR],
        DEPINS,
    ),  # declared deposit only
    ("finance/insurance-as-deposit", "保险不是存款，提前退保可能损失本金。", ["insurance"], [], MINSHENG),
    ("finance/insurance-as-deposit", "保险与银行存款不同，请仔细阅读条款。", ["insurance"], [], MINSHENG),
    ("finance/insurance-as-deposit", "存款保险制度保障您的存款安全。", ["deposit"], [], DEPINS),
    ("finance/insurance-as-deposit", "保单贷款须按合同约定支付利息。", ["insurance"], [], PENSION),
    # adversarial: a clause that tells them apart, then one that sells one as the other
    (
        "finance/insurance-as-deposit",
        "保险不是存款。这款年金险存3年就能拿利息。",
        ["insurance"],
        [Severity.ERROR],
        DEPINS,
    ),
    ("finance/insurance-as-deposit", "这款保险保底收益3.5%，相当于高息定期。", ["insurance"], [Severity.ERROR], DEPINS),
    ("finance/insurance-as-deposit", "这份保单就是一张高利率存单。", ["insurance"], [Severity.ERROR], PENSION),
    ("finance/insurance-as-deposit", "年金险十年下来相当于存了一笔高息定期。", [], [Severity.ERROR], PENSION),
    # a post that sells insurance and no deposit: every sentence speaks of the policy
    ("finance/insurance-as-deposit", "存五年，每年利息3.5%，到期本息全拿回。", ["insurance"], [Severity.ERROR], DEPINS),
    # education that tells them apart
    ("finance/insurance-as-deposit", "去银行存钱，别把存单变保单。", [], [], DEPINS),
    ("finance/insurance-as-deposit", "这是存款，还是保险？请先问清楚。", [], [], DEPINS),
    ("finance/insurance-as-deposit", "本产品为保障型保险，不具有储蓄功能。", ["insurance"], [], DEPINS),
    (
        "finance/insurance-as-deposit",
        "同一存款人在同一家投保机构被保险存款账户的本息合并计算。",
        ["deposit"],
        [],
        DEPINS,
    ),
    # comparison with deposits
    ("finance/deposit-comparison", f"稳享理财比存款收益高。{SLOGAN}", ["wealth"], [Severity.ERROR], MINSHENG),
    ("finance/deposit-comparison", f"稳享理财收益远超定期存款。{SLOGAN}", ["wealth"], [Severity.ERROR], MINSHENG),
    ("finance/deposit-comparison", "收益是定期存款利息的3倍。", [], [Severity.ERROR], MINSHENG),
    ("finance/deposit-comparison", "大额存单起存金额20万元，利率按挂牌执行。", ["deposit"], [], MINSHENG),
    ("finance/deposit-comparison", "年金保险比银行存款划算多了。", ["insurance"], [Severity.ERROR], MINSHENG),
    ("finance/deposit-comparison", "这款理财和存款一样安全。", [], [Severity.ERROR], MINSHENG),
    ("finance/deposit-comparison", "储蓄国债票面利率高于同期定期存款。", [], [], MINSHENG),
    ("finance/deposit-comparison", "闲钱放这里比放存款强。", [], [Severity.ERROR], MINSHENG),
    ("finance/deposit-comparison", "收益堪比国债，安全等同存款。", [], [Severity.ERROR], MINSHENG),
    # implied safety: negated is the warning; the bank's words are the claim
    ("finance/implied-safety", "基金定投风险几乎为零，收益还高。", ["fund"], [Severity.ERROR], ZJ),
    ("finance/implied-safety", "风险等级低不等于没有风险，R1级产品也可能亏损。", ["wealth"], [], ZJ),
    ("finance/implied-safety", "货币基金“风险较低”不等于“没有风险”。", ["fund"], [], ZJ),
    # pressure to buy, for investment and insurance products: review
    ("finance/pressure-sale", f"稳享理财即将停售，额度有限。{SLOGAN}", ["wealth"], [Severity.REVIEW] * 2, BOC),
    ("finance/pressure-sale", "这款保险限时抢购。", ["insurance"], [Severity.REVIEW], BOC),
    ("finance/pressure-sale", "限量秒杀！下月停售，现在投保。", ["insurance"], [Severity.REVIEW] * 2, BOC),
    ("finance/pressure-sale", "免年费活动名额有限，先到先得。", ["card"], [], BOC),  # a card campaign's quota
    # endorsements
    ("finance/endorsement", f"稳享理财，专家推荐。{SLOGAN}", ["wealth"], [Severity.ERROR], CQBOC),
    ("finance/endorsement", "权威推荐的好产品。", [], [Severity.ERROR], CQBOC),
    ("finance/endorsement", "国资背景，值得信赖。", [], [Severity.ERROR], BOC),
    ("finance/endorsement", "专家解读：如何识别非法集资。", [], [], CQBOC),
    ("finance/endorsement", "本期产品收益有国家做担保。", [], [Severity.ERROR], CQBOC),
    ("finance/endorsement", "本产品已备案，等于有政府信用背书。", [], [Severity.ERROR], CQBOC),
    # deposit deny list: a loan's fiscal interest subsidy is not deposit-taking with subsidies
    ("finance/deposit-deny", "符合条件的创业担保贷款可享受财政贴息。", ["loan"], [], ZJ),
    ("finance/deposit-deny", "存款送好礼，多存多送。", ["deposit"], [Severity.ERROR] * 2, ZJ),
    ("finance/deposit-deny", "存款返现金，存10万元返现300元。", ["deposit"], [Severity.ERROR], ZJ),
    # holdout corpus: 没有区别 equates; 非存款 and 以存款名义 tell apart or name the misselling
    ("finance/insurance-as-deposit", "这份保单跟存款没有区别。", ["insurance"], [Severity.ERROR], DEPINS),
    (
        "finance/insurance-as-deposit",
        "您的定期到期了，转存成这个“分红存单”，本金随时能取。\n\n保险产品由保险公司承保，本行仅为代理销售。",
        ["insurance"],
        [Severity.ERROR],
        DEPINS,
    ),  # the deposit words before the insurance words, in another sentence of a post selling insurance
    ("finance/insurance-as-deposit", "本行不以存款名义销售保险。", ["insurance"], [], DEPINS),
    ("finance/insurance-as-deposit", "| 理财产品、基金、保险等非存款产品 |", ["insurance"], [], DEPINS),
    ("finance/implied-safety", f"有没有风险，请看产品说明书。{SLOGAN}", ["wealth"], [], ZJ),
    ("finance/implied-safety", f"稳享理财和国债一样安全。{SLOGAN}", ["wealth"], [Severity.ERROR], ZJ),
]

# (body, products, severities of finance/guaranteed-return findings, seen): negations and split promises
GUARANTEES: list[tuple[str, list[str], list[Severity], str]] = [
    (f"本产品不保证本金和收益。{SLOGAN}", ["wealth"], [], ZJ),
    (f"这些机制不代表产品保本，产品仍可能亏损。{SLOGAN}", ["wealth"], [], ZJ),
    (f"业绩比较基准不是预期收益率，更不是承诺收益。{SLOGAN}", ["wealth"], [], ZJ),
    ("分红险的演示收益不是保证收益。", ["insurance"], [], DEPINS),
    (f"理财产品已转为净值型，不再有“保本”理财。{SLOGAN}", ["wealth"], [], ZJ),
    (f"有人问：理财能保本吗？答：不能，理财产品不保本。{SLOGAN}", ["wealth"], [], ZJ),  # asked and denied
    (f"想要保本吗？选稳享理财！{SLOGAN}", ["wealth"], [Severity.ERROR], ZJ),  # a rhetorical question is a claim
    # adversarial: a negation of something else, in the clause before
    (f"不要错过！保本保收益。{SLOGAN}", ["wealth"], [Severity.ERROR] * 2, ZJ),
    (f"不用担心，本金无忧。{SLOGAN}", ["wealth"], [Severity.ERROR], ZJ),
    ("分红型年金险保证每年收益4.5%，到期连本带利全部返还。", ["insurance"], [Severity.ERROR] * 2, DEPINS),
    ("这款保险保底收益3.5%。", ["insurance"], [Severity.ERROR], DEPINS),
    ("年金险保底复利，稳稳增值。", ["insurance"], [Severity.ERROR], DEPINS),
    ("本产品不设保底收益，净值可能下跌。", ["wealth"], [], DEPINS),
    ("三年期定期存款到期连本带利一次支取，本金无忧。", ["deposit"], [], DEPINS),  # deposits are protected
    # holdout corpus: no loss promised, a loss made good, a floor on a rise
    (f"稳享理财保证不亏。{SLOGAN}", ["wealth"], [Severity.ERROR], ZJ),
    (f"理财经理私下保证：亏了由我个人补给您。{SLOGAN}", ["wealth"], [Severity.ERROR], ZJ),
    ("这只基金未来一年至少上涨30%。", ["fund"], [Severity.ERROR], ZJ),
    (f"净值型理财不代表不会亏。{SLOGAN}", ["wealth"], [], ZJ),
]


@pytest.mark.parametrize(("body", "products", "expected", "seen"), GUARANTEES)
def test_negated_and_split_guarantees(
    make_repo: Callable[..., Path], body: str, products: list[str], expected: list[Severity], seen: str
) -> None:
    findings = run(make_repo, body, products=products)
    got = [f.severity for f in findings if f.rule == "finance/guaranteed-return"]
    assert got == expected, (seen, [(f.rule, f.match, f.severity.value) for f in findings])


@pytest.mark.parametrize(("rule", "body", "products", "expected", "seen"), MISSELLING)
def test_misselling_patterns(
    make_repo: Callable[..., Path], rule: str, body: str, products: list[str], expected: list[Severity], seen: str
) -> None:
    findings = run(make_repo, body, products=products)
    got = [f.severity for f in findings if f.rule == rule]
    assert got == expected, (seen, [(f.rule, f.match, f.severity.value) for f in findings])


def test_misselling_rules_are_claims() -> None:
    """The frame pass lowers a claim quoted in a warning; these rules must be claims for it to see them."""
    from pipeline.checks import misselling

    assert all(r.claim for r in misselling.RULES)
    assert all(r.id.startswith("finance/") and r.quote.startswith("《") for r in misselling.RULES)


def test_yield_before_the_word_is_a_yield(make_repo: Callable[..., Path]) -> None:
    """10.0%年化收益率 is the same claim as 年化收益率10.0%: a yield that needs the disclaimer."""
    for body in (f"稳享理财，10.0%年化收益率。{SLOGAN}", f"稳享理财，年化收益率10.0%。{SLOGAN}"):
        findings = run(make_repo, body, products=["wealth"])
        assert [f.severity for f in findings if f.rule == "finance/past-performance"] == [Severity.ERROR], body
    # no investment product declared or named: the yield still needs compliance's eyes
    findings = run(make_repo, "本期产品8.5%的年化收益率。", products=[])
    assert [f.severity for f in findings if f.rule == "finance/past-performance"] == [Severity.REVIEW]
    # a loan rate is no yield
    findings = run(make_repo, "农户信用贷款年化利率3.45%起。", products=["loan"])
    assert [f for f in findings if f.rule == "finance/past-performance"] == []
