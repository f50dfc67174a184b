"""Frames (issue 14, class 1): warnings, negations and citations around a claim are not the bank's claim.

Two tables. `SENTENCES` drives the frame reader itself (`classify`) with the shipped `policy/frames.yml`:
positive rows (a frame), negative rows (a plain claim) and the adversarial rows the issue names. `POSTS`
runs whole posts through `check_folders` and asserts the severities and the message that says why.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PROJECT, check_body

from pipeline.checks.frames import _normal, classify, cues_for, sentence_at, sentences
from pipeline.checks.text import Unit
from pipeline.errors import PolicyError
from pipeline.findings import REGISTRY, Severity, all_rules
from pipeline.policy import load_frames, load_policy, parse_frames

CUES = cues_for(load_frames(PROJECT, load_policy(PROJECT)))


def frame(text: str, term: str) -> str | None:
    """The kind of frame around the first `term` in `text` (None: a plain claim)."""
    off = text.index(term)
    at = sentence_at(Unit("body", text, 1), off, off + len(term), {})
    assert at is not None
    sentence, s, e, lead = at
    found = classify(CUES, sentence, s, e, lead)
    return found.kind if found else None


# (text, term, expected frame kind or None)
SENTENCES: list[tuple[str, str, str | None]] = [
    # warnings: the cue before the term, across clauses and quotation marks
    ("不法分子往往承诺“保本付息”“稳赚不赔”，骗取群众钱财。", "保本", "warning"),
    ("不法分子往往承诺“保本付息”“稳赚不赔”，骗取群众钱财。", "稳赚不赔", "warning"),
    ("请大家警惕刷单返利类诈骗。", "刷单返利", "warning"),
    ("切勿出租出借自己的银行卡，更不要出租银行卡给陌生人。", "出租银行卡", "warning"),
    ("谨防以“高额回报、保本保息”为诱饵的非法集资。", "保本", "warning"),
    ("打着养老服务的幌子，宣称保本高收益。", "保本", "warning"),
    ("我们提醒您，警惕“保本保收益”的宣传。", "保本", "warning"),
    ("严禁我行员工向客户承诺保本。", "保本", "warning"),
    ("某平台号称年化收益20%、稳赚不赔。", "稳赚不赔", "warning"),
    ("以下是非法集资常见骗局：\n1. 承诺保本保息\n2. 宣称稳赚不赔", "稳赚不赔", "warning"),
    # warnings: the cue after the term, in its clause or (quoted) in its sentence
    ("“保本保息”“高收益”，这些都是非法集资的惯用话术。", "保本", "warning"),
    ("所谓的稳赚不赔都是骗局。", "稳赚不赔", "warning"),
    ("凡是承诺高额回报、稳赚不赔的投资项目，都请您提高警惕。", "稳赚不赔", "warning"),
    ("承诺保本保息的投资，请务必提高警惕。", "保本", "warning"),
    # citations
    ("《广告法》第九条规定，广告不得使用“国家级”“最高级”“最佳”等用语。", "最佳", "citation"),
    ("根据监管规定，理财产品宣传中出现保本字样属于违规。", "保本", "citation"),
    ("依据《商业银行理财业务监督管理办法》，银行不得宣传理财产品保本。", "保本", "citation"),
    # negations of the term itself
    ("本产品为非保本浮动收益型理财产品。", "保本", "negation"),
    ("本产品不保证本金和收益。", "保证本金", "negation"),
    ("理财产品并不保本，投资须谨慎。", "保本", "negation"),
    ("理财产品已全面转为净值型，不再有“保本”理财。", "保本", "negation"),
    ("这些机制不代表产品保本，产品仍可能亏损。", "保本", "negation"),
    # a next clause that opens with a warning about what precedes it
    ("出租出借银行卡，小心成了诈骗的“帮凶”", "出借银行卡", "warning"),
    ("如发现身边有人收购银行卡，请及时向公安机关举报。", "收购银行卡", "warning"),
    ("业绩比较基准不代表未来收益，不是保本承诺。", "保本", "negation"),
    # mentions: a quoted term named as a word
    ("银行的宣传材料里很少出现“最好”“第一”这样的字眼。", "最好", "mention"),
    ("所以，“收益最高”“最安全”这类说法在金融宣传中不被允许。", "最安全", "mention"),
    ("为什么银行广告里看不到“最好”“第一”？", "第一", "warning"),
    # plain claims
    ("本产品保本保收益，欢迎选购。", "保本", None),
    ("本行借记卡服务全市最好。", "最好", None),
    ("这款产品非常稳赚。", "稳赚", None),
    # adversarial: a negation of something else before the claim
    ("不要错过！保本保收益。", "保本", None),
    ("别犹豫，稳赚不赔。", "稳赚不赔", None),
    ("不是梦想，保本保收益。", "保本", None),
    # adversarial: a fake reassurance
    ("不用担心，保本保收益。", "保本", None),
    ("警惕风险？不用担心，保本保收益。", "保本", None),
    ("谨防错过，放心选购，保本保收益。", "保本", None),
    # adversarial: the bank quoting its own promise
    ("我行承诺“保本”。", "保本", None),
    ("面对骗局，我行郑重承诺“保本保息”。", "保本", None),
    # adversarial: a warning cue in one sentence and the claim in the next
    ("警惕诈骗。保本保收益，欢迎选购。", "保本", None),
    ("谨防诈骗！\n本产品保本保收益。", "保本", None),
    ("常见骗局：\n\n保本保息，欢迎选购。", "保本", None),
    # adversarial: a warning cue in one clause and the bank's product in the next
    ("谨防诈骗，本产品保本保收益。", "保本", None),
    ("保本保收益，严禁错过。", "保本", None),
    ("保本保收益，千万不要错过。", "保本", None),
    ("保本保收益，请小心别错过。", "保本", None),
    # adversarial: a negated warning is a reassurance
    ("这款产品不必警惕，稳赚不赔，放心买。", "稳赚不赔", None),
    ("无需防范，保本保收益。", "保本", None),
    ("本产品保本保收益，绝不是骗局。", "保本", None),
    ("保本保收益，这不是陷阱。", "保本", None),
    ("保本保收益，本产品无需提高警惕。", "保本", None),
    ("不得不说，本产品收益最佳。", "最佳", None),
    # adversarial: a turn, the bank named in a later clause, the bank affirming the quoted promise
    ("《广告法》不让说最好，但我们的信用卡权益就是全市最好。", "全市最好", None),
    ("谨防假冒，认准XX农商银行，收益最高的理财就在这里。", "最高", None),
    ("所谓风险，在我们这里不存在，本金零风险。", "零风险", None),
    ("不法分子做不到的保本保息，我行做得到。", "保本", None),
    ("如有人以“保本高息”为由向您推销保险，请拨打96588核实。", "保本", "warning"),
    # adversarial: a quoted claim without a mention cue, or the cue far from the quote
    ("本行服务“最好”，欢迎体验。", "最好", None),
    ("我行推出“最安全”的理财，这类说法我们有底气。", "最安全", None),
    # reporting verbs of the people warned against (holdout corpus: real anti-fraud articles)
    ("不法分子许诺“月息3分、保本保息”，诱骗群众投资。", "保本", "warning"),
    ("一些非法平台吹嘘自己是全国最安全的投资平台。", "最安全", "warning"),
    ("对方还说这笔投资零风险、有政府兜底。", "零风险", "warning"),
    ("犯罪分子以“稳赚不赔”诱导老人转账。", "稳赚不赔", "warning"),
    ("骗子鼓吹虚拟货币稳赚不赔。", "稳赚不赔", "warning"),
    # a cue with a gap around the term
    ("拒绝高收益诱惑，远离非法集资。", "高收益", "warning"),
    # a table row under a header that names scam scripts; a list under a heading that names myths
    ("| 骗子的话术 | 真相 |\n|---|---|\n| “内部渠道投资，稳赚不赔。” | 正规投资不承诺回报 |", "稳赚不赔", "warning"),
    ("## 定投的三个误区\n\n1. “定投稳赚不赔”——定投同样可能亏损；", "稳赚不赔", "warning"),
    # a quoted question someone else asks
    ("有的客户问：“有没有风险最低、收益最高的产品？”", "最高", "question"),
    ("基金定投是“稳赚”的吗？", "稳赚", "question"),
    ("理财真的是“零风险”吗？", "零风险", "question"),
    # adversarial: the same shapes with the bank speaking
    ("拒绝平庸，保本保收益。", "保本", None),
    ("| 产品 | 特点 |\n|---|---|\n| 稳享理财 | 保本保收益 |", "保本", None),
    ("## 本期推荐\n\n1. 稳享理财，稳赚不赔。", "稳赚不赔", None),
    ("## 防骗误区\n\n1. 本产品稳赚不赔。", "稳赚不赔", None),
    ("客户问：“收益高吗？”我们答：“本产品收益最高。”", "最高", None),
    ("想要收益最高的理财吗？", "最高", None),
    ("想要“稳赚”吗？", "稳赚", None),
    ("本产品就是“稳赚”的。", "稳赚", None),
    ("客户问：“收益最高的理财。”", "最高", None),
    ("拒绝诱惑吧，本产品保本保收益诱惑多。", "保本", None),
]


@pytest.mark.parametrize(("text", "term", "expected"), SENTENCES)
def test_frame_reader(text: str, term: str, expected: str | None) -> None:
    assert frame(text, term) == expected


def test_sentences_do_not_split_inside_quotes() -> None:
    text = "不法分子承诺“保本付息！稳赚不赔！”。下一句。"
    assert [text[s:e] for s, e in sentences(text)] == ["不法分子承诺“保本付息！稳赚不赔！”。", "下一句。"]
    unclosed = "他说“保本\n下一行。"
    assert [unclosed[s:e] for s, e in sentences(unclosed)] == ["他说“保本", "下一行。"]


def run(make_repo: Callable[..., Path], body: str, **front: object) -> list[tuple[str, Severity, str]]:
    return [(f.rule, f.severity, f.message) for f in check_body(make_repo, body, **front)]


KNOWLEDGE = {"category": "knowledge", "products": []}
# (body, front matter, rule, expected severities of that rule's findings, a phrase the first message contains)
POSTS: list[tuple[str, dict[str, object], str, list[Severity], str]] = [
    ("谨防不法分子诱导您出租银行卡。", KNOWLEDGE, "forbidden/illegal", [Severity.INFO], "quoted in a warning (谨防…)"),
    ("出租银行卡，日赚三百。", KNOWLEDGE, "forbidden/illegal", [Severity.ERROR], "breaks the law"),
    ("打着投资的幌子，诱导群众网上赌博。", KNOWLEDGE, "forbidden/vice", [Severity.INFO], "幌子"),
    ("网上赌博平台日进斗金。", KNOWLEDGE, "forbidden/vice", [Severity.ERROR], "obscenity"),
    (
        "《广告法》第九条规定，广告不得使用“国家级”“最高级”“最佳”等用语。",
        KNOWLEDGE,
        "adlaw/absolute-term",
        [Severity.INFO] * 3,
        "quoted from a law",
    ),
    # a product post: a framed hit still goes to the approver
    ("严禁宣传“全市最佳”。", {}, "adlaw/absolute-term", [Severity.REVIEW], "quoted in a warning (严禁…)"),
    # a negation is a disclaimer: info even in a product post
    ("本产品不承诺最低收益。", {}, "adlaw/absolute-term", [Severity.INFO], "negated (不承诺…)"),
    ("我行承诺“服务最好”。", KNOWLEDGE, "adlaw/absolute-term", [Severity.ERROR], "absolute term"),
    ("警惕诈骗。本行服务全市最好。", KNOWLEDGE, "adlaw/absolute-term", [Severity.ERROR], "absolute term"),
    # reporting verbs and a question someone asks (holdout corpus)
    ("对方许诺“月息3分、保本保息”。", KNOWLEDGE, "finance/guaranteed-return", [Severity.INFO], "(许诺…)"),
    ("有的客户问：“有没有收益最高的产品？”", KNOWLEDGE, "adlaw/absolute-term", [Severity.INFO], "question"),
]


@pytest.mark.parametrize(("body", "front", "rule", "severities", "phrase"), POSTS)
def test_frames_change_severity_visibly(
    make_repo: Callable[..., Path],
    body: str,
    front: dict[str, object],
    rule: str,
    severities: list[Severity],
    phrase: str,
) -> None:
    found = [(sev, msg) for r, sev, msg in run(make_repo, body, **front) if r == rule]
    assert [sev for sev, _ in found] == severities, found
    assert phrase in found[0][1], found


def test_frame_in_title(make_repo: Callable[..., Path]) -> None:
    found = run(make_repo, "正文。", title="警惕“出租银行卡”骗局", **KNOWLEDGE)
    assert [(s, "切勿" in m or "警惕" in m) for r, s, m in found if r == "forbidden/illegal"] == [(Severity.INFO, True)]


def test_claim_rules_are_marked() -> None:
    all_rules()
    claims = {r.id for r in REGISTRY.values() if r.claim}
    assert {"adlaw/absolute-term", "forbidden/illegal", "forbidden/vice", "forbidden/national"} <= claims
    assert "forbidden/trade-secret" not in claims  # a secret is a fact, not a claim
    assert "pii/id-card" not in claims


def test_bank_extends_frames(make_repo: Callable[..., Path]) -> None:
    root = make_repo({}, commit=False)
    path = root / "policy" / "frames.yml"
    path.write_text(path.read_text(encoding="utf-8") + "  - 反面教材\n", encoding="utf-8")  # the last list: subjects
    assert "反面教材" in load_frames(root, load_policy(root)).subjects


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("warning: [警惕]\nwarnings: [谨防]\n", "frames.yml:2: warnings: unknown key"),
        ("warning:\n  - 警惕\n  - ' 谨防'\n", "frames.yml:3: warning.1: a cue is a phrase"),
        ("negation: […]\n", "frames.yml:1: negation.0: a cue needs at least one character"),
        ("- 警惕\n", "frames.yml:1: expected a mapping"),
    ],
)
def test_frames_file_is_validated(text: str, problem: str) -> None:
    with pytest.raises(PolicyError) as exc:
        parse_frames(text, source="policy/frames.yml")
    assert problem in str(exc.value) + " ".join(getattr(exc.value, "problems", []) or [])


def test_missing_frames_file_is_a_policy_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({}, commit=False)
    (root / "policy" / "frames.yml").unlink()
    with pytest.raises(PolicyError, match=r"compliance\.frames"):
        load_frames(root, load_policy(root))


def test_rules_explain_frames_and_exemptions_with_the_laws_words() -> None:
    from pipeline.commands.rules import explain
    from pipeline.findings import get_rule

    absolute = get_rule("adlaw/absolute-term")
    assert absolute is not None
    text = explain(absolute)
    assert "《广告绝对化用语执法指南》" in text and "服务态度" in text and "消费提示" in text and "金融" in text
    assert "frames:" in text and "《广告法》第二条" in text and "我行承诺“保本”" in text
    secret = get_rule("forbidden/trade-secret")
    assert secret is not None and "frames:" not in explain(secret)  # not a claim rule


def test_the_banks_names_are_subjects() -> None:
    fp = load_frames(PROJECT, load_policy(PROJECT))
    named = cues_for(fp, ("XX农商银行",))
    text = _normal("谨防假冒，购买XX农商银行的理财，收益保本。")  # sentences are matched in the normalised form
    s = text.index("保本")
    assert classify(CUES, text, s, s + 2) is not None  # without the name: read as a warning
    assert classify(named, text, s, s + 2) is None  # the bank speaks again in a later clause
