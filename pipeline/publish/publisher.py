"""The orchestrator: the stages in order for each due post, failures recorded and turned into outcomes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..i18n import _
from .draft import Draft
from .due import Due
from .earlier import Earlier
from .model import ACCOUNT_ERRORS, Job, Outcome, RunSummary, StepFailed
from .record import RecordStage
from .verify import Verify


class Publisher(Due, Verify, Earlier, Draft, RecordStage):
    """Publishes due posts. Everything from outside (WeChat, the forge, the clock, git) is passed in.

    `client` is created on first use by `client_factory` (so a dry run or a run with nothing due needs
    no credentials). `verifier(post, commit)` returns a Verdict; None means the policy trusts branch
    protection. `clock` gives event times; `progress` receives one line per step.
    """

    def run(self) -> RunSummary:
        jobs, summary = self.due()
        stop: Outcome | None = None
        for n, job in enumerate(jobs, 1):
            title = job.post.meta.title if job.post.meta else ""
            if stop is not None:  # an account-level error: the next posts would fail the same way
                summary.outcomes.append(
                    Outcome(
                        job.id,
                        "failed",
                        title,
                        _("not attempted: {reason}", reason=stop.message),
                        stop.hint,
                        step="due",
                    )
                )
                continue
            self.progress(f"[{n}/{len(jobs)}] {job.id} {title}")
            outcome = self.publish(job)
            summary.outcomes.append(outcome)
            if outcome.errcode in ACCOUNT_ERRORS:
                stop = outcome
        return summary

    def publish(self, job: Job) -> Outcome:
        """Every stage for one job; failures are recorded and become the outcome (never raised)."""
        title = job.post.meta.title if job.post.meta else ""
        try:
            for stage in self.stages(job):
                if self.lease is not None:
                    self.lease.renew()  # LeaseLost stops the run before any further remote call
                stage(job)
                if job.record.published and not self.dry_run:
                    break  # an earlier version turned out to be published: never a second article
        except StepFailed as exc:
            return Outcome(
                job.id,
                "blocked" if exc.blocked else "failed",
                title,
                exc.message,
                exc.hint or "",
                step=exc.step,
                errcode=exc.errcode,
            )
        if self.dry_run:
            return Outcome(job.id, "would-publish", title, self._dry_run_text(job))
        url = job.record.article_url
        return Outcome(job.id, "broadcast" if job.delivery == "broadcast" else "published", title, article_url=url)

    def stages(self, job: Job) -> Iterator[Callable[[Job], None]]:
        yield self.stage_due
        yield self.stage_verify
        yield self.stage_render
        if self.dry_run:
            return
        yield self.stage_earlier
        yield self.stage_images
        yield self.stage_cover
        yield self.stage_draft
        if job.delivery == "broadcast":
            yield self.stage_broadcast
        else:
            yield self.stage_submit
            yield self.stage_poll
        yield self.stage_record
