"""The findings the approval gate reports (rule ids stay ASCII; their texts are translated where shown)."""

from __future__ import annotations

from typing import Any

from ..findings import Rule, Severity, register
from ..i18n import N_

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
    N_("a required approval tier lacks approvals on the pull request's head"),
    N_(
        "Art. 15 asks for tiered approval: the head of the submitting unit, compliance, e-banking and any tier "
        "the policy adds for the post's category, products or urgency must each approve the pull request."
    ),
    N_("Ask the tier's approvers to review the pull request on its latest commit."),
    quote=QUOTE_15,
)
R_COMPLIANCE = _rule(
    "approval/compliance-missing",
    "compliance-missing",
    "8",
    N_("no compliance approval on the pull request's head"),
    N_("Art. 8: the compliance department reviews every piece of information before publication."),
    N_("Ask a compliance approver (policy roles.compliance) to approve the latest commit."),
    quote="第八条 合规部负责对发布的信息进行合规审查。",
)
R_EBANKING = _rule(
    "approval/ebanking-missing",
    "ebanking-missing",
    "12",
    N_("no e-banking approval on the pull request's head"),
    N_("Art. 7, 12: the e-banking department manages the account and is the single outlet; it approves last."),
    N_("Ask an e-banking approver (policy roles.ebanking) to approve the latest commit."),
    quote="第十二条 电子银行部为信息发布的唯一出口。",
)
R_CHANGES = _rule(
    "approval/changes-requested",
    "changes-requested",
    "15",
    N_("an approver of a required tier requested changes"),
    N_("A request for changes by anyone who could sign a tier blocks that tier until the same person approves."),
    N_("Address the requested changes, push, and ask that reviewer to approve."),
)
R_ORDER = _rule(
    "approval/out-of-order",
    "out-of-order",
    "15",
    N_("an approval was given before the earlier tiers were satisfied"),
    N_("With sequential tiers each signer signs what the previous tiers already approved (Art. 15's tiered review)."),
    N_("Ask the reviewer to approve again now that the earlier tiers have approved."),
)
R_NOT_COUNTED = _rule(
    "approval/not-counted",
    "not-counted",
    "15",
    N_("an approval that does not count: self-approval, co-committer, stale, dismissed or not an approver"),
    N_("Only an independent approver's latest, undismissed approval of the current head commit counts."),
    N_("Ask an approver who did not write the change to approve the latest commit."),
    severity=Severity.INFO,
)
R_CO_AUTHOR = _rule(
    "approval/unverified-co-author",
    "unverified-co-author",
    "15",
    N_("a commit names a co-author (Co-authored-by) whose forge login cannot be determined"),
    N_(
        "A co-author cannot approve their own change, like an author. A `Co-authored-by:` trailer whose e-mail is "
        "no forge noreply address and no commit author's known e-mail, and whose name is no reviewer's login, "
        "cannot be matched to a reviewer: the gate warns, and the form lists it, so the approvers can confirm "
        "they are not that person."
    ),
    N_(
        "Write co-authors with their forge noreply address (Co-authored-by: name <ID+login@users.noreply.github.com>), "
        "or make sure no approver is that co-author."
    ),
    severity=Severity.REVIEW,
    quote=QUOTE_15,
)
R_CONTENT = _rule(
    "approval/content-changed",
    "content-changed",
    "12",
    N_("the content to publish is not the content that was approved"),
    N_(
        "Art. 12, 18: only content approved through a merged pull request may reach WeChat; the post folder at "
        "the publishing commit must equal the folder at the approved pull request's head."
    ),
    N_("Open a pull request for the change and have it approved before it is published."),
)
R_POST = _rule(
    "approval/post-unreadable",
    "post-unreadable",
    "15",
    N_("a changed post cannot be read, so its tiers are unknown"),
    N_(
        "The tiers depend on the post's unit, category, products and urgency; a post whose front matter does not "
        "validate, or whose unit is not in the policy, cannot be approved."
    ),
    N_("Fix the errors `wxpub check` reports for the post."),
)
R_FOREIGN_UNIT = _rule(
    "approval/foreign-unit",
    "foreign-unit",
    "10",
    N_("a post submitted for a unit its author does not belong to"),
    N_(
        "The post's `unit` chooses which unit head signs (Art. 10, 11, 15). The policy lists each unit's editors; "
        "a pull request that submits a post for another unit needs that unit's head to approve it first, before "
        "any other tier."
    ),
    N_("Submit the post for your own unit, or ask the head of the unit named in `unit` to approve first."),
    quote=QUOTE_15,
)
R_UNKNOWN_AUTHOR = _rule(
    "approval/unidentified-author",
    "unidentified-author",
    "15",
    N_("a commit's author or committer maps to no forge account"),
    N_(
        "An author cannot approve their own change. When the forge maps a commit's e-mail to no account, the gate "
        "matches its name and e-mail against the approvers' known identities (policy `identities`, noreply "
        "addresses, the other commits); one it cannot identify is listed so the approvers confirm they are not "
        "that person."
    ),
    N_("Commit with the e-mail of your forge account, or list your e-mail under `identities` in policy/policy.yml."),
    severity=Severity.REVIEW,
    quote=QUOTE_15,
)
R_REVOKED = _rule(
    "approval/approver-revoked",
    "approver-revoked",
    "15",
    N_("an approver who signed under the policy in force has since been removed from the policy"),
    N_(
        "An approval is judged by the policy in force when the change was merged (the base it was reviewed "
        "against). An approver removed from the policy afterwards still counts for that change; the form shows "
        "the removal so the bank can decide to withdraw the post."
    ),
    N_("If the approval must no longer stand, retract the post (wxpub retract) or have it approved again."),
    severity=Severity.REVIEW,
)
