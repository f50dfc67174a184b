"""The regulation, article by article, and the controls that enforce each article.

The bank's interim rules for its WeChat Official Account (Art. 1-22 and Annex 1) are listed in
`ARTICLES`: each with a Chinese excerpt, an English summary, and the controls that are not rules
(policy keys, workflow settings, the publish job's re-verification, the records) with the tests that
prove them. The rules themselves say which article they enforce (`Rule.article`), so `by_article(rules)`
joins the two from the code's own metadata: `wxpub rules --by-article` prints it and `docs/regulation.md`
is rendered from it (`python -m pipeline.regulation --write`). `audit_document()` checks that document
against the registry, so the document and the code cannot drift.

Rule articles use the regulation's numbering (`14.5` = Art. 14 item (5)) or a law's short name; laws are
filed under the article that carries them (`LAW_FILING`): the Advertising Law and the financial-marketing
rules under Art. 14 item (1) (no content against the law), personal-information law under Art. 17,
WeChat's platform limits under Art. 2 (the account is a service account), the post schema under Annex 1
(the form's fields).
"""

from __future__ import annotations

import argparse
import glob
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Rule
from .i18n import N_, _, language

DOCUMENT = "docs/regulation.md"
ARTICLE_NUMBERS: tuple[str, ...] = (*(str(n) for n in range(1, 23)), "Annex 1")

# Laws and pseudo-articles, filed under the article of the regulation that carries them.
LAW_FILING: dict[str, str] = {
    "adlaw": "14",  # 广告法: Art. 14 (1) forbids content against the law
    "finance": "14",  # financial-marketing rules (PBOC / NFRA): Art. 14 (1)
    "pboc": "14",
    "nfra": "14",
    "law": "14",
    "copyright": "14",  # 著作权法: Art. 14 (6)
    "pipl": "17",  # 个人信息保护法: Art. 17 confidentiality, customer data
    "wechat": "2",  # platform limits of a service account (服务号), Art. 2
    "schema": "Annex 1",  # the fields the approval form (Annex 1) is filled from
}

# Which tests prove the rules of each family (globs relative to the repository root).
FAMILY_TESTS: dict[str, tuple[str, ...]] = {
    "schema": ("tests/test_post_corpus.py",),
    "wechat": ("tests/test_post_corpus.py",),
    "forbidden": ("tests/test_checks*.py",),
    "adlaw": ("tests/test_checks*.py",),
    "finance": ("tests/test_checks*.py",),
    "pii": ("tests/test_checks*.py",),
    "secret": ("tests/test_checks*.py",),
    "copyright": ("tests/test_checks*.py",),
    "brand": ("tests/test_checks*.py",),
    "exception": ("tests/test_checks*.py",),
    "leadtime": ("tests/test_leadtime*.py",),
    "approval": ("tests/test_approval*.py",),
    "render": ("tests/test_render*.py",),
}

CONTROL_KINDS = ("rule", "policy", "workflow", "publish", "record", "command", "organisational")


@dataclass(frozen=True)
class Control:
    """A control that is not a rule: a policy key, a workflow setting, a publish-time step, a record."""

    kind: str
    name: str
    what: str
    tests: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    number: str
    title_zh: str
    title: str
    quote: str
    summary: str
    organisational: bool = False
    controls: tuple[Control, ...] = ()
    tests: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.number if self.number.startswith("Annex") else f"Art. {self.number}"


@dataclass(frozen=True)
class ArticleEntry:
    """One article joined with the rules that name it (what `wxpub rules --by-article` prints)."""

    article: Article
    rule_ids: tuple[str, ...]
    controls: tuple[Control, ...]
    tests: tuple[str, ...]
    rules: tuple[Rule, ...] = field(default=(), repr=False)

    @property
    def number(self) -> str:
        return self.article.number

    @property
    def quote(self) -> str:
        return self.article.quote

    @property
    def organisational(self) -> bool:
        return self.article.organisational


_P = "policy/policy.yml"
T_WORKFLOWS = "tests/test_workflows.py"
T_POLICY = "tests/test_policy.py"
T_APPROVAL = "tests/test_approval*.py"
T_FORM = "tests/test_form*.py"
T_PUBLISH = "tests/test_publish*.py"
T_LEDGER = "tests/test_ledger*.py"
T_ARCHIVE = "tests/test_archive*.py"
T_LEADTIME = "tests/test_leadtime*.py"
T_CHECKS = "tests/test_checks*.py"
T_WECHAT = "tests/test_wechat*.py"
T_REGULATION = "tests/test_regulation.py"

ARTICLES: tuple[Article, ...] = (
    Article(
        "1",
        "目的与依据",
        "Purpose",
        "为加强XX农商银行〔微信公众号〕管理，规范基于〔微信〕公众平台开展的营销推广及客户服务等宣传服务行为，"
        "提升全行在互联网金融领域的服务品质，加强金融风险防控……特制定本办法。",
        "Regulate marketing and customer service on the account and control financial risk. The pipeline as a "
        "whole is the means; its checks, approval gate and publish job are the controls of the articles below.",
        organisational=True,
        controls=(
            Control(
                "organisational", N_("the pipeline as a whole"), "every later article's control serves this purpose"
            ),
        ),
    ),
    Article(
        "2",
        "定义与账号类型",
        "The account is a service account",
        "本办法所称〔微信公众号〕是指XX农商银行依托腾讯公众服务平台……目前，我行使用的是〔微信〕(服务号)。",
        "The account is a 服务号 (service account), not a 订阅号: publishing uses the service account's API "
        "(drafts and free publish, mass send within the monthly quota), and WeChat's platform limits apply.",
        controls=(
            Control(
                "policy", "account.kind", "service | subscription: the account type the limits follow", (T_POLICY,)
            ),
            Control(
                "publish",
                "wxpub publish",
                "draft/add -> freepublish/submit, or message/mass/sendall for `delivery: broadcast`",
                (T_PUBLISH, T_WECHAT),
            ),
        ),
    ),
    Article(
        "3",
        "统一管理",
        "Unified management under HQ",
        "〔微信公众号〕按照“规范管理”、“明确定位”、“协同推动”的原则统一管理，须在行总部的统一规划下开展业务。",
        "One repository and one policy file owned by HQ; changes to the policy or the pipeline need the "
        "technology and e-banking tiers and the code owners' review.",
        controls=(
            Control("policy", _P, "the single, versioned, validated policy (unknown keys are errors)", (T_POLICY,)),
            Control("policy", "approval.code_paths", "paths whose change needs the code_change tiers", (T_APPROVAL,)),
            Control("workflow", ".github/CODEOWNERS", "/policy/ owned by technology and e-banking", (T_WORKFLOWS,)),
        ),
    ),
    Article(
        "4",
        "品牌形象",
        "Brand image",
        "〔微信公众号〕整体形象应遵循我行品牌整体形象规划，符合企业传播规范。形象识别包括头像、名称、服务页面UI设计……",
        "Avatar, name and page design follow the brand rules: an HQ-owned rendering theme, a cover in the right "
        "format and shape, and the bank's name written in its official forms.",
        controls=(
            Control("policy", "bank.official_names", "the bank's official and short names; `bank.wrong_names` flagged"),
            Control("policy", "render.theme", "policy/theme.css, the HQ-owned theme every post is rendered with"),
        ),
    ),
    Article(
        "5",
        "账号开设",
        "No account in the bank's name without HQ approval",
        "任何机构未经行总部批准不得以XX农商银行的名义申请〔微信〕(服务号)及〔订阅号〕。员工个人不得以XX农商银行名义申请，"
        "即员工申请的账号不得含有但不限于“XX农商银行”、“XX农商行”“PYNSYH”等字样。",
        "Posts may promote only the bank's approved accounts; the words staff accounts must not contain are "
        "configuration. Opening accounts on WeChat itself is outside the pipeline (organisational).",
        controls=(
            Control("policy", "account.approved_accounts", "the only WeChat accounts a post may promote"),
            Control("policy", "bank.reserved_words", "words other accounts may not use (XX农商银行, XX农商行, PYNSYH)"),
            Control("organisational", N_("account registration"), "HQ approves new accounts outside the pipeline"),
        ),
    ),
    Article(
        "6",
        "适用范围",
        "Scope: HQ and every branch",
        "本办法适用于XX农商银行各级机构。各级机构包括行总部、营业网点。",
        "Departments and branches are first-class in the policy; every post names its submitting unit.",
        controls=(Control("policy", "units", "HQ departments and branches, with their heads", (T_POLICY,)),),
    ),
    Article(
        "7",
        "电子银行部职责",
        "E-banking manages the account",
        "行总部电子银行部是〔微信公众号〕的管理部门。……（三）负责信息的汇总、整理和发布等。",
        "E-banking is the final approval tier of every post and the only publisher: the publish job's "
        "environment is e-banking's, and it owns posts/ in CODEOWNERS.",
        controls=(
            Control("policy", "approval.base", "unit_head -> compliance -> ebanking on every post", (T_APPROVAL,)),
            Control("policy", "roles.ebanking", "who signs for e-banking (forge users and/or teams)", (T_POLICY,)),
            Control(
                "workflow",
                "environment: wechat-production",
                "the publish job's environment; its required reviewers are e-banking (GitHub)",
                (T_WORKFLOWS,),
            ),
        ),
    ),
    Article(
        "8",
        "合规部审核",
        "Compliance reviews every post",
        "行总部合规部是〔微信公众号〕信息发布的审核部门，负责审核通过对外发布的信息的合规性。",
        "A compliance approval is required on every post, always; findings of `review` severity and every "
        "documented exception are put before the compliance approver and on the approval form.",
        controls=(
            Control(
                "policy", "roles.compliance", "who signs for compliance (required by the policy schema)", (T_POLICY,)
            ),
            Control(
                "workflow", "approval-gate", "the required check that enforces the tiers on the PR", (T_WORKFLOWS,)
            ),
        ),
    ),
    Article(
        "9",
        "科技部职责",
        "Technology supports",
        "行总部科技部是〔微信公众号〕的技术支持部门。负责各项技术开发、维护以及平台对接等技术支持工作。",
        "Technology owns the pipeline's code and workflows, separately from the content approvers.",
        controls=(
            Control(
                "policy", "approval.code_change", "technology then e-banking for pipeline/policy changes", (T_APPROVAL,)
            ),
            Control("workflow", ".github/CODEOWNERS", "/pipeline/ and /.github/ owned by technology", (T_WORKFLOWS,)),
        ),
    ),
    Article(
        "10",
        "总部其他部门职责",
        "Other HQ departments market their own lines",
        "行总部其他相关部门负责本部门业务条线宣传营销及客户业务交互等工作。",
        "They submit posts; their department head is the first approval tier.",
        organisational=True,
        controls=(
            Control("policy", "units[kind=department].heads", "the head of the submitting department", (T_POLICY,)),
            Control("policy", "approval.base: unit_head", "the first tier of every post", (T_APPROVAL,)),
            Control(
                "policy",
                "units[].editors",
                "a post for a unit its author does not edit for needs that unit's head to approve first",
                (T_APPROVAL,),
            ),
        ),
    ),
    Article(
        "11",
        "支行职责",
        "Branches market locally",
        "各支行负责本网点宣传营销、客户业务交互及客户业务指导等工作。",
        "Branches submit posts like departments, with the branch head as the first tier.",
        organisational=True,
        controls=(
            Control("policy", "units[kind=branch].heads", "the head of the submitting branch", (T_POLICY,)),
            Control("policy", "approval.base: unit_head", "the first tier of every post", (T_APPROVAL,)),
        ),
    ),
    Article(
        "12",
        "统一出口与声誉",
        "E-banking is the single outlet",
        "〔微信公众号〕营销活动和信息发布统一出口为行总部电子银行部。所发布的内容应维护我行声誉，"
        "严禁发布损害我行形象的言论和信息。",
        "Nothing reaches WeChat except through merge-then-publish: only the publish job holds the WeChat "
        "secret, and it re-verifies before sending that the exact content was approved.",
        controls=(
            Control(
                "publish",
                "approval.trust_branch_protection: false",
                "the publish job re-verifies through the forge that the commit came through an approved PR, "
                "judged by the policy at the merge's base (an approver removed later is shown, not dropped)",
                (T_PUBLISH, T_APPROVAL),
            ),
            Control("workflow", "publish.yml", "the only job referencing WECHAT_APPID / WECHAT_SECRET", (T_WORKFLOWS,)),
            Control(
                "workflow",
                "concurrency: wechat-publish",
                "one publisher at a time, never cancelled midway",
                (T_WORKFLOWS,),
            ),
        ),
    ),
    Article(
        "13",
        "发布内容范围",
        "Allowed content: six kinds",
        "发布内容包括：（一）产品……（二）营销活动……（三）我行官方政策信息，系统升级停机等公告信息。"
        "（四）答复客户业务咨询、建议和投诉信息。（五）……趣味性、哲理性内容……（六）其他有利于提高客户认知度的积极健康的内容。",
        "A required `category` among exactly these six (product, campaign, notice, service, knowledge, other); "
        "category-specific tiers and checks.",
        controls=(Control("policy", "approval.by_category", "extra tiers per category (e.g. notice)", (T_APPROVAL,)),),
    ),
    Article(
        "14",
        "禁止发布的内容",
        "Forbidden content: eight groups",
        "禁止发布以下内容：（一）违反中华人民共和国宪法和法律法规的言论。（二）损害国家荣誉和利益……（三）未经公开报道、"
        "未经证实的……消息。（四）……侮辱或者诽谤他人……（五）……赌博、暴力、凶杀、恐怖或者教唆犯罪的……"
        "（六）侵犯他人著作权、版权的。（七）我行商业秘密……（八）有损品牌声誉、涉及我行的敏感或负面信息。",
        "The compliance checker: a rule per group, each finding tagged with its item; lexicons the bank extends; "
        "groups (3), (7), (8) routed to compliance review; declared sources for images and reprints; "
        "advertising and financial-marketing law filed under item (1).",
        controls=(
            Control(
                "policy",
                "compliance.lexicons",
                "policy/lexicons/: one term list per group, bank-extendable",
                (T_CHECKS,),
            ),
            Control("policy", "compliance.products", "disclosures each marketed product requires", (T_CHECKS,)),
            Control("policy", "compliance.published_figures", "business figures already public (item 7)", (T_CHECKS,)),
        ),
    ),
    Article(
        "15",
        "分级审批与提前报送",
        "Tiered approval, the form, one week in advance",
        "〔微信公众号〕发布的信息采取分级审批、统一发布。发布信息需填写《XX农商银行信息发布审批表》(见附件1)。"
        "各部门应将拟发布的信息内容及《XX农商银行信息发布审批表》提前1周报送电子银行部。",
        "Ordered approval tiers from PR reviews on the PR's head; the Annex 1 form from those reviews; the "
        "submission (the PR's creation) at least 7 days before `publish_at`.",
        controls=(
            Control("policy", "approval.sequential", "a tier counts only after every earlier tier", (T_APPROVAL,)),
            Control("policy", "leadtime.days", "7: days from submission to publication (per category)", (T_LEADTIME,)),
            Control("workflow", "leadtime", "the required check running `wxpub leadtime` on the PR", (T_WORKFLOWS,)),
            Control("workflow", "approval-gate", "the required check running `wxpub approvals`", (T_WORKFLOWS,)),
        ),
    ),
    Article(
        "16",
        "风险管理范围",
        "Risk management: operational risk and system security",
        "〔微信公众号〕的风险管理主要包括操作风险管理和系统安全管理等。",
        "The pipeline's own reliability and security: least-privilege workflows audited by zizmor, pinned "
        "actions, one publisher at a time, exactly-once publishing that resumes after a crash.",
        controls=(
            Control("workflow", "zizmor --offline", "the workflow audit reports nothing", (T_WORKFLOWS,)),
            Control(
                "workflow", N_("actions pinned to commit SHAs"), "a moved tag cannot change what runs", (T_WORKFLOWS,)
            ),
            Control("workflow", "permissions: {}", "read-only by default; write only where needed", (T_WORKFLOWS,)),
            Control(
                "publish", N_("exactly-once publishing"), "each step recorded before and after its call", (T_PUBLISH,)
            ),
        ),
    ),
    Article(
        "17",
        "保密",
        "Confidentiality",
        "各部门要严格遵守国家和行内有关保密规定，不得通过〔微信公众号〕发布涉密信息等。",
        "Confidentiality markers and customer personal data (ID, card and phone numbers) are found before "
        "publication; the bank's own hotlines are allowed by policy.",
        controls=(Control("policy", "bank.hotlines", "the bank's public numbers the checks allow", (T_CHECKS,)),),
    ),
    Article(
        "18",
        "操作规程与责任",
        "Operators act within their permissions; accountability",
        "运营人员须严格按照相关操作规程和操作权限进行操作。由于操作不当引起信息发布错误、系统损坏等后果的，视情节追究相关人员责任。",
        "Every publication is traceable to its commit, approvers and operator; workflows hold least privilege; "
        "a wrong publication can be retracted, and the retraction is recorded.",
        controls=(
            Control("record", "records/<post-id>.json", "commit, approvers, actor and time of every step", (T_LEDGER,)),
            Control(
                "command", "wxpub retract", "deletes the article on WeChat and records who, when and why", (T_PUBLISH,)
            ),
            Control("record", "records/<post-id>.form.md", "the approval form stored with the record", (T_PUBLISH,)),
        ),
    ),
    Article(
        "19",
        "系统与数据管理",
        "HQ manages the system; no unauthorised change to its data",
        "〔微信公众号〕系统由行总部统一管理，任何机构和个人未经允许，不得擅自接入、拆卸、安装、更换设备，"
        "不得对数据库进行修改、添加和删除。",
        "Publication records are append-only and live in git on `wxpub-records`, written only by the publish "
        "job; secrets live only in its protected environment; the pipeline's code needs the technology tier.",
        controls=(
            Control(
                "record", "branch wxpub-records", "append-only records, pushed only by the publish job", (T_LEDGER,)
            ),
            Control(
                "workflow", "environment: wechat-production", "the only place WECHAT_SECRET exists", (T_WORKFLOWS,)
            ),
            Control("policy", "approval.code_change", "technology and e-banking sign pipeline changes", (T_APPROVAL,)),
        ),
    ),
    Article(
        "20",
        "升级提前通知",
        "Three working days' notice of technical upgrades",
        "技术支持部门如需对〔微信公众号〕的软硬件进行升级、调试等，须提前3个工作日通知管理部门，以便做好应急准备。",
        "A downtime notice (`maintenance: {start, end}`) is submitted at least 3 working days before the window, "
        "counting China's public holidays and adjusted workdays, and published before the window starts.",
        controls=(
            Control("policy", "leadtime.maintenance_working_days", "3: working days before the window", (T_LEADTIME,)),
            Control(
                "policy", "leadtime.calendar", "policy/calendar.yml: holidays and adjusted workdays", (T_LEADTIME,)
            ),
        ),
    ),
    Article(
        "21",
        "源代码保密",
        "Development documents and source code are confidential",
        "〔微信公众号〕开发文档、源代码文件等按照行总部保密规定统一管理，未经许可，不得提供给第三方。",
        "The repository is private; no secret or internal path leaks into published HTML or the archive; the "
        "archive is internal (a run artifact and an intranet copy, never public Pages).",
        controls=(
            Control(
                "workflow", "archive.yml", "the site kept as an artifact or copied to an intranet host", (T_WORKFLOWS,)
            ),
            Control(
                "organisational", N_("private repository"), "read access only for the bank's staff (operations.md)"
            ),
        ),
    ),
    Article(
        "22",
        "解释与生效",
        "HQ interprets; effective on issue",
        "本办法由行总部负责解释和修订，自发文之日起执行。",
        "Rules and thresholds live in the versioned policy file, not in code; its history is the record of "
        "every revision.",
        organisational=True,
        controls=(
            Control("policy", _P, "every threshold and list the bank may change, versioned in git", (T_POLICY,)),
            Control("organisational", N_("HQ interprets the rules"), "changes to the policy go through its owners"),
        ),
    ),
    Article(
        "Annex 1",
        "信息发布审批表",
        "The approval form",
        "附件1：XX农商银行信息发布审批表",
        "Generated for each post from its front matter and the PR's reviews: unit, title, category, planned "
        "time, summary, each tier's reviewer, decision and time; stored with the record and shown in the archive.",
        controls=(
            Control("command", "wxpub form", "renders the form (Markdown and printable HTML)", (T_FORM,)),
            Control("record", "records/<post-id>.form.md", "the form archived with the publication", (T_PUBLISH,)),
            Control("record", N_("archive post page"), "the internal archive shows each post's form", (T_ARCHIVE,)),
        ),
    ),
)


# -- joining rules to articles -----------------------------------------------------------------


def article_of(reference: str) -> str | None:
    """The regulation article a rule's `article` field files under: `14.5` -> `14`, `AdLaw 9.3` -> `14`.

    None when the reference names neither an article 1-22, Annex 1, nor a law in `LAW_FILING`.
    """
    ref = reference.strip()
    m = re.fullmatch(r"(?:Art\.?\s*)?(\d{1,2})(?:\s*[.(（]\s*\d+\s*[)）]?)*", ref)
    if m:
        return m.group(1) if m.group(1) in ARTICLE_NUMBERS else None
    if re.fullmatch(r"(?i)annex\s*1", ref):
        return "Annex 1"
    head = re.split(r"[\s.:/(]", ref, maxsplit=1)[0].lower()
    return LAW_FILING.get(head)


def family_of(rule_id: str) -> str:
    return rule_id.split("/", 1)[0]


def tests_for_rule(rule_id: str) -> tuple[str, ...]:
    return FAMILY_TESTS.get(family_of(rule_id), ())


def article(number: str) -> Article | None:
    return next((a for a in ARTICLES if a.number == number), None)


def quote_for(rule: Rule) -> str:
    """The requirement in Chinese for `wxpub rules RULE`: the rule's own quote, else its article's."""
    if rule.quote:
        return rule.quote
    number = article_of(rule.article)
    art = article(number) if number else None
    return art.quote if art else ""


def unfiled(rules: Iterable[Rule]) -> list[Rule]:
    """Rules whose `article` cannot be filed under any article: each is a gap in the map."""
    return [r for r in rules if article_of(r.article) is None]


def by_article(rules: Iterable[Rule]) -> list[ArticleEntry]:
    """Every article (1-22, Annex 1) in order, with the rules that name it and its other controls."""
    grouped: dict[str, list[Rule]] = {n: [] for n in ARTICLE_NUMBERS}
    for rule in rules:
        number = article_of(rule.article)
        if number is not None:
            grouped[number].append(rule)
    entries = []
    for art in ARTICLES:
        art_rules = tuple(sorted(grouped[art.number], key=lambda r: r.id))
        tests: dict[str, None] = {}
        for r in art_rules:
            tests.update(dict.fromkeys(tests_for_rule(r.id)))
        for c in art.controls:
            tests.update(dict.fromkeys(c.tests))
        tests.update(dict.fromkeys(art.tests))
        tests[T_REGULATION] = None
        entries.append(
            ArticleEntry(
                article=art,
                rule_ids=tuple(r.id for r in art_rules),
                controls=art.controls,
                tests=tuple(tests),
                rules=art_rules,
            )
        )
    return entries


# -- the document ------------------------------------------------------------------------------

_HEADER = """# The regulation, article by article

Which control enforces each article of the bank's interim rules for its WeChat Official Account
(《XX农商银行微信公众号管理暂行办法》, Art. 1-22 and Annex 1), and which tests prove it. The compliance
department can audit the pipeline against its own rules from this page.

How to read it:

- One section per article. **Status** is `enforced` (a rule, check or setting makes the pipeline refuse
  what the article forbids), or `organisational` (the article assigns duties to people; the policy key or
  setting named in the table carries it).
- Each table row is one control. `kind` is `rule` (a check with a stable id, shown by `wxpub rules RULE`
  with the article's requirement in Chinese and what a compliant rewrite looks like), `policy` (a key of
  `policy/policy.yml`), `workflow` (a setting of `.github/workflows` or CODEOWNERS), `publish` (what the
  publish job does before or while sending), `record` (what is kept), `command`, or `organisational`.
- Laws are filed under the article that carries them: advertising and financial-marketing law under
  Art. 14 item (1), personal-information law under Art. 17, WeChat's limits under Art. 2, the post schema
  under Annex 1.
- In the quotes, 〔微信公众号〕 restores the words the source copy dropped.

This page is generated from the code's own rule metadata and `pipeline/regulation.py`
(`python -m pipeline.regulation --write`; `wxpub rules --by-article` prints the same mapping), and
`tests/test_regulation.py` fails when it drifts from the rules the code defines.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _tests_cell(tests: Sequence[str]) -> str:
    return ", ".join(f"`{t}`" for t in tests) or "—"


def to_markdown(entries: Sequence[ArticleEntry]) -> str:
    """`docs/regulation.md`: one section per article, one table row per control."""
    out = [_HEADER]
    for e in entries:
        art = e.article
        status = "organisational" if art.organisational else "enforced"
        out.append(f"## {art.label} · {art.title_zh} · {art.title}\n")
        out.append(f"> {art.quote}\n")
        out.append(f"**Status:** {status}\n")
        out.append(f"{art.summary}\n")
        out.append("| kind | control | what it does | proved by |")
        out.append("|---|---|---|---|")
        for r in e.rules:
            what = f"{r.severity} · {r.article} · {r.summary or r.name}"
            out.append(f"| rule | `{r.id}` | {_cell(what)} | {_tests_cell(tests_for_rule(r.id))} |")
        for c in e.controls:
            out.append(f"| {c.kind} | `{_cell(c.name)}` | {_cell(c.what)} | {_tests_cell(c.tests)} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# the kinds of control, as `wxpub rules --by-article` names them
CONTROL_KIND_LABELS = {
    "rule": N_("rule"),
    "policy": N_("policy"),
    "workflow": N_("workflow"),
    "publish": N_("publish"),
    "record": N_("record"),
    "command": N_("command"),
    "organisational": N_("organisational"),
}


def _pad(text: str, width: int) -> str:
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def to_text(entries: Sequence[ArticleEntry]) -> str:
    """A terminal view of the same mapping (for `wxpub rules --by-article`), in the reader's language:
    English shows the article's English title beside the Chinese one, Chinese only the regulation's."""
    from .report import article_column, severity_label

    english = language() == "en"
    lines = []
    for e in entries:
        art = e.article
        tag = _(" (organisational)") if art.organisational else ""
        if english:
            lines.append(f"{art.label} {art.title_zh} · {art.title}{tag}")
        else:
            label = _("Annex {number}", number=art.number.split()[-1]) if art.number.startswith("Annex") else None
            label = label or _("Art. {article}", article=art.number)
            lines.append(f"{label} {art.title_zh}{tag}")
        lines.append(f"  {art.quote}")
        for r in e.rules:
            lines.append(
                f"  {_pad(_(CONTROL_KIND_LABELS['rule']), 8)} {r.id:<32} {_pad(severity_label(r.severity), 7)} "
                f"{article_column(r.article)}"
            )
        for c in e.controls:
            lines.append(f"  {_pad(_(CONTROL_KIND_LABELS.get(c.kind, c.kind)), 8)} {_(c.name)}")
        lines.append("")
    return "\n".join(lines).rstrip()


def to_json(entries: Sequence[ArticleEntry]) -> str:
    """The mapping as JSON: a list of articles with their rule ids, other controls and tests."""
    import json

    doc = [
        {
            "article": e.article.number,
            "label": e.article.label,
            "title_zh": e.article.title_zh,
            "title": e.article.title,
            "quote": e.article.quote,
            "summary": e.article.summary,
            "status": "organisational" if e.organisational else "enforced",
            "rules": [{"id": r.id, "article": r.article, "severity": str(r.severity)} for r in e.rules],
            "controls": [{"kind": c.kind, "name": c.name, "what": c.what, "tests": list(c.tests)} for c in e.controls],
            "tests": list(e.tests),
        }
        for e in entries
    ]
    return json.dumps(doc, ensure_ascii=False, indent=2)


def render_by_article(entries: Sequence[ArticleEntry], fmt: str = "text") -> str:
    """`wxpub rules --by-article --format text|json|markdown`."""
    if fmt == "json":
        return to_json(entries)
    if fmt == "markdown":
        return to_markdown(entries).rstrip()
    return to_text(entries)


# -- auditing the document against the registry ------------------------------------------------

_SECTION = re.compile(r"^## (Art\. (\d{1,2})|Annex 1)\b", re.M)
_STATUS = re.compile(r"^\*\*Status:\*\*\s*(enforced|organisational)\b", re.M)
_ROW = re.compile(r"^\|\s*([a-z]+)\s*\|\s*`([^`]+)`\s*\|(.*)\|\s*$", re.M)


@dataclass
class DocSection:
    number: str
    status: str | None
    rows: list[tuple[str, str, str]]  # (kind, control, rest of the row)

    @property
    def rule_ids(self) -> list[str]:
        return [name for kind, name, _ in self.rows if kind == "rule"]


def parse_document(text: str) -> dict[str, DocSection]:
    """The document's sections by article number, with their status and control rows."""
    sections: dict[str, DocSection] = {}
    matches = list(_SECTION.finditer(text))
    for i, m in enumerate(matches):
        body = text[m.end() : matches[i + 1].start() if i + 1 < len(matches) else len(text)]
        number = m.group(2) or "Annex 1"
        status = _STATUS.search(body)
        rows = [(k, name, rest) for k, name, rest in _ROW.findall(body)]
        sections[number] = DocSection(number, status.group(1) if status else None, rows)
    return sections


def audit_document(text: str, rules: Sequence[Rule], root: Path | None = None) -> list[str]:
    """Everything in which the document and the code disagree; empty when they agree.

    - a rule names an article (or law) that is not filed, or whose article has no section;
    - a rule of the registry is not listed under its article;
    - the document names a rule id the registry does not have;
    - an article 1-22 / Annex 1 has no section, or neither a control nor an `organisational` status;
    - (with `root`) a test the document cites matches no file.
    """
    problems: list[str] = []
    sections = parse_document(text)
    known = {r.id: r for r in rules}
    for number in ARTICLE_NUMBERS:
        label = number if number.startswith("Annex") else f"Art. {number}"
        sec = sections.get(number)
        if sec is None:
            problems.append(f"{label}: no section in {DOCUMENT}")
        elif not sec.rows and sec.status != "organisational":
            problems.append(f"{label}: neither a control nor an explicit organisational status")
        elif sec.status is None:
            problems.append(f"{label}: no **Status:** line (enforced or organisational)")
    for rule in rules:
        filed = article_of(rule.article)
        if filed is None:
            problems.append(
                f"rule {rule.id}: article {rule.article!r} is neither an article 1-22 / Annex 1 nor a law filed in "
                "pipeline/regulation.py LAW_FILING; file it there"
            )
        elif filed not in sections:
            problems.append(f"rule {rule.id}: names Art. {filed}, which {DOCUMENT} lacks")
        elif rule.id not in sections[filed].rule_ids:
            problems.append(
                f"rule {rule.id}: not listed under {filed} in {DOCUMENT}; run python -m pipeline.regulation --write"
            )
    for number, sec in sections.items():
        for rid in sec.rule_ids:
            if rid not in known:
                problems.append(f"{DOCUMENT}: {number}: rule {rid} does not exist in the registry (wxpub rules)")
            elif article_of(known[rid].article) != number:
                problems.append(f"{DOCUMENT}: rule {rid} is listed under {number} but names {known[rid].article}")
    if root is not None:
        cited = {
            t for sec in sections.values() for _, _, rest in sec.rows for t in re.findall(r"`(tests/[^`]+)`", rest)
        }
        for pattern in sorted(cited):
            if not glob.glob(str(root / pattern)):
                problems.append(f"{DOCUMENT}: cites {pattern}, which matches no test file")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m pipeline.regulation [--write] [--check]`: print, write or audit docs/regulation.md."""
    from .findings import all_rules
    from .repo import find_root

    p = argparse.ArgumentParser(prog="python -m pipeline.regulation", description=main.__doc__)
    p.add_argument("--write", action="store_true", help=f"write {DOCUMENT}")
    p.add_argument("--check", action="store_true", help=f"exit 1 when {DOCUMENT} disagrees with the rules")
    args = p.parse_args(argv)
    rules = all_rules()
    root = find_root()
    if args.check:
        problems = audit_document((root / DOCUMENT).read_text(encoding="utf-8"), rules, root)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    doc = to_markdown(by_article(rules))
    if args.write:
        (root / DOCUMENT).write_text(doc, encoding="utf-8")
        print(f"wrote {DOCUMENT}")
    else:
        print(doc, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
