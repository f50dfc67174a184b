"""Evaluating the reviews of a pull request against its tiers, in sequence (pure: plain data in, a `Verdict` out).

What counts. A reviewer's latest non-comment review (by `submitted_at`, then id) is their decision. An
approval counts for a tier only if it is not dismissed, is on the PR's current head commit, the reviewer
did not write the change (`identities.authors`), and the reviewer is a listed user of the tier or an
active member of one of its teams. A latest CHANGES_REQUESTED by anyone who could sign a tier blocks that
tier until that person approves. Nothing in the post's files counts.

One reviewer, one tier: the earliest tier in the chain that still needs them. Under `sequential: true` a
tier's approval counts only if submitted after every earlier tier (of a chain it belongs to) was
satisfied; a tier not satisfied stops the chain.

A post whose `unit` the pull request's author does not edit for (when the policy lists editors) needs the
head of that unit to approve first, before any other reviewer's standing approval (`approval/foreign-unit`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import WxpubError
from ..forge.base import APPROVED, CHANGES_REQUESTED, Commit, PullRequest, Review
from ..i18n import _
from ..policy import Approvers, Policy
from ..post import Post
from .identities import authors, editors_listed, edits_for, units_of
from .model import Approval, Membership, TierResult, TierSpec, Verdict, local_time, short
from .rules import (
    R_CHANGES,
    R_COMPLIANCE,
    R_EBANKING,
    R_FOREIGN_UNIT,
    R_NOT_COUNTED,
    R_ORDER,
    R_TIER,
)
from .tiers import Products, describe, required_tiers


def _membership(membership: Membership) -> Callable[[str, str], bool]:
    if callable(membership):
        return membership
    table = {k.lower(): {u.lower() for u in v} for k, v in membership.items()}
    return lambda team, user: user.lower() in table.get(team.lower(), set())


def _users(spec: TierSpec) -> set[str]:
    return {u.casefold() for u in spec.approvers.users}


def _when(r: Review) -> tuple[dt.datetime, int]:
    return (r.submitted_at or dt.datetime.min.replace(tzinfo=dt.UTC), r.id)


def latest_decisions(reviews: Iterable[Review]) -> dict[str, Review]:
    """Each reviewer's latest non-comment review (APPROVED, CHANGES_REQUESTED or dismissed), by login."""
    decisive = [
        r
        for r in reviews
        if r.user and r.submitted_at is not None and (r.state in (APPROVED, CHANGES_REQUESTED) or r.dismissed)
    ]
    decisive.sort(key=lambda r: (r.submitted_at, r.id))
    latest: dict[str, Review] = {}
    for r in decisive:
        latest[r.user.casefold()] = r
    return latest


class Eligibility:
    """Who may sign what: listed users, or active members of listed teams (each look-up made once)."""

    def __init__(self, membership: Membership) -> None:
        self.member_of = _membership(membership)
        self.cache: dict[tuple[str, str], bool] = {}

    def is_member(self, team: str, login: str) -> bool:
        key = (team.lower(), login.casefold())
        if key not in self.cache:
            self.cache[key] = bool(self.member_of(team, login))
        return self.cache[key]

    def of(self, approvers: Approvers, login: str) -> bool:
        if login.casefold() in {u.casefold() for u in approvers.users}:
            return True
        return any(self.is_member(team, login) for team in approvers.teams)

    def __call__(self, spec: TierSpec, login: str) -> bool:
        return self.of(spec.approvers, login)

    def probe(self, teams: Iterable[str], who: str) -> None:
        """Read every team once, whoever reviewed, so a token that cannot read teams fails closed always."""
        for team in dict.fromkeys(teams):
            self.is_member(team, who)


def void_approvals(latest: dict[str, Review], excluded: dict[str, str], head: str, policy: Policy) -> dict[str, str]:
    """Why each reviewer's latest decision cannot count, whatever the tier (login -> why)."""
    void: dict[str, str] = {}
    for user, r in latest.items():
        if r.dismissed:
            void[user] = _(
                "{user}'s review of {time} was dismissed", user=r.user, time=local_time(r.submitted_at, policy)
            )
        elif r.state != APPROVED:
            continue
        elif user in excluded:
            void[user] = _(
                "{user} approved but {why}: an author cannot approve their own change", user=r.user, why=excluded[user]
            )
        elif r.commit_id != head:
            void[user] = _(
                "{user} approved commit {commit}, not the head {head}: approve the latest commit",
                user=r.user,
                commit=short(r.commit_id),
                head=short(head),
            )
    return void


@dataclass
class _Run:
    """The state of one evaluation as it walks the tiers in order."""

    specs: list[TierSpec]
    policy: Policy
    eligible: Eligibility
    latest: dict[str, Review]
    void: dict[str, str]
    reasons: list[str] = field(default_factory=list)
    done: dict[str, TierResult] = field(default_factory=dict)
    assigned: dict[str, str] = field(default_factory=dict)
    eligible_any: set[str] = field(default_factory=set)

    @property
    def approvals(self) -> list[Review]:
        return sorted((r for u, r in self.latest.items() if r.state == APPROVED and u not in self.void), key=_when)

    def tier(self, idx: int, approvals: Sequence[Review]) -> TierResult:
        spec = self.specs[idx]
        policy = self.policy
        sequential = policy.approval.sequential
        order = [s.key for s in self.specs]
        res = TierResult(
            name=spec.name, required=spec.count, key=spec.key, posts=list(spec.posts), who=describe(spec.approvers)
        )
        for user, r in self.latest.items():
            if r.state == CHANGES_REQUESTED and user not in self.void and self.eligible(spec, r.user):
                self.eligible_any.add(user)
                res.blocked_by.append(Approval(r.user, r.submitted_at, r.commit_id))
        # Under sequential tiers: the tiers before this one in its chains, and when the last of them was met.
        before = [self.done.get(k) for k in sorted(spec.after, key=order.index)] if sequential else []
        earlier_open = [r.name if r else "?" for r in before if r is None or not r.ok]
        met = [r.satisfied_at for r in before if r is not None and r.satisfied_at is not None]
        earlier_time = max(met) if met else None
        queue = [r for r in approvals if r.user.casefold() not in self.assigned]
        if not sequential:  # keep reviewers listed for later tiers for those tiers (cheap: no look-ups)
            later = self.specs[idx + 1 :]
            queue.sort(key=lambda r: (sum(r.user.casefold() in _users(s) for s in later), *_when(r)))
        chosen: list[Review] = []
        for r in queue if not earlier_open else []:
            # Team look-ups happen lazily, in time order, only until the tier has what it needs.
            if len(chosen) >= spec.count:
                break
            if not self.eligible(spec, r.user):
                continue
            self.eligible_any.add(r.user.casefold())
            if earlier_time is not None and r.submitted_at <= earlier_time:  # type: ignore[operator]
                self.reasons.append(
                    _(
                        "[{rule}] {tier}: {user} approved at {time}, before the earlier tiers were satisfied at "
                        "{earlier}; approve again",
                        rule=R_ORDER.id,
                        tier=spec.name,
                        user=r.user,
                        time=local_time(r.submitted_at, policy),
                        earlier=local_time(earlier_time, policy),
                    )
                )
                continue
            chosen.append(r)
        for r in chosen:
            self.assigned[r.user.casefold()] = spec.name
            res.approved_by.append(Approval(r.user, r.submitted_at, r.commit_id))
        res.missing = max(0, spec.count - len(chosen))
        if res.ok:
            res.satisfied_at = max(a.at for a in res.approved_by if a.at is not None)
        self.done[spec.key] = res
        for b in res.blocked_by:
            self.reasons.append(
                _(
                    "[{rule}] {tier}: {user} requested changes at {time}; {user} must approve before this tier counts",
                    rule=R_CHANGES.id,
                    tier=spec.name,
                    user=b.login,
                    time=local_time(b.at, policy),
                )
            )
        if res.missing:
            rule = {"compliance": R_COMPLIANCE, "ebanking": R_EBANKING}.get(spec.key, R_TIER)
            if earlier_open:
                self.reasons.append(
                    _(
                        "[{rule}] {tier}: {n} more approval(s) needed from {who} (after: {earlier})",
                        rule=rule.id,
                        tier=spec.name,
                        n=res.missing,
                        who=res.who,
                        earlier=", ".join(earlier_open),
                    )
                )
            else:
                self.reasons.append(
                    _(
                        "[{rule}] {tier}: {n} more approval(s) needed from {who}",
                        rule=rule.id,
                        tier=spec.name,
                        n=res.missing,
                        who=res.who,
                    )
                )
        return res

    def notes(self) -> list[str]:
        """Why each approval that counted for no tier did not count."""
        notes: dict[str, None] = {}
        for user, r in self.latest.items():
            if user in self.void:
                notes[f"[{R_NOT_COUNTED.id}] {self.void[user]}"] = None
                continue
            if r.state != APPROVED or user in self.assigned:
                continue
            try:  # for the note only: an approval that did not count, is it from an approver at all?
                approver = user in self.eligible_any or any(self.eligible(s, r.user) for s in self.specs)
            except WxpubError:
                approver = None
            if approver is False:
                notes[
                    _(
                        "[{rule}] {user} approved but is not an approver of any required tier",
                        rule=R_NOT_COUNTED.id,
                        user=r.user,
                    )
                ] = None
            else:
                notes[
                    _(
                        "[{rule}] {user}'s approval counted for no tier (one tier per reviewer; under sequential "
                        "tiers only after the earlier tiers; or the tier already had enough)",
                        rule=R_NOT_COUNTED.id,
                        user=r.user,
                    )
                ] = None
        return list(notes)


def foreign_units(policy: Policy, posts: Sequence[Post], pr: PullRequest, run: _Run) -> list[str]:
    """`approval/foreign-unit` for each post whose unit its author does not edit for, unless a head of
    that unit approved (validly, on the head) before every other valid approval: the head signs first."""
    if not editors_listed(policy):
        return []
    reasons: list[str] = []
    mine: list[str] | None = None
    for post in posts:
        if post.meta is None or policy.unit(post.meta.unit) is None:
            continue
        unit = policy.unit(post.meta.unit)
        assert unit is not None
        if edits_for(policy, unit.name, pr.author, run.eligible.is_member):
            continue
        heads = [r for r in run.approvals if run.eligible.of(unit.heads, r.user)]
        first = heads[0].submitted_at if heads else None
        others = [r.submitted_at for r in run.approvals if not run.eligible.of(unit.heads, r.user)]
        if first is not None and all(first < t for t in others if t is not None):
            continue
        if mine is None:
            mine = units_of(policy, pr.author, run.eligible.is_member)
        reasons.append(
            _(
                "[{rule}] {path}: submitted for a unit you do not belong to: {author} edits for {units}, not "
                "{unit}; the head of {unit} ({heads}) must approve first",
                rule=R_FOREIGN_UNIT.id,
                path=post.path,
                author=pr.author or "?",
                units=", ".join(mine) or _("no unit"),
                unit=unit.name,
                heads=describe(unit.heads),
            )
        )
    return reasons


def evaluate(
    policy: Policy,
    posts: Sequence[Post],
    changed_paths: Iterable[str],
    pr: PullRequest,
    reviews: Iterable[Review],
    commits: Iterable[Commit],
    membership: Membership,
    products: Products | None = None,
) -> Verdict:
    """Whether the pull request's reviews satisfy every tier its change needs (see the module docstring).

    `membership(team, user) -> bool` (e.g. `forge.is_member`; it may raise `ForgeError` to fail closed)
    or a mapping of team to logins. Every team the required tiers name is read once up front, so a token
    that cannot read teams fails closed (`ForgeError`) whoever reviewed; after that, membership is looked
    up lazily. `products` (post id -> products) picks the product tiers; by default the checker's
    detection (`tiers.products_offered`).
    """
    changed_paths = list(changed_paths)
    specs, problems = required_tiers(policy, posts, changed_paths, products)
    eligible = Eligibility(membership)
    eligible.probe((t for s in specs for t in s.approvers.teams), pr.author or "ghost")

    reasons = list(problems)
    head = pr.head_sha
    if not head:
        reasons.append(
            _("[{rule}] pull request #{n} has no head commit; nothing can be approved", rule=R_TIER.id, n=pr.number)
        )
    latest = latest_decisions(reviews)
    excluded, warnings = authors(pr, list(commits), policy, reviewers=latest)
    claims_notes = []
    for post in posts:
        claims = [k for k in post.raw if "approv" in k.lower() or "review" in k.lower() or "sign" in k.lower()]
        if claims:
            claims_notes.append(
                _(
                    "[{rule}] {path}: front matter {keys} ignored: only reviews count",
                    rule=R_NOT_COUNTED.id,
                    path=post.path,
                    keys=", ".join(claims),
                )
            )

    run = _Run(specs, policy, eligible, latest, void_approvals(latest, excluded, head, policy), reasons)
    approvals = run.approvals
    results = [run.tier(idx, approvals) for idx in range(len(specs))]
    foreign = foreign_units(policy, posts, pr, run)
    reasons += foreign
    notes = list(dict.fromkeys([*claims_notes, *run.notes()]))
    ok = bool(head) and not problems and not foreign and bool(results) and all(t.ok for t in results)
    return Verdict(ok=ok, tiers=results, reasons=reasons, notes=notes, pr=pr.number, head_sha=head, warnings=warnings)
