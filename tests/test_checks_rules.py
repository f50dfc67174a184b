"""Every compliance rule, table-driven: positive and negative cases, evasions and false-positive traps.

Each case builds a real post in a temporary repository and runs `pipeline.check.check_folders`.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import NOW, check_body, cover_bytes, post_text

from pipeline import checks
from pipeline.check import CheckContext, check_folders
from pipeline.checks.pii import id_check_char, luhn
from pipeline.findings import Finding, Rule, Severity, all_rules
from pipeline.policy import load_policy
from pipeline.repo import post_folders

ORIGINAL = [{"file": "cover.jpg", "source": "original"}]
SLOGAN = "理财非存款，产品有风险，投资须谨慎。"
DISCLAIMER = "过往业绩不代表其未来表现，不等于理财产品实际收益，投资须谨慎。"


def valid_id(first17: str) -> str:
    return first17 + id_check_char(first17).upper()


def valid_card(prefix: str, length: int = 19) -> str:
    base = prefix.ljust(length - 1, "7")
    return next(base + d for d in "0123456789" if luhn(base + d))


ID18 = valid_id("11010519491231002")
ID18_BAD = ID18[:-1] + ("1" if ID18[-1] != "1" else "2")
CARD = valid_card("622202", 19)
CARD_GROUPED = " ".join(CARD[i : i + 4] for i in range(0, 19, 4))
CARD16 = valid_card("6228", 16)


def gps_cover() -> bytes:
    """A 900x383 JPEG cover whose EXIF carries a GPS position, as a phone writes it."""
    import io

    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (39.0, 54.0, 12.5), 3: "E", 4: (116.0, 23.0, 5.0)})
    buf = io.BytesIO()
    Image.new("RGB", (900, 383), (24, 96, 160)).save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


def run_post(
    make_repo: Callable[..., Path],
    body: str,
    files: dict[str, bytes] | None = None,
    **front: object,
) -> list[Finding]:
    front.setdefault("sources", ORIGINAL)
    return check_body(make_repo, body, files, **front)


# (rule, body, front-matter overrides, files, expect a finding of that rule)
CASES: list[tuple[str, str, dict[str, object], dict[str, bytes], bool]] = [
    # Art. 14 (1)-(8)
    ("forbidden/illegal", "本店代开发票，价格优惠。", {}, {}, True),
    ("forbidden/illegal", "警惕骗局，严禁信用卡套现。", {}, {}, False),
    ("forbidden/national", "春节找大师算命，来年好运。", {}, {}, True),
    ("forbidden/national", "破除封建迷信，文明过节。", {}, {}, False),
    ("forbidden/unverified-news", "据传某银行将下调利率。", {}, {}, True),
    ("forbidden/unverified-news", "据中国人民银行公告，利率保持不变。", {}, {}, False),
    ("forbidden/insult", "那家就是垃圾银行。", {}, {}, True),
    ("forbidden/insult", "我们尊重每一家同业机构。", {}, {}, False),
    ("forbidden/vice", "加入网络赌场，轻松赢钱。", {}, {}, True),
    ("forbidden/vice", "网上赌博平台日进斗金。", {}, {}, True),
    ("forbidden/vice", "网上赌*博平台日进斗金。", {}, {}, True),
    ("forbidden/vice", "网上赌 博平台日进斗金。", {}, {}, True),
    ("forbidden/vice", "网上赌·博平台日进斗金。", {}, {}, True),
    ("forbidden/vice", "网上賭博平台日進斗金。", {}, {}, True),
    *[
        ("forbidden/vice", f"网上赌{sep}博平台日进斗金。", {}, {}, True)
        for sep in ("——", "—", "－", "_", "~", "/", "–", "―", "〜", "\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad")
    ],
    ("forbidden/vice", "网上`赌`博平台日进斗金。", {}, {}, True),  # inline code around one letter
    ("forbidden/vice", "网上赌<!-- 备注 -->博平台日进斗金。", {}, {}, True),  # the comment is dropped: reads 赌博
    ("forbidden/vice", "网上<b>赌</b><span style='color:red'>博</span>平台。", {}, {}, True),
    ("forbidden/vice", "远离赌<br>博物馆开放时间。", {}, {}, False),  # a line break tag separates words
    # the title and digest are plain text WeChat shows as written: a comment there is published
    ("forbidden/vice", "借记卡免年费。", {"title": "借记卡<!-- 赌博 -->优惠"}, {}, True),
    ("forbidden/illegal", "借记卡免年费。", {"digest": "年费减免<!--代开发票-->"}, {}, True),
    ("forbidden/vice", "珍爱家庭，远离赌——博。", {}, {}, False),  # the exception is matched through the join
    ("forbidden/vice", "XX农商银行——您身边的银行。2026—2027年度服务不打烊——全年无休。", {}, {}, False),
    ("forbidden/vice", "网上赌——\n\n博物馆开放。", {}, {}, False),  # a paragraph break is not a separator
    ("adlaw/absolute-term", "满意度区间为10—0%到50%。", {}, {}, False),  # digits keep their dash: no 100%
    ("forbidden/vice", "珍爱家庭，远离赌博。", {}, {}, False),
    # code is published (the renderer shows it): scanned like the body; comments are dropped by the renderer
    ("forbidden/vice", "代码示例：`赌博`，也会发布。", {}, {}, True),
    ("forbidden/illegal", "行内代码 `代开发票` 照样显示。", {}, {}, True),
    ("forbidden/vice", "```\n赌博\n```\n正文无违规。", {}, {}, True),
    ("forbidden/vice", "<!-- 赌博 -->正文无违规。", {}, {}, False),
    ("forbidden/vice", "<!--\n赌博\n-->\n正文无违规。", {}, {}, False),
    ("forbidden/vice", "`<!-- 赌博 -->` 在代码里注释照样显示。", {}, {}, True),
    ("forbidden/vice", "```html\n<!-- 赌博 -->\n```\n", {}, {}, True),
    ("secret/marker", "```\n内部资料\n```\n", {}, {}, True),
    ("secret/marker", "示例：`内部资料`。", {}, {}, True),
    ("secret/marker", "<!-- 内部资料：编辑备注 -->正文。", {}, {}, False),
    ("forbidden/vice", "见 https://example.com/dubo/赌博 的链接。", {}, {}, False),
    ("forbidden/piracy", "免费下载破解版软件。", {}, {}, True),
    ("forbidden/piracy", "请在官方应用商店下载手机银行。", {}, {}, False),
    ("forbidden/trade-secret", "我行明年的营销方案已经确定。", {}, {}, True),
    ("forbidden/trade-secret", "我行借记卡免收年费。", {}, {}, False),
    ("forbidden/unpublished-plan", "我行拟于明年三月收购邻县信用社。", {}, {}, True),
    ("forbidden/unpublished-plan", "我行将于12月5日进行系统升级，届时暂停服务。", {}, {}, False),
    ("forbidden/brand-negative", "网上有人说我行出现挤兑。", {}, {}, True),
    ("forbidden/brand-negative", "如有疑问请拨打投诉热线96588。", {}, {}, False),
    ("forbidden/unpublished-figure", "截至目前，我行存款余额突破120亿元。", {}, {}, True),
    ("forbidden/unpublished-figure", "全国移动支付用户超过9亿。", {}, {}, False),
    # Advertising Law
    ("adlaw/absolute-term", "本行借记卡服务全市最好。", {}, {}, True),
    ("adlaw/absolute-term", "借记卡免年费，１００％返现。", {}, {}, True),
    ("adlaw/absolute-term", "2026年第一季度，第一次办卡的客户免年费。", {}, {}, False),
    ("adlaw/absolute-term", "最新消息：借记卡免收年费。", {}, {}, False),
    ("adlaw/absolute-term", "借记卡免收年费。", {"title": "全市最佳借记卡"}, {}, True),
    ("adlaw/unsourced-figure", "调查显示，九成客户更喜欢线上办理借记卡业务。", {}, {}, True),
    ("adlaw/unsourced-figure", "据中国人民银行发布的支付体系报告，调查显示九成客户使用线上渠道。", {}, {}, False),
    # financial marketing, product-aware
    ("finance/guaranteed-return", f"稳享理财，保本保收益。{SLOGAN}", {"products": ["wealth"]}, {}, True),
    ("finance/guaranteed-return", "定期存款保本，受存款保险保障。", {"products": ["deposit"]}, {}, False),
    ("finance/guaranteed-return", "本产品保本保收益，稳赚不赔。", {"products": ["payment"]}, {}, True),
    ("finance/guaranteed-return", "本产品保本，零风险。", {"products": []}, {}, True),
    ("finance/guaranteed-return", "定期存款保收益，稳赚。", {"products": ["deposit"]}, {}, True),
    ("finance/guaranteed-return", "存款保本。", {"products": ["deposit", "card"]}, {}, True),
    ("finance/guaranteed-return", f"本产品为非保本浮动收益型。{SLOGAN}", {"products": ["wealth"]}, {}, False),
    ("finance/deposit-deny", "存款送礼活动开始啦！", {"products": ["deposit"]}, {}, True),
    ("finance/deposit-deny", "三年期整存整取年利率2.35%。", {"products": ["deposit"]}, {}, False),
    ("finance/undeclared-product", "借记卡客户可购买稳健理财产品。", {}, {}, True),
    ("finance/undeclared-product", "账户资金受存款保险制度保障。借记卡免年费。", {}, {}, False),
    ("finance/missing-disclosure", "稳享理财产品开始募集。", {"products": ["wealth"]}, {}, True),
    ("finance/missing-disclosure", f"稳享理财产品开始募集。\n\n{SLOGAN}", {"products": ["wealth"]}, {}, False),
    (
        "finance/missing-disclosure",
        "理财产品开始募集。理财非存款 产品有风险 投资须谨慎",
        {"products": ["wealth"]},
        {},
        False,
    ),
    ("finance/past-performance", f"该理财产品近一年年化收益率4.5%。{SLOGAN}", {"products": ["wealth"]}, {}, True),
    (
        "finance/past-performance",
        f"该理财产品近一年年化收益率4.5%。{SLOGAN}{DISCLAIMER}",
        {"products": ["wealth"]},
        {},
        False,
    ),
    ("finance/yield-basis", f"业绩比较基准年化2.6%-3.2%。{SLOGAN}{DISCLAIMER}", {"products": ["wealth"]}, {}, True),
    (
        "finance/yield-basis",
        f"业绩比较基准年化2.6%-3.2%，测算依据：根据拟投资资产的收益水平测算。{SLOGAN}{DISCLAIMER}",
        {"products": ["wealth"]},
        {},
        False,
    ),
    # misselling patterns (more rows in tests/test_checks_finance_misselling.py)
    ("finance/implied-safety", f"稳享理财产品安全可靠，五重保障。{SLOGAN}", {"products": ["wealth"]}, {}, True),
    ("finance/implied-safety", "手机银行安全可靠，请放心使用。", {"products": ["card"]}, {}, False),
    ("finance/income-promise", f"购买稳享理财，躺着赚钱，年入百万。{SLOGAN}", {"products": ["wealth"]}, {}, True),
    ("finance/insurance-as-deposit", "这款保险存5年，到期还本，利息比定期高。", {"products": ["insurance"]}, {}, True),
    ("finance/insurance-as-deposit", "保险不是存款，提前退保可能损失本金。", {"products": ["insurance"]}, {}, False),
    ("finance/deposit-comparison", f"稳享理财比存款收益高。{SLOGAN}", {"products": ["wealth"]}, {}, True),
    ("finance/pressure-sale", f"稳享理财即将停售，额度有限。{SLOGAN}", {"products": ["wealth"]}, {}, True),
    ("finance/endorsement", f"稳享理财，专家推荐。{SLOGAN}", {"products": ["wealth"]}, {}, True),
    # personal data and confidentiality
    ("pii/resident-id", f"中奖客户身份证号{ID18}。", {}, {}, True),
    ("pii/resident-id", "中奖客户身份证号110105491231002。", {}, {}, True),
    ("pii/resident-id", f"业务流水号{ID18_BAD}。", {}, {}, False),
    ("pii/resident-id", "中奖客户身份证号110105********002X。", {}, {}, False),
    ("pii/bank-card", f"请向卡号{CARD}转账。", {}, {}, True),
    ("pii/bank-card", f"收款账户 {CARD_GROUPED}", {}, {}, True),
    ("pii/bank-card", f"中奖卡号：{'-'.join(CARD16[i : i + 4] for i in range(0, 16, 4))}", {}, {}, True),
    ("pii/bank-card", "中奖卡号6222 **** **** 1234，尾号1234的客户请领奖。", {}, {}, False),
    ("pii/mobile", "联系人张经理13812345678。", {}, {}, True),
    ("pii/mobile", "联系人张经理+86 138 1234 5678。", {}, {}, True),
    ("pii/mobile", "联系人张经理１３８１２３４５６７８。", {}, {}, True),
    ("pii/mobile", "中奖客户138****5678，请拨打96588或400-600-8888。", {}, {}, False),
    ("pii/landline", "咨询电话0531-12345678。", {}, {}, True),
    ("pii/landline", "咨询电话0531-88886666。", {}, {}, False),
    ("secret/marker", "本材料为内部资料。", {}, {}, True),
    ("secret/marker", "本材料为机*密。", {}, {}, True),
    ("secret/marker", "借记卡省钱的小秘密。", {}, {}, False),
    ("secret/credential", "配置：GITHUB_TOKEN=ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", {}, {}, True),
    ("secret/credential", "公众号AppSecret：0123456789abcdef0123456789abcdef", {}, {}, True),
    ("secret/credential", "```\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n```\n", {}, {}, True),
    (
        "secret/credential",
        "[菜单](https://api.weixin.qq.com/cgi-bin/menu/get?access_token=72_aBcDeF0123456789xyz)",
        {},
        {},
        True,
    ),
    ("secret/credential", "借记卡免年费。", {"digest": "密钥 0123456789ABCDEF0123456789ABCDEF"}, {}, True),
    ("secret/credential", "请勿向任何人透露短信验证码、密码和密钥。", {}, {}, False),
    ("secret/credential", "接口地址：/cgi-bin/token?access_token=ACCESS_TOKEN", {}, {}, False),
    ("secret/credential", "交易流水号0123456789abcdef0123456789abcdef。", {}, {}, False),
    # copyright
    ("pii/image-metadata", "借记卡免年费。", {}, {"cover.jpg": gps_cover()}, True),
    ("pii/image-metadata", "借记卡免年费。", {}, {}, False),
    ("copyright/image-source", "借记卡免年费。", {"sources": []}, {}, True),
    ("copyright/image-source", "借记卡免年费。\n\n![示意](chart.png)\n", {}, {"chart.png": cover_bytes("PNG")}, True),
    ("copyright/image-source", "借记卡免年费。", {}, {}, False),
    ("copyright/unnamed-source", "借记卡免年费。", {"sources": [{"file": "cover.jpg", "source": "网络"}]}, {}, True),
    ("copyright/reprint-unsourced", "本文转载自某财经网站。", {}, {}, True),
    (
        "copyright/reprint-unsourced",
        "本文转载自人民网。",
        {"sources": [*ORIGINAL, {"file": "index.md", "source": "人民网", "license": "授权转载"}]},
        {},
        False,
    ),
    (
        "copyright/unused-source",
        "借记卡免年费。",
        {"sources": [*ORIGINAL, {"file": "old.png", "source": "original"}]},
        {},
        True,
    ),
    # brand
    ("brand/wrong-name", "欢迎来到XX农村银行。", {}, {}, True),
    ("brand/wrong-name", "欢迎来到XX农商银行，XX农村商业银行股份有限公司。", {}, {}, False),
    ("brand/unapproved-account", "扫码关注“XX农商银行城关支行”公众号。", {}, {}, True),
    ("brand/unapproved-account", "欢迎关注“XX农商银行”公众号，微信号：xxnsyh。", {}, {}, False),
    ("brand/unapproved-account", "![扫码领券二维码](qr.png)", {}, {"qr.png": cover_bytes("PNG")}, True),
    # WeChat
    ("wechat/cover-aspect", "借记卡免年费。", {}, {"cover.jpg": cover_bytes(size=(600, 600))}, True),
    ("wechat/cover-aspect", "借记卡免年费。", {}, {}, False),
    ("wechat/external-link", "详见[官网](https://www.example.com/card)。", {}, {}, True),
    ("wechat/source-url", "借记卡免年费。", {"source_url": "ftp://www.example.com/card"}, {}, True),
    ("wechat/source-url", "借记卡免年费。", {"source_url": "https://www.example.com/" + "a" * 1100}, {}, True),
    ("wechat/source-url", "借记卡免年费。", {"source_url": "https://www.example.com/card"}, {}, False),
    ("wechat/external-link", "详见[上期文章](https://mp.weixin.qq.com/s/abc)。", {}, {}, False),
    # exceptions
    (
        "exception/used",
        "本行是全省第一家农商银行。",
        {"allow": [{"rule": "adlaw/absolute-term", "match": "第一", "reason": "见2025年年报"}]},
        {},
        True,
    ),
    (
        "exception/unused",
        "借记卡免年费。",
        {"allow": [{"rule": "adlaw/absolute-term", "match": "第一", "reason": "见年报"}]},
        {},
        True,
    ),
    ("exception/no-reason", "全省第一。", {"allow": [{"rule": "adlaw/absolute-term", "match": "第一"}]}, {}, True),
    (
        "exception/unknown-rule",
        "全省第一。",
        {"allow": [{"rule": "adlaw/absolut", "match": "第一", "reason": "x"}]},
        {},
        True,
    ),
]


@pytest.mark.parametrize(("rule", "body", "front", "files", "expected"), CASES)
def test_rule_table(
    make_repo: Callable[..., Path],
    rule: str,
    body: str,
    front: dict[str, object],
    files: dict[str, bytes],
    expected: bool,
) -> None:
    findings = run_post(make_repo, body, files, **front)
    hits = [f for f in findings if f.rule == rule]
    if expected:
        assert hits, f"expected {rule}; got {[(f.rule, f.match, f.message) for f in findings]}"
    else:
        assert not hits, [(f.rule, f.match, f.message) for f in hits]


def _my_rules() -> list[Rule]:
    found: dict[str, Rule] = {}
    for name in checks.__all__:
        module = getattr(checks, name)
        assert isinstance(module, types.ModuleType)
        for value in vars(module).values():
            if isinstance(value, Rule):
                found[value.id] = value
            elif isinstance(value, dict):
                for v in value.values():
                    if isinstance(v, tuple) and v and isinstance(v[0], Rule):
                        found[v[0].id] = v[0]
    return sorted(found.values(), key=lambda r: r.id)


FAMILIES = ("forbidden/", "adlaw/", "finance/", "pii/", "secret/", "copyright/", "brand/", "exception/")


def test_every_rule_has_a_positive_case_and_full_help() -> None:
    mine = {r.id for r in _my_rules()}
    rules = [r for r in all_rules() if r.id.startswith(FAMILIES) or r.id in mine]
    assert mine <= {r.id for r in rules}
    assert len(rules) >= 30
    positive = {rule for rule, *_, expected in CASES if expected}
    missing = [r.id for r in rules if r.id not in positive]
    assert missing == []
    for r in rules:
        assert r.help and r.instead and r.quote and r.summary and r.article, r.id


def test_review_groups_do_not_block(make_repo: Callable[..., Path]) -> None:
    findings = run_post(make_repo, "据传我行出现挤兑，营销方案已定。")
    sev = {f.rule: f.severity for f in findings}
    assert sev["forbidden/unverified-news"] is Severity.REVIEW
    assert sev["forbidden/brand-negative"] is Severity.REVIEW
    assert sev["forbidden/trade-secret"] is Severity.REVIEW


GUARANTEE_SEVERITY = [
    # (body, products, severities of finance/guaranteed-return findings)
    ("本产品保本保收益，稳赚不赔。", ["payment"], [Severity.REVIEW] * 3),
    ("本产品保本保收益。", [], [Severity.REVIEW] * 2),
    (f"本产品保本保收益。{SLOGAN}", ["wealth"], [Severity.ERROR] * 2),
    ("购买基金产品，保本保收益。", ["card"], [Severity.ERROR] * 2),  # names a fund product: error
    ("保险产品稳赚。", ["payment"], [Severity.ERROR]),
    ("定期存款保本，受存款保险保障。", ["deposit"], []),
    ("定期存款保本，保收益。", ["deposit"], [Severity.REVIEW]),
    ("存款保本，理财产品也保本。", ["deposit"], [Severity.ERROR] * 2),  # names wealth: no deposit exemption
]


@pytest.mark.parametrize(("body", "products", "expected"), GUARANTEE_SEVERITY)
def test_guarantee_words_flagged_whatever_products_says(
    make_repo: Callable[..., Path], body: str, products: list[str], expected: list[Severity]
) -> None:
    findings = run_post(make_repo, body, products=products)
    assert [f.severity for f in findings if f.rule == "finance/guaranteed-return"] == expected, [
        (f.rule, f.match, f.severity) for f in findings
    ]


@pytest.mark.parametrize(("folder", "expected"), [("2026/card-offer", True), ("2026/12-05-card-offer", False)])
def test_post_outside_the_layout_is_flagged(make_repo: Callable[..., Path], folder: str, expected: bool) -> None:
    root = make_repo({folder: {"index.md": post_text(sources=ORIGINAL), "cover.jpg": cover_bytes()}}, commit=False)
    ctx = CheckContext(root=root, policy=load_policy(root), now=NOW)
    findings = check_folders(post_folders(root), ctx, jobs=1).findings
    layout = [f for f in findings if f.rule == "schema/layout"]
    assert bool(layout) is expected, [(f.rule, f.message) for f in findings]


def test_undeclared_non_investment_product_is_review(make_repo: Callable[..., Path]) -> None:
    findings = run_post(make_repo, "借记卡免年费，存款也有礼。")
    hits = [f for f in findings if f.rule == "finance/undeclared-product"]
    assert [f.severity for f in hits] == [Severity.REVIEW]
    wealth = run_post(make_repo, "借记卡客户可购买理财产品。")
    assert [f.severity for f in wealth if f.rule == "finance/undeclared-product"] == [Severity.ERROR]
