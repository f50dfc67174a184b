"""The bank's policy (`policy/policy.yml`), loaded into typed objects and validated on load.

Nothing the bank may change (units, approvers, tiers, lead times, quotas, lexicons, brand names)
is a literal in code: it is here. `load_policy(root)` raises `PolicyError` listing every problem as
`policy/policy.yml:LINE: key.path: what is wrong`. Unknown keys are errors, so a typo cannot drop a
rule silently. New features add a section model below and a field on `Policy` with a default, so
older policy files keep loading.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from . import yamlsafe
from .errors import PolicyError

POLICY_FILE = "policy/policy.yml"
CATEGORIES = ("product", "campaign", "notice", "service", "knowledge", "other")
PRODUCTS = ("deposit", "wealth", "fund", "insurance", "loan", "card", "payment", "other")
ROLE_NAMES = ("compliance", "ebanking", "leadership", "urgent", "technology")
# Validation context key: leave the cross-section checks to `parse_policy`, which knows their lines.
DEFER_CROSS_CHECKS = "defer_cross_checks"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Approvers(Model):
    """Who counts: forge user logins and/or teams (`org/team-slug` on GitHub, a team name on Gitea)."""

    users: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _not_empty(self) -> Approvers:
        if not self.users and not self.teams:
            raise ValueError("name at least one user or team")
        return self


class Account(Model):
    name: str
    wechat_id: str = ""


class Bank(Model):
    official_names: tuple[str, ...] = Field(min_length=1)
    short_names: tuple[str, ...] = ()
    wrong_names: tuple[str, ...] = ()
    reserved_words: tuple[str, ...] = ()
    hotlines: tuple[str, ...] = ()


class AccountPolicy(Model):
    kind: Literal["service", "subscription"] = "service"
    approved_accounts: tuple[Account, ...] = ()


class Unit(Model):
    name: str
    kind: Literal["department", "branch"]
    heads: Approvers


class TierRef(Model):
    """A tier in an approval chain: `unit_head` or a role name, and how many approvals it needs."""

    tier: str
    count: int = Field(default=1, ge=1, le=10)


class ApprovalPolicy(Model):
    sequential: bool = True
    base: tuple[TierRef, ...] = (
        TierRef(tier="unit_head"),
        TierRef(tier="compliance"),
        TierRef(tier="ebanking"),
    )
    by_category: dict[str, tuple[TierRef, ...]] = {}
    by_product: dict[str, tuple[TierRef, ...]] = {}
    code_paths: tuple[str, ...] = ("policy/", "pipeline/", ".github/", ".gitea/", ".forgejo/", ".ci/", "scripts/")
    code_change: tuple[TierRef, ...] = (TierRef(tier="technology"), TierRef(tier="ebanking"))
    trust_branch_protection: bool = False

    @field_validator("by_category")
    @classmethod
    def _categories(cls, v: dict[str, tuple[TierRef, ...]]) -> dict[str, tuple[TierRef, ...]]:
        for key in v:
            if key not in CATEGORIES:
                raise ValueError(f"unknown category {key!r}; expected one of {', '.join(CATEGORIES)}")
        return v

    @field_validator("by_product")
    @classmethod
    def _products(cls, v: dict[str, tuple[TierRef, ...]]) -> dict[str, tuple[TierRef, ...]]:
        for key in v:
            if key not in PRODUCTS:
                raise ValueError(f"unknown product {key!r}; expected one of {', '.join(PRODUCTS)}")
        return v


class Hours(Model):
    start: str = "07:00"
    end: str = "22:00"

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v):
            raise ValueError(f"expected a time as HH:MM but received {v!r}")
        return v

    def contains(self, t: dt.time) -> bool:
        start, end = dt.time.fromisoformat(self.start), dt.time.fromisoformat(self.end)
        return start <= t <= end


class LeadtimePolicy(Model):
    days: int = Field(default=7, ge=0)
    by_category: dict[str, int] = {}
    maintenance_working_days: int = Field(default=3, ge=0)
    publishing_hours: Hours = Hours()
    calendar: str = "policy/calendar.yml"
    editable_after_publication: tuple[str, ...] = ()

    def days_for(self, category: str) -> int:
        return self.by_category.get(category, self.days)


class BroadcastPolicy(Model):
    per_month: int = Field(default=4, ge=0)
    per_day: int = Field(default=1, ge=0)


class PublishPolicy(Model):
    """How the publisher reconciles a lost answer (docs/operations.md, section 7)."""

    # A submit whose answer was lost is repeated only after this long without an article (and with its
    # draft still in the draft box).
    resubmit_after_minutes: int = Field(default=30, ge=1)
    # Listing and lookup calls one run may spend reconciling (the API's daily quota is shared).
    reconcile_max_calls: int = Field(default=1000, ge=10)


class ProductRules(Model):
    disclosures: tuple[str, ...] = ()


class CompliancePolicy(Model):
    lexicons: str = "policy/lexicons"
    products: dict[str, ProductRules] = {}
    past_performance_disclaimer: str = ""
    published_figures: tuple[str, ...] = ()


class RenderPolicy(Model):
    theme: str = "policy/theme.css"


class ForgePolicy(Model):
    kind: Literal["github", "gitea"] = "github"


class Policy(Model):
    version: Literal[1] = 1
    timezone: str = "Asia/Shanghai"
    bank: Bank
    account: AccountPolicy = AccountPolicy()
    units: tuple[Unit, ...] = Field(min_length=1)
    roles: dict[str, Approvers]
    approval: ApprovalPolicy = ApprovalPolicy()
    leadtime: LeadtimePolicy = LeadtimePolicy()
    broadcast: BroadcastPolicy = BroadcastPolicy()
    publish: PublishPolicy = PublishPolicy()
    compliance: CompliancePolicy = CompliancePolicy()
    render: RenderPolicy = RenderPolicy()
    forge: ForgePolicy = ForgePolicy()

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {v!r}; expected an IANA name such as Asia/Shanghai") from None
        return v

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: dict[str, Approvers]) -> dict[str, Approvers]:
        missing = [r for r in ("compliance", "ebanking") if r not in v]
        if missing:
            raise ValueError(f"missing role(s) {', '.join(missing)}: every post needs them (Art. 7, 8)")
        return v

    @model_validator(mode="after")
    def _tiers_known(self, info: ValidationInfo) -> Policy:
        if isinstance(info.context, dict) and info.context.get(DEFER_CROSS_CHECKS):
            return self  # `parse_policy` runs them itself, to report each at its key's line
        problems = self.cross_field_problems()
        if problems:
            raise ValueError("; ".join(f"{key}: {msg}" for _, key, msg in problems))
        return self

    def cross_field_problems(self) -> list[tuple[yamlsafe.Loc, str, str]]:
        """Problems that span sections, as (location of the offending value, key, message)."""
        known = {"unit_head", *self.roles}
        chains: list[tuple[yamlsafe.Loc, tuple[TierRef, ...]]] = [
            (("approval", "base"), self.approval.base),
            (("approval", "code_change"), self.approval.code_change),
        ]
        chains += [(("approval", "by_category", k), v) for k, v in self.approval.by_category.items()]
        chains += [(("approval", "by_product", k), v) for k, v in self.approval.by_product.items()]
        out: list[tuple[yamlsafe.Loc, str, str]] = []
        for loc, chain in chains:
            for i, ref in enumerate(chain):
                if ref.tier not in known:
                    key = ".".join(str(p) for p in loc)
                    out.append(((*loc, i, "tier"), key, f"unknown tier {ref.tier!r}; define it under roles"))
        names = [u.name for u in self.units]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            second = next(i for i, n in enumerate(names) if n in dupes and names.index(n) < i)
            out.append((("units", second, "name"), "units", f"duplicate unit name(s) {', '.join(dupes)}"))
        return out

    # -- derived views ---------------------------------------------------------------------

    @cached_property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def unit(self, name: str) -> Unit | None:
        return next((u for u in self.units if u.name == name), None)

    @property
    def unit_names(self) -> tuple[str, ...]:
        return tuple(u.name for u in self.units)


def load_policy(root: Path) -> Policy:
    """Load and validate `policy/policy.yml` under the repository `root`."""
    path = root / POLICY_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{POLICY_FILE}: not found under {root}", hint="run wxpub from the repository root") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{POLICY_FILE}: cannot read: {exc}") from None
    return parse_policy(text, source=POLICY_FILE)


def parse_policy(text: str, *, source: str = POLICY_FILE) -> Policy:
    try:
        loaded = yamlsafe.load(text, max_nodes=50_000)
    except yamlsafe.YamlProblem as exc:
        raise PolicyError(f"{source}:{exc.line}: {exc.message}") from None
    if not isinstance(loaded.data, dict):
        raise PolicyError(f"{source}:1: expected a mapping of policy keys")
    try:
        policy = Policy.model_validate(loaded.data, context={DEFER_CROSS_CHECKS: True})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            key = ".".join(str(p) for p in loc) or "(top level)"
            line = loaded.line_of(loc)
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key; check its spelling against docs/operations.md"
            elif err["type"] == "missing":
                msg = "required key is missing"
            problems.append(f"{source}:{line}: {key}: {msg}")
        raise PolicyError(f"{source}: the policy does not validate ({len(problems)} problem(s))", problems) from None
    cross = [f"{source}:{loaded.line_of(loc)}: {key}: {msg}" for loc, key, msg in policy.cross_field_problems()]
    if cross:
        raise PolicyError(f"{source}: the policy does not validate ({len(cross)} problem(s))", cross)
    return policy
