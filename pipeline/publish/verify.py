"""Stage verify: the checks pass and the exact content was approved; stores approvers and the approval form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..check import CheckContext, check_post
from ..errors import ConfigError
from ..findings import Severity
from ..i18n import _
from .base import PublisherBase
from .model import ApprovalNotVerified, Job, StepFailed, _findings_text

# Lead time is judged when the post is submitted (the review gate), not when it falls due.
PUBLISH_TIME_IGNORED_FAMILIES = ("leadtime/",)


class Verify(PublisherBase):
    def stage_verify(self, job: Job) -> None:
        def body() -> None:
            ctx = CheckContext(root=self.root, policy=self.policy, now=self.now, options={"stage": "publish"})
            errors = [
                f
                for f in check_post(job.post, ctx)
                if f.severity is Severity.ERROR and not f.rule.startswith(PUBLISH_TIME_IGNORED_FAMILIES)
            ]
            if errors:
                raise StepFailed("verify", _("checks fail: {findings}", findings=_findings_text(errors)), blocked=True)
            if job.record.result("verify", commit=job.commit) is not None:
                return
            verdict: Any = None
            if self.verifier is None:
                data: dict[str, Any] = {"method": "branch-protection", "approvers": []}
                self._say(job, "verify", _("skipped: the policy trusts branch protection"))
            else:
                verdict = self.verifier(job.post, job.commit)
                if isinstance(verdict, ApprovalNotVerified):
                    if not self.dry_run:  # never send what was not verified
                        raise ConfigError(_("approval cannot be verified: {reason}", reason=verdict.reason))
                    job.notes.append(
                        _("approval not verified ({reason}; the real run re-verifies)", reason=verdict.reason)
                    )
                    self._say(job, "verify", job.notes[-1])
                    return
                if not getattr(verdict, "ok", False):
                    reasons = "; ".join(str(r) for r in getattr(verdict, "reasons", []) or []) or "not approved"
                    raise StepFailed(
                        "verify",
                        _("commit {commit} was not approved: {reasons}", commit=job.commit[:12], reasons=reasons),
                        hint=_("the merged content must be approved by every tier; open a PR with the approvals"),
                        blocked=True,
                    )
                data = {"method": "forge", "approvers": approvers_of(verdict)}
                if getattr(verdict, "policy_commit", ""):  # the policy the approval was judged by (its base)
                    data["policy_commit"] = verdict.policy_commit
                pr = _pr_number(verdict)
                if pr is not None:
                    data["pr"] = pr
                self._say(job, "verify", _("approved ({n} approvals)", n=len(data["approvers"])))
            if self.dry_run:
                return
            form = self.form_maker(job.post, job.commit, verdict) if self.form_maker else None
            self._event(job, "verify", "done", _form=form, **data)

        self._guard(job, "verify", body, blocked=True)


def _pr_number(verdict: Any) -> int | None:
    for attr in ("pr", "pull", "pull_request"):
        value = getattr(verdict, attr, None)
        if isinstance(value, int):
            return value
        number = getattr(value, "number", None)
        if isinstance(number, int):
            return number
    return None


def approvers_of(verdict: Any) -> list[dict[str, Any]]:
    """[{tier, login, at}] from a `pipeline.approval.Verdict`'s tier results, in tier order."""
    out: list[dict[str, Any]] = []
    for tier in getattr(verdict, "tiers", []) or []:
        name = str(getattr(tier, "name", "") or getattr(tier, "key", ""))
        for person in getattr(tier, "approved_by", []) or []:
            entry: dict[str, Any] = {"tier": name, "login": str(getattr(person, "login", person))}
            at = getattr(person, "at", None)
            if isinstance(at, dt.datetime):
                entry["at"] = at.isoformat()
            out.append(entry)
    return out
