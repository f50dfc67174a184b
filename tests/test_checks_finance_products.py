"""A mention is not marketing (issue 14, class 2); disclosures read as a compliance officer reads them (class 6).

Positive, negative and adversarial rows; sentences are our own, written after reading the public page in
the `seen` column. Each row builds a real post and runs the real checker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import NOW, check_body, cover_bytes, post_text

from pipeline.check import CheckContext, check_folders
from pipeline.checks.finance import products_offered
from pipeline.errors import PolicyError
from pipeline.findings import Finding, Severity
from pipeline.policy import load_policy, parse_policy
from pipeline.post import load_post
from pipeline.repo import post_folders

SLOGAN = "理财非存款，产品有风险，投资须谨慎。"
DISCLAIMER = "过往业绩不代表其未来表现，不等于理财产品实际收益，投资须谨慎。"
ORIGINAL = [{"file": "cover.jpg", "source": "original"}]

BOC = "http://www.szbyj.cn/aboutboc/BCP/202503/t20250309_25288010.html"  # fake wealth platforms (education)
ILLEGAL = "https://zzklgc.com/node/446"  # features of illegal financial ads, regulators named
NAV = "https://www.zjcxbank.com/NetPage/personal_detail_171_i1510.html"  # a rural bank's NAV notice
NAV2 = "http://www.psbc.com/big5/investment/transactions/tzlclc/tzlclcgg/lcjzgg/53742.html"  # NAV with yields
MATURITY = "http://wateridea.cn/grjr/tzlc/tzlcdt/lcgg/lccpdfgg/202101/20210107_6394.html"  # maturity notice
BENCH = "http://wap.qianlima.com/zb/detail/20240620_428530348.html"  # benchmark-change notice
BENCH2 = "https://www.bocwm.cn/html/1//198/197/24946.html"  # 业绩比较基准不是预期收益率 … 不构成对产品收益的承诺
CQBOC = "http://investsc.cn/n2/2024/0913/c367643-40976799.html"  # education on illegal financial ads


def run(make_repo: Callable[..., Path], body: str, **front: object) -> list[Finding]:
    front.setdefault("title", "农商银行金融课堂")  # the default title and digest name a debit card
    front.setdefault("digest", "本期内容")
    return check_body(make_repo, body, **front)


def rules_of(findings: list[Finding], prefix: str = "finance/") -> list[tuple[str, str]]:
    return [(f.rule, f.severity.value) for f in findings if f.rule.startswith(prefix)]


# (body, front matter, expected undeclared-product findings as (product word, severity), seen)
OFFERS: list[tuple[str, dict[str, object], list[tuple[str, Severity]], str]] = [
    # mentions, not offers
    ("警惕养老理财骗局，不要轻信高额回报。", {"category": "knowledge", "products": []}, [], BOC),
    ("理财小知识：购买理财产品前，须完成风险承受能力评估。", {"category": "knowledge", "products": []}, [], BOC),
    ("中国银行保险监督管理委员会发布风险提示。", {"category": "notice", "products": []}, [], ILLEGAL),
    ("《银行保险机构消费者权益保护管理办法》已施行。", {"category": "notice", "products": []}, [], ILLEGAL),
    ("存款保险制度保护存款人权益，社会保险卡请妥善保管。", {"category": "knowledge", "products": []}, [], ILLEGAL),
    (
        "非法集资是指未经依法许可，以发行股票、基金、债券等方式向社会公众吸收资金。",
        {"category": "knowledge", "products": []},
        [],
        CQBOC,
    ),
    ("住房公积金和社保基金的缴存比例有变化。", {"category": "notice", "products": []}, [], ILLEGAL),
    ("不法分子冒充银行客服，以办理高收益理财为名骗取验证码。", {"category": "knowledge", "products": []}, [], BOC),
    (
        "账户里的钱可以购买名单内的理财、基金、保险等产品，除储蓄外不保证本金和收益。",
        {"category": "knowledge", "products": ["other"]},
        [],
        BOC,
    ),  # kinds of products in a list: categories, not offers
    # offers
    (
        "本行代销理财、基金产品，起购金额1万元。",
        {"products": ["card"]},
        [("理财", Severity.ERROR), ("基金", Severity.ERROR)],
        NAV,
    ),
    ("本行推出稳享理财产品，起购金额1万元。", {"products": ["card"]}, [("理财产品", Severity.ERROR)], NAV),
    ("客户可通过手机银行购买“稳享”理财。", {"products": ["card"]}, [("理财", Severity.ERROR)], NAV),
    ("稳享系列第12期理财产品。", {"products": ["card"]}, [("理财产品", Severity.ERROR)], NAV),
    ("这款年金保险缴费期5年。", {"products": ["card"]}, [("保险", Severity.ERROR)], NAV),
    ("三年期定期存款年利率2.35%。", {"products": ["card"]}, [("定期存款", Severity.REVIEW)], NAV),
    ("农户信用贷款申请流程简便。", {"products": ["card"]}, [("贷款", Severity.REVIEW)], NAV),  # the product as subject
    # adversarial: a warning in one sentence, the offer in the next
    ("谨防理财骗局。本行稳享理财产品今日开售。", {"products": ["card"]}, [("理财产品", Severity.ERROR)], BOC),
    # adversarial: the offer in the title of an education piece
    ("理财有风险，投资须谨慎。", {"title": "稳享理财今日开售", "products": ["card"]}, [("理财", Severity.ERROR)], NAV),
    # holdout corpus: a product word denied, or in a clause that says what is not a deposit
    ("保险产品由保险公司发行，不是银行理财产品。", {"category": "knowledge", "products": ["insurance"]}, [], BOC),
    ("请注意：理财产品、代理销售的基金和保险不是存款。", {"category": "knowledge", "products": ["deposit"]}, [], BOC),
    # adversarial: the denial in another clause than the offer
    (
        "本行推出稳享理财，不是存款胜似存款。",
        {"category": "knowledge", "products": []},
        [("理财", Severity.ERROR)],
        BOC,
    ),
]


@pytest.mark.parametrize(("body", "front", "expected", "seen"), OFFERS)
def test_a_mention_is_not_an_offer(
    make_repo: Callable[..., Path], body: str, front: dict[str, object], expected: list[tuple[str, Severity]], seen: str
) -> None:
    findings = run(make_repo, body, **front)
    got = [(f.match, f.severity) for f in findings if f.rule == "finance/undeclared-product"]
    assert got == expected, (seen, rules_of(findings))


def test_products_offered_is_declared_and_offered(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    body = "警惕养老理财骗局。本行推出年金保险，投保简便。存款保险保护您的存款。"
    root = make_repo(
        {
            "2026/12-05-case": {
                "index.md": post_text(body, products=["card"], sources=ORIGINAL),
                "cover.jpg": cover_bytes(),
            }
        },
        commit=False,
    )
    policy = load_policy(root)
    ctx = CheckContext(root=root, policy=policy, now=NOW)
    post, _ = load_post(post_folders(root)[0], root, policy)
    assert products_offered(post, ctx) == frozenset({"card", "insurance"})  # not wealth: only a warning mentions it


# (body, front matter, expected finance findings as (rule, severity), seen)
DISCLOSURES: list[tuple[str, dict[str, object], list[tuple[str, str]], str]] = [
    # an education piece that declares wealth is not asked for marketing disclosures
    ("理财小知识：理财产品按风险分为五级。", {"category": "knowledge", "products": ["wealth"]}, [], BOC),
    # a notice that declares wealth and offers it is marketing it
    (
        "本行推出稳享理财产品，起购金额1万元。",
        {"category": "notice", "products": ["wealth"]},
        [("finance/missing-disclosure", "error")],
        NAV,
    ),
    # the slogan's published variants
    ("稳享理财今日开售。理财有风险，投资须谨慎。", {"products": ["wealth"]}, [], NAV),
    ("稳享理财今日开售。理财非存款、产品有风险、投资需谨慎。", {"products": ["wealth"]}, [], NAV),
    ("稳享理财今日开售。投资有风险，入市需谨慎。", {"products": ["wealth"]}, [], NAV),
    ("稳享基金今日开售。投资有风险，入市须谨慎。", {"products": ["fund"]}, [], NAV),
    # adversarial: half a slogan is no slogan
    ("稳享理财今日开售。产品有风险。", {"products": ["wealth"]}, [("finance/missing-disclosure", "error")], NAV),
    (
        "稳享理财今日开售。",
        {"category": "campaign", "products": ["wealth"]},
        [("finance/missing-disclosure", "error")],
        NAV,
    ),
    # disclosure documents are disclosures themselves
    (
        "| 估值日 | 单位净值 | 累计净值 | 业绩比较基准 |\n|---|---|---|---|\n"
        "| 2026-12-01 | 1.0213 | 1.0537 | 2.6%-3.2% |\n\n"
        "区间年化收益率3.95%。特此公告。",
        {"title": "稳享1号理财产品净值公告", "category": "notice", "products": ["wealth"]},
        [],
        NAV2,
    ),
    (
        "稳享3号理财产品于2026年12月1日到期，实际年化收益率3.40%，本金及收益将划转至投资者账户。特此公告。",
        {"title": "稳享3号理财产品到期公告", "category": "notice", "products": []},
        [],
        MATURITY,
    ),
    (
        "本行将于2026年12月20日调整稳享6号理财产品的业绩比较基准，调整前为2.60%-3.20%，调整后为2.40%-3.00%。",
        {"title": "关于调整稳享6号理财产品业绩比较基准的公告", "category": "notice", "products": ["wealth"]},
        [],
        BENCH,
    ),
    (
        "稳享8号理财产品募集期已结束，实际募集金额1.2亿元，产品已于2026年12月8日成立。特此公告。",
        {"title": "稳享8号理财产品募集结果公告", "category": "notice", "products": ["wealth"]},
        [],
        MATURITY,
    ),
    # adversarial: a launch is no disclosure document, whatever its title says
    (
        "稳享9号理财产品今日起募集，起购金额1万元。",
        {"title": "稳享9号理财产品发行公告", "category": "product", "products": ["wealth"]},
        [("finance/missing-disclosure", "error")],
        NAV,
    ),
    # the benchmark field is a label, and its disclaimer sentence no claim
    (
        f"| 项目 | 内容 |\n|---|---|\n| 业绩比较基准 | 年化2.60%-3.20% |\n\n"
        f"业绩比较基准的测算依据：根据拟投资资产的收益水平测算。业绩比较基准不是预期收益率，不代表产品的未来表现和实际收益。{SLOGAN}",
        {"products": ["wealth"]},
        [],
        BENCH2,
    ),
    # adversarial: past performance is past performance, before or after its word
    (
        f"稳享理财成立以来年化收益率4.8%。{SLOGAN}",
        {"products": ["wealth"]},
        [("finance/past-performance", "error")],
        NAV2,
    ),
    (f"稳享理财4.8%年化收益率。{SLOGAN}", {"products": ["wealth"]}, [("finance/past-performance", "error")], NAV2),
    (f"稳享理财成立以来年化收益率4.8%。{SLOGAN}过往业绩不预示其未来表现。", {"products": ["wealth"]}, [], NAV2),
    # a negated guarantee is the disclosure
    (f"稳享理财今日开售，本产品不保证本金和收益。{SLOGAN}", {"products": ["wealth"]}, [], BENCH2),
    (f"稳享理财今日开售，本产品不承诺保本。{SLOGAN}", {"products": ["wealth"]}, [], BENCH2),
    ("世上没有无风险的投资，高收益往往伴随高风险。", {"category": "knowledge", "products": []}, [], CQBOC),
    # adversarial: the same words without the negation
    (
        f"稳享理财今日开售，保证本金和收益。{SLOGAN}",
        {"products": ["wealth"]},
        [("finance/guaranteed-return", "error")],
        BENCH2,
    ),
]


@pytest.mark.parametrize(("body", "front", "expected", "seen"), DISCLOSURES)
def test_disclosures_and_labels(
    make_repo: Callable[..., Path], body: str, front: dict[str, object], expected: list[tuple[str, str]], seen: str
) -> None:
    findings = run(make_repo, body, **front)
    got = [r for r in rules_of(findings) if r[0] != "finance/yield-basis"]
    assert got == expected, (seen, [(f.rule, f.match, f.message) for f in findings if f.rule.startswith("finance/")])


def test_disclosure_wordings_are_policy_data() -> None:
    base = (Path(__file__).resolve().parents[1] / "policy" / "policy.yml").read_text(encoding="utf-8")
    compliance = parse_policy(base).compliance
    assert compliance.products["wealth"].disclosures == ("理财非存款，产品有风险，投资须谨慎",)
    wealth = compliance.wordings("理财非存款，产品有风险，投资须谨慎")
    assert wealth[0] == "理财非存款，产品有风险，投资须谨慎" and "理财有风险，投资须谨慎" in wealth
    assert compliance.wordings("未列出的句子") == ("未列出的句子",)
    bad = base.replace("[基金投资有风险,", '["",', 1)
    with pytest.raises(PolicyError) as err:
        parse_policy(bad)
    assert "compliance.variants" in str(err.value)


def test_a_variant_added_by_the_bank_is_accepted(make_repo: Callable[..., Path]) -> None:
    body = "稳享理财今日开售。理财有风险，选择须谨慎。"
    assert rules_of(run(make_repo, body, products=["wealth"])) == [("finance/missing-disclosure", "error")]
    root = make_repo(
        {
            "2026/12-05-case": {
                "index.md": post_text(body, products=["wealth"], sources=ORIGINAL),
                "cover.jpg": cover_bytes(),
            }
        },
        commit=False,
    )
    policy_file = root / "policy" / "policy.yml"
    text = policy_file.read_text(encoding="utf-8")
    policy_file.write_text(
        text.replace("[理财产品有风险，投资须谨慎,", "[理财有风险，选择须谨慎, 理财产品有风险，投资须谨慎,", 1)
    )
    ctx = CheckContext(root=root, policy=load_policy(root), now=NOW)
    findings = check_folders(post_folders(root), ctx, jobs=1).findings
    assert [f for f in findings if f.rule == "finance/missing-disclosure"] == []
