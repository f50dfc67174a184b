"""Credentials pasted into a post (Art. 17): tokens, keys and secrets have shapes of their own.

Found in the original text of the title, author, digest and body (`Scan.units`): not the normalised
shadow, because these shapes are case-sensitive, and not with URLs or code masked, because a token is
most often pasted inside one (`?access_token=...`, a config snippet). A finding never carries the
secret: its message and `match` show only the first four characters, so neither a CI log nor a SARIF
file repeats the value. A credential cannot be allowed by a documented exception (`exceptions.py`):
it must be removed, and revoked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..check import CheckContext, post_check
from ..findings import Finding, Severity
from ..i18n import N_, _
from ..post import Post
from .common import rule
from .text import Match, scan_of

SHOWN = 4  # characters of a secret a finding may show

R_CREDENTIAL = rule(
    "secret/credential",
    "credential",
    "17",
    Severity.ERROR,
    N_("a credential: an access token, API key, app secret or private key"),
    help=N_(
        "What: text shaped like a secret: GitHub tokens (ghp_, gho_, ghs_, ghu_, ghr_, github_pat_), "
        "`access_token=` values, an AppSecret / secret / 密钥 followed by 32 hex digits, PEM private keys, "
        "AWS access keys, JWTs. Why: Art. 17 forbids publishing confidential information; a published "
        "credential lets anyone act as the bank's account or systems, and WeChat articles cannot be unpublished "
        "from readers' caches."
    ),
    instead=N_(
        "Remove the value (write a placeholder such as <AppSecret>) and have the owner revoke and rotate it "
        "now: it is in the repository history already."
    ),
    quote="第十七条 各部门要严格遵守国家和行内有关保密规定，不得通过〔微信公众号〕发布涉密信息等。",
    example=N_("配置：WECHAT_SECRET=<AppSecret>"),
)

_L = r"(?<![A-Za-z0-9_])"  # a token starts at a word edge (CJK text around it is fine: ASCII classes only)
_R = r"(?![A-Za-z0-9_])"
# (what it is, pattern); group "secret" is the value whose first characters a finding may show.
SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (N_("a GitHub token"), re.compile(_L + r"(?P<secret>gh[pousr]_[A-Za-z0-9]{30,255})" + _R)),
    (N_("a GitHub fine-grained token"), re.compile(_L + r"(?P<secret>github_pat_[A-Za-z0-9_]{22,255})" + _R)),
    (N_("a private key"), re.compile(r"(?P<secret>-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)")),
    (
        N_("an AWS access key id"),
        re.compile(r"(?<![A-Z0-9])(?P<secret>(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|AIPA)[A-Z0-9]{16})(?![A-Z0-9])"),
    ),
    (
        N_("an AWS secret access key"),
        re.compile(r"(?i:aws_?secret_?(?:access_?)?key)\W{1,4}(?P<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"),
    ),
    (
        N_("a JSON Web Token"),
        re.compile(_L + r"(?P<secret>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})" + _R),
    ),
    (
        N_("an access token"),
        re.compile(
            r"(?i:access_token)[\"']?\s*[=:]\s*[\"']?"
            r"(?P<secret>(?=[A-Za-z0-9._~+/-]*[0-9])(?=[A-Za-z0-9._~+/-]*[a-z])[A-Za-z0-9._~+/-]{20,})"
        ),
    ),
    (
        N_("an app secret"),
        re.compile(
            r"(?i:app_?secret|secret|密钥|秘钥)[^0-9A-Za-z\n]{0,12}(?:[A-Za-z_]{0,12}[^0-9A-Za-z\n]{1,4})?"
            r"(?<![0-9A-Fa-f])(?P<secret>[0-9A-Fa-f]{32})(?![0-9A-Za-z])"
        ),
    ),
)


def redact(secret: str) -> str:
    """The first `SHOWN` characters and an ellipsis: enough to find it, not enough to use it."""
    return secret[:SHOWN] + "…"


def find_credentials(text: str) -> list[tuple[int, int, str]]:
    """(start, end, what) of each secret in `text`, in order; overlapping shapes report once."""
    found: list[tuple[int, int, str]] = []
    for what, pattern in SHAPES:
        for m in pattern.finditer(text):
            s, e = m.span("secret")
            if all(e <= a or s >= b for a, b, _ in found):
                found.append((s, e, what))
    return sorted(found)


# a cheap first look: most posts contain none of these, and skip the patterns above
_QUICK = re.compile(
    r"gh[pousr]_|github_pat_|private key|a[ks]ia|agpa|aida|aroa|anpa|aipa|eyj|secret|密钥|秘钥|access_token", re.I
)


# Every alternative of _QUICK holds one of these characters (and case-insensitive `a` or `e` matches only a, A,
# e or E), so a unit with none of them, as most Chinese text, skips the slower case-insensitive search.
_CUE = re.compile(r"[aAeE_ 密秘]")


@post_check
def credentials(post: Post, ctx: CheckContext) -> Iterable[Finding]:
    for unit in scan_of(post, ctx).units:
        if not _CUE.search(unit.text) or not _QUICK.search(unit.text):
            continue
        for start, end, what in find_credentials(unit.text):
            m = Match(unit, start, end)
            shown = redact(m.text)
            yield R_CREDENTIAL.finding(
                post.path,
                _("{what} ({shown}) must not be published; remove it and have it revoked", what=_(what), shown=shown),
                line=m.line,
                column=m.column,
                end_column=m.end_column,
                match=shown,
                hint=_("the value is in the repository history: rotating it is the only fix"),
            )
