"""What every forge gives the approval gate: a pull request, its reviews, commits and files, team membership.

The dataclasses are forge-neutral; `pull_from_json`, `review_from_json` and `commit_from_json` read
GitHub's JSON shapes (and Gitea's, which differ only in a few state names and fields), so the HTTP
clients and the offline reviews file share one parser. Review states are normalised to GitHub's
vocabulary: APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import ForgeError
from ..i18n import N_, _

APPROVED = "APPROVED"
CHANGES_REQUESTED = "CHANGES_REQUESTED"
COMMENTED = "COMMENTED"
DISMISSED = "DISMISSED"
PENDING = "PENDING"

# Gitea / Forgejo names -> GitHub names.
_STATE_ALIASES = {
    "REQUEST_CHANGES": CHANGES_REQUESTED,
    "COMMENT": COMMENTED,
    "REQUEST_REVIEW": PENDING,
}


@dataclass(frozen=True)
class PullRequest:
    number: int
    author: str
    created_at: dt.datetime | None
    head_sha: str
    merged: bool = False
    merge_commit_sha: str | None = None
    base_ref: str = ""
    title: str = ""
    base_sha: str = ""  # the base commit the forge compares the head with (`base.sha`)


@dataclass(frozen=True)
class Review:
    """One submitted review. `commit_id` is the commit it was given on (None if garbage-collected)."""

    id: int
    user: str
    state: str
    commit_id: str | None
    submitted_at: dt.datetime | None
    dismissed: bool = False


@dataclass(frozen=True)
class CoAuthor:
    """A `Co-authored-by: name <email>` trailer of a commit message (git leaves it unverified)."""

    name: str
    email: str = ""


@dataclass(frozen=True)
class Commit:
    """A commit of the pull request; logins are empty when the forge cannot map the e-mail to a user.

    `co_authors` come from the message's `Co-authored-by:` trailers; the names and e-mails are the git
    ones the forge reports (`commit.author.name`, `commit.author.email`), used to map a co-author, or an
    author the forge could not map (`author: null`), to a login."""

    sha: str
    author_login: str = ""
    committer_login: str = ""
    co_authors: tuple[CoAuthor, ...] = ()
    author_email: str = ""
    committer_email: str = ""
    author_name: str = ""
    committer_name: str = ""


_CO_AUTHORED = re.compile(r"^[ \t>]*co-authored-by[ \t]*:[ \t]*(.+?)[ \t]*$", re.I | re.M)
_NAME_EMAIL = re.compile(r"^(.*?)\s*<([^<>]*)>")


def co_authors_of(message: str) -> tuple[CoAuthor, ...]:
    """Every `Co-authored-by:` line of a commit message, wherever it stands (lenient on purpose: a line
    git would not count as a trailer still names someone who may have written the change), once each."""
    out: dict[tuple[str, str], CoAuthor] = {}
    for m in _CO_AUTHORED.finditer(message or ""):
        value = m.group(1)
        ne = _NAME_EMAIL.match(value)
        name, email = (ne.group(1).strip(), ne.group(2).strip()) if ne else (value.strip(), "")
        key = (name.casefold(), email.casefold())
        out.setdefault(key, CoAuthor(name, email))
    return tuple(out.values())


class Forge(Protocol):
    """The forge operations the approval gate needs. Implementations raise `ForgeError` on 4xx."""

    def pull(self, number: int) -> PullRequest: ...

    def reviews(self, number: int) -> list[Review]: ...

    def commits(self, number: int) -> list[Commit]: ...

    def files(self, number: int) -> list[str]: ...

    def is_member(self, team: str, user: str) -> bool:
        """True when `user` is an active member of `team` (`org/slug`). Raises `ForgeError` (fail closed)
        when the token cannot read the team, naming the missing permission."""
        ...

    def pulls_for_commit(self, sha: str) -> list[PullRequest]: ...


# -- JSON shapes -------------------------------------------------------------------------------


def parse_time(value: object) -> dt.datetime | None:
    """An ISO-8601 time from a forge (`2026-11-20T02:00:00Z`) as an aware datetime; None when absent."""
    if not value:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ForgeError(_("the forge sent a time wxpub cannot read: {value}", value=repr(value))) from None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _login(obj: object) -> str:
    if isinstance(obj, Mapping):
        return str(obj.get("login") or obj.get("username") or "")
    return str(obj or "")


def _need(d: Mapping[str, Any], key: str, what: str) -> Any:
    if key not in d or d[key] is None:
        raise ForgeError(_("the forge's {what} has no {key}", what=_(what), key=repr(key)))
    return d[key]


def normalise_state(state: object) -> str:
    s = str(state or "").upper()
    return _STATE_ALIASES.get(s, s)


def pull_from_json(d: Mapping[str, Any]) -> PullRequest:
    if not isinstance(d, Mapping):
        raise ForgeError(_("the forge's pull request is not a JSON object"))
    head = d.get("head") or {}
    base = d.get("base") or {}
    return PullRequest(
        number=int(_need(d, "number", N_("pull request"))),
        author=_login(d.get("user")),
        created_at=parse_time(d.get("created_at")),
        head_sha=str(head.get("sha") or ""),
        merged=bool(d.get("merged") or d.get("merged_at")),
        merge_commit_sha=d.get("merge_commit_sha") or None,
        base_ref=str(base.get("ref") or ""),
        title=str(d.get("title") or ""),
        base_sha=str(base.get("sha") or ""),
    )


def review_from_json(d: Mapping[str, Any]) -> Review:
    if not isinstance(d, Mapping):
        raise ForgeError(_("the forge's review is not a JSON object"))
    state = normalise_state(d.get("state"))
    return Review(
        id=int(d.get("id") or 0),
        user=_login(d.get("user")),
        state=state,
        commit_id=d.get("commit_id") or None,
        submitted_at=parse_time(d.get("submitted_at")),
        dismissed=bool(d.get("dismissed")) or state == DISMISSED,
    )


def commit_from_json(d: Mapping[str, Any]) -> Commit:
    if not isinstance(d, Mapping):
        raise ForgeError(_("the forge's commit is not a JSON object"))
    raw_inner = d.get("commit")
    inner: Mapping[str, Any] = raw_inner if isinstance(raw_inner, Mapping) else {}
    message = inner.get("message") or d.get("message") or ""

    def person(who: str, key: str) -> str:
        value = inner.get(who)
        return str(value.get(key) or "") if isinstance(value, Mapping) else ""

    return Commit(
        sha=str(_need(d, "sha", N_("commit"))),
        author_login=_login(d.get("author")),
        committer_login=_login(d.get("committer")),
        co_authors=co_authors_of(str(message)),
        author_email=person("author", "email"),
        committer_email=person("committer", "email"),
        author_name=person("author", "name"),
        committer_name=person("committer", "name"),
    )


def files_from_json(items: list[Any]) -> list[str]:
    """Changed paths, including the old name of a renamed file (a rename touches both places)."""
    out: dict[str, None] = {}
    for d in items:
        if not isinstance(d, Mapping):
            raise ForgeError(_("the forge's changed file is not a JSON object"))
        name = d.get("filename") or d.get("path")
        if name:
            out[str(name)] = None
        prev = d.get("previous_filename")
        if prev:
            out[str(prev)] = None
    return list(out)


def split_team(team: str, default_org: str = "") -> tuple[str, str]:
    """`org/slug` -> (org, slug); a bare name belongs to `default_org` (the repository's owner)."""
    if "/" in team:
        org, _sep, slug = team.partition("/")
        return org, slug
    if not default_org:
        raise ForgeError(
            _("team {team} names no organisation; write it as org/team in policy/policy.yml", team=repr(team))
        )
    return default_org, team
