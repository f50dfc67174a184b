"""Tiered approval from pull-request reviews (Art. 7, 8, 10, 12, 15): which tiers a change needs, and
whether the forge's reviews satisfy them, judged by the policy the change was reviewed against.

A pure core over plain data, with git and the forge at the edge:

- `tiers`      which tiers a change needs (the post's unit, category, products, urgency; code changes)
- `identities` who counts as whom: authors, committers, co-authors, unidentified authors; editors' units
- `sequence`   evaluating the reviews against the tiers, in sequence (`evaluate`, pure)
- `basepolicy` the policy a change is judged by, read through git from its base commit
- `gate`       the gate on a pull request (`check_pull`, for `wxpub approvals`)
- `verify`     re-verification for the publisher (`verify_commit`)
- `model`, `rules`  the plain data and the findings

Required tiers. For each changed post: `approval.base` (head of the post's unit, compliance, e-banking,
in that order), then `by_category[category]`, then `by_product[p]` for each product declared or marketed
(`pipeline.checks.finance.products_offered`), then the `urgent` role when the post sets `urgent`. A change
to any of `approval.code_paths` needs `approval.code_change` too (Art. 9, 19). Chains of several posts
are merged keeping each chain's order, each tier once, with the largest count asked for. A change that
needs no tier at all gets the `code_change` tiers: the gate is never empty.

The policy. The gate reads `policy/` from the pull request's base commit (`base.sha`), the publisher from
the base of the merge (the merge commit's first parent): a change is never judged by a policy it brought,
nor by one changed after its approval; an approver removed after the merge is shown as revoked.

Failing closed. Every team a required tier names is read once before anything is counted, so a token
that cannot read team membership raises `ForgeError` (exit 2) whoever reviewed; a base commit missing
from the checkout is `ConfigError` (exit 2).
"""

from __future__ import annotations

from .basepolicy import merge_base_commit, policy_at, tree_of
from .gate import changed_post_folders, check_pull, checked_out, gate_policy, judging_policy
from .identities import Identities, authors, co_author_login, units_of
from .model import Approval, Membership, TierResult, TierSpec, Verdict, local_time
from .rules import (
    R_CHANGES,
    R_CO_AUTHOR,
    R_COMPLIANCE,
    R_CONTENT,
    R_EBANKING,
    R_FOREIGN_UNIT,
    R_NOT_COUNTED,
    R_ORDER,
    R_POST,
    R_REVOKED,
    R_TIER,
    R_UNKNOWN_AUTHOR,
)
from .sequence import evaluate, latest_decisions
from .tiers import (
    ROLE_LABELS,
    describe,
    is_code_path,
    merge_chains,
    post_chain,
    products_offered,
    required_tiers,
    tier_label,
)
from .verify import verify_commit

__all__ = [
    "ROLE_LABELS",
    "R_CHANGES",
    "R_COMPLIANCE",
    "R_CONTENT",
    "R_CO_AUTHOR",
    "R_EBANKING",
    "R_FOREIGN_UNIT",
    "R_NOT_COUNTED",
    "R_ORDER",
    "R_POST",
    "R_REVOKED",
    "R_TIER",
    "R_UNKNOWN_AUTHOR",
    "Approval",
    "Identities",
    "Membership",
    "TierResult",
    "TierSpec",
    "Verdict",
    "authors",
    "changed_post_folders",
    "check_pull",
    "checked_out",
    "co_author_login",
    "describe",
    "evaluate",
    "gate_policy",
    "is_code_path",
    "judging_policy",
    "latest_decisions",
    "local_time",
    "merge_base_commit",
    "merge_chains",
    "policy_at",
    "post_chain",
    "products_offered",
    "required_tiers",
    "tier_label",
    "tree_of",
    "units_of",
    "verify_commit",
]
