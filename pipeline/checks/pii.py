"""Personal data (PIPL) and confidentiality markers (Art. 17).

Numbers are found in the personal-data view (NFKC: full-width digits count) and validated, so a
random long number is not reported: resident IDs need a real date and the ISO 7064 MOD 11-2 check
character (15-digit IDs a real date); card numbers need the Luhn digit or a context word such as 卡号;
masked forms (`6222 **** **** 1234`, `尾号1234`, `138****5678`) never match. The bank's own hotlines
(`bank.hotlines`) are allowed. Digit boundaries use explicit look-arounds, never `\\b` (CJK
characters are word characters to Python).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from ..check import CheckContext, post_check
from ..findings import Finding, Severity
from ..i18n import N_, _
from ..post import Post
from . import lexicon
from .common import at, rule, where
from .text import View, scan_of

LEX_SECRET = lexicon.use("secret-markers", "Art. 17: confidentiality markers (内部资料, 机密, 秘密, 绝密)")

PIPL28 = (
    "《个人信息保护法》第二十八条 敏感个人信息是一旦泄露或者非法使用，容易导致自然人的人格尊严受到侵害或者人身、"
    "财产安全受到危害的个人信息，包括生物识别、宗教信仰、特定身份、医疗健康、金融账户、行踪轨迹等信息……"
)
R_ID = rule(
    "pii/resident-id",
    "resident-id-number",
    "PIPL 28",
    Severity.ERROR,
    N_("a resident identity card number (valid date and check character)"),
    help=N_(
        "What: an 18-digit (or old 15-digit) resident ID number whose date and check character are valid. "
        "Why: identity numbers are sensitive personal information (PIPL Art. 28; AdLaw Art. 9(6)); a post must "
        "never publish one, not even a winner's."
    ),
    instead=N_("Mask it: 3701**********1234, or leave it out (获奖客户：张**，尾号1234)."),
    quote=PIPL28,
)
R_CARD = rule(
    "pii/bank-card",
    "bank-card-number",
    "PIPL 28",
    Severity.ERROR,
    N_("a bank card number (UnionPay 62…, Luhn-valid or next to 卡号/账号)"),
    help=N_(
        "What: a 16-19 digit card number, plain or grouped by spaces or hyphens. Why: financial accounts are "
        "sensitive personal information (PIPL Art. 28)."
    ),
    instead=N_("Mask it: 6222 **** **** 1234, or write 尾号1234."),
    quote=PIPL28,
)
R_MOBILE = rule(
    "pii/mobile",
    "mobile-number",
    "PIPL 13",
    Severity.ERROR,
    N_("a mobile phone number"),
    help=N_(
        "What: a mainland mobile number (optionally +86). Why: a person's phone number is personal information "
        "and needs their consent to publish (PIPL Art. 13); customers should call the bank's hotline."
    ),
    instead=N_("Give the bank's hotline (bank.hotlines, e.g. 96588) or mask it: 138****5678."),
    quote="《个人信息保护法》第十三条 符合下列情形之一的，个人信息处理者方可处理个人信息：（一）取得个人的同意；……",
)
R_LANDLINE = rule(
    "pii/landline",
    "landline-number",
    "PIPL 13",
    Severity.REVIEW,
    N_("a landline number that is not one of the bank's hotlines"),
    help=N_(
        "What: a fixed-line number such as 0531-12345678. Why: a branch's public number is fine but a "
        "person's is personal information; numbers in bank.hotlines pass, others need a look."
    ),
    instead=N_("Use a hotline listed in policy bank.hotlines, or add the branch's public number there."),
    quote="《个人信息保护法》第十三条 符合下列情形之一的，个人信息处理者方可处理个人信息：（一）取得个人的同意；……",
)
R_SECRET = rule(
    "secret/marker",
    "confidentiality-marker",
    "17",
    Severity.ERROR,
    N_("a confidentiality marker (内部资料, 机密, 秘密, 绝密 ...)"),
    help=N_(
        "What: words that mark material as classified or internal. Why: Art. 17 forbids publishing classified "
        "information; a marker means the text was copied from an internal document."
    ),
    instead=N_("Publish only material cleared for the public; remove the internal passage and its marker."),
    quote="第十七条 各部门要严格遵守国家和行内有关保密规定，不得通过〔微信公众号〕发布涉密信息等。",
)

_EDGE_L = r"(?<![0-9a-z])"
_EDGE_R = r"(?![0-9a-z])"
_ID18 = re.compile(_EDGE_L + r"(\d{6})[ -]?(\d{8})[ -]?(\d{3}[0-9x])" + _EDGE_R)
_ID15 = re.compile(_EDGE_L + r"([1-8]\d{5})(\d{6})(\d{3})" + _EDGE_R)
_CARD = re.compile(_EDGE_L + r"\d(?:[ -]?\d){15,18}" + _EDGE_R)
_MOBILE = re.compile(_EDGE_L + r"(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _EDGE_R)
_LANDLINE = re.compile(_EDGE_L + r"(?:\(0\d{2,3}\) ?|0\d{2,3}[ -])\d{7,8}(?:-\d{1,4})?" + _EDGE_R)
_SEVEN_DIGITS = re.compile(r"\d(?:[ -]?\d){6}")
_CARD_CONTEXT = re.compile(r"卡号|银行卡|借记卡|信用卡|账号|帐号|账户|帐户|收款|卡")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10x98765432"


def id_check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits, lower case x for 10."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def valid_date(yyyymmdd: str, today: dt.date) -> bool:
    try:
        d = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= d <= today


def valid_id18(digits: str, today: dt.date) -> bool:
    digits = digits.lower()
    return len(digits) == 18 and valid_date(digits[6:14], today) and id_check_char(digits[:17]) == digits[17]


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _grouped_ok(raw: str) -> bool:
    """Plain digits, or one separator kind with groups of four (the last group may be shorter)."""
    seps = {c for c in raw if not c.isdigit()}
    if not seps:
        return True
    if len(seps) > 1:
        return False
    groups = re.split(r"[ -]", raw)
    return all(len(g) == 4 for g in groups[:-1]) and 1 <= len(groups[-1]) <= 4


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _hotline_digits(ctx: CheckContext) -> set[str]:
    key = "checks.hotlines"
    cached = ctx.cache.get(key)
    if not isinstance(cached, set):
        cached = {_digits(h) for h in ctx.policy.bank.hotlines}
        ctx.cache[key] = cached
    return cached


def _find_numbers(post: Post, view: View, today: dt.date, hotlines: set[str]) -> Iterable[Finding]:
    text = view.text
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    for m in _ID18.finditer(text):
        if valid_id18(m.group(1) + m.group(2) + m.group(3), today):
            taken.append(m.span())
            yield at(R_ID, post, view.match(*m.span()), _("a resident ID number (valid date and check character)"))
    for m in _ID15.finditer(text):
        if free(*m.span()) and valid_date("19" + m.group(2), today):
            taken.append(m.span())
            yield at(R_ID, post, view.match(*m.span()), _("a 15-digit resident ID number (valid date)"))
    for m in _CARD.finditer(text):
        raw = m.group()
        digits = _digits(raw)
        if not (16 <= len(digits) <= 19) or not free(*m.span()) or not _grouped_ok(raw):
            continue
        context = bool(_CARD_CONTEXT.search(text, max(0, m.start() - 12), m.start()))
        ok_luhn = luhn(digits)
        if (digits.startswith("62") and (ok_luhn or context)) or (ok_luhn and context):
            taken.append(m.span())
            why = _("Luhn-valid") if ok_luhn else _("next to a card word")
            yield at(
                R_CARD,
                post,
                view.match(*m.span()),
                _("a bank card number ({why}); mask it as 尾号{last4}", why=why, last4=digits[-4:]),
            )
    for m in _MOBILE.finditer(text):
        digits = _digits(m.group())[-11:]
        if not free(*m.span()) or digits in hotlines:
            continue
        taken.append(m.span())
        yield at(R_MOBILE, post, view.match(*m.span()), _("a mobile phone number (personal information)"))
    for m in _LANDLINE.finditer(text):
        if not free(*m.span()) or _digits(m.group()) in hotlines:
            continue
        yield at(R_LANDLINE, post, view.match(*m.span()), _("a landline number that is not one of the bank's hotlines"))


@post_check
def personal_data(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    today = ctx.now.date()
    hotlines = _hotline_digits(ctx)
    for view in scan_of(post, ctx).views("data"):
        if not _SEVEN_DIGITS.search(view.text):
            continue
        yield from _find_numbers(post, view, today, hotlines)


@post_check
def secret_markers(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    for h in lexicon.hits(post, ctx).get(LEX_SECRET, ()):
        place = where(h.match.unit.name)
        yield at(
            R_SECRET,
            post,
            h.match,
            _("“{text}” marks confidential material (in the {place})", text=h.match.text, place=place)
            if place
            else _("“{text}” marks confidential material", text=h.match.text),
            hint=_("term {term} from {source}", term=repr(h.term.raw), source=h.term.source),
        )
