"""The gate's plain data: a required tier, what each tier got, and the verdict on a pull request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from ..policy import Approvers, Policy

Membership = Callable[[str, str], bool] | Mapping[str, Iterable[str]]


class Approval(NamedTuple):
    """One decision shown for a tier: who, when, on which commit; `revoked` says why the approver is no
    longer one under the current policy (empty while they are)."""

    login: str
    at: dt.datetime | None
    commit: str | None
    revoked: str = ""


@dataclass(frozen=True)
class TierSpec:
    """A required tier: `key` is `unit_head:<unit>` or a role name."""

    key: str
    name: str
    approvers: Approvers
    count: int
    posts: tuple[str, ...] = ()
    after: frozenset[str] = frozenset()  # keys of the tiers before it in any chain it belongs to

    @property
    def role(self) -> str:
        return "unit_head" if self.key.startswith("unit_head:") else self.key


@dataclass
class TierResult:
    name: str
    required: int
    approved_by: list[Approval] = field(default_factory=list)
    missing: int = 0
    blocked_by: list[Approval] = field(default_factory=list)
    key: str = ""
    posts: list[str] = field(default_factory=list)
    satisfied_at: dt.datetime | None = None
    who: str = ""

    @property
    def ok(self) -> bool:
        return self.missing == 0 and not self.blocked_by

    def to_dict(self) -> dict[str, object]:
        def one(a: Approval) -> dict[str, object]:
            d: dict[str, object] = {"login": a.login, "at": a.at.isoformat() if a.at else None, "commit": a.commit}
            if a.revoked:
                d["revoked"] = a.revoked
            return d

        return {
            "name": self.name,
            "key": self.key,
            "who": self.who,
            "required": self.required,
            "approved_by": [one(a) for a in self.approved_by],
            "missing": self.missing,
            "blocked_by": [one(a) for a in self.blocked_by],
            "satisfied_at": self.satisfied_at.isoformat() if self.satisfied_at else None,
            "posts": self.posts,
            "ok": self.ok,
        }


@dataclass
class Verdict:
    """The gate's answer. `policy_commit` is the commit whose `policy/` judged the change (the base the
    pull request was reviewed against); `policy_source` says how it was chosen, for people."""

    ok: bool
    tiers: list[TierResult]
    reasons: list[str]
    notes: list[str] = field(default_factory=list)  # reviews that did not count, and why
    pr: int | None = None
    head_sha: str = ""
    warnings: list[str] = field(default_factory=list)  # what the approvers must confirm (unverifiable co-authors)
    policy_commit: str = ""
    policy_source: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "pr": self.pr,
            "head_sha": self.head_sha,
            "policy_commit": self.policy_commit,
            "tiers": [t.to_dict() for t in self.tiers],
            "reasons": self.reasons,
            "notes": self.notes,
            "warnings": self.warnings,
        }

    @property
    def revoked(self) -> list[tuple[str, Approval]]:
        """(tier name, approval) of every counted approver the current policy no longer names."""
        return [(t.name, a) for t in self.tiers for a in t.approved_by if a.revoked]


def short(sha: str | None) -> str:
    return (sha or "?")[:7]


def local_time(t: dt.datetime | None, policy: Policy) -> str:
    """A time as the bank reads it: `2026-11-20 10:00` in the policy's timezone."""
    return t.astimezone(policy.tz).strftime("%Y-%m-%d %H:%M") if t else "?"
