"""Tiered approval from pull-request reviews (Art. 7, 8, 12, 15): which tiers a change needs, and
whether the forge's reviews satisfy them.

Pure: `evaluate(policy, posts, changed_paths, pr, reviews, commits, membership)` takes plain data and
returns a `Verdict`; the forge, git and the clock live in the callers (`verify_commit` is the one
function here that reads git and a forge, for the publisher's re-verification).

Required tiers. For each changed post: `approval.base` (head of the post's unit, compliance, e-banking,
in that order), then `by_category[category]`, then `by_product[p]` for each product, then the `urgent`
role when the post sets `urgent`. A change to any of `approval.code_paths` needs `approval.code_change`
too (Art. 9, 19). Chains of several posts are merged keeping each chain's order (a tier new to the
merged chain goes before the next tier of its own chain that is already there), each tier once, with
the largest count asked for. A change that needs no tier at all (neither posts nor code) gets the
`code_change` tiers: the gate is never empty.

What counts. A reviewer's latest non-comment review (by `submitted_at`, then id) is their decision.
An approval counts for a tier only if it is not dismissed, is on the PR's current head commit, the
reviewer is neither the PR's author nor an author/committer of any of its commits nor a co-author named in
a commit's `Co-authored-by:` trailer, and the reviewer is a listed user of the tier or an active member of
one of its teams. A latest CHANGES_REQUESTED by anyone
who could sign a tier blocks that tier until that person approves. Nothing in the post's files counts.

One reviewer, one tier. Across the whole pull request a reviewer's approval counts for one tier only:
the earliest tier in the chain that still needs it (a compliance officer who heads the submitting unit
signs as unit head; compliance needs another officer). Under `sequential: true` a tier's approval
counts only if submitted after every earlier tier was satisfied (the time of the earlier tier's last
needed approval), so each signer signs what the previous one approved; a tier not satisfied stops the
chain. "Earlier" means earlier in a chain the tier belongs to: the unit heads of two posts in one pull
request are not ordered against each other.

Co-authors. Git does not verify `Co-authored-by: name <email>` trailers, and the forges return them only
inside the message, so the gate maps each to a login itself: a GitHub noreply address
(`ID+login@users.noreply.github.com`, `login@users.noreply.github.com`), a Gitea one (`login@noreply.host`),
an e-mail the forge already mapped to a login as one of the pull request's commit authors/committers, and
the trailer's name itself when it equals a reviewer's login. Whoever it maps to cannot approve. A trailer
that maps to nobody (say `Zhang San <zhangsan@bank.example>`) is not a failure (a co-author with a
corporate address must not block a post) but a warning in `Verdict.warnings` (`approval/unverified-co-author`),
printed by the gate and listed on the approval form, so the approvers confirm they are not that person.

Failing closed. Every team a required tier names is read once before anything is counted, so a token
that cannot read team membership raises `ForgeError` (exit 2) whoever reviewed. `check_pull` judges a
pull request that changes `policy/` by the base branch's policy (`gate_policy`), and refuses a checkout
that is neither the reviewed head nor its merge with the base. `verify_commit` re-checks at publish
time that the published folder is byte-identical (same git tree) to the approved head's.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import GitError, WxpubError
from .findings import Rule, Severity, register
from .forge.base import APPROVED, CHANGES_REQUESTED, CoAuthor, Commit, PullRequest, Review
from .policy import Approvers, Policy, TierRef
from .post import Post

if TYPE_CHECKING:
    from .forge.base import Forge

Membership = Callable[[str, str], bool] | Mapping[str, Iterable[str]]

ROLE_LABELS = {
    "compliance": "合规部",
    "ebanking": "电子银行部",
    "leadership": "行领导",
    "urgent": "紧急发布审批",
    "technology": "科技部",
}

QUOTE_15 = "第十五条 …实行分级审核、统一发布…填写《信息发布审批表》（附件1）…提前一周报送电子银行部。"


def _rule(id_: str, name: str, article: str, summary: str, help_: str, instead: str, **kw: Any) -> Rule:
    return register(
        Rule(
            id=id_,
            name=name,
            article=article,
            severity=kw.pop("severity", Severity.ERROR),
            summary=summary,
            help=help_,
            instead=instead,
            **kw,
        )
    )


R_TIER = _rule(
    "approval/tier-missing",
    "tier-missing",
    "15",
    "a required approval tier lacks approvals on the pull request's head",
    "Art. 15 asks for tiered approval: the head of the submitting unit, compliance, e-banking and any tier "
    "the policy adds for the post's category, products or urgency must each approve the pull request.",
    "Ask the tier's approvers to review the pull request on its latest commit.",
    quote=QUOTE_15,
)
R_COMPLIANCE = _rule(
    "approval/compliance-missing",
    "compliance-missing",
    "8",
    "no compliance approval on the pull request's head",
    "Art. 8: the compliance department reviews every piece of information before publication.",
    "Ask a compliance approver (policy roles.compliance) to approve the latest commit.",
    quote="第八条 合规部负责对发布的信息进行合规审查。",
)
R_EBANKING = _rule(
    "approval/ebanking-missing",
    "ebanking-missing",
    "12",
    "no e-banking approval on the pull request's head",
    "Art. 7, 12: the e-banking department manages the account and is the single outlet; it approves last.",
    "Ask an e-banking approver (policy roles.ebanking) to approve the latest commit.",
    quote="第十二条 电子银行部为信息发布的唯一出口。",
)
R_CHANGES = _rule(
    "approval/changes-requested",
    "changes-requested",
    "15",
    "an approver of a required tier requested changes",
    "A request for changes by anyone who could sign a tier blocks that tier until the same person approves.",
    "Address the requested changes, push, and ask that reviewer to approve.",
)
R_ORDER = _rule(
    "approval/out-of-order",
    "out-of-order",
    "15",
    "an approval was given before the earlier tiers were satisfied",
    "With sequential tiers each signer signs what the previous tiers already approved (Art. 15's tiered review).",
    "Ask the reviewer to approve again now that the earlier tiers have approved.",
)
R_NOT_COUNTED = _rule(
    "approval/not-counted",
    "not-counted",
    "15",
    "an approval that does not count: self-approval, co-committer, stale, dismissed or not an approver",
    "Only an independent approver's latest, undismissed approval of the current head commit counts.",
    "Ask an approver who did not write the change to approve the latest commit.",
    severity=Severity.INFO,
)
R_CO_AUTHOR = _rule(
    "approval/unverified-co-author",
    "unverified-co-author",
    "15",
    "a commit names a co-author (Co-authored-by) whose forge login cannot be determined",
    "A co-author cannot approve their own change, like an author. A `Co-authored-by:` trailer whose e-mail is "
    "no forge noreply address and no commit author's known e-mail, and whose name is no reviewer's login, "
    "cannot be matched to a reviewer: the gate warns, and the form lists it, so the approvers can confirm "
    "they are not that person.",
    "Write co-authors with their forge noreply address (Co-authored-by: name <ID+login@users.noreply.github.com>), "
    "or make sure no approver is that co-author.",
    severity=Severity.REVIEW,
    quote=QUOTE_15,
)
R_CONTENT = _rule(
    "approval/content-changed",
    "content-changed",
    "12",
    "the content to publish is not the content that was approved",
    "Art. 12, 18: only content approved through a merged pull request may reach WeChat; the post folder at "
    "the publishing commit must equal the folder at the approved pull request's head.",
    "Open a pull request for the change and have it approved before it is published.",
)
R_POST = _rule(
    "approval/post-unreadable",
    "post-unreadable",
    "15",
    "a changed post cannot be read, so its tiers are unknown",
    "The tiers depend on the post's unit, category, products and urgency; a post whose front matter does not "
    "validate, or whose unit is not in the policy, cannot be approved.",
    "Fix the errors `wxpub check` reports for the post.",
)


# -- data --------------------------------------------------------------------------------------


class Approval(NamedTuple):
    """One decision shown for a tier: who, when, on which commit."""

    login: str
    at: dt.datetime | None
    commit: str | None


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
            return {"login": a.login, "at": a.at.isoformat() if a.at else None, "commit": a.commit}

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
    ok: bool
    tiers: list[TierResult]
    reasons: list[str]
    notes: list[str] = field(default_factory=list)  # reviews that did not count, and why
    pr: int | None = None
    head_sha: str = ""
    warnings: list[str] = field(default_factory=list)  # what the approvers must confirm (unverifiable co-authors)

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "pr": self.pr,
            "head_sha": self.head_sha,
            "tiers": [t.to_dict() for t in self.tiers],
            "reasons": self.reasons,
            "notes": self.notes,
            "warnings": self.warnings,
        }


# -- which tiers -------------------------------------------------------------------------------


def tier_label(policy: Policy, key: str) -> str:
    """A person's name for a tier: `个人金融部负责人`, `合规部 (compliance)`."""
    if key.startswith("unit_head:"):
        return f"{key.split(':', 1)[1]}负责人"
    label = ROLE_LABELS.get(key)
    return f"{label} ({key})" if label else key


def describe(approvers: Approvers) -> str:
    parts = [*approvers.users, *(f"team {t}" for t in approvers.teams)]
    return ", ".join(parts)


def is_code_path(path: str, code_paths: Sequence[str]) -> bool:
    return any(path == cp.rstrip("/") or (cp.endswith("/") and path.startswith(cp)) for cp in code_paths)


def post_chain(policy: Policy, post: Post) -> tuple[list[TierRef], list[str]]:
    """The tiers one post needs, in order, and problems that stop it from being approved."""
    meta = post.meta
    if meta is None:
        return [], [f"[{R_POST.id}] {post.path}: the front matter does not validate; fix `wxpub check` errors first"]
    a = policy.approval
    chain: list[TierRef] = [*a.base, *a.by_category.get(meta.category, ())]
    for product in meta.products:
        chain += a.by_product.get(product, ())
    problems: list[str] = []
    if meta.urgent is not None:
        if "urgent" in policy.roles:
            chain.append(TierRef(tier="urgent"))
        else:
            problems.append(f"[{R_POST.id}] {post.path}: the post is urgent but the policy defines no 'urgent' role")
    return chain, problems


def _resolve(policy: Policy, ref: TierRef, post: Post | None) -> tuple[TierSpec | None, str]:
    if ref.tier == "unit_head":
        unit_name = post.meta.unit if post is not None and post.meta is not None else ""
        unit = policy.unit(unit_name)
        if unit is None:
            where = post.path if post is not None else "the change"
            return None, f"[{R_POST.id}] {where}: unit {unit_name!r} is not in the policy, so it has no head to approve"
        key = f"unit_head:{unit.name}"
        return TierSpec(key, tier_label(policy, key), unit.heads, ref.count), ""
    return TierSpec(ref.tier, tier_label(policy, ref.tier), policy.roles[ref.tier], ref.count), ""


def merge_chains(chains: Iterable[Sequence[TierSpec]]) -> list[TierSpec]:
    """Merge ordered chains: each tier once (largest count, posts joined, `after` = every tier before it
    in any of its chains), keeping every chain's order where the chains agree; a new tier goes before
    the next tier of its chain already merged."""
    merged: list[TierSpec] = []
    for chain in chains:
        for i, spec in enumerate(chain):
            before = frozenset(s.key for s in chain[:i]) - {spec.key}
            at = next((j for j, m in enumerate(merged) if m.key == spec.key), None)
            if at is not None:
                old = merged[at]
                posts = tuple(dict.fromkeys([*old.posts, *spec.posts]))
                merged[at] = replace(old, count=max(old.count, spec.count), posts=posts, after=old.after | before)
                continue
            later = {s.key for s in chain[i + 1 :]}
            pos = next((j for j, m in enumerate(merged) if m.key in later), len(merged))
            merged.insert(pos, replace(spec, after=spec.after | before))
    return merged


def _dedupe(chain: list[TierSpec]) -> list[TierSpec]:
    """One entry per tier in a chain (a category and a product may add the same tier): first place, largest count."""
    out: dict[str, TierSpec] = {}
    for spec in chain:
        old = out.get(spec.key)
        out[spec.key] = spec if old is None else replace(old, count=max(old.count, spec.count))
    return list(out.values())


def required_tiers(
    policy: Policy, posts: Sequence[Post], changed_paths: Iterable[str]
) -> tuple[list[TierSpec], list[str]]:
    """The merged chain of tiers a change needs, and the problems that make it unapprovable."""
    chains: list[list[TierSpec]] = []
    problems: list[str] = []
    for post in posts:
        refs, probs = post_chain(policy, post)
        problems += probs
        chain = []
        for ref in refs:
            spec, problem = _resolve(policy, ref, post)
            if spec is None:
                problems.append(problem)
                continue
            chain.append(replace(spec, posts=(post.id,)))
        chains.append(_dedupe(chain))
    code = [p for p in changed_paths if is_code_path(p, policy.approval.code_paths)]
    if code or (not any(chains) and not problems):
        chain = []
        for ref in policy.approval.code_change:
            spec, problem = _resolve(policy, ref, None)
            if spec is None:
                problems.append(problem)
                continue
            chain.append(spec)
        chains.append(chain)
    return merge_chains(chains), problems


# -- evaluation --------------------------------------------------------------------------------


def _membership(membership: Membership) -> Callable[[str, str], bool]:
    if callable(membership):
        return membership
    table = {k.lower(): {u.lower() for u in v} for k, v in membership.items()}
    return lambda team, user: user.lower() in table.get(team.lower(), set())


def _users(spec: TierSpec) -> set[str]:
    return {u.casefold() for u in spec.approvers.users}


def _when(r: Review) -> tuple[dt.datetime, int]:
    return (r.submitted_at or dt.datetime.min.replace(tzinfo=dt.UTC), r.id)


def _short(sha: str | None) -> str:
    return (sha or "?")[:7]


def local_time(t: dt.datetime | None, policy: Policy) -> str:
    """A time as the bank reads it: `2026-11-20 10:00` in the policy's timezone."""
    return t.astimezone(policy.tz).strftime("%Y-%m-%d %H:%M") if t else "?"


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


def evaluate(
    policy: Policy,
    posts: Sequence[Post],
    changed_paths: Iterable[str],
    pr: PullRequest,
    reviews: Iterable[Review],
    commits: Iterable[Commit],
    membership: Membership,
) -> Verdict:
    """Whether the pull request's reviews satisfy every tier its change needs (see the module docstring).

    `membership(team, user) -> bool` (e.g. `forge.is_member`; it may raise `ForgeError` to fail closed)
    or a mapping of team to logins. Every team the required tiers name is read once up front, so a token
    that cannot read teams fails closed (`ForgeError`) whoever reviewed; after that, membership is looked
    up lazily: for a request for changes, and for approvals in time order only until a tier has what it
    needs.
    """
    changed_paths = list(changed_paths)
    specs, problems = required_tiers(policy, posts, changed_paths)
    member_of = _membership(membership)
    cache: dict[tuple[str, str], bool] = {}

    def eligible(spec: TierSpec, login: str) -> bool:
        if login.casefold() in {u.casefold() for u in spec.approvers.users}:
            return True
        for team in spec.approvers.teams:
            key = (team.lower(), login.casefold())
            if key not in cache:
                cache[key] = bool(member_of(team, login))
            if cache[key]:
                return True
        return False

    # Fail closed, whoever reviewed: every team a required tier names must be readable with this token,
    # so the outcome never depends on whether a team member happened to review (one look-up per team).
    probe = pr.author or "ghost"
    for team in dict.fromkeys(t for s in specs for t in s.approvers.teams):
        cache[(team.lower(), probe.casefold())] = bool(member_of(team, probe))

    reasons = list(problems)
    notes: dict[str, None] = {}
    head = pr.head_sha
    if not head:
        reasons.append(f"[{R_TIER.id}] pull request #{pr.number} has no head commit; nothing can be approved")

    excluded: dict[str, str] = {}
    commits = list(commits)
    for c in commits:
        for login in (c.author_login, c.committer_login):
            if login:
                excluded.setdefault(login.casefold(), f"authored or committed {_short(c.sha)} in this pull request")
    if pr.author:
        excluded[pr.author.casefold()] = "opened the pull request"

    latest = latest_decisions(reviews)
    warnings = co_author_exclusions(commits, excluded, reviewers=latest)
    for post in posts:
        claims = [k for k in post.raw if "approv" in k.lower() or "review" in k.lower() or "sign" in k.lower()]
        if claims:
            notes[f"[{R_NOT_COUNTED.id}] {post.path}: front matter {', '.join(claims)} ignored: only reviews count"] = (
                None
            )

    # Why each approval may not count, independent of the tier.
    void: dict[str, str] = {}
    for user, r in latest.items():
        if r.dismissed:
            void[user] = f"{r.user}'s review of {local_time(r.submitted_at, policy)} was dismissed"
        elif r.state != APPROVED:
            continue
        elif user in excluded:
            void[user] = f"{r.user} approved but {excluded[user]}: an author cannot approve their own change"
        elif r.commit_id != head:
            void[user] = (
                f"{r.user} approved commit {_short(r.commit_id)}, not the head {_short(head)}: "
                "approve the latest commit"
            )

    results: list[TierResult] = []
    done: dict[str, TierResult] = {}
    assigned: dict[str, str] = {}
    eligible_any: set[str] = set()
    sequential = policy.approval.sequential
    order = [s.key for s in specs]
    approvals = sorted((r for u, r in latest.items() if r.state == APPROVED and u not in void), key=_when)
    for idx, spec in enumerate(specs):
        res = TierResult(
            name=spec.name, required=spec.count, key=spec.key, posts=list(spec.posts), who=describe(spec.approvers)
        )
        for user, r in latest.items():
            if r.state == CHANGES_REQUESTED and user not in void and eligible(spec, r.user):
                eligible_any.add(user)
                res.blocked_by.append(Approval(r.user, r.submitted_at, r.commit_id))
        # Under sequential tiers: the tiers before this one in its chains, and when the last of them was met.
        before = [done.get(k) for k in sorted(spec.after, key=order.index)] if sequential else []
        earlier_open = [r.name if r else "?" for r in before if r is None or not r.ok]
        met = [r.satisfied_at for r in before if r is not None and r.satisfied_at is not None]
        earlier_time = max(met) if met else None
        queue = [r for r in approvals if r.user.casefold() not in assigned]
        if not sequential:  # keep reviewers listed for later tiers for those tiers (cheap: no look-ups)
            later = specs[idx + 1 :]
            queue.sort(key=lambda r: (sum(r.user.casefold() in _users(s) for s in later), *_when(r)))
        chosen: list[Review] = []
        for r in queue if not earlier_open else []:
            # Team look-ups happen lazily, in time order, only until the tier has what it needs.
            if len(chosen) >= spec.count:
                break
            if not eligible(spec, r.user):
                continue
            eligible_any.add(r.user.casefold())
            if earlier_time is not None and r.submitted_at <= earlier_time:  # type: ignore[operator]
                reasons.append(
                    f"[{R_ORDER.id}] {spec.name}: {r.user} approved at {local_time(r.submitted_at, policy)}, "
                    f"before the earlier tiers were satisfied at {local_time(earlier_time, policy)}; approve again"
                )
                continue
            chosen.append(r)
        for r in chosen:
            assigned[r.user.casefold()] = spec.name
            res.approved_by.append(Approval(r.user, r.submitted_at, r.commit_id))
        res.missing = max(0, spec.count - len(chosen))
        if res.ok:
            res.satisfied_at = max(a.at for a in res.approved_by if a.at is not None)
        done[spec.key] = res
        for b in res.blocked_by:
            reasons.append(
                f"[{R_CHANGES.id}] {spec.name}: {b.login} requested changes at {local_time(b.at, policy)}; "
                f"{b.login} must approve before this tier counts"
            )
        if res.missing:
            rule = {"compliance": R_COMPLIANCE, "ebanking": R_EBANKING}.get(spec.key, R_TIER)
            wait = f" (after: {', '.join(earlier_open)})" if earlier_open else ""
            reasons.append(f"[{rule.id}] {spec.name}: {res.missing} more approval(s) needed from {res.who}{wait}")
        results.append(res)

    for user, r in latest.items():
        if user in void:
            notes[f"[{R_NOT_COUNTED.id}] {void[user]}"] = None
            continue
        if r.state != APPROVED or user in assigned:
            continue
        try:  # for the note only: an approval that did not count, is it from an approver at all?
            approver = user in eligible_any or any(eligible(s, r.user) for s in specs)
        except WxpubError:
            approver = None
        if approver is False:
            notes[f"[{R_NOT_COUNTED.id}] {r.user} approved but is not an approver of any required tier"] = None
        else:
            notes[
                f"[{R_NOT_COUNTED.id}] {r.user}'s approval counted for no tier (one tier per reviewer; under "
                "sequential tiers only after the earlier tiers; or the tier already had enough)"
            ] = None

    ok = bool(head) and not problems and bool(results) and all(t.ok for t in results)
    return Verdict(
        ok=ok, tiers=results, reasons=reasons, notes=list(notes), pr=pr.number, head_sha=head, warnings=warnings
    )


_GITHUB_NOREPLY = re.compile(r"^(?:\d+\+)?([a-z\d](?:[a-z\d-]*[a-z\d])?)@users\.noreply\.github\.com$", re.I)
_GITEA_NOREPLY = re.compile(r"^([^@\s]+)@noreply\.[^@\s]+$", re.I)


def co_author_login(co: CoAuthor, known_emails: Mapping[str, str]) -> str:
    """The forge login a co-author trailer's e-mail names, or "" (see the module docstring)."""
    email = co.email.strip()
    m = _GITHUB_NOREPLY.match(email) or _GITEA_NOREPLY.match(email)
    if m:
        return m.group(1)
    return known_emails.get(email.casefold(), "")


def co_author_exclusions(commits: Sequence[Commit], excluded: dict[str, str], *, reviewers: Iterable[str]) -> list[str]:
    """Add every co-author of `commits` that maps to a login to `excluded` (login -> why); return a warning
    for each that maps to nobody among the logins and `reviewers`."""
    known: dict[str, str] = {}
    for c in commits:
        for login, email in ((c.author_login, c.author_email), (c.committer_login, c.committer_email)):
            if login and email:
                known.setdefault(email.strip().casefold(), login)
    reviewer_logins = {r.casefold() for r in reviewers}
    warnings: dict[str, None] = {}
    for c in commits:
        for co in c.co_authors:
            who = f"{co.name} <{co.email}>" if co.email else co.name
            why = f"is named as co-author of {_short(c.sha)} (Co-authored-by: {who})"
            login = co_author_login(co, known)
            if login:
                excluded.setdefault(login.casefold(), why)
            if co.name and co.name.casefold() in reviewer_logins:
                excluded.setdefault(co.name.casefold(), why)
            elif not login:
                warnings[
                    f"[{R_CO_AUTHOR.id}] commit {_short(c.sha)} names co-author {who}, whose forge login cannot be "
                    "determined: approvers must confirm they are not this co-author "
                    "（合著者身份无法核实，审批人须确认本人不是该合著者）"
                ] = None
    return list(warnings)


# -- re-verification at publish time -----------------------------------------------------------


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def tree_of(root: Path, commit: str, rel: str) -> str | None:
    """The git tree hash of folder `rel` at `commit`, or None when the commit or folder is not there."""
    out = _git(root, "rev-parse", "--verify", "--quiet", f"{commit}:{rel}")
    return out.stdout.strip() or None if out.returncode == 0 else None


def _have_commit(root: Path, sha: str) -> bool:
    return _git(root, "cat-file", "-e", f"{sha}^{{commit}}").returncode == 0


def verify_commit(forge: Forge, policy: Policy, root: Path, commit_sha: str, post: Post) -> Verdict:
    """Whether the post as it stands at `commit_sha` came through a merged pull request approved on
    exactly that content.

    Finds the last commit at or before `commit_sha` that changed the post's folder, the merged pull
    request(s) containing it (`/commits/{sha}/pulls`), evaluates each one's reviews, and compares the
    post folder's git tree at the approved head with the tree at `commit_sha`. The approved head must be
    in the local repository; for squash merges it is fetched from `refs/pull/N/head` when `origin` exists.
    """
    try:
        rel = post.folder.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise GitError(f"{post.folder} is not inside the repository {root}") from None
    out = _git(root, "log", "-1", "--format=%H", commit_sha, "--", rel)
    if out.returncode != 0:
        raise GitError(f"git cannot read the history of {rel} at {commit_sha}: {out.stderr.strip()}")
    last = out.stdout.strip()
    if not last:
        return Verdict(False, [], [f"[{R_CONTENT.id}] {rel}: no commit at {_short(commit_sha)} added this post"])
    published_tree = tree_of(root, commit_sha, rel)
    prs = [p for p in forge.pulls_for_commit(last) if p.merged]
    if not prs:
        return Verdict(
            False,
            [],
            [f"[{R_CONTENT.id}] {rel}: commit {_short(last)} that last changed it came through no merged pull request"],
        )
    best: Verdict | None = None
    for listed in prs:
        pr = forge.pull(listed.number)
        verdict = evaluate(
            policy,
            [post],
            forge.files(pr.number),
            pr,
            forge.reviews(pr.number),
            forge.commits(pr.number),
            forge.is_member,
        )
        if not _have_commit(root, pr.head_sha):
            _git(root, "fetch", "--quiet", "--no-tags", "origin", f"+refs/pull/{pr.number}/head")
        approved_tree = tree_of(root, pr.head_sha, rel)
        if approved_tree is None:
            verdict.ok = False
            verdict.reasons.append(
                f"[{R_CONTENT.id}] {rel}: the approved head {_short(pr.head_sha)} of #{pr.number} is not in the "
                f"repository or lacks the post; fetch it (git fetch origin pull/{pr.number}/head)"
            )
        elif approved_tree != published_tree:
            verdict.ok = False
            verdict.reasons.append(
                f"[{R_CONTENT.id}] {rel}: the content at {_short(commit_sha)} differs from the content approved "
                f"in #{pr.number} at {_short(pr.head_sha)}"
            )
        if verdict.ok:
            return verdict
        best = best or verdict
    assert best is not None
    return best


# -- a pull request, from the forge and the working tree ---------------------------------------


def changed_post_folders(root: Path, paths: Iterable[str]) -> list[Path]:
    """The post folders (posts/<yyyy>/<mm-dd-slug>) the changed paths touch that exist in the working tree."""
    folders: dict[Path, None] = {}
    for name in paths:
        parts = Path(name).parts
        if len(parts) >= 4 and parts[0] == "posts":
            folder = root.joinpath(*parts[:3])
            if (folder / "index.md").is_file():
                folders[folder] = None
    return sorted(folders)


def gate_policy(
    root: Path, policy: Policy, pr: PullRequest, paths: Iterable[str], ref: str | None = None
) -> tuple[Policy, str]:
    """The policy a pull request is judged by, and where it came from.

    A pull request must not lower its own bar: when it changes `policy/` (or `ref` is given), the policy
    is read from the base branch (`ref`, else `origin/<base>`, else `<base>`) through git. When the base
    is not in the checkout, this fails closed with `ConfigError`. Otherwise the working tree's policy is
    the base's.
    """
    from .policy import POLICY_FILE, parse_policy

    if ref is None and not any(p.startswith("policy/") for p in paths):
        return policy, "the working tree"
    candidates = [ref] if ref else [f"origin/{pr.base_ref}", pr.base_ref] if pr.base_ref else []
    for cand in candidates:
        out = _git(root, "show", f"{cand}:{POLICY_FILE}")
        if out.returncode == 0:
            return parse_policy(out.stdout, source=f"{cand}:{POLICY_FILE}"), cand
    from .errors import ConfigError

    raise ConfigError(
        f"pull request #{pr.number} changes policy/, so it must be judged by the base branch's policy, "
        f"but {' or '.join(candidates) or 'no base branch'} is not in this checkout",
        hint=f"fetch it first: git fetch origin {pr.base_ref or 'main'} (or actions/checkout with fetch-depth: 0)",
    )


def checked_out(root: Path) -> tuple[str, ...] | None:
    """The commit checked out and, for a merge commit (GitHub's refs/pull/N/merge), its second parent;
    None when `root` is not a git repository."""
    out = _git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    if out.returncode != 0 or not out.stdout.strip():
        return None
    second = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^2")
    return (out.stdout.strip(), *([second.stdout.strip()] if second.returncode == 0 else []))


def check_pull(
    forge: Forge, policy: Policy, root: Path, number: int, *, policy_ref: str | None = None
) -> tuple[Verdict, PullRequest, list[Post]]:
    """Evaluate pull request `number`: its changed files from the forge, its posts from the working
    tree (the PR head checkout), its reviews, commits and the team memberships from the forge; by the
    base branch's policy when the pull request changes the policy (`gate_policy`)."""
    from .post import load_post

    pr = forge.pull(number)
    paths = forge.files(number)
    policy, source = gate_policy(root, policy, pr, paths, policy_ref)
    posts = [load_post(folder, root, policy)[0] for folder in changed_post_folders(root, paths)]
    verdict = evaluate(policy, posts, paths, pr, forge.reviews(number), forge.commits(number), forge.is_member)
    checkout = checked_out(root)
    if checkout is not None and pr.head_sha and pr.head_sha not in checkout:
        verdict.ok = False
        verdict.reasons.append(
            f"[{R_CONTENT.id}] the checkout ({_short(checkout[0])}) is neither the head {_short(pr.head_sha)} of "
            f"#{pr.number} nor its merge with the base: the posts read are not the ones reviewed; run on the head"
        )
    if source != "the working tree":
        verdict.notes.insert(0, f"tiers and approvers read from the policy on {source}, not from this pull request")
    return verdict, pr, posts
