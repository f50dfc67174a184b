"""Who counts as whom: the people who wrote a change, so cannot approve it, and the units an editor belongs to.

Authors. The pull request's author, every commit's author and committer, and every co-author named in a
`Co-authored-by: name <email>` trailer are excluded from approving. Git does not verify names or e-mails,
and the forge maps a commit to an account only when it knows the e-mail (`author: null` otherwise), so
the gate maps what it can itself, in this order: a GitHub noreply address (`ID+login@users.noreply.github.com`,
`login@users.noreply.github.com`) or a Gitea one (`login@noreply.host`); an e-mail listed for a login under
the policy's `identities`; an e-mail the forge mapped to a login on another commit of the pull request; a
name listed under `identities`; a name equal to an approver's or reviewer's login. A person it cannot map
does not block the change (a co-author with a corporate address is common) but is a warning
(`approval/unverified-co-author`, `approval/unidentified-author`), printed by the gate and listed on the
approval form, so the approvers confirm they are not that person.

Editors. `units[].editors` lists who submits for a unit (logins; teams where the token may read them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..forge.base import CoAuthor, Commit, PullRequest
from ..i18n import _
from ..policy import Policy
from .model import short
from .rules import R_CO_AUTHOR, R_UNKNOWN_AUTHOR

_GITHUB_NOREPLY = re.compile(r"^(?:\d+\+)?([a-z\d](?:[a-z\d-]*[a-z\d])?)@users\.noreply\.github\.com$", re.I)
_GITEA_NOREPLY = re.compile(r"^([^@\s]+)@noreply\.[^@\s]+$", re.I)
# GitHub commits made in its web interface: committer "GitHub <noreply@github.com>", login web-flow.
_FORGE_ITSELF = {"noreply@github.com"}


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def noreply_login(email: str) -> str:
    m = _GITHUB_NOREPLY.match(email.strip()) or _GITEA_NOREPLY.match(email.strip())
    return m.group(1) if m else ""


@dataclass
class Identities:
    """What the gate knows of how logins appear in git: e-mail -> login and name -> login (casefolded)."""

    emails: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def known(cls, policy: Policy, commits: Iterable[Commit], logins: Iterable[str] = ()) -> Identities:
        """From the policy's `identities`, the commits the forge mapped, and `logins` (approvers and
        reviewers), whose login is also a name they may commit under."""
        ids = cls()
        for login, ident in policy.identities.items():
            for email in ident.emails:
                ids.emails.setdefault(_key(email), login)
            for name in ident.names:
                ids.names.setdefault(_key(name), login)
            ids.names.setdefault(_key(login), login)
        for c in commits:
            for login, email in ((c.author_login, c.author_email), (c.committer_login, c.committer_email)):
                if login and email:
                    ids.emails.setdefault(_key(email), login)
        for login in logins:
            ids.names.setdefault(_key(login), login)
        return ids

    def login_for(self, name: str, email: str) -> str:
        """The login a git name and e-mail stand for, or "" when nothing known matches."""
        if email:
            by_mail = noreply_login(email) or self.emails.get(_key(email), "")
            if by_mail:
                return by_mail
        return self.names.get(_key(name), "") if name else ""


def approver_logins(policy: Policy) -> set[str]:
    """Every login the policy names as a unit head or in a role (teams are not listed: they are looked up)."""
    out = {u for unit in policy.units for u in unit.heads.users}
    out |= {u for approvers in policy.roles.values() for u in approvers.users}
    return out


def co_author_login(co: CoAuthor, known_emails: Mapping[str, str]) -> str:
    """The forge login a co-author trailer's e-mail names (noreply address, or a known e-mail), or ""."""
    if not co.email:
        return ""
    return noreply_login(co.email) or known_emails.get(_key(co.email), "")


def authors(
    pr: PullRequest, commits: Sequence[Commit], policy: Policy, *, reviewers: Iterable[str]
) -> tuple[dict[str, str], list[str]]:
    """Who wrote the change: (casefolded login -> why they cannot approve, warnings for people who could
    not be identified). See the module docstring for the matching."""
    excluded: dict[str, str] = {}
    for c in commits:
        for login in (c.author_login, c.committer_login):
            if login:
                excluded.setdefault(
                    login.casefold(), _("authored or committed {sha} in this pull request", sha=short(c.sha))
                )
    if pr.author:
        excluded[pr.author.casefold()] = _("opened the pull request")
    reviewer_logins = list(reviewers)
    ids = Identities.known(policy, commits, [*approver_logins(policy), *reviewer_logins])
    warnings: dict[str, None] = {}
    for c in commits:
        for role, login, name, email in (
            ("author", c.author_login, c.author_name, c.author_email),
            ("committer", c.committer_login, c.committer_name, c.committer_email),
        ):
            if login or (not name and not email) or _key(email) in _FORGE_ITSELF:
                continue
            who = f"{name} <{email}>" if email else name
            matched = ids.login_for(name, email)
            if matched:
                excluded.setdefault(
                    matched.casefold(),
                    _(
                        "is the {role} {who} of {sha} (no forge account; matched by name or e-mail)",
                        role=role,
                        who=who,
                        sha=short(c.sha),
                    ),
                )
            else:
                warnings[
                    _(
                        "[{rule}] commit {sha} has {role} {who}, whom no forge account matches: approvers must "
                        "confirm they are not this person",
                        rule=R_UNKNOWN_AUTHOR.id,
                        sha=short(c.sha),
                        role=role,
                        who=who,
                    )
                ] = None
        for co in c.co_authors:
            who = f"{co.name} <{co.email}>" if co.email else co.name
            why = _("is named as co-author of {sha} (Co-authored-by: {who})", sha=short(c.sha), who=who)
            login = co_author_login(co, ids.emails)
            if login:
                excluded.setdefault(login.casefold(), why)
            by_name = ids.names.get(_key(co.name), "") if co.name else ""
            if by_name:
                excluded.setdefault(by_name.casefold(), why)
            elif not login:
                warnings[
                    _(
                        "[{rule}] commit {sha} names co-author {who}, whose forge login cannot be determined: "
                        "approvers must confirm they are not this co-author",
                        rule=R_CO_AUTHOR.id,
                        sha=short(c.sha),
                        who=who,
                    )
                ] = None
    return excluded, list(warnings)


# -- editors and their units --------------------------------------------------------------------


def editors_listed(policy: Policy) -> bool:
    """Whether the policy binds editors to units at all (any unit lists editors)."""
    return any(u.editors.users or u.editors.teams for u in policy.units)


def edits_for(policy: Policy, unit_name: str, login: str, member_of: Callable[[str, str], bool]) -> bool:
    """Whether `login` is an editor of unit `unit_name` (a listed user, or an active member of a listed team;
    a team the token cannot read raises `ForgeError`: the gate fails closed)."""
    unit = policy.unit(unit_name)
    if unit is None or not login:
        return False
    if login.casefold() in {u.casefold() for u in unit.editors.users}:
        return True
    return any(member_of(team, login) for team in unit.editors.teams)


def units_of(policy: Policy, login: str, member_of: Callable[[str, str], bool]) -> list[str]:
    """The units `login` edits for, in the policy's order."""
    return [u.name for u in policy.units if edits_for(policy, u.name, login, member_of)]
