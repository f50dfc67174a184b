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
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from . import yamlsafe
from .errors import PolicyError
from .i18n import N_, _, ngettext
from .problems import problem

POLICY_FILE = "policy/policy.yml"
FRAMES_FILE = "policy/frames.yml"
CATEGORIES = ("product", "campaign", "notice", "service", "knowledge", "other")
# the six kinds of Art. 13 as people read them (the form and the archive name them the same way)
CATEGORY_LABELS = {
    "product": N_("product"),
    "campaign": N_("campaign"),
    "notice": N_("notice"),
    "service": N_("service"),
    "knowledge": N_("knowledge"),
    "other": N_("other"),
}


def category_label(category: str) -> str:
    """`product` -> 产品动态 in Chinese, `product` in English; an unknown category as written."""
    return _(CATEGORY_LABELS[category]) if category in CATEGORY_LABELS else category


PRODUCTS = ("deposit", "wealth", "fund", "insurance", "loan", "card", "payment", "other")
# The names people read for the six kinds of Art. 13 and for the product kinds. The approval form, the archive
# and the web editor are the bank's Chinese documents: they show these whatever the interface language.
CATEGORY_NAMES = {
    "product": "产品动态",
    "campaign": "营销活动",
    "notice": "公告通知",
    "service": "客户服务",
    "knowledge": "知识科普",
    "other": "其他",
}
PRODUCT_NAMES = {
    "deposit": "存款",
    "wealth": "理财",
    "fund": "基金",
    "insurance": "保险",
    "loan": "贷款",
    "card": "银行卡",
    "payment": "支付",
    "other": "其他",
}
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
            raise ValueError(_("name at least one user or team"))
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


class Editors(Model):
    """Who may submit posts for a unit: forge logins and/or teams (read only with an org-read token)."""

    users: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()


class Unit(Model):
    """A unit that may submit posts (Art. 10, 11): its heads sign its posts; its editors write them. When
    any unit lists editors, a post submitted for a unit its author does not edit needs that unit's head
    to approve first (`approval/foreign-unit`)."""

    name: str
    kind: Literal["department", "branch"]
    heads: Approvers
    editors: Editors = Editors()


class Identity(Model):
    """How a forge login appears in git: the e-mails and names it commits with (for commits whose e-mail
    the forge maps to no account, and for `Co-authored-by:` trailers)."""

    emails: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


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
                raise ValueError(
                    _("unknown category {key}; expected one of {choices}", key=repr(key), choices=", ".join(CATEGORIES))
                )
        return v

    @field_validator("by_product")
    @classmethod
    def _products(cls, v: dict[str, tuple[TierRef, ...]]) -> dict[str, tuple[TierRef, ...]]:
        for key in v:
            if key not in PRODUCTS:
                raise ValueError(
                    _("unknown product {key}; expected one of {choices}", key=repr(key), choices=", ".join(PRODUCTS))
                )
        return v


class Hours(Model):
    start: str = "07:00"
    end: str = "22:00"

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v):
            raise ValueError(_("expected a time as HH:MM but received {value}", value=repr(v)))
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
    frames: str = FRAMES_FILE
    products: dict[str, ProductRules] = {}
    past_performance_disclaimer: str = ""
    published_figures: tuple[str, ...] = ()
    # Accepted wordings of a required sentence (a disclosure or the disclaimer): its published variants, any of
    # which satisfies it. Keyed by the sentence as `products.*.disclosures` or the disclaimer writes it.
    variants: dict[str, tuple[str, ...]] = {}

    @field_validator("variants")
    @classmethod
    def _variants(cls, v: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for key, wordings in v.items():
            if not key.strip() or any(not w.strip() for w in wordings):
                raise ValueError(f"{key!r}: an empty sentence or wording; write the sentence or remove the entry")
        return v

    def wordings(self, sentence: str) -> tuple[str, ...]:
        """The sentence and its accepted variants, the sentence first."""
        return (sentence, *self.variants.get(sentence, ()))


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
    identities: dict[str, Identity] = {}  # forge login -> its git e-mails and names

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                _("unknown timezone {value}; expected an IANA name such as Asia/Shanghai", value=repr(v))
            ) from None
        return v

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: dict[str, Approvers]) -> dict[str, Approvers]:
        missing = [r for r in ("compliance", "ebanking") if r not in v]
        if missing:
            raise ValueError(_("missing role(s) {roles}: every post needs them (Art. 7, 8)", roles=", ".join(missing)))
        return v

    @model_validator(mode="after")
    def _tiers_known(self, info: ValidationInfo) -> Policy:
        if isinstance(info.context, dict) and info.context.get(DEFER_CROSS_CHECKS):
            return self  # `parse_policy` runs them itself, to report each at its key's line
        problems = self.cross_field_problems()
        if problems:
            raise ValueError("; ".join(f"{key}: {msg}" for _loc, key, msg in problems))
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
                    out.append(
                        ((*loc, i, "tier"), key, _("unknown tier {tier}; define it under roles", tier=repr(ref.tier)))
                    )
        names = [u.name for u in self.units]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            second = next(i for i, n in enumerate(names) if n in dupes and names.index(n) < i)
            out.append(
                (("units", second, "name"), "units", _("duplicate unit name(s) {names}", names=", ".join(dupes)))
            )
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
        raise PolicyError(
            _("{file}: not found under {root}", file=POLICY_FILE, root=root),
            hint=_("run wxpub from the repository root"),
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(_("{file}: cannot read: {reason}", file=POLICY_FILE, reason=exc)) from None
    return parse_policy(text, source=POLICY_FILE)


def parse_policy(text: str, *, source: str = POLICY_FILE) -> Policy:
    try:
        loaded = yamlsafe.load(text, max_nodes=50_000)
    except yamlsafe.YamlProblem as exc:
        raise PolicyError(f"{source}:{exc.line}: {exc.message}") from None
    if not isinstance(loaded.data, dict):
        raise PolicyError(_("{file}:1: expected a mapping of policy keys", file=source))
    try:
        policy = Policy.model_validate(loaded.data, context={DEFER_CROSS_CHECKS: True})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            key = ".".join(str(p) for p in loc) or _("(top level)")
            line = loaded.line_of(loc)
            msg = problem(err)
            if err["type"] == "extra_forbidden":
                msg = _("unknown key; check its spelling against docs/operations.md")
            elif err["type"] == "missing":
                msg = _("required key is missing")
            problems.append(f"{source}:{line}: {key}: {msg}")
        raise PolicyError(
            _("{file}: the policy does not validate ({count} problem(s))", file=source, count=len(problems)), problems
        ) from None
    cross = [f"{source}:{loaded.line_of(loc)}: {key}: {msg}" for loc, key, msg in policy.cross_field_problems()]
    if cross:
        raise PolicyError(
            _("{file}: the policy does not validate ({count} problem(s))", file=source, count=len(cross)), cross
        )
    return policy


# -- frames: the contexts in which a claim-type term is not the bank's claim (policy/frames.yml) -----------


def _cue(cue: str) -> str:
    if not cue.strip() or cue.strip() != cue:
        raise ValueError(_("a cue is a phrase without surrounding spaces, not {cue}", cue=repr(cue)))
    if cue.replace("…", "").replace("#", "") == "":
        raise ValueError(_("a cue needs at least one character besides … and #, not {cue}", cue=repr(cue)))
    return cue


Cue = Annotated[str, AfterValidator(_cue)]


class FramesPolicy(Model):
    """Cue phrases of `policy/frames.yml`. In a cue, `…` stands for a gap of up to 20 characters within the
    sentence and `#` for a number (Arabic or Chinese numerals): 打着…的幌子, 《…》第#条."""

    warning: tuple[Cue, ...] = ()  # the sentence warns against what it names (警惕, 谨防, 切勿, 骗局 …)
    warning_after: tuple[Cue, ...] = ()  # after the term, in its clause: the term is what is warned of (…是骗局)
    mention: tuple[Cue, ...] = ()  # after a quoted term: the term is named as a word (“最好”这样的字眼, 等用语)
    question: tuple[Cue, ...] = ()  # before a quoted question someone else asks: 客户问：“…最高…？”
    negation: tuple[Cue, ...] = ()  # directly before the term: the term itself is denied (不保证, 并非)
    citation: tuple[Cue, ...] = ()  # the sentence cites a law, a rule or a regulator (《…》第#条, 监管规定)
    reassurance: tuple[Cue, ...] = ()  # a sales push that ends a frame: 不用担心, 别犹豫, 放心
    own_voice: tuple[Cue, ...] = ()  # the bank promising in its own voice: 我行承诺, 本行保证
    turns: tuple[Cue, ...] = ()  # a clause that opens with a turn speaks for the bank again: 但是, 其实
    affirmations: tuple[Cue, ...] = ()  # after the term, a subject then one of these: 我行做得到
    subjects: tuple[Cue, ...] = ()  # a clause that starts with one of them speaks for the bank again: 本产品


_FRAMES_CACHE: dict[tuple[object, ...], FramesPolicy] = {}


def load_frames(root: Path, policy: Policy) -> FramesPolicy:
    """`compliance.frames` (policy/frames.yml), validated like the policy: `file:LINE: key: what is wrong`."""
    rel = policy.compliance.frames
    path = root / rel
    try:
        stat = path.stat()
        key: tuple[object, ...] = (path.resolve(), stat.st_mtime_ns, stat.st_size)
    except OSError:
        raise PolicyError(
            _(
                "{policy}: compliance.frames: {path} not found; point it at the frames file, normally {default}",
                policy=POLICY_FILE,
                path=repr(rel),
                default=FRAMES_FILE,
            )
        ) from None
    cached = _FRAMES_CACHE.get(key)
    if cached is not None:
        return cached
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(_("{path}: cannot read: {problem}", path=rel, problem=str(exc))) from None
    frames = parse_frames(text, source=rel)
    _FRAMES_CACHE.clear()
    _FRAMES_CACHE[key] = frames
    return frames


def parse_frames(text: str, *, source: str = FRAMES_FILE) -> FramesPolicy:
    try:
        loaded = yamlsafe.load(text, max_nodes=20_000)
    except yamlsafe.YamlProblem as exc:
        raise PolicyError(f"{source}:{exc.line}: {exc.message}") from None
    data = loaded.data if loaded.data is not None else {}
    kinds = ", ".join(FramesPolicy.model_fields)
    if not isinstance(data, dict):
        raise PolicyError(_("{source}:1: expected a mapping of frame kinds ({kinds})", source=source, kinds=kinds))
    try:
        return FramesPolicy.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            key = ".".join(str(p) for p in loc) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = _("unknown key; expected one of {kinds}", kinds=kinds)
            problems.append(f"{source}:{loaded.line_of(loc)}: {key}: {msg}")
        raise PolicyError(
            ngettext(
                "{source}: the frames do not validate ({n} problem)",
                "{source}: the frames do not validate ({n} problems)",
                len(problems),
                source=source,
            ),
            problems,
        ) from None
