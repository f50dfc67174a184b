"""Art. 14 (1)-(8) item by item (issue 14, class 7): every item the regulation names has default terms or a pattern.

`ITEMS` has, for each item, a positive row (the item's own words, offered or stated), a negative row (an
ordinary post) and an adversarial row. `PLANS` drives the 14.7 pattern for plans written as intentions
(拟…, 计划于…, 将于…启动), including the service notices that must not be flagged.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import check_body

from pipeline.findings import Severity


def run(make_repo: Callable[..., Path], body: str, category: str) -> list[tuple[str, Severity]]:
    return [(f.rule, f.severity) for f in check_body(make_repo, body, category=category, products=[])]


# (item, body, category, rule, expected severity of the rule's finding, or None for no finding at all)
ITEMS: list[tuple[str, str, str, str, Severity | None]] = [
    ("14(1)", "代办各类证件，包过审核，当天拿证。", "other", "forbidden/illegal", Severity.ERROR),
    ("14(1)", "各类证件请到政府办事窗口办理。", "knowledge", "forbidden/illegal", None),
    ("14(1) warned", "警惕办理假证骗局，各类证件请到政府窗口办理。", "knowledge", "forbidden/illegal", Severity.INFO),
    ("14(1) adversarial", "不要错过！专业代办证件，价格优惠。", "other", "forbidden/illegal", Severity.ERROR),
    ("14(2)", "开光招财符，保您来年财运亨通。", "campaign", "forbidden/national", Severity.ERROR),
    ("14(2)", "新春佳节，祝您吉祥如意。", "campaign", "forbidden/national", None),
    ("14(2) warned", "破除封建迷信，抵制邪教渗透。", "knowledge", "forbidden/national", None),
    ("14(2) adversarial", "不信也得信，大师看风水一次就灵。", "campaign", "forbidden/national", Severity.ERROR),
    ("14(3)", "据说本地某银行即将倒闭。", "other", "forbidden/unverified-news", Severity.REVIEW),
    ("14(3)", "据中国人民银行公告，贷款市场报价利率保持不变。", "notice", "forbidden/unverified-news", None),
    ("14(3) warned", "警惕坊间传言，以官方公告为准。", "knowledge", "forbidden/unverified-news", Severity.INFO),
    ("14(4)", "那家银行的客户经理就是蠢货。", "other", "forbidden/insult", Severity.ERROR),
    ("14(4)", "我们尊重每一位客户。", "service", "forbidden/insult", None),
    ("14(5)", "线上百家乐，充值就送彩金。", "campaign", "forbidden/vice", Severity.ERROR),
    ("14(5)", "珍爱生命，远离毒品。", "knowledge", "forbidden/vice", None),
    ("14(5) warned", "谨防以彩金为诱饵的网络赌博。", "knowledge", "forbidden/vice", Severity.INFO),
    ("14(5) adversarial", "别犹豫，赌球平台新人送彩金。", "campaign", "forbidden/vice", Severity.ERROR),
    ("14(6)", "最新大片枪版资源，免费看大片。", "other", "forbidden/piracy", Severity.ERROR),
    ("14(6)", "请在官方应用商店下载手机银行。", "service", "forbidden/piracy", None),
    ("14(7)", "本行下季度将推进管理人员调整。", "other", "forbidden/trade-secret", Severity.REVIEW),
    ("14(7)", "本行2025年年度报告已在官方网站披露，欢迎查阅。", "notice", "forbidden/trade-secret", None),
    ("14(8)", "我行某支行因违规发放贷款被约谈。", "other", "forbidden/brand-negative", Severity.REVIEW),
    ("14(8)", "如对我们的服务不满意，欢迎拨打投诉热线96588。", "service", "forbidden/brand-negative", None),
    ("14(8)", "本季度共受理消费投诉46件，已全部办结。", "notice", "forbidden/brand-negative", None),
    ("14(8) adversarial", "我行近期投诉不断，客户纷纷销户。", "other", "forbidden/brand-negative", Severity.REVIEW),
    ("14(1) holdout", "无需征信，黑户也能秒批五十万。", "other", "forbidden/illegal", Severity.ERROR),
    ("14(1) holdout warned", "警惕“黑户也能贷”的骗局。", "knowledge", "forbidden/illegal", Severity.INFO),
]


@pytest.mark.parametrize(("item", "body", "category", "rule", "expected"), ITEMS)
def test_art14_items(
    make_repo: Callable[..., Path], item: str, body: str, category: str, rule: str, expected: Severity | None
) -> None:
    found = [sev for r, sev in run(make_repo, body, category) if r == rule]
    assert found[:1] == ([expected] if expected else []), (item, found)


# (body, expected: a forbidden/unpublished-plan finding)
PLANS: list[tuple[str, bool]] = [
    ("我行拟于明年三月收购邻县信用社。", True),
    ("本行计划于下季度启动管理人员调整。", True),
    ("总行计划明年起调整对公业务定价政策。", True),
    ("我行正在研发的新产品拟于明年二月上线。", True),
    ("本行准备对县域支行进行撤并。", True),
    ("我行拟对某公司提起诉讼。", True),
    # ordinary service notices and public events
    ("我行将于12月5日进行系统升级，届时手机银行暂停服务。", False),
    ("我行将于12月12日起调整城关支行营业时间。", False),
    ("我行将于12月10日推出新产品“丰收理财”，欢迎咨询。", False),
    ("我行拟于12月20日举办金融知识讲座。", False),
    ("本行2025年年度报告已在官方网站披露。", False),
    # adversarial: a regulator's plan is public policy; the bank's own plan after a comma still counts
    ("人民银行拟调整存款准备金政策。", False),
    ("据人民银行公告，我行拟于明年收购邻县信用社。", True),
    ("系统升级完成后，我行计划调整高管分工。", True),
]


@pytest.mark.parametrize(("body", "expected"), PLANS)
def test_plans_written_as_intentions(make_repo: Callable[..., Path], body: str, expected: bool) -> None:
    found = [sev for r, sev in run(make_repo, body, "other") if r == "forbidden/unpublished-plan"]
    assert found == ([Severity.REVIEW] if expected else []), found
