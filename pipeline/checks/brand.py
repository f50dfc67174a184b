"""Brand (Art. 4, 5): the bank's name in its official forms; only approved accounts are promoted.

Names come from the policy (`bank.official_names`, `bank.short_names`, `bank.wrong_names`,
`bank.reserved_words`, `account.approved_accounts`), so nothing here is the bank's literal name.
A wrong form inside an official one (XX农商银 inside XX农商银行) is not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..check import CheckContext, post_check
from ..findings import Finding, Severity
from ..i18n import N_, _
from ..post import Post
from .common import at, rule
from .copyright import images_of
from .text import normalise, scan_of

R_NAME = rule(
    "brand/wrong-name",
    "bank-name",
    "4",
    Severity.ERROR,
    N_("the bank's name is not written in one of its official forms"),
    help=N_(
        "What: a form of the bank's name listed in policy bank.wrong_names. Why: Art. 4 requires the account's "
        "name and image to follow the bank's brand rules; Art. 5 protects the name."
    ),
    instead=N_("Write one of policy bank.official_names, e.g. XX农商银行 or XX农村商业银行."),
    quote="第四条 〔微信公众号〕整体形象应遵循我行品牌整体形象规划，符合企业传播规范。"
    "形象识别包括头像、名称、服务页面UI设计……",
)
R_ACCOUNT = rule(
    "brand/unapproved-account",
    "unapproved-account",
    "5",
    Severity.ERROR,
    N_("the post promotes a WeChat account or QR code that is not among the bank's approved accounts"),
    help=N_(
        "What: 关注“…”公众号, 微信号：…, or a QR code image, naming an account not in policy "
        "account.approved_accounts. Why: Art. 5 forbids accounts in the bank's name without HQ approval; an account "
        "that claims the bank's name is an error, another organisation's account goes to review."
    ),
    instead=N_(
        "Promote only approved accounts (关注“XX农商银行”公众号), and give a QR code image an alt text naming it: "
        "![XX农商银行公众号二维码](qr.png)."
    ),
    quote="第五条 ……员工个人不得以XX农商银行名义申请〔微信公众号〕，即员工申请的账号不得含有但不限于“XX农商银行”、"
    "“XX农商行”“PYNSYH”等字样。",
)

_OPEN = "“\"「『《‘'"
_CLOSE = "”\"」』》’'"
_FOLLOW = re.compile(
    rf"关注[{_OPEN}]?([^{_CLOSE}\s，。,、！!：:；;（）()]{{2,30}}?)[{_CLOSE}]?(?:官方)?(?:微信)?(?:公众号|服务号|订阅号|视频号)"
)
_ID = re.compile(rf"(?:微信号|公众号|服务号|订阅号|微信搜索|搜索)\s*[：:]?\s*[{_OPEN}]?([a-z][a-z0-9_-]{{4,29}})")
_QR = re.compile(r"二维码|qr|扫码|扫一扫")
GENERIC = {"我行", "本行", "我们", "官方", "我行官方", "本行官方", "我们的", "我行的", "本行的", "上方", "下方", "以下"}


def _names(ctx: CheckContext) -> tuple[list[str], list[str], set[str], list[str]]:
    key = "checks.brand"
    cached = ctx.cache.get(key)
    if cached is None:
        bank = ctx.policy.bank
        official = [normalise(n) for n in (*bank.official_names, *bank.short_names)]
        wrong = [normalise(n) for n in bank.wrong_names]
        approved = set()
        for a in ctx.policy.account.approved_accounts:
            approved.add(normalise(a.name))
            if a.wechat_id:
                approved.add(normalise(a.wechat_id))
        reserved = [normalise(w) for w in bank.reserved_words]
        cached = (official, wrong, approved, reserved)
        ctx.cache[key] = cached
    return cached  # type: ignore[return-value]


def _spans(text: str, needle: str) -> Iterable[tuple[int, int]]:
    i = text.find(needle)
    while i >= 0 and needle:
        yield i, i + len(needle)
        i = text.find(needle, i + 1)


@post_check
def bank_name(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    official, wrong, _approved, _reserved = _names(ctx)
    if not wrong:
        return
    for view in scan_of(post, ctx).views("lexicon"):
        text = view.text
        if not any(name in text for name in wrong):
            continue
        cover = [s for name in official for s in _spans(text, name)]
        for name in wrong:
            for s, e in _spans(text, name):
                if any(a <= s and e <= b for a, b in cover):
                    continue
                m = view.match(s, e)
                yield at(R_NAME, post, m, _("“{text}” is not an official form of the bank's name", text=m.text))


@post_check
def promoted_accounts(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    _official, _wrong, approved, reserved = _names(ctx)
    for view in scan_of(post, ctx).views("data"):
        text = view.text
        if "关注" not in text and "号" not in text and "搜索" not in text:
            continue
        seen: set[int] = set()
        for pat in (_FOLLOW, _ID):
            for m in pat.finditer(text):
                name = m.group(1).strip()
                if m.start(1) in seen or name in GENERIC or normalise(name) in approved:
                    continue
                seen.add(m.start(1))
                claims = any(w and w in normalise(name) for w in reserved)
                yield at(
                    R_ACCOUNT,
                    post,
                    view.match(m.start(1), m.end(1)),
                    _("“{name}” is not an approved account but uses the bank's name (Art. 5)", name=name)
                    if claims
                    else _("“{name}” is not an approved account (another organisation's account?)", name=name),
                    severity=None if claims else Severity.REVIEW,
                    hint=_(
                        "approved: {accounts}", accounts=", ".join(a.name for a in ctx.policy.account.approved_accounts)
                    ),
                )
    # QR-code images must say which approved account they lead to
    for ref, offset in images_of(post, ctx):
        start = post.body.rfind("![", 0, offset)
        alt = post.body[start + 2 : offset].split("](")[0] if start >= 0 else ""
        label = normalise(alt + " " + ref)
        if not _QR.search(label):
            continue
        if any(a in label for a in approved):
            continue
        before = post.body[:offset]
        line = post.body_line + before.count("\n")
        col = offset - (before.rfind("\n") + 1) + 1
        yield R_ACCOUNT.finding(
            post.path,
            _("QR code image {ref}: its alt text does not name an approved account", ref=repr(ref)),
            line=line,
            column=col,
            match=ref,
            severity=Severity.REVIEW,
            hint=_("write the account in the alt text, e.g. ![XX农商银行公众号二维码]({ref})", ref=ref),
        )
