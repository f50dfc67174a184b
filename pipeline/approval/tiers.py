"""Which tiers a change needs: per post the policy's base chain, then its category's, its products' and
the urgent role; a change to the pipeline's own code adds the `code_change` chain; the chains are merged
keeping each one's order (see `pipeline.approval` for the rules in full).

The products are those the checker finds (`pipeline.checks.finance.products_offered`: declared in the
front matter or marketed in the text), so an editor cannot drop the leadership tier by leaving
`products: [wealth]` out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from ..i18n import _
from ..policy import Approvers, Policy, TierRef
from ..post import Post
from .model import TierSpec
from .rules import R_POST

ROLE_LABELS = {
    "compliance": "合规部",
    "ebanking": "电子银行部",
    "leadership": "行领导",
    "urgent": "紧急发布审批",
    "technology": "科技部",
}

Products = Mapping[str, Iterable[str]]  # post id -> the products the tiers are picked from


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


def repository_of(post: Post) -> Path:
    """The repository root a loaded post lives in (its folder less the parts of its relative path)."""
    depth = len(Path(post.path).parts)
    return post.index.parents[depth - 1] if depth else post.folder


def products_offered(posts: Sequence[Post], policy: Policy) -> dict[str, frozenset[str]]:
    """Per post id, the products declared or marketed (the checker's seam, called for every post)."""
    from ..check import CheckContext
    from ..checks.finance import products_offered as offered

    out: dict[str, frozenset[str]] = {}
    for post in posts:
        if post.meta is None:
            continue
        ctx = CheckContext(root=repository_of(post), policy=policy, now=dt.datetime.now(dt.UTC))
        out[post.id] = frozenset(offered(post, ctx))
    return out


def post_chain(policy: Policy, post: Post, products: Iterable[str] | None = None) -> tuple[list[TierRef], list[str]]:
    """The tiers one post needs, in order, and problems that stop it from being approved. `products`
    defaults to the declared ones (pass the detected ones: `products_offered`)."""
    meta = post.meta
    if meta is None:
        return [], [
            _(
                "[{rule}] {path}: the front matter does not validate; fix `wxpub check` errors first",
                rule=R_POST.id,
                path=post.path,
            )
        ]
    a = policy.approval
    chain: list[TierRef] = [*a.base, *a.by_category.get(meta.category, ())]
    wanted = list(meta.products) + sorted(set(products or ()) - set(meta.products))
    for product in wanted:
        chain += a.by_product.get(product, ())
    problems: list[str] = []
    if meta.urgent is not None:
        if "urgent" in policy.roles:
            chain.append(TierRef(tier="urgent"))
        else:
            problems.append(
                _(
                    "[{rule}] {path}: the post is urgent but the policy defines no 'urgent' role",
                    rule=R_POST.id,
                    path=post.path,
                )
            )
    return chain, problems


def _resolve(policy: Policy, ref: TierRef, post: Post | None) -> tuple[TierSpec | None, str]:
    if ref.tier == "unit_head":
        unit_name = post.meta.unit if post is not None and post.meta is not None else ""
        unit = policy.unit(unit_name)
        if unit is None:
            where = post.path if post is not None else _("the change")
            return None, _(
                "[{rule}] {where}: unit {unit!r} is not in the policy, so it has no head to approve",
                rule=R_POST.id,
                where=where,
                unit=unit_name,
            )
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
    policy: Policy, posts: Sequence[Post], changed_paths: Iterable[str], products: Products | None = None
) -> tuple[list[TierSpec], list[str]]:
    """The merged chain of tiers a change needs, and the problems that make it unapprovable. `products`
    (post id -> products) defaults to what the checker detects in each post (`products_offered`)."""
    if products is None:
        products = products_offered(posts, policy)
    chains: list[list[TierSpec]] = []
    problems: list[str] = []
    for post in posts:
        refs, probs = post_chain(policy, post, products.get(post.id))
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
